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
use self::status::{Outcome, Stage};
use super::conditions::PROGRESSING;
use super::context::Context;
use super::error::Error;
use super::kind::reconciler;
use super::outcome::{Synced, missing_message, requeue};
use super::planning::plan_object;
use super::references;
use super::rollout;
use super::status::record;
use crate::canonical::compare;
use crate::canonical::defaults::EXPRESS_NOT_COMPARED;
use crate::canonical::express::canonical_express;
use crate::canonical::spec_hash;
use crate::crd::express::{ECSExpressService, ECSExpressServiceSpec};
use crate::crd::{ManagedObject, ManagementPolicy};

reconciler!(ECSExpressService, apply, cleanup::cleanup);

async fn apply(obj: &ECSExpressService, ctx: &Context) -> Result<Action, Error> {
    let observe_only = obj.policies().management() == ManagementPolicy::Observe;
    let name = obj.service_name();
    let result = match check_name(obj, &name) {
        Ok(()) => sync(obj, ctx, &name, observe_only).await,
        Err(e) => Err(e),
    };
    let missing = missing_message(&format!("Express service {name}"), observe_only);
    let outcome = Outcome::of(&result, observe_only, |s| match &s.described {
        Some(found) => Stage::Observed(found),
        None => Stage::Missing(&missing),
    });
    let new_status = status::build(obj.status.as_ref(), obj.meta().generation, &outcome, &ctx.now());
    // A rollout or provisioning moves on its own: look again soon. A failed or rolled-back one
    // waits for a change.
    let conditions = new_status.common.conditions.as_deref().unwrap_or_default();
    let moving = super::conditions::status_of(conditions, PROGRESSING) == Some("True");
    let synced = record(ctx, obj, &new_status, result).await?;
    Ok(requeue(ctx, moving, &synced.correction))
}

/// Admission checks `spec.serviceName`; a name taken from the object may still break ECS's
/// rules (a dot), which only the controller can see.
pub(crate) fn check_name(obj: &ECSExpressService, name: &str) -> Result<(), Error> {
    let valid = !name.is_empty()
        && name.len() <= 255
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if obj.spec.service_name.is_none() && !valid {
        return Err(Error::InvalidSpec(format!(
            "metadata.name (the default for spec.serviceName): {name:?} may only hold letters, digits, '-' and '_'; \
             set spec.serviceName"
        )));
    }
    Ok(())
}

/// Observe, plan and execute.
async fn sync(obj: &ECSExpressService, ctx: &Context, name: &str, observe_only: bool) -> Result<Synced<Found>, Error> {
    let cluster = cluster_of(obj, ctx)?;
    let spec = ECSExpressServiceSpec { cluster: Some(cluster.clone()), ..obj.spec.clone() };
    let desired = canonical_express(&spec).map_err(Error::InvalidSpec)?;
    let with_tags = ECSExpressServiceSpec { tags: obj.spec.tags.clone().filter(|t| !t.is_empty()), ..desired.clone() };
    let desired_hash = spec_hash(&with_tags).map_err(|e| Error::InvalidSpec(format!("spec: {e}")))?;
    let max_age =
        if ready_now(obj) { ctx.config.service_poll_interval } else { ctx.config.rollout_poll_interval.mul_f64(0.9) };
    let (mut express, mut service) = observe::observe(ctx, obj, &cluster, name, max_age).await?;
    // Deleted out of band and still draining: nothing to plan against until it is gone.
    if let Some(draining) = express.take_if(|e| status::status_code(e) == "DRAINING") {
        let found = Found { express: draining, service, resources: None, rolled_back: None, update_pending: false };
        let correction = Default::default();
        return Ok(Synced { described: Some(found), drift: vec![], correction, applied_hash: None, applied: None });
    }
    let actual = express.as_ref().map(observe::actual).transpose()?;
    let rolled_back = rollback_to_hold(obj, service.as_ref(), &desired_hash);
    let what = format!("Express service {name}");
    let planned = (&desired, desired_hash.as_str(), EXPRESS_NOT_COMPARED);
    let held = rolled_back.is_some();
    let (plan, record) = plan_object(ctx, obj, &what, planned, actual.as_ref(), |input| plan::plan(input, held))?;
    if let Some(field) = plan.replace {
        return Err(Error::RequiresReplacement(format!("spec.{field}")));
    }
    let mut update_pending = false;
    if plan.writes() {
        tracing::info!(?plan, "Express service plan");
        let answered = execute::execute(obj, &desired, ctx, (&cluster, name), express.as_ref(), &plan).await?;
        // What ECS says after the write. A read that fails here must not fail the sync: the
        // write was made, and the status must record it (status.lastApplied).
        let arn = answered.as_ref().or(express.as_ref()).and_then(|e| e.service_arn()).map(str::to_owned);
        let after = match arn {
            Some(arn) => ctx.ecs.describe_express_service(&arn).await.unwrap_or_else(|e| {
                tracing::warn!(error = %e, "describing the Express service after the write");
                None
            }),
            None => None,
        };
        express = after.or(answered).or(express);
        service = ctx.describer.describe(&cluster, name, Duration::ZERO).await.unwrap_or(service);
        // Until ECS reports the configuration just sent, the service is not on the spec.
        let now_actual = express.as_ref().map(observe::actual).transpose().ok().flatten();
        update_pending = now_actual.is_some_and(|a| !compare(&desired, &a.spec, EXPRESS_NOT_COMPARED).is_empty());
    }
    let applied_hash = if observe_only { obj.applied_hash().map(str::to_owned) } else { Some(desired_hash) };
    let applied = (!observe_only).then_some(record);
    // Reported only while AWS still differs from the spec (ECS may have rolled back to it).
    let rolled_back = rolled_back.filter(|_| !plan.drift.is_empty());
    let described = match express {
        Some(express) => {
            let resources = observe::resources(ctx, obj, &express).await.unwrap_or_else(|e| {
                tracing::warn!(error = %e, "reading the Express service's managed resources");
                None
            });
            Some(Found { express, service, resources, rolled_back, update_pending })
        }
        None => None,
    };
    Ok(Synced { described, drift: plan.drift, correction: plan.correction, applied_hash, applied })
}

/// A configuration ECS rolled back (the circuit breaker, the deployment alarm) is reported, not
/// sent again, until the spec changes: while it is held, its differences are only recorded (the
/// correction gate does not run for them). The revision it went back to, while held.
pub(crate) fn rollback_to_hold(
    obj: &ECSExpressService,
    service: Option<&aws_sdk_ecs::types::Service>,
    desired_hash: &str,
) -> Option<String> {
    if obj.applied_hash() != Some(desired_hash) {
        return None;
    }
    service
        .and_then(status::rolled_back)
        .or_else(|| rollout::remembered_rollback(obj.status.as_ref(), obj.applied_hash(), desired_hash))
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
