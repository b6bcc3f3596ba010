//! Task definitions: immutable revisions numbered per family, ACTIVE → INACTIVE
//! (deregister) → DELETE_IN_PROGRESS → gone, with the defaults AWS adds on register.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::clock::epoch_seconds;
use crate::error::{ApiError, ApiResult};
use crate::protocol::{Req, Tags, arn_resource, paginate, parse_tags, tags_json, valid_name};
use crate::state::{State, TimerKind};
use crate::td_rules;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TdStatus {
    Active,
    Inactive,
    DeleteInProgress,
}

impl TdStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TdStatus::Active => "ACTIVE",
            TdStatus::Inactive => "INACTIVE",
            TdStatus::DeleteInProgress => "DELETE_IN_PROGRESS",
        }
    }

    fn parse(s: &str) -> ApiResult<Self> {
        match s {
            "ACTIVE" => Ok(TdStatus::Active),
            "INACTIVE" => Ok(TdStatus::Inactive),
            "DELETE_IN_PROGRESS" => Ok(TdStatus::DeleteInProgress),
            other => Err(ApiError::invalid(format!("Invalid status: {other}"))),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Revision {
    /// The revision as DescribeTaskDefinition returns it (status kept in sync).
    pub body: Value,
    pub status: TdStatus,
    pub tags: Tags,
}

impl Revision {
    fn set_status(&mut self, status: TdStatus) {
        self.status = status;
        self.body["status"] = json!(status.as_str());
    }

    pub fn arn(&self) -> &str {
        self.body["taskDefinitionArn"].as_str().unwrap_or_default()
    }
}

#[derive(Debug, Clone, Default)]
pub struct Family {
    /// Revision numbers are never reused, even after a revision is deleted.
    pub last_revision: u32,
    pub revisions: BTreeMap<u32, Revision>,
}

/// `family`, `family:3` or a task definition ARN.
pub fn parse_td_ident(ident: &str) -> ApiResult<(String, Option<u32>)> {
    let res = arn_resource(ident);
    let res = res.strip_prefix("task-definition/").unwrap_or(res);
    match res.rsplit_once(':') {
        Some((family, rev)) => {
            let rev = rev.parse().map_err(|_| ApiError::client(format!("Invalid revision number. Number: {rev}")))?;
            Ok((family.to_string(), Some(rev)))
        }
        None => Ok((res.to_string(), None)),
    }
}

fn not_found() -> ApiError {
    ApiError::client("Unable to describe task definition.")
}

/// Task-level fields RegisterTaskDefinition accepts and DescribeTaskDefinition echoes.
const TASK_FIELDS: [&str; 16] = [
    "family",
    "taskRoleArn",
    "executionRoleArn",
    "networkMode",
    "containerDefinitions",
    "volumes",
    "placementConstraints",
    "requiresCompatibilities",
    "cpu",
    "memory",
    "pidMode",
    "ipcMode",
    "proxyConfiguration",
    "inferenceAccelerators",
    "ephemeralStorage",
    "runtimePlatform",
];

impl State {
    /// The revision an identifier names: an explicit revision in any state, or the
    /// latest ACTIVE revision of a family.
    pub fn find_revision(&self, ident: &str) -> ApiResult<&Revision> {
        let (family, rev) = parse_td_ident(ident)?;
        let fam = self.families.get(&family).ok_or_else(not_found)?;
        match rev {
            Some(n) => fam.revisions.get(&n).ok_or_else(not_found),
            None => fam.revisions.values().rev().find(|r| r.status == TdStatus::Active).ok_or_else(not_found),
        }
    }

    fn revision_mut(&mut self, ident: &str) -> ApiResult<&mut Revision> {
        let (family, rev) = parse_td_ident(ident)?;
        let rev = rev.ok_or_else(|| ApiError::client("A task definition revision must be specified."))?;
        self.families.get_mut(&family).and_then(|f| f.revisions.get_mut(&rev)).ok_or_else(not_found)
    }

    pub(crate) fn register_task_definition(&mut self, body: &Value) -> ApiResult<Value> {
        let r = Req(body);
        let family = r.str("family")?.to_string();
        if !valid_name(&family) {
            return Err(ApiError::client(
                "Family name can have up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores.",
            ));
        }
        let tags = parse_tags(r.array("tags")?)?;
        let mut td = build_definition(body)?;
        let revision = self.families.get(&family).map_or(0, |f| f.last_revision) + 1;
        td.insert("revision".into(), json!(revision));
        td.insert("taskDefinitionArn".into(), json!(self.ident.task_definition_arn(&family, revision)));
        td.insert("status".into(), json!("ACTIVE"));
        td.insert("registeredAt".into(), epoch_seconds(self.now));
        td.insert("registeredBy".into(), json!(self.ident.caller_arn()));
        let rev = Revision { body: Value::Object(td), status: TdStatus::Active, tags };
        let out = json!({"taskDefinition": rev.body, "tags": tags_json(&rev.tags)});
        let fam = self.families.entry(family.clone()).or_default();
        fam.last_revision = revision;
        fam.revisions.insert(revision, rev);
        self.stats.revisions_per_family.insert(family, revision);
        Ok(out)
    }

    pub(crate) fn describe_task_definition(&mut self, body: &Value) -> ApiResult<Value> {
        let r = Req(body);
        let rev = self.find_revision(r.str("taskDefinition")?)?;
        let mut out = json!({"taskDefinition": rev.body});
        if r.includes("TAGS")? {
            out["tags"] = tags_json(&rev.tags);
        }
        Ok(out)
    }

    pub(crate) fn deregister_task_definition(&mut self, body: &Value) -> ApiResult<Value> {
        let now = self.now;
        let rev = self.revision_mut(Req(body).str("taskDefinition")?)?;
        if rev.status == TdStatus::Active {
            rev.set_status(TdStatus::Inactive);
            rev.body["deregisteredAt"] = epoch_seconds(now);
        }
        Ok(json!({"taskDefinition": rev.body}))
    }

    pub(crate) fn delete_task_definitions(&mut self, body: &Value) -> ApiResult<Value> {
        let idents = Req(body).str_list("taskDefinitions")?;
        if idents.is_empty() || idents.len() > 10 {
            return Err(ApiError::invalid("taskDefinitions must contain between 1 and 10 task definitions."));
        }
        let (mut deleted, mut failures) = (vec![], vec![]);
        for ident in idents {
            match self.request_delete(&ident) {
                Ok(v) => deleted.push(v),
                Err(reason) => failures.push(json!({"arn": ident, "reason": reason})),
            }
        }
        Ok(json!({"taskDefinitions": deleted, "failures": failures}))
    }

    /// Marks one INACTIVE revision DELETE_IN_PROGRESS; the reason string on failure.
    fn request_delete(&mut self, ident: &str) -> Result<Value, String> {
        let now = self.now;
        let delay = self.timings.delete_in_progress.as_millis() as u64;
        let (family, rev) = parse_td_ident(ident).map_err(|e| e.message)?;
        let rev = rev.ok_or("The specified task definition identifier is invalid. Specify a revision.")?;
        let revision = self
            .families
            .get_mut(&family)
            .and_then(|f| f.revisions.get_mut(&rev))
            .ok_or("The specified task definition does not exist.")?;
        if revision.status == TdStatus::Active {
            return Err(
                "The specified task definition is still in ACTIVE status. Please deregister the target and try again."
                    .into(),
            );
        }
        if revision.status == TdStatus::Inactive {
            revision.set_status(TdStatus::DeleteInProgress);
            revision.body["deleteRequestedAt"] = epoch_seconds(now);
        }
        let out = revision.body.clone();
        self.schedule(now + delay, TimerKind::TaskDefinitionDelete(family, rev));
        Ok(out)
    }

    /// Removes a DELETE_IN_PROGRESS revision once no task uses it; AWS keeps it while
    /// tasks still reference it.
    pub(crate) fn finish_task_definition_delete(&mut self, family: &str, revision: u32, at: u64) {
        let arn = self.ident.task_definition_arn(family, revision);
        if self.tasks.values().any(|t| t.task_definition_arn == arn && t.desired_running()) {
            let retry = at + self.timings.delete_in_progress.as_millis() as u64;
            self.schedule(retry, TimerKind::TaskDefinitionDelete(family.to_string(), revision));
            return;
        }
        if let Some(fam) = self.families.get_mut(family) {
            fam.revisions.remove(&revision);
        }
    }

    pub(crate) fn list_task_definitions(&mut self, body: &Value) -> ApiResult<Value> {
        let r = Req(body);
        let status = TdStatus::parse(r.opt_str("status")?.unwrap_or("ACTIVE"))?;
        // Despite its name, familyPrefix matches the family exactly (as documented).
        let family = r.opt_str("familyPrefix")?;
        let mut arns: Vec<String> = self
            .families
            .iter()
            .filter(|(name, _)| family.is_none_or(|f| f == name.as_str()))
            .flat_map(|(_, fam)| fam.revisions.values())
            .filter(|rev| rev.status == status)
            .map(|rev| rev.arn().to_string())
            .collect();
        match r.opt_str("sort")?.unwrap_or("ASC") {
            "ASC" => {}
            "DESC" => arns.reverse(),
            other => return Err(ApiError::invalid(format!("Invalid sort order: {other}"))),
        }
        let (page, next) = paginate(&arns, r.opt_i64("maxResults")?, 100, 100, r.opt_str("nextToken")?)?;
        Ok(json!({"taskDefinitionArns": page, "nextToken": next}))
    }

    pub(crate) fn list_task_definition_families(&mut self, body: &Value) -> ApiResult<Value> {
        let r = Req(body);
        let prefix = r.opt_str("familyPrefix")?.unwrap_or("");
        let status = r.opt_str("status")?.unwrap_or("ACTIVE");
        if !matches!(status, "ACTIVE" | "INACTIVE" | "ALL") {
            return Err(ApiError::invalid(format!("Invalid status: {status}")));
        }
        let names: Vec<String> = self
            .families
            .iter()
            .filter(|(name, fam)| name.starts_with(prefix) && !fam.revisions.is_empty())
            .filter(|(_, fam)| {
                let any_active = fam.revisions.values().any(|r| r.status == TdStatus::Active);
                match status {
                    "ACTIVE" => any_active,
                    "INACTIVE" => !any_active,
                    _ => true,
                }
            })
            .map(|(name, _)| name.clone())
            .collect();
        let (page, next) = paginate(&names, r.opt_i64("maxResults")?, 100, 100, r.opt_str("nextToken")?)?;
        Ok(json!({"families": page, "nextToken": next}))
    }
}

/// Validates a RegisterTaskDefinition request and returns the task definition body with
/// AWS's defaults filled in (revision, ARN and status are added by the caller).
fn build_definition(body: &Value) -> ApiResult<Map<String, Value>> {
    let mut td: Map<String, Value> = TASK_FIELDS
        .iter()
        .filter_map(|k| body.get(*k).filter(|v| !v.is_null()).map(|v| (k.to_string(), v.clone())))
        .collect();
    let (cpu, memory) = td_rules::normalise_task_size(&mut td)?;
    let containers = td.get("containerDefinitions").and_then(Value::as_array).cloned().unwrap_or_default();
    td_rules::check_containers(&containers, memory)?;
    if td_rules::requires_fargate(&td) {
        td_rules::check_fargate(&td, cpu, memory)?;
    }
    if td_rules::requires(&td, "MANAGED_INSTANCES") {
        td_rules::check_managed_instances(&td)?;
    }
    let network_mode = td.get("networkMode").and_then(Value::as_str).unwrap_or("bridge").to_string();
    let mut filled = containers;
    for c in filled.iter_mut() {
        td_rules::container_defaults(c, &network_mode)?;
    }
    td.insert("containerDefinitions".into(), Value::Array(filled));
    td.entry("volumes").or_insert(json!([]));
    td.entry("placementConstraints").or_insert(json!([]));
    let attrs = td_rules::requires_attributes(&td);
    td.insert("requiresAttributes".into(), attrs);
    let compat = td_rules::compatibilities(&td);
    td.insert("compatibilities".into(), compat);
    Ok(td)
}
