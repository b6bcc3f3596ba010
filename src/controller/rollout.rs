//! "Is the rollout done?" as a pure judgement over what DescribeServices reports and, where
//! ECS has one, the service deployment DescribeServiceDeployments reports. Ready means the
//! PRIMARY deployment runs the desired revision, its rollout is COMPLETED, no other deployment
//! is still draining, running == desired, and the service deployment (blue/green, linear and
//! canary: through bake time and clean-up) is SUCCESSFUL. Anything else is Progressing, with
//! the stage as its reason; a failed or rolled-back deployment is Degraded and says why, naming
//! the hook or alarm. Shared by ECSService and ECSExpressService: an Express service is an ECS
//! service underneath, and DescribeServices reports its rollout the same way.

use aws_sdk_ecs::types::{Deployment, DeploymentRolloutState, Service};

use crate::controller::conditions::DEGRADED;
use crate::crd::HasCommonStatus;
use crate::crd::service::{ECSServiceStatus, HookStatus, ServiceDeploymentStatus};

/// Why a service is not (yet) Ready.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotReady {
    /// The service is not ACTIVE (DRAINING, INACTIVE, a status newer than this operator, or
    /// none reported): whatever its deployments say, it is not serving the spec.
    ServiceNotActive { status: Option<String> },
    /// No PRIMARY deployment is reported yet.
    NoDeployment,
    /// The PRIMARY deployment runs another revision than the spec asks for.
    OtherRevision { running: String },
    /// The PRIMARY deployment's rollout is still IN_PROGRESS.
    RolloutInProgress,
    /// The PRIMARY deployment reports a rolloutState this operator does not know.
    UnknownRolloutState { state: String },
    /// Older deployments still have tasks.
    Draining { deployments: usize },
    /// Fewer tasks run than desired.
    TasksStarting { running: i32, desired: i32 },
    /// The service deployment has not finished: a PAUSE hook awaits approval, a Lambda hook
    /// runs, or ECS is at a stage (shifting traffic, baking, cleaning up).
    Deployment(DeploymentProgress),
    /// The deployment to the desired revision was rolled back (Degraded says why).
    RolledBack,
}

/// Where an unfinished service deployment is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeploymentProgress {
    /// A PAUSE hook waits for ContinueServiceDeployment (`ecs.operator.dev/approve`).
    AwaitingApproval { hook: HookStatus, stage: String },
    /// A Lambda hook has not answered yet.
    HookInProgress { hook: HookStatus, stage: String },
    /// At a lifecycle stage (blue/green, linear and canary), or just not SUCCESSFUL yet.
    Stage { status: String, stage: Option<String>, traffic: Option<String> },
}

impl NotReady {
    pub fn reason(&self) -> &'static str {
        match self {
            Self::ServiceNotActive { .. } => "ServiceNotActive",
            Self::NoDeployment => "NoDeployment",
            Self::OtherRevision { .. } => "UpdatePending",
            Self::RolloutInProgress => "RolloutInProgress",
            Self::UnknownRolloutState { .. } => "UnknownRolloutState",
            Self::Draining { .. } => "Draining",
            Self::TasksStarting { .. } => "TasksStarting",
            Self::Deployment(DeploymentProgress::AwaitingApproval { .. }) => "AwaitingApproval",
            Self::Deployment(DeploymentProgress::HookInProgress { .. }) => "HookInProgress",
            Self::Deployment(DeploymentProgress::Stage { stage: Some(stage), .. }) => stage_reason(stage),
            Self::Deployment(DeploymentProgress::Stage { stage: None, .. }) => "DeploymentInProgress",
            Self::RolledBack => crate::controller::drift::ROLLED_BACK,
        }
    }

    pub fn message(&self) -> String {
        match self {
            Self::ServiceNotActive { status: Some(status) } => format!("ECS reports the service as {status}"),
            Self::ServiceNotActive { status: None } => "ECS reports the service with no status".into(),
            Self::NoDeployment => "ECS reports no PRIMARY deployment yet".into(),
            Self::OtherRevision { running } => format!("the PRIMARY deployment runs {running}"),
            Self::RolloutInProgress => "the PRIMARY deployment's rollout is IN_PROGRESS".into(),
            Self::UnknownRolloutState { state } => {
                format!("the PRIMARY deployment's rolloutState is {state:?}, which ecs-operator does not know")
            }
            Self::Draining { deployments } => format!("{deployments} older deployment(s) still draining"),
            Self::TasksStarting { running, desired } => format!("{running} of {desired} tasks running"),
            Self::Deployment(DeploymentProgress::AwaitingApproval { hook, stage }) => format!(
                "paused at {stage}: PAUSE hook {} awaits ecs.operator.dev/approve (or ecs.operator.dev/rollback){}",
                hook.hook_id,
                timeout_note(hook)
            ),
            Self::Deployment(DeploymentProgress::HookInProgress { hook, stage }) => format!(
                "at {stage}: Lambda hook {} has not answered yet{}",
                hook.target_arn.as_deref().unwrap_or(&hook.hook_id),
                timeout_note(hook)
            ),
            Self::RolledBack => "the deployment of the desired revision was rolled back (see Degraded)".into(),
            Self::Deployment(DeploymentProgress::Stage { status, stage, traffic }) => {
                let at = stage.as_deref().map(|s| format!(" at {s}")).unwrap_or_default();
                let traffic = traffic.as_deref().map(|t| format!(", {t}")).unwrap_or_default();
                format!("the service deployment is {status}{at}{traffic}")
            }
        }
    }
}

/// The Progressing reason for a lifecycle stage: BAKE_TIME → BakeTime. Unknown stages (newer
/// than this operator) read as DeploymentInProgress.
fn stage_reason(stage: &str) -> &'static str {
    match stage {
        "RECONCILE_SERVICE" => "ReconcileService",
        "PRE_SCALE_UP" => "PreScaleUp",
        "SCALE_UP" => "ScaleUp",
        "POST_SCALE_UP" => "PostScaleUp",
        "TEST_TRAFFIC_SHIFT" => "TestTrafficShift",
        "POST_TEST_TRAFFIC_SHIFT" => "PostTestTrafficShift",
        "PRE_PRODUCTION_TRAFFIC_SHIFT" => "PreProductionTrafficShift",
        "PRODUCTION_TRAFFIC_SHIFT" => "ProductionTrafficShift",
        "POST_PRODUCTION_TRAFFIC_SHIFT" => "PostProductionTrafficShift",
        "BAKE_TIME" => "BakeTime",
        "CLEAN_UP" => "CleanUp",
        _ => "DeploymentInProgress",
    }
}

fn timeout_note(hook: &HookStatus) -> String {
    match (&hook.expires_at, &hook.timeout_action) {
        (Some(at), Some(action)) => {
            let action = if action == "ROLLBACK" { "roll back" } else { "continue" };
            format!("; at {at} ECS will {action}")
        }
        (Some(at), None) => format!("; it times out at {at}"),
        _ => String::new(),
    }
}

/// Why a service is Degraded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Degraded {
    /// The circuit breaker failed the rollout to the desired revision and rolled back.
    RolledBack { failed: String, running: String, reason: String },
    /// A rollback seen by an earlier reconcile; ECS no longer reports it once the rollback
    /// deployment completed, but the spec still asks for the revision that failed.
    RolledBackEarlier { message: String },
    /// The PRIMARY rollout FAILED (circuit breaker without rollback).
    RolloutFailed { reason: String },
    /// Tasks of the PRIMARY deployment keep failing.
    TasksFailing { failed: i32 },
    /// The service deployment is rolling back or rolled back (a hook failed or timed out, an
    /// alarm fired, someone asked): `why` names the hook or alarm.
    DeploymentRolledBack { status: String, why: String },
    /// ECS could not roll the deployment back.
    RollbackFailed { why: String },
    /// The deployment stopped without rolling back (an alarm without rollback, a stop).
    DeploymentStopped { why: String },
    /// A hook failed or timed out; ECS has not reported what it does about it yet.
    HookFailed { hook: HookStatus },
}

impl Degraded {
    pub fn reason(&self) -> &'static str {
        match self {
            // One reason for every rollback: the status remembers it under that reason, and the
            // plan does not push the rolled-back revision again until the spec changes.
            Self::RolledBack { .. } | Self::RolledBackEarlier { .. } | Self::DeploymentRolledBack { .. } => {
                "RolledBack"
            }
            Self::RolloutFailed { .. } => "RolloutFailed",
            Self::TasksFailing { .. } => "TasksFailing",
            Self::RollbackFailed { .. } => "RollbackFailed",
            Self::DeploymentStopped { .. } => "DeploymentStopped",
            Self::HookFailed { .. } => "HookFailed",
        }
    }

    pub fn message(&self) -> String {
        match self {
            Self::RolledBack { failed, running, reason } => {
                format!("the rollout of {failed} failed and was rolled back; {running} is running now ({reason})")
            }
            Self::RolledBackEarlier { message } => message.clone(),
            Self::RolloutFailed { reason } => format!("the rollout FAILED: {reason}"),
            Self::TasksFailing { failed } => format!("{failed} task(s) of the PRIMARY deployment failed to start"),
            Self::DeploymentRolledBack { status, why } => format!("the service deployment is {status}: {why}"),
            Self::RollbackFailed { why } => format!("the service deployment could not roll back: {why}"),
            Self::DeploymentStopped { why } => format!("the service deployment STOPPED: {why}"),
            Self::HookFailed { hook } => format!("{} {}", hook_name(hook), hook.status),
        }
    }
}

/// The verdict on one service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub ready: Result<(), NotReady>,
    pub degraded: Option<Degraded>,
}

impl Assessment {
    pub fn progressing(&self) -> bool {
        self.ready.is_err()
            && !matches!(
                self.degraded,
                Some(
                    Degraded::RolledBack { .. }
                        | Degraded::RolledBackEarlier { .. }
                        | Degraded::RolloutFailed { .. }
                        | Degraded::DeploymentRolledBack { .. }
                        | Degraded::RollbackFailed { .. }
                        | Degraded::DeploymentStopped { .. }
                )
            )
    }

    /// Waiting on a person: a PAUSE hook awaits approval. Nothing changes until someone acts
    /// (or the hook times out), so the service is looked at on the steady schedule, not at the
    /// rollout pace; the annotation's watch event wakes it at once.
    pub fn awaiting_approval(&self) -> bool {
        matches!(self.ready, Err(NotReady::Deployment(DeploymentProgress::AwaitingApproval { .. })))
    }
}

/// "AWS_LAMBDA hook arn:…:function:smoke at PRODUCTION_TRAFFIC_SHIFT" or "PAUSE hook <id> at …".
fn hook_name(hook: &HookStatus) -> String {
    let target = hook.target_arn.as_deref().unwrap_or(&hook.hook_id);
    let kind = hook.target_type.as_deref().unwrap_or("AWS_LAMBDA");
    let at = hook.stage.as_deref().map(|s| format!(" at {s}")).unwrap_or_default();
    format!("{kind} hook {target}{at}")
}

/// What a rollback or stop of `deployment` was for: the failed or timed-out hook, the alarms,
/// or ECS's reason.
fn rollback_cause(deployment: &ServiceDeploymentStatus) -> String {
    let failed_hook = deployment.hooks.iter().flatten().find(|h| h.status == "FAILED" || h.status == "TIMED_OUT");
    let mut why = match (failed_hook, &deployment.triggered_alarms) {
        (Some(hook), _) => format!("{} {}", hook_name(hook), hook.status),
        (None, Some(alarms)) if !alarms.is_empty() => format!("alarm {} in ALARM", alarms.join(", ")),
        _ => deployment.rollback_reason.clone().or_else(|| deployment.status_reason.clone()).unwrap_or_else(|| {
            // ROLLBACK_REQUESTED comes from StopServiceDeployment (ours or anyone's) before ECS
            // gives a reason.
            "a rollback was requested (StopServiceDeployment)".to_owned()
        }),
    };
    if let Some(to) = &deployment.rolled_back_to {
        why.push_str(&format!("; back on service revision {to}"));
    }
    why
}

/// The deployment's own verdict: Degraded for a rollback, a stop or a failed hook. A finished
/// rollback or stop no longer counts once the service runs the desired revision (the spec went
/// back to what ECS rolled back to, and no new deployment was needed).
fn deployment_degraded(deployment: &ServiceDeploymentStatus, on_desired: bool) -> Option<Degraded> {
    let status = deployment.status.as_str();
    match status {
        "ROLLBACK_REQUESTED" | "ROLLBACK_IN_PROGRESS" => {
            Some(Degraded::DeploymentRolledBack { status: status.to_owned(), why: rollback_cause(deployment) })
        }
        "ROLLBACK_SUCCESSFUL" if !on_desired => {
            Some(Degraded::DeploymentRolledBack { status: status.to_owned(), why: rollback_cause(deployment) })
        }
        "ROLLBACK_FAILED" => Some(Degraded::RollbackFailed { why: rollback_cause(deployment) }),
        "STOPPED" | "STOP_REQUESTED" if !on_desired => {
            Some(Degraded::DeploymentStopped { why: rollback_cause(deployment) })
        }
        "IN_PROGRESS" | "PENDING" => deployment
            .hooks
            .iter()
            .flatten()
            // A hook that timed out into CONTINUE let the deployment go on.
            .find(|h| {
                h.status == "FAILED" || (h.status == "TIMED_OUT" && h.timeout_action.as_deref() != Some("CONTINUE"))
            })
            .map(|hook| Degraded::HookFailed { hook: hook.clone() }),
        _ => None,
    }
}

/// Statuses after which ECS changes a service deployment no more.
pub const FINISHED: [&str; 4] = ["SUCCESSFUL", "STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED"];

/// Whether the service deployment in the last status was rolled back, is still the one ECS
/// runs, and the spec is still the one it was for: then the revision it rolled back from must
/// not be pushed again. Kept in `status.deployment` through errors and waits, unlike the
/// Degraded condition.
pub fn deployment_rolled_back(previous: Option<&ECSServiceStatus>, service: Option<&Service>, spec_hash: &str) -> bool {
    let Some(previous) = previous else { return false };
    let Some(d) = previous.deployment.as_ref() else { return false };
    let current = service.and_then(Service::current_service_deployment) == Some(d.arn.as_str());
    let rolled_back = d.status.starts_with("ROLLBACK_") || d.status == "STOP_REQUESTED" || d.status == "STOPPED";
    current && rolled_back && previous.spec_hash.as_deref() == Some(spec_hash)
}

/// Why an unfinished service deployment keeps the service from Ready (a rollback under way
/// too); None once it finished, when the service itself says what it left.
fn deployment_progress(deployment: &ServiceDeploymentStatus) -> Option<DeploymentProgress> {
    if FINISHED.contains(&deployment.status.as_str()) {
        return None;
    }
    let stage = deployment.lifecycle_stage.clone();
    let at_stage = stage.clone().unwrap_or_else(|| "its current stage".to_owned());
    let hooks = deployment.hooks.iter().flatten().filter(|h| h.stage.is_none() || h.stage == stage);
    let mut hooks = hooks.collect::<Vec<_>>();
    hooks.sort_by_key(|h| h.status != "AWAITING_ACTION");
    match hooks.first() {
        Some(hook) if hook.status == "AWAITING_ACTION" => {
            return Some(DeploymentProgress::AwaitingApproval { hook: (*hook).clone(), stage: at_stage });
        }
        Some(hook) if hook.status == "IN_PROGRESS" => {
            return Some(DeploymentProgress::HookInProgress { hook: (*hook).clone(), stage: at_stage });
        }
        _ => {}
    }
    let traffic =
        deployment.production_traffic_percent.map(|p| format!("{p}% of production traffic on the new revision"));
    Some(DeploymentProgress::Stage { status: deployment.status.clone(), stage, traffic })
}

/// The PRIMARY deployment ECS reports for `service`.
pub fn primary(service: &Service) -> Option<&Deployment> {
    service.deployments().iter().find(|d| d.status() == Some("PRIMARY"))
}

/// Whether the circuit breaker rolled the service back from `desired`.
fn rolled_back_from(service: &Service, desired: &str) -> Option<Degraded> {
    let primary = primary(service)?;
    let running = primary.task_definition().unwrap_or_default();
    if running == desired {
        return None;
    }
    let reason = primary.rollout_state_reason().unwrap_or_default();
    let failed_here = service
        .deployments()
        .iter()
        .any(|d| d.task_definition() == Some(desired) && d.rollout_state() == Some(&DeploymentRolloutState::Failed));
    (failed_here || reason.contains("rolling back")).then(|| Degraded::RolledBack {
        failed: desired.to_owned(),
        running: running.to_owned(),
        reason: reason.to_owned(),
    })
}

/// The rollback memory. ECS forgets a rollback once the rollback deployment completes; the
/// status remembers it (Degraded, reason RolledBack) for as long as the spec stays the one that
/// failed (`spec_hash`, against the hash the status recorded). What it remembers, if anything:
/// the one place that memory is read, for ECSService and ECSExpressService alike.
pub fn remembered_rollback<S: HasCommonStatus>(
    previous: Option<&S>,
    recorded_hash: Option<&str>,
    spec_hash: &str,
) -> Option<String> {
    let degraded = previous?.common().conditions.as_ref()?.iter().find(|c| c.type_ == DEGRADED)?;
    let same_spec = recorded_hash == Some(spec_hash);
    (degraded.status == "True" && degraded.reason == "RolledBack" && same_spec).then(|| degraded.message.clone())
}

/// Whether the circuit breaker rolled the desired revision back, as ECS reports it now or as the
/// status remembers: the plan must not push the failing revision again.
pub fn was_rolled_back(service: Option<&Service>, desired: &str, remembered: Option<&str>) -> bool {
    remembered.is_some() || service.is_some_and(|s| rolled_back_from(s, desired).is_some())
}

/// [`assess`] with the remembered rollback standing in for the one ECS no longer reports, while
/// the service still runs another revision than the spec asks for.
pub fn assess_remembering(
    service: &Service,
    deployment: Option<&ServiceDeploymentStatus>,
    desired: &str,
    remembered: Option<&str>,
) -> Assessment {
    let mut assessment = assess(service, deployment, desired);
    let still_on_old = service.task_definition() != Some(desired);
    if let (Some(message), None, true) = (remembered, &assessment.degraded, still_on_old) {
        assessment.degraded = Some(Degraded::RolledBackEarlier { message: message.to_owned() });
        if assessment.ready.is_err() {
            assessment.ready = Err(NotReady::RolledBack);
        }
    }
    assessment
}

/// The verdict on `service`, with `deployment` the service deployment ECS runs now (None where
/// ECS reports none, or it was not read).
pub fn assess(
    service: &Service,
    deployment: Option<&ServiceDeploymentStatus>,
    desired_task_definition: &str,
) -> Assessment {
    // The service deployment's own account of a rollback names the hook or alarm; ECS's
    // deployments list only says that one happened.
    let on_desired = primary(service).and_then(Deployment::task_definition) == Some(desired_task_definition);
    let degraded = deployment
        .and_then(|d| deployment_degraded(d, on_desired))
        .or_else(|| rolled_back_from(service, desired_task_definition))
        .or_else(|| {
            let p = primary(service)?;
            match p.rollout_state() {
                Some(DeploymentRolloutState::Failed) => {
                    Some(Degraded::RolloutFailed { reason: p.rollout_state_reason().unwrap_or_default().to_owned() })
                }
                _ if p.failed_tasks() > 0 => Some(Degraded::TasksFailing { failed: p.failed_tasks() }),
                _ => None,
            }
        });
    let known_rollout = |s: &DeploymentRolloutState| {
        matches!(
            s,
            DeploymentRolloutState::Completed | DeploymentRolloutState::InProgress | DeploymentRolloutState::Failed
        )
    };
    let ready = match primary(service) {
        _ if service.status() != Some("ACTIVE") => {
            Err(NotReady::ServiceNotActive { status: service.status().map(str::to_owned) })
        }
        None => Err(NotReady::NoDeployment),
        Some(p) if p.task_definition() != Some(desired_task_definition) => {
            Err(NotReady::OtherRevision { running: p.task_definition().unwrap_or_default().to_owned() })
        }
        Some(p) if p.rollout_state().is_some_and(|s| !known_rollout(s)) => Err(NotReady::UnknownRolloutState {
            state: p.rollout_state().map(|s| s.as_str().to_owned()).unwrap_or_default(),
        }),
        Some(p) if p.rollout_state() != Some(&DeploymentRolloutState::Completed) => Err(NotReady::RolloutInProgress),
        Some(_) if service.deployments().len() > 1 => {
            Err(NotReady::Draining { deployments: service.deployments().len() - 1 })
        }
        Some(_) if service.running_count() != service.desired_count() => {
            Err(NotReady::TasksStarting { running: service.running_count(), desired: service.desired_count() })
        }
        Some(_) => match deployment.and_then(deployment_progress) {
            Some(progress) => Err(NotReady::Deployment(progress)),
            None => Ok(()),
        },
    };
    // A blue/green deployment paused or shifting traffic keeps the old deployment ACTIVE; its
    // stage says more than "draining" or "in progress".
    let ready = match (ready, deployment.and_then(deployment_progress)) {
        (
            Err(NotReady::RolloutInProgress | NotReady::Draining { .. }),
            Some(p @ DeploymentProgress::AwaitingApproval { .. } | p @ DeploymentProgress::HookInProgress { .. }),
        ) => Err(NotReady::Deployment(p)),
        (
            Err(NotReady::RolloutInProgress | NotReady::Draining { .. }),
            Some(p @ DeploymentProgress::Stage { stage: Some(_), .. }),
        ) => Err(NotReady::Deployment(p)),
        (ready, _) => ready,
    };
    let rolled_back = matches!(
        degraded,
        Some(Degraded::RolledBack { .. } | Degraded::RolledBackEarlier { .. } | Degraded::DeploymentRolledBack { .. })
    );
    let ready = match ready {
        Err(_) if rolled_back => Err(NotReady::RolledBack),
        ready => ready,
    };
    Assessment { ready, degraded }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: &str = "arn:aws:ecs:us-east-1:1:task-definition/web:1";
    const V2: &str = "arn:aws:ecs:us-east-1:1:task-definition/web:2";

    fn deployment(status: &str, td: &str, rollout: DeploymentRolloutState, failed: i32, reason: &str) -> Deployment {
        Deployment::builder()
            .id(format!("ecs-svc/{status}{td}"))
            .status(status)
            .task_definition(td)
            .rollout_state(rollout)
            .rollout_state_reason(reason)
            .failed_tasks(failed)
            .build()
    }

    fn service(deployments: Vec<Deployment>, running: i32, desired: i32) -> Service {
        Service::builder()
            .status("ACTIVE")
            .set_deployments(Some(deployments))
            .running_count(running)
            .desired_count(desired)
            .build()
    }

    #[test]
    fn completed_on_desired_with_all_tasks_is_ready() {
        let s = service(vec![deployment("PRIMARY", V2, DeploymentRolloutState::Completed, 0, "")], 3, 3);
        let a = assess(&s, None, V2);
        assert_eq!(a.ready, Ok(()));
        assert!(!a.progressing());
        assert_eq!(a.degraded, None);
    }

    #[test]
    fn not_ready_cases() {
        let cases = [
            (service(vec![], 0, 3), "NoDeployment"),
            (
                Service::builder()
                    .status("EXPLODING")
                    .deployments(deployment("PRIMARY", V2, DeploymentRolloutState::Completed, 0, ""))
                    .build(),
                "ServiceNotActive",
            ),
            (
                service(vec![deployment("PRIMARY", V2, DeploymentRolloutState::from("WEIRD"), 0, "")], 3, 3),
                "UnknownRolloutState",
            ),
            (service(vec![deployment("PRIMARY", V1, DeploymentRolloutState::Completed, 0, "")], 3, 3), "UpdatePending"),
            (
                service(vec![deployment("PRIMARY", V2, DeploymentRolloutState::InProgress, 0, "")], 1, 3),
                "RolloutInProgress",
            ),
            (
                service(
                    vec![
                        deployment("PRIMARY", V2, DeploymentRolloutState::Completed, 0, ""),
                        deployment("ACTIVE", V1, DeploymentRolloutState::Completed, 0, ""),
                    ],
                    3,
                    3,
                ),
                "Draining",
            ),
            (service(vec![deployment("PRIMARY", V2, DeploymentRolloutState::Completed, 0, "")], 2, 3), "TasksStarting"),
        ];
        for (s, reason) in cases {
            let a = assess(&s, None, V2);
            assert_eq!(a.ready.as_ref().err().map(NotReady::reason), Some(reason));
            assert!(a.progressing(), "{reason}");
        }
    }

    #[test]
    fn circuit_breaker_rollback_is_degraded_naming_the_running_revision() {
        let s = service(
            vec![
                deployment(
                    "PRIMARY",
                    V1,
                    DeploymentRolloutState::InProgress,
                    0,
                    "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1.",
                ),
                deployment(
                    "ACTIVE",
                    V2,
                    DeploymentRolloutState::Failed,
                    3,
                    "ECS deployment circuit breaker: task failed to start.",
                ),
            ],
            2,
            3,
        );
        let a = assess(&s, None, V2);
        let Some(Degraded::RolledBack { running, failed, .. }) = &a.degraded else { panic!("{a:?}") };
        assert_eq!((running.as_str(), failed.as_str()), (V1, V2));
        assert!(a.degraded.as_ref().is_some_and(|d| d.message().contains("web:1 is running now")));
        assert!(!a.progressing(), "a rolled-back service is not progressing towards the spec");
    }

    #[test]
    fn failed_without_rollback_and_failing_tasks() {
        let failed =
            service(vec![deployment("PRIMARY", V2, DeploymentRolloutState::Failed, 3, "circuit breaker")], 0, 3);
        assert_eq!(assess(&failed, None, V2).degraded.map(|d| d.reason()), Some("RolloutFailed"));
        let failing = service(vec![deployment("PRIMARY", V2, DeploymentRolloutState::InProgress, 2, "")], 1, 3);
        let a = assess(&failing, None, V2);
        assert_eq!(a.degraded.as_ref().map(Degraded::reason), Some("TasksFailing"));
        assert!(a.progressing());
    }

    fn bg(status: &str, stage: Option<&str>, hooks: Vec<HookStatus>) -> ServiceDeploymentStatus {
        ServiceDeploymentStatus {
            arn: "arn:aws:ecs:us-east-1:1:service-deployment/c/web/1".into(),
            status: status.into(),
            lifecycle_stage: stage.map(Into::into),
            hooks: (!hooks.is_empty()).then_some(hooks),
            ..Default::default()
        }
    }

    fn hook(id: &str, kind: &str, status: &str, stage: &str) -> HookStatus {
        HookStatus {
            hook_id: id.into(),
            target_type: Some(kind.into()),
            target_arn: (kind == "AWS_LAMBDA").then(|| "arn:aws:lambda:us-east-1:1:function:smoke".into()),
            stage: Some(stage.into()),
            status: status.into(),
            expires_at: None,
            timeout_action: None,
        }
    }

    /// Blue/green half way: green (V2) PRIMARY and up, blue (V1) still ACTIVE.
    fn shifting() -> Service {
        service(
            vec![
                deployment("PRIMARY", V2, DeploymentRolloutState::InProgress, 0, ""),
                deployment("ACTIVE", V1, DeploymentRolloutState::Completed, 0, ""),
            ],
            6,
            3,
        )
    }

    #[test]
    fn a_paused_deployment_awaits_approval_and_is_not_ready() {
        let d = bg(
            "IN_PROGRESS",
            Some("POST_TEST_TRAFFIC_SHIFT"),
            vec![hook("p1", "PAUSE", "AWAITING_ACTION", "POST_TEST_TRAFFIC_SHIFT")],
        );
        let a = assess(&shifting(), Some(&d), V2);
        assert_eq!(a.ready.as_ref().err().map(NotReady::reason), Some("AwaitingApproval"));
        assert!(a.ready.as_ref().err().is_some_and(|r| r.message().contains("p1") && r.message().contains("approve")));
        assert!(a.progressing() && a.awaiting_approval());
        assert_eq!(a.degraded, None);
    }

    #[test]
    fn each_stage_is_the_progressing_reason_and_ready_waits_for_successful() {
        for (stage, reason) in [
            ("TEST_TRAFFIC_SHIFT", "TestTrafficShift"),
            ("BAKE_TIME", "BakeTime"),
            ("CLEAN_UP", "CleanUp"),
            ("NEW_STAGE", "DeploymentInProgress"),
        ] {
            let d = bg("IN_PROGRESS", Some(stage), vec![]);
            let a = assess(&shifting(), Some(&d), V2);
            assert_eq!(a.ready.as_ref().err().map(NotReady::reason), Some(reason), "{stage}");
            assert!(!a.awaiting_approval());
        }
        // ECS's deployments list already looks finished, but the service deployment is not:
        // not Ready until it says SUCCESSFUL.
        let done_looking = service(vec![deployment("PRIMARY", V2, DeploymentRolloutState::Completed, 0, "")], 3, 3);
        let cleaning = bg("IN_PROGRESS", Some("CLEAN_UP"), vec![]);
        assert_eq!(assess(&done_looking, Some(&cleaning), V2).ready.err().map(|r| r.reason()), Some("CleanUp"));
        assert_eq!(assess(&done_looking, Some(&bg("SUCCESSFUL", Some("CLEAN_UP"), vec![])), V2).ready, Ok(()));
    }

    #[test]
    fn a_failed_hook_rolls_back_naming_the_hook_under_the_rolled_back_reason() {
        let failed = hook("l1", "AWS_LAMBDA", "FAILED", "PRODUCTION_TRAFFIC_SHIFT");
        let mut d = bg("ROLLBACK_SUCCESSFUL", Some("CLEAN_UP"), vec![failed.clone()]);
        d.rolled_back_to = Some("rev/1".into());
        let back = service(vec![deployment("PRIMARY", V1, DeploymentRolloutState::Completed, 0, "")], 3, 3);
        let a = assess(&back, Some(&d), V2);
        let degraded = a.degraded.clone().expect("degraded");
        assert_eq!(degraded.reason(), "RolledBack", "remembered like a circuit-breaker rollback");
        assert_eq!(a.ready.as_ref().err().map(NotReady::reason), Some("RolledBack"));
        let message = degraded.message();
        assert!(
            message.contains("function:smoke")
                && message.contains("PRODUCTION_TRAFFIC_SHIFT")
                && message.contains("FAILED"),
            "{message}"
        );
        assert!(!a.progressing());
        // Before ECS reports the rollback: the failed hook alone is Degraded.
        let just_failed = bg("IN_PROGRESS", Some("PRODUCTION_TRAFFIC_SHIFT"), vec![failed]);
        assert_eq!(assess(&shifting(), Some(&just_failed), V2).degraded.map(|d| d.reason()), Some("HookFailed"));
        // An alarm names the alarm; a failed rollback is its own reason.
        let mut alarm = bg("ROLLBACK_IN_PROGRESS", None, vec![]);
        alarm.triggered_alarms = Some(vec!["web-5xx".into()]);
        assert!(assess(&shifting(), Some(&alarm), V2).degraded.is_some_and(|d| d.message().contains("web-5xx")));
        assert_eq!(
            assess(&shifting(), Some(&bg("ROLLBACK_FAILED", None, vec![])), V2).degraded.map(|d| d.reason()),
            Some("RollbackFailed")
        );
    }

    #[test]
    fn a_finished_rollback_stops_counting_once_the_spec_asks_for_what_runs() {
        // The spec went back to web:1, the revision ECS rolled back to: no new deployment is
        // needed, and the rolled-back one stays current in ECS.
        let back = service(vec![deployment("PRIMARY", V1, DeploymentRolloutState::Completed, 0, "")], 3, 3);
        let done = bg("ROLLBACK_SUCCESSFUL", Some("CLEAN_UP"), vec![]);
        let a = assess(&back, Some(&done), V1);
        assert_eq!((a.ready, a.degraded), (Ok(()), None));
        // While the spec still asks for web:2 it is a rollback.
        assert_eq!(assess(&back, Some(&done), V2).ready.err().map(|r| r.reason()), Some("RolledBack"));
    }

    #[test]
    fn a_rollback_under_way_is_never_ready_and_a_hook_timing_out_into_continue_is_no_failure() {
        let green_alone = service(vec![deployment("PRIMARY", V2, DeploymentRolloutState::Completed, 0, "")], 3, 3);
        let rolling_back = bg("ROLLBACK_IN_PROGRESS", Some("CLEAN_UP"), vec![]);
        let a = assess(&green_alone, Some(&rolling_back), V2);
        assert_eq!(a.ready.err().map(|r| r.reason()), Some("RolledBack"));
        let mut timed_out = hook("p1", "PAUSE", "TIMED_OUT", "POST_TEST_TRAFFIC_SHIFT");
        timed_out.timeout_action = Some("CONTINUE".into());
        let moving_on = bg("IN_PROGRESS", Some("BAKE_TIME"), vec![timed_out.clone()]);
        assert_eq!(assess(&shifting(), Some(&moving_on), V2).degraded, None);
        timed_out.timeout_action = Some("ROLLBACK".into());
        let failing = bg("IN_PROGRESS", Some("POST_TEST_TRAFFIC_SHIFT"), vec![timed_out]);
        assert_eq!(assess(&shifting(), Some(&failing), V2).degraded.map(|d| d.reason()), Some("HookFailed"));
    }

    #[test]
    fn the_rollback_is_remembered_from_status_deployment_while_it_is_current_and_the_spec_unchanged() {
        let rolled = bg("ROLLBACK_SUCCESSFUL", None, vec![]);
        let status = ECSServiceStatus {
            deployment: Some(Box::new(rolled.clone())),
            spec_hash: Some("h2".into()),
            ..Default::default()
        };
        let current = Service::builder().current_service_deployment(rolled.arn.clone()).build();
        assert!(deployment_rolled_back(Some(&status), Some(&current), "h2"));
        assert!(!deployment_rolled_back(Some(&status), Some(&current), "h3"), "a new spec deploys again");
        let newer = Service::builder().current_service_deployment("arn:other").build();
        assert!(!deployment_rolled_back(Some(&status), Some(&newer), "h2"), "another deployment since");
    }
}
