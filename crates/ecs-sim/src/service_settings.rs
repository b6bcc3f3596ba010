//! Service settings ECS validates and fills in when a request leaves them out, with the
//! source of each default beside it. Pure functions over request bodies and services; the
//! service lifecycle (create, update, delete, describe) lives in `services`.

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
/// supports; AWS's notice of the change (June 2025): "Services that are not compatible — such
/// as those using the binpack placement strategy — will default to false".
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
