//! RunTask: standalone tasks (no service), the way a one-off job such as a database migration
//! runs. The request is checked as CreateService checks the same members (`placement`), the
//! tasks go through the usual lifecycle (`tasks`), their essential containers exit on their own
//! (`task_outcomes`), and `clientToken` makes the call idempotent per cluster.
//!
//! Sources: botocore ecs service-2.json RunTaskRequest/RunTaskResponse/ConflictException, and
//! the ECS API Reference "Ensuring idempotency" page (RunTask tokens: up to 64 ASCII characters
//! 33-126, scoped to the cluster, a 24-hour time to live, the same token with other parameters
//! is ConflictException).

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult, ErrorKind};
use crate::placement::Placement;
use crate::protocol::{Req, Tags, canonical, parse_tags};
use crate::state::{State, TimerKind};
use crate::task_definitions::parse_td_ident;
use crate::tasks::TaskSpec;
use crate::td_rules::{parse_cpu, parse_memory};

/// What RunTask sets on each task it starts, beyond what every task has.
#[derive(Debug, Clone)]
pub struct RunSettings {
    pub started_by: Option<String>,
    pub group: String,
    /// `overrides` as sent, checked against the task definition (`Value::Null` when none).
    pub overrides: Value,
    pub enable_execute_command: bool,
    pub platform_version: Option<String>,
    pub capacity_provider_name: Option<String>,
}

/// A client token's first request (without token and cluster, canonical) and its answer.
#[derive(Debug, Clone)]
pub struct RunToken {
    fingerprint: String,
    answer: Value,
    task_arns: Vec<String>,
    used_at: u64,
}

/// RunTask client tokens by (cluster, token).
pub type RunTokens = HashMap<(String, String), RunToken>;

/// "The RunTask client token has a time to live (TTL) of 24 hours" (Ensuring idempotency).
pub const CLIENT_TOKEN_TTL: Duration = Duration::from_secs(24 * 3600);

/// RunTaskRequest.count: "You can specify up to 10 tasks for each call."
const MAX_COUNT: i64 = 10;

/// RunTaskRequest.startedBy: "Up to 128 letters (uppercase and lowercase), numbers, hyphens
/// (-), forward slash (/), and underscores (_) are allowed."
const MAX_STARTED_BY: usize = 128;

/// RunTaskRequest.overrides: "A total of 8192 characters are allowed for overrides. This limit
/// includes the JSON formatting characters of the override structure."
const MAX_OVERRIDES: usize = 8192;

impl Placement {
    /// What the tasks report as `launchType`: FARGATE for a FARGATE(_SPOT) strategy,
    /// MANAGED_INSTANCES for a Managed Instances provider, EC2 for other providers.
    fn task_launch_type(&self) -> &str {
        match (self.fargate, self.managed_instances) {
            (true, _) => "FARGATE",
            (_, true) => "MANAGED_INSTANCES",
            _ => self.launch_type.as_deref().unwrap_or("EC2"),
        }
    }

    /// The provider the tasks run on: the strategy's item with a base, else its first item
    /// with the highest weight (every task of one call on the same provider).
    fn capacity_provider(&self) -> Option<String> {
        let weight = |i: &Value| i["weight"].as_i64().unwrap_or(0);
        let with_base = self.strategy.iter().find(|i| i["base"].as_i64() > Some(0));
        let item = with_base.or_else(|| self.strategy.iter().rev().max_by_key(|i| weight(i)))?;
        item["capacityProvider"].as_str().map(str::to_string)
    }
}

impl State {
    pub(crate) fn run_task(&mut self, body: &Value) -> ApiResult<Value> {
        let r = Req(body);
        let cluster = self.active_cluster(r.opt_str("cluster")?)?.clone();
        let token = client_token(r)?;
        let fingerprint = fingerprint(body);
        let key = token.map(|t| (cluster.name.clone(), t.to_string()));
        if let Some(seen) = key.as_ref().and_then(|k| self.run_tokens.get(k)) {
            if seen.fingerprint != fingerprint {
                return Err(token_conflict(&seen.task_arns));
            }
            return Ok(seen.answer.clone());
        }
        let (td_arn, td) = self.runnable_task_definition(r.str("taskDefinition")?)?;
        let count = match r.opt_i64("count")?.unwrap_or(1) {
            n @ 1..=MAX_COUNT => n,
            n => return Err(ApiError::invalid(format!("count must be between 1 and {MAX_COUNT}, got {n}."))),
        };
        let placement = self.placement(r, &cluster.name, &cluster.default_strategy, &td, true)?;
        if placement.network.is_some() && td["networkMode"].as_str() != Some("awsvpc") {
            return Err(ApiError::invalid(
                "Network Configuration is not valid for the given networkMode of this task definition.",
            ));
        }
        let overrides = check_overrides(r.get("overrides"), &td)?;
        let enable_execute_command = r.opt_bool("enableExecuteCommand")?.unwrap_or(false);
        let task_role = overrides["taskRoleArn"].as_str().or(td["taskRoleArn"].as_str()).filter(|a| !a.is_empty());
        if enable_execute_command && task_role.is_none() {
            // The answer AWS gives (boto3 issue 3173).
            return Err(ApiError::invalid(
                "The execute command failed because a valid task role is not being used. Specify a valid task role in your task definition or as a task override and try again.",
            ));
        }
        let tags = self.task_tags(r, &td_arn)?;
        let family = parse_td_ident(&td_arn)?.0;
        let settings = RunSettings {
            started_by: started_by(r)?,
            group: r.opt_str("group")?.map_or_else(|| format!("family:{family}"), str::to_string),
            overrides,
            enable_execute_command,
            platform_version: r.opt_str("platformVersion")?.map(str::to_string),
            capacity_provider_name: placement.capacity_provider(),
        };
        let now = self.now;
        let mut tasks = Vec::new();
        for _ in 0..count {
            let spec = TaskSpec {
                cluster: &cluster.name,
                service: None,
                deployment_id: None,
                task_definition_arn: &td_arn,
                launch_type: placement.task_launch_type(),
                tags: tags.clone(),
                run: Some(&settings),
            };
            let id = self.launch_task(spec, now);
            tasks.extend(self.tasks.get(&id).map(|t| self.task_json(t, true)));
        }
        self.stats.run_tasks.record(count as u64, settings.started_by.as_deref(), token);
        let task_arns = tasks.iter().filter_map(|t| t["taskArn"].as_str().map(str::to_string)).collect();
        let answer = json!({"tasks": tasks, "failures": []});
        if let Some((cluster, token)) = key {
            let expiry = TimerKind::RunTaskTokenExpiry(cluster.clone(), token.clone(), now);
            let seen = RunToken { fingerprint, answer: answer.clone(), task_arns, used_at: now };
            self.run_tokens.insert((cluster, token), seen);
            self.schedule(now + CLIENT_TOKEN_TTL.as_millis() as u64, expiry);
        }
        Ok(answer)
    }

    /// Forgets a client token first used at `used_at` (its 24 hours are over).
    pub(crate) fn expire_run_token(&mut self, cluster: String, token: String, used_at: u64) {
        let key = (cluster, token);
        if self.run_tokens.get(&key).is_some_and(|t| t.used_at == used_at) {
            self.run_tokens.remove(&key);
        }
    }

    /// The request's `tags`, plus the task definition's with `propagateTags: TASK_DEFINITION`
    /// (the request's win on a shared key).
    fn task_tags(&self, r: Req, td_arn: &str) -> ApiResult<Tags> {
        let sent = parse_tags(r.array("tags")?)?;
        let mut tags = match r.opt_str("propagateTags")? {
            None | Some("NONE") => Tags::new(),
            Some("TASK_DEFINITION") => self.find_revision(td_arn).map(|rev| rev.tags.clone()).unwrap_or_default(),
            // RunTaskRequest.propagateTags: "An error will be received if you specify the SERVICE
            // option when running a task."
            Some("SERVICE") => {
                return Err(ApiError::invalid(
                    "The SERVICE option of propagateTags is not supported when running a task.",
                ));
            }
            Some(other) => {
                return Err(ApiError::invalid(format!(
                    "Invalid propagateTags {other}. Valid values: TASK_DEFINITION, NONE."
                )));
            }
        };
        tags.extend(sent);
        if tags.len() > 50 {
            return Err(ApiError::invalid("Too many tags. A resource can have at most 50 tags."));
        }
        Ok(tags)
    }
}

/// `clientToken`: up to 64 characters in the ASCII range 33-126.
fn client_token<'a>(r: Req<'a>) -> ApiResult<Option<&'a str>> {
    let token = r.opt_str("clientToken")?;
    if token.is_some_and(|t| t.is_empty() || t.len() > 64 || !t.bytes().all(|b| (33..=126).contains(&b))) {
        return Err(ApiError::invalid("clientToken must be 1 to 64 characters in the ASCII range 33-126 (inclusive)."));
    }
    Ok(token)
}

fn started_by(r: Req) -> ApiResult<Option<String>> {
    let Some(s) = r.opt_str("startedBy")? else { return Ok(None) };
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '/' | '_');
    if s.is_empty() || s.chars().count() > MAX_STARTED_BY || !s.chars().all(allowed) {
        return Err(ApiError::invalid(format!(
            "startedBy can have up to {MAX_STARTED_BY} letters (uppercase and lowercase), numbers, hyphens (-), forward slashes (/), and underscores (_)."
        )));
    }
    Ok(Some(s.to_string()))
}

/// Two requests with one token are the same request when they match apart from the token
/// and the cluster (the token is already scoped to the cluster).
fn fingerprint(body: &Value) -> String {
    let mut b = body.clone();
    if let Some(obj) = b.as_object_mut() {
        obj.remove("clientToken");
        obj.remove("cluster");
    }
    canonical(&b)
}

/// ConflictException: "The provided clientToken is already in use with a different RunTask
/// request. The resourceIds are the existing task ARNs which are already associated with the
/// clientToken." (botocore; the message is the simulator's wording).
fn token_conflict(task_arns: &[String]) -> ApiError {
    ApiError::new(
        ErrorKind::Conflict,
        "The clientToken is already in use with a different RunTask request. Run RunTask with a unique clientToken, or with the clientToken and the original set of parameters.",
    )
    .with_member("resourceIds", json!(task_arns))
}

/// `overrides` as sent, checked: members of the right types, every container override naming
/// a container of the task definition (InvalidParameterException "Override for container named
/// <name> is not a container in the TaskDefinition.", as AWS answers), task cpu/memory sizes,
/// and the 8192-character limit. `Value::Null` when none were sent.
fn check_overrides(sent: Option<&Value>, td: &Value) -> ApiResult<Value> {
    let Some(sent) = sent else { return Ok(Value::Null) };
    if !sent.is_object() {
        return Err(ApiError::new(ErrorKind::Serialization, "field overrides must be an object"));
    }
    let r = Req(sent);
    let names: Vec<&str> =
        td["containerDefinitions"].as_array().into_iter().flatten().filter_map(|c| c["name"].as_str()).collect();
    for item in r.array("containerOverrides")? {
        let c = Req(item);
        let name = c.opt_str("name")?.filter(|n| !n.is_empty());
        let name = name.ok_or_else(|| ApiError::invalid("Container.name should not be null or empty."))?;
        if !names.contains(&name) {
            return Err(ApiError::invalid(format!(
                "Override for container named {name} is not a container in the TaskDefinition."
            )));
        }
        c.str_list("command")?;
        for env in c.array("environment")? {
            Req(env).opt_str("name")?;
            Req(env).opt_str("value")?;
        }
        for key in ["cpu", "memory", "memoryReservation"] {
            c.opt_i64(key)?;
        }
    }
    for key in ["taskRoleArn", "executionRoleArn"] {
        r.opt_str(key)?;
    }
    let mut out = sent.clone();
    // Reported as ECS stores task sizes: CPU units and MiB, as numbers in strings.
    if let Some(raw) = r.opt_str("cpu")? {
        let cpu = parse_cpu(raw).ok_or_else(|| ApiError::invalid(format!("Invalid 'cpu' override for task: {raw}")))?;
        out["cpu"] = json!(cpu.to_string());
    }
    if let Some(raw) = r.opt_str("memory")? {
        let mib = parse_memory(raw).ok_or_else(|| ApiError::invalid(format!("Invalid 'memory' override: {raw}")))?;
        out["memory"] = json!(mib.to_string());
    }
    if sent.to_string().len() > MAX_OVERRIDES {
        return Err(ApiError::invalid(format!("Container Overrides length must be at most {MAX_OVERRIDES}")));
    }
    Ok(out)
}
