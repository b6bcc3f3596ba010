//! What ECS has for an ECSCluster: the named cluster (one DescribeClusters, tags included),
//! and its canonical form, to compare with the spec.

use aws_sdk_ecs::types::Cluster;

use super::plan::Actual;
use crate::aws::convert::cluster::cluster_spec_from_sdk;
use crate::aws::convert::tag_map;
use crate::aws::error::AwsError;
use crate::canonical::cluster::{canonical_cluster, named_namespace};
use crate::controller::context::Context;
use crate::controller::error::Error;
use crate::crd::cluster::ECSClusterSpec;

/// The named cluster as ECS describes it; None when it does not exist or is INACTIVE (a
/// deleted cluster stays visible as INACTIVE for a while and can be created again).
pub async fn observe(ctx: &Context, name: &str) -> Result<Option<Cluster>, Error> {
    let clusters = ctx.ecs.describe_clusters(vec![name.to_owned()]).await?;
    Ok(clusters.into_iter().find(|c| c.cluster_name() == Some(name) && c.status() != Some("INACTIVE")))
}

/// The cluster in canonical form, its Service Connect namespace named as `desired` names it.
pub fn actual(cluster: &Cluster, desired: &ECSClusterSpec) -> Result<Actual, Error> {
    let spec = cluster_spec_from_sdk(cluster).map_err(|e| Error::Aws(AwsError::malformed("DescribeClusters", e)))?;
    Ok(Actual { spec: named_namespace(canonical_cluster(&spec), desired), tags: tag_map(cluster.tags()) })
}
