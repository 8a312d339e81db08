//! Connecting the way kubectl does: `--kubeconfig`, else `KUBECONFIG`, else `~/.kube/config`;
//! `--context`, else the current context; `-n`, else the context's namespace, else `default`. Every
//! authentication kind kube-rs supports (tokens, client certificates, exec plugins); TLS verified.

use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};

use super::ClusterError;
use crate::cli::ConnectArgs;

/// A client bound to one context and namespace.
#[derive(Clone)]
pub struct Cluster {
    pub client: Client,
    pub namespace: String,
    /// The context's name, for the header and recordings.
    pub context: String,
    /// The kubeconfig user (AuthInfo) name: who acts, as far as the kubeconfig says.
    pub user: String,
    /// The API server's address, for the operator's messages (`https://10.0.0.1:6443`).
    pub server: String,
    /// The lists of the release being opened, for its watches to start from.
    pub reads: super::reads::Reads,
}

pub async fn connect(args: &ConnectArgs) -> Result<Cluster, ClusterError> {
    let kubeconfig = match &args.kubeconfig {
        Some(path) => Kubeconfig::read_from(path),
        None => Kubeconfig::read(),
    }
    // the parser's first line only: the snippet it adds below quotes the file, tokens included
    .map_err(|e| {
        let said = e.to_string();
        ClusterError::Kubeconfig(said.lines().next().unwrap_or_default().to_string())
    })?;
    let context = args
        .context
        .clone()
        .or_else(|| kubeconfig.current_context.clone())
        .ok_or_else(|| {
            ClusterError::Kubeconfig("no current context: pass --context NAME".to_string())
        })?;
    let named = kubeconfig
        .contexts
        .iter()
        .find(|c| c.name == context)
        .ok_or_else(|| ClusterError::Kubeconfig(format!("context {context:?} not found")))?;
    let user = named
        .context
        .as_ref()
        .and_then(|c| c.user.clone())
        .unwrap_or_default();
    let options = KubeConfigOptions {
        context: Some(context.clone()),
        cluster: None,
        user: None,
    };
    let config = Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .map_err(|e| ClusterError::Kubeconfig(e.to_string()))?;
    let namespace = args
        .namespace
        .clone()
        .unwrap_or_else(|| config.default_namespace.clone());
    let server = config
        .cluster_url
        .to_string()
        .trim_end_matches('/')
        .to_string();
    // the API server's audit log names the cockpit as the client
    let mut config = config;
    config.headers.push((
        http::header::USER_AGENT,
        http::HeaderValue::from_static(concat!("canary-cockpit/", env!("CARGO_PKG_VERSION"))),
    ));
    let client = Client::try_from(config).map_err(|e| ClusterError::Kubeconfig(e.to_string()))?;
    Ok(Cluster {
        client,
        namespace,
        context,
        user,
        server,
        reads: Default::default(),
    })
}
