//! A failure of the connection to the API server, in the operator's words: `connection refused`,
//! `no answer in time`, `TLS handshake failed`, or the API server's own status. The library's
//! chain of errors stays in the log file.

use kube::client::AuthError;
use std::error::Error;
use std::io::ErrorKind;

/// A 401: the kubeconfig's credentials were refused.
pub fn unauthorized(user: &str) -> String {
    format!(
        "the API server refused the credentials of kubeconfig user '{}' (401 Unauthorized): the \
         token may have expired",
        crate::hygiene::field(user)
    )
}

/// A failure of the kubeconfig's credentials, `plugin` being the command of its exec plugin if it
/// has one: what the plugin did, with the first line of what it said. The whole failure goes to
/// the log file.
pub fn credentials(e: &AuthError, plugin: Option<&str>) -> String {
    log_credentials(e);
    let plugin = crate::hygiene::field(plugin.unwrap_or("?")).into_owned();
    match e {
        AuthError::AuthExecStart(io) if io.kind() == ErrorKind::NotFound => {
            format!("the kubeconfig's exec plugin `{plugin}` was not found on PATH")
        }
        AuthError::AuthExecStart(io) => {
            format!("the kubeconfig's exec plugin `{plugin}` could not be started: {io}")
        }
        AuthError::AuthExecRun { out, .. } => {
            let code = out
                .status
                .code()
                .map_or_else(|| "killed by a signal".to_string(), |c| format!("exit {c}"));
            let said = String::from_utf8_lossy(&out.stderr);
            match said.lines().map(str::trim).find(|l| !l.is_empty()) {
                Some(first) => format!(
                    "the kubeconfig's exec plugin `{plugin}` failed ({code}): {}",
                    crate::hygiene::short(first, 200)
                ),
                None => format!(
                    "the kubeconfig's exec plugin `{plugin}` failed ({code}) and said nothing"
                ),
            }
        }
        AuthError::AuthExecParse(_) | AuthError::ExecPluginFailed => format!(
            "the kubeconfig's exec plugin `{plugin}` answered with no credential it could use: \
             see the log file"
        ),
        AuthError::MalformedTokenExpirationDate(_) => format!(
            "the kubeconfig's exec plugin `{plugin}` gave a token with an unreadable \
             expirationTimestamp"
        ),
        other => format!(
            "the kubeconfig's credentials cannot be used: {}",
            crate::hygiene::short(&other.to_string(), 200)
        ),
    }
}

/// The whole failure for the log file; never a plugin's stdout, which may hold a token.
fn log_credentials(e: &AuthError) {
    match e {
        AuthError::AuthExecRun { cmd, out } => tracing::warn!(
            command = %cmd,
            status = %out.status,
            stderr = %String::from_utf8_lossy(&out.stderr),
            "the kubeconfig's exec plugin failed"
        ),
        AuthError::AuthExecParse(_) => {
            tracing::warn!("the kubeconfig's exec plugin answered no ExecCredential")
        }
        other => tracing::warn!(error = %other, "the kubeconfig's credentials failed"),
    }
}

/// The cause of `e`, found along its chain of sources, said plainly.
pub fn cause_in_words(e: &(dyn Error + 'static)) -> String {
    let mut cur: Option<&(dyn Error + 'static)> = Some(e);
    let mut api: Option<String> = None;
    while let Some(err) = cur {
        if let Some(d) = err.downcast_ref::<super::throttle::Deadline>() {
            return d.to_string();
        }
        if let Some(auth) = err.downcast_ref::<AuthError>() {
            return credentials(auth, None);
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
        match err.downcast_ref::<kube::Error>() {
            Some(kube::Error::Api(status)) if status.code == 401 => {
                return "the API server refused the credentials (401 Unauthorized): the token may \
                        have expired"
                    .to_string();
            }
            Some(kube::Error::Api(status)) => {
                api = Some(format!("HTTP {}: {}", status.code, status.message));
            }
            Some(kube::Error::Auth(auth)) => return credentials(auth, None),
            _ => {}
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
