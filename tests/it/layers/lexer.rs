//! Rust source as tokens, only as far as the layer test needs them: identifiers, `::`, single
//! punctuation, and literals as opaque tokens. Comments (nested ones too), strings (raw, byte and
//! C strings included), char literals and lifetimes never yield a path, so `"crate::x"` in a
//! message or `// crate::x` in a comment is no import.

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tok {
    Ident(String),
    /// `::`
    PathSep,
    Punct(char),
    /// A string, char or number literal, or a lifetime: never part of a path.
    Lit,
}

impl Tok {
    pub fn is_ident(&self, name: &str) -> bool {
        matches!(self, Tok::Ident(s) if s == name)
    }
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The tokens of `text`. Text that is not valid Rust still lexes to something (an unclosed string
/// or comment runs to the end), so a broken file cannot hang or panic the test.
pub fn tokens(text: &str) -> Vec<Tok> {
    let chars: Vec<char> = text.chars().collect();
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            i = block_comment_end(&chars, i);
        } else if c == '"' {
            i = string_end(&chars, i + 1);
            out.push(Tok::Lit);
        } else if c == '\'' {
            i = quote_end(&chars, i);
            out.push(Tok::Lit);
        } else if c.is_ascii_digit() {
            while i < chars.len() && is_ident_char(chars[i]) {
                i += 1;
            }
            out.push(Tok::Lit);
        } else if is_ident_start(c) {
            let start = i;
            while i < chars.len() && is_ident_char(chars[i]) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let prefix = matches!(word.as_str(), "r" | "br" | "cr");
            if prefix && (at(i) == '"' || (at(i) == '#' && matches!(at(i + 1), '#' | '"'))) {
                i = raw_string_end(&chars, i);
                out.push(Tok::Lit);
            } else if matches!(word.as_str(), "b" | "c") && at(i) == '"' {
                i = string_end(&chars, i + 1);
                out.push(Tok::Lit);
            } else if word == "b" && at(i) == '\'' {
                i = quote_end(&chars, i);
                out.push(Tok::Lit);
            } else if word == "r" && at(i) == '#' && is_ident_start(at(i + 1)) {
                // A raw identifier, `r#type`: the identifier `type`.
                let start = i + 1;
                i = start;
                while i < chars.len() && is_ident_char(chars[i]) {
                    i += 1;
                }
                out.push(Tok::Ident(chars[start..i].iter().collect()));
            } else {
                out.push(Tok::Ident(word));
            }
        } else if c == ':' && at(i + 1) == ':' {
            out.push(Tok::PathSep);
            i += 2;
        } else {
            out.push(Tok::Punct(c));
            i += 1;
        }
    }
    out
}

/// Past the end of the block comment that opens at `i`; block comments nest.
fn block_comment_end(chars: &[char], mut i: usize) -> usize {
    let mut depth = 0usize;
    while i < chars.len() {
        if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
            depth += 1;
            i += 2;
        } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    i
}

/// Past the closing quote of a string whose body starts at `i`.
fn string_end(chars: &[char], mut i: usize) -> usize {
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '"' => return i + 1,
            _ => i += 1,
        }
    }
    i
}

/// Past a raw string whose hashes (or opening quote) start at `i`: `#"…"#` closes on `"#`.
fn raw_string_end(chars: &[char], mut i: usize) -> usize {
    let mut hashes = 0;
    while chars.get(i) == Some(&'#') {
        hashes += 1;
        i += 1;
    }
    i += 1; // the opening quote
    while i < chars.len() {
        if chars[i] == '"' && (1..=hashes).all(|k| chars.get(i + k) == Some(&'#')) {
            return i + 1 + hashes;
        }
        i += 1;
    }
    i
}

/// Past a char literal (`'x'`, `'\n'`, `'\u{1F600}'`) or a lifetime or label (`'a`) at `i`.
fn quote_end(chars: &[char], i: usize) -> usize {
    if chars.get(i + 1) == Some(&'\\') {
        let mut j = i + 3;
        while j < chars.len() && chars[j] != '\'' {
            j += 1;
        }
        return j + 1;
    }
    if chars.get(i + 2) == Some(&'\'') {
        return i + 3;
    }
    let mut j = i + 1;
    while j < chars.len() && is_ident_char(chars[j]) {
        j += 1;
    }
    j
}

#[cfg(test)]
mod tests {
    use super::{tokens, Tok};

    fn idents(text: &str) -> Vec<String> {
        tokens(text)
            .into_iter()
            .filter_map(|t| match t {
                Tok::Ident(s) => Some(s),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn comments_and_strings_hide_what_they_hold() {
        let text = r##"
            a // crate::x
            /* crate::y /* nested crate::z */ still crate::w */ b
            "crate::s \" crate::t" r#"crate::u " crate::v"# br"crate::q" b"crate::p" c"crate::o"
            d
        "##;
        assert_eq!(idents(text), vec!["a", "b", "d"]);
    }

    #[test]
    fn chars_lifetimes_and_raw_identifiers() {
        let text = r"fn f<'a>(x: &'a str) { let q = '\''; let b = b'x'; let u = '\u{41}'; 'l: loop {} r#type }";
        assert_eq!(
            idents(text),
            vec!["fn", "f", "x", "str", "let", "q", "let", "b", "let", "u", "loop", "type"]
        );
        // a quote char does not open a string that would swallow what follows
        assert_eq!(idents(r#"let c = '"'; crate"#), vec!["let", "c", "crate"]);
    }

    #[test]
    fn path_separators_are_one_token() {
        assert_eq!(
            tokens("crate::a::{b}"),
            vec![
                Tok::Ident("crate".into()),
                Tok::PathSep,
                Tok::Ident("a".into()),
                Tok::PathSep,
                Tok::Punct('{'),
                Tok::Ident("b".into()),
                Tok::Punct('}'),
            ]
        );
    }

    #[test]
    fn unclosed_text_ends_without_a_panic() {
        for text in ["\"open", "/* open", "r#\"open", "'", "b'", "r#", "x::"] {
            let _ = tokens(text);
        }
        assert_eq!(idents("a \"b"), vec!["a"]);
    }
}
