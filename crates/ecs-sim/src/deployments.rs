//! The service scheduler, modelled on how ECS documents rolling, blue/green, canary and
//! linear deployments: a new PRIMARY deployment per change, older ones ACTIVE until drained,
//! launches bounded by maximumPercent and stops bounded by minimumHealthyPercent,
//! rolloutState IN_PROGRESS → COMPLETED or FAILED, and the deployment circuit breaker
//! with rollback. Everything here runs at a given simulated instant; it never reads a clock.

use serde_json::{Map, Value, json};

use crate::error::{ApiError, ApiResult};
use crate::lifecycle_hooks::{HookConfig, parse_hooks};
use crate::protocol::Req;
use crate::service_deployments::{Failure, LastCompleted};
use crate::services::{INACTIVE_SERVICE_RETENTION, ServiceKey, ServiceStatus};
use crate::state::{State, TimerKind};
use crate::tasks::{StopCode, TaskSpec, TaskStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RolloutState {
    InProgress,
    Completed,
    Failed,
}

impl RolloutState {
    pub fn as_str(self) -> &'static str {
        match self {
            RolloutState::InProgress => "IN_PROGRESS",
            RolloutState::Completed => "COMPLETED",
            RolloutState::Failed => "FAILED",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Deployment {
    pub id: String,
    /// true for the PRIMARY deployment; the others are ACTIVE until drained.
    pub primary: bool,
    pub task_definition: String,
    pub created_at: u64,
    pub updated_at: u64,
    pub failed_tasks: u32,
    pub rollout: RolloutState,
    pub rollout_reason: String,
    pub launch_type: Option<String>,
    pub capacity_provider_strategy: Vec<Value>,
    pub platform_version: Option<String>,
    pub network_configuration: Option<Value>,
    /// serviceConnectConfiguration, volumeConfigurations, vpcLatticeConfigurations: the
    /// service's when the deployment was made.
    pub configs: crate::deployment_configs::DeploymentConfigs,
    /// The service revision it runs (`service-revision/<cluster>/<service>/<id>`); a rolling
    /// rollback's new deployment runs the revision it rolls back to.
    pub revision_arn: String,
}

/// `deploymentConfiguration` with ECS's defaults; unknown members are kept and echoed.
#[derive(Debug, Clone, PartialEq)]
pub struct DeploymentConfig {
    pub minimum_healthy_percent: u32,
    pub maximum_percent: u32,
    pub circuit_breaker_enable: bool,
    pub circuit_breaker_rollback: bool,
    pub strategy: String,
    pub bake_time_minutes: u32,
    /// `alarms` as ECS reports it, `{alarmNames, rollback, enable}`, once it has been sent.
    pub alarms: Option<Value>,
    /// `lifecycleHooks`, validated (echoed from `extra`).
    pub lifecycle_hooks: Vec<HookConfig>,
    pub extra: Map<String, Value>,
}

/// The production traffic shift of a BLUE_GREEN, CANARY or LINEAR deployment: the green
/// revision's weight after each step, and the wait between steps.
#[derive(Debug, Clone, PartialEq)]
pub struct TrafficPlan {
    pub steps: Vec<f64>,
    pub wait_ms: u64,
}

/// The strategies ECS accepts in `deploymentConfiguration.strategy`.
const STRATEGIES: [&str; 4] = ["ROLLING", "BLUE_GREEN", "LINEAR", "CANARY"];

/// What CreateService stores without a `deploymentConfiguration`. botocore ecs
/// service-2.json, DeploymentConfiguration.maximumPercent: "The default maximumPercent value
/// for a service using the REPLICA service scheduler is 200%"; .minimumHealthyPercent: "The
/// default value for a replica service for minimumHealthyPercent is 100%". The model gives no
/// default for the rest; DescribeServices output of services created through the API since
/// ECS-native blue/green (July 2025) reports `"deploymentCircuitBreaker": {"enable": false,
/// "rollback": false}`, `"strategy": "ROLLING"` and `"bakeTimeInMinutes": 0`, and no `alarms`
/// (public describe-services dumps, 2025-2026; the AWS console sends an empty `alarms`).
impl Default for DeploymentConfig {
    fn default() -> Self {
        DeploymentConfig {
            minimum_healthy_percent: 100,
            maximum_percent: 200,
            circuit_breaker_enable: false,
            circuit_breaker_rollback: false,
            strategy: "ROLLING".to_string(),
            bake_time_minutes: 0,
            alarms: None,
            lifecycle_hooks: vec![],
            extra: Map::new(),
        }
    }
}

fn percent(r: Req, key: &str) -> ApiResult<Option<u32>> {
    match r.opt_i64(key)? {
        None => Ok(None),
        Some(n) if (0..=i64::from(u16::MAX)).contains(&n) => Ok(Some(n as u32)),
        Some(n) => Err(ApiError::invalid(format!("{key} must be a non-negative percentage, got {n}."))),
    }
}

/// A traffic percentage of canary/linear configuration: a number from `min` to 100.
fn traffic_percent(r: Req, key: &str, min: f64) -> ApiResult<Option<f64>> {
    match r.get(key) {
        None => Ok(None),
        Some(v) => match v.as_f64() {
            Some(p) if (min..=100.0).contains(&p) => Ok(Some(p)),
            _ => Err(ApiError::invalid(format!("{key} must be a number between {min:.1} and 100.0."))),
        },
    }
}

/// A bake time in minutes: 0 to 1440 (24 hours).
fn bake_minutes(r: Req, key: &str) -> ApiResult<Option<u64>> {
    match r.opt_i64(key)? {
        None => Ok(None),
        Some(m) if (0..=1440).contains(&m) => Ok(Some(m as u64)),
        Some(_) => Err(ApiError::invalid(format!("{key} must be between 0 and 1440."))),
    }
}

/// `deploymentConfiguration.alarms` as sent, normalised: every member present (all three are
/// required members of botocore's DeploymentAlarms). `enable: false` keeps the alarm names
/// and turns the check off; it does not clear them.
fn parse_alarms(v: &Value) -> ApiResult<Value> {
    let r = Req(v);
    let names = r.str_list("alarmNames")?;
    let rollback = r.opt_bool("rollback")?.unwrap_or(false);
    let enable = r.opt_bool("enable")?.unwrap_or(false);
    Ok(json!({"alarmNames": names, "rollback": rollback, "enable": enable}))
}

/// AWS defaults (botocore CanaryConfiguration, LinearConfiguration): canaryPercent 5.0,
/// canaryBakeTimeInMinutes 10, stepPercent 10.0 (3.0 to 100.0), stepBakeTimeInMinutes 6.
const CANARY_PERCENT_DEFAULT: f64 = 5.0;
const CANARY_BAKE_DEFAULT: u64 = 10;
const STEP_PERCENT_DEFAULT: f64 = 10.0;
const STEP_BAKE_DEFAULT: u64 = 6;

impl DeploymentConfig {
    /// AWS's defaults for a DAEMON service: minimumHealthyPercent 0 (botocore
    /// DeploymentConfiguration.minimumHealthyPercent: "The default minimumHealthyPercent value
    /// for a service using the DAEMON service schedule is 0% for the CLI, the Amazon Web
    /// Services SDKs, and the APIs"), maximumPercent 100 (a DAEMON service cannot go above it).
    pub fn daemon() -> Self {
        DeploymentConfig { minimum_healthy_percent: 0, maximum_percent: 100, ..DeploymentConfig::default() }
    }

    /// Applies a request's `deploymentConfiguration` on top of the current one.
    pub fn merge(&self, v: &Value) -> ApiResult<Self> {
        let r = Req(v);
        let mut out = self.clone();
        if let Some(min) = percent(r, "minimumHealthyPercent")? {
            out.minimum_healthy_percent = min;
        }
        if let Some(max) = percent(r, "maximumPercent")? {
            out.maximum_percent = max;
        }
        if let Some(cb) = r.get("deploymentCircuitBreaker") {
            let cb = Req(cb);
            out.circuit_breaker_enable = cb.opt_bool("enable")?.unwrap_or(false);
            out.circuit_breaker_rollback = cb.opt_bool("rollback")?.unwrap_or(false);
        }
        if let Some(s) = r.opt_str("strategy")? {
            if !STRATEGIES.contains(&s) {
                return Err(ApiError::invalid(format!(
                    "Invalid deployment strategy {s}. Valid values: ROLLING, BLUE_GREEN, LINEAR, CANARY."
                )));
            }
            out.strategy = s.to_string();
        }
        if let Some(b) = r.opt_i64("bakeTimeInMinutes")? {
            if !(0..=1440).contains(&b) {
                return Err(ApiError::invalid("bakeTimeInMinutes must be between 0 and 1440."));
            }
            out.bake_time_minutes = b as u32;
        }
        if let Some(c) = r.get("canaryConfiguration") {
            traffic_percent(Req(c), "canaryPercent", 0.1)?;
            bake_minutes(Req(c), "canaryBakeTimeInMinutes")?;
        }
        if let Some(l) = r.get("linearConfiguration") {
            traffic_percent(Req(l), "stepPercent", 3.0)?;
            bake_minutes(Req(l), "stepBakeTimeInMinutes")?;
        }
        if let Some(a) = r.get("alarms") {
            out.alarms = Some(parse_alarms(a)?);
        }
        // Replaces the hooks ([] clears them); echoed as sent (see `lifecycle_hooks`).
        if let Some(h) = r.get("lifecycleHooks") {
            let (hooks, echo) = parse_hooks(h)?;
            out.lifecycle_hooks = hooks;
            out.extra.insert("lifecycleHooks".to_string(), echo);
        }
        // Kept as sent and echoed by DescribeServices.
        for key in ["linearConfiguration", "canaryConfiguration"] {
            if let Some(x) = r.get(key) {
                out.extra.insert(key.to_string(), x.clone());
            }
        }
        out.validate()?;
        Ok(out)
    }

    fn validate(&self) -> ApiResult<()> {
        if self.minimum_healthy_percent > 100 {
            return Err(ApiError::invalid("minimumHealthyPercent must be between 0 and 100."));
        }
        if self.maximum_percent < 100 {
            return Err(ApiError::invalid("maximumPercent must be at least 100 for a REPLICA service."));
        }
        if self.circuit_breaker_rollback && !self.circuit_breaker_enable {
            return Err(ApiError::invalid("The deployment circuit breaker must be enabled to use rollback."));
        }
        Ok(())
    }

    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "deploymentCircuitBreaker": {"enable": self.circuit_breaker_enable, "rollback": self.circuit_breaker_rollback},
            "maximumPercent": self.maximum_percent,
            "minimumHealthyPercent": self.minimum_healthy_percent,
            "strategy": self.strategy,
            "bakeTimeInMinutes": self.bake_time_minutes,
        });
        if let Some(a) = &self.alarms {
            v["alarms"] = a.clone();
        }
        for (k, x) in &self.extra {
            v[k] = x.clone();
        }
        v
    }

    /// BLUE_GREEN, CANARY and LINEAR bring up a full green fleet beside blue, shift
    /// production traffic to it, bake, then stop blue.
    pub fn shifts_traffic(&self) -> bool {
        matches!(self.strategy.as_str(), "BLUE_GREEN" | "CANARY" | "LINEAR")
    }

    /// The production traffic steps: BLUE_GREEN shifts everything at once; CANARY shifts
    /// canaryPercent, waits canaryBakeTimeInMinutes, then shifts the rest; LINEAR shifts
    /// stepPercent at a time and waits stepBakeTimeInMinutes between steps (botocore
    /// LinearConfiguration.stepBakeTimeInMinutes: "This bake time is not applied after reaching
    /// 100 percent traffic").
    pub fn traffic_plan(&self) -> TrafficPlan {
        let sub = |key: &str| Req(self.extra.get(key).unwrap_or(&Value::Null));
        let minutes = |m: u64| m * 60_000;
        match self.strategy.as_str() {
            "CANARY" => {
                let c = sub("canaryConfiguration");
                let pct = traffic_percent(c, "canaryPercent", 0.1).ok().flatten().unwrap_or(CANARY_PERCENT_DEFAULT);
                let wait = bake_minutes(c, "canaryBakeTimeInMinutes").ok().flatten().unwrap_or(CANARY_BAKE_DEFAULT);
                let steps = if pct >= 100.0 { vec![100.0] } else { vec![pct, 100.0] };
                TrafficPlan { steps, wait_ms: minutes(wait) }
            }
            "LINEAR" => {
                let l = sub("linearConfiguration");
                let step = traffic_percent(l, "stepPercent", 3.0).ok().flatten().unwrap_or(STEP_PERCENT_DEFAULT);
                let wait = bake_minutes(l, "stepBakeTimeInMinutes").ok().flatten().unwrap_or(STEP_BAKE_DEFAULT);
                // step, 2 × step, ... (to one decimal, as the percentages are given), then 100:
                // 33.3 % takes 4 steps; tolerance for float error.
                let mut steps = vec![];
                let mut k = 1.0;
                while k * step < 100.0 - 1e-9 {
                    steps.push((k * step * 10.0).round() / 10.0);
                    k += 1.0;
                }
                steps.push(100.0);
                TrafficPlan { steps, wait_ms: minutes(wait) }
            }
            _ => TrafficPlan { steps: vec![100.0], wait_ms: 0 },
        }
    }

    /// Minutes from the first production traffic shift to the last.
    #[cfg(test)]
    fn shift_minutes(&self) -> u64 {
        let plan = self.traffic_plan();
        (plan.steps.len() as u64 - 1) * plan.wait_ms / 60_000
    }
}

/// AWS: the circuit breaker trips after max(3, min(200, ceil(desired / 2))) failed tasks.
pub fn failure_threshold(desired: u32) -> u32 {
    desired.div_ceil(2).clamp(3, 200)
}

/// A deployment's tasks that should be running, split by whether they are up yet.
#[derive(Debug, Default, Clone)]
pub struct DeploymentTasks {
    pub running: Vec<String>,
    pub pending: Vec<String>,
    /// Tasks asked to stop that have not reached STOPPED.
    pub stopping: usize,
}

impl DeploymentTasks {
    fn live(&self) -> u32 {
        (self.running.len() + self.pending.len()) as u32
    }
}

/// What one scheduler pass decided.
#[derive(Debug, Default)]
struct SchedulerPlan {
    launch: u32,
    stop: Vec<String>,
}

impl State {
    /// The live tasks of one deployment of a service.
    pub fn deployment_tasks(&self, key: &ServiceKey, deployment_id: &str) -> DeploymentTasks {
        let mut out = DeploymentTasks::default();
        let Some(svc) = self.services.get(key) else { return out };
        for task in svc.task_ids.iter().filter_map(|id| self.tasks.get(id)) {
            if task.deployment_id.as_deref() != Some(deployment_id) {
                continue;
            }
            match (task.desired_running(), task.last_status) {
                (true, TaskStatus::Running) => out.running.push(task.id.clone()),
                (true, _) => out.pending.push(task.id.clone()),
                (false, TaskStatus::Stopped) => {}
                (false, _) => out.stopping += 1,
            }
        }
        out
    }

    /// Starts a new PRIMARY deployment on the service's current settings, on a new service
    /// revision unless `revision_arn` names the one it runs again (a rollback). Service
    /// deployment records are `start_service_deployment`'s.
    pub fn new_deployment(&mut self, key: &ServiceKey, at: u64, reason: Option<String>, revision_arn: Option<String>) {
        let id = self.deployment_id();
        let new_revision = revision_arn.is_none();
        // AWS's service revision ids are 19-digit numbers, like deployment ids.
        let revision_arn = revision_arn.unwrap_or_else(|| {
            let n = self.rng.u64(1_000_000_000_000_000_000..10_000_000_000_000_000_000);
            self.ident.arn(&format!("service-revision/{}/{}/{n}", key.cluster, key.name))
        });
        let cluster_namespace = self
            .clusters
            .get(&key.cluster)
            .and_then(|c| c.service_connect_defaults.as_ref())
            .and_then(|d| d["namespace"].as_str())
            .map(str::to_string);
        let ident = self.ident.clone();
        let Some(svc) = self.services.get_mut(key) else { return };
        let configs = svc.configs.for_deployment(&ident, cluster_namespace.as_deref());
        for d in svc.deployments.iter_mut() {
            d.primary = false;
        }
        let rollout_reason = reason.unwrap_or_else(|| format!("ECS deployment {id} in progress."));
        let started = (id.clone(), rollout_reason.clone());
        svc.deployments.insert(
            0,
            Deployment {
                id,
                primary: true,
                task_definition: svc.task_definition.clone(),
                created_at: at,
                updated_at: at,
                failed_tasks: 0,
                rollout: RolloutState::InProgress,
                rollout_reason,
                launch_type: svc.launch_type.clone(),
                capacity_provider_strategy: svc.capacity_provider_strategy.clone(),
                platform_version: svc.platform_version.clone(),
                network_configuration: svc.network_configuration.clone(),
                configs,
                revision_arn,
            },
        );
        svc.steady = false;
        if new_revision {
            self.record_service_revision(key, at);
        }
        // Initial and rollback deployments alike; the reason tells them apart.
        self.emit_deployment_change(key, &started.0, "SERVICE_DEPLOYMENT_IN_PROGRESS", &started.1, at);
    }

    /// One scheduler pass: launch, stop, then settle deployment and service states. When
    /// settling moves a service deployment to a stage that lets the scheduler do more (SCALE_UP,
    /// CLEAN_UP, a rollback), the pass runs again at the same instant.
    pub fn reconcile_service(&mut self, key: &ServiceKey, at: u64) {
        for _ in 0..4 {
            let gate = self.services.get(key).map(|s| s.gate());
            if let Some(plan) = self.plan_service(key) {
                self.apply_plan(key, plan, at);
            }
            self.settle_service(key, at);
            if self.services.get(key).map(|s| s.gate()) == gate {
                break;
            }
        }
    }

    fn plan_service(&self, key: &ServiceKey) -> Option<SchedulerPlan> {
        let svc = self.services.get(key).filter(|s| s.status != ServiceStatus::Inactive)?;
        let primary = svc.deployments.first()?;
        let groups: Vec<DeploymentTasks> = svc.deployments.iter().map(|d| self.deployment_tasks(key, &d.id)).collect();
        let desired = if svc.status == ServiceStatus::Draining { 0 } else { svc.desired_count };
        let cfg = &svc.deployment_config;
        let mut plan = SchedulerPlan::default();
        let total_live: u32 = groups.iter().map(DeploymentTasks::live).sum();
        let pg = &groups[0];
        let gate = svc.gate();
        if svc.status == ServiceStatus::Active && primary.rollout != RolloutState::Failed && gate.launch {
            // Blue/green, canary and linear bring up a full green fleet beside blue; rolling
            // is capped by maximumPercent.
            let cap = if cfg.shifts_traffic() { u32::MAX } else { desired * cfg.maximum_percent / 100 };
            plan.launch = desired.saturating_sub(pg.live()).min(cap.saturating_sub(total_live));
        }
        // Scale-in on the primary stops tasks that are not up yet first, newest first.
        let surplus = pg.live().saturating_sub(desired) as usize;
        plan.stop.extend(pg.pending.iter().rev().chain(pg.running.iter().rev()).take(surplus).cloned());
        let surplus_running = surplus.saturating_sub(pg.pending.len());
        let running_total: usize = groups.iter().map(|g| g.running.len()).sum::<usize>() - surplus_running;
        let min_healthy = (desired * cfg.minimum_healthy_percent).div_ceil(100) as usize;
        let mut stoppable = if cfg.shifts_traffic() {
            // Blue stops in CLEAN_UP (or when a rollback drains green).
            if gate.stop_old || svc.status == ServiceStatus::Draining { usize::MAX } else { 0 }
        } else {
            running_total.saturating_sub(min_healthy)
        };
        for g in &groups[1..] {
            plan.stop.extend(g.pending.iter().cloned());
            let n = stoppable.min(g.running.len());
            plan.stop.extend(g.running.iter().take(n).cloned());
            stoppable -= n;
        }
        Some(plan)
    }

    fn apply_plan(&mut self, key: &ServiceKey, plan: SchedulerPlan, at: u64) {
        let Some(svc) = self.services.get(key) else { return };
        let Some(primary) = svc.deployments.first() else { return };
        let (dep_id, td) = (primary.id.clone(), primary.task_definition.clone());
        let launch_type = svc.task_launch_type();
        let tags = if svc.propagate_tags == "SERVICE" { svc.tags.clone() } else { Default::default() };
        let mut started = vec![];
        for _ in 0..plan.launch {
            let spec = TaskSpec {
                cluster: &key.cluster,
                service: Some(key.clone()),
                deployment_id: Some(dep_id.clone()),
                task_definition_arn: &td,
                launch_type: &launch_type,
                tags: tags.clone(),
                run: None,
            };
            started.push(self.launch_task(spec, at));
        }
        for id in &plan.stop {
            let reason = format!("Scaling activity initiated by (deployment {dep_id})");
            self.stop_task(id, at, StopCode::ServiceSchedulerInitiated, &reason);
        }
        if let Some(svc) = self.services.get_mut(key) {
            svc.task_ids.extend(started.iter().cloned());
            if !started.is_empty() || !plan.stop.is_empty() {
                svc.steady = false;
            }
        }
        if !started.is_empty() {
            let msg = format!("(service {}) has started {} tasks: {}.", key.name, started.len(), task_list(&started));
            self.add_event(key, at, msg);
        }
        if !plan.stop.is_empty() {
            let msg = format!(
                "(service {}) has stopped {} running tasks: {}.",
                key.name,
                plan.stop.len(),
                task_list(&plan.stop)
            );
            self.add_event(key, at, msg);
        }
    }

    /// Drops drained deployments and moves rollout and service states forward.
    fn settle_service(&mut self, key: &ServiceKey, at: u64) {
        let Some(svc) = self.services.get(key) else { return };
        let groups: Vec<(String, DeploymentTasks)> =
            svc.deployments.iter().map(|d| (d.id.clone(), self.deployment_tasks(key, &d.id))).collect();
        let drained: Vec<String> =
            groups.iter().skip(1).filter(|(_, g)| g.live() == 0 && g.stopping == 0).map(|(id, _)| id.clone()).collect();
        let primary_steady =
            groups.first().is_some_and(|(_, pg)| pg.running.iter().all(|id| self.task_is_steady(id, at)));
        let Some(svc) = self.services.get_mut(key) else { return };
        svc.deployments.retain(|d| !drained.contains(&d.id));
        let Some((_, pg)) = groups.first() else { return };
        if svc.status == ServiceStatus::Draining {
            if groups.iter().all(|(_, g)| g.live() == 0 && g.stopping == 0) {
                svc.status = ServiceStatus::Inactive;
                svc.inactive_at = Some(at);
                self.schedule(
                    at + INACTIVE_SERVICE_RETENTION.as_millis() as u64,
                    TimerKind::ServicePurge(key.clone(), at),
                );
            }
            return;
        }
        let desired = svc.desired_count as usize;
        let primary_up = pg.running.len() == desired && pg.pending.is_empty();
        let primary_steady = primary_up && primary_steady;
        self.drive_service_deployment(key, at, primary_up);
        let Some(svc) = self.services.get(key) else { return };
        if primary_steady && svc.deployments.len() == 1 && svc.gate().complete {
            self.complete_primary(key, at);
        }
    }

    /// The primary has desired tasks running and nothing else is left: COMPLETED, and a
    /// steady-state event once per settling.
    fn complete_primary(&mut self, key: &ServiceKey, at: u64) {
        let Some(svc) = self.services.get_mut(key) else { return };
        if svc.steady {
            return;
        }
        svc.steady = true;
        let mut events = vec![];
        let mut completed = None;
        if let Some(p) = svc.deployments.first_mut().filter(|p| p.rollout == RolloutState::InProgress) {
            p.rollout = RolloutState::Completed;
            p.rollout_reason = format!("ECS deployment {} completed.", p.id);
            p.updated_at = at;
            svc.last_completed = Some(LastCompleted {
                id: p.id.clone(),
                task_definition: p.task_definition.clone(),
                revision_arn: p.revision_arn.clone(),
                configs: p.configs.clone(),
            });
            events.push(format!("(service {}) (deployment {}) deployment completed.", key.name, p.id));
            completed = Some((p.id.clone(), p.rollout_reason.clone()));
        }
        events.push(format!("(service {}) has reached a steady state.", key.name));
        let primary_id = svc.deployments.first().map(|p| p.id.clone());
        for e in events {
            self.add_event(key, at, e);
        }
        if let Some(id) = primary_id {
            let done = self.service_deployment_completed(key, at, &id);
            // A blue/green rollback brings back a deployment that had already COMPLETED: its
            // rollout does not change, but the rollback deployment has completed.
            if completed.is_none() && done == Some(crate::service_deployments::SdStatus::RollbackSuccessful) {
                completed = Some((id.clone(), format!("ECS deployment {id} completed.")));
            }
        }
        if let Some((id, reason)) = completed {
            self.emit_deployment_change(key, &id, "SERVICE_DEPLOYMENT_COMPLETED", &reason, at);
        }
        self.emit_service_action(key, "INFO", "SERVICE_STEADY_STATE", at);
    }

    /// A task of `deployment_id` exited; counts it and trips the circuit breaker.
    pub fn record_task_failure(&mut self, key: &ServiceKey, deployment_id: &str, at: u64) {
        let Some(svc) = self.services.get_mut(key) else { return };
        let threshold = failure_threshold(svc.desired_count);
        let cfg = svc.deployment_config.clone();
        let Some(idx) = svc.deployments.iter().position(|d| d.id == deployment_id) else { return };
        let dep = &mut svc.deployments[idx];
        if dep.rollout != RolloutState::InProgress {
            return;
        }
        dep.failed_tasks += 1;
        dep.updated_at = at;
        let failed = dep.failed_tasks;
        self.count_service_deployment_failure(key, deployment_id, failed);
        if failed == threshold {
            // "The service is unable to consistently start tasks successfully."
            self.emit_service_action(key, "WARN", "SERVICE_TASK_START_IMPAIRED", at);
        }
        if !cfg.circuit_breaker_enable || failed < threshold {
            return;
        }
        // FAILED ("ECS deployment circuit breaker: task failed to start."); with rollback, the
        // PRIMARY goes back to the last COMPLETED task definition ("... rolling back to
        // deploymentId ..."). See `deployment_failed`.
        self.deployment_failed(key, at, deployment_id, Failure::CircuitBreaker, cfg.circuit_breaker_rollback);
    }
}

fn task_list(ids: &[String]) -> String {
    ids.iter().map(|id| format!("(task {id})")).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn circuit_breaker_threshold_matches_aws() {
        assert_eq!(failure_threshold(1), 3);
        assert_eq!(failure_threshold(10), 5);
        assert_eq!(failure_threshold(11), 6);
        assert_eq!(failure_threshold(1000), 200);
    }

    #[test]
    fn deployment_config_merges_and_validates() {
        let base = DeploymentConfig::default();
        let merged = base.merge(&json!({"minimumHealthyPercent": 50})).unwrap();
        assert_eq!((merged.minimum_healthy_percent, merged.maximum_percent), (50, 200));
        assert!(base.merge(&json!({"minimumHealthyPercent": 150})).is_err());
        assert!(base.merge(&json!({"deploymentCircuitBreaker": {"enable": false, "rollback": true}})).is_err());
    }

    #[test]
    fn canary_and_linear_shift_times() {
        let base = DeploymentConfig::default();
        let canary = |c: Value| base.merge(&json!({"strategy": "CANARY", "canaryConfiguration": c})).unwrap();
        assert_eq!(canary(json!({"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 5})).shift_minutes(), 5);
        assert_eq!(canary(json!({})).shift_minutes(), 10, "AWS default canary bake");
        let linear = |c: Value| base.merge(&json!({"strategy": "LINEAR", "linearConfiguration": c})).unwrap();
        assert_eq!(linear(json!({"stepPercent": 25.0, "stepBakeTimeInMinutes": 2})).shift_minutes(), 6);
        assert_eq!(linear(json!({"stepPercent": 33.3, "stepBakeTimeInMinutes": 1})).shift_minutes(), 3);
        assert_eq!(linear(json!({"stepPercent": 100, "stepBakeTimeInMinutes": 9})).shift_minutes(), 0);
        assert_eq!(linear(json!({})).shift_minutes(), 54, "10 steps of 10 %, 6 min between");
        assert!(base.merge(&json!({"linearConfiguration": {"stepPercent": 2.0}})).is_err());
        assert!(base.merge(&json!({"canaryConfiguration": {"canaryBakeTimeInMinutes": 2000}})).is_err());
        assert!(base.merge(&json!({"strategy": "RED_BLACK"})).is_err());
    }
}
