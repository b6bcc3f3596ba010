//! The members CreateExpressGatewayService and UpdateExpressGatewayService take that make up an
//! Express service's configuration (botocore CreateExpressGatewayServiceRequest,
//! UpdateExpressGatewayServiceRequest, ExpressGatewayContainer, ExpressGatewayScalingTarget), each
//! read and validated on its own with AWS's error types; `express_config` fills the defaults in
//! and checks them together. Pure: no simulator state.

use serde_json::{Map, Value, json};

use crate::error::{ApiError, ApiResult, ErrorKind};
use crate::express_config::{
    DEFAULT_MAX_TASKS, DEFAULT_METRIC, DEFAULT_MIN_TASKS, DEFAULT_TARGET_VALUE, ScalingTarget,
};
use crate::protocol::Req;
use crate::td_rules::{parse_cpu, parse_memory};

/// The simulator's limit on a service's desiredCount.
const MAX_TASKS: i64 = 5000;
const METRICS: [&str; 3] = ["AVERAGE_CPU", "AVERAGE_MEMORY", "REQUEST_COUNT_PER_TARGET"];

/// scalingTarget as sent.
#[derive(Debug, Clone, Default)]
pub(crate) struct ScalingMembers {
    min: Option<i64>,
    max: Option<i64>,
    metric: Option<String>,
    target: Option<i64>,
}

/// The configuration members of a Create or Update request, each validated on its own.
#[derive(Debug, Clone, Default)]
pub struct Members {
    pub(crate) execution_role: Option<String>,
    pub(crate) task_role: Option<String>,
    pub(crate) health_check_path: Option<String>,
    pub(crate) container: Option<Value>,
    pub(crate) network: Option<(Vec<String>, Vec<String>)>,
    pub(crate) cpu: Option<u32>,
    pub(crate) memory: Option<u32>,
    pub(crate) scaling: Option<ScalingMembers>,
}

fn invalid(msg: impl Into<String>) -> ApiError {
    ApiError::invalid(msg)
}

fn not_a_structure(key: &str) -> ApiError {
    ApiError::new(ErrorKind::Serialization, format!("field {key} must be a structure"))
}

/// `arn:<partition>:iam::<12 digits>:role/<name>`.
pub fn is_role_arn(s: &str) -> bool {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    let [arn, partition, service, region, account, resource] = parts.as_slice() else { return false };
    *arn == "arn"
        && partition.starts_with("aws")
        && *service == "iam"
        && region.is_empty()
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && resource.strip_prefix("role/").is_some_and(|n| !n.is_empty())
}

/// A role ARN member, if sent: it must be an IAM role ARN.
pub fn role(r: Req, key: &str) -> ApiResult<Option<String>> {
    match r.opt_str(key)? {
        None => Ok(None),
        Some(v) if is_role_arn(v) => Ok(Some(v.to_string())),
        Some(v) => Err(invalid(format!("Invalid {key}: '{v}' is not a valid IAM role ARN."))),
    }
}

fn non_empty<'a>(r: Req<'a>, key: &str, path: &str) -> ApiResult<&'a str> {
    r.opt_str(key)?.filter(|s| !s.trim().is_empty()).ok_or_else(|| invalid(format!("{path}.{key} is required.")))
}

/// primaryContainer, validated, with only the members botocore's ExpressGatewayContainer has.
fn parse_container(v: &Value) -> ApiResult<Value> {
    if !v.is_object() {
        return Err(not_a_structure("primaryContainer"));
    }
    let r = Req(v);
    let mut out = Map::new();
    out.insert("image".into(), json!(non_empty(r, "image", "primaryContainer")?));
    if let Some(p) = r.opt_i64("containerPort")? {
        if !(1..=65535).contains(&p) {
            return Err(invalid(format!("primaryContainer.containerPort must be between 1 and 65535, got {p}.")));
        }
        out.insert("containerPort".into(), json!(p));
    }
    if let Some(logs) = r.get("awsLogsConfiguration") {
        let path = "primaryContainer.awsLogsConfiguration";
        let l = Req(logs);
        let (group, prefix) = (non_empty(l, "logGroup", path)?, non_empty(l, "logStreamPrefix", path)?);
        out.insert("awsLogsConfiguration".into(), json!({"logGroup": group, "logStreamPrefix": prefix}));
    }
    if let Some(creds) = r.get("repositoryCredentials") {
        let param = Req(creds).opt_str("credentialsParameter")?;
        out.insert("repositoryCredentials".into(), json!({"credentialsParameter": param}));
    }
    if r.opt_array("command")?.is_some() {
        out.insert("command".into(), json!(r.str_list("command")?));
    }
    if let Some(env) = r.opt_array("environment")? {
        let pairs = env.iter().map(|e| Ok(json!({"name": Req(e).opt_str("name")?, "value": Req(e).opt_str("value")?})));
        out.insert("environment".into(), Value::Array(pairs.collect::<ApiResult<_>>()?));
    }
    if let Some(secrets) = r.opt_array("secrets")? {
        let path = "primaryContainer.secrets";
        let list = secrets.iter().map(|s| {
            Ok(json!({"name": non_empty(Req(s), "name", path)?, "valueFrom": non_empty(Req(s), "valueFrom", path)?}))
        });
        out.insert("secrets".into(), Value::Array(list.collect::<ApiResult<_>>()?));
    }
    Ok(Value::Object(out))
}

fn task_count(r: Req, key: &str) -> ApiResult<Option<i64>> {
    match r.opt_i64(key)? {
        Some(n) if !(1..=MAX_TASKS).contains(&n) => {
            Err(invalid(format!("scalingTarget.{key} must be between 1 and {MAX_TASKS}, got {n}.")))
        }
        other => Ok(other),
    }
}

fn parse_scaling(v: &Value) -> ApiResult<ScalingMembers> {
    if !v.is_object() {
        return Err(not_a_structure("scalingTarget"));
    }
    let r = Req(v);
    let metric = r.opt_str("autoScalingMetric")?;
    if let Some(m) = metric.filter(|m| !METRICS.contains(m)) {
        return Err(invalid(format!(
            "Invalid scalingTarget.autoScalingMetric {m}. Valid values: {}.",
            METRICS.join(", ")
        )));
    }
    Ok(ScalingMembers {
        min: task_count(r, "minTaskCount")?,
        max: task_count(r, "maxTaskCount")?,
        metric: metric.map(str::to_string),
        target: r.opt_i64("autoScalingTargetValue")?,
    })
}

impl ScalingMembers {
    /// Every member filled in and checked together.
    pub(crate) fn resolve(&self) -> ApiResult<ScalingTarget> {
        let s = ScalingTarget {
            min: self.min.unwrap_or(DEFAULT_MIN_TASKS),
            max: self.max.unwrap_or(DEFAULT_MAX_TASKS),
            metric: self.metric.clone().unwrap_or_else(|| DEFAULT_METRIC.to_string()),
            target: self.target.unwrap_or(DEFAULT_TARGET_VALUE),
        };
        if s.min > s.max {
            return Err(invalid(format!(
                "scalingTarget.minTaskCount ({}) must not be greater than scalingTarget.maxTaskCount ({}).",
                s.min, s.max
            )));
        }
        // CPU and memory targets are utilisation percentages.
        let limit = if s.metric == "REQUEST_COUNT_PER_TARGET" { i64::from(i32::MAX) } else { 100 };
        if !(1..=limit).contains(&s.target) {
            return Err(invalid(format!(
                "scalingTarget.autoScalingTargetValue must be between 1 and {limit} for {}, got {}.",
                s.metric, s.target
            )));
        }
        Ok(s)
    }
}

fn task_size(r: Req, key: &str, parse: fn(&str) -> Option<u32>) -> ApiResult<Option<u32>> {
    match r.opt_str(key)? {
        None => Ok(None),
        Some(raw) => parse(raw).map(Some).ok_or_else(|| invalid(format!("Invalid '{key}' setting for task: {raw}"))),
    }
}

/// Members aws-sdk-ecs 1.157 has that botocore's model (the simulator's source, 1.44.18) lacks: a
/// customer task definition and the CPU architecture. They are refused rather than ignored, so a
/// caller relying on them notices.
const NOT_MODELLED: [&str; 2] = ["taskDefinitionArn", "cpuArchitecture"];

impl Members {
    /// Reads and validates the configuration members of a request (missing ones stay unset).
    pub fn parse(r: Req) -> ApiResult<Self> {
        if let Some(member) = NOT_MODELLED.iter().find(|m| r.get(m).is_some()) {
            return Err(ApiError::new(
                ErrorKind::UnsupportedFeature,
                format!("ecs-sim does not model {member} of Express services (not in botocore's ECS model)."),
            ));
        }
        let health_check_path = r.opt_str("healthCheckPath")?.map(str::to_string);
        if let Some(p) = &health_check_path
            && (!p.starts_with('/') || p.len() > 1024)
        {
            return Err(invalid(format!(
                "Invalid healthCheckPath '{p}': it must start with a forward slash (/) and be at most 1024 characters."
            )));
        }
        let network = match r.get("networkConfiguration") {
            None => None,
            Some(n) if !n.is_object() => return Err(not_a_structure("networkConfiguration")),
            Some(n) => Some((Req(n).str_list("subnets")?, Req(n).str_list("securityGroups")?)),
        };
        Ok(Members {
            execution_role: role(r, "executionRoleArn")?,
            task_role: role(r, "taskRoleArn")?,
            health_check_path,
            container: r.get("primaryContainer").map(parse_container).transpose()?,
            network,
            cpu: task_size(r, "cpu", parse_cpu)?,
            memory: task_size(r, "memory", parse_memory)?,
            scaling: r.get("scalingTarget").map(parse_scaling).transpose()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(v: Value) -> ApiResult<Members> {
        Members::parse(Req(&v))
    }

    #[test]
    fn members_are_validated() {
        let bad = |v: Value| members(v).err().map(|e| e.type_name);
        assert!(bad(json!({"executionRoleArn": "arn:aws:iam::123456789012:user/x"})).is_some());
        assert!(bad(json!({"healthCheckPath": "health"})).is_some());
        assert!(bad(json!({"primaryContainer": {"image": "x", "containerPort": 0}})).is_some());
        assert!(bad(json!({"primaryContainer": {"image": "x", "awsLogsConfiguration": {"logGroup": "g"}}})).is_some());
        assert!(bad(json!({"scalingTarget": {"autoScalingMetric": "LATENCY"}})).is_some());
        assert!(bad(json!({"scalingTarget": {"minTaskCount": 0}})).is_some());
        assert!(bad(json!({"cpu": "lots"})).is_some());
        assert_eq!(bad(json!({"cpuArchitecture": "ARM64"})), Some("UnsupportedFeatureException".to_string()));
        let scaling = members(json!({"scalingTarget": {"minTaskCount": 5, "maxTaskCount": 2}})).unwrap();
        assert!(scaling.scaling.unwrap().resolve().is_err(), "min > max");
    }

    #[test]
    fn role_arns() {
        assert!(is_role_arn("arn:aws:iam::123456789012:role/exec"));
        assert!(is_role_arn("arn:aws-cn:iam::123456789012:role/path/exec"));
        assert!(!is_role_arn("arn:aws:iam::12345:role/x"));
        assert!(!is_role_arn("arn:aws:iam::123456789012:user/x"));
        assert!(!is_role_arn("role/x"));
    }
}
