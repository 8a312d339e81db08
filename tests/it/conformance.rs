//! One script against every traffic system, on the real control plane and through the real
//! code paths: the release read as the cockpit opens it, then the binary (`canary status -o
//! json`, and the verbs, which act through the one executor of `live::executor`): set the
//! weight to 30 %, pause, resume, add a testers' route (`--header X-Tester=yes`) and clear the
//! cockpit's, promote (`--full`), roll back. After each step the test reads the release's
//! objects from the API server and checks the exact fields the step must have written (named
//! as the upstream CRDs of ../shared/crds name them), or, where the system refuses, the exit
//! code, the reason, and that the routing object was not written.
//!
//! The table ([`table!`]) has one row per system and layout: the stable/canary layout (Services
//! or subsets named stable/canary, primary/canary, shop/shop-canary; promotion copies the
//! canary's pod template into the primary) and the version-named one (reviews-v1/reviews-v2,
//! subsets v1/v2; promotion is a take-over: all traffic to v2, v1 scaled to 0 and kept, and a
//! rollback scales v1 back and returns the traffic to it). A system without a controller in the
//! test cluster (Argo Rollouts, Flagger, KubeSphere) is checked on the fields the cockpit writes
//! for its controller. A new system joins with its fixture and its row (a file of its own in conformance/, beside the shared conformance/fields.rs)
//! and one line in the table.

mod argo;
mod contour;
mod fields;
mod flagger;
mod gateway;
mod istio;
mod kubesphere;
mod nginx;
mod traefik;

use crate::support::cluster::*;
use crate::support::runtime;
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;

/// Makes a release in a namespace of its own (named after `prefix`); returns the namespace.
pub type Fixture =
    for<'a> fn(&'a kube::Client, &'a str) -> Pin<Box<dyn Future<Output = String> + 'a>>;

/// How the release's two versions are named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// stable/canary, primary/canary, shop/shop-canary: promotion copies the pod template.
    StableCanary,
    /// v1/v2 backends (bookinfo's reviews-v1/reviews-v2): promotion is a take-over.
    VersionNamed,
}

/// The kinds of object whose fields the script reads back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Obj {
    Ingress,
    VirtualService,
    HttpRoute,
    TraefikService,
    HttpProxy,
    Rollout,
    Canary,
    Strategy,
    Deployment,
}

impl Obj {
    fn resource(self) -> kube::api::ApiResource {
        match self {
            Obj::Ingress => custom("networking.k8s.io", "v1", "Ingress", "ingresses"),
            Obj::VirtualService => virtual_services(),
            Obj::HttpRoute => http_routes(),
            Obj::TraefikService => custom(
                "traefik.io",
                "v1alpha1",
                "TraefikService",
                "traefikservices",
            ),
            Obj::HttpProxy => crate::cluster_contour::http_proxies(),
            Obj::Rollout => custom("argoproj.io", "v1alpha1", "Rollout", "rollouts"),
            Obj::Canary => custom("flagger.app", "v1beta1", "Canary", "canaries"),
            Obj::Strategy => custom(
                "servicemesh.kubesphere.io",
                "v1alpha2",
                "Strategy",
                "strategies",
            ),
            Obj::Deployment => custom("apps", "v1", "Deployment", "deployments"),
        }
    }
}

/// One field of one object as a step must leave it: `Value::Null` when the field must be absent.
#[derive(Clone, Debug)]
pub struct Field {
    pub obj: Obj,
    pub name: &'static str,
    /// A JSON pointer into the object.
    pub pointer: String,
    pub value: Value,
}

/// What a step must do.
#[derive(Clone, Debug)]
pub enum Expect {
    /// It succeeds, and these fields hold after it.
    Fields(Vec<Field>),
    /// It is refused (exit 1) with a reason containing this, and the routing object is not
    /// written.
    Refused(&'static str),
}

/// The release as read, and as `status -o json` shows it.
#[derive(Clone, Debug)]
pub struct Read {
    pub provider: &'static str,
    pub phase: &'static str,
    /// The canary's weight.
    pub weight: u8,
    /// The versions' names: primary, canary.
    pub versions: [&'static str; 2],
}

/// One system in one layout: its fixture, and what each step of the script must find.
pub struct Row {
    pub layout: Layout,
    pub fixture: Fixture,
    pub target: &'static str,
    /// The object a refused step must leave unwritten.
    pub object: (Obj, &'static str),
    pub read: Read,
    pub set_weight: Expect,
    pub pause: Expect,
    pub resume: Expect,
    pub route: Expect,
    pub clear: Expect,
    pub promote: Expect,
    pub rollback: Expect,
}

/// The weight the script sets.
pub const WEIGHT: u8 = 30;
/// The testers' route the script adds.
pub const TESTER: (&str, &str) = ("X-Tester", "yes");

struct Script<'a> {
    test: &'a str,
    kubeconfig: &'a std::path::Path,
    ns: &'a str,
    client: &'a kube::Client,
    rt: &'a tokio::runtime::Runtime,
}

impl Script<'_> {
    fn get(&self, obj: Obj, name: &str) -> Value {
        self.rt
            .block_on(get_custom(self.client, self.ns, &obj.resource(), name))
    }

    fn check(&self, step: &str, args: &[&str], expect: &Expect, object: (Obj, &str)) {
        let before = self.get(object.0, object.1)["metadata"]["resourceVersion"].clone();
        let out = canary_at(self.kubeconfig, self.ns, args);
        let said = format!(
            "{} · {step} ({args:?}): exit {:?}\n{}{}",
            self.test,
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        match expect {
            Expect::Fields(fields) => {
                assert_eq!(out.status.code(), Some(0), "{said}");
                for f in fields {
                    let obj = self.get(f.obj, f.name);
                    let found = obj.pointer(&f.pointer).cloned().unwrap_or(Value::Null);
                    assert_eq!(
                        found, f.value,
                        "{} · after {step}: {:?}/{} {}\n{said}",
                        self.test, f.obj, f.name, f.pointer
                    );
                }
            }
            Expect::Refused(why) => {
                assert_eq!(out.status.code(), Some(1), "{said}");
                assert!(
                    String::from_utf8_lossy(&out.stderr).contains(why),
                    "reason {why:?}: {said}"
                );
                let after = self.get(object.0, object.1)["metadata"]["resourceVersion"].clone();
                assert_eq!(
                    before, after,
                    "{} · {step} was refused but wrote: {said}",
                    self.test
                );
            }
        }
    }
}

/// Runs the script on a fresh release of `row`.
fn run(test: &str, row: Row) {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let prefix = format!("conf-{}", test.replace('_', "-"));
    let ns = rt.block_on((row.fixture)(&client, &prefix));
    // promotions wait for rollouts: the test plays the kubelet
    let _kubelet = Kubelet::start(cp.kubeconfig.clone(), ns.clone());
    let target = row.target;

    // read, as the cockpit opens the release
    let (_, seen) = rt.block_on(read_release(&cp.kubeconfig, &ns, target));
    let s = &seen.snapshot;
    let read = &row.read;
    assert_eq!(s.source, read.provider, "{test} · read");
    assert_eq!(s.weight.percent(), read.weight, "{test} · read");
    assert_eq!(
        [s.primary.name.as_str(), s.canary.name.as_str()],
        read.versions,
        "{test} · read"
    );

    // status -o json says the same
    let out = canary_at(
        &cp.kubeconfig,
        &ns,
        &["status", target, "-o", "json", "--no-prometheus"],
    );
    let said = format!("{test} · status: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{said}");
    let json: Value = serde_json::from_slice(&out.stdout).expect("status prints JSON");
    assert_eq!(json["provider"], read.provider, "{said}");
    assert_eq!(json["phase"], read.phase, "{said}");
    assert_eq!(json["weight"]["canary"], u64::from(read.weight), "{said}");
    assert_eq!(
        json["weight"]["primary"],
        100 - u64::from(read.weight),
        "{said}"
    );
    assert_eq!(
        [&json["versions"][0]["name"], &json["versions"][1]["name"]],
        read.versions,
        "{said}"
    );

    // a take-over asks for the new version's available pods: the kubelet has made them so
    rt.block_on(all_available(&client, &ns));

    let script = Script {
        test,
        kubeconfig: &cp.kubeconfig,
        ns: &ns,
        client: &client,
        rt: &rt,
    };
    let weight = WEIGHT.to_string();
    let header = format!("{}={}", TESTER.0, TESTER.1);
    let steps: [(&str, Vec<&str>, &Expect); 7] = [
        (
            "set weight",
            vec!["set-weight", target, &weight],
            &row.set_weight,
        ),
        ("pause", vec!["pause", target], &row.pause),
        ("resume", vec!["resume", target], &row.resume),
        (
            "testers' route",
            vec!["route", target, "--header", &header],
            &row.route,
        ),
        (
            "clear the testers' routes",
            vec!["route", target, "--clear"],
            &row.clear,
        ),
        (
            "promote",
            vec!["promote", target, "--full", "--yes"],
            &row.promote,
        ),
        (
            "roll back",
            vec!["rollback", target, "--yes"],
            &row.rollback,
        ),
    ];
    for (step, args, expect) in steps {
        script.check(step, &args, expect, row.object);
    }
}

/// Waits until every Deployment of `ns` has all its replicas available.
async fn all_available(client: &kube::Client, ns: &str) {
    let api: kube::Api<k8s_openapi::api::apps::v1::Deployment> =
        kube::Api::namespaced(client.clone(), ns);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let list = api
            .list(&Default::default())
            .await
            .expect("list deployments");
        let short: Vec<String> = list
            .items
            .iter()
            .filter(|d| {
                let want = d.spec.replicas.unwrap_or(1);
                let have = d
                    .status
                    .as_ref()
                    .and_then(|s| s.available_replicas)
                    .unwrap_or(0);
                have < want
            })
            .map(|d| d.metadata.name.clone().unwrap_or_default())
            .collect();
        if short.is_empty() {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "deployments not available within 60 s: {short:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The table: one test per row, and the list the coverage test reads.
macro_rules! table {
    ($($test:ident: $row:path,)*) => {
        /// Every row, by the name of its test.
        const TABLE: &[(&str, fn() -> Row)] = &[$((stringify!($test), $row),)*];
        $(
            #[test]
            fn $test() {
                run(stringify!($test), $row());
            }
        )*
    };
}

table! {
    ingress_nginx_stable_canary: nginx::nginx,
    istio_stable_canary: istio::istio_stable_canary,
    istio_version_named: istio::istio_version_named,
    gateway_api_stable_canary: gateway::gateway_stable_canary,
    gateway_api_version_named: gateway::gateway_version_named,
    traefik_stable_canary: traefik::traefik_stable_canary,
    traefik_version_named: traefik::traefik_version_named,
    contour_stable_canary: contour::contour_stable_canary,
    contour_version_named: contour::contour_version_named,
    argo_rollouts_stable_canary: argo::argo,
    flagger_primary_canary: flagger::flagger,
    kubesphere_version_named: kubesphere::kubesphere,
}

#[test]
fn every_system_has_a_row() {
    let providers: Vec<&str> = TABLE.iter().map(|(_, row)| row().read.provider).collect();
    for info in &canary_cockpit::model::KINDS {
        assert!(
            providers.contains(&info.provider),
            "{} has no row in the conformance table",
            info.provider
        );
    }
    // the systems that drive two weighted backends themselves are run in both layouts
    for provider in ["istio", "gateway-api", "traefik", "contour"] {
        let layouts: Vec<Layout> = TABLE
            .iter()
            .map(|(_, row)| row())
            .filter(|r| r.read.provider == provider)
            .map(|r| r.layout)
            .collect();
        assert_eq!(
            layouts,
            [Layout::StableCanary, Layout::VersionNamed],
            "{provider}"
        );
    }
}
