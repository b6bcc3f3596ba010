//! Where tasks run, as CreateService and RunTask resolve it: `launchType` or
//! `capacityProviderStrategy` (not both), the cluster's default strategy when neither is sent,
//! EC2 when the cluster has none, and the checks against the task definition (FARGATE and
//! MANAGED_INSTANCES compatibility, the awsvpc network configuration). Shared so both
//! operations answer the same request the same way.

use serde_json::Value;

use crate::capacity_providers::{check_strategy_weights, parse_strategy};
use crate::error::{ApiError, ApiResult};
use crate::protocol::Req;
use crate::service_settings::network_configuration;
use crate::state::State;

/// A request's resolved launch type or capacity provider strategy and network configuration.
#[derive(Debug, Clone)]
pub struct Placement {
    /// The launch type as stored: `None` when the tasks run on `strategy`.
    pub launch_type: Option<String>,
    /// Parsed (weight and base filled in); the cluster's default when the request sent neither.
    pub strategy: Vec<Value>,
    pub fargate: bool,
    pub managed_instances: bool,
    /// `networkConfiguration` with ECS's defaults filled in, if sent.
    pub network: Option<Value>,
}

impl State {
    /// Resolves and checks `launchType`, `capacityProviderStrategy` and `networkConfiguration`
    /// of a request against `cluster` (its name and default strategy) and the task definition
    /// `td`. `cluster_default`: whether a request with neither runs on the cluster's default
    /// strategy (DAEMON services run on EC2 instead).
    pub(crate) fn placement(
        &self,
        r: Req,
        cluster: &str,
        cluster_strategy: &[Value],
        td: &Value,
        cluster_default: bool,
    ) -> ApiResult<Placement> {
        let launch_type = r.opt_str("launchType")?.map(str::to_string);
        if launch_type.as_deref() == Some("MANAGED_INSTANCES") {
            return Err(managed_instances_launch_type());
        }
        let mut strategy = parse_strategy(r.array("capacityProviderStrategy")?)?;
        if launch_type.is_some() && !strategy.is_empty() {
            return Err(ApiError::invalid(
                "Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.",
            ));
        }
        if launch_type.is_none() && strategy.is_empty() && cluster_default {
            strategy = cluster_strategy.to_vec();
        }
        // Neither, and no cluster default strategy: EC2 (the AWS CLI reference's create-service
        // example 2 reports "launchType": "EC2" for a service created with neither).
        let launch_type =
            if launch_type.is_none() && strategy.is_empty() { Some("EC2".to_string()) } else { launch_type };
        self.check_strategy(cluster, &strategy)?;
        let fargate = launch_type.as_deref() == Some("FARGATE") || strategy_is_fargate(&strategy);
        let managed_instances = launch_type.is_none() && self.strategy_is_managed_instances(&strategy);
        let task_launch_type = match (fargate, managed_instances) {
            (true, _) => "FARGATE",
            (_, true) => "MANAGED_INSTANCES",
            _ => launch_type.as_deref().unwrap_or("EC2"),
        }
        .to_string();
        check_launch_compatibility(td, &task_launch_type)?;
        let network = network_configuration(r.get("networkConfiguration"))?;
        check_network(td, network.as_ref())?;
        Ok(Placement { launch_type, strategy, fargate, managed_instances, network })
    }

    /// Strategy items must name providers associated with the cluster.
    pub(crate) fn check_strategy(&self, cluster: &str, strategy: &[Value]) -> ApiResult<()> {
        check_strategy_weights(strategy)?;
        let providers = self.clusters.get(cluster).map(|c| c.capacity_providers.as_slice()).unwrap_or_default();
        check_strategy_providers(strategy, providers)
    }
}

/// Every item of `strategy` names one of `providers` (a cluster's capacity providers).
pub(crate) fn check_strategy_providers(strategy: &[Value], providers: &[String]) -> ApiResult<()> {
    for item in strategy {
        let name = Req(item).str("capacityProvider")?;
        if !providers.iter().any(|p| p == name) {
            return Err(ApiError::invalid(format!(
                "The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again. ({name})"
            )));
        }
    }
    Ok(())
}

pub(crate) fn strategy_is_fargate(strategy: &[Value]) -> bool {
    strategy.iter().any(|s| s["capacityProvider"].as_str().is_some_and(|p| p.starts_with("FARGATE")))
}

/// A revision runs on FARGATE or MANAGED_INSTANCES only when its `compatibilities` lists it
/// (registered with that `requiresCompatibilities`).
pub(crate) fn check_launch_compatibility(td: &Value, launch_type: &str) -> ApiResult<()> {
    if !matches!(launch_type, "FARGATE" | "MANAGED_INSTANCES") {
        return Ok(());
    }
    let compatible =
        td["compatibilities"].as_array().is_some_and(|c| c.iter().any(|x| x.as_str() == Some(launch_type)));
    if !compatible {
        return Err(ApiError::invalid(format!("Task definition does not support launch_type {launch_type}.")));
    }
    Ok(())
}

/// botocore CreateServiceRequest.launchType (and RunTaskRequest.launchType): "If you want to
/// use Amazon ECS Managed Instances, you must use the capacityProviderStrategy request parameter
/// and omit the launchType request parameter."
fn managed_instances_launch_type() -> ApiError {
    ApiError::invalid(
        "launchType MANAGED_INSTANCES is not supported: to use Amazon ECS Managed Instances, specify a capacityProviderStrategy with a Managed Instances capacity provider and omit launchType.",
    )
}

/// An awsvpc task definition needs a network configuration with subnets.
pub(crate) fn check_network(td: &Value, network: Option<&Value>) -> ApiResult<()> {
    if td["networkMode"].as_str() != Some("awsvpc") {
        return Ok(());
    }
    let subnets = network.and_then(|n| n.pointer("/awsvpcConfiguration/subnets")).and_then(Value::as_array);
    match subnets {
        None => {
            Err(ApiError::invalid("Network Configuration must be provided when networkMode 'awsvpc' is specified."))
        }
        Some(s) if s.is_empty() => Err(ApiError::invalid("subnets can not be empty.")),
        Some(_) => Ok(()),
    }
}
