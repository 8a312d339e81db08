//! The layers of `src/`: every top-level module imports only from layers below its own, as the
//! map in `docs/layers.txt` draws them. A new module must be placed on the map. A file's imports
//! are every crate path it names, in `use` trees and in code (`layers/paths.rs` parses them from
//! the tokens of `layers/lexer.rs`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

mod lexer;
mod paths;

/// Module name → its layer (0 is the lowest), from the map.
fn layer_map(text: &str) -> BTreeMap<String, usize> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .enumerate()
        .flat_map(|(i, line)| line.split_whitespace().map(move |m| (m.to_string(), i)))
        .collect()
}

/// The module path of a file under `src/`: `app/keys.rs` → `app::keys`, `app/mod.rs` → `app`.
fn module_of(rel: &Path) -> Vec<String> {
    let mut module: Vec<String> = rel
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if module.last().is_some_and(|m| m == "mod") {
        module.pop();
    }
    module
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
        let text = std::fs::read_to_string(&file).unwrap();
        for used in paths::top_modules(&text, &module_of(rel)) {
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
        "// crate::high in a comment is no import\nuse crate::{low::{a::{B}}, high};\n\
         pub fn f() { super::other::g(); }\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("other.rs"),
        "pub fn g() -> &'static str { crate::low::f(); \"crate::high\" }\n\
         #[cfg(test)]\nmod tests { use crate::high::T; }\n",
    )
    .unwrap();
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
