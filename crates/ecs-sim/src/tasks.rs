//! Tasks: the Fargate lifecycle PROVISIONING → PENDING → RUNNING → DEACTIVATING →
//! STOPPING → DEPROVISIONING → STOPPED driven by timers, containers that exit on their own
//! (an image matching the failure pattern, a standalone task's scripted or default outcome),
//! and ListTasks / DescribeTasks / StopTask. RunTask, which starts standalone tasks, is in
//! `run_task`.

use serde_json::{Value, json};

use crate::clock::epoch_seconds;
use crate::error::{ApiError, ApiResult};
use crate::protocol::{Req, Tags, arn_resource, paginate, tags_json};
use crate::run_task::RunSettings;
use crate::services::{ServiceKey, ServiceStatus};
use crate::state::{State, TimerKind};
use crate::task_outcomes::PlannedExit;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskStatus {
    Provisioning,
    Pending,
    Running,
    Deactivating,
    Stopping,
    Deprovisioning,
    Stopped,
}

impl TaskStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Provisioning => "PROVISIONING",
            TaskStatus::Pending => "PENDING",
            TaskStatus::Running => "RUNNING",
            TaskStatus::Deactivating => "DEACTIVATING",
            TaskStatus::Stopping => "STOPPING",
            TaskStatus::Deprovisioning => "DEPROVISIONING",
            TaskStatus::Stopped => "STOPPED",
        }
    }

    /// Counted in pendingCount.
    pub fn is_pending(self) -> bool {
        matches!(self, TaskStatus::Provisioning | TaskStatus::Pending)
    }
}

/// Why a task stopped, as ECS's `stopCode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopCode {
    EssentialContainerExited,
    ServiceSchedulerInitiated,
    UserInitiated,
}

impl StopCode {
    pub fn as_str(self) -> &'static str {
        match self {
            StopCode::EssentialContainerExited => "EssentialContainerExited",
            StopCode::ServiceSchedulerInitiated => "ServiceSchedulerInitiated",
            StopCode::UserInitiated => "UserInitiated",
        }
    }
}

/// The exit code of a container still running when its task stops: ECS sends the stop signal
/// (SIGTERM), and a process running as PID 1 without a handler for it ignores it until SIGKILL
/// after the stop timeout: 128 + 9.
pub const KILLED_EXIT_CODE: i32 = 137;

#[derive(Debug, Clone)]
pub struct Container {
    pub name: String,
    pub image: String,
    pub essential: bool,
    /// Container.cpu, .memory, .memoryReservation: the definition's, or a RunTask override's.
    pub cpu: i64,
    pub memory: Option<i64>,
    pub memory_reservation: Option<i64>,
    /// When and how it exits on its own; `None`: it runs until the task stops.
    pub planned_exit: Option<PlannedExit>,
    pub exit_code: Option<i32>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Task {
    pub id: String,
    pub arn: String,
    pub cluster: String,
    pub service: Option<ServiceKey>,
    pub deployment_id: Option<String>,
    /// A service's deployment id, or RunTask's `startedBy`.
    pub started_by: Option<String>,
    /// `service:<name>`, or RunTask's `group` (default `family:<family>`).
    pub group: Option<String>,
    pub task_definition_arn: String,
    pub launch_type: String,
    pub capacity_provider_name: Option<String>,
    pub platform_version: Option<String>,
    pub enable_execute_command: bool,
    /// Task.overrides as ECS reports it (every container named, RunTask's overrides merged).
    pub overrides: Value,
    pub cpu: Option<String>,
    pub memory: Option<String>,
    pub containers: Vec<Container>,
    pub last_status: TaskStatus,
    pub stop_requested: bool,
    pub stop_code: Option<StopCode>,
    pub stopped_reason: Option<String>,
    pub created_at: u64,
    pub pull_started_at: Option<u64>,
    pub pull_stopped_at: Option<u64>,
    pub started_at: Option<u64>,
    pub stopping_at: Option<u64>,
    pub execution_stopped_at: Option<u64>,
    pub stopped_at: Option<u64>,
    /// When the next lifecycle step is due; a timer for another instant is stale.
    pub next_at: Option<u64>,
    pub version: u64,
    pub tags: Tags,
}

impl Task {
    pub fn desired_running(&self) -> bool {
        !self.stop_requested
    }

    pub fn desired_status(&self) -> &'static str {
        if self.stop_requested { "STOPPED" } else { "RUNNING" }
    }

    /// When the next container that exits on its own does, if one still will.
    fn next_exit(&self) -> Option<u64> {
        let started = self.started_at?;
        self.containers
            .iter()
            .filter(|c| c.exit_code.is_none())
            .filter_map(|c| c.planned_exit.as_ref().map(|p| started + p.after_ms))
            .min()
    }

    pub(crate) fn to_json(&self, cluster_arn: &str, with_tags: bool) -> Value {
        let containers: Vec<Value> = self.containers.iter().map(|c| self.container_json(c)).collect();
        let mut v = json!({
            "taskArn": self.arn,
            "clusterArn": cluster_arn,
            "taskDefinitionArn": self.task_definition_arn,
            "lastStatus": self.last_status.as_str(),
            "desiredStatus": self.desired_status(),
            "launchType": self.launch_type,
            "capacityProviderName": self.capacity_provider_name,
            "cpu": self.cpu,
            "memory": self.memory,
            "containers": containers,
            "createdAt": epoch_seconds(self.created_at),
            "version": self.version,
            "connectivity": if self.started_at.is_some() { "CONNECTED" } else { "DISCONNECTED" },
            "healthStatus": "UNKNOWN",
            "availabilityZone": "us-east-1a",
            "platformVersion": self.platform_version,
            "platformFamily": self.platform_version.as_ref().map(|_| "Linux"),
            "overrides": self.overrides,
            "attachments": [],
            "tags": [],
            "enableExecuteCommand": self.enable_execute_command,
            "group": self.group,
            "startedBy": self.started_by,
            "stopCode": self.stop_code.map(StopCode::as_str),
            "stoppedReason": self.stopped_reason,
        });
        for (field, at) in [
            ("pullStartedAt", self.pull_started_at),
            ("pullStoppedAt", self.pull_stopped_at),
            ("startedAt", self.started_at),
            ("stoppingAt", self.stopping_at),
            ("executionStoppedAt", self.execution_stopped_at),
            ("stoppedAt", self.stopped_at),
        ] {
            if let Some(t) = at {
                v[field] = epoch_seconds(t);
            }
        }
        if with_tags {
            v["tags"] = tags_json(&self.tags);
        }
        v
    }

    fn container_json(&self, c: &Container) -> Value {
        let status = match self.last_status {
            _ if c.exit_code.is_some() => "STOPPED",
            TaskStatus::Running | TaskStatus::Deactivating => "RUNNING",
            TaskStatus::Stopping | TaskStatus::Deprovisioning | TaskStatus::Stopped => "STOPPED",
            _ => "PENDING",
        };
        json!({
            "containerArn": format!("{}/{}", self.arn.replace(":task/", ":container/"), c.name),
            "taskArn": self.arn,
            "name": c.name,
            "image": c.image,
            "lastStatus": status,
            "exitCode": c.exit_code,
            "reason": c.reason,
            "healthStatus": "UNKNOWN",
            "networkInterfaces": [],
            "cpu": c.cpu.to_string(),
            "memory": c.memory.map(|m| m.to_string()),
            "memoryReservation": c.memory_reservation.map(|m| m.to_string()),
        })
    }
}

/// What a new task is made from.
pub struct TaskSpec<'a> {
    pub cluster: &'a str,
    pub service: Option<ServiceKey>,
    pub deployment_id: Option<String>,
    pub task_definition_arn: &'a str,
    pub launch_type: &'a str,
    pub tags: Tags,
    /// RunTask's settings; `None` for a service's task.
    pub run: Option<&'a RunSettings>,
}

/// The task definition's containers, with a RunTask's container overrides applied.
fn containers_of(td: &Value, overrides: &Value) -> Vec<Container> {
    let sent = overrides["containerOverrides"].as_array().map(Vec::as_slice).unwrap_or_default();
    let defs = td["containerDefinitions"].as_array().map(Vec::as_slice).unwrap_or_default();
    defs.iter()
        .map(|c| {
            let name = c["name"].as_str().unwrap_or_default();
            let o = sent.iter().find(|o| o["name"].as_str() == Some(name)).unwrap_or(&Value::Null);
            let pick = |key: &str| o[key].as_i64().or_else(|| c[key].as_i64());
            Container {
                name: name.to_string(),
                image: c["image"].as_str().unwrap_or_default().to_string(),
                essential: c["essential"].as_bool().unwrap_or(true),
                cpu: pick("cpu").unwrap_or(0),
                memory: pick("memory"),
                memory_reservation: pick("memoryReservation"),
                planned_exit: None,
                exit_code: None,
                reason: None,
            }
        })
        .collect()
}

/// Task.overrides as ECS reports it: `containerOverrides` names every container of the task
/// definition (`{"name": ...}` alone when nothing overrides it; AWS CLI reference, run-task
/// example), with what RunTask sent for it; the task-level overrides as sent.
fn overrides_json(containers: &[Container], sent: &Value) -> Value {
    let list = sent["containerOverrides"].as_array().map(Vec::as_slice).unwrap_or_default();
    let per_container: Vec<Value> = containers
        .iter()
        .map(|c| list.iter().find(|o| o["name"].as_str() == Some(&c.name)).cloned().unwrap_or(json!({"name": c.name})))
        .collect();
    let mut v = if sent.is_object() { sent.clone() } else { json!({}) };
    v["containerOverrides"] = Value::Array(per_container);
    if v.get("inferenceAcceleratorOverrides").is_none() {
        v["inferenceAcceleratorOverrides"] = json!([]);
    }
    v
}

impl State {
    /// Starts a task in PROVISIONING; returns its id.
    pub fn launch_task(&mut self, spec: TaskSpec, at: u64) -> String {
        let id = self.random_hex(32);
        let td = self.find_revision(spec.task_definition_arn).map(|r| r.body.clone()).unwrap_or(Value::Null);
        let no_overrides = Value::Null;
        let sent = spec.run.map_or(&no_overrides, |r| &r.overrides);
        let mut containers = containers_of(&td, sent);
        for c in &mut containers {
            c.planned_exit = self.planned_exit(c, spec.run.is_some());
        }
        let next_at = at + self.timings.provisioning.as_millis() as u64;
        let fargate = spec.launch_type == "FARGATE";
        let (started_by, group) = match (spec.run, &spec.service) {
            (Some(run), _) => (run.started_by.clone(), Some(run.group.clone())),
            (None, Some(key)) => (spec.deployment_id.clone(), Some(format!("service:{}", key.name))),
            (None, None) => (None, None),
        };
        let size = |key: &str| sent[key].as_str().or_else(|| td[key].as_str()).map(str::to_string);
        let task = Task {
            arn: self.ident.task_arn(spec.cluster, &id),
            id: id.clone(),
            cluster: spec.cluster.to_string(),
            service: spec.service,
            deployment_id: spec.deployment_id,
            started_by,
            group,
            task_definition_arn: spec.task_definition_arn.to_string(),
            launch_type: spec.launch_type.to_string(),
            capacity_provider_name: spec.run.and_then(|r| r.capacity_provider_name.clone()),
            // The version LATEST resolves to for Linux tasks.
            platform_version: match spec.run.and_then(|r| r.platform_version.as_deref()) {
                Some(v) if fargate && v != "LATEST" => Some(v.to_string()),
                _ => fargate.then(|| "1.4.0".to_string()),
            },
            enable_execute_command: spec.run.is_some_and(|r| r.enable_execute_command),
            overrides: overrides_json(&containers, sent),
            cpu: size("cpu"),
            memory: size("memory"),
            containers,
            last_status: TaskStatus::Provisioning,
            stop_requested: false,
            stop_code: None,
            stopped_reason: None,
            created_at: at,
            pull_started_at: None,
            pull_stopped_at: None,
            started_at: None,
            stopping_at: None,
            execution_stopped_at: None,
            stopped_at: None,
            next_at: Some(next_at),
            version: 1,
            tags: spec.tags,
        };
        self.tasks.insert(id.clone(), task);
        self.schedule(next_at, TimerKind::Task(id.clone()));
        self.emit_task_change(&id, at);
        id
    }

    /// How a container exits on its own: a standalone task's scripted outcome for its image
    /// first; then exit code 1 `fail_after` for an essential container whose image matches the
    /// failure pattern; then, in a standalone task, exit code 0 after `standalone_run` for an
    /// essential container. Anything else runs until its task stops.
    fn planned_exit(&mut self, c: &Container, standalone: bool) -> Option<PlannedExit> {
        let scripted = if standalone { self.draw_outcome(&c.image) } else { None };
        let after =
            |d: std::time::Duration, exit_code| PlannedExit { after_ms: d.as_millis() as u64, exit_code, reason: None };
        scripted
            .or_else(|| {
                (c.essential && self.failure_pattern.is_match(&c.image)).then(|| after(self.timings.fail_after, 1))
            })
            .or_else(|| (standalone && c.essential).then(|| after(self.timings.standalone_run, 0)))
    }

    /// Asks a task to stop; a no-op if it is already stopping.
    pub fn stop_task(&mut self, id: &str, at: u64, code: StopCode, reason: &str) {
        let t = &self.timings;
        let (deactivating, stopping) = (t.deactivating.as_millis() as u64, t.stopping.as_millis() as u64);
        let Some(task) = self.tasks.get_mut(id) else { return };
        if task.stop_requested {
            return;
        }
        task.stop_requested = true;
        task.stop_code = Some(code);
        task.stopped_reason = Some(reason.to_string());
        task.stopping_at = Some(at);
        task.version += 1;
        let next = if task.last_status == TaskStatus::Running {
            task.last_status = TaskStatus::Deactivating;
            at + deactivating
        } else {
            task.last_status = TaskStatus::Stopping;
            at + stopping
        };
        task.next_at = Some(next);
        self.schedule(next, TimerKind::Task(id.to_string()));
        self.emit_task_change(id, at);
    }

    /// Moves a task one lifecycle step; returns the service whose scheduler must look
    /// again because of it.
    pub fn on_task_timer(&mut self, id: &str, at: u64) -> Option<ServiceKey> {
        let task = self.tasks.get(id)?;
        if task.next_at != Some(at) {
            return None;
        }
        let service = task.service.clone();
        match task.last_status {
            TaskStatus::Running if !task.stop_requested => self.containers_exit(id, at),
            TaskStatus::Stopped => {
                self.purge_task(id);
                return None;
            }
            _ => self.step_task(id, at),
        }
        service
    }

    /// One scheduled, non-failure transition.
    fn step_task(&mut self, id: &str, at: u64) {
        let t = self.timings.clone();
        let Some(task) = self.tasks.get_mut(id) else { return };
        let service = task.service.clone();
        let (status, next) = match task.last_status {
            TaskStatus::Provisioning => {
                task.pull_started_at = Some(at);
                (TaskStatus::Pending, Some(at + t.pending.as_millis() as u64))
            }
            TaskStatus::Pending => {
                task.pull_stopped_at = Some(at);
                task.started_at = Some(at);
                (TaskStatus::Running, task.next_exit())
            }
            TaskStatus::Deactivating => {
                // The containers still running get the stop signal (see KILLED_EXIT_CODE).
                for c in task.containers.iter_mut().filter(|c| c.exit_code.is_none()) {
                    c.exit_code = Some(KILLED_EXIT_CODE);
                }
                (TaskStatus::Stopping, Some(at + t.stopping.as_millis() as u64))
            }
            TaskStatus::Stopping => {
                task.execution_stopped_at = Some(at);
                (TaskStatus::Deprovisioning, Some(at + t.deprovisioning.as_millis() as u64))
            }
            TaskStatus::Deprovisioning => {
                task.stopped_at = Some(at);
                (TaskStatus::Stopped, Some(at + t.stopped_retention.as_millis() as u64))
            }
            TaskStatus::Running | TaskStatus::Stopped => return,
        };
        task.last_status = status;
        task.next_at = next;
        task.version += 1;
        if let Some(n) = next {
            self.schedule(n, TimerKind::Task(id.to_string()));
        }
        self.emit_task_change(id, at);
        if let (TaskStatus::Running, Some(key)) = (status, service) {
            // The scheduler must look again when this task counts as steady.
            self.schedule(at + t.steady_after.as_millis() as u64, TimerKind::Service(key));
        }
    }

    /// Running long enough to count towards a deployment's steady state.
    pub fn task_is_steady(&self, id: &str, at: u64) -> bool {
        let window = self.timings.steady_after.as_millis() as u64;
        self.tasks.get(id).and_then(|t| t.started_at).is_some_and(|s| s + window <= at)
    }

    /// The containers due to exit now do; when an essential one has, the task stops
    /// (EssentialContainerExited, counted as a failure of its service deployment, if any),
    /// otherwise it runs on until the next container exit.
    fn containers_exit(&mut self, id: &str, at: u64) {
        let Some(task) = self.tasks.get_mut(id) else { return };
        let started = task.started_at.unwrap_or(at);
        let mut essential_exited = false;
        for c in task.containers.iter_mut().filter(|c| c.exit_code.is_none()) {
            if let Some(p) = c.planned_exit.as_ref().filter(|p| started + p.after_ms <= at) {
                c.exit_code = Some(p.exit_code);
                c.reason = p.reason.clone();
                essential_exited |= c.essential;
            }
        }
        task.version += 1;
        if !essential_exited {
            task.next_at = task.next_exit();
            if let Some(next) = task.next_at {
                self.schedule(next, TimerKind::Task(id.to_string()));
            }
            self.emit_task_change(id, at);
            return;
        }
        let (service, deployment) = (task.service.clone(), task.deployment_id.clone());
        // A container stopped (its own event), then the task stops (the next).
        self.emit_task_change(id, at);
        self.stop_task(id, at, StopCode::EssentialContainerExited, "Essential container in task exited");
        if let (Some(key), Some(dep)) = (service, deployment) {
            self.record_task_failure(&key, &dep, at);
        }
    }

    fn purge_task(&mut self, id: &str) {
        if let Some(task) = self.tasks.remove(id)
            && let Some(svc) = task.service.and_then(|k| self.services.get_mut(&k))
        {
            svc.task_ids.retain(|t| t != id);
        }
    }

    pub(crate) fn task_json(&self, task: &Task, with_tags: bool) -> Value {
        task.to_json(&self.ident.cluster_arn(&task.cluster), with_tags)
    }

    pub(crate) fn list_tasks(&mut self, body: &Value) -> ApiResult<Value> {
        let r = Req(body);
        let cluster = self.active_cluster(r.opt_str("cluster")?)?.name.clone();
        let service = match r.opt_str("serviceName")? {
            Some(ident) => Some(self.find_service(&cluster, ident)?.key.clone()),
            None => None,
        };
        let desired = r.opt_str("desiredStatus")?.unwrap_or("RUNNING");
        if !matches!(desired, "RUNNING" | "PENDING" | "STOPPED") {
            return Err(ApiError::invalid(format!("Invalid desiredStatus: {desired}")));
        }
        let family = r.opt_str("family")?;
        let started_by = r.opt_str("startedBy")?;
        let launch_type = r.opt_str("launchType")?;
        let arns: Vec<String> = self
            .tasks
            .values()
            .filter(|t| t.cluster == cluster && t.desired_status() == desired)
            .filter(|t| service.is_none() || t.service == service)
            .filter(|t| family.is_none_or(|f| task_family(&t.task_definition_arn) == f))
            .filter(|t| started_by.is_none_or(|s| t.started_by.as_deref() == Some(s)))
            .filter(|t| launch_type.is_none_or(|l| t.launch_type == l))
            .map(|t| t.arn.clone())
            .collect();
        let (page, next) = paginate(&arns, r.opt_i64("maxResults")?, 100, 100, r.opt_str("nextToken")?)?;
        Ok(json!({"taskArns": page, "nextToken": next}))
    }

    pub(crate) fn describe_tasks(&mut self, body: &Value) -> ApiResult<Value> {
        let r = Req(body);
        let cluster = self.active_cluster(r.opt_str("cluster")?)?.name.clone();
        let idents = r.str_list("tasks")?;
        if idents.is_empty() {
            return Err(ApiError::invalid("Tasks cannot be empty."));
        }
        if idents.len() > 100 {
            return Err(ApiError::invalid("At most 100 tasks can be described at once."));
        }
        let with_tags = r.includes("TAGS")?;
        let (mut found, mut failures) = (vec![], vec![]);
        for ident in &idents {
            match self.tasks.get(&task_id(ident)).filter(|t| t.cluster == cluster) {
                Some(task) => found.push(self.task_json(task, with_tags)),
                None => {
                    failures.push(json!({"arn": self.ident.task_arn(&cluster, &task_id(ident)), "reason": "MISSING"}))
                }
            }
        }
        Ok(json!({"tasks": found, "failures": failures}))
    }

    pub(crate) fn stop_task_api(&mut self, body: &Value) -> ApiResult<Value> {
        let r = Req(body);
        let cluster = self.active_cluster(r.opt_str("cluster")?)?.name.clone();
        let id = task_id(r.str("task")?);
        let task = self.tasks.get(&id).filter(|t| t.cluster == cluster);
        let service = task.ok_or_else(|| ApiError::invalid("The referenced task was not found."))?.service.clone();
        let reason = r.opt_str("reason")?.unwrap_or("Task stopped by user").to_string();
        let now = self.now;
        self.stop_task(&id, now, StopCode::UserInitiated, &reason);
        // botocore StopTask: "Stops a running task. Any tags associated with the task will be
        // deleted."
        if let Some(task) = self.tasks.get_mut(&id) {
            task.tags.clear();
        }
        if let Some(key) = service.filter(|k| self.services.get(k).is_some_and(|s| s.status != ServiceStatus::Inactive))
        {
            self.reconcile_service(&key, now);
        }
        let task = self.tasks.get(&id).ok_or_else(|| ApiError::invalid("The referenced task was not found."))?;
        Ok(json!({"task": self.task_json(task, false)}))
    }
}

/// A task given by id or ARN.
fn task_id(ident: &str) -> String {
    arn_resource(ident).rsplit('/').next().unwrap_or(ident).to_string()
}

fn task_family(td_arn: &str) -> &str {
    let res = arn_resource(td_arn);
    let res = res.strip_prefix("task-definition/").unwrap_or(res);
    res.rsplit_once(':').map_or(res, |(f, _)| f)
}
