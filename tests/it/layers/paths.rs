//! The crate paths a file names: every path of every `use` tree (nested braces, `self`, `as`
//! renames, globs, `pub use`, over as many lines as it takes) and every path written in the code
//! (`crate::provider::foo()`, `super::super::ui::x`), resolved against the file's own module so
//! `super` and `self` count too. Items under `#[cfg(test)]` are left out: tests may reach
//! anywhere.

use super::lexer::{tokens, Tok};

/// The top-level modules that the code of a file in module `module` (e.g. `["app", "keys"]` for
/// `src/app/keys.rs`) names, each once, in order of first mention.
pub fn top_modules(text: &str, module: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for path in crate_paths(text, module) {
        if let Some(top) = path.first() {
            if top != "*" && !out.contains(top) {
                out.push(top.clone());
            }
        }
    }
    out
}

/// Every path the code names, made absolute (without the leading `crate`). Paths that do not
/// start at the crate (`std::…`, `tokio::…`, a local name) are left out.
pub fn crate_paths(text: &str, module: &[String]) -> Vec<Vec<String>> {
    let toks = tokens(text);
    let mut out = Vec::new();
    // the inline modules around the current token: (name, the depth their `{` opened at)
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    let here = |inline: &[(String, usize)]| -> Vec<String> {
        let inner = inline.iter().map(|(m, _)| m.clone());
        module.iter().cloned().chain(inner).collect()
    };
    while i < toks.len() {
        match &toks[i] {
            Tok::Punct('#') if is_cfg_test(&toks, i) => {
                if toks.get(i + 1) == Some(&Tok::Punct('!')) && depth == 0 {
                    break; // `#![cfg(test)]`: the whole file is test code
                }
                i = item_end(&toks, attribute_end(&toks, i));
                continue;
            }
            Tok::Punct('{') => depth += 1,
            Tok::Punct('}') => {
                depth = depth.saturating_sub(1);
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
            }
            Tok::Ident(kw) if kw == "mod" => {
                if let (Some(Tok::Ident(name)), Some(Tok::Punct('{'))) =
                    (toks.get(i + 1), toks.get(i + 2))
                {
                    inline.push((name.clone(), depth));
                    depth += 1;
                    i += 3;
                    continue;
                }
            }
            Tok::Ident(kw) if kw == "use" => {
                let mut trees = Vec::new();
                i = use_tree(&toks, i + 1, Vec::new(), &mut trees);
                let here = here(&inline);
                out.extend(trees.iter().filter_map(|p| resolve(p, &here)));
                continue;
            }
            Tok::Ident(_) | Tok::Punct('$') if !after_path_sep(&toks, i) => {
                let (path, next) = inline_path(&toks, i);
                if let Some(abs) = resolve(&path, &here(&inline)).filter(|p| !p.is_empty()) {
                    out.push(abs);
                }
                i = next;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

fn after_path_sep(toks: &[Tok], i: usize) -> bool {
    i > 0 && toks[i - 1] == Tok::PathSep
}

/// `path` made absolute from module `here`: `crate::a` → `a`, `self::a` → here + `a`, `super::a`
/// → here's parent + `a`. `None` for a path that does not start at `crate`, `self` or `super`, or
/// that climbs above the crate.
fn resolve(path: &[String], here: &[String]) -> Option<Vec<String>> {
    let first = path.first()?;
    let mut base: Vec<String> = match first.as_str() {
        "crate" | "$crate" => return Some(path[1..].to_vec()),
        "self" | "super" => here.to_vec(),
        _ => return None,
    };
    let mut rest = path;
    while let Some(seg) = rest.first() {
        match seg.as_str() {
            "self" => {}
            "super" => {
                base.pop()?;
            }
            _ => break,
        }
        rest = &rest[1..];
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

/// The path that starts at token `i` in code (`crate::a::b`, `$crate::a`, `super::x`), and the
/// index after it. Generic arguments and method calls end it.
fn inline_path(toks: &[Tok], mut i: usize) -> (Vec<String>, usize) {
    let mut path = Vec::new();
    if toks.get(i) == Some(&Tok::Punct('$')) {
        match toks.get(i + 1) {
            Some(t) if t.is_ident("crate") => {
                path.push("$crate".to_string());
                i += 2;
            }
            _ => return (path, i + 1),
        }
    } else if let Some(Tok::Ident(s)) = toks.get(i) {
        path.push(s.clone());
        i += 1;
    }
    while let (Some(Tok::PathSep), Some(Tok::Ident(s))) = (toks.get(i), toks.get(i + 1)) {
        path.push(s.clone());
        i += 2;
    }
    (path, i)
}

/// Parses the use tree at `i` under `prefix`, pushing each full path (a glob ends in `*`; `self`
/// in braces names the prefix itself; an `as` rename keeps the path it renames). Returns the
/// index after the tree (after the `;` at the top level).
fn use_tree(
    toks: &[Tok],
    mut i: usize,
    mut prefix: Vec<String>,
    out: &mut Vec<Vec<String>>,
) -> usize {
    if toks.get(i) == Some(&Tok::PathSep) {
        // `use ::std::…`: an extern crate, never this one
        prefix.push("::".to_string());
        i += 1;
    }
    loop {
        match (toks.get(i), toks.get(i + 1)) {
            (Some(Tok::Punct('{')), _) => {
                i += 1;
                loop {
                    match toks.get(i) {
                        None => return i,
                        Some(Tok::Punct('}')) => {
                            i += 1;
                            break;
                        }
                        Some(Tok::Punct(',')) => i += 1,
                        _ => {
                            let before = i;
                            i = use_tree(toks, i, prefix.clone(), out);
                            if i == before {
                                i += 1; // not a tree: step over it rather than loop
                            }
                        }
                    }
                }
                return end_of_use(toks, i);
            }
            (Some(Tok::Punct('*')), _) => {
                prefix.push("*".to_string());
                out.push(prefix);
                return end_of_use(toks, i + 1);
            }
            (Some(Tok::Punct('$')), Some(t)) if t.is_ident("crate") => {
                prefix.push("$crate".to_string());
                i += 2;
            }
            (Some(Tok::Ident(seg)), _) => {
                if seg == "self" && prefix.last().is_some_and(|p| p != "super" && p != "self") {
                    // `a::{self}` names `a`
                } else {
                    prefix.push(seg.clone());
                }
                i += 1;
            }
            _ => return end_of_use(toks, i),
        }
        match toks.get(i) {
            Some(Tok::PathSep) => i += 1,
            Some(t) if t.is_ident("as") => {
                out.push(prefix);
                return end_of_use(toks, i + 2);
            }
            _ => {
                out.push(prefix);
                return end_of_use(toks, i);
            }
        }
    }
}

/// A use tree ends before `,` or `}` (inside braces) or after `;` (the declaration's end).
fn end_of_use(toks: &[Tok], i: usize) -> usize {
    match toks.get(i) {
        Some(Tok::Punct(';')) => i + 1,
        _ => i,
    }
}

/// Whether the attribute at `i` is `#[cfg(test)]` (or `#[cfg(all(test, …))]`).
fn is_cfg_test(toks: &[Tok], i: usize) -> bool {
    let inner = usize::from(toks.get(i + 1) == Some(&Tok::Punct('!')));
    let body = &toks[i + inner..attribute_end(toks, i)];
    let ident = |k: usize, name: &str| body.get(k).is_some_and(|t| t.is_ident(name));
    let punct = |k: usize, c: char| body.get(k) == Some(&Tok::Punct(c));
    punct(1, '[')
        && ident(2, "cfg")
        && punct(3, '(')
        && (ident(4, "test") && punct(5, ')')
            || ident(4, "all") && punct(5, '(') && ident(6, "test"))
}

/// The index after the attribute that opens at `i` (`#[…]` or `#![…]`).
fn attribute_end(toks: &[Tok], i: usize) -> usize {
    let mut j = i + 1;
    if toks.get(j) == Some(&Tok::Punct('!')) {
        j += 1;
    }
    if toks.get(j) != Some(&Tok::Punct('[')) {
        return i + 1;
    }
    let mut depth = 0;
    while j < toks.len() {
        match toks[j] {
            Tok::Punct('[') => depth += 1,
            Tok::Punct(']') => {
                depth -= 1;
                if depth == 0 {
                    return j + 1;
                }
            }
            _ => {}
        }
        j += 1;
    }
    j
}

/// The index after the item that starts at `i` (its further attributes included): after its `;`,
/// or after the `}` that closes its body.
fn item_end(toks: &[Tok], mut i: usize) -> usize {
    while toks.get(i) == Some(&Tok::Punct('#')) {
        i = attribute_end(toks, i);
    }
    let mut depth = 0usize;
    while i < toks.len() {
        match toks[i] {
            Tok::Punct('(' | '[' | '{') => depth += 1,
            Tok::Punct(')' | ']') => depth = depth.saturating_sub(1),
            Tok::Punct('}') => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            Tok::Punct(';') if depth == 0 => return i + 1,
            _ => {}
        }
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests;
