//! `--alert flagger` against the real control plane: a Canary's `spec.analysis.alerts` and the
//! AlertProviders they name (test CRDs in tests/fixtures/crds/flagger.yaml) become alert sinks;
//! what cannot be used (a Secret the user may not read, a provider that is not there, an address
//! that is no webhook URL) is one note each, never the URL, and the rest still become sinks.

use crate::support::cluster::*;
use crate::support::{runtime, wait_until};
use canary_cockpit::alert::{Sink, SinkKind};
use canary_cockpit::cluster::{self, dynamic, Cluster};
use canary_cockpit::model::Severity;
use canary_cockpit::provider::{self, flagger, Context, Route};
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use kube::api::{DynamicObject, PostParams};
use kube::{Api, Client};
use serde_json::json;
use std::path::Path;
use std::time::Duration;

const TOKEN: &str = "s3cr3t-token";
const SECRET_URL: &str = "http://127.0.0.1:9/hooks/s3cr3t-token";
const INLINE_URL: &str = "https://discord.example/api/webhooks/1/inline-token";
/// The restricted user of `scripts/control-plane.sh`'s second kubeconfig.
pub(crate) const RESTRICTED_USER: &str = "canary-restricted";

pub(crate) fn canaries() -> kube::api::ApiResource {
    custom("flagger.app", "v1beta1", "Canary", "canaries")
}

pub(crate) fn alert_providers() -> kube::api::ApiResource {
    custom("flagger.app", "v1beta1", "AlertProvider", "alertproviders")
}

pub(crate) async fn alert_provider(client: &Client, ns: &str, name: &str, spec: serde_json::Value) {
    create_custom(
        client,
        ns,
        &alert_providers(),
        json!({"metadata": {"name": name}, "spec": spec}),
    )
    .await;
}

pub(crate) async fn secret(client: &Client, ns: &str, name: &str, data: serde_json::Value) {
    let api: Api<Secret> = Api::namespaced(client.clone(), ns);
    let secret: Secret =
        serde_json::from_value(json!({"metadata": {"name": name}, "stringData": data})).unwrap();
    api.create(&PostParams::default(), &secret)
        .await
        .expect("create secret");
}

/// A Flagger release `podinfo` (its Deployments, no pods) whose Canary has `alerts`.
pub(crate) async fn canary_with_alerts(client: &Client, ns: &str, alerts: serde_json::Value) {
    deployment(client, ns, "podinfo", ("podinfo", "v2", "podinfo:6.1"), 0).await;
    deployment(
        client,
        ns,
        "podinfo-primary",
        ("podinfo", "v1", "podinfo:6.0"),
        0,
    )
    .await;
    create_custom(
        client,
        ns,
        &canaries(),
        json!({"metadata": {"name": "podinfo"}, "spec": {
            "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
            "analysis": {"interval": "1m", "threshold": 5, "maxWeight": 50, "stepWeight": 10,
                "alerts": alerts}}}),
    )
    .await;
}

/// Two namespaces: the release's, with the Slack provider `on-call` whose URL is in the Secret
/// `slack-url`, and `ops`, with the Discord provider `chat` whose URL is inline. The Canary has
/// three alerts: `chat` at warn and again at error, `on-call` without a severity.
async fn two_providers(client: &Client, prefix: &str) -> (String, String) {
    let ns = namespace(client, prefix).await;
    let ops = namespace(client, &format!("{prefix}-ops")).await;
    alert_provider(
        client,
        &ops,
        "chat",
        json!({"type": "discord", "address": INLINE_URL}),
    )
    .await;
    secret(client, &ns, "slack-url", json!({"address": SECRET_URL})).await;
    alert_provider(
        client,
        &ns,
        "on-call",
        json!({"type": "slack", "channel": "#releases", "username": "canary-bot",
               "secretRef": {"name": "slack-url"}}),
    )
    .await;
    canary_with_alerts(
        client,
        &ns,
        json!([
            {"name": "chat", "severity": "warn", "providerRef": {"name": "chat", "namespace": ops}},
            {"name": "on-call", "providerRef": {"name": "on-call"}},
            {"name": "chat-errors", "severity": "error",
             "providerRef": {"name": "chat", "namespace": ops}}
        ]),
    )
    .await;
    (ns, ops)
}

/// The Canary's route as the user of `kubeconfig` reads it: the Canary alone, no Deployments.
async fn canary_route(kubeconfig: &Path, ns: &str) -> (Cluster, Route) {
    let cluster = cluster::connect(&connect_args(kubeconfig, ns))
        .await
        .expect("connect to the control plane");
    let (obj, _) = dynamic::get(&cluster, flagger::CANARY, "podinfo")
        .await
        .expect("the user reads the Canary");
    let route = flagger::route(&obj, &Context::of(ns)).expect("the Canary's route");
    (cluster, route)
}

/// Lets the restricted user get and list `resources` of flagger.app in `ns`.
pub(crate) async fn grant_flagger(client: &Client, ns: &str, resources: &[&str]) {
    let role: Role = serde_json::from_value(json!({
        "metadata": {"name": "flagger-reader"},
        "rules": [{"apiGroups": ["flagger.app"], "resources": resources,
                   "verbs": ["get", "list", "watch"]}]
    }))
    .unwrap();
    Api::<Role>::namespaced(client.clone(), ns)
        .create(&PostParams::default(), &role)
        .await
        .expect("create role");
    let binding: RoleBinding = serde_json::from_value(json!({
        "metadata": {"name": "flagger-reader"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "flagger-reader"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": RESTRICTED_USER}]
    }))
    .unwrap();
    Api::<RoleBinding>::namespaced(client.clone(), ns)
        .create(&PostParams::default(), &binding)
        .await
        .expect("create role binding");
}

/// Waits until the restricted user may list AlertProviders in `ns` (RBAC takes a moment).
pub(crate) async fn until_granted(restricted: &Client, ns: &str) {
    let api: Api<DynamicObject> = Api::namespaced_with(restricted.clone(), ns, &alert_providers());
    wait_until(
        &format!("the restricted user may list alertproviders in {ns}"),
        Duration::from_secs(10),
        || async { api.list(&Default::default()).await.map(drop) },
    )
    .await;
}

fn by_name<'a>(sinks: &'a [Sink], name: &str) -> &'a Sink {
    sinks
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no sink {name} in {sinks:?}"))
}

#[test]
fn a_canarys_alert_providers_become_sinks() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let (ns, ops) = rt.block_on(two_providers(&client, "alerts"));
    // the test CRD keeps the alerts, as Flagger's does
    let stored = rt.block_on(custom_field(
        &client,
        &ns,
        &canaries(),
        "podinfo",
        &["spec", "analysis", "alerts"],
    ));
    assert_eq!(stored.as_array().map(Vec::len), Some(3), "{stored}");

    let (cluster, seen) = rt.block_on(read_release(&cp.kubeconfig, &ns, "canary/podinfo"));
    let (sinks, notes) = rt.block_on(provider::of(&seen.route).alert_sinks(&cluster, &seen.route));
    assert!(notes.is_empty(), "{notes:?}");
    assert_eq!(sinks.len(), 2, "{sinks:?}");

    let chat = by_name(&sinks, &format!("flagger/{ops}/chat"));
    assert_eq!(chat.kind, SinkKind::Discord);
    assert_eq!(chat.url.expose(), INLINE_URL);
    // the lower of the two alerts' severities
    assert_eq!(chat.min_severity, Severity::Warn);
    assert_eq!(
        (chat.channel.as_deref(), chat.username.as_deref()),
        (None, None)
    );

    let on_call = by_name(&sinks, &format!("flagger/{ns}/on-call"));
    assert_eq!(on_call.kind, SinkKind::Slack);
    assert_eq!(on_call.url.expose(), SECRET_URL);
    assert_eq!(on_call.min_severity, Severity::Info);
    assert_eq!(on_call.channel.as_deref(), Some("#releases"));
    assert_eq!(on_call.username.as_deref(), Some("canary-bot"));
    assert!(!format!("{sinks:?}").contains(TOKEN), "{sinks:?}");
}

#[test]
fn a_user_who_may_not_read_secrets_gets_one_note_and_the_other_sinks() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let (ns, ops) = rt.block_on(two_providers(&client, "alerts-rbac"));
    rt.block_on(async {
        grant_flagger(&client, &ns, &["canaries", "alertproviders"]).await;
        grant_flagger(&client, &ops, &["alertproviders"]).await;
        let restricted = crate::support::cluster::client(&cp.restricted_kubeconfig).await;
        until_granted(&restricted, &ns).await;
        until_granted(&restricted, &ops).await;
    });

    let (cluster, route) = rt.block_on(canary_route(&cp.restricted_kubeconfig, &ns));
    let (sinks, notes) = rt.block_on(provider::of(&route).alert_sinks(&cluster, &route));
    assert_eq!(sinks.len(), 1, "{sinks:?}");
    assert_eq!(sinks[0].name, format!("flagger/{ops}/chat"));
    assert_eq!(sinks[0].url.expose(), INLINE_URL);
    assert_eq!(notes.len(), 1, "{notes:?}");
    let note = &notes[0];
    for part in [
        format!("alert provider {ns}/on-call"),
        format!("Secret {ns}/slack-url"),
        format!("forbidden: {RESTRICTED_USER} may not get secrets in namespace {ns}"),
        "its alerts are not sent".to_string(),
    ] {
        assert!(note.contains(&part), "{part:?} not in {note}");
    }
    for secret in [TOKEN, SECRET_URL, "127.0.0.1:9", "/hooks/"] {
        assert!(!note.contains(secret), "{secret:?} in {note}");
    }
}

#[test]
fn providers_that_cannot_be_used_are_one_note_each() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(namespace(&client, "alerts-bad"));

    // Flagger's CRD admits only the types the cockpit speaks: a PagerDuty provider is refused by
    // the API server, so no cluster holds one (the cockpit's note for it is a unit test)
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), &ns, &alert_providers());
    let pager: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "flagger.app/v1beta1", "kind": "AlertProvider",
        "metadata": {"name": "pager"}, "spec": {"type": "pagerduty", "address": "https://x/"}
    }))
    .unwrap();
    let refused = rt.block_on(api.create(&PostParams::default(), &pager));
    assert!(
        matches!(&refused, Err(kube::Error::Api(s)) if s.code == 422 && s.message.contains("pagerduty")),
        "{refused:?}"
    );

    rt.block_on(async {
        secret(&client, &ns, "token-only", json!({"token": TOKEN})).await;
        alert_provider(
            &client,
            &ns,
            "keyless",
            json!({"type": "slack", "secretRef": {"name": "token-only"}}),
        )
        .await;
        alert_provider(
            &client,
            &ns,
            "lost",
            json!({"type": "msteams", "secretRef": {"name": "no-such-secret"}}),
        )
        .await;
        alert_provider(
            &client,
            &ns,
            "ftp",
            json!({"type": "gchat", "address": "ftp://chat.example/s3cr3t-token"}),
        )
        .await;
        alert_provider(
            &client,
            &ns,
            "rocket",
            json!({"type": "rocket", "address": "https://rocket.example/hooks/x", "channel": "ops"}),
        )
        .await;
        let alert = |name: &str| json!({"name": name, "providerRef": {"name": name}});
        canary_with_alerts(
            &client,
            &ns,
            json!([
                alert("gone"),
                alert("keyless"),
                alert("lost"),
                alert("ftp"),
                alert("rocket")
            ]),
        )
        .await;
    });

    let (cluster, seen) = rt.block_on(read_release(&cp.kubeconfig, &ns, "canary/podinfo"));
    let (sinks, notes) = rt.block_on(provider::of(&seen.route).alert_sinks(&cluster, &seen.route));
    assert_eq!(sinks.len(), 1, "{sinks:?}");
    assert_eq!(sinks[0].name, format!("flagger/{ns}/rocket"));
    assert_eq!(sinks[0].kind, SinkKind::Rocket);
    assert_eq!(sinks[0].channel.as_deref(), Some("ops"));
    let expected = [
        format!("alert provider {ns}/gone: no such AlertProvider in namespace {ns}"),
        format!("alert provider {ns}/keyless: Secret {ns}/token-only has no key address"),
        format!("alert provider {ns}/lost: cannot read Secret {ns}/no-such-secret (not found)"),
        format!("alert provider {ns}/ftp: its spec.address is not an http(s) webhook URL"),
    ];
    assert_eq!(notes.len(), expected.len(), "{notes:?}");
    for (note, start) in notes.iter().zip(&expected) {
        assert!(
            note.starts_with(start.as_str()),
            "{note:?} is not {start:?}…"
        );
        assert!(note.ends_with("its alerts are not sent"), "{note}");
        assert!(!note.contains(TOKEN), "{note}");
    }
}

#[test]
fn a_release_that_is_not_a_flagger_canary_gets_one_note() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(shop(&client, "alerts-nginx", "10", &[]));
    let (cluster, seen) = rt.block_on(read_release(&cp.kubeconfig, &ns, "ingress/shop"));
    let (sinks, notes) = rt.block_on(provider::of(&seen.route).alert_sinks(&cluster, &seen.route));
    assert!(sinks.is_empty(), "{sinks:?}");
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].contains("ingress/shop-canary is not a Flagger canary")
            && notes[0].contains("no AlertProviders"),
        "{}",
        notes[0]
    );
}
