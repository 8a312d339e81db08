//! Keel's approvals as its HTTP API gives them (`GET /v1/approvals`): plain data, in Keel's own
//! field names, and what the cockpit says of them.

use serde::{Deserialize, Serialize};

/// One approval Keel waits for before it updates a workload.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Approval {
    pub id: String,
    /// `deployment/NAMESPACE/NAME:VERSION`.
    pub identifier: String,
    /// `kubernetes`, `helm`.
    pub provider: String,
    pub current_version: String,
    pub new_version: String,
    pub votes_required: u32,
    pub votes_received: u32,
    /// Who voted (Keel gives `null` before the first vote).
    #[serde(deserialize_with = "null_as_empty")]
    pub voters: Vec<String>,
    pub rejected: bool,
    pub archived: bool,
    /// When the approval expires, as Keel writes it (RFC 3339).
    pub deadline: String,
    pub message: String,
}

/// An answer to an approval.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Vote {
    Approve,
    Reject,
}

impl Vote {
    /// The `action` of Keel's `POST /v1/approvals`.
    pub fn action(self) -> &'static str {
        match self {
            Vote::Approve => "approve",
            Vote::Reject => "reject",
        }
    }

    /// `approved`, `rejected`.
    pub fn done(self) -> &'static str {
        match self {
            Vote::Approve => "approved",
            Vote::Reject => "rejected",
        }
    }
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<String>>::deserialize(d)?.unwrap_or_default())
}

impl Approval {
    /// Still waiting for votes: neither archived nor rejected, nor fully approved.
    pub fn pending(&self) -> bool {
        !self.archived && !self.rejected && self.votes_received < self.votes_required
    }

    /// The workload it updates, `(kind, namespace, name)`, from its identifier.
    pub fn workload(&self) -> Option<(&str, &str, &str)> {
        let (path, _version) = self.identifier.rsplit_once(':')?;
        let mut parts = path.splitn(3, '/');
        Some((parts.next()?, parts.next()?, parts.next()?))
    }

    /// Whether it updates Deployment `name` of `namespace`.
    pub fn updates(&self, namespace: &str, name: &str) -> bool {
        self.workload()
            .is_some_and(|(kind, ns, n)| kind == "deployment" && ns == namespace && n == name)
    }

    /// The deadline's time of day as Keel wrote it (`14:00`), else the deadline whole.
    pub fn deadline_time(&self) -> String {
        let d = &self.deadline;
        let time = d.get(11..16).filter(|t| {
            d.as_bytes().get(10) == Some(&b'T')
                && t.as_bytes().get(2) == Some(&b':')
                && t.chars().filter(char::is_ascii_digit).count() == 4
        });
        time.map_or_else(|| d.clone(), str::to_string)
    }

    /// `Keel: 1/2 approvals for 1.5.0, deadline 14:00` (`rejected` instead of the deadline once
    /// rejected).
    pub fn line(&self) -> String {
        let end = if self.rejected {
            "rejected".to_string()
        } else {
            format!("deadline {}", self.deadline_time())
        };
        format!(
            "Keel: {}/{} approvals for {}, {end}",
            self.votes_received, self.votes_required, self.new_version
        )
    }

    /// `1.4.2 → 1.5.0 · 1/2 votes (alice) · deadline 14:00`, for lists.
    pub fn describe(&self) -> String {
        let voters = if self.voters.is_empty() {
            String::new()
        } else {
            format!(" ({})", self.voters.join(", "))
        };
        let state = match (self.rejected, self.archived) {
            (true, _) => " · rejected".to_string(),
            (false, true) => " · archived".to_string(),
            _ => format!(" · deadline {}", self.deadline_time()),
        };
        format!(
            "{} → {} · {}/{} votes{voters}{state}",
            self.current_version, self.new_version, self.votes_received, self.votes_required
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn approval() -> Approval {
        serde_json::from_value(serde_json::json!({
            "id": "a1", "identifier": "deployment/shop/frontend:1.5.0", "provider": "kubernetes",
            "currentVersion": "1.4.2", "newVersion": "1.5.0", "votesRequired": 2,
            "votesReceived": 1, "voters": ["alice"], "rejected": false, "archived": false,
            "deadline": "2026-12-08T14:00:00Z", "message": "new version", "digest": "sha256:ab"
        }))
        .unwrap()
    }

    #[test]
    fn the_gauge_line_and_the_workload() {
        let a = approval();
        assert_eq!(a.line(), "Keel: 1/2 approvals for 1.5.0, deadline 14:00");
        assert_eq!(a.workload(), Some(("deployment", "shop", "frontend")));
        assert!(a.updates("shop", "frontend") && !a.updates("shop", "front"));
        assert!(a.pending());
        assert_eq!(
            a.describe(),
            "1.4.2 → 1.5.0 · 1/2 votes (alice) · deadline 14:00"
        );
    }

    #[test]
    fn null_voters_and_an_odd_deadline() {
        let a: Approval = serde_json::from_value(serde_json::json!({
            "identifier": "deployment/x/y:2", "voters": null, "deadline": "soon"
        }))
        .unwrap();
        assert!(a.voters.is_empty());
        assert_eq!(a.deadline_time(), "soon");
    }
}
