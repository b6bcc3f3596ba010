//! The ECSService controller: creates and updates the ECS service, follows the referenced
//! TaskDefinition's revision, honours `restartedAt`, keeps the service's tags (the user's plus
//! the ownership tags, which also mark an adopted service as ours), reports the rollout
//! truthfully (Ready only when the desired revision runs COMPLETED with all tasks), records
//! and corrects drift, and on deletion scales in and waits through DRAINING.
//!
//! Pipeline: resolve references → observe (one DescribeServices) → plan (pure) → execute →
//! status (pure) → patch status if it changed → requeue fast while a rollout moves.

pub mod autoscaling;
pub mod cleanup;
pub mod execute;
pub mod plan;
pub mod resolve;
pub mod rollout;
pub mod status;
pub mod watch;

use aws_sdk_ecs::types::Service;
use kube::runtime::controller::Action;
use kube::runtime::events::EventType;
use kube::{Resource, ResourceExt};

use self::plan::PlanInput;
use self::resolve::{Resolved, Waiting};
use self::status::{Outcome, Stage};
use super::context::Context;
use super::error::Error;
use super::kind::Reconciler;
use super::ownership::{check_ownership, owner_of};
use super::status::{publish, write_status};
use crate::aws::convert::service::{ServiceTarget, service_spec_from_sdk};
use crate::aws::convert::tag_map;
use crate::aws::error::AwsError;
use crate::canonical::defaults::SERVICE_NOT_COMPARED;
use crate::canonical::service::canonical_service;
use crate::canonical::spec_hash;
use crate::crd::ECSService;
use crate::crd::common::{ManagementPolicy, RESTARTED_AT_ANNOTATION};

impl Reconciler for ECSService {
    async fn apply(obj: &Self, ctx: &Context) -> Result<Action, Error> {
        apply(obj, ctx).await
    }

    async fn cleanup(obj: &Self, ctx: &Context) -> Result<Action, Error> {
        cleanup::cleanup(obj, ctx).await
    }
}

/// What a successful sync found.
struct Synced {
    service: Option<Service>,
    assessment: Option<rollout::Assessment>,
    desired_task_definition: String,
    drift: Vec<crate::controller::drift::DriftItem>,
    correction: crate::controller::drift::Correction,
    applied_hash: String,
    restarted_at: Option<String>,
    /// The Application Auto Scaling target now registered (None: not managed).
    scalable_target: Option<String>,
    /// When the sweep will have refreshed the service's description (None: not known).
    refreshed_in: Option<std::time::Duration>,
    /// What this reconcile applied, for `status.lastApplied` (None in Observe mode).
    applied: Option<crate::crd::common::AppliedRecord>,
}

async fn apply(svc: &ECSService, ctx: &Context) -> Result<Action, Error> {
    let observe_only = svc.spec.policies.management() == ManagementPolicy::Observe;
    let result = resolve::resolve(svc, ctx).await;
    let result = match result {
        Ok(Ok(resolved)) => match sync(svc, ctx, &resolved, observe_only).await {
            // The cluster may be on its way (an ECSCluster object, another tool): wait for it.
            Err(Error::Aws(e)) if e.code == "ClusterNotFoundException" => {
                Ok(Err(Waiting(format!("waiting for ECS cluster {} to exist", resolved.cluster), false)))
            }
            other => other.map(Ok),
        },
        Ok(Err(waiting)) => Ok(Err(waiting)),
        Err(e) => Err(e),
    };
    let previous = svc.status.as_ref();
    let scalable_target = match &result {
        Ok(Ok(s)) => Some(s.scalable_target.as_deref()),
        _ => None,
    };
    let (stage, drift, applied_hash, restarted_at) = match &result {
        Ok(Ok(s)) => (
            match (&s.service, &s.assessment) {
                (Some(service), Some(assessment)) => {
                    Some(Stage::Observed { service, assessment, desired_task_definition: &s.desired_task_definition })
                }
                _ => None,
            },
            s.drift.as_slice(),
            Some(s.applied_hash.as_str()),
            s.restarted_at.as_deref(),
        ),
        Ok(Err(Waiting(why, _))) => (Some(Stage::Waiting(why)), &[][..], None, None),
        Err(_) => (None, &[][..], None, None),
    };
    let outcome = Outcome {
        stage,
        drift,
        correction: match &result {
            Ok(Ok(s)) => Some(&s.correction),
            _ => None,
        },
        applied_hash,
        restarted_at,
        scalable_target,
        applied: match &result {
            Ok(Ok(s)) => s.applied.as_ref(),
            _ => None,
        },
        observe_only,
        error: result.as_ref().err(),
    };
    let new_status = status::build(previous, svc.meta().generation, &outcome, &ctx.now());
    write_status(ctx, svc, previous, &new_status).await?;
    match result {
        Ok(Ok(s)) if s.assessment.as_ref().is_some_and(rollout::Assessment::progressing) => {
            Ok(Action::requeue(ctx.config.rollout_poll_interval))
        }
        // Just after the sweep tick that refreshes this service's description, plus a
        // twentieth of the interval. Drift then shows within about one round, and steady
        // reconciles never describe on their own.
        // A correction just sent is checked at the next rollout poll.
        Ok(Ok(s)) if s.correction.sends() => Ok(Action::requeue(ctx.config.rollout_poll_interval)),
        Ok(Ok(s)) => {
            let interval = ctx.config.service_poll_interval;
            let steady = (s.refreshed_in.unwrap_or(interval) + interval / 20).max(interval / 10);
            // A correction waiting out its back-off is looked at when the next attempt is due.
            let due = s.correction.retry_in(&ctx.now()).map(|d| d + interval / 20);
            Ok(Action::requeue(due.map_or(steady, |d| d.min(steady))))
        }
        // Waiting for an object: its watch wakes us, the requeue is only a safety net (polling
        // every waiting service at the rollout pace would be most of the work at scale).
        Ok(Err(Waiting(_, true))) => Ok(Action::requeue(ctx.config.service_poll_interval * 3)),
        // Waiting for something in ECS: nothing wakes us but polling.
        Ok(Err(Waiting(_, false))) => Ok(Action::requeue(ctx.config.rollout_poll_interval)),
        Err(e) => {
            publish(ctx, svc, EventType::Warning, e.reason(), &e.to_string()).await;
            Err(e)
        }
    }
}

/// The service as ECS reports it, through the shared describer: fresh enough for a moving
/// rollout when the last status said one was under way, fresh enough for drift otherwise.
async fn describe(ctx: &Context, svc: &ECSService, cluster: &str, name: &str) -> Result<Option<Service>, Error> {
    let moving = svc.status.as_ref().and_then(|s| s.common.conditions.as_deref()).is_none_or(|cs| {
        // Ready is also False over drift, which polling faster does not help with: a
        // drifted service reads the sweep's descriptions like a steady one.
        let ready = cs.iter().find(|c| c.type_ == super::conditions::READY);
        ready.is_none_or(|c| c.status != "True" && !super::drift::reasons::ALL.contains(&c.reason.as_str()))
    });
    // A moving rollout wants a description from this rollout poll (a little under one
    // interval, so one another reconcile's call just fetched counts). A steady service reads
    // what the sweep fetched, and describes on its own only when the sweep has fallen half a
    // round behind.
    let max_age = if moving {
        ctx.config.rollout_poll_interval.mul_f64(0.9)
    } else {
        ctx.describer.round().unwrap_or(ctx.config.service_poll_interval).mul_f64(1.5)
    };
    Ok(ctx.describer.describe(cluster, name, max_age).await?)
}

async fn sync(svc: &ECSService, ctx: &Context, resolved: &Resolved, observe_only: bool) -> Result<Synced, Error> {
    check_inputs(&svc.spec)?;
    let scaler_owns_count = svc.spec.autoscaling.is_some();
    let desired = canonical_service(&svc.spec, Some(&resolved.task_definition_arn), scaler_owns_count);
    let desired_hash = desired_hash(&desired, &svc.spec)?;
    let previous = svc.status.as_ref();
    let (record, removals) = crate::controller::applied::track(
        &desired,
        SERVICE_NOT_COMPARED,
        svc.spec.tags.as_ref(),
        previous.and_then(|s| s.common.last_applied.as_ref()),
    )?;
    let owner = owner_of(svc);
    let existing = describe(ctx, svc, &resolved.cluster, &resolved.service_name).await?;
    if let Some(service) = &existing {
        let what = format!("ECS service {}", resolved.service_name);
        check_ownership(&what, &tag_map(service.tags()), &owner, svc.spec.policies.adopt())?;
        // ECS always names the revision a service runs; without it every field would look like
        // drift and the operator would write on the strength of a broken answer.
        if service.task_definition().is_none() {
            return Err(Error::Aws(AwsError::malformed(
                "DescribeServices",
                "the service in the response has no taskDefinition",
            )));
        }
    }
    let actual = existing
        .as_ref()
        .map(|s| {
            service_spec_from_sdk(s).map(|spec| plan::Actual {
                spec: canonical_service(&spec, s.task_definition(), scaler_owns_count),
                tags: tag_map(s.tags()),
            })
        })
        .transpose()
        .map_err(|e| Error::Aws(AwsError::malformed("DescribeServices", e)))?;
    let restart_wanted = svc.annotations().get(RESTARTED_AT_ANNOTATION).cloned();
    let restart =
        restart_wanted.is_some() && restart_wanted.as_deref() != previous.and_then(|s| s.restarted_at.as_deref());
    // ECS forgets a rollback once the rollback deployment completes; the status remembers it
    // for as long as the spec stays the one that failed.
    let remembered = previous
        .and_then(|s| s.common.conditions.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.type_ == super::conditions::DEGRADED))
        .filter(|c| c.status == "True" && c.reason == "RolledBack")
        .filter(|_| previous.and_then(|s| s.spec_hash.as_deref()) == Some(desired_hash.as_str()))
        .map(|c| c.message.clone());
    let rolled_back = remembered.is_some()
        || existing.as_ref().is_some_and(|s| {
            matches!(
                rollout::assess(s, &resolved.task_definition_arn).degraded,
                Some(rollout::Degraded::RolledBack { .. })
            )
        });
    let desired_tags = crate::controller::tags::desired_tags(
        svc.spec.tags.as_ref(),
        &owner,
        &ctx.config.cluster_id,
        actual.as_ref().map(|a| &a.tags),
        observe_only,
    );
    let now = ctx.now();
    let plan = plan::plan(&PlanInput {
        desired: &desired,
        desired_hash: &desired_hash,
        desired_tags: &desired_tags,
        manage_user_tags: svc.spec.tags.is_some(),
        removals: &removals,
        actual: actual.as_ref(),
        applied_hash: previous.and_then(|s| s.spec_hash.as_deref()),
        restart: restart && existing.is_some(),
        drift_policy: svc.spec.policies.drift(),
        observe_only,
        rolled_back,
        correction: previous.and_then(|s| s.common.correction.as_ref()),
        now: &now,
        backoff: ctx.config.correction_backoff,
    });
    if plan.writes() {
        tracing::info!(action = ?plan.action, tag = ?plan.tag, untag = ?plan.untag, drift = ?plan.drift, "service plan");
    }
    if let Some(field) = plan.requires_replacement {
        return Err(Error::RequiresReplacement(format!("spec.{field}")));
    }
    let target = ServiceTarget {
        cluster: &resolved.cluster,
        service_name: &resolved.service_name,
        task_definition_arn: &resolved.task_definition_arn,
    };
    let mut service = existing;
    if !observe_only {
        let written =
            execute::execute(svc, ctx, &target, service.as_ref(), &plan, &desired, &owner, &desired_hash).await?;
        service = written.or(service);
    }
    let registered = previous.and_then(|s| s.scalable_target.clone());
    let scalable_target = if observe_only || service.is_none() {
        registered
    } else {
        let id =
            crate::aws::autoscaling::resource_id(&resolve::cluster_name(&resolved.cluster), &resolved.service_name);
        autoscaling::sync(ctx, &id, svc.spec.autoscaling.as_ref(), registered.as_deref()).await?
    };
    let assessment = service.as_ref().map(|s| {
        let mut a = rollout::assess(s, &resolved.task_definition_arn);
        let still_on_old = s.task_definition() != Some(resolved.task_definition_arn.as_str());
        if let (Some(message), None, true) = (&remembered, &a.degraded, still_on_old) {
            a.degraded = Some(rollout::Degraded::RolledBackEarlier { message: message.clone() });
        }
        a
    });
    // A restart that happened (or the first create, which deploys anyway) is recorded.
    let restarted_at = restart_wanted.filter(|_| !observe_only && service.is_some());
    Ok(Synced {
        service,
        assessment,
        desired_task_definition: resolved.task_definition_arn.clone(),
        drift: plan.drift,
        correction: plan.correction,
        applied_hash: if observe_only {
            previous.and_then(|s| s.spec_hash.clone()).unwrap_or_default()
        } else {
            desired_hash
        },
        restarted_at,
        scalable_target,
        refreshed_in: ctx.describer.refreshed_in(&resolved.cluster, &resolved.service_name),
        applied: (!observe_only).then_some(record),
    })
}

/// Inputs the controller cannot honour, refused before anything is written. Admission refuses
/// them too; this catches objects stored before the rule existed.
fn check_inputs(spec: &crate::crd::service::ECSServiceSpec) -> Result<(), Error> {
    use crate::crd::service::{DeploymentControllerType, UNSUPPORTED_DEPLOYMENT_CONTROLLER};
    match spec.deployment_controller.as_ref().map(|c| c.type_) {
        None | Some(DeploymentControllerType::Ecs) => Ok(()),
        Some(_) => Err(Error::InvalidSpec(format!("spec.{UNSUPPORTED_DEPLOYMENT_CONTROLLER}"))),
    }
}

/// The hash of what the user asked for: the canonical spec plus the user's tags, so a tag edit
/// is a spec change (applied under Report too), not drift.
fn desired_hash(
    desired: &crate::crd::service::ECSServiceSpec,
    spec: &crate::crd::service::ECSServiceSpec,
) -> Result<String, Error> {
    let hashed =
        crate::crd::service::ECSServiceSpec { tags: spec.tags.clone().filter(|t| !t.is_empty()), ..desired.clone() };
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
}
