//! The one table of traffic systems: a new system is its folder, one line here and its row of
//! the kinds table (`model/target.rs`).

use crate::model::Kind;

use super::system::TrafficSystem;

/// Every traffic system the cockpit knows, in the order of [`Kind`]'s variants
/// (the order the release list shows them).
pub static SYSTEMS: [&dyn TrafficSystem; 8] = [
    &super::nginx::Nginx,
    &super::istio::Istio,
    &super::gateway::GatewayApi,
    &super::argo::ArgoRollouts,
    &super::kubesphere::KubeSphere,
    &super::flagger::Flagger,
    &super::traefik::Traefik,
    &super::contour::Contour,
];

/// The system whose objects a target of `kind` names: the table is in the order of the kinds
/// (its test holds it there).
pub fn system(kind: Kind) -> &'static dyn TrafficSystem {
    SYSTEMS[kind as usize]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::KINDS;

    #[test]
    fn every_kind_has_exactly_one_system() {
        for info in &KINDS {
            let n = SYSTEMS.iter().filter(|s| s.kind() == info.kind).count();
            assert_eq!(n, 1, "{} has {n} systems", info.prefix);
            assert_eq!(system(info.kind).kind(), info.kind);
        }
        assert_eq!(SYSTEMS.len(), KINDS.len());
    }
}
