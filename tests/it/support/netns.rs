//! A network namespace for a test server the API server must reach: a veth pair with addresses
//! of its own (`10.203.A.B+1/30` on the host side, `+2` inside), so the API server's service
//! proxy (which refuses loopback) reaches the server at the inner address through a Service
//! without selector and an Endpoints object, and no test points the cluster at this machine's
//! own interfaces. Everything is removed when dropped. Needs root and `ip` (iproute2, installed
//! by `./scripts/test.sh`).

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

pub struct Netns {
    pub name: String,
    host_if: String,
    /// This end of the pair: servers the namespace's processes reach (exporters) listen here.
    pub host_addr: String,
    /// The address inside the namespace.
    pub inner_addr: String,
}

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("ip {}: {e} (install iproute2)", args.join(" ")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Whether `net` (`A.B.C.D/30`) is free: no address or route of this machine in it.
fn free(net: &str) -> bool {
    let taken = |args: &[&str]| {
        Command::new("ip")
            .args(args)
            .output()
            .map(|o| !o.stdout.is_empty())
            .unwrap_or(true)
    };
    !taken(&["-o", "addr", "show", "to", net]) && !taken(&["route", "show", "root", net])
}

impl Netns {
    /// A new namespace with its veth pair up and addressed.
    pub fn new() -> Netns {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let pid = std::process::id();
        for _ in 0..64 {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            // 10.203.0.0/16 in /30s, starting at a place of this process's own
            let slot = (pid.wrapping_mul(37).wrapping_add(n)) % 16384;
            let (a, b) = (slot / 64, (slot % 64) * 4);
            let net = format!("10.203.{a}.{b}/30");
            if !free(&net) {
                continue;
            }
            let name = format!("canary-{pid}-{n}");
            let tag = format!("{:x}", (pid << 8) | (n & 0xff));
            let host_if = format!("cvh{tag}");
            let inner_if = format!("cvi{tag}");
            let netns = Netns {
                name: name.clone(),
                host_if: host_if.clone(),
                host_addr: format!("10.203.{a}.{}", b + 1),
                inner_addr: format!("10.203.{a}.{}", b + 2),
            };
            let host_cidr = format!("{}/30", netns.host_addr);
            let inner_cidr = format!("{}/30", netns.inner_addr);
            let set_up = ip(&["netns", "add", &name])
                .and_then(|_| {
                    ip(&[
                        "link", "add", &host_if, "type", "veth", "peer", "name", &inner_if,
                    ])
                })
                .and_then(|_| ip(&["link", "set", &inner_if, "netns", &name]))
                .and_then(|_| ip(&["addr", "add", &host_cidr, "dev", &host_if]))
                .and_then(|_| ip(&["link", "set", &host_if, "up"]))
                .and_then(|_| ip(&["-n", &name, "addr", "add", &inner_cidr, "dev", &inner_if]))
                .and_then(|_| ip(&["-n", &name, "link", "set", &inner_if, "up"]))
                .and_then(|_| ip(&["-n", &name, "link", "set", "lo", "up"]));
            match set_up {
                Ok(()) => return netns,
                // dropping removes what was made; another slot may be free
                Err(e) => eprintln!("netns {name} on {net}: {e}"),
            }
        }
        panic!(
            "no network namespace with a free 10.203.x.x/30: these tests need root and iproute2"
        );
    }

    /// `program` run inside the namespace.
    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name, program]);
        c
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        // deleting the namespace destroys the inner end, and with it the pair
        let _ = ip(&["netns", "del", &self.name]);
        let _ = ip(&["link", "del", &self.host_if]);
    }
}

/// A Service `name` without selector in `ns`, labelled `labels`, port 9090 (named `web`) to
/// `port` at `addr`: the Endpoints object, and the pod at that address the API server's proxy
/// requires behind it (its status written as a kubelet would).
pub async fn service_at(
    client: &kube::Client,
    ns: &str,
    name: &str,
    labels: serde_json::Value,
    addr: &str,
    port: u16,
) {
    use k8s_openapi::api::core::v1::{Endpoints, Pod, Service};
    use kube::api::{Api, Patch, PostParams};
    let pp = PostParams::default();
    let svc: Service = serde_json::from_value(serde_json::json!({
        "metadata": {"name": name, "labels": labels},
        "spec": {"clusterIP": "None", "ports": [{"name": "web", "port": 9090, "targetPort": port}]}
    }))
    .unwrap();
    Api::<Service>::namespaced(client.clone(), ns)
        .create(&pp, &svc)
        .await
        .unwrap();
    let pod_name = format!("{name}-0");
    let pods = Api::<Pod>::namespaced(client.clone(), ns);
    let pod = serde_json::from_value(serde_json::json!({
        "metadata": {"name": pod_name},
        "spec": {"automountServiceAccountToken": false,
                 "containers": [{"name": "prometheus", "image": "prom/prometheus"}]}
    }))
    .unwrap();
    pods.create(&pp, &pod).await.unwrap();
    let status = serde_json::json!({"status": {"phase": "Running", "podIP": addr, "podIPs": [{"ip": addr}],
        "conditions": [{"type": "Ready", "status": "True"}]}});
    pods.patch_status(&pod_name, &Default::default(), &Patch::Merge(&status))
        .await
        .unwrap();
    let ep: Endpoints = serde_json::from_value(serde_json::json!({
        "metadata": {"name": name},
        "subsets": [{"addresses": [{"ip": addr, "targetRef": {"kind": "Pod", "name": pod_name, "namespace": ns}}],
                     "ports": [{"name": "web", "port": port}]}]
    }))
    .unwrap();
    Api::<Endpoints>::namespaced(client.clone(), ns)
        .create(&pp, &ep)
        .await
        .unwrap();
}
