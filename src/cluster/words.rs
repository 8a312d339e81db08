//! A failure of the connection to the API server, in the operator's words: `connection refused`,
//! `no answer in time`, `TLS handshake failed`, or the API server's own status. The library's
//! chain of errors stays in the log file.

use std::error::Error;
use std::io::ErrorKind;

/// The cause of `e`, found along its chain of sources, said plainly.
pub fn cause_in_words(e: &(dyn Error + 'static)) -> String {
    let mut cur: Option<&(dyn Error + 'static)> = Some(e);
    let mut api: Option<String> = None;
    while let Some(err) = cur {
        if let Some(d) = err.downcast_ref::<super::throttle::Deadline>() {
            return d.to_string();
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return match io.kind() {
                ErrorKind::ConnectionRefused => "connection refused".to_string(),
                ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted => {
                    "the connection was cut".to_string()
                }
                ErrorKind::TimedOut => "no answer in time".to_string(),
                ErrorKind::NotFound => "the address does not resolve".to_string(),
                ErrorKind::UnexpectedEof | ErrorKind::BrokenPipe => {
                    "the connection closed mid-answer".to_string()
                }
                _ => io.to_string(),
            };
        }
        if let Some(kube::Error::Api(status)) = err.downcast_ref::<kube::Error>() {
            api = Some(format!("HTTP {}: {}", status.code, status.message));
        }
        let text = err.to_string().to_ascii_lowercase();
        if text.contains("certificate") || text.contains("tls") {
            return format!("TLS handshake failed ({err})");
        }
        if text.contains("timed out") || text.contains("elapsed") {
            return "no answer in time".to_string();
        }
        cur = err.source();
    }
    api.unwrap_or_else(|| {
        // nothing more specific: the outermost message, without the library's prefixes
        let text = e.to_string();
        text.rsplit(": ").next().unwrap_or(&text).to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Wrapped(&'static str, std::io::Error);

    impl std::fmt::Display for Wrapped {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl Error for Wrapped {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&self.1)
        }
    }

    #[test]
    fn the_cause_is_found_along_the_chain() {
        let refused = Wrapped(
            "ServiceError: client error (Connect)",
            std::io::Error::from(ErrorKind::ConnectionRefused),
        );
        assert_eq!(cause_in_words(&refused), "connection refused");
        let timeout = Wrapped("operation", std::io::Error::from(ErrorKind::TimedOut));
        assert_eq!(cause_in_words(&timeout), "no answer in time");
        let api = kube::Error::Api(Box::new(
            kube::core::Status::failure("pods is forbidden", "Forbidden").with_code(403),
        ));
        assert!(
            cause_in_words(&api).contains("HTTP 403"),
            "{}",
            cause_in_words(&api)
        );
    }
}
