//! The lists a release's first read made, kept for its watches to start from: the watches begin
//! at those lists' resourceVersions with their objects, so a release opened in the cockpit is
//! listed once, not once to show it and again to watch it. Kept only between [`Reads::arm`] (the
//! read begins) and [`Reads::disarm`] (the watches took what they follow); reads at other times
//! (a verb's, an action's re-read) keep nothing.

use k8s_openapi::api::core::v1::Service;
use kube::api::DynamicObject;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::listing::{Listed, Query};
use super::pods::PodRow;

#[derive(Clone, Default)]
pub struct Reads(Arc<Mutex<Journal>>);

#[derive(Default)]
struct Journal {
    armed: bool,
    objects: Vec<(Query, Listed<DynamicObject>)>,
    pods: Vec<(Query, Listed<PodRow>)>,
    /// The namespace's Services, for the Prometheus discovery that follows the read.
    services: Option<Vec<Service>>,
}

impl Reads {
    fn journal(&self) -> MutexGuard<'_, Journal> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A release's first read begins: keep its lists from now on.
    pub fn arm(&self) {
        let mut j = self.journal();
        *j = Journal::default();
        j.armed = true;
    }

    /// The watches started: keep nothing more, and drop what they did not take. (The Services
    /// go to the Prometheus discovery, which runs before the watches start.)
    pub fn disarm(&self) {
        *self.journal() = Journal::default();
    }

    pub fn armed(&self) -> bool {
        self.journal().armed
    }

    /// Keeps the objects a list of `query` read (a copy: the read goes on with its own).
    pub fn keep_objects(&self, query: &Query, listed: &Listed<DynamicObject>) {
        let mut j = self.journal();
        if j.armed {
            j.objects.retain(|(q, _)| q != query);
            let copy = Listed {
                items: listed.items.clone(),
                version: listed.version.clone(),
            };
            j.objects.push((query.clone(), copy));
        }
    }

    pub fn keep_pods(&self, query: &Query, listed: Listed<PodRow>) {
        let mut j = self.journal();
        if j.armed {
            j.pods.retain(|(q, _)| q != query);
            j.pods.push((query.clone(), listed));
        }
    }

    pub fn keep_services(&self, services: &[Service]) {
        let mut j = self.journal();
        if j.armed {
            j.services = Some(services.to_vec());
        }
    }

    pub fn take_services(&self) -> Option<Vec<Service>> {
        self.journal().services.take()
    }

    pub fn take_objects(&self, query: &Query) -> Option<Listed<DynamicObject>> {
        let mut j = self.journal();
        let i = j.objects.iter().position(|(q, _)| q == query)?;
        Some(j.objects.swap_remove(i).1)
    }

    pub fn take_pods(&self, query: &Query) -> Option<Listed<PodRow>> {
        let mut j = self.journal();
        let i = j.pods.iter().position(|(q, _)| q == query)?;
        Some(j.pods.swap_remove(i).1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(labels: &str) -> Query {
        Query {
            path: "/api/v1/namespaces/shop/pods".to_string(),
            labels: Some(labels.to_string()),
            fields: None,
        }
    }

    fn listed(version: &str) -> Listed<PodRow> {
        Listed {
            items: Vec::new(),
            version: version.to_string(),
        }
    }

    #[test]
    fn lists_are_kept_only_while_armed_and_taken_once() {
        let reads = Reads::default();
        reads.keep_pods(&q("app=shop"), listed("1"));
        assert!(reads.take_pods(&q("app=shop")).is_none(), "not armed");
        reads.arm();
        reads.keep_pods(&q("app=shop"), listed("2"));
        reads.keep_pods(&q("app=shop"), listed("3"));
        assert!(reads.take_pods(&q("app=other")).is_none(), "another query");
        let taken = reads.take_pods(&q("app=shop")).map(|l| l.version);
        assert_eq!(taken.as_deref(), Some("3"), "the latest list of the query");
        assert!(reads.take_pods(&q("app=shop")).is_none(), "taken once");
        reads.keep_pods(&q("app=shop"), listed("4"));
        reads.disarm();
        assert!(!reads.armed());
        assert!(
            reads.take_pods(&q("app=shop")).is_none(),
            "dropped on disarm"
        );
    }
}
