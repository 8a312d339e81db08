//! What a failed delivery may keep of the service's answer: at most [`MAX_ERROR`] characters,
//! shown through the text hygiene, with the sink URL's secret parts replaced by `…` wherever
//! they appear. A sink that echoes its own path in a 500 (the path is the webhook's token) must
//! not put it in the log, the recording, the event log or on stderr.

use super::sink::SecretUrl;

/// The most characters of an error text a delivery keeps.
pub const MAX_ERROR: usize = 300;

/// Path segments and query values at least this long are taken for tokens and hidden on their
/// own too (`/api/webhooks/123/TOKEN`, `?token=…`); shorter ones (`api`, `hooks`) are left.
const TOKEN_LEN: usize = 12;

/// The parts of `url` that carry its secret, longest first: the path with its query, the path,
/// the query, and each long path segment or query value, also as a JSON string writes them
/// (`\/`) and percent-decoded.
fn secrets(url: &SecretUrl) -> Vec<String> {
    let Ok(parsed) = reqwest::Url::parse(url.expose()) else {
        return vec![url.expose().to_string()];
    };
    let path = parsed.path().to_string();
    let query = parsed.query().unwrap_or_default().to_string();
    let mut out = vec![url.expose().to_string(), format!("{path}?{query}"), query];
    if path != "/" {
        out.push(path.clone());
    }
    let long = |s: &str| s.chars().count() >= TOKEN_LEN;
    out.extend(path.split('/').filter(|s| long(s)).map(str::to_string));
    out.extend(
        parsed
            .query_pairs()
            .map(|(_, v)| v.into_owned())
            .filter(|v| long(v)),
    );
    let escaped: Vec<String> = out
        .iter()
        .filter(|s| s.contains('/'))
        .map(|s| s.replace('/', "\\/"))
        .collect();
    let decoded: Vec<String> = out
        .iter()
        .filter_map(|s| {
            let d = percent_decode(s);
            (d != *s).then_some(d)
        })
        .collect();
    out.extend(escaped);
    out.extend(decoded);
    out.retain(|s| !s.is_empty() && s != "?");
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out.dedup();
    out
}

/// `%2F` and the like decoded; a malformed escape stays as it is.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `text` with every secret part of `url` replaced by `…`, then shown through the hygiene as one
/// line and cut to [`MAX_ERROR`] characters.
pub fn error_text(text: &str, url: &SecretUrl) -> String {
    let mut text = text.to_string();
    for secret in secrets(url) {
        if text.contains(&secret) {
            text = text.replace(&secret, "…");
        }
    }
    crate::hygiene::short(&text, MAX_ERROR)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> SecretUrl {
        SecretUrl::parse(s).unwrap()
    }

    #[test]
    fn the_path_and_query_never_stay() {
        let u = url("http://127.0.0.1:8080/hooks/T000/s3cr3t-t0k3n-value?sig=abcdefghijklmnop");
        let body = "no route for /hooks/T000/s3cr3t-t0k3n-value?sig=abcdefghijklmnop; \
                    path /hooks/T000/s3cr3t-t0k3n-value, query sig=abcdefghijklmnop, \
                    token s3cr3t-t0k3n-value, sig abcdefghijklmnop, \
                    json \\/hooks\\/T000\\/s3cr3t-t0k3n-value, \
                    url http://127.0.0.1:8080/hooks/T000/s3cr3t-t0k3n-value?sig=abcdefghijklmnop";
        let kept = error_text(body, &u);
        for secret in ["s3cr3t", "abcdefghijklmnop", "/hooks/T000"] {
            assert!(!kept.contains(secret), "{secret} in {kept}");
        }
        assert!(kept.starts_with("no route for …;"), "{kept}");
        assert!(kept.contains("url …"), "{kept}");
    }

    #[test]
    fn percent_encoded_paths_are_found_decoded_too() {
        let u = url("https://hooks.example.com/services/a%20very-long-token-x");
        let kept = error_text("unknown /services/a very-long-token-x", &u);
        assert!(!kept.contains("very-long-token"), "{kept}");
        assert_eq!(percent_decode("a%2Fb%zz%4"), "a/b%zz%4");
    }

    #[test]
    fn the_text_is_short_and_clean() {
        let u = url("https://discord.com/api/webhooks/1/abc");
        let long = format!("\u{1b}]52;c;aGk=\u{7}{}", "x".repeat(1000));
        let kept = error_text(&long, &u);
        assert_eq!(kept.chars().count(), MAX_ERROR + 1);
        assert!(kept.starts_with("␛]52;c;aGk=␇xx") && kept.ends_with('…'));
        assert!(crate::hygiene::is_clean_output(&kept));
        // short path parts that are words are left
        assert_eq!(error_text("api down", &u), "api down");
    }
}
