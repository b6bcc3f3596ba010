//! Service deployments (botocore ecs service-2.json, ServiceDeployment): one record per new
//! deployment of a service, with its source and target service revisions, status, lifecycle
//! stage, lifecycle hook runs, rollback, circuit breaker and alarm monitoring; the stage machine
//! that moves BLUE_GREEN, LINEAR and CANARY deployments over simulated time; rollback; and the
//! operations DescribeServiceDeployments, ListServiceDeployments, ContinueServiceDeployment and
//! StopServiceDeployment.
//!
//! Sources: botocore ServiceDeployment, ServiceDeploymentBrief, ServiceRevisionSummary,
//! ServiceDeploymentLifecycleStage, Rollback, ServiceDeploymentAlarms,
//! ServiceDeploymentCircuitBreaker and the four operations' documentation and `errors`; AWS
//! developer guide pages "View service history using Amazon ECS service deployments", "Amazon
//! ECS blue/green service deployments workflow", "Lifecycle hooks for Amazon ECS service
//! deployments", "Pause hooks for Amazon ECS service deployments", "Lambda hooks for Amazon ECS
//! service deployments", "Continuing Amazon ECS service deployments", "Stopping Amazon ECS
//! service deployments", "Amazon ECS deployment failure detection" and "How CloudWatch alarms
//! detect Amazon ECS deployment failures".

use serde_json::{Value, json};

use crate::clock::epoch_seconds;
use crate::deployments::{DeploymentConfig, DeploymentTasks, RolloutState, TrafficPlan, failure_threshold};
use crate::error::{ApiError, ApiResult, ErrorKind};
use crate::lifecycle_hooks::{
    HookAction, HookConfig, HookRun, HookStatus, HookTargetType, LAMBDA_CALLBACK_DELAY_MS, LambdaOutcome,
};
use crate::protocol::{Req, paginate, service_ident, service_scoped_arn};
use crate::services::{Service, ServiceKey, ServiceStatus};
use crate::state::{State, TimerKind};

/// Records kept per service, newest first. AWS keeps 90 days of history ("View service history
/// using Amazon ECS service deployments"); the simulator keeps the newest 50.
pub const MAX_RECORDS_PER_SERVICE: usize = 50;

/// StopServiceDeployment leaves a deployment ROLLBACK_REQUESTED ("Stopping Amazon ECS service
/// deployments": "The service deployment moves to the ROLLBACK_REQUESTED state, and then the
/// rollback operation starts") for this long before the rollback starts. AWS gives no duration.
const ROLLBACK_REQUEST_DELAY_MS: u64 = 1_000;

/// botocore ServiceDeploymentStatus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SdStatus {
    Pending,
    InProgress,
    Successful,
    Stopped,
    StopRequested,
    RollbackRequested,
    RollbackInProgress,
    RollbackSuccessful,
    RollbackFailed,
}

const STATUSES: [SdStatus; 9] = [
    SdStatus::Pending,
    SdStatus::InProgress,
    SdStatus::Successful,
    SdStatus::Stopped,
    SdStatus::StopRequested,
    SdStatus::RollbackRequested,
    SdStatus::RollbackInProgress,
    SdStatus::RollbackSuccessful,
    SdStatus::RollbackFailed,
];

impl SdStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SdStatus::Pending => "PENDING",
            SdStatus::InProgress => "IN_PROGRESS",
            SdStatus::Successful => "SUCCESSFUL",
            SdStatus::Stopped => "STOPPED",
            SdStatus::StopRequested => "STOP_REQUESTED",
            SdStatus::RollbackRequested => "ROLLBACK_REQUESTED",
            SdStatus::RollbackInProgress => "ROLLBACK_IN_PROGRESS",
            SdStatus::RollbackSuccessful => "ROLLBACK_SUCCESSFUL",
            SdStatus::RollbackFailed => "ROLLBACK_FAILED",
        }
    }

    fn parse(s: &str) -> ApiResult<Self> {
        STATUSES.iter().copied().find(|x| x.as_str() == s).ok_or_else(|| {
            let valid: Vec<&str> = STATUSES.iter().map(|x| x.as_str()).collect();
            ApiError::invalid(format!("Invalid service deployment status {s}. Valid values: {}.", valid.join(", ")))
        })
    }

    /// Still rolling the target revision out (a failure now fails this deployment).
    fn is_rolling_out(self) -> bool {
        matches!(self, SdStatus::Pending | SdStatus::InProgress | SdStatus::RollbackRequested)
    }

    /// "View service history ...": Completed = SUCCESSFUL, STOPPED, ROLLBACK_SUCCESSFUL,
    /// ROLLBACK_FAILED.
    fn is_completed(self) -> bool {
        matches!(
            self,
            SdStatus::Successful | SdStatus::Stopped | SdStatus::RollbackSuccessful | SdStatus::RollbackFailed
        )
    }
}

/// The lifecycle stages of a BLUE_GREEN, LINEAR or CANARY deployment, in order (botocore
/// ServiceDeployment.lifecycleStage documentation; "Amazon ECS blue/green service deployments
/// workflow").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    ReconcileService,
    PreScaleUp,
    ScaleUp,
    PostScaleUp,
    TestTrafficShift,
    PostTestTrafficShift,
    PreProductionTrafficShift,
    ProductionTrafficShift,
    PostProductionTrafficShift,
    BakeTime,
    CleanUp,
}

impl Stage {
    /// The name as reported in `lifecycleStage` and as configured in `lifecycleStages`.
    /// PRE_PRODUCTION_TRAFFIC_SHIFT is documented as a value of ServiceDeployment.lifecycleStage
    /// ("Occurs before production traffic shift. For linear and canary deployments, this stage is
    /// invoked before every traffic shift step.") although botocore's
    /// ServiceDeploymentLifecycleStage enum (and so aws-sdk-ecs's) does not list it yet: SDKs
    /// read it as an unknown enum value.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::ReconcileService => "RECONCILE_SERVICE",
            Stage::PreScaleUp => "PRE_SCALE_UP",
            Stage::ScaleUp => "SCALE_UP",
            Stage::PostScaleUp => "POST_SCALE_UP",
            Stage::TestTrafficShift => "TEST_TRAFFIC_SHIFT",
            Stage::PostTestTrafficShift => "POST_TEST_TRAFFIC_SHIFT",
            Stage::PreProductionTrafficShift => "PRE_PRODUCTION_TRAFFIC_SHIFT",
            Stage::ProductionTrafficShift => "PRODUCTION_TRAFFIC_SHIFT",
            Stage::PostProductionTrafficShift => "POST_PRODUCTION_TRAFFIC_SHIFT",
            Stage::BakeTime => "BAKE_TIME",
            Stage::CleanUp => "CLEAN_UP",
        }
    }
}

/// botocore ServiceDeploymentRollbackMonitorsStatus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Monitor {
    Disabled,
    Monitoring,
    Triggered,
    MonitoringComplete,
}

impl Monitor {
    fn as_str(self) -> &'static str {
        match self {
            Monitor::Disabled => "DISABLED",
            Monitor::Monitoring => "MONITORING",
            Monitor::Triggered => "TRIGGERED",
            Monitor::MonitoringComplete => "MONITORING_COMPLETE",
        }
    }

    fn of(enabled: bool) -> Self {
        if enabled { Monitor::Monitoring } else { Monitor::Disabled }
    }

    fn complete(&mut self) {
        if *self == Monitor::Monitoring {
            *self = Monitor::MonitoringComplete;
        }
    }
}

/// The last deployment that reached COMPLETED: the rollback target ("Amazon ECS deployment
/// failure detection": "The rollback method requires a previous deployment in COMPLETED state").
#[derive(Debug, Clone, PartialEq)]
pub struct LastCompleted {
    pub id: String,
    pub task_definition: String,
    pub revision_arn: String,
    /// Its serviceConnect, volume and VPC Lattice configurations (part of the revision).
    pub configs: crate::deployment_configs::DeploymentConfigs,
}

/// botocore Rollback.
#[derive(Debug, Clone)]
pub struct RollbackInfo {
    pub reason: String,
    pub started_at: u64,
    pub revision_arn: String,
}

/// One service deployment.
#[derive(Debug, Clone)]
pub struct ServiceDeploymentRecord {
    pub id: String,
    pub arn: String,
    /// The `ecs-svc/...` deployment (in `Service.deployments`) that runs the target revision.
    pub deployment_id: String,
    pub target_revision: String,
    /// Revisions running when the deployment was created, the one serving production first.
    pub source_revisions: Vec<String>,
    pub created_at: u64,
    pub started_at: Option<u64>,
    pub finished_at: Option<u64>,
    pub stopped_at: Option<u64>,
    pub updated_at: u64,
    pub status: SdStatus,
    pub status_reason: Option<String>,
    /// `deploymentConfiguration` as DescribeServices showed it when the deployment was created.
    pub config_json: Value,
    pub strategy: String,
    pub hooks_config: Vec<HookConfig>,
    pub plan: TrafficPlan,
    pub bake_ms: u64,
    /// BLUE_GREEN, LINEAR or CANARY with something to shift from: runs the stages and hooks.
    pub staged: bool,
    pub stage: Option<Stage>,
    /// Index in `hooks` of the first run of the current stage.
    pub stage_hooks_from: usize,
    /// Index in `plan.steps` of the production traffic step reached.
    pub step: usize,
    /// A step's wait or the bake time ends then.
    pub wait_until: Option<u64>,
    /// The target revision's requested test / production traffic weights.
    pub test_weight: f64,
    pub prod_weight: f64,
    pub hooks: Vec<HookRun>,
    pub rollback: Option<RollbackInfo>,
    pub rollback_requested_at: Option<u64>,
    /// The deployment a rollback brings back (re-promoted blue or a new one on its revision).
    pub rollback_to: Option<String>,
    pub circuit_breaker: Monitor,
    pub failure_count: u32,
    pub alarms: Monitor,
    pub alarms_rollback: bool,
    pub alarm_names: Vec<String>,
    pub triggered_alarms: Vec<String>,
}

/// Why a deployment failed; each names its cause in statusReason, rollback.reason and events.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    CircuitBreaker,
    Alarms(Vec<String>),
    HookFailed { hook: String, stage: &'static str },
    HookTimedOut { hook: String, stage: &'static str },
    PauseRollback { hook_id: String, stage: &'static str },
    Stopped,
}

impl Failure {
    /// statusReason and rollback.reason. The circuit breaker's is AWS's rolloutStateReason.
    pub fn reason(&self) -> String {
        match self {
            Failure::CircuitBreaker => "ECS deployment circuit breaker: task failed to start.".to_string(),
            Failure::Alarms(names) => {
                format!("ECS deployment alarms: CloudWatch alarm(s) {} in ALARM state.", names.join(", "))
            }
            Failure::HookFailed { hook, stage } => {
                format!("ECS deployment lifecycle hook: {hook} returned FAILED at stage {stage}.")
            }
            Failure::HookTimedOut { hook, stage } => {
                format!("ECS deployment lifecycle hook: {hook} timed out at stage {stage}.")
            }
            Failure::PauseRollback { hook_id, stage } => format!(
                "ECS deployment lifecycle hook: PAUSE hook {hook_id} was continued with ROLLBACK at stage {stage}."
            ),
            Failure::Stopped => "ECS deployment stopped: StopServiceDeployment requested a ROLLBACK.".to_string(),
        }
    }

    /// What precedes ": rolling back to deploymentId <id>." in the rolloutStateReason of the
    /// deployment rolled back to, as the circuit breaker's "ECS deployment circuit breaker:
    /// rolling back to deploymentId ..." does.
    fn prefix(&self) -> &'static str {
        match self {
            Failure::CircuitBreaker => "ECS deployment circuit breaker",
            Failure::Alarms(_) => "ECS deployment alarms",
            Failure::HookFailed { .. } | Failure::HookTimedOut { .. } | Failure::PauseRollback { .. } => {
                "ECS deployment lifecycle hook"
            }
            Failure::Stopped => "ECS deployment stopped",
        }
    }

    /// The end of the "(service s) (deployment d) deployment failed: ..." event.
    fn event(&self) -> String {
        match self {
            Failure::CircuitBreaker => "tasks failed to start.".to_string(),
            Failure::Alarms(names) => format!("alarm(s) {} in ALARM state.", names.join(", ")),
            Failure::HookFailed { hook, .. } => format!("{hook} returned FAILED."),
            Failure::HookTimedOut { hook, .. } => format!("{hook} timed out."),
            Failure::PauseRollback { hook_id, .. } => format!("PAUSE hook {hook_id} continued with ROLLBACK."),
            Failure::Stopped => "stopped with ROLLBACK.".to_string(),
        }
    }
}

/// What the scheduler may do for a service now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gate {
    /// Launch the primary's tasks (BLUE_GREEN family: from SCALE_UP on).
    pub launch: bool,
    /// Stop the other deployments' tasks (BLUE_GREEN family: in CLEAN_UP).
    pub stop_old: bool,
    /// Let the primary's rollout reach COMPLETED.
    pub complete: bool,
}

const OPEN: Gate = Gate { launch: true, stop_old: true, complete: true };

impl Service {
    /// The newest service deployment, the one `currentServiceDeployment` names.
    pub fn current_service_deployment(&self) -> Option<&ServiceDeploymentRecord> {
        self.service_deployments.front()
    }

    /// How far the current service deployment lets the scheduler go.
    pub fn gate(&self) -> Gate {
        let Some(rec) = self.service_deployments.front() else { return OPEN };
        if self.deployments.first().map(|d| d.id.as_str()) != Some(rec.deployment_id.as_str()) {
            // Rolled back (blue PRIMARY again, or a new PRIMARY on its revision): drain the rest.
            return OPEN;
        }
        match rec.status {
            s if s.is_rolling_out() && rec.staged => {
                let stage = rec.stage.unwrap_or(Stage::ReconcileService);
                Gate {
                    launch: stage >= Stage::ScaleUp,
                    stop_old: stage == Stage::CleanUp,
                    complete: stage == Stage::CleanUp,
                }
            }
            // Failed without rollback: ECS stops the deployment where it is; blue keeps serving.
            SdStatus::Stopped if rec.staged => Gate { launch: true, stop_old: false, complete: false },
            _ => OPEN,
        }
    }
}

fn random_token(rng: &mut fastrand::Rng, len: usize) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    (0..len).map(|_| CHARS[rng.usize(0..CHARS.len())] as char).collect()
}

/// A service deployment ARN's parts: (cluster, service, id).
fn parse_arn(arn: &str) -> Option<(String, String, String)> {
    service_scoped_arn(arn, "service-deployment")
}

fn not_found(arn: &str) -> ApiError {
    ApiError::new(ErrorKind::ServiceDeploymentNotFound, format!("The service deployment {arn} does not exist."))
}

fn timestamp_ms(v: Option<&Value>, key: &str) -> ApiResult<Option<u64>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(x) => match x.as_f64() {
            Some(s) if s >= 0.0 => Ok(Some((s * 1000.0) as u64)),
            _ => Err(ApiError::new(ErrorKind::Serialization, format!("field {key} must be a timestamp"))),
        },
    }
}

impl State {
    /// Starts a new deployment of the service's current settings (CreateService, an
    /// UpdateService that deploys, forceNewDeployment) with its service deployment record. The
    /// previous record, if it had not finished, is STOPPED.
    pub fn start_service_deployment(&mut self, key: &ServiceKey, at: u64) {
        let id = random_token(&mut self.rng, 22);
        let Some(svc) = self.services.get(key) else { return };
        // The revisions running now, production's first; one revision can back several
        // deployments (a rolling rollback reuses its target's revision).
        let mut sources: Vec<String> = vec![];
        for d in &svc.deployments {
            if !sources.contains(&d.revision_arn) {
                sources.push(d.revision_arn.clone());
            }
        }
        let arn = self.ident.arn(&format!("service-deployment/{}/{}/{id}", key.cluster, key.name));
        self.stop_superseded(key, at, &arn);
        self.new_deployment(key, at, None, None);
        let Some(svc) = self.services.get_mut(key) else { return };
        let Some(primary) = svc.deployments.first() else { return };
        let cfg: &DeploymentConfig = &svc.deployment_config;
        let alarms = cfg.alarms.clone().unwrap_or(Value::Null);
        let alarms_enabled = alarms["enable"].as_bool() == Some(true);
        let staged = cfg.shifts_traffic() && !sources.is_empty();
        let record = ServiceDeploymentRecord {
            id,
            arn,
            deployment_id: primary.id.clone(),
            target_revision: primary.revision_arn.clone(),
            source_revisions: sources,
            created_at: at,
            started_at: None,
            finished_at: None,
            stopped_at: None,
            updated_at: at,
            status: SdStatus::Pending,
            status_reason: None,
            config_json: cfg.to_json(),
            strategy: cfg.strategy.clone(),
            hooks_config: cfg.lifecycle_hooks.clone(),
            plan: cfg.traffic_plan(),
            bake_ms: u64::from(cfg.bake_time_minutes) * 60_000,
            staged,
            stage: None,
            stage_hooks_from: 0,
            step: 0,
            wait_until: None,
            test_weight: 0.0,
            prod_weight: 0.0,
            hooks: vec![],
            rollback: None,
            rollback_requested_at: None,
            rollback_to: None,
            circuit_breaker: Monitor::of(cfg.circuit_breaker_enable),
            failure_count: 0,
            alarms: Monitor::of(alarms_enabled),
            alarms_rollback: alarms["rollback"].as_bool() == Some(true),
            alarm_names: alarms["alarmNames"]
                .as_array()
                .map(|a| a.iter().filter_map(|n| n.as_str().map(str::to_string)).collect())
                .unwrap_or_default(),
            triggered_alarms: vec![],
        };
        svc.service_deployments.push_front(record);
        svc.service_deployments.truncate(MAX_RECORDS_PER_SERVICE);
    }

    /// A deployment replaced before it finished is STOPPED. AWS does not document the status a
    /// superseded deployment ends in; STOPPED is the "Completed" state ("View service history
    /// using Amazon ECS service deployments") that is neither a success nor a rollback.
    fn stop_superseded(&mut self, key: &ServiceKey, at: u64, by: &str) {
        let Some(rec) = self.services.get_mut(key).and_then(|s| s.service_deployments.front_mut()) else { return };
        if rec.status.is_completed() {
            return;
        }
        rec.status = SdStatus::Stopped;
        rec.status_reason = Some(format!("Service deployment stopped: a newer service deployment {by} started."));
        rec.stopped_at = Some(at);
        rec.finished_at = Some(at);
        rec.updated_at = at;
        rec.circuit_breaker.complete();
        rec.alarms.complete();
    }

    /// Moves the current service deployment on as far as it can go at `at`: PENDING →
    /// IN_PROGRESS, alarm checks, hooks, stages and waits. `primary_up`: the target's tasks are
    /// all running.
    pub fn drive_service_deployment(&mut self, key: &ServiceKey, at: u64, primary_up: bool) {
        // Every pass either enters a later stage or returns; the bound is a safety net.
        for _ in 0..10_000 {
            let Some(svc) = self.services.get(key) else { return };
            if svc.status != ServiceStatus::Active {
                return;
            }
            let Some(rec) = svc.service_deployments.front() else { return };
            if svc.deployments.first().map(|d| d.id.as_str()) != Some(rec.deployment_id.as_str()) {
                return;
            }
            let dep_id = rec.deployment_id.clone();
            match rec.status {
                SdStatus::Pending => {
                    self.begin(key, at);
                    continue;
                }
                SdStatus::RollbackRequested => {
                    if rec.rollback_requested_at.is_some_and(|r| at >= r + ROLLBACK_REQUEST_DELAY_MS) {
                        self.deployment_failed(key, at, &dep_id, Failure::Stopped, true);
                    }
                    return;
                }
                SdStatus::InProgress => {}
                _ => return,
            }
            // "How CloudWatch alarms detect Amazon ECS deployment failures": a deployment is set to
            // failed when one of its alarms goes into ALARM, and rolled back if configured.
            if rec.alarms == Monitor::Monitoring {
                let firing: Vec<String> = rec
                    .alarm_names
                    .iter()
                    .filter(|n| self.alarm_states.get(*n).is_some_and(|s| s == "ALARM"))
                    .cloned()
                    .collect();
                if !firing.is_empty() {
                    let rollback = rec.alarms_rollback;
                    self.deployment_failed(key, at, &dep_id, Failure::Alarms(firing), rollback);
                    return;
                }
            }
            let Some(stage) = rec.stage.filter(|_| rec.staged) else { return };
            match self.tick_hooks(key, at) {
                Err(failure) => {
                    self.deployment_failed(key, at, &dep_id, failure, true);
                    return;
                }
                Ok(false) => return,
                Ok(true) => {}
            }
            let Some(next) = self.next_stage(key, stage, at, primary_up) else { return };
            self.enter_stage(key, next, at);
        }
    }

    /// PENDING → IN_PROGRESS and the first stage.
    fn begin(&mut self, key: &ServiceKey, at: u64) {
        let Some(rec) = self.services.get_mut(key).and_then(|s| s.service_deployments.front_mut()) else { return };
        rec.status = SdStatus::InProgress;
        rec.started_at = Some(at);
        rec.updated_at = at;
        if rec.staged {
            // botocore ServiceDeployment.lifecycleStage: RECONCILE_SERVICE "only happens when you
            // start a new service deployment with more than 1 service revision in an ACTIVE state".
            let first = if rec.source_revisions.len() > 1 { Stage::ReconcileService } else { Stage::PreScaleUp };
            self.enter_stage(key, first, at);
        } else if matches!(rec.strategy.as_str(), "BLUE_GREEN" | "LINEAR" | "CANARY") {
            // The first deployment of a service: nothing to shift from, so no hooks and no shift
            // waits (an assumption; AWS does not document hooks on the initial deployment). It
            // takes all traffic there is.
            rec.stage = Some(Stage::ScaleUp);
            rec.test_weight = 100.0;
            rec.prod_weight = 100.0;
        }
    }

    /// The stage after `stage` once its hooks are done, or None while it must wait.
    fn next_stage(&mut self, key: &ServiceKey, stage: Stage, at: u64, primary_up: bool) -> Option<Stage> {
        let svc = self.services.get_mut(key)?;
        let rec = svc.service_deployments.front_mut()?;
        let next = match stage {
            Stage::ReconcileService => Stage::PreScaleUp,
            Stage::PreScaleUp => Stage::ScaleUp,
            // "SCALE_UP: The stage when the green service revision scales up to 100% and
            // launches new tasks."
            Stage::ScaleUp if primary_up => Stage::PostScaleUp,
            Stage::ScaleUp => return None,
            Stage::PostScaleUp => Stage::TestTrafficShift,
            Stage::TestTrafficShift => Stage::PostTestTrafficShift,
            Stage::PostTestTrafficShift => Stage::PreProductionTrafficShift,
            Stage::PreProductionTrafficShift => Stage::ProductionTrafficShift,
            Stage::ProductionTrafficShift if rec.step + 1 < rec.plan.steps.len() => {
                // Canary: canaryBakeTimeInMinutes before the rest; linear: stepBakeTimeInMinutes
                // between steps, "not applied after reaching 100 percent traffic" (botocore
                // CanaryConfiguration, LinearConfiguration).
                let until = *rec.wait_until.get_or_insert(at + rec.plan.wait_ms);
                if at < until {
                    self.schedule(until, TimerKind::Service(key.clone()));
                    return None;
                }
                rec.step += 1;
                Stage::PreProductionTrafficShift
            }
            Stage::ProductionTrafficShift => Stage::PostProductionTrafficShift,
            Stage::PostProductionTrafficShift => Stage::BakeTime,
            // botocore DeploymentConfiguration.bakeTimeInMinutes: "The time period when both blue
            // and green service revisions are running simultaneously after the production
            // traffic has shifted."
            Stage::BakeTime => {
                let until = *rec.wait_until.get_or_insert(at + rec.bake_ms);
                if at < until {
                    self.schedule(until, TimerKind::Service(key.clone()));
                    return None;
                }
                Stage::CleanUp
            }
            // Blue drains; the rollout's COMPLETED makes the deployment SUCCESSFUL.
            Stage::CleanUp => return None,
        };
        Some(next)
    }

    /// Enters `stage`: traffic weights, and a run of every hook configured for it.
    fn enter_stage(&mut self, key: &ServiceKey, stage: Stage, at: u64) {
        let Some(rec) = self.services.get(key).and_then(|s| s.service_deployments.front()) else { return };
        let configs: Vec<HookConfig> =
            rec.hooks_config.iter().filter(|h| h.stages.iter().any(|s| s == stage.as_str())).cloned().collect();
        let mut runs = vec![];
        for h in configs {
            // "Pause hooks for Amazon ECS service deployments" shows ids like
            // "ecs-pause-e7tK9G_WRJqNF_EOMjztDXfKenlJuEUVjsNStf4WLKw"; Lambda hook ids alike.
            let prefix = if h.target_type == HookTargetType::Pause { "ecs-pause-" } else { "ecs-lambda-" };
            let hook_id = format!("{prefix}{}", random_token(&mut self.rng, 43));
            let expires_at = at + h.timeout_minutes * 60_000;
            let (status, next_invoke_at) = match h.target_type {
                // "Amazon ECS pauses the deployment ... and waits for you to call
                // ContinueServiceDeployment" (status AWAITING_ACTION).
                HookTargetType::Pause => (HookStatus::AwaitingAction, None),
                // Invoked at once (below, in tick_hooks).
                HookTargetType::AwsLambda => (HookStatus::InProgress, Some(at)),
            };
            runs.push(HookRun {
                hook_id,
                stage: stage.as_str(),
                target_type: h.target_type,
                target_arn: h.target_arn.clone(),
                status,
                expires_at,
                timeout_action: h.timeout_action,
                next_invoke_at,
            });
        }
        for run in &runs {
            self.schedule(run.expires_at, TimerKind::Service(key.clone()));
        }
        let Some(rec) = self.services.get_mut(key).and_then(|s| s.service_deployments.front_mut()) else { return };
        rec.stage = Some(stage);
        rec.updated_at = at;
        rec.wait_until = None;
        rec.stage_hooks_from = rec.hooks.len();
        rec.hooks.extend(runs);
        match stage {
            // "TEST_TRAFFIC_SHIFT: ... The green service revision is migrating from 0% to 100% of
            // test traffic." The requested weight is set as the shift starts.
            Stage::TestTrafficShift => rec.test_weight = 100.0,
            Stage::ProductionTrafficShift => rec.prod_weight = rec.plan.steps.get(rec.step).copied().unwrap_or(100.0),
            _ => {}
        }
    }

    /// Runs the current stage's hooks at `at`: Lambda invocations due, expiries. Ok(true) when
    /// every hook lets the stage proceed; Err when one fails the deployment.
    fn tick_hooks(&mut self, key: &ServiceKey, at: u64) -> Result<bool, Failure> {
        let outcomes = &self.lambda_outcomes;
        let Some(rec) = self.services.get_mut(key).and_then(|s| s.service_deployments.front_mut()) else {
            return Ok(false);
        };
        let from = rec.stage_hooks_from.min(rec.hooks.len());
        let mut wake = vec![];
        let mut failure = None;
        for run in rec.hooks[from..].iter_mut() {
            let open = matches!(run.status, HookStatus::AwaitingAction | HookStatus::InProgress);
            if open && at >= run.expires_at {
                // DeploymentLifecycleHookTimeoutConfiguration.action: CONTINUE "Proceeds the
                // deployment to the next lifecycle stage"; ROLLBACK "Rolls back the deployment".
                run.status = HookStatus::TimedOut;
                rec.updated_at = at;
                if run.timeout_action == HookAction::Rollback && failure.is_none() {
                    failure = Some(Failure::HookTimedOut { hook: run.name(), stage: run.stage });
                }
                continue;
            }
            if run.status == HookStatus::InProgress && run.next_invoke_at.is_some_and(|t| t <= at) {
                let arn = run.target_arn.as_deref().unwrap_or_default();
                match outcomes.get(arn).copied().unwrap_or(LambdaOutcome::Succeeded) {
                    LambdaOutcome::Succeeded => {
                        run.status = HookStatus::Succeeded;
                        run.next_invoke_at = None;
                    }
                    // "FAILED – Amazon ECS rolls back the deployment to the last successful
                    // service revision."
                    LambdaOutcome::Failed => {
                        run.status = HookStatus::Failed;
                        run.next_invoke_at = None;
                        if failure.is_none() {
                            failure = Some(Failure::HookFailed { hook: run.name(), stage: run.stage });
                        }
                    }
                    LambdaOutcome::InProgress => {
                        let next = at + LAMBDA_CALLBACK_DELAY_MS;
                        run.next_invoke_at = Some(next);
                        wake.push(next);
                    }
                }
                rec.updated_at = at;
            }
        }
        let done = rec.hooks[from..].iter().all(HookRun::lets_stage_proceed);
        for t in wake {
            self.schedule(t, TimerKind::Service(key.clone()));
        }
        match failure {
            Some(f) => Err(f),
            None => Ok(done),
        }
    }

    /// A deployment failed (circuit breaker, alarm, hook, ContinueServiceDeployment ROLLBACK,
    /// StopServiceDeployment): its rollout is FAILED and, with `rollback`, the service goes back
    /// to the last COMPLETED deployment in the same service deployment record; without, the
    /// record is STOPPED (botocore ServiceDeployment.stoppedAt: the deployment stops when "The
    /// rollback option is not in use for the failure detection mechanism (the circuit breaker or
    /// alarm-based) and the service fails").
    pub fn deployment_failed(
        &mut self,
        key: &ServiceKey,
        at: u64,
        deployment_id: &str,
        failure: Failure,
        rollback: bool,
    ) {
        let Some(svc) = self.services.get_mut(key) else { return };
        let reason = failure.reason();
        let Some(dep) = svc.deployments.iter_mut().find(|d| d.id == deployment_id) else { return };
        dep.rollout = RolloutState::Failed;
        dep.rollout_reason = reason.clone();
        dep.updated_at = at;
        let failed_td = dep.task_definition.clone();
        let is_primary = svc.deployments.first().is_some_and(|d| d.id == deployment_id);
        let last = svc.last_completed.clone();
        let event =
            format!("(service {}) (deployment {deployment_id}) deployment failed: {}", key.name, failure.event());
        self.emit_deployment_change(key, deployment_id, "SERVICE_DEPLOYMENT_FAILED", &reason, at);
        let Some(svc) = self.services.get_mut(key) else { return };
        let Some(rec) = svc.service_deployments.front_mut() else {
            self.add_event(key, at, event);
            return;
        };
        if !(rec.status.is_rolling_out() && rec.deployment_id == deployment_id) {
            // The deployment a rollback brought back failed too: the rollback failed.
            if rec.status == SdStatus::RollbackInProgress && rec.rollback_to.as_deref() == Some(deployment_id) {
                rec.status = SdStatus::RollbackFailed;
                rec.status_reason = Some(reason);
                rec.finished_at = Some(at);
                rec.updated_at = at;
            }
            self.add_event(key, at, event);
            return;
        }
        match &failure {
            Failure::CircuitBreaker => rec.circuit_breaker = Monitor::Triggered,
            Failure::Alarms(names) => {
                rec.alarms = Monitor::Triggered;
                rec.triggered_alarms = names.clone();
            }
            _ => {}
        }
        rec.updated_at = at;
        // The circuit breaker never rolls back onto the revision that just failed (no loop).
        let target = last.filter(|l| {
            rollback && is_primary && !(failure == Failure::CircuitBreaker && l.task_definition == failed_td)
        });
        self.add_event(key, at, event);
        match target {
            Some(target) => self.execute_rollback(key, at, &failure, target),
            None => {
                let Some(rec) = self.services.get_mut(key).and_then(|s| s.service_deployments.front_mut()) else {
                    return;
                };
                let mut reason = reason;
                if rollback {
                    reason.push_str(" There is no completed deployment to roll back to.");
                }
                rec.status = SdStatus::Stopped;
                rec.status_reason = Some(reason);
                rec.stopped_at = Some(at);
                rec.finished_at = Some(at);
                rec.circuit_breaker.complete();
                rec.alarms.complete();
            }
        }
    }

    /// ROLLBACK_IN_PROGRESS: traffic back to the source revision; BLUE_GREEN, LINEAR and CANARY
    /// make blue PRIMARY again while it still runs, anything else gets a new PRIMARY on the last
    /// completed revision (as the circuit breaker has always done).
    fn execute_rollback(&mut self, key: &ServiceKey, at: u64, failure: &Failure, target: LastCompleted) {
        let Some(svc) = self.services.get_mut(key) else { return };
        let reason = failure.reason();
        let primary_reason = format!("{}: rolling back to deploymentId {}.", failure.prefix(), target.id);
        let Some(rec) = svc.service_deployments.front_mut() else { return };
        rec.status = SdStatus::RollbackInProgress;
        rec.status_reason = Some(reason.clone());
        rec.rollback = Some(RollbackInfo { reason, started_at: at, revision_arn: target.revision_arn.clone() });
        rec.updated_at = at;
        rec.test_weight = 0.0;
        rec.prod_weight = 0.0;
        let shifts = matches!(rec.strategy.as_str(), "BLUE_GREEN" | "LINEAR" | "CANARY");
        let blue = svc.deployments.iter().position(|d| d.id == target.id);
        svc.task_definition = target.task_definition.clone();
        svc.configs = target.configs.clone();
        match blue.filter(|_| shifts) {
            Some(idx) => {
                let mut blue = svc.deployments.remove(idx);
                for d in svc.deployments.iter_mut() {
                    d.primary = false;
                }
                blue.primary = true;
                blue.rollout_reason = primary_reason.clone();
                blue.updated_at = at;
                svc.deployments.insert(0, blue);
                svc.steady = false;
                if let Some(rec) = svc.service_deployments.front_mut() {
                    rec.rollback_to = Some(target.id.clone());
                }
                self.emit_deployment_change(key, &target.id, "SERVICE_DEPLOYMENT_IN_PROGRESS", &primary_reason, at);
            }
            None => {
                self.new_deployment(key, at, Some(primary_reason), Some(target.revision_arn.clone()));
                if let Some(svc) = self.services.get_mut(key) {
                    let new_id = svc.deployments.first().map(|d| d.id.clone());
                    if let Some(rec) = svc.service_deployments.front_mut() {
                        rec.rollback_to = new_id;
                    }
                }
            }
        }
        self.add_event(key, at, format!("(service {}) rolling back to deployment {}.", key.name, target.id));
    }

    /// The primary's rollout reached COMPLETED (or, after a rollback, the deployment rolled back
    /// to runs alone): SUCCESSFUL or ROLLBACK_SUCCESSFUL, which it returns.
    pub fn service_deployment_completed(&mut self, key: &ServiceKey, at: u64, primary_id: &str) -> Option<SdStatus> {
        let rec = self.services.get_mut(key).and_then(|s| s.service_deployments.front_mut())?;
        let done = match rec.status {
            SdStatus::InProgress if rec.deployment_id == primary_id => SdStatus::Successful,
            SdStatus::RollbackInProgress if rec.rollback_to.as_deref() == Some(primary_id) => {
                SdStatus::RollbackSuccessful
            }
            _ => return None,
        };
        rec.status = done;
        rec.finished_at = Some(at);
        rec.updated_at = at;
        rec.circuit_breaker.complete();
        rec.alarms.complete();
        if done == SdStatus::Successful && rec.stage.is_some() {
            rec.test_weight = 100.0;
            rec.prod_weight = 100.0;
        }
        Some(done)
    }

    /// A task of the current deployment's target failed (the circuit breaker's failureCount).
    pub fn count_service_deployment_failure(&mut self, key: &ServiceKey, deployment_id: &str, failed: u32) {
        if let Some(rec) = self.services.get_mut(key).and_then(|s| s.service_deployments.front_mut())
            && rec.deployment_id == deployment_id
        {
            rec.failure_count = failed;
        }
    }

    /// An alarm changed state: every deployment in progress looks at its alarms now.
    pub fn alarms_changed(&mut self) {
        let now = self.now;
        let keys: Vec<ServiceKey> = self
            .services
            .values()
            .filter(|s| s.service_deployments.front().is_some_and(|r| r.status == SdStatus::InProgress))
            .map(|s| s.key.clone())
            .collect();
        for key in keys {
            self.reconcile_service(&key, now);
        }
    }

    fn record_json(&self, svc: &Service, rec: &ServiceDeploymentRecord) -> Value {
        let desired = svc.desired_count;
        let groups: Vec<(&crate::deployments::Deployment, DeploymentTasks)> =
            svc.deployments.iter().map(|d| (d, self.deployment_tasks(&svc.key, &d.id))).collect();
        let shifts = matches!(rec.strategy.as_str(), "BLUE_GREEN" | "LINEAR" | "CANARY");
        // requestedTaskCount as DescribeServices reports each deployment's desiredCount.
        let summary = |arn: &str, test: f64, prod: f64| {
            let (mut requested, mut running, mut pending) = (0usize, 0usize, 0usize);
            for (d, g) in groups.iter().filter(|(d, _)| d.revision_arn == arn) {
                requested += if d.primary { desired as usize } else { g.running.len() + g.pending.len() };
                running += g.running.len();
                pending += g.pending.len();
            }
            let mut v = json!({
                "arn": arn,
                "requestedTaskCount": requested,
                "runningTaskCount": running,
                "pendingTaskCount": pending,
            });
            // Traffic weights exist only for strategies that shift traffic.
            if shifts {
                v["requestedTestTrafficWeight"] = json!(test);
                v["requestedProductionTrafficWeight"] = json!(prod);
            }
            v
        };
        let sources: Vec<Value> = rec
            .source_revisions
            .iter()
            .enumerate()
            .map(|(i, arn)| {
                let (test, prod) = if i == 0 { (100.0 - rec.test_weight, 100.0 - rec.prod_weight) } else { (0.0, 0.0) };
                summary(arn, test, prod)
            })
            .collect();
        let mut alarms = json!({"status": rec.alarms.as_str()});
        if !rec.alarm_names.is_empty() {
            alarms["alarmNames"] = json!(rec.alarm_names);
        }
        if !rec.triggered_alarms.is_empty() {
            alarms["triggeredAlarmNames"] = json!(rec.triggered_alarms);
        }
        let mut circuit_breaker = json!({"status": rec.circuit_breaker.as_str()});
        if rec.circuit_breaker != Monitor::Disabled {
            circuit_breaker["failureCount"] = json!(rec.failure_count);
            circuit_breaker["threshold"] = json!(failure_threshold(desired));
        }
        let mut v = json!({
            "serviceDeploymentArn": rec.arn,
            "serviceArn": svc.arn,
            "clusterArn": self.ident.cluster_arn(&svc.key.cluster),
            "createdAt": epoch_seconds(rec.created_at),
            "startedAt": rec.started_at.map(epoch_seconds),
            "finishedAt": rec.finished_at.map(epoch_seconds),
            "stoppedAt": rec.stopped_at.map(epoch_seconds),
            "updatedAt": epoch_seconds(rec.updated_at),
            "sourceServiceRevisions": sources,
            "targetServiceRevision": summary(&rec.target_revision, rec.test_weight, rec.prod_weight),
            "status": rec.status.as_str(),
            "statusReason": rec.status_reason,
            "lifecycleStage": rec.stage.map(Stage::as_str),
            "deploymentConfiguration": rec.config_json,
            "deploymentCircuitBreaker": circuit_breaker,
            "alarms": alarms,
        });
        if rec.staged {
            // botocore ServiceDeployment.lifecycleHookDetails: "The details of the lifecycle hooks
            // for the current service deployment": every hook run of this deployment, in order.
            v["lifecycleHookDetails"] = Value::Array(rec.hooks.iter().map(HookRun::to_json).collect());
        }
        if let Some(rb) = &rec.rollback {
            v["rollback"] = json!({
                "reason": rb.reason,
                "startedAt": epoch_seconds(rb.started_at),
                "serviceRevisionArn": rb.revision_arn,
            });
        }
        v
    }

    fn brief_json(&self, svc: &Service, rec: &ServiceDeploymentRecord) -> Value {
        json!({
            "serviceDeploymentArn": rec.arn,
            "serviceArn": svc.arn,
            "clusterArn": self.ident.cluster_arn(&svc.key.cluster),
            "startedAt": rec.started_at.map(epoch_seconds),
            "createdAt": epoch_seconds(rec.created_at),
            "finishedAt": rec.finished_at.map(epoch_seconds),
            "targetServiceRevisionArn": rec.target_revision,
            "status": rec.status.as_str(),
            "statusReason": rec.status_reason,
        })
    }

    /// The service and record an ARN names, if both exist.
    fn find_record(&self, arn: &str) -> Option<(&Service, &ServiceDeploymentRecord)> {
        let (cluster, service, id) = parse_arn(arn)?;
        let svc = self.services.get(&ServiceKey { cluster, name: service })?;
        let rec = svc.service_deployments.iter().find(|r| r.id == id)?;
        Some((svc, rec))
    }

    /// The record an ARN in a Continue/Stop request names: ServiceDeploymentNotFoundException
    /// when there is none (botocore: "The service deploy ARN that you specified in the
    /// ContinueServiceDeployment doesn't exist").
    fn record_key(&self, arn: &str) -> ApiResult<(ServiceKey, SdStatus, bool)> {
        if parse_arn(arn).is_none() {
            return Err(ApiError::invalid(format!("Invalid service deployment ARN: {arn}")));
        }
        let (svc, rec) = self.find_record(arn).ok_or_else(|| not_found(arn))?;
        let current = svc.service_deployments.front().is_some_and(|r| r.id == rec.id);
        Ok((svc.key.clone(), rec.status, current))
    }

    pub(crate) fn describe_service_deployments(&mut self, body: &Value) -> ApiResult<Value> {
        let r = Req(body);
        let arns = r.str_list("serviceDeploymentArns")?;
        // botocore DescribeServiceDeploymentsRequest.serviceDeploymentArns: "You can specify a
        // maximum of 20 ARNs." (required).
        if arns.is_empty() || arns.len() > 20 {
            return Err(ApiError::invalid("serviceDeploymentArns must contain between 1 and 20 items."));
        }
        let (mut found, mut failures) = (vec![], vec![]);
        for arn in &arns {
            match self.find_record(arn) {
                Some((svc, rec)) => found.push(self.record_json(svc, rec)),
                None => failures.push(json!({"arn": arn, "reason": "MISSING"})),
            }
        }
        Ok(json!({"serviceDeployments": found, "failures": failures}))
    }

    pub(crate) fn list_service_deployments(&mut self, body: &Value) -> ApiResult<Value> {
        let r = Req(body);
        let cluster = self.active_cluster(r.opt_str("cluster")?)?.name.clone();
        let (_, name) = service_ident(r.str("service")?);
        let svc = self.services.get(&ServiceKey { cluster, name }).ok_or_else(ApiError::service_not_found)?;
        let statuses = r.str_list("status")?.iter().map(|s| SdStatus::parse(s)).collect::<ApiResult<Vec<_>>>()?;
        let created = r.get("createdAt");
        if created.is_some_and(|c| !c.is_object()) {
            return Err(ApiError::new(ErrorKind::Serialization, "field createdAt must be a structure"));
        }
        let before = timestamp_ms(created.and_then(|c| c.get("before")), "createdAt.before")?;
        let after = timestamp_ms(created.and_then(|c| c.get("after")), "createdAt.after")?;
        let briefs: Vec<Value> = svc
            .service_deployments
            .iter()
            .filter(|rec| statuses.is_empty() || statuses.contains(&rec.status))
            .filter(|rec| before.is_none_or(|b| rec.created_at < b))
            .filter(|rec| after.is_none_or(|a| rec.created_at > a))
            .map(|rec| self.brief_json(svc, rec))
            .collect();
        // botocore ListServiceDeploymentsRequest.maxResults: "This value can be between 1 and
        // 100. If this parameter isn't used, then ListServiceDeployments returns up to 20
        // results".
        let (page, next) = paginate(&briefs, r.opt_i64("maxResults")?, 20, 100, r.opt_str("nextToken")?)?;
        Ok(json!({"serviceDeployments": page, "nextToken": next}))
    }

    /// ContinueServiceDeployment. "Continuing Amazon ECS service deployments": "You can continue
    /// a deployment that has a pause hook in AWAITING_ACTION status. The deployment must be in
    /// the IN_PROGRESS state." The operation's errors are AccessDenied, Server, InvalidParameter,
    /// Client, ServiceDeploymentNotFound and UnsupportedFeature: a hookId that names no PAUSE hook
    /// of the deployment is InvalidParameterException; a hook or deployment in the wrong state is
    /// ClientException ("caused by a client action").
    pub(crate) fn continue_service_deployment(&mut self, body: &Value) -> ApiResult<Value> {
        let r = Req(body);
        let arn = r.str("serviceDeploymentArn")?.to_string();
        let hook_id = r.str("hookId")?.to_string();
        // botocore ContinueServiceDeploymentRequest.action: "If no value is specified, the
        // default action is CONTINUE."
        let action = match r.opt_str("action")? {
            None => HookAction::Continue,
            Some(a) => HookAction::parse(a, "action")?,
        };
        let (key, status, current) = self.record_key(&arn)?;
        let (_, rec) = self.find_record(&arn).ok_or_else(|| not_found(&arn))?;
        let run = rec.hooks.iter().find(|h| h.hook_id == hook_id).ok_or_else(|| {
            ApiError::invalid(format!("The lifecycle hook {hook_id} does not exist in service deployment {arn}."))
        })?;
        if run.target_type != HookTargetType::Pause {
            return Err(ApiError::invalid(format!(
                "The lifecycle hook {hook_id} is an AWS_LAMBDA hook. Only PAUSE hooks can be continued."
            )));
        }
        if status != SdStatus::InProgress || !current {
            return Err(ApiError::client(format!(
                "The service deployment {arn} is {} and cannot be continued. It must be IN_PROGRESS.",
                status.as_str()
            )));
        }
        if run.status != HookStatus::AwaitingAction {
            return Err(ApiError::client(format!(
                "The lifecycle hook {hook_id} is {}. Only a hook in AWAITING_ACTION can be continued.",
                run.status.as_str()
            )));
        }
        let stage = run.stage;
        let dep_id = rec.deployment_id.clone();
        let now = self.now;
        if let Some(rec) = self.services.get_mut(&key).and_then(|s| s.service_deployments.front_mut())
            && let Some(run) = rec.hooks.iter_mut().find(|h| h.hook_id == hook_id)
        {
            // A PAUSE hook ends SUCCEEDED on CONTINUE and FAILED on ROLLBACK (the SAP ABAP SDK's
            // DeploymentLifecycleHookDetail.status: "For PAUSE hooks: AWAITING_ACTION, SUCCEEDED,
            // FAILED, and TIMED_OUT").
            run.status = if action == HookAction::Continue { HookStatus::Succeeded } else { HookStatus::Failed };
            rec.updated_at = now;
        }
        if action == HookAction::Rollback {
            self.deployment_failed(&key, now, &dep_id, Failure::PauseRollback { hook_id, stage }, true);
        }
        self.reconcile_service(&key, now);
        Ok(json!({"serviceDeploymentArn": arn}))
    }

    /// StopServiceDeployment. "Stopping Amazon ECS service deployments": PENDING and IN_PROGRESS
    /// move to ROLLBACK_REQUESTED and then roll back ("You can use this option even if you
    /// didn't configure the service deployment for the rollback option"); STOP_REQUESTED,
    /// ROLLBACK_REQUESTED and ROLLBACK_IN_PROGRESS carry on; a completed deployment is
    /// ConflictException ("The request could not be processed because of conflict in the current
    /// state of the resource", in the operation's errors).
    pub(crate) fn stop_service_deployment(&mut self, body: &Value) -> ApiResult<Value> {
        let r = Req(body);
        let arn = r.str("serviceDeploymentArn")?.to_string();
        // botocore StopServiceDeploymentRequest.stopType: "The valid values are ROLLBACK." The
        // enum also lists ABORT, which no AWS page describes: it is refused.
        match r.opt_str("stopType")? {
            None | Some("ROLLBACK") => {}
            Some("ABORT") => {
                return Err(ApiError::invalid("stopType ABORT is not supported. The valid value is ROLLBACK."));
            }
            Some(other) => {
                return Err(ApiError::invalid(format!("Invalid stopType {other}. The valid value is ROLLBACK.")));
            }
        }
        let (key, status, current) = self.record_key(&arn)?;
        if status.is_completed() || !current {
            return Err(ApiError::new(
                ErrorKind::Conflict,
                format!("The service deployment {arn} is {} and cannot be stopped.", status.as_str()),
            ));
        }
        if matches!(status, SdStatus::Pending | SdStatus::InProgress) {
            // "The rollback method requires a previous deployment in COMPLETED state" ("Amazon ECS
            // deployment failure detection"): without one there is nothing to roll back to.
            let has_target = self.services.get(&key).is_some_and(|s| s.last_completed.is_some());
            if !has_target {
                return Err(ApiError::new(
                    ErrorKind::Conflict,
                    format!("The service deployment {arn} has no completed service revision to roll back to."),
                ));
            }
            let now = self.now;
            if let Some(rec) = self.services.get_mut(&key).and_then(|s| s.service_deployments.front_mut()) {
                rec.status = SdStatus::RollbackRequested;
                rec.rollback_requested_at = Some(now);
                rec.updated_at = now;
            }
            self.schedule(now + ROLLBACK_REQUEST_DELAY_MS, TimerKind::Service(key.clone()));
        }
        Ok(json!({"serviceDeploymentArn": arn}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_parse() {
        let arn = "arn:aws:ecs:us-east-1:1:service-deployment/c/s/abc";
        assert_eq!(parse_arn(arn), Some(("c".into(), "s".into(), "abc".into())));
        assert_eq!(parse_arn("service-deployment/c/s/abc"), None);
        assert_eq!(parse_arn("arn:aws:ecs:us-east-1:1:service/c/s"), None);
    }

    #[test]
    fn statuses_round_trip() {
        for s in STATUSES {
            assert_eq!(SdStatus::parse(s.as_str()), Ok(s));
        }
        assert!(SdStatus::parse("DONE").is_err());
    }
}
