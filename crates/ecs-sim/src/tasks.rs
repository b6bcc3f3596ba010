//! Tasks: the Fargate lifecycle PROVISIONING → PENDING → RUNNING → DEACTIVATING →
//! STOPPING → DEPROVISIONING → STOPPED driven by timers, failure of tasks whose image
//! matches the failure pattern, and ListTasks / DescribeTasks / StopTask.

use serde_json::{Value, json};

use crate::clock::epoch_seconds;
use crate::error::{ApiError, ApiResult};
use crate::protocol::{Req, Tags, arn_resource, paginate, tags_json};
use crate::services::{ServiceKey, ServiceStatus};
use crate::state::{State, TimerKind};

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
    fn as_str(self) -> &'static str {
        match self {
            StopCode::EssentialContainerExited => "EssentialContainerExited",
            StopCode::ServiceSchedulerInitiated => "ServiceSchedulerInitiated",
            StopCode::UserInitiated => "UserInitiated",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Container {
    pub name: String,
    pub image: String,
    pub essential: bool,
}

#[derive(Debug, Clone)]
pub struct Task {
    pub id: String,
    pub arn: String,
    pub cluster: String,
    pub service: Option<ServiceKey>,
    pub deployment_id: Option<String>,
    pub task_definition_arn: String,
    pub launch_type: String,
    pub cpu: Option<String>,
    pub memory: Option<String>,
    pub containers: Vec<Container>,
    pub last_status: TaskStatus,
    pub stop_requested: bool,
    pub will_fail: bool,
    pub exit_code: Option<i32>,
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

    fn to_json(&self, cluster_arn: &str, with_tags: bool) -> Value {
        let containers: Vec<Value> = self.containers.iter().map(|c| self.container_json(c)).collect();
        let mut v = json!({
            "taskArn": self.arn,
            "clusterArn": cluster_arn,
            "taskDefinitionArn": self.task_definition_arn,
            "lastStatus": self.last_status.as_str(),
            "desiredStatus": self.desired_status(),
            "launchType": self.launch_type,
            "cpu": self.cpu,
            "memory": self.memory,
            "containers": containers,
            "createdAt": epoch_seconds(self.created_at),
            "version": self.version,
            "connectivity": if self.started_at.is_some() { "CONNECTED" } else { "DISCONNECTED" },
            "healthStatus": "UNKNOWN",
            "availabilityZone": "us-east-1a",
            "platformVersion": if self.launch_type == "FARGATE" { Some("1.4.0") } else { None },
            "platformFamily": if self.launch_type == "FARGATE" { Some("Linux") } else { None },
            "overrides": {"containerOverrides": [], "inferenceAcceleratorOverrides": []},
            "attachments": [],
            "tags": [],
            "enableExecuteCommand": false,
        });
        if let Some(key) = &self.service {
            v["group"] = json!(format!("service:{}", key.name));
        }
        if let Some(dep) = &self.deployment_id {
            v["startedBy"] = json!(dep);
        }
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
        if let Some(code) = self.stop_code {
            v["stopCode"] = json!(code.as_str());
        }
        if let Some(reason) = &self.stopped_reason {
            v["stoppedReason"] = json!(reason);
        }
        if with_tags {
            v["tags"] = tags_json(&self.tags);
        }
        v
    }

    fn container_json(&self, c: &Container) -> Value {
        let mut v = json!({
            "containerArn": format!("{}/{}", self.arn.replace(":task/", ":container/"), c.name),
            "taskArn": self.arn,
            "name": c.name,
            "image": c.image,
            "lastStatus": match self.last_status {
                TaskStatus::Running | TaskStatus::Deactivating => "RUNNING",
                TaskStatus::Stopping | TaskStatus::Deprovisioning | TaskStatus::Stopped => "STOPPED",
                _ => "PENDING",
            },
            "healthStatus": "UNKNOWN",
            "networkInterfaces": [],
        });
        if let Some(code) = self.exit_code.filter(|_| c.essential) {
            v["exitCode"] = json!(code);
        }
        v
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
}

fn containers_of(td: &Value) -> Vec<Container> {
    td["containerDefinitions"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|c| Container {
                    name: c["name"].as_str().unwrap_or_default().to_string(),
                    image: c["image"].as_str().unwrap_or_default().to_string(),
                    essential: c["essential"].as_bool().unwrap_or(true),
                })
                .collect()
        })
        .unwrap_or_default()
}

impl State {
    /// Starts a task in PROVISIONING; returns its id.
    pub fn launch_task(&mut self, spec: TaskSpec, at: u64) -> String {
        let id = self.random_hex(32);
        let td = self.find_revision(spec.task_definition_arn).map(|r| r.body.clone()).unwrap_or(Value::Null);
        let containers = containers_of(&td);
        let will_fail = containers.iter().any(|c| c.essential && self.failure_pattern.is_match(&c.image));
        let next_at = at + self.timings.provisioning.as_millis() as u64;
        let task = Task {
            arn: self.ident.task_arn(spec.cluster, &id),
            id: id.clone(),
            cluster: spec.cluster.to_string(),
            service: spec.service,
            deployment_id: spec.deployment_id,
            task_definition_arn: spec.task_definition_arn.to_string(),
            launch_type: spec.launch_type.to_string(),
            cpu: td["cpu"].as_str().map(str::to_string),
            memory: td["memory"].as_str().map(str::to_string),
            containers,
            last_status: TaskStatus::Provisioning,
            stop_requested: false,
            will_fail,
            exit_code: None,
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
        id
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
            TaskStatus::Running if task.will_fail && !task.stop_requested => self.fail_task(id, at),
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
                (TaskStatus::Running, task.will_fail.then(|| at + t.fail_after.as_millis() as u64))
            }
            TaskStatus::Deactivating => (TaskStatus::Stopping, Some(at + t.stopping.as_millis() as u64)),
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

    /// The essential container of a task with a failing image exits with code 1.
    fn fail_task(&mut self, id: &str, at: u64) {
        let (service, deployment) = match self.tasks.get_mut(id) {
            Some(task) => {
                task.exit_code = Some(1);
                (task.service.clone(), task.deployment_id.clone())
            }
            None => return,
        };
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

    fn task_json(&self, task: &Task, with_tags: bool) -> Value {
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
            .filter(|t| started_by.is_none_or(|s| t.deployment_id.as_deref() == Some(s)))
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
