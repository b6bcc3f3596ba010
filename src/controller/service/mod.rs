//! The ECSService controller: creates and updates the ECS service, follows the referenced
//! TaskDefinition's revision, honours `restartedAt`, keeps the service's tags (the user's plus
//! the ownership tags, which also mark an adopted service as ours), reports the rollout
//! truthfully (Ready only when the desired revision runs COMPLETED with all tasks), records
//! and corrects drift, and on deletion scales in and waits through DRAINING.
//!
//! Pipeline: [`resolve`] the references → [`observe`] (the shared DescribeServices) → [`plan`]
//! (pure) → [`execute`] → [`autoscaling`] → [`status`] (pure, with the [`rollout`] verdict) →
//! status written if it changed → requeue fast while a rollout moves; [`cleanup`] on deletion.

pub mod attachments;
pub mod autoscaling;
pub mod cleanup;
pub mod deployment;
pub mod execute;
pub mod observe;
pub mod plan;
pub mod resolve;
pub mod status;
pub mod watch;

use aws_sdk_ecs::types::Service;
use kube::runtime::controller::Action;
use kube::{Resource, ResourceExt};

use self::plan::{Actual, PlanInput, ServicePlan};
use self::resolve::{Resolution, Resolved, Waiting};
use self::status::{Outcome, Reached, Synced};
use super::context::Context;
use super::error::Error;
use super::kind::reconciler;
use super::ownership::owner_of;
use super::planning::plan_object;
use super::rollout;
use super::status::record;
use crate::aws::convert::service::ServiceTarget;
use crate::canonical::defaults::SERVICE_NOT_COMPARED;
use crate::canonical::service::canonical_service;
use crate::canonical::spec_hash;
use crate::crd::common::{AppliedRecord, ManagementPolicy, RESTARTED_AT_ANNOTATION};
use crate::crd::service::{NamespaceSeen, ServiceConnectConfiguration};
use crate::crd::{ECSService, ECSServiceSpec, ManagedObject};

reconciler!(ECSService, apply, cleanup::cleanup);

async fn apply(svc: &ECSService, ctx: &Context) -> Result<Action, Error> {
    let observe_only = svc.policies().management() == ManagementPolicy::Observe;
    let result = reach(svc, ctx, observe_only).await;
    let outcome = Outcome::of(&result, observe_only);
    let new_status = status::build(svc.status.as_ref(), svc.meta().generation, &outcome, &ctx.now());
    Ok(requeue(ctx, &record(ctx, svc, &new_status, result).await?))
}

/// Resolves the references and syncs, or says what the service waits for.
async fn reach(svc: &ECSService, ctx: &Context, observe_only: bool) -> Result<Reached, Error> {
    let resolved = match resolve::resolve(svc, ctx).await? {
        Resolution::Ready(resolved) => resolved,
        Resolution::Waiting(waiting) => return Ok(Reached::Waiting(waiting)),
    };
    match sync(svc, ctx, &resolved, observe_only).await {
        // The cluster may be on its way (an ECSCluster object, another tool): wait for it.
        Err(Error::Aws(e)) if e.code == "ClusterNotFoundException" => {
            Ok(Reached::Waiting(Waiting::for_ecs(format!("waiting for ECS cluster {} to exist", resolved.cluster))))
        }
        other => other.map(|synced| Reached::Synced(Box::new(synced))),
    }
}

/// When to look again: at the rollout pace while a rollout moves or a correction was just
/// sent; just after the sweep refreshes the service's description when steady (drift then
/// shows within about one round, and steady reconciles never describe on their own); when a
/// correction's back-off ends; and while waiting, at the pace of what ends the wait.
fn requeue(ctx: &Context, reached: &Reached) -> Action {
    let config = &ctx.config;
    match reached {
        Reached::Synced(s) if s.assessment.as_ref().is_some_and(|a| a.progressing() && !a.awaiting_approval()) => {
            Action::requeue(config.rollout_poll_interval)
        }
        Reached::Synced(s) if s.correction.sends() => Action::requeue(config.rollout_poll_interval),
        Reached::Synced(s) => {
            let interval = config.service_poll_interval;
            let steady = (s.refreshed_in.unwrap_or(interval) + interval / 20).max(interval / 10);
            let due = s.correction.retry_in(&ctx.now()).map(|d| d + interval / 20);
            Action::requeue(due.map_or(steady, |d| d.min(steady)))
        }
        // Its watch wakes the service; the requeue is only a safety net (polling every waiting
        // service at the rollout pace would be most of the work at scale).
        Reached::Waiting(Waiting { woken_by_watch: true, .. }) => Action::requeue(config.service_poll_interval * 3),
        // Nothing but polling ends a wait on ECS.
        Reached::Waiting(Waiting { woken_by_watch: false, .. }) => Action::requeue(config.rollout_poll_interval),
    }
}

/// Observe, plan, execute and scale: the service as ECS has it afterwards, with the verdict on
/// its rollout, and what differs.
async fn sync(svc: &ECSService, ctx: &Context, resolved: &Resolved, observe_only: bool) -> Result<Synced, Error> {
    check_inputs(&svc.spec)?;
    let scaler_owns_count = svc.spec.autoscaling.is_some();
    let td = resolved.task_definition_arn.as_str();
    let desired = canonical_service(&svc.spec, Some(td), scaler_owns_count);
    let desired_hash = desired_hash(&desired, &svc.spec)?;
    // Only before a write: an observed service is reported as it is.
    if !observe_only && svc.applied_hash() != Some(desired_hash.as_str()) {
        check_task_definition_fit(svc, ctx, resolved).await?;
    }
    let existing = observe::describe(ctx, svc, &resolved.cluster, &resolved.service_name).await?;
    let seen_before = svc.status.as_ref().and_then(|s| s.service_connect_namespace.as_deref());
    let observed = existing.as_ref().map(|s| observe::actual(s, scaler_owns_count, &desired, seen_before));
    let (actual, mut namespace_seen) = match observed.transpose()? {
        Some((actual, seen)) => (Some(actual), seen),
        None => (None, None),
    };
    let (remembered, rolled_back) = rollback_to_hold(svc, existing.as_ref(), td, &desired_hash);
    let (plan, record) = plan(svc, ctx, resolved, (&desired, &desired_hash), actual.as_ref(), rolled_back)?;
    // Before the plan's writes: an approval or rollback acts on the deployment in flight, and a
    // failing update must not keep it from being acted on.
    let followed = deployment::follow(svc, ctx, existing.as_ref(), observe_only).await?;
    let service = if observe_only {
        existing
    } else {
        // UpdateService always names a revision: while a rollback is held, the one ECS runs, so
        // a correction of other drift does not redeploy the revision that failed.
        let held = plan.drift.iter().any(|d| d.field == "taskDefinition") && rolled_back;
        let running = actual.as_ref().and_then(|a| a.spec.task_definition.as_deref()).filter(|_| held);
        let target = ServiceTarget {
            cluster: &resolved.cluster,
            service_name: &resolved.service_name,
            task_definition_arn: running.unwrap_or(td),
        };
        let owner = owner_of(svc);
        let written =
            execute::execute(svc, ctx, &target, existing.as_ref(), &plan, &desired, &owner, &desired_hash).await?;
        // A write that named the namespace: the next description says which ARN it is.
        if written.is_some() && plan.names_namespace() {
            namespace_seen = named_namespace(&desired).map(|name| NamespaceSeen { name, arn: None });
        }
        written.or(existing)
    };
    let scalable_target = scale(svc, ctx, resolved, service.as_ref(), observe_only).await?;
    let restarted_at = restart_wanted(svc).filter(|_| !observe_only && service.is_some());
    // Judged only by the deployment ECS runs now: an update just made starts another.
    let current_arn = service.as_ref().and_then(Service::current_service_deployment);
    let current = followed.deployment.as_ref().filter(|d| Some(d.arn.as_str()) == current_arn);
    Ok(Synced {
        assessment: service.as_ref().map(|s| rollout::assess_remembering(s, current, td, remembered.as_deref())),
        deployment: followed.deployment.clone(),
        actions: followed.actions,
        service,
        desired_task_definition: td.to_owned(),
        drift: plan.drift,
        correction: plan.correction,
        applied_hash: if observe_only { svc.applied_hash().unwrap_or_default().to_owned() } else { desired_hash },
        // A restart that happened (or the first create, which deploys anyway) is recorded.
        restarted_at,
        scalable_target,
        refreshed_in: ctx.describer.refreshed_in(&resolved.cluster, &resolved.service_name),
        applied: (!observe_only).then_some(record),
        namespace_seen: namespace_seen.map(Box::new),
    })
}

/// The Service Connect namespace the spec names by name (not by ARN), if any.
fn named_namespace(desired: &ECSServiceSpec) -> Option<String> {
    let namespace = desired.service_connect_configuration.as_ref()?.namespace.as_deref()?;
    (!namespace.starts_with("arn:")).then(|| namespace.to_owned())
}

/// The plan for the service (see [`plan_object`]), with a restart to honour and the rollback
/// the circuit breaker made.
fn plan(
    svc: &ECSService,
    ctx: &Context,
    resolved: &Resolved,
    (desired, desired_hash): (&ECSServiceSpec, &str),
    actual: Option<&Actual>,
    rolled_back: bool,
) -> Result<(ServicePlan, AppliedRecord), Error> {
    let restart = restart_due(svc, actual.is_some());
    let what = format!("ECS service {}", resolved.service_name);
    let planned = (desired, desired_hash, SERVICE_NOT_COMPARED);
    let (plan, record) = plan_object(ctx, svc, &what, planned, actual, |common| {
        plan::plan(&PlanInput { common: common.clone(), restart, rolled_back })
    })?;
    if plan.writes() {
        tracing::info!(action = ?plan.action, tag = ?plan.tag, untag = ?plan.untag, drift = ?plan.drift, "service plan");
    }
    match &plan.requires_replacement {
        Some(field) => Err(Error::RequiresReplacement(format!("spec.{field}"))),
        None => Ok((plan, record)),
    }
}

/// The Application Auto Scaling target the service has now (see [`autoscaling::sync`]); the
/// last one recorded when the operator only observes or the service does not exist.
async fn scale(
    svc: &ECSService,
    ctx: &Context,
    resolved: &Resolved,
    service: Option<&Service>,
    observe_only: bool,
) -> Result<Option<String>, Error> {
    let registered = svc.status.as_ref().and_then(|s| s.scalable_target.clone());
    if observe_only || service.is_none() {
        return Ok(registered);
    }
    let id = crate::aws::autoscaling::resource_id(&resolve::cluster_name(&resolved.cluster), &resolved.service_name);
    autoscaling::sync(ctx, &id, svc.spec.autoscaling.as_ref(), registered.as_deref()).await
}

/// The `restartedAt` annotation's value, when set.
fn restart_wanted(svc: &ECSService) -> Option<String> {
    svc.annotations().get(RESTARTED_AT_ANNOTATION).cloned()
}

/// Whether the `restartedAt` annotation asks an existing service for a deployment not made yet.
pub(crate) fn restart_due(svc: &ECSService, exists: bool) -> bool {
    let wanted = restart_wanted(svc);
    wanted.is_some() && exists && wanted.as_deref() != svc.status.as_ref().and_then(|s| s.restarted_at.as_deref())
}

/// The rollback the plan holds for the revision `td` at `desired_hash`: the one the status
/// remembers (ECS may no longer report it), and whether ECS rolled that revision back.
pub(crate) fn rollback_to_hold(
    svc: &ECSService,
    existing: Option<&Service>,
    td: &str,
    desired_hash: &str,
) -> (Option<String>, bool) {
    let recorded = svc.status.as_ref().and_then(|s| s.spec_hash.as_deref());
    let remembered = rollout::remembered_rollback(svc.status.as_ref(), recorded, desired_hash);
    let rolled_back = rollout::was_rolled_back(existing, td, remembered.as_deref())
        || rollout::deployment_rolled_back(svc.status.as_ref(), existing, desired_hash);
    (remembered, rolled_back)
}

/// Inputs the controller cannot honour, refused before anything is written. Admission refuses
/// them too; this catches objects stored before the rule existed.
pub(crate) fn check_inputs(spec: &ECSServiceSpec) -> Result<(), Error> {
    use crate::crd::service::{DeploymentControllerType, UNSUPPORTED_DEPLOYMENT_CONTROLLER};
    match spec.deployment_controller.as_ref().map(|c| c.type_) {
        None | Some(DeploymentControllerType::Ecs) => Ok(()),
        Some(_) => Err(Error::InvalidSpec(format!("spec.{UNSUPPORTED_DEPLOYMENT_CONTROLLER}"))),
    }
}

/// Before the spec is applied (created, or changed since): its attachments against the task
/// definition revision it runs. ECS would refuse a mismatch only at the write, or, for a
/// volume configured at launch, only when the tasks fail to start.
async fn check_task_definition_fit(svc: &ECSService, ctx: &Context, resolved: &Resolved) -> Result<(), Error> {
    let facts = match &resolved.task_definition {
        Some(content) => Some(content.facts(&resolved.task_definition_arn)),
        // An ARN in the spec: read the revision (only here, before a write).
        None => {
            let arn = resolved.task_definition_arn.as_str();
            ctx.ecs
                .describe_task_definition(arn)
                .await?
                .map(|d| attachments::TaskDefinitionFacts::of_sdk(resolve::family_revision(arn), &d.task_definition))
        }
    };
    match facts {
        Some(facts) => attachments::check(&svc.spec, &facts).map_err(Error::InvalidSpec),
        None => Ok(()),
    }
}

/// The hash of what the user asked for: the canonical spec plus the user's tags, so a tag edit
/// is a spec change (applied under Report too), not drift.
pub(crate) fn desired_hash(desired: &ECSServiceSpec, spec: &ECSServiceSpec) -> Result<String, Error> {
    let mut hashed = ECSServiceSpec { tags: spec.tags.clone().filter(|t| !t.is_empty()), ..desired.clone() };
    // No hooks hashes as before hooks were modelled, so upgrading the operator is no spec change
    // for the services that have none (which would release a held rollback, among others).
    if let Some(d) = hashed.deployment_configuration.as_mut() {
        d.lifecycle_hooks = d.lifecycle_hooks.take().filter(|h| !h.is_empty());
    }
    // Likewise for the attachments' "none" (Service Connect off, no volumes, no Lattice).
    hashed.service_connect_configuration =
        hashed.service_connect_configuration.take().filter(|c| **c != ServiceConnectConfiguration::default());
    hashed.volume_configurations = hashed.volume_configurations.take().filter(|v| !v.is_empty());
    hashed.vpc_lattice_configurations = hashed.vpc_lattice_configurations.take().filter(|v| !v.is_empty());
    spec_hash(&hashed).map_err(|e| Error::InvalidSpec(format!("spec: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::service::{DeploymentController, DeploymentControllerType, ECSServiceSpec};

    #[test]
    fn deployment_controllers_other_than_ecs_are_refused_naming_the_field() {
        let with = |type_| ECSServiceSpec {
            deployment_controller: Some(DeploymentController { type_ }),
            ..Default::default()
        };
        assert!(check_inputs(&ECSServiceSpec::default()).is_ok());
        assert!(check_inputs(&with(DeploymentControllerType::Ecs)).is_ok());
        for refused in [DeploymentControllerType::CodeDeploy, DeploymentControllerType::External] {
            let err = check_inputs(&with(refused)).expect_err("refused");
            assert_eq!((err.class(), err.reason()), (crate::aws::error::ErrorClass::Terminal, "InvalidSpec"));
            let message = err.to_string();
            assert!(message.contains("spec.deploymentController.type"), "{message}");
            assert!(message.contains("BLUE_GREEN, LINEAR or CANARY"), "{message}");
        }
    }

    #[test]
    fn no_hooks_hash_as_before_hooks_were_modelled() {
        use crate::crd::service::DeploymentConfiguration;
        let before = ECSServiceSpec {
            deployment_configuration: Some(DeploymentConfiguration { lifecycle_hooks: None, ..Default::default() }),
            ..Default::default()
        };
        let mut filled = before.clone();
        if let Some(d) = filled.deployment_configuration.as_mut() {
            d.lifecycle_hooks = Some(Vec::new());
        }
        assert_eq!(desired_hash(&filled, &filled).ok(), desired_hash(&before, &before).ok());
    }
}
