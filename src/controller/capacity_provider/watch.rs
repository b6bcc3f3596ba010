//! Which objects a change wakes, between ECSClusters and CapacityProviders: a provider's
//! status change wakes the clusters that name it (they may be waiting for it to be Ready), and
//! a cluster's change wakes providers being deleted in its namespace (their deletion waits
//! until no cluster uses them; the cluster's new spec may no longer name them, so every
//! deleting provider of the namespace is woken, which is rare and cheap).

use std::sync::Arc;

use kube::runtime::reflector::{ObjectRef, Store};
use kube::{Resource, ResourceExt};

use crate::crd::capacity_provider::CapacityProvider;
use crate::crd::cluster::ECSCluster;

/// Maps a CapacityProvider to the ECSClusters in its namespace whose spec names it, or that a
/// Managed Instances provider lives in (a cluster being deleted waits for those to go).
pub fn clusters_of_provider(
    clusters: Store<ECSCluster>,
) -> impl Fn(CapacityProvider) -> Vec<ObjectRef<ECSCluster>> + Send + Sync + Clone + 'static {
    move |provider: CapacityProvider| {
        let (ns, name) = (provider.namespace(), provider.provider_name());
        clusters
            .state()
            .iter()
            .filter(|c| {
                c.namespace() == ns
                    && (c.spec.capacity_providers.iter().flatten().any(|p| *p == name)
                        || crate::controller::cluster::providers::made_inside(&provider, c))
            })
            .map(|c| ObjectRef::from_obj(c.as_ref()))
            .collect()
    }
}

/// Maps an ECSCluster to the CapacityProviders of its namespace that are being deleted.
pub fn deleting_providers_of_cluster(
    providers: Store<CapacityProvider>,
) -> impl Fn(Arc<ECSCluster>) -> Vec<ObjectRef<CapacityProvider>> + Send + Sync + Clone + 'static {
    move |cluster: Arc<ECSCluster>| {
        let ns = cluster.namespace();
        providers
            .state()
            .iter()
            .filter(|p| p.meta().deletion_timestamp.is_some() && p.namespace() == ns)
            .map(|p| ObjectRef::from_obj(p.as_ref()))
            .collect()
    }
}
