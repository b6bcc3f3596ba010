//! Call statistics the admin API reports: calls, throttled calls, injected errors and
//! errors returned per operation, and duplicate service creates (a second live service
//! carrying the same owner tag — the failure the operator's idempotency must prevent).

use std::collections::BTreeMap;

use serde::Serialize;

/// The tag whose value identifies the Kubernetes object that owns an ECS resource.
pub const OWNER_TAG: &str = "ecs.operator.dev/owner";

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OpStats {
    pub calls: u64,
    pub throttled: u64,
    pub injected_errors: u64,
    pub errors: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DuplicateCreate {
    pub owner: String,
    pub existing_service_arn: String,
    pub new_service_arn: String,
}

/// A snapshot for `GET /_sim/stats` and `SimHandle::stats()`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    pub operations: BTreeMap<String, OpStats>,
    pub total_calls: u64,
    pub total_throttled: u64,
    pub total_injected_errors: u64,
    pub duplicate_creates: Vec<DuplicateCreate>,
    /// Highest revision registered per task definition family.
    pub revisions_per_family: BTreeMap<String, u32>,
    /// Tasks RunTask started.
    pub run_tasks: RunTaskCounts,
    /// ECS and Application Auto Scaling calls by principal (`default`, or the assumed-role
    /// ARN whose STS credentials signed them), then by `<region>/<operation>`.
    pub callers: BTreeMap<String, BTreeMap<String, u64>>,
}

/// Tasks RunTask started (a repeated request answered from its client token starts none), in
/// all, by `startedBy` and by `clientToken` (the SDKs send a generated one when the caller
/// gives none). For `GET /_sim/tasks`: "exactly one task was started for this job".
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunTaskCounts {
    pub tasks_started: u64,
    pub by_started_by: BTreeMap<String, u64>,
    pub by_client_token: BTreeMap<String, u64>,
}

impl RunTaskCounts {
    pub fn record(&mut self, started: u64, started_by: Option<&str>, client_token: Option<&str>) {
        self.tasks_started += started;
        if let Some(s) = started_by {
            *self.by_started_by.entry(s.to_string()).or_default() += started;
        }
        if let Some(t) = client_token {
            *self.by_client_token.entry(t.to_string()).or_default() += started;
        }
    }
}

impl Stats {
    pub fn op(&mut self, op: &str) -> &mut OpStats {
        self.operations.entry(op.to_string()).or_default()
    }

    pub fn record_caller(&mut self, principal: &str, region: &str, op: &str) {
        *self.callers.entry(principal.to_owned()).or_default().entry(format!("{region}/{op}")).or_default() += 1;
    }

    pub fn record_call(&mut self, op: &str) {
        self.op(op).calls += 1;
        self.total_calls += 1;
    }

    pub fn record_throttled(&mut self, op: &str) {
        self.op(op).throttled += 1;
        self.total_throttled += 1;
    }

    pub fn record_injected(&mut self, op: &str) {
        self.op(op).injected_errors += 1;
        self.total_injected_errors += 1;
    }

    pub fn record_error(&mut self, op: &str) {
        self.op(op).errors += 1;
    }

    pub fn calls(&self, op: &str) -> u64 {
        self.operations.get(op).map_or(0, |s| s.calls)
    }
}
