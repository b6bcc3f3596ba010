//! What wakes an ECSCluster besides its own changes: the services it waits for while it is
//! deleted.

use kube::runtime::reflector::{self, Store};
use kube::{Resource, ResourceExt};

use crate::crd::{ECSCluster, ECSService};

/// An ECSService's change wakes the ECSCluster it runs in, but only while that cluster is being
/// deleted: its deletion waits for the services to go, and a service's routine status writes
/// must not cost a DescribeClusters each otherwise.
pub fn deleting_clusters_of_service(
    clusters: Store<ECSCluster>,
) -> impl Fn(ECSService) -> Vec<reflector::ObjectRef<ECSCluster>> + Send + Sync + Clone + 'static {
    move |svc: ECSService| {
        let ns = svc.namespace();
        clusters
            .state()
            .iter()
            .filter(|c| c.meta().deletion_timestamp.is_some() && c.namespace() == ns)
            .filter(|c| {
                let by_ref = svc.spec.cluster_ref.as_ref().is_some_and(|r| r.name == c.name_any());
                let ecs_name = c.cluster_name();
                let by_name = svc
                    .spec
                    .cluster
                    .as_deref()
                    .is_some_and(|n| n == ecs_name || n.ends_with(&format!(":cluster/{ecs_name}")));
                by_ref || by_name
            })
            .map(|c| reflector::ObjectRef::from_obj(c.as_ref()))
            .collect()
    }
}
