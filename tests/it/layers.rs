//! The layers of `src/`: every top-level module imports only from layers below its own, as the
//! map in `docs/layers.txt` draws them. A new module must be placed on the map.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Module name → its layer (0 is the lowest), from the map.
fn layer_map(text: &str) -> BTreeMap<String, usize> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .enumerate()
        .flat_map(|(i, line)| line.split_whitespace().map(move |m| (m.to_string(), i)))
        .collect()
}

/// The code of a file without comments and without its unit tests.
fn code_of(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or_default();
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules a file's code names: `crate::x` and `use crate::{x, y::z}`.
fn imports(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let head = item.trim().split("::").next().unwrap_or_default();
                out.push(head.to_string());
            }
        } else {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            out.push(rest[..end].to_string());
        }
    }
    out.retain(|m| !m.is_empty() && m != "self");
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every import that breaks the map, as `file: from (layer) imports to (layer)`, and every
/// top-level module the map does not place.
fn violations(src: &Path, map: &BTreeMap<String, usize>) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let rel = file.strip_prefix(src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if top == "main" || top == "lib" {
            continue;
        }
        let Some(&own) = map.get(&top) else {
            out.push(format!(
                "{}: module {top} is not on the layer map",
                rel.display()
            ));
            continue;
        };
        let code = code_of(&std::fs::read_to_string(&file).unwrap());
        for used in imports(&code) {
            match map.get(&used) {
                Some(&layer) if used != top && layer >= own => out.push(format!(
                    "{}: {top} (layer {own}) imports {used} (layer {layer})",
                    rel.display()
                )),
                _ => {}
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn every_module_imports_only_from_the_layers_below() {
    let map = layer_map(&std::fs::read_to_string(root().join("docs/layers.txt")).unwrap());
    assert!(map.len() >= 10, "the map places {} modules", map.len());
    let found = violations(&root().join("src"), &map);
    assert!(
        found.is_empty(),
        "imports against the layers:\n{}",
        found.join("\n")
    );
}

#[test]
fn an_import_up_a_layer_or_across_one_is_found() {
    let dir = std::env::temp_dir().join(format!("canary-layers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("low")).unwrap();
    std::fs::write(
        dir.join("low/mod.rs"),
        "// crate::high in a comment is no import\nuse crate::{other, high::Thing};\n",
    )
    .unwrap();
    std::fs::write(dir.join("other.rs"), "pub fn f() { crate::low::g() }\n").unwrap();
    std::fs::write(
        dir.join("high.rs"),
        "use crate::low;\n#[cfg(test)]\nuse crate::high;\n",
    )
    .unwrap();
    std::fs::write(dir.join("stray.rs"), "\n").unwrap();
    let map = layer_map("# lowest first\nlow other\nhigh\n");
    let found = violations(&dir, &map);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(
        found,
        vec![
            "low/mod.rs: low (layer 0) imports high (layer 1)".to_string(),
            "low/mod.rs: low (layer 0) imports other (layer 0)".to_string(),
            "other.rs: other (layer 0) imports low (layer 0)".to_string(),
            "stray.rs: module stray is not on the layer map".to_string(),
        ]
    );
}
