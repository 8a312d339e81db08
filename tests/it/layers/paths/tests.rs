//! The use-tree and path parser on tricky inputs.

use super::{crate_paths, top_modules};

fn module(path: &str) -> Vec<String> {
    path.split("::").map(str::to_string).collect()
}

/// The top-level modules named by `text` in a file of module `app::keys`.
fn tops(text: &str) -> Vec<String> {
    top_modules(text, &module("app::keys"))
}

fn paths(text: &str) -> Vec<String> {
    crate_paths(text, &module("app::keys"))
        .into_iter()
        .map(|p| p.join("::"))
        .collect()
}

#[test]
fn nested_braces_hide_no_module() {
    assert_eq!(tops("use crate::{a::{B}, d};"), vec!["a", "d"]);
    assert_eq!(
        paths("use crate::{a::{b::{C, D}, e}, f::{self, G as H}, i::*};"),
        vec!["a::b::C", "a::b::D", "a::e", "f", "f::G", "i::*"]
    );
}

#[test]
fn renames_globs_pub_and_many_lines() {
    let text = "
        pub use crate::model as m;
        pub(crate) use crate::ui::{
            self as screen,
            gauge::*,
        };
        use crate::record::Writer as _;
    ";
    assert_eq!(
        paths(text),
        vec!["model", "ui", "ui::gauge::*", "record::Writer"]
    );
}

#[test]
fn self_and_super_resolve_from_the_files_module() {
    assert_eq!(
        paths("use super::super::ui::Frame; use self::inner::X; use super::{self, mode::M};"),
        vec!["ui::Frame", "app::keys::inner::X", "app", "app::mode::M"]
    );
    // above the crate is no path at all
    assert_eq!(paths("use super::super::super::x;"), Vec::<String>::new());
    // from a top-level module file, `super` is the crate
    assert_eq!(
        top_modules("use super::ui;", &module("app")),
        vec!["ui".to_string()]
    );
}

#[test]
fn paths_in_code_count_too() {
    let text = "
        fn f() -> crate::model::Weight {
            let w = crate::provider::foo(1);
            super::super::live::run::<u8>();
            $crate::metrics::poll();
            <T as crate::cluster::Api>::get()
        }
    ";
    assert_eq!(
        tops(text),
        vec!["model", "provider", "live", "metrics", "cluster"]
    );
}

#[test]
fn extern_crates_and_local_names_are_no_crate_paths() {
    let text = "use std::{fmt, io::Write}; use ::tokio::time; use foo::bar; fn g() { fmt::x(); }";
    assert_eq!(paths(text), Vec::<String>::new());
    // visibility keywords alone name nothing outside the file's module
    assert_eq!(
        tops("pub(crate) fn a() {} pub(super) fn b(&self) {}"),
        vec!["app"]
    );
}

#[test]
fn inline_modules_move_self_and_super() {
    let text = "
        mod inner {
            use super::mode::M;
            mod deeper { use super::super::super::ui::Frame; use crate::ui::Gauge; }
        }
        use self::x::Y;
    ";
    assert_eq!(
        paths(text),
        vec![
            "app::keys::mode::M",
            "app::ui::Frame",
            "ui::Gauge",
            "app::keys::x::Y"
        ]
    );
}

#[test]
fn test_only_items_are_left_out() {
    let text = "
        use crate::model::A;
        #[cfg(test)]
        use crate::ui::B;
        #[cfg(test)]
        #[allow(dead_code)]
        fn helper() -> [u8; 2] { crate::live::x() }
        #[cfg(all(test, unix))]
        mod tests { use crate::provider::P; }
        #[cfg(any(test, feature = \"x\"))]
        use crate::record::R;
        use crate::metrics::M;
    ";
    assert_eq!(tops(text), vec!["model", "record", "metrics"]);
    assert_eq!(
        tops("#![cfg(test)]\nuse crate::live::x;"),
        Vec::<String>::new()
    );
}

#[test]
fn comments_and_strings_name_nothing() {
    let text = r#"
        // use crate::live;
        /// `crate::provider::foo()` in a doc comment
        /* use crate::{ui}; */
        let s = "crate::cluster::x";
        let r = r"use crate::metrics;";
        use crate::model;
    "#;
    assert_eq!(tops(text), vec!["model"]);
}

#[test]
fn broken_code_ends_without_a_panic() {
    for text in [
        "use crate::{a, b",
        "use crate::",
        "use",
        "use {",
        "use crate::a as",
        "#[cfg(test)]",
        "mod x {",
    ] {
        let _ = tops(text);
    }
    assert_eq!(tops("use crate::{a, b"), vec!["a", "b"]);
}
