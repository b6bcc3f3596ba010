//! The ECSExpressService controller: creates an ECS Express Mode service with ownership tags,
//! keeps everything UpdateExpressGatewayService takes in line with the spec (one update when
//! anything differs; ECS rolls out a new revision), refuses to touch what the update cannot
//! change (cluster, infrastructure role, a task role taken away: RequiresReplacement), records
//! and corrects drift, holds a configuration ECS rolled back until the spec changes, reports
//! the endpoint, the rollout and the resources ECS made, and on deletion waits until ECS has
//! drained the service.
//!
//! Pipeline: [`observe`] (DescribeServices, shared and batched; DescribeExpressGatewayService;
//! DescribeServiceRevisions while the resources are new) → [`plan`] (pure) → [`execute`] →
//! [`status`] (pure) → status written if it changed; [`cleanup`] on deletion.

pub mod cleanup;
pub mod execute;
pub mod observe;
pub mod plan;
pub mod status;

use std::time::Duration;

use kube::runtime::controller::Action;
use kube::{Resource, ResourceExt};

use self::observe::Found;
use self::plan::Why;
use self::status::{Outcome, Stage};
use super::context::Context;
use super::error::Error;
use super::kind::reconciler;
use super::outcome::{Synced, missing_message, requeue};
use super::planning::plan_object;
use super::references;
use super::status::record;
use crate::canonical::defaults::EXPRESS_NOT_COMPARED;
use crate::canonical::express::canonical_express;
use crate::canonical::spec_hash;
use crate::crd::express::{ECSExpressService, ECSExpressServiceSpec};
use crate::crd::{ManagedObject, ManagementPolicy};

reconciler!(ECSExpressService, apply, cleanup::cleanup);

async fn apply(obj: &ECSExpressService, ctx: &Context) -> Result<Action, Error> {
    let observe_only = obj.policies().management() == ManagementPolicy::Observe;
    let name = obj.service_name();
    let result = sync(obj, ctx, &name, observe_only).await;
    let missing = missing_message(&format!("Express service {name}"), observe_only);
    let outcome = Outcome::of(&result, observe_only, |s| match &s.described {
        Some((found, rolled_back)) => Stage::Observed { found, rolled_back: rolled_back.as_deref() },
        None => Stage::Missing(&missing),
    });
    let new_status = status::build(obj.status.as_ref(), obj.meta().generation, &outcome, &ctx.now());
    let ready = super::conditions::ready_reason(Some(&new_status)) == Some("Active");
    let synced = record(ctx, obj, &new_status, result).await?;
    // A rollout or provisioning moves on its own: look again soon.
    let moving = synced.described.is_some() && !ready && new_status.common.drift.as_ref().is_none_or(|d| d.is_empty());
    Ok(requeue(ctx, moving, &synced.correction))
}

/// What a sync found: the service, and the rollback held (its message), if any.
type Described = (Found, Option<String>);

/// Observe, plan and execute.
async fn sync(
    obj: &ECSExpressService,
    ctx: &Context,
    name: &str,
    observe_only: bool,
) -> Result<Synced<Described>, Error> {
    let cluster = cluster_of(obj, ctx)?;
    let spec = ECSExpressServiceSpec { cluster: Some(cluster.clone()), ..obj.spec.clone() };
    let desired = canonical_express(&spec).map_err(Error::InvalidSpec)?;
    let desired_hash =
        spec_hash(&ECSExpressServiceSpec { tags: obj.spec.tags.clone().filter(|t| !t.is_empty()), ..desired.clone() })
            .map_err(|e| Error::InvalidSpec(format!("spec: {e}")))?;
    let max_age =
        if ready_now(obj) { ctx.config.service_poll_interval } else { ctx.config.rollout_poll_interval.mul_f64(0.9) };
    let (mut express, mut service) = observe::observe(ctx, obj, &cluster, name, max_age).await?;
    let actual = express.as_ref().map(observe::actual).transpose()?;
    let what = format!("Express service {name}");
    let planned = (&desired, desired_hash.as_str(), EXPRESS_NOT_COMPARED);
    let (mut plan, record) = plan_object(ctx, obj, &what, planned, actual.as_ref(), plan::plan)?;
    if let Some(field) = plan.replace {
        return Err(Error::RequiresReplacement(format!("spec.{field}")));
    }
    // A configuration ECS rolled back is not sent again until the spec changes.
    let rolled_back = service.as_ref().and_then(status::rolled_back).or_else(|| {
        status::remembered_rollback(obj.status.as_ref(), &desired_hash)
            .filter(|_| !plan_changes_spec(obj, &desired_hash))
    });
    let held = rolled_back.is_some() && plan.why == Some(Why::DriftCorrected);
    if held {
        plan.update.clear();
        plan.why = None;
    }
    if plan.writes() {
        tracing::info!(?plan, "Express service plan");
        let answered = execute::execute(obj, &desired, ctx, (&cluster, name), express.as_ref(), &plan).await?;
        let arn = answered.as_ref().or(express.as_ref()).and_then(|e| e.service_arn()).map(str::to_owned);
        if let Some(arn) = arn {
            express = ctx.ecs.describe_express_service(&arn).await?.or(answered);
        }
        service = ctx.describer.describe(&cluster, name, Duration::ZERO).await?;
    }
    let applied_hash = if observe_only { obj.applied_hash().map(str::to_owned) } else { Some(desired_hash) };
    let applied = (!observe_only).then_some(record);
    let described = match express {
        Some(express) => {
            let resources = observe::resources(ctx, obj, &express).await?;
            let rolled_back = if plan.why == Some(Why::SpecChanged) { None } else { rolled_back };
            Some((Found { express, service, resources }, rolled_back))
        }
        None => None,
    };
    Ok(Synced { described, drift: plan.drift, correction: plan.correction, applied_hash, applied })
}

/// Whether the spec differs from the one last applied (a new spec lifts a held rollback).
fn plan_changes_spec(obj: &ECSExpressService, desired_hash: &str) -> bool {
    obj.applied_hash() != Some(desired_hash)
}

/// Whether the last status said Ready: a steady service reads the batched sweep's descriptions.
fn ready_now(obj: &ECSExpressService) -> bool {
    super::conditions::ready_reason(obj.status.as_ref()) == Some("Active")
}

/// The cluster the spec names (`default` when it names none), an ECSCluster's resolved; a
/// referenced ECSCluster not there yet is a wait.
pub fn cluster_of(obj: &ECSExpressService, ctx: &Context) -> Result<String, Error> {
    if obj.spec.cluster.is_none() && obj.spec.cluster_ref.is_none() {
        return Ok("default".into());
    }
    let namespace = obj.namespace().ok_or(Error::MissingMetadata("namespace"))?;
    match references::cluster(&namespace, obj.spec.cluster.as_ref(), obj.spec.cluster_ref.as_ref(), ctx)? {
        Ok(cluster) => Ok(references::cluster_name(&cluster)),
        Err(waiting) => Err(Error::Waiting(waiting.why)),
    }
}
