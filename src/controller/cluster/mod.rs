//! The ECSCluster controller: creates the ECS cluster with ownership tags, keeps settings,
//! configuration, Service Connect defaults, capacity providers and tags in line with the spec
//! (one write per changed group, none when equal), records and corrects drift, reports what
//! ECS says about the cluster, and on deletion waits for the cluster's services to go first.
//!
//! Pipeline: [`observe`] (one DescribeClusters) → [`plan`] (pure) → [`execute`] → [`status`]
//! (pure) → status written if it changed; [`cleanup`] on deletion. A cluster naming a
//! CapacityProvider object waits for it first ([`providers`]).

pub mod cleanup;
pub mod execute;
pub mod observe;
pub mod plan;
pub mod providers;
pub mod status;
pub mod watch;

use aws_sdk_ecs::types::Cluster;
use kube::Resource;
use kube::runtime::controller::Action;

use self::status::{Outcome, Stage};
use super::context::Context;
use super::error::Error;
use super::kind::reconciler;
use super::outcome::{Synced, missing_message, requeue};
use super::ownership::owner_of;
use super::planning::plan_object;
use super::status::record;
use crate::canonical::cluster::canonical_cluster;
use crate::canonical::defaults::CLUSTER_NOT_COMPARED;
use crate::canonical::spec_hash;
use crate::crd::cluster::{ECSCluster, ECSClusterSpec};
use crate::crd::{ManagedObject, ManagementPolicy};

reconciler!(ECSCluster, apply, cleanup::cleanup);

async fn apply(cluster: &ECSCluster, ctx: &Context) -> Result<Action, Error> {
    let observe_only = cluster.policies().management() == ManagementPolicy::Observe;
    // Observe mode writes nothing, so it has nothing to wait for.
    if !observe_only && let Some(message) = providers::not_ready(cluster, ctx).await? {
        return providers::wait(cluster, ctx, &message).await;
    }
    let name = cluster.cluster_name();
    let result = sync(cluster, ctx, &name, observe_only).await;
    let missing = missing_message(&format!("ECS cluster {name}"), observe_only);
    let outcome = Outcome::of(&result, observe_only, |s| match &s.described {
        Some(c) => Stage::Observed(c),
        None => Stage::Missing(&missing),
    });
    let new_status = status::build(cluster.status.as_ref(), cluster.meta().generation, &outcome, &ctx.now());
    let synced = record(ctx, cluster, &new_status, result).await?;
    // Provisioning moves on its own: look again soon.
    let moving =
        synced.described.as_ref().is_some_and(|c| matches!(c.status(), Some("PROVISIONING" | "DEPROVISIONING")));
    Ok(requeue(ctx, moving, &synced.correction))
}

/// Observe, plan and execute: the cluster as ECS has it afterwards, and what differs.
async fn sync(cluster: &ECSCluster, ctx: &Context, name: &str, observe_only: bool) -> Result<Synced<Cluster>, Error> {
    let mut desired = canonical_cluster(&cluster.spec);
    let desired_hash = desired_hash(&desired, &cluster.spec)?;
    // Managed Instances providers made inside the cluster: associated by ECS, not compared.
    let inside = providers::made_inside_names(cluster, ctx);
    providers::without_made_inside(&mut desired.capacity_providers, &inside);
    let existing = observe::observe(ctx, name).await?;
    let mut actual = existing.as_ref().map(|c| observe::actual(c, &desired)).transpose()?;
    if let Some(actual) = actual.as_mut() {
        providers::without_made_inside(&mut actual.spec.capacity_providers, &inside);
    }
    let what = format!("ECS cluster {name}");
    let planned = (&desired, desired_hash.as_str(), CLUSTER_NOT_COMPARED);
    let (plan, record) = plan_object(ctx, cluster, &what, planned, actual.as_ref(), plan::plan)?;
    // Writes go to an ACTIVE cluster only; one still PROVISIONING is looked at again soon.
    let writable = existing.as_ref().is_none_or(|c| c.status() == Some("ACTIVE"));
    let mut described = existing;
    if plan.writes() && writable {
        tracing::info!(?plan, "cluster plan");
        let owner = owner_of(cluster);
        described = execute::execute(cluster, ctx, name, &owner, described.as_ref(), &plan).await?.or(described);
    }
    // Observe mode, and writes a cluster not yet ACTIVE could not take, keep the hash (and the
    // record) found: nothing was applied.
    let applied = !observe_only && (writable || !plan.writes());
    let applied_hash = if applied { Some(desired_hash) } else { cluster.applied_hash().map(str::to_owned) };
    // A correction that could not be written (the cluster is not ACTIVE) is not an attempt.
    let correction = if writable { plan.correction } else { super::drift::Correction::None };
    Ok(Synced { described, drift: plan.drift, correction, applied_hash, applied: applied.then_some(record) })
}

/// The hash of what the user asked for: the canonical settings plus the user's tags, so a tag
/// edit is a spec change (applied under Report too), not drift.
pub(crate) fn desired_hash(desired: &ECSClusterSpec, spec: &ECSClusterSpec) -> Result<String, Error> {
    spec_hash(&ECSClusterSpec { tags: spec.tags.clone().filter(|t| !t.is_empty()), ..desired.clone() })
        .map_err(|e| Error::InvalidSpec(format!("spec: {e}")))
}
