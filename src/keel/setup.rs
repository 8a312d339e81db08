//! Where Keel is and how to sign in: the URL from `--keel-url`, `CANARY_KEEL_URL` (clap reads
//! both) or the config's `[keel] url`; the admin's basic auth from `CANARY_KEEL_USER` and
//! `CANARY_KEEL_PASSWORD`, else from the Secret the config names (`[keel] secret =
//! "keel/keel-admin"`, keys `BASIC_AUTH_USER` and `BASIC_AUTH_PASSWORD`), else none.

use super::{Credentials, Keel, KeelError};
use crate::cluster::Cluster;
use crate::config::KeelEntry;
use k8s_openapi::api::core::v1::Secret;
use kube::Api;

pub const USER_VAR: &str = "CANARY_KEEL_USER";
pub const PASSWORD_VAR: &str = "CANARY_KEEL_PASSWORD";

/// The URL to use: the command line's (or its environment variable's), else the config's.
pub fn url(flag: Option<&str>, entry: &KeelEntry) -> Option<String> {
    flag.map(str::to_string)
        .or_else(|| entry.url.clone())
        .filter(|u| !u.trim().is_empty())
}

/// The client of Keel, with its credentials; [`KeelError::NoUrl`] when no URL is given.
pub async fn connect(
    cluster: Option<&Cluster>,
    flag: Option<&str>,
    entry: &KeelEntry,
) -> Result<Keel, KeelError> {
    let url = url(flag, entry).ok_or(KeelError::NoUrl)?;
    // the URL is checked before a Secret is read
    Keel::new(&url, None)?;
    let auth = credentials(cluster, entry).await?;
    Keel::new(&url, auth)
}

/// The credentials: the environment's, else the config's Secret (read through `cluster`).
pub async fn credentials(
    cluster: Option<&Cluster>,
    entry: &KeelEntry,
) -> Result<Option<Credentials>, KeelError> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if let (Some(user), Some(password)) = (var(USER_VAR), var(PASSWORD_VAR)) {
        let from = format!("{USER_VAR} and {PASSWORD_VAR}");
        return Ok(Some(Credentials::new(user, password, from)));
    }
    let Some(named) = entry.secret.as_deref() else {
        return Ok(None);
    };
    let failed = |why: String| KeelError::Secret {
        secret: named.to_string(),
        why,
    };
    let (namespace, name) = named
        .split_once('/')
        .filter(|(ns, n)| !ns.is_empty() && !n.is_empty())
        .ok_or_else(|| failed("not NAMESPACE/NAME".to_string()))?;
    let cluster = cluster.ok_or_else(|| failed("no cluster to read it from".to_string()))?;
    let api: Api<Secret> = Api::namespaced(cluster.client.clone(), namespace);
    let secret = api.get(name).await.map_err(|e| {
        let mut at = cluster.clone();
        at.namespace = namespace.to_string();
        let said = crate::cluster::dynamic::call(&at, "get", "secrets", name).error(e);
        failed(said.to_string())
    })?;
    let key = |k: &str| -> Result<String, KeelError> {
        let bytes = secret
            .data
            .as_ref()
            .and_then(|d| d.get(k))
            .ok_or_else(|| failed(format!("it has no key {k}")))?;
        String::from_utf8(bytes.0.clone()).map_err(|_| failed(format!("its {k} is not UTF-8")))
    };
    Ok(Some(Credentials::new(
        key("BASIC_AUTH_USER")?,
        key("BASIC_AUTH_PASSWORD")?,
        format!("secret {named}"),
    )))
}
