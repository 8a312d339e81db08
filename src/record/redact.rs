//! Keeping secrets out of recordings: URLs lose their user info (`user:password@`), query string
//! and fragment, where tokens and signatures usually travel.

/// `https://user:pw@host:8080/path?token=x#f` → `https://host:8080/path`.
///
/// Text without a scheme is treated the same way (`user:pw@host/path?q` → `host/path`); text that
/// holds neither user info nor a query comes back unchanged.
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.find("://") {
        Some(i) => url.split_at(i + 3),
        None => ("", url),
    };
    // Query and fragment go first: an `@` inside them is not user info.
    let rest = &rest[..rest.find(['?', '#']).unwrap_or(rest.len())];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let host = match authority.rfind('@') {
        Some(at) => &authority[at + 1..],
        None => authority,
    };
    format!("{scheme}{host}{path}")
}

/// Redacts every URL (a whitespace-separated word containing `://`) inside free text, such as an
/// error message that quotes the endpoint it failed to reach. Other words are kept as they are.
pub fn redact_text(text: &str) -> String {
    if !text.contains("://") {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let word_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let (word, tail) = rest.split_at(word_end);
        if word.contains("://") {
            out.push_str(&redact_url(word));
        } else {
            out.push_str(word);
        }
        let space_end = tail
            .find(|c: char| !c.is_whitespace())
            .unwrap_or(tail.len());
        out.push_str(&tail[..space_end]);
        rest = &tail[space_end..];
    }
    out
}
