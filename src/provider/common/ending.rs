//! The write that ends a release the cockpit drives: the final weight, the outcome, what the
//! layout records (a take-over's annotations), and the end of the cockpit's own testers' routes.
//! Testers' routes end with the canary: a route that sends testers to a version that is about to
//! be scaled to 0 would send them to nothing. The system's own writes are used (its weight writes
//! and its `RouteChange::Clear`), fused into one conditional write where both patch the same
//! object the same way; otherwise the testers' routes go in a second write, conditional on what
//! the first stored. The release's own rules stay.

use crate::cluster::{Cluster, ClusterError};
use crate::model::{RouteChange, RouteRule, RuleOwner, Weight};
use serde_json::{json, Map, Value};

use super::route::{Ended, ObjectWrite, PatchBody, Route};
use super::write::apply;

/// What the final write did.
#[derive(Clone, Debug)]
pub struct Ending {
    /// The route as the server stored it.
    pub route: Route,
    /// The cockpit's testers' routes it removed.
    pub removed: Vec<RouteRule>,
    /// Why the cockpit's testers' routes stayed, when they could not be removed.
    pub kept: Option<String>,
}

impl Ending {
    /// The line for the event log about the testers' routes, when there were any of the
    /// cockpit's: `testers' routes removed: header x-canary=always`.
    pub fn routes_note(&self) -> Option<String> {
        if !self.removed.is_empty() {
            let rules: Vec<String> = self.removed.iter().map(RouteRule::describe).collect();
            return Some(format!("testers' routes removed: {}", rules.join(", ")));
        }
        self.kept
            .as_ref()
            .map(|why| format!("testers' routes kept: {why}"))
    }
}

/// An annotation to set (`Some`) or remove (`None`) in the final write.
pub type Annotation = (&'static str, Option<String>);

/// Gives the canary `weight` percent and records `ended`, with `annotations` set or removed on
/// the routing object and the cockpit's testers' routes removed, conditional on `seen`.
pub async fn finish(
    cluster: &Cluster,
    seen: &Route,
    weight: Weight,
    ended: Ended,
    annotations: &[Annotation],
) -> Result<Ending, ClusterError> {
    let system = crate::provider::of(seen);
    let mut writes = system.weight_writes(seen, weight, Some(ended))?;
    annotate(&mut writes, seen, annotations)?;
    let own: Vec<RouteRule> = seen
        .rules
        .iter()
        .filter(|r| r.owner == RuleOwner::Cockpit)
        .cloned()
        .collect();
    let done = |route: Route, kept: Option<String>| {
        let removed = own
            .iter()
            .filter(|r| !route.rules.contains(r))
            .cloned()
            .collect();
        Ending {
            route,
            removed,
            kept,
        }
    };
    if own.is_empty() {
        return Ok(done(apply(cluster, seen, writes).await?, None));
    }
    let clear = match system.route_writes(seen, &RouteChange::Clear) {
        Ok(clear) => clear,
        Err(e) => {
            let route = apply(cluster, seen, writes).await?;
            return Ok(done(route, Some(e.to_string())));
        }
    };
    match fuse(writes, clear) {
        Ok(one) => Ok(done(apply(cluster, seen, one).await?, None)),
        Err(writes) => {
            // the release has ended with the first write; the routes follow on what it stored
            let route = apply(cluster, seen, writes).await?;
            let second = match system.route_writes(&route, &RouteChange::Clear) {
                Ok(clear) => apply(cluster, &route, clear).await,
                Err(e) => Err(e),
            };
            match second {
                Ok(cleared) => Ok(done(cleared, None)),
                Err(e) => Ok(done(route, Some(e.to_string()))),
            }
        }
    }
}

/// JSON pointer escaping of one path segment.
fn pointer(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// Adds `annotations` (set, or removed where `seen` has them) to the last of `writes`: the write
/// to the routing object that carries the weight.
pub fn annotate(
    writes: &mut [ObjectWrite],
    seen: &Route,
    annotations: &[Annotation],
) -> Result<(), ClusterError> {
    if annotations.is_empty() {
        return Ok(());
    }
    let Some(last) = writes.last_mut() else {
        return Err(ClusterError::Refused(format!(
            "{}: the weight is not written on the routing object, so the cockpit cannot record \
             how the release ended there",
            seen.object
        )));
    };
    match &mut last.patch {
        PatchBody::Json(Value::Array(ops)) => {
            let has_map = !seen.annotations.is_empty()
                || ops.iter().any(|o| o["path"] == "/metadata/annotations");
            if !has_map && annotations.iter().any(|(_, v)| v.is_some()) {
                ops.push(json!({"op": "add", "path": "/metadata/annotations", "value": {}}));
            }
            for (key, value) in annotations {
                let path = format!("/metadata/annotations/{}", pointer(key));
                match value {
                    Some(v) => ops.push(json!({"op": "add", "path": path, "value": v})),
                    None if seen.annotations.contains_key(*key) => {
                        ops.push(json!({"op": "remove", "path": path}));
                    }
                    None => {}
                }
            }
            Ok(())
        }
        PatchBody::Merge(body) => {
            let wanted: Map<String, Value> = annotations
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone().map_or(Value::Null, Value::String)))
                .collect();
            let patch = json!({"metadata": {"annotations": wanted}});
            if merge(body, patch) {
                Ok(())
            } else {
                Err(unrecordable(seen))
            }
        }
        PatchBody::Json(_) => Err(unrecordable(seen)),
    }
}

fn unrecordable(seen: &Route) -> ClusterError {
    ClusterError::Refused(format!(
        "{}: the weight's write has a shape the cockpit cannot add its annotations to",
        seen.object
    ))
}

/// Merges the merge patch `more` into `into`: `false` (and `into` partly merged) when they set
/// one field to different values.
fn merge(into: &mut Value, more: Value) -> bool {
    match (into, more) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                match a.get_mut(&k) {
                    Some(old) if old.is_object() && v.is_object() => {
                        if !merge(old, v) {
                            return false;
                        }
                    }
                    Some(old) => {
                        if *old != v {
                            return false;
                        }
                    }
                    None => {
                        a.insert(k, v);
                    }
                }
            }
            true
        }
        (a, b) => *a == b,
    }
}

/// `writes` and `more` as one write, when each is one patch of the same object of the same kind
/// (JSON patches: `more`'s operations after `writes`' own, on the same resourceVersion; merge
/// patches: merged); else `writes` back, to go first.
pub fn fuse(
    writes: Vec<ObjectWrite>,
    more: Vec<ObjectWrite>,
) -> Result<Vec<ObjectWrite>, Vec<ObjectWrite>> {
    if more.is_empty() {
        return Ok(writes);
    }
    let (Some(first), [other]) = (writes.first(), more.as_slice()) else {
        return Err(writes);
    };
    let same = writes.len() == 1
        && (
            first.resource.plural,
            first.version,
            &first.name,
            first.status,
        ) == (
            other.resource.plural,
            other.version,
            &other.name,
            other.status,
        );
    if !same {
        return Err(writes);
    }
    let mut patch = first.patch.clone();
    let fused = match (&mut patch, &other.patch) {
        (PatchBody::Json(Value::Array(ops)), PatchBody::Json(Value::Array(theirs))) => {
            let mut ok = true;
            for op in theirs {
                let condition = op["op"] == "replace" && op["path"] == "/metadata/resourceVersion";
                if !condition {
                    ops.push(op.clone());
                } else if !ops.contains(op) {
                    ok = false;
                }
            }
            ok
        }
        (PatchBody::Merge(body), PatchBody::Merge(theirs)) => merge(body, theirs.clone()),
        _ => false,
    };
    if !fused {
        return Err(writes);
    }
    Ok(vec![ObjectWrite {
        patch,
        ..first.clone()
    }])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::istio::VIRTUAL_SERVICE;
    use crate::provider::nginx::INGRESS;

    fn json_write(name: &str, ops: Value) -> ObjectWrite {
        ObjectWrite::json(VIRTUAL_SERVICE, "v1", name, ops)
    }

    fn ops(w: &[ObjectWrite]) -> &Vec<Value> {
        match &w[0].patch {
            PatchBody::Json(Value::Array(ops)) => ops,
            other => panic!("not a JSON patch: {other:?}"),
        }
    }

    #[test]
    fn json_patches_of_one_object_fuse_weights_first_on_one_resource_version() {
        let rv = json!({"op": "replace", "path": "/metadata/resourceVersion", "value": "7"});
        let weights = json_write(
            "reviews",
            json!([rv, {"op": "add", "path": "/spec/http/1/route/0/weight", "value": 0}]),
        );
        let clear = json_write(
            "reviews",
            json!([rv, {"op": "remove", "path": "/spec/http/0"}]),
        );
        let one = fuse(vec![weights.clone()], vec![clear.clone()]).unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(
            ops(&one)
                .iter()
                .map(|o| o["path"].clone())
                .collect::<Vec<_>>(),
            [
                "/metadata/resourceVersion",
                "/spec/http/1/route/0/weight",
                "/spec/http/0"
            ]
        );
        // another resourceVersion, another object, another kind of patch: apart
        let stale = json_write(
            "reviews",
            json!([{"op": "replace", "path": "/metadata/resourceVersion", "value": "6"}]),
        );
        assert_eq!(
            fuse(vec![weights.clone()], vec![stale]),
            Err(vec![weights.clone()])
        );
        let other = json_write("ratings", json!([rv]));
        assert_eq!(
            fuse(vec![weights.clone()], vec![other]),
            Err(vec![weights.clone()])
        );
        let merge = ObjectWrite::merge(VIRTUAL_SERVICE, "v1", "reviews", json!({}));
        assert_eq!(
            fuse(vec![weights.clone()], vec![merge]),
            Err(vec![weights.clone()])
        );
        // nothing to clear: the weights alone
        assert_eq!(fuse(vec![weights.clone()], Vec::new()), Ok(vec![weights]));
    }

    #[test]
    fn merge_patches_fuse_unless_they_disagree() {
        let weight = ObjectWrite::merge(
            INGRESS,
            "v1",
            "shop-canary",
            json!({"metadata": {"resourceVersion": "9", "annotations": {"w": "0"}}}),
        );
        let clear = ObjectWrite::merge(
            INGRESS,
            "v1",
            "shop-canary",
            json!({"metadata": {"resourceVersion": "9", "annotations": {"h": null}}}),
        );
        let one = fuse(vec![weight.clone()], vec![clear]).unwrap();
        assert_eq!(
            one[0].patch,
            PatchBody::Merge(
                json!({"metadata": {"resourceVersion": "9", "annotations": {"w": "0", "h": null}}})
            )
        );
        let disagree = ObjectWrite::merge(
            INGRESS,
            "v1",
            "shop-canary",
            json!({"metadata": {"resourceVersion": "9", "annotations": {"w": "5"}}}),
        );
        assert_eq!(
            fuse(vec![weight.clone()], vec![disagree]),
            Err(vec![weight])
        );
    }

    fn route(annotations: &[(&str, &str)]) -> Route {
        super::super::fixture::route(annotations, ["v1", "v2"], 0)
    }

    #[test]
    fn annotations_are_set_and_removed_in_the_weights_write() {
        let set = [("a/b", Some("v2".to_string())), ("gone", None)];
        // no annotations yet: the map first, and nothing to remove
        let mut w = vec![json_write("reviews", json!([]))];
        annotate(&mut w, &route(&[]), &set).unwrap();
        assert_eq!(
            ops(&w),
            &vec![
                json!({"op": "add", "path": "/metadata/annotations", "value": {}}),
                json!({"op": "add", "path": "/metadata/annotations/a~1b", "value": "v2"}),
            ]
        );
        let mut w = vec![json_write("reviews", json!([]))];
        annotate(&mut w, &route(&[("gone", "x")]), &set).unwrap();
        assert_eq!(
            ops(&w),
            &vec![
                json!({"op": "add", "path": "/metadata/annotations/a~1b", "value": "v2"}),
                json!({"op": "remove", "path": "/metadata/annotations/gone"}),
            ]
        );
        let mut w = vec![ObjectWrite::merge(
            INGRESS,
            "v1",
            "shop-canary",
            json!({"metadata": {"annotations": {"w": "0"}}}),
        )];
        annotate(&mut w, &route(&[]), &set).unwrap();
        assert_eq!(
            w[0].patch,
            PatchBody::Merge(
                json!({"metadata": {"annotations": {"w": "0", "a/b": "v2", "gone": null}}})
            )
        );
        assert!(annotate(&mut [], &route(&[]), &set).is_err());
    }

    #[test]
    fn the_log_names_the_removed_routes_or_why_they_stayed() {
        let ending = Ending {
            route: route(&[]),
            removed: vec![
                RouteRule::header("x-canary", "always", crate::model::RuleMatch::Exact),
                RouteRule::cookie("beta"),
            ],
            kept: None,
        };
        assert_eq!(
            ending.routes_note().as_deref(),
            Some("testers' routes removed: header x-canary=always, cookie beta")
        );
        let kept = Ending {
            removed: Vec::new(),
            kept: Some("refused".to_string()),
            ..ending
        };
        assert_eq!(
            kept.routes_note().as_deref(),
            Some("testers' routes kept: refused")
        );
    }
}
