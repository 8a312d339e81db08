//! `canary route TARGET --header NAME=VALUE | --header-regex NAME=REGEX | --cookie NAME |
//! --clear`: a testers' route added to the release's routing object, or the cockpit's cleared,
//! through the executor the cockpit's keys use (every write conditional on what was read). It
//! prints what it wrote; a bad rule is exit 2 before anything is read.

use crate::cli::RouteArgs;
use crate::cluster::connect;
use crate::live::executor::{self, Options};
use crate::live::release;
use crate::model::{RouteChange, RuleOwner};
use crate::provider::{self, ObjectWrite, PatchBody};
use serde_json::Value;
use std::process::ExitCode;

use super::verbs::print;
use super::{runtime, RunError};

pub fn route(args: RouteArgs) -> Result<ExitCode, RunError> {
    let change = args.change().map_err(RunError::Usage)?;
    let runtime = runtime()?;
    let (cluster, observed) = runtime.block_on(async {
        let cluster = connect(&args.connect).await?;
        let observed = release::read(&cluster, &args.target).await?;
        Ok::<_, RunError>((cluster, observed))
    })?;
    let object = &observed.route.object;
    let writes = provider::of(&observed.route).route_writes(&observed.route, &change)?;
    if writes.is_empty() {
        print(&format!("{object}: no routes of the cockpit's to clear\n"))?;
        return Ok(ExitCode::SUCCESS);
    }
    runtime.block_on(executor::route(
        &cluster,
        &observed,
        &change,
        &Options::default(),
    ))?;
    tracing::info!(target = %args.target, user = %cluster.user, %change, "route");
    let what = match &change {
        RouteChange::Add { rule } => format!("{rule} → canary"),
        RouteChange::Clear => {
            let kept: Vec<String> = observed
                .route
                .rules
                .iter()
                .filter(|r| r.owner == RuleOwner::Release)
                .map(ToString::to_string)
                .collect();
            match kept.as_slice() {
                [] => "the cockpit's routes cleared".to_string(),
                kept => format!(
                    "the cockpit's routes cleared, the release's own stay: {}",
                    kept.join(", ")
                ),
            }
        }
    };
    print(&format!("{object}: {what} ({})\n", written(&writes)))?;
    Ok(ExitCode::SUCCESS)
}

/// What the writes change, for the operator: `annotations canary-by-header,
/// canary-by-header-value`, `added to spec.rules: NAME`, `removed spec.rules[2]`.
pub fn written(writes: &[ObjectWrite]) -> String {
    let mut parts = Vec::new();
    for w in writes {
        match &w.patch {
            PatchBody::Merge(body) => parts.extend(merged(body)),
            PatchBody::Json(ops) => {
                parts.extend(ops.as_array().into_iter().flatten().filter_map(operation))
            }
        }
    }
    parts.join("; ")
}

/// The cockpit's own bookkeeping annotations are not worth telling.
fn told(key: &str) -> Option<&str> {
    if key.starts_with("canary-cockpit.io/") {
        return None;
    }
    Some(key.rsplit('/').next().unwrap_or(key))
}

fn merged(body: &Value) -> Vec<String> {
    let mut set = Vec::new();
    let mut removed = Vec::new();
    let annotations = body
        .pointer("/metadata/annotations")
        .and_then(Value::as_object);
    for (key, value) in annotations.into_iter().flatten() {
        if let Some(key) = told(key) {
            if value.is_null() {
                removed.push(key);
            } else {
                set.push(key);
            }
        }
    }
    let mut out = Vec::new();
    if !set.is_empty() {
        out.push(format!("annotations {}", set.join(", ")));
    }
    if !removed.is_empty() {
        out.push(format!("removed annotations {}", removed.join(", ")));
    }
    let mut fields = Vec::new();
    leaves(body.get("spec"), "spec".to_string(), &mut fields);
    if !fields.is_empty() {
        out.push(fields.join(", "));
    }
    out
}

/// The paths of the leaves of a merge patch's `value`.
fn leaves(value: Option<&Value>, at: String, out: &mut Vec<String>) {
    match value {
        Some(Value::Object(m)) if !m.is_empty() => {
            for (k, v) in m {
                leaves(Some(v), format!("{at}.{k}"), out);
            }
        }
        Some(_) => out.push(at),
        None => {}
    }
}

/// One JSON patch operation, in the operator's words; none for the conditions (`test`, the
/// resourceVersion).
fn operation(op: &Value) -> Option<String> {
    let path = op.get("path").and_then(Value::as_str)?;
    if path == "/metadata/resourceVersion" {
        return None;
    }
    let (parent, last) = path.rsplit_once('/')?;
    let dotted = |p: &str| {
        p.trim_start_matches('/')
            .split('/')
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect::<Vec<_>>()
            .join(".")
    };
    let place = if last.chars().all(|c| c.is_ascii_digit()) && !last.is_empty() {
        format!("{}[{last}]", dotted(parent))
    } else {
        dotted(path)
    };
    let named = op
        .pointer("/value/name")
        .and_then(Value::as_str)
        .map(|n| format!(": {n}"))
        .unwrap_or_default();
    match op.get("op").and_then(Value::as_str)? {
        "add" if last == "-" => Some(format!("added to {}{named}", dotted(parent))),
        "add" | "replace" => Some(format!("wrote {place}{named}")),
        "remove" => Some(format!("removed {place}")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::nginx::INGRESS;
    use serde_json::json;

    #[test]
    fn writes_are_told_by_the_fields_they_change() {
        let merge = ObjectWrite::merge(
            INGRESS,
            "v1",
            "shop-canary",
            json!({"metadata": {"resourceVersion": "3", "annotations": {
                "nginx.ingress.kubernetes.io/canary-by-header": "X-Canary",
                "nginx.ingress.kubernetes.io/canary-by-header-value": "always",
                "nginx.ingress.kubernetes.io/canary-by-cookie": null,
                "canary-cockpit.io/routes": "header=X-Canary"}}}),
        );
        assert_eq!(
            written(&[merge]),
            "annotations canary-by-header, canary-by-header-value; removed annotations canary-by-cookie"
        );
        let json = ObjectWrite::json(
            INGRESS,
            "v1",
            "shop",
            json!([
                {"op": "replace", "path": "/metadata/resourceVersion", "value": "3"},
                {"op": "add", "path": "/spec/rules/-", "value": {"name": "canary-cockpit-testers-a"}},
                {"op": "test", "path": "/spec/rules/1/name", "value": "x"},
                {"op": "remove", "path": "/spec/rules/1"}
            ]),
        );
        assert_eq!(
            written(&[json]),
            "added to spec.rules: canary-cockpit-testers-a; removed spec.rules[1]"
        );
    }
}
