//! The real control plane for tests: etcd, kube-apiserver and kube-controller-manager started by
//! `scripts/control-plane.sh` (which `./scripts/test.sh` runs). Each test works in a namespace of
//! its own. There is no kubelet: tests play it by patching pod status.

use canary_cockpit::app::{App, AppConfig, Effect, Event};
use canary_cockpit::cli::{ConnectArgs, MetricsArgs};
use canary_cockpit::cluster::{self, Cluster};
use canary_cockpit::live::release::{self, Observed};
use canary_cockpit::live::{executor, metrics_setup, watch};
use canary_cockpit::metrics::Queries;
use canary_cockpit::model::Target;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Namespace, Pod, Service, ServiceAccount};
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::{Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Api, Client, Config};
use serde_json::json;
use std::path::{Path, PathBuf};
use tokio::sync::mpsc;

pub const WEIGHT: &str = "nginx.ingress.kubernetes.io/canary-weight";
pub const CANARY: &str = "nginx.ingress.kubernetes.io/canary";

/// Paths and names written by `scripts/control-plane.sh start`.
pub struct ControlPlane {
    pub kubeconfig: PathBuf,
    pub restricted_kubeconfig: PathBuf,
}

/// The running control plane, or a panic that says how to get one: tests that need it fail, they
/// are never skipped.
pub fn control_plane() -> ControlPlane {
    let var = |name: &str| {
        std::env::var_os(name)
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                panic!(
                "{name} is not set: these tests need the real control plane. Run ./scripts/test.sh \
                 (it builds and starts one), or `eval $(scripts/control-plane.sh start DIR)` \
                 and source DIR/env"
            )
            })
    };
    ControlPlane {
        kubeconfig: var("CANARY_TEST_KUBECONFIG"),
        restricted_kubeconfig: var("CANARY_TEST_KUBECONFIG_RESTRICTED"),
    }
}

pub async fn client(kubeconfig: &Path) -> Client {
    let config = Kubeconfig::read_from(kubeconfig).expect("read the test kubeconfig");
    let config = Config::from_custom_kubeconfig(config, &KubeConfigOptions::default())
        .await
        .expect("a client config");
    Client::try_from(config).expect("a client")
}

/// A fresh namespace with its default ServiceAccount (pods need it to be admitted).
pub async fn namespace(client: &Client, prefix: &str) -> String {
    let name = format!("{prefix}-{}-{}", std::process::id(), unique());
    let api: Api<Namespace> = Api::all(client.clone());
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": name}})).unwrap();
    api.create(&PostParams::default(), &ns)
        .await
        .expect("create namespace");
    let sa: Api<ServiceAccount> = Api::namespaced(client.clone(), &name);
    let default: ServiceAccount =
        serde_json::from_value(json!({"metadata": {"name": "default"}})).unwrap();
    // the controller-manager may have made it already
    let _ = sa.create(&PostParams::default(), &default).await;
    name
}

fn unique() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// A Service selecting the pods of `app`/`version`.
pub async fn service(client: &Client, ns: &str, name: &str, app: &str, version: &str) {
    service_selecting(client, ns, name, json!({"app": app, "version": version})).await;
}

/// A pod of `app`/`version` running `image`, then made Running (and Ready when `ready`) through
/// the status subresource, as a kubelet would.
pub async fn running_pod(
    client: &Client,
    ns: &str,
    name: &str,
    (app, version, image): (&str, &str, &str),
    ready: bool,
    restarts: i32,
) {
    let api: Api<Pod> = Api::namespaced(client.clone(), ns);
    let pod: Pod = serde_json::from_value(json!({
        "metadata": {"name": name, "labels": {"app": app, "version": version}},
        "spec": {"automountServiceAccountToken": false,
                 "containers": [{"name": "app", "image": image}]}
    }))
    .unwrap();
    api.create(&PostParams::default(), &pod)
        .await
        .expect("create pod");
    let status = json!({"status": {
        "phase": "Running",
        "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}],
        "containerStatuses": [{"name": "app", "image": image, "imageID": "", "ready": ready,
            "restartCount": restarts, "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}}]
    }});
    api.patch_status(name, &PatchParams::default(), &Patch::Merge(&status))
        .await
        .expect("patch pod status");
}

/// An Ingress for `host` to `service`, with `annotations`.
pub async fn ingress(
    client: &Client,
    ns: &str,
    name: &str,
    host: &str,
    service: &str,
    annotations: &[(&str, &str)],
) {
    let api: Api<Ingress> = Api::namespaced(client.clone(), ns);
    let annotations: serde_json::Map<String, serde_json::Value> = annotations
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    let ing: Ingress = serde_json::from_value(json!({
        "metadata": {"name": name, "annotations": annotations},
        "spec": {"ingressClassName": "nginx", "rules": [{"host": host, "http": {"paths": [
            {"path": "/", "pathType": "Prefix",
             "backend": {"service": {"name": service, "port": {"number": 80}}}}
        ]}}]}
    }))
    .unwrap();
    api.create(&PostParams::default(), &ing)
        .await
        .expect("create ingress");
}

pub async fn annotation(client: &Client, ns: &str, ingress: &str, key: &str) -> Option<String> {
    let api: Api<Ingress> = Api::namespaced(client.clone(), ns);
    let ing = api.get(ingress).await.expect("get ingress");
    ing.metadata.annotations.and_then(|a| a.get(key).cloned())
}

/// A Deployment of `app`/`version`; its pods stay Pending (no scheduler).
pub async fn deployment(
    client: &Client,
    ns: &str,
    name: &str,
    (app, version, image): (&str, &str, &str),
    replicas: i32,
) {
    let api: Api<Deployment> = Api::namespaced(client.clone(), ns);
    let d: Deployment = serde_json::from_value(json!({
        "metadata": {"name": name},
        "spec": {"replicas": replicas,
                 "selector": {"matchLabels": {"app": app, "version": version, "deployment": name}},
                 "template": {"metadata": {"labels": {"app": app, "version": version, "deployment": name}},
                              "spec": {"automountServiceAccountToken": false,
                                       "containers": [{"name": "app", "image": image}]}}}
    }))
    .unwrap();
    api.create(&PostParams::default(), &d)
        .await
        .expect("create deployment");
}

pub async fn deployment_replicas(client: &Client, ns: &str, name: &str) -> i32 {
    let api: Api<Deployment> = Api::namespaced(client.clone(), ns);
    let d = api.get(name).await.expect("get deployment");
    d.spec.replicas.unwrap_or(1)
}

/// A shop release: primary v1 (2 ready pods, one restarted), canary v2 (1 pod, not ready), the
/// canary Ingress at `weight` (with `extra` annotations).
pub async fn shop(client: &Client, prefix: &str, weight: &str, extra: &[(&str, &str)]) -> String {
    let ns = namespace(client, prefix).await;
    service(client, &ns, "shop", "shop", "v1").await;
    service(client, &ns, "shop-canary", "shop", "v2").await;
    running_pod(
        client,
        &ns,
        "shop-v1-a",
        ("shop", "v1", "shop:1.0"),
        true,
        0,
    )
    .await;
    running_pod(
        client,
        &ns,
        "shop-v1-b",
        ("shop", "v1", "shop:1.0"),
        true,
        2,
    )
    .await;
    running_pod(
        client,
        &ns,
        "shop-v2-a",
        ("shop", "v2", "shop:2.0"),
        false,
        0,
    )
    .await;
    shop_ingresses(client, &ns, weight, extra).await;
    ns
}

/// The shop's Ingresses: `shop` to Service `shop`, and the canary Ingress `shop-canary` to
/// Service `shop-canary` at `weight` (with `extra` annotations).
pub async fn shop_ingresses(client: &Client, ns: &str, weight: &str, extra: &[(&str, &str)]) {
    ingress(client, ns, "shop", "shop.example", "shop", &[]).await;
    let mut annotations = vec![(CANARY, "true"), (WEIGHT, weight)];
    annotations.extend_from_slice(extra);
    ingress(
        client,
        ns,
        "shop-canary",
        "shop.example",
        "shop-canary",
        &annotations,
    )
    .await;
}

/// The shop's Deployments: shop-v1 (2 replicas of shop:1.0) and shop-v2 (1 of shop:2.0); their
/// pods stay Pending.
pub async fn shop_deployments(client: &Client, ns: &str) {
    deployment(client, ns, "shop-v1", ("shop", "v1", "shop:1.0"), 2).await;
    deployment(client, ns, "shop-v2", ("shop", "v2", "shop:2.0"), 1).await;
}

/// Sets one annotation of an Ingress, as another operator or tool would.
pub async fn set_annotation(client: &Client, ns: &str, ingress: &str, key: &str, value: &str) {
    let api: Api<Ingress> = Api::namespaced(client.clone(), ns);
    let patch = json!({"metadata": {"annotations": {key: value}}});
    api.patch(ingress, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("patch ingress");
}

/// A custom resource of the test CRDs (tests/fixtures/crds), for `kind` in `group/version`.
pub fn custom(group: &str, version: &str, kind: &str, plural: &str) -> kube::api::ApiResource {
    kube::api::ApiResource::from_gvk_with_plural(
        &kube::core::GroupVersionKind::gvk(group, version, kind),
        plural,
    )
}

pub fn virtual_services() -> kube::api::ApiResource {
    custom(
        "networking.istio.io",
        "v1",
        "VirtualService",
        "virtualservices",
    )
}

pub fn destination_rules() -> kube::api::ApiResource {
    custom(
        "networking.istio.io",
        "v1",
        "DestinationRule",
        "destinationrules",
    )
}

pub fn http_routes() -> kube::api::ApiResource {
    custom("gateway.networking.k8s.io", "v1", "HTTPRoute", "httproutes")
}

/// The API of `resource`'s objects in `ns`.
fn custom_api(
    client: &Client,
    ns: &str,
    resource: &kube::api::ApiResource,
) -> Api<kube::api::DynamicObject> {
    Api::namespaced_with(client.clone(), ns, resource)
}

/// Creates a custom object from its `metadata` and `spec`.
pub async fn create_custom(
    client: &Client,
    ns: &str,
    resource: &kube::api::ApiResource,
    body: serde_json::Value,
) {
    let api = custom_api(client, ns, resource);
    let mut body = body;
    body["apiVersion"] = json!(resource.api_version);
    body["kind"] = json!(resource.kind);
    let obj: kube::api::DynamicObject = serde_json::from_value(body).expect("a custom object");
    api.create(&PostParams::default(), &obj)
        .await
        .expect("create custom object");
}

/// A custom object as stored, as JSON.
pub async fn get_custom(
    client: &Client,
    ns: &str,
    resource: &kube::api::ApiResource,
    name: &str,
) -> serde_json::Value {
    let api = custom_api(client, ns, resource);
    serde_json::to_value(api.get(name).await.expect("get custom object")).unwrap()
}

/// The field of a custom object at `path` (keys from the top), as stored; null when missing.
pub async fn custom_field(
    client: &Client,
    ns: &str,
    resource: &kube::api::ApiResource,
    name: &str,
    path: &[&str],
) -> serde_json::Value {
    let obj = get_custom(client, ns, resource, name).await;
    path.iter().fold(obj, |v, k| {
        v.get(*k).cloned().unwrap_or(serde_json::Value::Null)
    })
}

/// Writes a custom object's status through the status subresource, as its controller would.
pub async fn patch_custom_status(
    client: &Client,
    ns: &str,
    resource: &kube::api::ApiResource,
    name: &str,
    status: serde_json::Value,
) {
    let api = custom_api(client, ns, resource);
    api.patch_status(
        name,
        &PatchParams::default(),
        &Patch::Merge(json!({ "status": status })),
    )
    .await
    .expect("patch custom object status");
}

/// Merge-patches a custom object, as another operator or tool would.
pub async fn patch_custom(
    client: &Client,
    ns: &str,
    resource: &kube::api::ApiResource,
    name: &str,
    patch: serde_json::Value,
) {
    let api = custom_api(client, ns, resource);
    api.patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("patch custom object");
}

/// A Service selecting `selector`.
pub async fn service_selecting(client: &Client, ns: &str, name: &str, selector: serde_json::Value) {
    let api: Api<Service> = Api::namespaced(client.clone(), ns);
    let svc: Service = serde_json::from_value(json!({
        "metadata": {"name": name},
        // headless: the tests need the selector, not a cluster IP (the range is small)
        "spec": {"clusterIP": "None", "selector": selector, "ports": [{"port": 80, "targetPort": 8080}]}
    }))
    .unwrap();
    api.create(&PostParams::default(), &svc)
        .await
        .expect("create service");
}

/// Plays the kubelet once: every pod of the namespace that is not Running becomes Running and
/// Ready. Returns how many it changed.
pub async fn kubelet_pass(client: &Client, ns: &str) -> usize {
    let api: Api<Pod> = Api::namespaced(client.clone(), ns);
    let Ok(list) = api.list(&Default::default()).await else {
        return 0;
    };
    let mut changed = 0;
    for pod in list.items {
        let running = pod
            .status
            .as_ref()
            .and_then(|s| s.phase.as_deref())
            .is_some_and(|p| p == "Running");
        if running || pod.metadata.deletion_timestamp.is_some() {
            continue;
        }
        let name = pod.metadata.name.clone().unwrap_or_default();
        let image = pod
            .spec
            .as_ref()
            .and_then(|s| s.containers.first())
            .and_then(|c| c.image.clone())
            .unwrap_or_default();
        let status = json!({"status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": [{"name": "app", "image": image, "imageID": "", "ready": true,
                "restartCount": 0, "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}}]
        }});
        if api
            .patch_status(&name, &PatchParams::default(), &Patch::Merge(&status))
            .await
            .is_ok()
        {
            changed += 1;
        }
    }
    changed
}

/// Plays the kubelet until the returned handle is aborted: pods become Running and Ready a
/// moment after they are created.
pub fn kubelet(client: Client, ns: String) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            kubelet_pass(&client, &ns).await;
            // not a wait of a test: the pace of a pretend kubelet, which makes its passes
            // over the namespace for as long as the test runs
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    })
}

pub async fn deployment_image(client: &Client, ns: &str, name: &str) -> String {
    let api: Api<Deployment> = Api::namespaced(client.clone(), ns);
    let d = api.get(name).await.expect("get deployment");
    d.spec
        .template
        .spec
        .and_then(|s| s.containers.first().and_then(|c| c.image.clone()))
        .unwrap_or_default()
}

/// A Warning event about `pod`, as a kubelet would report it.
pub async fn warning_event(
    client: &Client,
    ns: &str,
    name: &str,
    pod: &str,
    reason: &str,
    message: &str,
) {
    use k8s_openapi::api::core::v1::Event;
    let api: Api<Event> = Api::namespaced(client.clone(), ns);
    let ev: Event = serde_json::from_value(json!({
        "metadata": {"name": name},
        "involvedObject": {"kind": "Pod", "name": pod, "namespace": ns, "apiVersion": "v1"},
        "reason": reason, "message": message, "type": "Warning", "count": 1,
        "source": {"component": "kubelet"},
        "firstTimestamp": "2026-01-01T00:00:00Z", "lastTimestamp": "2026-01-01T00:00:00Z"
    }))
    .unwrap();
    api.create(&PostParams::default(), &ev)
        .await
        .expect("create event");
}

/// The real binary with `args`, its state under the temp dir, the cluster only as `args` name it.
pub fn canary(args: &[&str]) -> std::process::Output {
    super::canary_in(&std::env::temp_dir().join("canary-cluster-tests"), args)
}

/// [`canary`] with `args` in namespace `ns` of the cluster `kubeconfig` names.
pub fn canary_at(kubeconfig: &Path, ns: &str, args: &[&str]) -> std::process::Output {
    let kubeconfig = kubeconfig.to_str().expect("a UTF-8 kubeconfig path");
    let mut all = args.to_vec();
    all.extend(["-n", ns, "--kubeconfig", kubeconfig]);
    canary(&all)
}

pub fn connect_args(kubeconfig: &Path, ns: &str) -> ConnectArgs {
    ConnectArgs {
        namespace: Some(ns.to_string()),
        context: None,
        kubeconfig: Some(kubeconfig.to_path_buf()),
        request_timeout: None,
    }
}

/// Connects to namespace `ns` of the cluster `kubeconfig` names, as the cockpit does, and reads
/// the release of `target` (`kind/name`).
pub async fn read_release(kubeconfig: &Path, ns: &str, target: &str) -> (Cluster, Observed) {
    let cluster = cluster::connect(&connect_args(kubeconfig, ns))
        .await
        .expect("connect to the control plane");
    let target: Target = target.parse().expect("a target");
    // read as the cockpit opens a release: its watches start from these lists
    let seen = release::read_to_watch(&cluster, &target)
        .await
        .expect("read the release");
    (cluster, seen)
}

/// The Prometheus queries the cockpit builds for the release `seen` (with a Prometheus named by
/// URL, never asked).
pub async fn release_queries(cluster: &Cluster, seen: &Observed) -> Queries {
    let metrics = MetricsArgs {
        prometheus: Some("http://127.0.0.1:1".to_string()),
        ..Default::default()
    };
    metrics_setup::poller(cluster, seen, &metrics)
        .await
        .expect("the metrics setup")
        .expect("a poller")
        .queries
}

/// A release's live source, running: what it tells the cockpit, where the cockpit sends it
/// effects, and its task.
pub struct Live {
    pub rx: mpsc::Receiver<Event>,
    pub effects: mpsc::UnboundedSender<Effect>,
    pub task: tokio::task::JoinHandle<()>,
}

/// Starts the live source of the release `seen` of `cluster`, as the cockpit does.
pub fn live(cluster: Cluster, seen: Observed, options: executor::Options) -> Live {
    let (tx, rx) = mpsc::channel(1024);
    let (effects, effects_rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(watch::run(cluster, seen, options, tx, effects_rx));
    Live { rx, effects, task }
}

/// The live source with the cockpit's state in the loop, as `canary watch` runs them: every
/// event goes through `App::update` (its effects to the source) before the test sees it; the
/// test's own effects go to the source as the keys' would.
pub fn live_cockpit(cluster: Cluster, seen: Observed, options: executor::Options) -> Live {
    let mut app = App::new(AppConfig::default());
    app.update(Event::ReleaseObserved {
        at: canary_cockpit::model::wall_clock(),
        release: seen.snapshot.clone(),
    });
    let (to_test, rx) = mpsc::channel(1024);
    let (effects, mut from_test) = mpsc::unbounded_channel::<Effect>();
    let (source_tx, mut source_rx) = mpsc::channel(1024);
    let (to_source, source_effects) = mpsc::unbounded_channel();
    let source = tokio::spawn(watch::run(
        cluster,
        seen,
        options,
        source_tx,
        source_effects,
    ));
    let task = tokio::spawn(async move {
        loop {
            tokio::select! {
                event = source_rx.recv() => {
                    let Some(event) = event else { break };
                    for effect in app.update(event.clone()) {
                        let _ = to_source.send(effect);
                    }
                    if to_test.send(event).await.is_err() {
                        break;
                    }
                }
                effect = from_test.recv() => {
                    let Some(effect) = effect else { break };
                    let _ = to_source.send(effect);
                }
            }
        }
        source.abort();
    });
    Live { rx, effects, task }
}

/// The names of `pods`, in order.
pub fn pod_names(pods: &[canary_cockpit::model::Pod]) -> Vec<String> {
    pods.iter().map(|p| p.name.clone()).collect()
}

/// The events until one satisfies `wanted` (it included); panics with them after `secs`.
pub async fn until_within(
    rx: &mut mpsc::Receiver<Event>,
    secs: u64,
    what: &str,
    mut wanted: impl FnMut(&Event) -> bool,
) -> Vec<Event> {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(ev)) => {
                let done = wanted(&ev);
                seen.push(ev);
                if done {
                    return seen;
                }
            }
            _ => panic!("no {what} within {secs} s; events: {seen:?}"),
        }
    }
}

/// [`until_within`] 20 s.
pub async fn until(
    rx: &mut mpsc::Receiver<Event>,
    what: &str,
    wanted: impl FnMut(&Event) -> bool,
) -> Vec<Event> {
    until_within(rx, 20, what, wanted).await
}

/// Plays the kubelet on a runtime of its own until the returned guard is dropped.
pub struct Kubelet(
    Option<tokio::sync::oneshot::Sender<()>>,
    Option<std::thread::JoinHandle<()>>,
);

impl Kubelet {
    pub fn start(kubeconfig: std::path::PathBuf, ns: String) -> Kubelet {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = super::runtime();
            rt.block_on(async {
                let client = client(&kubeconfig).await;
                let task = kubelet(client, ns);
                // the guard's drop drops the sender, which ends the wait
                let _ = stopped.await;
                task.abort();
            });
        });
        Kubelet(Some(stop), Some(thread))
    }
}

impl Drop for Kubelet {
    fn drop(&mut self) {
        drop(self.0.take());
        if let Some(t) = self.1.take() {
            let _ = t.join();
        }
    }
}

/// A new namespace with Services `shop` (version=v1) and `shop-canary` (version=v2) and the
/// Deployments behind them.
pub async fn deployed_versions(client: &Client, prefix: &str) -> String {
    let ns = namespace(client, prefix).await;
    service(client, &ns, "shop", "shop", "v1").await;
    service(client, &ns, "shop-canary", "shop", "v2").await;
    shop_deployments(client, &ns).await;
    ns
}

/// Fails unless each of `stages` appears in `text`, in this order.
pub fn in_order(text: &str, stages: &[&str]) {
    let mut at = 0;
    for stage in stages {
        let found = text[at..]
            .find(stage)
            .unwrap_or_else(|| panic!("stage {stage:?} missing or out of order in:\n{text}"));
        at += found + stage.len();
    }
}
