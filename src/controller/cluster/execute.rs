//! Carries out an ECSCluster plan against ECS (see `controller::execute`): CreateCluster, or
//! the tag calls and then UpdateCluster and PutClusterCapacityProviders, each only when the
//! plan changes a field it sets.

use aws_sdk_ecs::types::Cluster;

use super::plan::{Plan, puts_capacity_providers, updates_cluster};
use crate::aws::convert::ConvertError;
use crate::aws::convert::cluster::{create_cluster_input, put_cluster_capacity_providers_input, update_cluster_input};
use crate::canonical::cluster::canonical_cluster;
use crate::controller::context::Context;
use crate::controller::error::Error;
use crate::controller::execute;
use crate::controller::ownership::ownership_tags;
use crate::crd::cluster::ECSCluster;

/// Runs the plan for the cluster `name` (`existing` as described before it); returns the
/// cluster as ECS answered the last write, if any.
pub async fn execute(
    obj: &ECSCluster,
    ctx: &Context,
    name: &str,
    owner: &str,
    existing: Option<&Cluster>,
    plan: &Plan,
) -> Result<Option<Cluster>, Error> {
    let convert = |e: ConvertError| Error::InvalidSpec(e.to_string());
    let existing_arn = existing.map(|c| c.cluster_arn().unwrap_or(name).to_owned());
    let create = async || {
        // Managed Instances providers of this cluster are made inside it afterwards.
        let later = super::providers::made_later(obj, ctx);
        let mut spec = obj.spec.clone();
        if let Some(names) = spec.capacity_providers.as_mut() {
            names.retain(|n| !later.contains(n));
        }
        if let Some(strategy) = spec.default_capacity_provider_strategy.as_mut() {
            strategy.retain(|i| !later.contains(&i.capacity_provider));
        }
        let input = create_cluster_input(&spec, name, &ownership_tags(owner, &ctx.config.cluster_id));
        Ok(ctx.ecs.create_cluster(input.map_err(convert)?).await?)
    };
    let update = async |arn: &str| {
        let mut answered = None;
        if updates_cluster(plan) {
            let input = update_cluster_input(&canonical_cluster(&obj.spec), arn, &plan.update).map_err(convert)?;
            answered = Some(ctx.ecs.update_cluster(input).await?);
        }
        if puts_capacity_providers(plan) {
            // The Managed Instances providers ECS put in the cluster itself stay.
            let mut spec = obj.spec.clone();
            let in_ecs = existing.map(|c| c.capacity_providers().to_vec()).unwrap_or_default();
            super::providers::keep_made_inside(&mut spec, &super::providers::made_inside_names(obj, ctx), &in_ecs);
            let input = put_cluster_capacity_providers_input(&spec, arn).map_err(convert)?;
            answered = Some(ctx.ecs.put_cluster_capacity_providers(input).await?);
        }
        Ok(answered)
    };
    execute::execute(ctx, obj, &format!("ECS cluster {name}"), plan, existing_arn, create, update).await
}
