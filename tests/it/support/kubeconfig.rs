//! Kubeconfigs for the test control plane with a user of the test's own: a token, an exec plugin.

use std::path::Path;

/// The server and CA lines of the test kubeconfig.
fn cluster_lines(kubeconfig: &Path) -> (String, String) {
    let text = std::fs::read_to_string(kubeconfig).expect("the test kubeconfig");
    let value = |key: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(key))
            .unwrap_or_else(|| panic!("no {key} in the test kubeconfig"))
            .trim()
            .to_string()
    };
    (value("server:"), value("certificate-authority-data:"))
}

/// A kubeconfig for the test control plane whose user `name` is `user` (YAML, indented under
/// `user:`), in namespace `ns`.
pub fn kubeconfig_with(base: &Path, out: &Path, ns: &str, name: &str, user: &str) {
    let (server, ca) = cluster_lines(base);
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: {server}\n    \
         certificate-authority-data: {ca}\nusers:\n- name: {name}\n  user:\n{user}\ncontexts:\n\
         - name: c\n  context:\n    cluster: c\n    user: {name}\n    namespace: {ns}\n\
         current-context: c\n"
    );
    std::fs::write(out, text).expect("write the kubeconfig");
}

/// A user whose credentials come from the exec plugin `command` (client.authentication.k8s.io
/// v1beta1), as EKS writes them.
pub fn exec_user(command: &str) -> String {
    format!(
        "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: {command}\n      \
         args: [eks, get-token]\n"
    )
}
