//! Who acts, as the API server sees it: asked once per session with a SelfSubjectReview
//! (authentication.k8s.io/v1, served from Kubernetes 1.28). A server that does not answer it
//! leaves the kubeconfig's user entry, recorded as such: the name a kubeconfig gives its user says
//! nothing about who the server sees.

use k8s_openapi::api::authentication::v1::SelfSubjectReview;
use kube::api::{Api, PostParams};

use super::Cluster;

/// Who the actions of a session are recorded as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// The username the API server saw, else the kubeconfig's user entry.
    pub user: String,
    /// The groups the API server saw (none when it did not say).
    pub groups: Vec<String>,
    /// Whether the API server said it; `Err`: why not.
    pub seen: Result<(), String>,
}

impl Identity {
    /// The kubeconfig's user entry, when the API server does not say (`why`).
    pub fn kubeconfig(user: &str, why: String) -> Identity {
        Identity {
            user: user.to_string(),
            groups: Vec::new(),
            seen: Err(why),
        }
    }

    /// The Kubernetes user of the recorded actor: the server's username, or the kubeconfig
    /// entry marked as such (`kubeconfig user u`: the session's note says that the API server
    /// does not say who it sees); `None` when there is no name at all.
    pub fn actor(&self) -> Option<String> {
        if self.user.is_empty() {
            return None;
        }
        Some(match self.seen {
            Ok(()) => self.user.clone(),
            Err(_) => format!("kubeconfig user {}", self.user),
        })
    }

    /// One line for the session's event log (and its recording).
    pub fn note(&self) -> String {
        match &self.seen {
            Ok(()) if self.groups.is_empty() => {
                format!("the API server sees you as {}", self.user)
            }
            Ok(()) => format!(
                "the API server sees you as {} (groups {})",
                self.user,
                self.groups.join(", ")
            ),
            Err(why) => format!(
                "the API server does not say who it sees ({why}): actions are recorded as \
                 kubeconfig user {}",
                self.user
            ),
        }
    }
}

/// The user and groups of a SelfSubjectReview's answer; `None` when it names no user.
pub fn of_review(review: &SelfSubjectReview) -> Option<(String, Vec<String>)> {
    let info = review.status.as_ref()?.user_info.as_ref()?;
    let user = info.username.clone().filter(|u| !u.is_empty())?;
    Some((user, info.groups.clone().unwrap_or_default()))
}

/// Asks the API server who it sees; the kubeconfig's user entry when it does not say.
pub async fn who(cluster: &Cluster) -> Identity {
    let api: Api<SelfSubjectReview> = Api::all(cluster.client.clone());
    let ask = SelfSubjectReview::default();
    match api.create(&PostParams::default(), &ask).await {
        Ok(review) => match of_review(&review) {
            Some((user, groups)) => Identity {
                user,
                groups,
                seen: Ok(()),
            },
            None => Identity::kubeconfig(&cluster.user, "it named no user".to_string()),
        },
        Err(e) => {
            tracing::info!(error = %e, "no SelfSubjectReview");
            let why = match &e {
                kube::Error::Api(s) if s.code == 404 => {
                    "it serves no SelfSubjectReview".to_string()
                }
                kube::Error::Api(s) => format!("SelfSubjectReview: HTTP {}", s.code),
                other => format!("SelfSubjectReview: {}", super::words::cause_in_words(other)),
            };
            Identity::kubeconfig(&cluster.user, why)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_review_answer_gives_the_user_and_groups() {
        let review: SelfSubjectReview = serde_json::from_value(serde_json::json!({
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "SelfSubjectReview",
            "metadata": {"creationTimestamp": null},
            "status": {"userInfo": {
                "username": "arn:aws:sts::111122223333:assumed-role/ops/alice",
                "uid": "aws-iam-authenticator:111122223333:AROAEXAMPLE",
                "groups": ["ops", "system:authenticated"],
                "extra": {"accessKeyId": ["AKIAEXAMPLE"]}
            }}
        }))
        .unwrap();
        let (user, groups) = of_review(&review).unwrap();
        assert_eq!(user, "arn:aws:sts::111122223333:assumed-role/ops/alice");
        assert_eq!(groups, ["ops", "system:authenticated"]);
        let id = Identity {
            user,
            groups,
            seen: Ok(()),
        };
        assert_eq!(
            id.actor().as_deref(),
            Some("arn:aws:sts::111122223333:assumed-role/ops/alice")
        );
        assert_eq!(
            id.note(),
            "the API server sees you as arn:aws:sts::111122223333:assumed-role/ops/alice \
             (groups ops, system:authenticated)"
        );
        // an answer without a user names nobody
        let empty: SelfSubjectReview =
            serde_json::from_value(serde_json::json!({"status": {"userInfo": {}}})).unwrap();
        assert_eq!(of_review(&empty), None);
    }

    #[test]
    fn the_kubeconfig_entry_is_marked_as_such() {
        let id = Identity::kubeconfig("u", "it serves no SelfSubjectReview".to_string());
        assert_eq!(id.actor().as_deref(), Some("kubeconfig user u"));
        assert_eq!(
            id.note(),
            "the API server does not say who it sees (it serves no SelfSubjectReview): actions \
             are recorded as kubeconfig user u"
        );
        assert_eq!(Identity::kubeconfig("", String::new()).actor(), None);
    }
}
