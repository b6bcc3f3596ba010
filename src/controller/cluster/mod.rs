//! The ECSCluster controller: creates the ECS cluster with ownership tags, keeps settings,
//! configuration, Service Connect defaults, capacity providers and tags in line with the spec
//! (one write per changed group, none when equal), records and corrects drift, reports what
//! ECS says about the cluster, and on deletion waits for the cluster's services to go first.
//!
//! Pipeline: observe (one DescribeClusters) → plan (pure) → execute → status (pure) → patch
//! status if it changed.

pub mod cleanup;
pub mod execute;
pub mod plan;
pub mod providers;
pub mod status;
pub mod watch;

use aws_sdk_ecs::types::Cluster;
use kube::Resource;
use kube::runtime::controller::Action;
use kube::runtime::events::EventType;

use self::plan::{Actual, PlanInput};
use self::status::{Outcome, Stage};
use super::context::Context;
use super::drift::DriftItem;
use super::error::Error;
use super::kind::Reconciler;
use super::ownership::{check_ownership, owner_of};
use super::status::{publish, write_status};
use crate::aws::convert::cluster::cluster_spec_from_sdk;
use crate::aws::convert::tag_map;
use crate::aws::error::AwsError;
use crate::canonical::cluster::canonical_cluster;
use crate::canonical::spec_hash;
use crate::crd::cluster::{ECSCluster, ECSClusterSpec};
use crate::crd::common::ManagementPolicy;

impl Reconciler for ECSCluster {
    async fn apply(obj: &Self, ctx: &Context) -> Result<Action, Error> {
        apply(obj, ctx).await
    }

    async fn cleanup(obj: &Self, ctx: &Context) -> Result<Action, Error> {
        cleanup::cleanup(obj, ctx).await
    }
}

/// What a successful sync found.
struct Synced {
    cluster: Option<Cluster>,
    drift: Vec<DriftItem>,
    correction: crate::controller::drift::Correction,
    applied_hash: Option<String>,
}

async fn apply(cluster: &ECSCluster, ctx: &Context) -> Result<Action, Error> {
    let observe_only = cluster.spec.policies.management() == ManagementPolicy::Observe;
    let name = cluster.cluster_name();
    // Observe mode writes nothing, so it has nothing to wait for.
    if !observe_only && let Some(message) = providers::not_ready(cluster, ctx).await? {
        return providers::wait(cluster, ctx, &message).await;
    }
    let result = sync(cluster, ctx, &name, observe_only).await;
    let missing = if observe_only {
        format!("ECS cluster {name} does not exist; managementPolicy is Observe, so it is not created")
    } else {
        format!("ECS cluster {name} does not exist; driftPolicy is Report, so it is not recreated")
    };
    let stage = match &result {
        Ok(Synced { cluster: Some(c), .. }) => Some(Stage::Observed(c)),
        Ok(Synced { cluster: None, .. }) => Some(Stage::Missing(&missing)),
        Err(_) => None,
    };
    let outcome = Outcome {
        stage,
        drift: result.as_ref().map(|s| s.drift.as_slice()).unwrap_or_default(),
        correction: result.as_ref().ok().map(|s| &s.correction),
        applied_hash: result.as_ref().ok().and_then(|s| s.applied_hash.as_deref()),
        observe_only,
        error: result.as_ref().err(),
    };
    let previous = cluster.status.as_ref();
    let new_status = status::build(previous, cluster.meta().generation, &outcome, &ctx.now());
    write_status(ctx, cluster, previous, &new_status).await?;
    match result {
        // Provisioning moves on its own: look again soon.
        Ok(Synced { cluster: Some(c), .. }) if matches!(c.status(), Some("PROVISIONING" | "DEPROVISIONING")) => {
            Ok(Action::requeue(ctx.config.rollout_poll_interval))
        }
        Ok(s) => Ok(Action::requeue(crate::controller::drift::requeue_after(
            &s.correction,
            ctx.config.resync_interval,
            ctx.config.rollout_poll_interval,
            &ctx.now(),
        ))),
        Err(e) => {
            publish(ctx, cluster, EventType::Warning, e.reason(), &e.to_string()).await;
            Err(e)
        }
    }
}

/// The named cluster as ECS describes it; None when it does not exist or is INACTIVE (a
/// deleted cluster stays visible as INACTIVE for a while and can be created again).
pub async fn observe(ctx: &Context, name: &str) -> Result<Option<Cluster>, Error> {
    let clusters = ctx.ecs.describe_clusters(vec![name.to_owned()]).await?;
    Ok(clusters.into_iter().find(|c| c.cluster_name() == Some(name) && c.status() != Some("INACTIVE")))
}

/// The hash of what the user asked for: the canonical settings plus the user's tags, so a tag
/// edit is a spec change (applied under Report too), not drift.
fn desired_hash(desired: &ECSClusterSpec, spec: &ECSClusterSpec) -> Result<String, Error> {
    let hashed = ECSClusterSpec { tags: spec.tags.clone().filter(|t| !t.is_empty()), ..desired.clone() };
    spec_hash(&hashed).map_err(|e| Error::InvalidSpec(format!("spec: {e}")))
}

async fn sync(cluster: &ECSCluster, ctx: &Context, name: &str, observe_only: bool) -> Result<Synced, Error> {
    let desired = canonical_cluster(&cluster.spec);
    let desired_hash = desired_hash(&desired, &cluster.spec)?;
    let owner = owner_of(cluster);
    let existing = observe(ctx, name).await?;
    // Observe mode only reads: watching a cluster someone else manages takes nothing over.
    if let (Some(c), false) = (&existing, observe_only) {
        let what = format!("ECS cluster {name}");
        check_ownership(&what, &tag_map(c.tags()), &owner, cluster.spec.policies.adopt())?;
    }
    let actual = existing
        .as_ref()
        .map(|c| {
            cluster_spec_from_sdk(c).map(|spec| Actual {
                spec: crate::canonical::cluster::named_namespace(canonical_cluster(&spec), &desired),
                tags: tag_map(c.tags.as_deref().unwrap_or_default()),
            })
        })
        .transpose()
        .map_err(|e| Error::Aws(AwsError::malformed("DescribeClusters", e)))?;
    let desired_tags = crate::controller::tags::desired_tags(
        cluster.spec.tags.as_ref(),
        &owner,
        &ctx.config.cluster_id,
        actual.as_ref().map(|a| &a.tags),
        observe_only,
    );
    let previous = cluster.status.as_ref().and_then(|s| s.spec_hash.as_deref());
    let plan = plan::plan(&PlanInput {
        desired: &desired,
        desired_hash: &desired_hash,
        desired_tags: &desired_tags,
        manage_user_tags: cluster.spec.tags.is_some(),
        actual: actual.as_ref(),
        applied_hash: previous,
        drift_policy: cluster.spec.policies.drift(),
        observe_only,
        correction: cluster.status.as_ref().and_then(|s| s.common.correction.as_ref()),
        now: &ctx.now(),
        backoff: ctx.config.correction_backoff,
    });
    // Writes go to an ACTIVE cluster only; one still PROVISIONING is looked at again soon.
    let writable = existing.as_ref().is_none_or(|c| c.status() == Some("ACTIVE"));
    let mut observed = existing;
    if plan.writes() && writable {
        tracing::info!(?plan, "cluster plan");
        let target = execute::Target { name, owner: &owner, existing: observed.as_ref() };
        observed = execute::execute(cluster, ctx, &target, &plan).await?.or(observed);
    }
    // Observe mode keeps the hash it found: it applied nothing.
    let applied_hash =
        if observe_only || (plan.writes() && !writable) { previous.map(str::to_owned) } else { Some(desired_hash) };
    // A correction that could not be written (the cluster is not ACTIVE) is not an attempt.
    let correction = if writable { plan.correction } else { crate::controller::drift::Correction::None };
    Ok(Synced { cluster: observed, drift: plan.drift, correction, applied_hash })
}
