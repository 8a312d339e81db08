//! Whether the user may change a system's objects, asked once per kind when the board's watches
//! start (a SelfSubjectAccessReview for `patch`): a viewer sees the board with the actions marked
//! unavailable, and why.

use crate::model::Kind;
use crate::provider;
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use kube::api::{Api, PostParams};

use super::board::Scope;

async fn allowed(scope: &Scope, kind: Kind, namespace: Option<&str>) -> Result<bool, String> {
    let resource = provider::system(kind).resource();
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                group: Some(resource.group.to_string()),
                resource: Some(resource.plural.to_string()),
                verb: Some("patch".to_string()),
                namespace: namespace.map(str::to_string),
                ..ResourceAttributes::default()
            }),
            ..SelfSubjectAccessReviewSpec::default()
        },
        ..SelfSubjectAccessReview::default()
    };
    let api: Api<SelfSubjectAccessReview> = Api::all(scope.cluster.client.clone());
    match api.create(&PostParams::default(), &review).await {
        Ok(answer) => Ok(answer.status.is_some_and(|s| s.allowed)),
        Err(e) => Err(crate::cluster::words::cause_in_words(&e)),
    }
}

/// Why the user may not patch objects of `kind` where the board looks, or `None` when they
/// may (or when the API server does not say: the write then answers for itself).
pub async fn refused(scope: &Scope, kind: Kind) -> Option<String> {
    let resource = provider::system(kind).resource();
    let what = if resource.group.is_empty() {
        resource.plural.to_string()
    } else {
        format!("{}.{}", resource.plural, resource.group)
    };
    let user = &scope.cluster.user;
    if scope.namespaces.is_empty() {
        return match allowed(scope, kind, None).await {
            Ok(true) => None,
            Ok(false) => Some(format!(
                "{user} may not patch {what} (RBAC): the board is read-only here"
            )),
            Err(e) => {
                tracing::info!(error = %e, "no access review");
                None
            }
        };
    }
    for ns in &scope.namespaces {
        if let Ok(false) = allowed(scope, kind, Some(ns)).await {
            return Some(format!(
                "{user} may not patch {what} in {ns} (RBAC): the board is read-only here"
            ));
        }
    }
    None
}
