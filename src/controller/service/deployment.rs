//! The service deployment ECS runs for a service (`currentServiceDeployment`): read with
//! DescribeServiceDeployments only while it moves, kept in `status.deployment`; and the
//! `ecs.operator.dev/approve` and `ecs.operator.dev/rollback` annotations, each value acted on
//! once (ContinueServiceDeployment, StopServiceDeployment) and recorded in `status.actions`.
//!
//! A finished deployment never changes again and a new one has a new ARN, so a steady service
//! costs no read here: only a deployment that is not finished, a new ARN, or a new annotation
//! value reads. And only for services ECS deploys in stages (BLUE_GREEN, LINEAR, CANARY): a
//! rolling deployment has no stages or hooks, and DescribeServices' deployments already say
//! all there is (a rollback annotation still reads it, to find what to stop).

use aws_sdk_ecs::types::{DeploymentLifecycleHookAction, Service, ServiceDeployment};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::ResourceExt;
use kube::runtime::events::EventType;

use crate::aws::error::ErrorClass;
use crate::controller::context::Context;
use crate::controller::error::Error;
use crate::controller::rollout::FINISHED;
use crate::controller::status::publish;
use crate::crd::ECSService;
use crate::crd::common::{APPROVE_ANNOTATION, ROLLBACK_ANNOTATION};
use crate::crd::service::{ActionRecord, DeploymentActions, HookStatus, ServiceDeploymentStatus};

/// Hooks kept per deployment in status (ECS runs one per hook and stage; a longer list must not
/// make the status too big to store).
const HOOKS_KEPT: usize = 20;

/// Statuses a rollback can be asked for in.
const IN_FLIGHT: [&str; 2] = ["PENDING", "IN_PROGRESS"];

/// What the follow step found and did.
#[derive(Debug, Default)]
pub struct Followed {
    /// The current service deployment (None: ECS reports none for this service).
    pub deployment: Option<ServiceDeploymentStatus>,
    /// `status.actions` after this reconcile.
    pub actions: Option<DeploymentActions>,
}

/// Reads the current service deployment when it may have moved, and acts on new annotation
/// values. `observe_only` acts on nothing: a new value is recorded as refused, so switching to
/// Manage later does not act on it by surprise.
pub async fn follow(
    svc: &ECSService,
    ctx: &Context,
    service: Option<&Service>,
    observe_only: bool,
) -> Result<Followed, Error> {
    let previous = svc.status.as_ref().and_then(|s| s.deployment.as_deref());
    let mut actions = svc.status.as_ref().and_then(|s| s.actions.as_deref()).cloned().unwrap_or_default();
    let wanted = Wanted::of(svc, &actions);
    let Some(arn) = service.and_then(Service::current_service_deployment) else {
        record_without_deployment(svc, ctx, &mut actions, &wanted).await;
        return Ok(Followed { deployment: None, actions: non_empty(actions) });
    };
    let staged = service.is_some_and(deploys_in_stages);
    let mut deployment = match previous {
        // A rolling service's deployment is read only for an action; what that read found
        // (a rollback asked for) is kept while it is the current one.
        _ if !staged && wanted.is_empty() => previous.filter(|p| p.arn == arn).cloned(),
        Some(p) if p.arn == arn && FINISHED.contains(&p.status.as_str()) && wanted.is_empty() => Some(p.clone()),
        _ => read(ctx, arn, previous).await?,
    };
    if !wanted.is_empty() {
        let acted = act(svc, ctx, &mut actions, &wanted, deployment.as_ref(), observe_only).await?;
        // Recorded at once, before anything later in the reconcile can fail: a value acted on
        // must never be acted on again because the status write at the end did not happen.
        save_actions(ctx, svc, &actions).await?;
        // What the action changed, for this status write rather than the next poll's; the
        // next poll reads it anyway if this read fails.
        if acted && let Ok(Some(after)) = read(ctx, arn, deployment.as_ref()).await {
            deployment = Some(after);
        }
    }
    Ok(Followed { deployment, actions: non_empty(actions) })
}

/// Writes `status.actions` alone (a merge patch: the rest of the status is left as it is).
async fn save_actions(ctx: &Context, svc: &ECSService, actions: &DeploymentActions) -> Result<(), Error> {
    let namespace = svc.namespace().ok_or(Error::MissingMetadata("namespace"))?;
    let api: kube::Api<ECSService> = kube::Api::namespaced(ctx.client.clone(), &namespace);
    let patch = serde_json::json!({ "status": { "actions": actions } });
    api.patch_status(&svc.name_any(), &kube::api::PatchParams::default(), &kube::api::Patch::Merge(&patch))
        .await
        .map_err(|e| Error::kube(crate::controller::error::WRITING_STATUS, e))?;
    Ok(())
}

/// Whether ECS deploys the service in lifecycle stages: strategy BLUE_GREEN, LINEAR or CANARY.
fn deploys_in_stages(service: &Service) -> bool {
    let strategy = service.deployment_configuration().and_then(|c| c.strategy());
    strategy.is_some_and(|s| *s != aws_sdk_ecs::types::DeploymentStrategy::Rolling)
}

/// The annotation values not acted on yet.
#[derive(Debug, Default)]
struct Wanted {
    approve: Option<String>,
    rollback: Option<String>,
}

impl Wanted {
    fn of(svc: &ECSService, done: &DeploymentActions) -> Self {
        let new = |key: &str, last: Option<&ActionRecord>| {
            svc.annotations().get(key).filter(|v| last.is_none_or(|r| &r.value != *v)).cloned()
        };
        Wanted {
            approve: new(APPROVE_ANNOTATION, done.approve.as_ref()),
            rollback: new(ROLLBACK_ANNOTATION, done.rollback.as_ref()),
        }
    }

    fn is_empty(&self) -> bool {
        self.approve.is_none() && self.rollback.is_none()
    }
}

fn non_empty(actions: DeploymentActions) -> Option<DeploymentActions> {
    (actions != DeploymentActions::default()).then_some(actions)
}

async fn read(
    ctx: &Context,
    arn: &str,
    previous: Option<&ServiceDeploymentStatus>,
) -> Result<Option<ServiceDeploymentStatus>, Error> {
    let described = ctx.ecs.describe_service_deployment(arn).await?;
    Ok(described.map(|d| status_of(&d, previous.filter(|p| p.arn == arn))))
}

/// The service deployment as status keeps it. Hooks ECS no longer lists (those of earlier
/// stages) stay as last seen, so the status tells which hook ran where.
pub fn status_of(d: &ServiceDeployment, previous: Option<&ServiceDeploymentStatus>) -> ServiceDeploymentStatus {
    let time = |t: Option<&aws_smithy_types::DateTime>| t.map(ToString::to_string);
    let stage = d.lifecycle_stage().map(|s| s.as_str().to_owned());
    let mut hooks: Vec<HookStatus> = previous.and_then(|p| p.hooks.clone()).unwrap_or_default();
    for h in d.lifecycle_hook_details() {
        let Some(id) = h.hook_id() else { continue };
        let seen = HookStatus {
            hook_id: id.to_owned(),
            target_type: h.target_type().map(|t| t.as_str().to_owned()),
            target_arn: h.target_arn().map(str::to_owned),
            stage: hooks.iter().find(|k| k.hook_id == id).and_then(|k| k.stage.clone()).or_else(|| stage.clone()),
            status: h.status().map(|s| s.as_str().to_owned()).unwrap_or_default(),
            expires_at: time(h.expires_at()),
            timeout_action: h.timeout_action().map(|a| a.as_str().to_owned()),
        };
        match hooks.iter_mut().find(|k| k.hook_id == id) {
            Some(known) => *known = seen,
            None => hooks.push(seen),
        }
    }
    let excess = hooks.len().saturating_sub(HOOKS_KEPT);
    hooks.drain(..excess);
    let target = d.target_service_revision();
    let triggered = d.alarms().map(|a| a.triggered_alarm_names().to_vec()).filter(|a| !a.is_empty());
    ServiceDeploymentStatus {
        arn: d.service_deployment_arn().unwrap_or_default().to_owned(),
        status: d.status().map(|s| s.as_str().to_owned()).unwrap_or_default(),
        status_reason: d.status_reason().map(str::to_owned),
        lifecycle_stage: stage,
        target_revision: target.and_then(|t| t.arn()).map(str::to_owned),
        production_traffic_percent: target.and_then(|t| t.requested_production_traffic_weight()),
        test_traffic_percent: target.and_then(|t| t.requested_test_traffic_weight()),
        hooks: (!hooks.is_empty()).then_some(hooks),
        started_at: time(d.started_at()),
        finished_at: time(d.finished_at()),
        stopped_at: time(d.stopped_at()),
        rolled_back_to: d.rollback().and_then(|r| r.service_revision_arn()).map(str::to_owned),
        rollback_reason: d.rollback().and_then(|r| r.reason()).map(str::to_owned),
        triggered_alarms: triggered,
    }
}

/// What an annotation value asks for, decided against the deployment as read (pure).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// ContinueServiceDeployment for this hook.
    Continue { arn: String, hook_id: String, stage: Option<String> },
    /// StopServiceDeployment with ROLLBACK.
    Rollback { arn: String },
    /// Nothing it can act on: why.
    Nothing(String),
}

pub fn decide_approve(deployment: Option<&ServiceDeploymentStatus>) -> Decision {
    let Some(d) = deployment else { return Decision::Nothing("ECS reports no service deployment".into()) };
    // Only a hook of the stage the deployment is at: one of an earlier stage that ECS stopped
    // listing is kept in status as last seen, and may have been continued since.
    let awaiting = d.hooks.iter().flatten().find(|h| h.status == "AWAITING_ACTION" && h.stage == d.lifecycle_stage);
    match awaiting {
        Some(hook) if d.status == "IN_PROGRESS" => Decision::Continue {
            arn: d.arn.clone(),
            hook_id: hook.hook_id.clone(),
            stage: hook.stage.clone().or_else(|| d.lifecycle_stage.clone()),
        },
        _ => Decision::Nothing(format!("no hook awaits approval: {}", describe(d))),
    }
}

pub fn decide_rollback(deployment: Option<&ServiceDeploymentStatus>) -> Decision {
    let Some(d) = deployment else { return Decision::Nothing("ECS reports no service deployment".into()) };
    if IN_FLIGHT.contains(&d.status.as_str()) {
        Decision::Rollback { arn: d.arn.clone() }
    } else {
        Decision::Nothing(format!("no deployment is in progress: {}", describe(d)))
    }
}

fn describe(d: &ServiceDeploymentStatus) -> String {
    let stage = d.lifecycle_stage.as_deref().map(|s| format!(" at {s}")).unwrap_or_default();
    format!("service deployment {} is {}{stage}", d.arn, d.status)
}

/// Acts on each new value and records it. True when something was sent to ECS.
async fn act(
    svc: &ECSService,
    ctx: &Context,
    actions: &mut DeploymentActions,
    wanted: &Wanted,
    deployment: Option<&ServiceDeploymentStatus>,
    observe_only: bool,
) -> Result<bool, Error> {
    let mut acted = false;
    let now = ctx.now();
    // A rollback first: asked together, the rollback is what the user wants in the end.
    if let Some(value) = &wanted.rollback {
        let decision = decide_rollback(deployment);
        let record = carry_out(svc, ctx, (ROLLBACK_ANNOTATION, value), decision, observe_only, &now).await?;
        acted |= record.result == DONE;
        actions.rollback = Some(record);
    }
    if let Some(value) = &wanted.approve {
        let decision = if acted { decide_approve(None) } else { decide_approve(deployment) };
        let record = carry_out(svc, ctx, (APPROVE_ANNOTATION, value), decision, observe_only, &now).await?;
        acted |= record.result == DONE;
        actions.approve = Some(record);
    }
    Ok(acted)
}

const DONE: &str = "Done";
const NOTHING_IN_FLIGHT: &str = "NothingInFlight";
const FAILED: &str = "Failed";

/// Sends what `decision` asks for and says what came of it. A retryable error is returned, so
/// the value stays new and the next reconcile tries again; any other answer is final for this
/// value.
async fn carry_out(
    svc: &ECSService,
    ctx: &Context,
    (annotation, value): (&str, &str),
    decision: Decision,
    observe_only: bool,
    now: &Time,
) -> Result<ActionRecord, Error> {
    let at = now.0.to_string();
    let record = |result: &str, message: String, arn: Option<&str>, hook: Option<&str>| ActionRecord {
        value: value.to_owned(),
        result: result.to_owned(),
        message,
        service_deployment: arn.map(str::to_owned),
        hook_id: hook.map(str::to_owned),
        at: at.clone(),
    };
    let reason = match &decision {
        Decision::Continue { .. } => "Approved",
        _ => "RollbackRequested",
    };
    if observe_only && !matches!(decision, Decision::Nothing(_)) {
        let message = format!("{annotation}={value} not acted on: managementPolicy is Observe");
        publish(ctx, svc, EventType::Warning, "ActionRefused", &message).await;
        return Ok(record(NOTHING_IN_FLIGHT, message, None, None));
    }
    let sent = match &decision {
        Decision::Continue { arn, hook_id, .. } => {
            ctx.ecs.continue_service_deployment(arn, hook_id, DeploymentLifecycleHookAction::Continue).await
        }
        Decision::Rollback { arn } => ctx.ecs.stop_service_deployment(arn).await,
        Decision::Nothing(why) => {
            let message =
                format!("{annotation}={value} matched nothing in flight and will not be acted on later: {why}");
            publish(ctx, svc, EventType::Warning, "NothingToAct", &message).await;
            return Ok(record(NOTHING_IN_FLIGHT, message, None, None));
        }
    };
    let (arn, hook) = match &decision {
        Decision::Continue { arn, hook_id, .. } => (arn.as_str(), Some(hook_id.as_str())),
        Decision::Rollback { arn } => (arn.as_str(), None),
        Decision::Nothing(_) => ("", None),
    };
    match sent {
        Ok(()) => {
            let message = match &decision {
                Decision::Continue { hook_id, stage, .. } => format!(
                    "continued PAUSE hook {hook_id}{} of service deployment {arn}",
                    stage.as_deref().map(|s| format!(" at {s}")).unwrap_or_default()
                ),
                _ => format!("asked ECS to roll back service deployment {arn}"),
            };
            publish(ctx, svc, EventType::Normal, reason, &format!("{annotation}={value}: {message}")).await;
            Ok(record(DONE, message, Some(arn), hook))
        }
        Err(e) if e.class == ErrorClass::Retryable => Err(Error::Aws(e)),
        Err(e) => {
            let message = format!("{annotation}={value}: ECS refused: {e}");
            publish(ctx, svc, EventType::Warning, "ActionFailed", &message).await;
            Ok(record(FAILED, message, Some(arn), hook))
        }
    }
}

/// New values on a service ECS reports no deployment for: recorded as matching nothing.
async fn record_without_deployment(svc: &ECSService, ctx: &Context, actions: &mut DeploymentActions, wanted: &Wanted) {
    let now = ctx.now();
    let slots = [
        (APPROVE_ANNOTATION, &wanted.approve, &mut actions.approve),
        (ROLLBACK_ANNOTATION, &wanted.rollback, &mut actions.rollback),
    ];
    for (annotation, value, slot) in slots {
        if let Some(value) = value {
            let decision = Decision::Nothing("ECS reports no service deployment for the service".into());
            // Nothing is carried out for a Nothing decision, so the Observe flag is not read.
            let observe_only = false;
            if let Ok(record) = carry_out(svc, ctx, (annotation, value), decision, observe_only, &now).await {
                *slot = Some(record);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ecs::types::{
        DeploymentLifecycleHookDetail, DeploymentLifecycleHookStatus, DeploymentLifecycleHookTargetType, Rollback,
        ServiceDeploymentLifecycleStage, ServiceDeploymentStatus as SdkStatus, ServiceRevisionSummary,
    };

    const ARN: &str = "arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/web/abc";

    fn described(status: SdkStatus, stage: ServiceDeploymentLifecycleStage, hook: Option<&str>) -> ServiceDeployment {
        let mut d = ServiceDeployment::builder()
            .service_deployment_arn(ARN)
            .status(status)
            .lifecycle_stage(stage)
            .target_service_revision(
                ServiceRevisionSummary::builder().arn("rev/2").requested_production_traffic_weight(20.0).build(),
            );
        if let Some(status) = hook {
            d = d.lifecycle_hook_details(
                DeploymentLifecycleHookDetail::builder()
                    .hook_id("ecs-pause-1")
                    .target_type(DeploymentLifecycleHookTargetType::Pause)
                    .status(DeploymentLifecycleHookStatus::from(status))
                    .build(),
            );
        }
        d.build()
    }

    /// Paused at POST_TEST_TRAFFIC_SHIFT by a PAUSE hook awaiting action.
    fn paused() -> ServiceDeploymentStatus {
        let d = described(
            SdkStatus::InProgress,
            ServiceDeploymentLifecycleStage::PostTestTrafficShift,
            Some("AWAITING_ACTION"),
        );
        status_of(&d, None)
    }

    #[test]
    fn hooks_keep_the_stage_they_were_seen_at() {
        let paused = paused();
        let hooks = paused.hooks.clone().expect("hooks");
        assert_eq!(
            (hooks[0].stage.as_deref(), hooks[0].status.as_str()),
            (Some("POST_TEST_TRAFFIC_SHIFT"), "AWAITING_ACTION")
        );
        assert_eq!(paused.production_traffic_percent, Some(20.0));
        // Later ECS lists no hooks for the new stage; the one that ran stays, as last seen.
        let later = status_of(
            &described(SdkStatus::InProgress, ServiceDeploymentLifecycleStage::BakeTime, Some("SUCCEEDED")),
            Some(&paused),
        );
        let hooks = later.hooks.expect("hooks");
        assert_eq!(hooks.len(), 1);
        assert_eq!(
            (hooks[0].stage.as_deref(), hooks[0].status.as_str()),
            (Some("POST_TEST_TRAFFIC_SHIFT"), "SUCCEEDED")
        );
    }

    #[test]
    fn approve_continues_only_a_hook_awaiting_action() {
        let paused = paused();
        assert_eq!(
            decide_approve(Some(&paused)),
            Decision::Continue {
                arn: ARN.into(),
                hook_id: "ecs-pause-1".into(),
                stage: Some("POST_TEST_TRAFFIC_SHIFT".into())
            }
        );
        let running =
            status_of(&described(SdkStatus::InProgress, ServiceDeploymentLifecycleStage::BakeTime, None), None);
        assert!(matches!(decide_approve(Some(&running)), Decision::Nothing(why) if why.contains("BAKE_TIME")));
        assert!(matches!(decide_approve(None), Decision::Nothing(_)));
    }

    #[test]
    fn rollback_needs_a_deployment_in_flight() {
        let moving = status_of(
            &described(SdkStatus::InProgress, ServiceDeploymentLifecycleStage::ProductionTrafficShift, None),
            None,
        );
        assert_eq!(decide_rollback(Some(&moving)), Decision::Rollback { arn: ARN.into() });
        let done = status_of(&described(SdkStatus::Successful, ServiceDeploymentLifecycleStage::CleanUp, None), None);
        assert!(matches!(decide_rollback(Some(&done)), Decision::Nothing(why) if why.contains("SUCCESSFUL")));
        let rolling_back = ServiceDeployment::builder()
            .service_deployment_arn(ARN)
            .status(SdkStatus::RollbackInProgress)
            .rollback(Rollback::builder().reason("hook failed").service_revision_arn("rev/1").build())
            .build();
        let d = status_of(&rolling_back, None);
        assert_eq!(d.rolled_back_to.as_deref(), Some("rev/1"));
        assert!(matches!(decide_rollback(Some(&d)), Decision::Nothing(_)));
    }
}
