//! "Is the rollout done?" as a pure judgement over what DescribeServices reports. Ready means
//! the PRIMARY deployment runs the desired revision, its rollout is COMPLETED, no other
//! deployment is still draining and running == desired. Anything else is Progressing, with a
//! reason; a failed or rolled-back rollout is Degraded and says which revision runs now.

use aws_sdk_ecs::types::{Deployment, DeploymentRolloutState, Service};

use crate::controller::conditions::DEGRADED;
use crate::crd::service::ECSServiceStatus;

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
        }
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
}

impl Degraded {
    pub fn reason(&self) -> &'static str {
        match self {
            Self::RolledBack { .. } | Self::RolledBackEarlier { .. } => "RolledBack",
            Self::RolloutFailed { .. } => "RolloutFailed",
            Self::TasksFailing { .. } => "TasksFailing",
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
                Some(Degraded::RolledBack { .. } | Degraded::RolledBackEarlier { .. } | Degraded::RolloutFailed { .. })
            )
    }
}

fn primary(service: &Service) -> Option<&Deployment> {
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
/// failed (`spec_hash`). What it remembers, if anything: the one place that memory is read.
pub fn remembered_rollback(previous: Option<&ECSServiceStatus>, spec_hash: &str) -> Option<String> {
    let previous = previous?;
    let degraded = previous.common.conditions.as_ref()?.iter().find(|c| c.type_ == DEGRADED)?;
    let same_spec = previous.spec_hash.as_deref() == Some(spec_hash);
    (degraded.status == "True" && degraded.reason == "RolledBack" && same_spec).then(|| degraded.message.clone())
}

/// Whether the circuit breaker rolled the desired revision back, as ECS reports it now or as the
/// status remembers: the plan must not push the failing revision again.
pub fn was_rolled_back(service: Option<&Service>, desired: &str, remembered: Option<&str>) -> bool {
    remembered.is_some() || service.is_some_and(|s| rolled_back_from(s, desired).is_some())
}

/// [`assess`] with the remembered rollback standing in for the one ECS no longer reports, while
/// the service still runs another revision than the spec asks for.
pub fn assess_remembering(service: &Service, desired: &str, remembered: Option<&str>) -> Assessment {
    let mut assessment = assess(service, desired);
    let still_on_old = service.task_definition() != Some(desired);
    if let (Some(message), None, true) = (remembered, &assessment.degraded, still_on_old) {
        assessment.degraded = Some(Degraded::RolledBackEarlier { message: message.to_owned() });
    }
    assessment
}

pub fn assess(service: &Service, desired_task_definition: &str) -> Assessment {
    let degraded = rolled_back_from(service, desired_task_definition).or_else(|| {
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
        Some(_) => Ok(()),
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
        let a = assess(&s, V2);
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
            let a = assess(&s, V2);
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
        let a = assess(&s, V2);
        let Some(Degraded::RolledBack { running, failed, .. }) = &a.degraded else { panic!("{a:?}") };
        assert_eq!((running.as_str(), failed.as_str()), (V1, V2));
        assert!(a.degraded.as_ref().is_some_and(|d| d.message().contains("web:1 is running now")));
        assert!(!a.progressing(), "a rolled-back service is not progressing towards the spec");
    }

    #[test]
    fn failed_without_rollback_and_failing_tasks() {
        let failed =
            service(vec![deployment("PRIMARY", V2, DeploymentRolloutState::Failed, 3, "circuit breaker")], 0, 3);
        assert_eq!(assess(&failed, V2).degraded.map(|d| d.reason()), Some("RolloutFailed"));
        let failing = service(vec![deployment("PRIMARY", V2, DeploymentRolloutState::InProgress, 2, "")], 1, 3);
        let a = assess(&failing, V2);
        assert_eq!(a.degraded.as_ref().map(Degraded::reason), Some("TasksFailing"));
        assert!(a.progressing());
    }
}
