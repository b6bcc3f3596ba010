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

use std::sync::Arc;

use aws_sdk_ecs::types::Cluster;
use kube::runtime::controller::Action;
use kube::runtime::events::EventType;
use kube::runtime::finalizer::{Event as FinalizerEvent, finalizer};
use kube::{Api, Resource, ResourceExt};

use self::plan::{Actual, PlanInput};
use self::status::{Outcome, Stage};
use super::error::Error;
use super::task_definition::plan::DriftItem;
use super::{Context, publish, write_status};
use crate::aws::convert::cluster::cluster_spec_from_sdk;
use crate::aws::convert::tag_map;
use crate::aws::error::AwsError;
use crate::canonical::cluster::canonical_cluster;
use crate::canonical::defaults::CLUSTER_NOT_COMPARED;
use crate::canonical::spec_hash;
use crate::crd::cluster::{ECSCluster, ECSClusterSpec};
use crate::crd::common::{FINALIZER, ManagementPolicy, tags};

pub async fn reconcile(cluster: Arc<ECSCluster>, ctx: Arc<Context>) -> Result<Action, Error> {
    let namespace = cluster.namespace().ok_or(Error::MissingMetadata("namespace"))?;
    let api: Api<ECSCluster> = Api::namespaced(ctx.client.clone(), &namespace);
    let result = finalizer(&api, FINALIZER, cluster.clone(), |event| async {
        match event {
            FinalizerEvent::Apply(cluster) => apply(&cluster, &ctx).await,
            FinalizerEvent::Cleanup(cluster) => cleanup::cleanup(&cluster, &ctx).await,
        }
    })
    .await
    .or_else(Error::finalizer_outcome);
    super::refusals::finish_reconcile(&ctx, cluster.as_ref(), result).await
}

fn owner_of(cluster: &ECSCluster) -> String {
    format!("{}/{}", cluster.namespace().unwrap_or_default(), cluster.name_any())
}

/// The ECS cluster name: `spec.clusterName`, else the object name.
pub fn cluster_name_of(cluster: &ECSCluster) -> String {
    cluster.spec.cluster_name.clone().unwrap_or_else(|| cluster.name_any())
}

/// What a successful sync found.
struct Synced {
    cluster: Option<Cluster>,
    drift: Vec<DriftItem>,
    correction: crate::controller::drift::Correction,
    applied_hash: Option<String>,
    /// What this reconcile applied, for `status.lastApplied` (None: nothing was).
    applied: Option<crate::crd::common::AppliedRecord>,
}

async fn apply(cluster: &ECSCluster, ctx: &Context) -> Result<Action, Error> {
    let observe_only = cluster.spec.policies.management() == ManagementPolicy::Observe;
    let name = cluster_name_of(cluster);
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
        applied: result.as_ref().ok().and_then(|s| s.applied.as_ref()),
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
    let (record, removals) = crate::controller::applied::track(
        &desired,
        CLUSTER_NOT_COMPARED,
        cluster.spec.tags.as_ref(),
        cluster.status.as_ref().and_then(|s| s.common.last_applied.as_ref()),
    )?;
    let owner = owner_of(cluster);
    let existing = observe(ctx, name).await?;
    // Observe mode only reads: watching a cluster someone else manages takes nothing over.
    if let (Some(c), false) = (&existing, observe_only) {
        check_ownership(c, &owner, cluster.spec.policies.adopt())?;
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
        .map_err(|e| Error::Aws(AwsError::classify("DescribeClusters", "UnexpectedResponse".into(), e.to_string())))?;
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
        removals: &removals,
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
    // Observe mode, and writes a cluster not yet ACTIVE could not take, keep the hash (and the
    // record) found: nothing was applied.
    let applied = !observe_only && (writable || !plan.writes());
    let applied_hash = if applied { Some(desired_hash) } else { previous.map(str::to_owned) };
    // A correction that could not be written (the cluster is not ACTIVE) is not an attempt.
    let correction = if writable { plan.correction } else { crate::controller::drift::Correction::None };
    Ok(Synced { cluster: observed, drift: plan.drift, correction, applied_hash, applied: applied.then_some(record) })
}

fn check_ownership(cluster: &Cluster, owner: &str, adopt: bool) -> Result<(), Error> {
    let tags = tag_map(cluster.tags.as_deref().unwrap_or_default());
    let name = cluster.cluster_name().unwrap_or_default();
    match tags.get(tags::OWNER) {
        Some(o) if o == owner => Ok(()),
        Some(other) => {
            Err(Error::Conflict(format!("ECS cluster {name} is managed by {other}; it will not be taken over")))
        }
        None if adopt => Ok(()),
        None => Err(Error::Conflict(format!(
            "ECS cluster {name} exists and was not created by ecs-operator; set spec.adopt: true to manage it"
        ))),
    }
}

/// Whether ECS reports `cluster` as carrying `owner`'s ownership tag.
fn owned_by(cluster: &Cluster, owner: &str) -> bool {
    tag_map(cluster.tags.as_deref().unwrap_or_default()).get(tags::OWNER).map(String::as_str) == Some(owner)
}
