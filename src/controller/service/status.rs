//! Builds an ECSService's status: what ECS reports (ARNs, counts, deployments, events) and the
//! four conditions, from the rollout assessment. Pure: the clock is passed in.

use aws_sdk_ecs::types::Service;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use super::resolve::Waiting;
use super::resolve::{cluster_name, family_revision};
use crate::controller::conditions::{self, ConditionSpec, DEGRADED, PROGRESSING, READY};
use crate::controller::drift::DriftItem;
use crate::controller::drift::{self, Correction};
use crate::controller::error::Error;
use crate::controller::rollout::Assessment;
use crate::crd::common::{AppliedRecord, CommonStatus};
use crate::crd::service::{
    DeploymentActions, DeploymentStatus, ECSServiceStatus, NamespaceSeen, ServiceDeploymentStatus, ServiceEventRecord,
};

/// Service events kept in status, newest first.
const EVENTS_KEPT: usize = crate::aws::describe::EVENTS_CACHED;

/// Deployments kept in status (ECS lists PRIMARY first). ECS itself reports a handful; a
/// longer answer must not make the status too big for the API server to store.
const DEPLOYMENTS_KEPT: usize = 10;

/// Where the reconcile got to.
pub enum Stage<'a> {
    /// A reference is not ready: Progressing with this message.
    Waiting(&'a str),
    /// The service as ECS reports it, with the verdict on its rollout.
    Observed { service: &'a Service, assessment: &'a Assessment, desired_task_definition: &'a str },
}

/// What a successful sync found.
pub struct Synced {
    pub service: Option<Service>,
    pub assessment: Option<Assessment>,
    pub desired_task_definition: String,
    pub drift: Vec<DriftItem>,
    pub correction: Correction,
    pub applied_hash: String,
    pub restarted_at: Option<String>,
    /// The Application Auto Scaling target now registered (None: not managed).
    pub scalable_target: Option<String>,
    /// When the sweep will have refreshed the service's description (None: not known).
    pub refreshed_in: Option<std::time::Duration>,
    /// What this reconcile applied, for `status.lastApplied` (None in Observe mode).
    pub applied: Option<AppliedRecord>,
    /// The current service deployment (None: ECS reports none).
    pub deployment: Option<ServiceDeploymentStatus>,
    /// `status.actions` after this reconcile.
    pub actions: Option<DeploymentActions>,
    /// `status.serviceConnectNamespace` after this reconcile.
    pub namespace_seen: Option<Box<NamespaceSeen>>,
}

/// Where a reconcile got to.
pub enum Reached {
    Synced(Box<Synced>),
    Waiting(Waiting),
}

pub struct Outcome<'a> {
    pub stage: Option<Stage<'a>>,
    pub drift: &'a [DriftItem],
    /// The correction gate's verdict; None when the reconcile did not plan.
    pub correction: Option<&'a Correction>,
    pub applied_hash: Option<&'a str>,
    pub restarted_at: Option<&'a str>,
    /// `Some(x)`: the scalable target is now `x`; `None`: unknown this time, keep the last.
    pub scalable_target: Option<Option<&'a str>>,
    /// What this reconcile applied (`status.lastApplied`); None: keep the last record.
    pub applied: Option<&'a AppliedRecord>,
    /// `Some`: the service deployment and actions found now; None: keep the last.
    pub deployment: Option<(Option<&'a ServiceDeploymentStatus>, Option<&'a DeploymentActions>)>,
    /// `Some`: the Service Connect namespace record now; None: keep the last.
    pub namespace_seen: Option<Option<&'a NamespaceSeen>>,
    pub observe_only: bool,
    pub error: Option<&'a Error>,
}

impl<'a> Outcome<'a> {
    /// The outcome of a reconcile: its findings, the wait, or the error.
    pub fn of(result: &'a Result<Reached, Error>, observe_only: bool) -> Self {
        let nothing = Self {
            stage: None,
            drift: &[],
            correction: None,
            applied_hash: None,
            restarted_at: None,
            scalable_target: None,
            applied: None,
            deployment: None,
            namespace_seen: None,
            observe_only,
            error: None,
        };
        match result {
            Ok(Reached::Synced(s)) => Self {
                stage: match (&s.service, &s.assessment) {
                    (Some(service), Some(assessment)) => Some(Stage::Observed {
                        service,
                        assessment,
                        desired_task_definition: &s.desired_task_definition,
                    }),
                    _ => None,
                },
                drift: &s.drift,
                correction: Some(&s.correction),
                applied_hash: Some(&s.applied_hash),
                restarted_at: s.restarted_at.as_deref(),
                scalable_target: Some(s.scalable_target.as_deref()),
                applied: s.applied.as_ref(),
                deployment: Some((s.deployment.as_ref(), s.actions.as_ref())),
                namespace_seen: Some(s.namespace_seen.as_deref()),
                ..nothing
            },
            Ok(Reached::Waiting(waiting)) => Self { stage: Some(Stage::Waiting(&waiting.why)), ..nothing },
            Err(error) => Self { error: Some(error), ..nothing },
        }
    }
}

pub fn build(
    previous: Option<&ECSServiceStatus>,
    generation: Option<i64>,
    o: &Outcome<'_>,
    now: &Time,
) -> ECSServiceStatus {
    let prev = previous.cloned().unwrap_or_default();
    let mut status = match &o.stage {
        Some(Stage::Observed { service, desired_task_definition, .. }) => {
            from_service(service, desired_task_definition)
        }
        // Keep what was last seen while waiting or failing: it is still the best knowledge.
        _ => ECSServiceStatus { common: CommonStatus::default(), ..prev.clone() },
    };
    status.spec_hash = o.applied_hash.map(str::to_owned).or(prev.spec_hash.clone());
    status.restarted_at = o.restarted_at.map(str::to_owned).or(prev.restarted_at.clone());
    status.scalable_target = match o.scalable_target {
        Some(now) => now.map(str::to_owned),
        None => prev.scalable_target.clone(),
    };
    status.service_connect_namespace = match o.namespace_seen {
        Some(now) => now.cloned().map(Box::new),
        None => prev.service_connect_namespace.clone(),
    };
    (status.deployment, status.actions) = match o.deployment {
        Some((deployment, actions)) => (deployment.cloned().map(Box::new), actions.cloned().map(Box::new)),
        None => (prev.deployment.clone(), prev.actions.clone()),
    };
    status.common =
        drift::common_status(&prev.common, generation, condition_specs(o), o.drift, o.correction, o.applied, now);
    status
}

fn from_service(service: &Service, desired_task_definition: &str) -> ECSServiceStatus {
    let primary = service.deployments().iter().find(|d| d.status() == Some("PRIMARY"));
    let running_revision = primary.and_then(|p| p.task_definition()).or(service.task_definition());
    ECSServiceStatus {
        service_arn: service.service_arn().map(str::to_owned),
        cluster_arn: service.cluster_arn().map(str::to_owned),
        cluster_name: service.cluster_arn().map(cluster_name),
        task_definition_arn: Some(desired_task_definition.to_owned()),
        task_definition: running_revision.map(family_revision),
        desired_count: Some(service.desired_count()),
        running_count: Some(service.running_count()),
        pending_count: Some(service.pending_count()),
        rollout_state: primary.and_then(|p| p.rollout_state()).map(|r| r.as_str().to_owned()),
        deployments: Some(
            service
                .deployments()
                .iter()
                .take(DEPLOYMENTS_KEPT)
                .map(|d| DeploymentStatus {
                    id: d.id().unwrap_or_default().to_owned(),
                    status: d.status().unwrap_or_default().to_owned(),
                    task_definition: d.task_definition().unwrap_or_default().to_owned(),
                    rollout_state: d.rollout_state().map(|r| r.as_str().to_owned()),
                    rollout_state_reason: d.rollout_state_reason().map(str::to_owned),
                    desired_count: d.desired_count(),
                    running_count: d.running_count(),
                    pending_count: d.pending_count(),
                    failed_tasks: d.failed_tasks(),
                })
                .collect(),
        ),
        events: Some(
            service
                .events()
                .iter()
                .take(EVENTS_KEPT)
                .map(|e| ServiceEventRecord {
                    created_at: e.created_at().map(|t| t.to_string()).unwrap_or_default(),
                    message: e.message().unwrap_or_default().to_owned(),
                })
                .collect(),
        ),
        ..Default::default()
    }
}

/// Ready's message for a finished rollout. A DAEMON service's desiredCount is ECS's count of
/// the container instances it may run on: at 0 it runs nothing, which deserves saying.
fn complete_message(service: &Service) -> String {
    let daemon = service.scheduling_strategy() == Some(&aws_sdk_ecs::types::SchedulingStrategy::Daemon);
    if daemon && service.desired_count() == 0 {
        let cluster = service.cluster_arn().map(cluster_name).unwrap_or_else(|| "its cluster".into());
        format!(
            "the desired revision is deployed, on no task: a DAEMON service runs one task on each ACTIVE \
             container instance of {cluster} that its placement constraints allow, and there is none"
        )
    } else {
        "the desired revision runs with all tasks".to_owned()
    }
}

fn condition_specs(o: &Outcome<'_>) -> Vec<ConditionSpec> {
    let synced = conditions::synced(o.error, o.observe_only);
    let (ready, progressing, degraded) = match &o.stage {
        Some(Stage::Observed { service, assessment, .. }) => {
            let ready = match &assessment.ready {
                Ok(()) => ConditionSpec::new(READY, true, "RolloutComplete", complete_message(service)),
                Err(why) => ConditionSpec::new(READY, false, why.reason(), why.message()),
            };
            let progressing = match (&assessment.ready, assessment.progressing()) {
                (Err(why), true) => ConditionSpec::new(PROGRESSING, true, why.reason(), why.message()),
                _ => ConditionSpec::new(PROGRESSING, false, "Idle", ""),
            };
            let degraded = match &assessment.degraded {
                Some(d) => ConditionSpec::new(DEGRADED, true, d.reason(), d.message()),
                None => ConditionSpec::new(DEGRADED, false, "Healthy", ""),
            };
            (ready, progressing, degraded)
        }
        Some(Stage::Waiting(why)) => (
            ConditionSpec::new(READY, false, "WaitingForReference", *why),
            ConditionSpec::new(PROGRESSING, true, "WaitingForReference", *why),
            ConditionSpec::new(DEGRADED, false, "Healthy", ""),
        ),
        None => {
            let why = o.error.map(|e| e.to_string()).unwrap_or_else(|| "the service does not exist in ECS".into());
            (
                ConditionSpec::new(READY, false, o.error.map(Error::reason).unwrap_or("NotFound"), why),
                ConditionSpec::new(PROGRESSING, false, "Idle", ""),
                ConditionSpec::new(DEGRADED, false, "Healthy", ""),
            )
        }
    };
    vec![ready, synced, progressing, degraded]
}

#[cfg(test)]
mod tests {
    use aws_sdk_ecs::types::SchedulingStrategy;

    use super::*;

    #[test]
    fn a_daemon_service_on_no_instance_says_why_it_runs_nothing() {
        let cluster = "arn:aws:ecs:us-east-1:123456789012:cluster/batch-ec2";
        let daemon = |desired| {
            Service::builder()
                .cluster_arn(cluster)
                .scheduling_strategy(SchedulingStrategy::Daemon)
                .desired_count(desired)
                .build()
        };
        let none = complete_message(&daemon(0));
        assert!(none.contains("no task") && none.contains("container instance of batch-ec2"), "{none}");
        assert_eq!(complete_message(&daemon(3)), "the desired revision runs with all tasks");
        let replica = Service::builder().scheduling_strategy(SchedulingStrategy::Replica).desired_count(0).build();
        assert_eq!(complete_message(&replica), "the desired revision runs with all tasks", "scaled to zero on purpose");
    }
}
