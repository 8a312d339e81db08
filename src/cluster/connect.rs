//! Connecting the way kubectl does: `--kubeconfig`, else `KUBECONFIG`, else `~/.kube/config`;
//! `--context`, else the current context; `-n`, else the context's namespace, else `default`. Every
//! authentication kind kube-rs supports (tokens, client certificates, exec plugins); TLS verified.

use kube::client::ClientBuilder;
use kube::config::{ExecInteractiveMode, KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};

use super::throttle::{Throttle, Waits, REQUEST_TIMEOUT};
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
    /// The command of the user's exec plugin, if it has one (`aws`), for the operator's messages.
    pub plugin: Option<String>,
    /// The API server's address, for the operator's messages (`https://10.0.0.1:6443`).
    pub server: String,
    /// The lists of the release being opened, for its watches to start from.
    pub reads: super::reads::Reads,
    /// Where the waits the API server asks for (429) are told.
    pub waits: super::throttle::Waits,
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
    let plugin = kubeconfig
        .auth_infos
        .iter()
        .find(|a| a.name == user)
        .and_then(|a| a.auth_info.as_ref())
        .and_then(|a| a.exec.as_ref())
        .and_then(|e| e.command.clone());
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
    // kube-rs's own retry honours any Retry-After in silence: ours bounds and tells each wait
    config.default_retry = false;
    // an exec plugin's stderr is read, not written over the screen: it may not prompt unless the
    // kubeconfig insists
    if let Some(exec) = config.auth_info.exec.as_mut() {
        if exec.interactive_mode != Some(ExecInteractiveMode::Always) {
            exec.interactive_mode = Some(ExecInteractiveMode::Never);
        }
    }
    let throttle = Throttle {
        waits: Waits::default(),
        deadline: args.request_timeout.unwrap_or(REQUEST_TIMEOUT),
    };
    let client = ClientBuilder::try_from(config)
        .map_err(|e| match e {
            kube::Error::Auth(auth) => {
                ClusterError::Credentials(super::words::credentials(&auth, plugin.as_deref()))
            }
            other => ClusterError::Kubeconfig(other.to_string()),
        })?
        .with_layer(&throttle)
        .build();
    Ok(Cluster {
        client,
        namespace,
        context,
        user,
        plugin,
        server,
        reads: Default::default(),
        waits: throttle.waits,
    })
}
