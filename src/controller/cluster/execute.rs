//! Carries out an ECSCluster plan against ECS: CreateCluster, or the update calls the plan
//! asks for (TagResource, UntagResource, UpdateCluster, PutClusterCapacityProviders), each at
//! most once, and one event that says what changed.

use aws_sdk_ecs::types::Cluster;
use kube::runtime::events::EventType;

use super::plan::{ClusterPlan, Why};
use crate::aws::convert::ConvertError;
use crate::aws::convert::cluster::{create_cluster_input, put_cluster_capacity_providers_input, update_cluster_input};
use crate::canonical::cluster::canonical_cluster;
use crate::canonical::diff::top_levels;
use crate::controller::context::Context;
use crate::controller::error::Error;
use crate::controller::ownership::ownership_tags;
use crate::controller::status::publish;
use crate::controller::tags::write_tag_changes;
use crate::crd::cluster::ECSCluster;

/// The cluster the plan is for.
pub struct Target<'a> {
    pub name: &'a str,
    pub owner: &'a str,
    /// The cluster as described before the plan (None: to be created).
    pub existing: Option<&'a Cluster>,
}

/// Runs the plan; returns the cluster as ECS answered the last write, if any.
pub async fn execute(
    obj: &ECSCluster,
    ctx: &Context,
    target: &Target<'_>,
    plan: &ClusterPlan,
) -> Result<Option<Cluster>, Error> {
    let convert = |e: ConvertError| Error::InvalidSpec(e.to_string());
    if plan.create {
        let ownership = ownership_tags(target.owner, &ctx.config.cluster_id);
        let input = create_cluster_input(&obj.spec, target.name, &ownership).map_err(convert)?;
        // CreateCluster is idempotent by name in ECS, so a create retried after a crash or a
        // timeout returns the cluster the first attempt made.
        let created = ctx.ecs.create_cluster(input).await?;
        let note = format!("created ECS cluster {}", target.name);
        publish(ctx, obj, EventType::Normal, "Created", &note).await;
        return Ok(Some(created));
    }
    let Some(existing) = target.existing else { return Ok(None) };
    // The ARN names the cluster unambiguously (and TagResource needs it).
    let arn = existing.cluster_arn().unwrap_or(target.name).to_owned();
    // Tags first: adopting, they add the owner tag the IAM policy wants before other changes.
    write_tag_changes(ctx.ecs.as_ref(), &arn, &plan.tag, &plan.untag).await?;
    let mut answered = None;
    if plan.update_cluster {
        let fields = top_levels(plan.changed.iter().map(String::as_str));
        let input = update_cluster_input(&canonical_cluster(&obj.spec), &arn, &fields).map_err(convert)?;
        answered = Some(ctx.ecs.update_cluster(input).await?);
    }
    if plan.put_capacity_providers {
        let input = put_cluster_capacity_providers_input(&obj.spec, &arn).map_err(convert)?;
        answered = Some(ctx.ecs.put_cluster_capacity_providers(input).await?);
    }
    let (reason, verb) = match plan.why {
        Some(Why::DriftCorrected) => ("DriftCorrected", "put back drifted fields of"),
        _ => ("Updated", "updated"),
    };
    let note = format!("{verb} ECS cluster {}: {}", target.name, plan.changed.join(", "));
    publish(ctx, obj, EventType::Normal, reason, &note).await;
    Ok(answered)
}
