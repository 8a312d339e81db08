//! A reference to a Service as Gateway API backendRefs and Traefik weighted services write it.

use super::{Backend, SplitError};

/// A reference to a Service as a Gateway API backendRef or a Traefik weighted service writes it.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ServiceRef {
    pub name: String,
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub weight: Option<i64>,
}

impl ServiceRef {
    /// The backend this reference is: at `at` in `object` (for messages), its weight at the JSON
    /// pointer `pointer`, an unset weight weighing 1. Refused unless it is a Service of
    /// `namespace`: the cockpit reads pods through the Services of the release's namespace.
    pub fn backend(
        &self,
        object: &str,
        at: &str,
        pointer: String,
        namespace: &str,
    ) -> Result<Backend, SplitError> {
        let malformed = |what: String| SplitError::Malformed {
            object: object.to_string(),
            what,
        };
        let group = self.group.as_deref().unwrap_or_default();
        let kind = self.kind.as_deref().unwrap_or("Service");
        if !group.is_empty() || kind != "Service" {
            return Err(malformed(format!(
                "{at} is not a Service ({group}/{kind}): the cockpit reads pods through Services"
            )));
        }
        if let Some(ns) = self.namespace.as_deref().filter(|ns| *ns != namespace) {
            return Err(malformed(format!(
                "{at} is in namespace {ns}: the cockpit reads pods of the release's own namespace only"
            )));
        }
        let (weight, unreadable) = super::weight_of(self.weight, 1);
        Ok(Backend {
            service: self.name.clone(),
            subset: None,
            weight_path: pointer,
            weight,
            unreadable,
        })
    }
}
