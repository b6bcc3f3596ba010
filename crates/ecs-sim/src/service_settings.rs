//! Service settings ECS validates and fills in when a request leaves them out, with the
//! source of each default beside it. Pure functions over request bodies and services; the
//! service lifecycle (create, update, delete, describe) lives in `services`.

use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::protocol::Req;
use crate::services::Service;

pub const AZ_REBALANCING_ENABLED: &str = "ENABLED";
pub const AZ_REBALANCING_DISABLED: &str = "DISABLED";

/// `availabilityZoneRebalancing` as sent, if sent: ENABLED or DISABLED.
pub fn az_rebalancing(r: Req) -> ApiResult<Option<String>> {
    match r.opt_str("availabilityZoneRebalancing")? {
        None => Ok(None),
        Some(v @ (AZ_REBALANCING_ENABLED | AZ_REBALANCING_DISABLED)) => Ok(Some(v.to_string())),
        Some(other) => Err(ApiError::invalid(format!(
            "Invalid availabilityZoneRebalancing {other}. Valid values: ENABLED, DISABLED."
        ))),
    }
}

/// The value CreateService stores when the request has none.
///
/// botocore ecs service-2.json, CreateServiceRequest.availabilityZoneRebalancing: "For create
/// service requests, when no value is specified for AvailabilityZoneRebalancing, Amazon ECS
/// defaults the value to ENABLED." ECS applies that default only to services the feature
/// supports: "Amazon ECS defaults to ENABLED if the ECS service is compatible with
/// AvailabilityZoneRebalancing. If the ECS service is not compatible ..., Amazon ECS defaults to
/// DISABLED" (ECS's description of the change in terraform-provider-aws PR 43577/44117), and
/// AWS's notice to customers: "Services that are not compatible — such as those using the
/// binpack placement strategy — will default to false". A value that is sent is stored as sent:
/// nothing AWS publishes says whether an explicit ENABLED on such a service is refused.
pub fn default_az_rebalancing(svc: &Service) -> &'static str {
    if az_rebalancing_supported(svc) { AZ_REBALANCING_ENABLED } else { AZ_REBALANCING_DISABLED }
}

/// Whether Availability Zone rebalancing supports the service. The ECS Developer Guide
/// ("Balancing an Amazon ECS service across Availability Zones") lists REPLICA services
/// whose first placement strategy is Availability Zone spread, or that have none; it rules
/// out DAEMON, the EXTERNAL launch type, maximumPercent 100, Classic Load Balancers and an
/// `attribute:ecs.availability-zone` placement constraint.
pub fn az_rebalancing_supported(svc: &Service) -> bool {
    let az_spread_first = svc.placement_strategy.first().is_none_or(|s| {
        s["type"].as_str() == Some("spread") && s["field"].as_str() == Some("attribute:ecs.availability-zone")
    });
    let classic_lb =
        svc.load_balancers.iter().any(|lb| lb.get("loadBalancerName").is_some() && lb.get("targetGroupArn").is_none());
    let az_constraint = svc
        .placement_constraints
        .iter()
        .any(|c| c["expression"].as_str().is_some_and(|e| e.contains("attribute:ecs.availability-zone")));
    svc.scheduling_strategy == "REPLICA"
        && svc.launch_type.as_deref() != Some("EXTERNAL")
        && svc.deployment_config.maximum_percent > 100
        && az_spread_first
        && !classic_lb
        && !az_constraint
}

/// `deploymentController` as sent, if sent: `{type}` with ECS, CODE_DEPLOY or EXTERNAL.
///
/// botocore ecs service-2.json, CreateServiceRequest.deploymentController: "If no deployment
/// controller is specified, the default value of ECS is used."
pub fn deployment_controller(r: Req) -> ApiResult<Option<Value>> {
    let Some(sent) = r.get("deploymentController") else { return Ok(None) };
    match Req(sent).str("type")? {
        t @ ("ECS" | "CODE_DEPLOY" | "EXTERNAL") => Ok(Some(json!({"type": t}))),
        other => Err(ApiError::invalid(format!(
            "Invalid deploymentController type {other}. Valid values: ECS, CODE_DEPLOY, EXTERNAL."
        ))),
    }
}

pub fn default_deployment_controller() -> Value {
    json!({"type": "ECS"})
}

/// The IAM role a service reports as `roleArn`: the role sent, as an ARN, or the ECS
/// service-linked role when the service needs one, or none.
///
/// botocore ecs service-2.json, CreateServiceRequest.role: "If your account has already
/// created the Amazon ECS service-linked role, that role is used for your service unless you
/// specify a role here. The service-linked role is required if your task definition uses the
/// awsvpc network mode or if the service is configured to use service discovery, an external
/// deployment controller, multiple target groups" (and load balancers use it when no role is
/// given). The simulated account always has it. AWS CLI reference, create-service examples:
/// the Fargate and EXTERNAL services report
/// `arn:aws:iam::<account>:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS`, the
/// EC2 service without a load balancer reports no `roleArn`, and role "ecsServiceRole" is
/// reported as "arn:aws:iam::<account>:role/ecsServiceRole".
pub fn role_arn(account: &str, role: Option<&str>, needs_service_linked_role: bool) -> Option<String> {
    match role {
        Some(arn) if arn.starts_with("arn:") => Some(arn.to_string()),
        Some(name) => Some(format!("arn:aws:iam::{account}:role/{}", name.trim_start_matches('/'))),
        None if needs_service_linked_role => {
            Some(format!("arn:aws:iam::{account}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS"))
        }
        None => None,
    }
}

/// AWS's answer to a `role` on a service whose tasks use awsvpc: such services must use
/// the service-linked role (botocore CreateServiceRequest.role: "The service-linked role is
/// required if your task definition uses the awsvpc network mode ... in which case you don't
/// specify a role here"; the error text is what CreateService answers).
pub fn role_with_awsvpc() -> ApiError {
    ApiError::invalid("You cannot specify an IAM role for services that require a service linked role.")
}

/// The security group ecs-sim's one VPC has by default. ecs-sim models no VPCs (any subnet id
/// is accepted), so every subnet is in that one.
pub const DEFAULT_SECURITY_GROUP: &str = "sg-0def5ec0000000000";

/// `networkConfiguration` as ECS stores it: `awsvpcConfiguration.assignPublicIp` and
/// `securityGroups` filled in.
///
/// botocore ecs service-2.json, AwsVpcConfiguration.assignPublicIp: "When you use
/// create-service or update-service, the default is DISABLED."; AwsVpcConfiguration
/// .securityGroups: "If you don't specify a security group, the default security group for the
/// VPC is used." ECS resolves it when the service is created or updated (containers-roadmap
/// issue 1765: with no default group in the VPC the service ends up with none), so the service
/// describes the default group, and an update that leaves the groups out of its
/// networkConfiguration puts the service on the default group.
pub fn network_configuration(sent: Option<&Value>) -> ApiResult<Option<Value>> {
    let Some(sent) = sent else { return Ok(None) };
    let mut out = sent.clone();
    if let Some(vpc) = out.get_mut("awsvpcConfiguration").filter(|v| v.is_object()) {
        let groups = vpc.get("securityGroups").and_then(Value::as_array);
        if groups.is_none_or(Vec::is_empty) {
            vpc["securityGroups"] = json!([DEFAULT_SECURITY_GROUP]);
        }
        match Req(vpc).opt_str("assignPublicIp")? {
            None => vpc["assignPublicIp"] = json!("DISABLED"),
            Some("ENABLED" | "DISABLED") => {}
            Some(other) => {
                return Err(ApiError::invalid(format!(
                    "Invalid assignPublicIp {other}. Valid values: ENABLED, DISABLED."
                )));
            }
        }
    }
    Ok(Some(out))
}

/// `healthCheckGracePeriodSeconds` as sent, if sent (0 to 2,147,483,647).
///
/// botocore ecs service-2.json, CreateServiceRequest.healthCheckGracePeriodSeconds: "If you do
/// not specify a health check grace period value, the default value of 0 is used."
pub const HEALTH_CHECK_GRACE_PERIOD_DEFAULT: i64 = 0;

pub fn health_check_grace_period(r: Req) -> ApiResult<Option<i64>> {
    match r.opt_i64("healthCheckGracePeriodSeconds")? {
        Some(g) if !(0..=i64::from(i32::MAX)).contains(&g) => {
            Err(ApiError::invalid(format!("healthCheckGracePeriodSeconds must be between 0 and 2147483647, got {g}.")))
        }
        other => Ok(other),
    }
}
