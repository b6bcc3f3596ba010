//! Deployment lifecycle hooks: `deploymentConfiguration.lifecycleHooks[]` as CreateService and
//! UpdateService accept it (botocore ecs service-2.json, DeploymentLifecycleHook), the hook runs
//! a service deployment records (DeploymentLifecycleHookDetail) and the outcomes tests script
//! for Lambda hook targets. The stage machine that runs them lives in `service_deployments`.
//!
//! Sources: botocore DeploymentLifecycleHook (targetType, hookTargetArn, roleArn,
//! lifecycleStages, hookDetails, timeoutConfiguration), DeploymentLifecycleHookTimeoutConfiguration,
//! DeploymentLifecycleHookDetail; AWS developer guide "Lifecycle hooks for Amazon ECS service
//! deployments", "Pause hooks for Amazon ECS service deployments" and "Lambda hooks for Amazon
//! ECS service deployments".

use serde_json::{Map, Value, json};

use crate::clock::epoch_seconds;
use crate::error::{ApiError, ApiResult};
use crate::protocol::Req;

/// botocore DeploymentLifecycleHookTargetType.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookTargetType {
    AwsLambda,
    Pause,
}

impl HookTargetType {
    pub fn as_str(self) -> &'static str {
        match self {
            HookTargetType::AwsLambda => "AWS_LAMBDA",
            HookTargetType::Pause => "PAUSE",
        }
    }
}

/// botocore DeploymentLifecycleHookAction: what ContinueServiceDeployment asks for and what a
/// timeout does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookAction {
    Continue,
    Rollback,
}

impl HookAction {
    pub fn as_str(self) -> &'static str {
        match self {
            HookAction::Continue => "CONTINUE",
            HookAction::Rollback => "ROLLBACK",
        }
    }

    pub fn parse(s: &str, member: &str) -> ApiResult<Self> {
        match s {
            "CONTINUE" => Ok(HookAction::Continue),
            "ROLLBACK" => Ok(HookAction::Rollback),
            other => Err(ApiError::invalid(format!("Invalid {member} {other}. Valid values: ROLLBACK, CONTINUE."))),
        }
    }
}

/// botocore DeploymentLifecycleHookStage: the stages a hook can be configured at.
pub const HOOK_STAGES: [&str; 8] = [
    "RECONCILE_SERVICE",
    "PRE_SCALE_UP",
    "POST_SCALE_UP",
    "TEST_TRAFFIC_SHIFT",
    "POST_TEST_TRAFFIC_SHIFT",
    "PRE_PRODUCTION_TRAFFIC_SHIFT",
    "PRODUCTION_TRAFFIC_SHIFT",
    "POST_PRODUCTION_TRAFFIC_SHIFT",
];

/// botocore DeploymentLifecycleHook.lifecycleStages: "PAUSE hooks cannot be configured at
/// TEST_TRAFFIC_SHIFT or PRODUCTION_TRAFFIC_SHIFT stages. These stages are only valid for
/// AWS_LAMBDA hooks."
const NOT_FOR_PAUSE: [&str; 2] = ["TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT"];

/// botocore DeploymentLifecycleHookTimeoutConfiguration.timeoutInMinutes: "Default: 1440 (24
/// hours)"; DeploymentLifecycleHookDuration: min 1, max 20160.
pub const TIMEOUT_DEFAULT_MINUTES: u64 = 1440;
const TIMEOUT_MAX_MINUTES: i64 = 20160;

/// One configured hook, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct HookConfig {
    pub target_type: HookTargetType,
    /// The Lambda function ARN (AWS_LAMBDA only).
    pub target_arn: Option<String>,
    pub stages: Vec<String>,
    pub timeout_minutes: u64,
    pub timeout_action: HookAction,
}

/// Validates `deploymentConfiguration.lifecycleHooks`, returning the hooks and the list as
/// DescribeServices echoes it.
///
/// The echo keeps exactly the members that were sent (normalised to the model's members; an
/// empty list clears the hooks). AWS documents the defaults (targetType AWS_LAMBDA,
/// timeoutInMinutes 1440, action ROLLBACK) as behaviour; no public DescribeServices output with
/// hooks shows them filled in, so they are applied when the hooks run and not echoed — the same
/// choice as for canaryConfiguration and linearConfiguration.
pub fn parse_hooks(v: &Value) -> ApiResult<(Vec<HookConfig>, Value)> {
    let Some(items) = v.as_array() else {
        return Err(ApiError::invalid("lifecycleHooks must be a list of lifecycle hooks."));
    };
    let mut hooks = vec![];
    let mut echo = vec![];
    for item in items {
        let (hook, shown) = parse_hook(item)?;
        hooks.push(hook);
        echo.push(shown);
    }
    Ok((hooks, Value::Array(echo)))
}

fn parse_hook(v: &Value) -> ApiResult<(HookConfig, Value)> {
    if !v.is_object() {
        return Err(ApiError::invalid("Each lifecycle hook must be an object."));
    }
    let r = Req(v);
    let mut shown = Map::new();
    // botocore DeploymentLifecycleHook.targetType: "If not specified, the default value is
    // AWS_LAMBDA."
    let target_type = match r.opt_str("targetType")? {
        None | Some("AWS_LAMBDA") => HookTargetType::AwsLambda,
        Some("PAUSE") => HookTargetType::Pause,
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "Invalid lifecycle hook targetType {other}. Valid values: AWS_LAMBDA, PAUSE."
            )));
        }
    };
    let target_arn = r.opt_str("hookTargetArn")?;
    let role_arn = r.opt_str("roleArn")?;
    match target_type {
        // botocore DeploymentLifecycleHook.hookTargetArn: "This field is not applicable for
        // PAUSE hooks."
        HookTargetType::Pause if target_arn.is_some() => {
            return Err(ApiError::invalid("hookTargetArn is not applicable to a PAUSE lifecycle hook. Remove it."));
        }
        // botocore DeploymentLifecycleHook.hookTargetArn: "You must provide this parameter when
        // configuring an AWS_LAMBDA lifecycle hook."
        HookTargetType::AwsLambda if target_arn.is_none_or(str::is_empty) => {
            return Err(ApiError::invalid("hookTargetArn is required for an AWS_LAMBDA lifecycle hook."));
        }
        // botocore DeploymentLifecycleHook.roleArn: the role "that grants Amazon ECS permission to
        // call Lambda functions on your behalf"; without it ECS cannot invoke the target.
        HookTargetType::AwsLambda if role_arn.is_none_or(str::is_empty) => {
            return Err(ApiError::invalid("roleArn is required for an AWS_LAMBDA lifecycle hook."));
        }
        _ => {}
    }
    // botocore DeploymentLifecycleHook.lifecycleStages: "You must provide this parameter when
    // configuring a deployment lifecycle hook."
    let stages = r.str_list("lifecycleStages")?;
    if stages.is_empty() {
        return Err(ApiError::invalid("lifecycleStages must name at least one lifecycle stage."));
    }
    for stage in &stages {
        if !HOOK_STAGES.contains(&stage.as_str()) {
            return Err(ApiError::invalid(format!(
                "Invalid lifecycle stage {stage}. Valid values: {}.",
                HOOK_STAGES.join(", ")
            )));
        }
        if target_type == HookTargetType::Pause && NOT_FOR_PAUSE.contains(&stage.as_str()) {
            return Err(ApiError::invalid(format!(
                "PAUSE hooks cannot be configured at the {stage} stage. TEST_TRAFFIC_SHIFT and PRODUCTION_TRAFFIC_SHIFT are only valid for AWS_LAMBDA hooks."
            )));
        }
    }
    let mut timeout_minutes = TIMEOUT_DEFAULT_MINUTES;
    // botocore DeploymentLifecycleHookTimeoutConfiguration.action: "Default: ROLLBACK".
    let mut timeout_action = HookAction::Rollback;
    if let Some(t) = r.get("timeoutConfiguration") {
        if !t.is_object() {
            return Err(ApiError::invalid("timeoutConfiguration must be an object."));
        }
        let t = Req(t);
        let mut shown_t = Map::new();
        if let Some(m) = t.opt_i64("timeoutInMinutes")? {
            if !(1..=TIMEOUT_MAX_MINUTES).contains(&m) {
                return Err(ApiError::invalid(format!(
                    "timeoutInMinutes must be between 1 and {TIMEOUT_MAX_MINUTES}, got {m}."
                )));
            }
            timeout_minutes = m as u64;
            shown_t.insert("timeoutInMinutes".into(), json!(m));
        }
        if let Some(a) = t.opt_str("action")? {
            timeout_action = HookAction::parse(a, "timeoutConfiguration.action")?;
            shown_t.insert("action".into(), json!(a));
        }
        shown.insert("timeoutConfiguration".into(), Value::Object(shown_t));
    }
    if let Some(t) = r.opt_str("targetType")? {
        shown.insert("targetType".into(), json!(t));
    }
    if let Some(a) = target_arn {
        shown.insert("hookTargetArn".into(), json!(a));
    }
    if let Some(a) = role_arn {
        shown.insert("roleArn".into(), json!(a));
    }
    shown.insert("lifecycleStages".into(), json!(stages));
    // A JSON document passed to the Lambda function on each invocation; kept as sent.
    if let Some(d) = r.get("hookDetails") {
        shown.insert("hookDetails".into(), d.clone());
    }
    let hook =
        HookConfig { target_type, target_arn: target_arn.map(str::to_string), stages, timeout_minutes, timeout_action };
    Ok((hook, Value::Object(shown)))
}

/// botocore DeploymentLifecycleHookStatus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookStatus {
    AwaitingAction,
    InProgress,
    Succeeded,
    Failed,
    TimedOut,
}

impl HookStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            HookStatus::AwaitingAction => "AWAITING_ACTION",
            HookStatus::InProgress => "IN_PROGRESS",
            HookStatus::Succeeded => "SUCCEEDED",
            HookStatus::Failed => "FAILED",
            HookStatus::TimedOut => "TIMED_OUT",
        }
    }
}

/// What a simulated Lambda hook target answers (`hookStatus` of the function's JSON answer,
/// "Lambda hooks for Amazon ECS service deployments"). Set per function ARN through the admin API;
/// a function nobody scripted answers SUCCEEDED.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LambdaOutcome {
    Succeeded,
    Failed,
    InProgress,
}

impl LambdaOutcome {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "SUCCEEDED" => Ok(LambdaOutcome::Succeeded),
            "FAILED" => Ok(LambdaOutcome::Failed),
            "IN_PROGRESS" => Ok(LambdaOutcome::InProgress),
            other => Err(format!("outcome must be SUCCEEDED, FAILED or IN_PROGRESS, got {other:?}")),
        }
    }
}

/// "Lambda hooks for Amazon ECS service deployments": IN_PROGRESS – "Amazon ECS invokes the
/// function again after a delay. By default, the delay is 30 seconds." (The simulated function
/// never returns a callBackDelay.)
pub const LAMBDA_CALLBACK_DELAY_MS: u64 = 30_000;

/// One hook run in a service deployment (DeploymentLifecycleHookDetail).
#[derive(Debug, Clone)]
pub struct HookRun {
    pub hook_id: String,
    pub stage: &'static str,
    pub target_type: HookTargetType,
    pub target_arn: Option<String>,
    pub status: HookStatus,
    pub expires_at: u64,
    pub timeout_action: HookAction,
    /// Lambda hooks answering IN_PROGRESS: when the function is invoked again.
    pub next_invoke_at: Option<u64>,
}

impl HookRun {
    /// Done as far as the stage is concerned: succeeded, or timed out with CONTINUE.
    pub fn lets_stage_proceed(&self) -> bool {
        match self.status {
            HookStatus::Succeeded => true,
            HookStatus::TimedOut => self.timeout_action == HookAction::Continue,
            _ => false,
        }
    }

    /// How a status reason names the hook: its Lambda ARN, or "PAUSE hook <hookId>".
    pub fn name(&self) -> String {
        match (&self.target_arn, self.target_type) {
            (Some(arn), HookTargetType::AwsLambda) => format!("lifecycle hook {arn}"),
            _ => format!("PAUSE hook {}", self.hook_id),
        }
    }

    pub fn to_json(&self) -> Value {
        json!({
            "hookId": self.hook_id,
            "targetType": self.target_type.as_str(),
            // DeploymentLifecycleHookDetail.targetArn: "For PAUSE hooks, this field is not set."
            "targetArn": self.target_arn,
            "status": self.status.as_str(),
            "expiresAt": epoch_seconds(self.expires_at),
            "timeoutAction": self.timeout_action.as_str(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(v: Value) -> String {
        parse_hooks(&v).expect_err("refused").message
    }

    #[test]
    fn hooks_are_validated() {
        let lambda = "arn:aws:lambda:us-east-1:1:function:f";
        let role = "arn:aws:iam::1:role/r";
        assert!(
            err(json!([{"targetType": "PAUSE", "hookTargetArn": lambda, "lifecycleStages": ["PRE_SCALE_UP"]}]))
                .contains("not applicable")
        );
        assert!(
            err(json!([{"roleArn": role, "lifecycleStages": ["PRE_SCALE_UP"]}])).contains("hookTargetArn is required")
        );
        assert!(
            err(json!([{"hookTargetArn": lambda, "lifecycleStages": ["PRE_SCALE_UP"]}]))
                .contains("roleArn is required")
        );
        assert!(
            err(json!([{"targetType": "PAUSE", "lifecycleStages": ["TEST_TRAFFIC_SHIFT"]}]))
                .contains("cannot be configured")
        );
        assert!(err(json!([{"targetType": "PAUSE", "lifecycleStages": []}])).contains("at least one"));
        assert!(
            err(json!([{"targetType": "PAUSE", "lifecycleStages": ["BAKE_TIME"]}])).contains("Invalid lifecycle stage")
        );
        assert!(err(json!([{"targetType": "HTTP", "lifecycleStages": ["PRE_SCALE_UP"]}])).contains("targetType"));
        let timeout = |t: Value| {
            err(json!([{"targetType": "PAUSE", "lifecycleStages": ["PRE_SCALE_UP"], "timeoutConfiguration": t}]))
        };
        assert!(timeout(json!({"timeoutInMinutes": 0})).contains("between 1 and 20160"));
        assert!(timeout(json!({"timeoutInMinutes": 20161})).contains("between 1 and 20160"));
        assert!(timeout(json!({"action": "ABORT"})).contains("Valid values"));
    }

    #[test]
    fn defaults_apply_but_are_not_echoed() {
        let (hooks, echo) =
            parse_hooks(&json!([{"targetType": "PAUSE", "lifecycleStages": ["POST_SCALE_UP"]}])).expect("valid");
        assert_eq!((hooks[0].timeout_minutes, hooks[0].timeout_action), (1440, HookAction::Rollback));
        assert_eq!(echo, json!([{"targetType": "PAUSE", "lifecycleStages": ["POST_SCALE_UP"]}]));
    }
}
