//! What can go wrong talking to a cluster, each said in one line an operator can act on.

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("kubeconfig: {0}")]
    Kubeconfig(String),
    /// The kubeconfig's credentials were refused (401) or could not be had (its exec plugin), in
    /// words ([`super::words`]).
    #[error("{0}")]
    Credentials(String),
    #[error(
        "forbidden: {user} cannot {verb} {resource} in namespace {namespace} (RBAC): {message}"
    )]
    Forbidden {
        user: String,
        verb: &'static str,
        resource: &'static str,
        namespace: String,
        message: String,
    },
    #[error(
        "{resource}/{name} changed since it was read (someone else wrote it): nothing was written; \
         look at the new state and try again"
    )]
    Conflict {
        resource: &'static str,
        name: String,
    },
    #[error("{resource}/{name} not found in namespace {namespace}")]
    NotFound {
        resource: &'static str,
        name: String,
        namespace: String,
    },
    #[error("cannot {verb} {resource} in namespace {namespace}: {message}")]
    Api {
        verb: &'static str,
        resource: &'static str,
        namespace: String,
        message: String,
    },
    /// A routing object that does not read as a release, in its provider's words.
    #[error(transparent)]
    Object(Box<dyn std::error::Error + Send + Sync>),
    #[error(
        "the cluster serves no {kind} ({group} {versions}): is its controller's CRD installed?"
    )]
    NotServed {
        kind: &'static str,
        group: &'static str,
        versions: String,
    },
    #[error(
        "no single Deployment runs the canary's pods (selector {selector}){}",
        if found.is_empty() { String::new() } else { format!(": several match ({found})") }
    )]
    NoDeployment { selector: String, found: String },
    #[error("deployment/{deployment} did not roll out: {reason}")]
    Rollout { deployment: String, reason: String },
    #[error("{0}")]
    Refused(String),
    #[error(
        "service/{service} has no selector: the cockpit cannot tell which pods are its version"
    )]
    NoSelector { service: String },
}

/// One API call's identity, to turn a kube error into a [`ClusterError`] that names it.
pub struct Call<'a> {
    pub verb: &'static str,
    pub resource: &'static str,
    pub name: &'a str,
    pub namespace: &'a str,
    pub user: &'a str,
    /// The command of the kubeconfig's exec plugin, if it has one.
    pub plugin: Option<&'a str>,
}

impl Call<'_> {
    pub fn error(&self, e: kube::Error) -> ClusterError {
        match e {
            kube::Error::Api(status) if status.code == 401 => {
                tracing::warn!(%status.message, "401 Unauthorized");
                ClusterError::Credentials(super::words::unauthorized(self.user))
            }
            kube::Error::Auth(auth) => {
                ClusterError::Credentials(super::words::credentials(&auth, self.plugin))
            }
            // the credentials refreshed for a request (an exec plugin run again) come back
            // through the client's stack
            kube::Error::Service(e) if e.is::<kube::client::AuthError>() => {
                let auth = e.downcast_ref::<kube::client::AuthError>();
                ClusterError::Credentials(auth.map_or_else(
                    || e.to_string(),
                    |a| super::words::credentials(a, self.plugin),
                ))
            }
            kube::Error::Api(status) if status.code == 403 => ClusterError::Forbidden {
                user: self.user.to_string(),
                verb: self.verb,
                resource: self.resource,
                namespace: self.namespace.to_string(),
                message: status.message.clone(),
            },
            kube::Error::Api(status) if status.code == 409 => ClusterError::Conflict {
                resource: self.resource,
                name: self.name.to_string(),
            },
            kube::Error::Api(status) if status.code == 404 && !self.name.is_empty() => {
                ClusterError::NotFound {
                    resource: self.resource,
                    name: self.name.to_string(),
                    namespace: self.namespace.to_string(),
                }
            }
            // the request's deadline, its 429 waits included: said as it is
            kube::Error::Service(e) if e.is::<super::throttle::Deadline>() => ClusterError::Api {
                verb: self.verb,
                resource: self.resource,
                namespace: self.namespace.to_string(),
                message: e.to_string(),
            },
            other => ClusterError::Api {
                verb: self.verb,
                resource: self.resource,
                namespace: self.namespace.to_string(),
                message: other.to_string(),
            },
        }
    }
}
