//! One client of Keel's HTTP API: `GET /v1/approvals`, and `POST /v1/approvals` with
//! `{"identifier", "action": "approve"|"reject", "voter"}`, each with the admin's basic auth and
//! a deadline. The password never reaches a log, a message or a recording: it is kept in a type
//! that does not print it, and the URL may not carry credentials of its own.

use super::{KeelError, TIMEOUT};
use crate::model::approval::Approval;

/// Keel's admin basic auth and where it came from (`secret keel/keel-admin`,
/// `CANARY_KEEL_USER and CANARY_KEEL_PASSWORD`).
#[derive(Clone)]
pub struct Credentials {
    pub user: String,
    password: String,
    pub from: String,
}

impl Credentials {
    pub fn new(user: String, password: String, from: String) -> Credentials {
        Credentials {
            user,
            password,
            from,
        }
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Credentials {{ user: {:?}, from: {:?} }}",
            self.user, self.from
        )
    }
}

pub use crate::model::approval::Vote;

/// Keel's API at one URL.
#[derive(Clone, Debug)]
pub struct Keel {
    base: reqwest::Url,
    auth: Option<Credentials>,
    http: reqwest::Client,
}

impl Keel {
    /// A client of Keel at `url` (http or https, without credentials in it).
    pub fn new(url: &str, auth: Option<Credentials>) -> Result<Keel, KeelError> {
        let bad = |why: &str| KeelError::BadUrl {
            url: crate::hygiene::short(url, 80),
            why: why.to_string(),
        };
        let base = reqwest::Url::parse(url.trim()).map_err(|e| bad(&e.to_string()))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(bad("not http or https"));
        }
        if !base.username().is_empty() || base.password().is_some() {
            return Err(bad(
                "credentials do not go in the URL: CANARY_KEEL_USER and CANARY_KEEL_PASSWORD, \
                 or the config's [keel] secret",
            ));
        }
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| bad(&e.to_string()))?;
        Ok(Keel { base, auth, http })
    }

    /// Where Keel is, for messages.
    pub fn url(&self) -> String {
        self.base.as_str().trim_end_matches('/').to_string()
    }

    fn endpoint(&self) -> Result<reqwest::Url, KeelError> {
        self.base
            .join("v1/approvals")
            .map_err(|e| KeelError::BadUrl {
                url: self.url(),
                why: e.to_string(),
            })
    }

    fn authorized(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.auth {
            Some(c) => request.basic_auth(&c.user, Some(&c.password)),
            None => request,
        }
    }

    /// Every approval Keel keeps.
    pub async fn approvals(&self) -> Result<Vec<Approval>, KeelError> {
        let request = self.authorized(self.http.get(self.endpoint()?));
        let response = self.send(request).await?;
        let response = self.checked(response, None).await?;
        let bytes = response.bytes().await.map_err(|e| self.unreachable(&e))?;
        serde_json::from_slice::<Option<Vec<Approval>>>(&bytes)
            .map(Option::unwrap_or_default)
            .map_err(|e| KeelError::Decode(e.to_string()))
    }

    /// Votes on the approval `identifier` as `voter`; Keel answers with the approval as it
    /// stands after the vote (`None` when its answer is not one).
    pub async fn vote(
        &self,
        identifier: &str,
        vote: Vote,
        voter: &str,
    ) -> Result<Option<Approval>, KeelError> {
        let body = serde_json::json!({
            "identifier": identifier,
            "action": vote.action(),
            "voter": voter,
        });
        let request = self.authorized(self.http.post(self.endpoint()?).json(&body));
        tracing::info!(keel = %self.url(), %identifier, action = vote.action(), %voter, "keel vote");
        let response = self.send(request).await?;
        let response = self.checked(response, Some(identifier)).await?;
        let bytes = response.bytes().await.map_err(|e| self.unreachable(&e))?;
        Ok(serde_json::from_slice::<Approval>(&bytes).ok())
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, KeelError> {
        request.send().await.map_err(|e| self.unreachable(&e))
    }

    fn unreachable(&self, e: &reqwest::Error) -> KeelError {
        // the error names the URL, which carries no credentials; the chain says why
        let mut why = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            why = s.to_string();
            source = s.source();
        }
        KeelError::Unreachable {
            url: self.url(),
            why,
        }
    }

    /// The answer when it is a success, else the error in words.
    async fn checked(
        &self,
        response: reqwest::Response,
        identifier: Option<&str>,
    ) -> Result<reqwest::Response, KeelError> {
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let from = self.auth.as_ref().map_or_else(
            || "nowhere (none were given)".to_string(),
            |c| c.from.clone(),
        );
        match (status.as_u16(), identifier) {
            (401 | 403, _) => Err(KeelError::Refused { from }),
            (404, Some(id)) => Err(KeelError::NotFound {
                identifier: id.to_string(),
            }),
            (code, _) => {
                let body = response.text().await.unwrap_or_default();
                Err(KeelError::Status {
                    status: code,
                    body: crate::hygiene::short(body.trim(), 300),
                })
            }
        }
    }
}
