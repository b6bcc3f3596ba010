//! ECSExpressService ↔ SDK: the Create and Update requests (from the canonical spec, so every
//! managed value is sent, defaults included), the spec ECS describes (its newest active
//! configuration), and the managed resources of a service revision, flattened for the status.

use aws_sdk_ecs::operation::create_express_gateway_service::CreateExpressGatewayServiceInput;
use aws_sdk_ecs::operation::update_express_gateway_service::UpdateExpressGatewayServiceInput;
use aws_sdk_ecs::types;

use super::task_definition::{key_value_from_sdk, key_value_to_sdk, secret_from_sdk, secret_to_sdk};
use super::{ConvertError, built, list, tags_to_sdk, try_list, try_list_at};
use crate::crd::common::{Policies, Tags};
use crate::crd::express::{
    ECSExpressServiceSpec, ExpressContainer, ExpressLogs, ExpressNetworkConfiguration, ExpressRepositoryCredentials,
    ExpressScalingMetric, ExpressScalingTarget, ManagedResourceStatus,
};

/// CreateExpressGatewayService for the canonical `spec`, named `name` in `cluster`.
pub fn create_express_input(
    spec: &ECSExpressServiceSpec,
    name: &str,
    cluster: &str,
    ownership: &Tags,
) -> Result<CreateExpressGatewayServiceInput, ConvertError> {
    let input = CreateExpressGatewayServiceInput::builder()
        .service_name(name)
        .cluster(cluster)
        .execution_role_arn(&spec.execution_role_arn)
        .infrastructure_role_arn(&spec.infrastructure_role_arn)
        .set_task_role_arn(spec.task_role_arn.clone())
        .primary_container(container_to_sdk(&spec.primary_container)?)
        .set_cpu(spec.cpu.clone())
        .set_memory(spec.memory.clone())
        .set_health_check_path(spec.health_check_path.clone())
        .set_scaling_target(spec.scaling_target.as_ref().map(scaling_to_sdk))
        .set_network_configuration(spec.network_configuration.as_ref().map(network_to_sdk))
        .set_tags(tags_to_sdk(spec.tags.as_ref(), ownership))
        .build();
    built("CreateExpressGatewayServiceInput", input)
}

/// UpdateExpressGatewayService with every member the update takes, from the canonical `spec`:
/// ECS replaces each structure sent whole.
pub fn update_express_input(
    spec: &ECSExpressServiceSpec,
    service_arn: &str,
) -> Result<UpdateExpressGatewayServiceInput, ConvertError> {
    let input = UpdateExpressGatewayServiceInput::builder()
        .service_arn(service_arn)
        .execution_role_arn(&spec.execution_role_arn)
        .set_task_role_arn(spec.task_role_arn.clone())
        .primary_container(container_to_sdk(&spec.primary_container)?)
        .set_cpu(spec.cpu.clone())
        .set_memory(spec.memory.clone())
        .set_health_check_path(spec.health_check_path.clone())
        .set_scaling_target(spec.scaling_target.as_ref().map(scaling_to_sdk))
        .set_network_configuration(spec.network_configuration.as_ref().map(network_to_sdk))
        .build();
    built("UpdateExpressGatewayServiceInput", input)
}

fn container_to_sdk(c: &ExpressContainer) -> Result<types::ExpressGatewayContainer, ConvertError> {
    let logs = c
        .aws_logs_configuration
        .as_ref()
        .map(|l| {
            built(
                "ExpressGatewayServiceAwsLogsConfiguration",
                types::ExpressGatewayServiceAwsLogsConfiguration::builder()
                    .log_group(&l.log_group)
                    .log_stream_prefix(&l.log_stream_prefix)
                    .build(),
            )
        })
        .transpose()?;
    let credentials = c.repository_credentials.as_ref().map(|r| {
        types::ExpressGatewayRepositoryCredentials::builder().credentials_parameter(&r.credentials_parameter).build()
    });
    built(
        "ExpressGatewayContainer",
        types::ExpressGatewayContainer::builder()
            .image(&c.image)
            .set_container_port(c.container_port)
            .set_aws_logs_configuration(logs)
            .set_repository_credentials(credentials)
            .set_command(c.command.clone())
            .set_environment(list(c.environment.as_deref(), key_value_to_sdk))
            .set_secrets(try_list(c.secrets.as_deref(), secret_to_sdk)?)
            .build(),
    )
}

fn scaling_to_sdk(s: &ExpressScalingTarget) -> types::ExpressGatewayScalingTarget {
    types::ExpressGatewayScalingTarget::builder()
        .set_min_task_count(s.min_task_count)
        .set_max_task_count(s.max_task_count)
        .set_auto_scaling_metric(s.auto_scaling_metric.map(metric_to_sdk))
        .set_auto_scaling_target_value(s.auto_scaling_target_value)
        .build()
}

fn metric_to_sdk(m: ExpressScalingMetric) -> types::ExpressGatewayServiceScalingMetric {
    match m {
        ExpressScalingMetric::AverageCpu => types::ExpressGatewayServiceScalingMetric::AverageCpuUtilization,
        ExpressScalingMetric::AverageMemory => types::ExpressGatewayServiceScalingMetric::AverageMemoryUtilization,
        ExpressScalingMetric::RequestCountPerTarget => types::ExpressGatewayServiceScalingMetric::RequestCountPerTarget,
    }
}

fn network_to_sdk(n: &ExpressNetworkConfiguration) -> types::ExpressGatewayServiceNetworkConfiguration {
    types::ExpressGatewayServiceNetworkConfiguration::builder()
        .set_subnets(Some(n.subnets.clone()))
        .set_security_groups(n.security_groups.clone())
        .build()
}

/// The newest of the service's active configurations: the one ECS rolls to (or has rolled
/// back to).
pub fn newest_configuration(
    service: &types::EcsExpressGatewayService,
) -> Option<&types::ExpressGatewayServiceConfiguration> {
    service.active_configurations().iter().max_by_key(|c| c.created_at().map(|t| t.as_nanos()).unwrap_or_default())
}

/// The spec ECS describes: the service's identity and its newest active configuration. AWS
/// values are reported as they are; canonicalisation is the caller's.
pub fn express_spec_from_sdk(service: &types::EcsExpressGatewayService) -> Result<ECSExpressServiceSpec, ConvertError> {
    let at = "activeConfigurations";
    let config = newest_configuration(service).ok_or_else(|| ConvertError::MissingField { field: at.into() })?;
    let container = config
        .primary_container()
        .ok_or_else(|| ConvertError::MissingField { field: format!("{at}.primaryContainer") })?;
    Ok(ECSExpressServiceSpec {
        service_name: service.service_name().map(str::to_owned),
        cluster: service.cluster().map(str::to_owned),
        cluster_ref: None,
        execution_role_arn: config.execution_role_arn().unwrap_or_default().to_owned(),
        infrastructure_role_arn: service.infrastructure_role_arn().unwrap_or_default().to_owned(),
        task_role_arn: config.task_role_arn().map(str::to_owned),
        primary_container: container_from_sdk(container, &format!("{at}.primaryContainer"))?,
        cpu: config.cpu().map(str::to_owned),
        memory: config.memory().map(str::to_owned),
        health_check_path: config.health_check_path().map(str::to_owned),
        scaling_target: config
            .scaling_target()
            .map(|s| -> Result<_, ConvertError> {
                Ok(ExpressScalingTarget {
                    min_task_count: s.min_task_count(),
                    max_task_count: s.max_task_count(),
                    auto_scaling_metric: s
                        .auto_scaling_metric()
                        .map(|m| {
                            metric_from_sdk(m).ok_or_else(|| ConvertError::UnsupportedValue {
                                field: format!("{at}.scalingTarget.autoScalingMetric"),
                                value: m.as_str().to_owned(),
                            })
                        })
                        .transpose()?,
                    auto_scaling_target_value: s.auto_scaling_target_value(),
                })
            })
            .transpose()?,
        network_configuration: config.network_configuration().map(|n| ExpressNetworkConfiguration {
            subnets: n.subnets().to_vec(),
            security_groups: Some(n.security_groups().to_vec()).filter(|g| !g.is_empty()),
        }),
        tags: None,
        policies: Policies::default(),
    })
}

fn container_from_sdk(c: &types::ExpressGatewayContainer, at: &str) -> Result<ExpressContainer, ConvertError> {
    Ok(ExpressContainer {
        image: c.image().to_owned(),
        container_port: c.container_port(),
        aws_logs_configuration: c.aws_logs_configuration().map(|l| ExpressLogs {
            log_group: l.log_group().to_owned(),
            log_stream_prefix: l.log_stream_prefix().to_owned(),
        }),
        repository_credentials: c.repository_credentials().and_then(|r| {
            r.credentials_parameter().map(|p| ExpressRepositoryCredentials { credentials_parameter: p.to_owned() })
        }),
        command: Some(c.command().to_vec()).filter(|v| !v.is_empty()),
        environment: try_list_at(Some(c.environment()), &format!("{at}.environment"), key_value_from_sdk)?,
        secrets: list(Some(c.secrets()), secret_from_sdk),
    })
}

fn metric_from_sdk(m: &types::ExpressGatewayServiceScalingMetric) -> Option<ExpressScalingMetric> {
    match m {
        types::ExpressGatewayServiceScalingMetric::AverageCpuUtilization => Some(ExpressScalingMetric::AverageCpu),
        types::ExpressGatewayServiceScalingMetric::AverageMemoryUtilization => {
            Some(ExpressScalingMetric::AverageMemory)
        }
        types::ExpressGatewayServiceScalingMetric::RequestCountPerTarget => {
            Some(ExpressScalingMetric::RequestCountPerTarget)
        }
        _ => None,
    }
}

/// Every resource ECS made for a revision, one entry each, in a fixed order.
pub fn managed_resources(resources: &types::EcsManagedResources) -> Vec<ManagedResourceStatus> {
    let mut out = Vec::new();
    let mut add = |kind: &str, arn: Option<&str>, status: &types::ManagedResourceStatus, reason: Option<&str>| {
        out.push(ManagedResourceStatus {
            kind: kind.to_owned(),
            arn: arn.map(str::to_owned),
            status: status.as_str().to_owned(),
            status_reason: reason.map(str::to_owned),
        })
    };
    for path in resources.ingress_paths() {
        if let Some(lb) = path.load_balancer() {
            add("LoadBalancer", lb.arn(), lb.status(), lb.status_reason());
        }
        for sg in path.load_balancer_security_groups() {
            add("LoadBalancerSecurityGroup", sg.arn(), sg.status(), sg.status_reason());
        }
        if let Some(c) = path.certificate() {
            add("Certificate", c.arn(), c.status(), c.status_reason());
        }
        if let Some(l) = path.listener() {
            add("Listener", l.arn(), l.status(), l.status_reason());
        }
        if let Some(r) = path.rule() {
            add("ListenerRule", r.arn(), r.status(), r.status_reason());
        }
        for tg in path.target_groups() {
            add("TargetGroup", tg.arn(), tg.status(), tg.status_reason());
        }
    }
    if let Some(scaling) = resources.auto_scaling() {
        if let Some(t) = scaling.scalable_target() {
            add("ScalableTarget", t.arn(), t.status(), t.status_reason());
        }
        for p in scaling.application_auto_scaling_policies() {
            add("ScalingPolicy", p.arn(), p.status(), p.status_reason());
        }
    }
    for a in resources.metric_alarms() {
        add("MetricAlarm", a.arn(), a.status(), a.status_reason());
    }
    for sg in resources.service_security_groups() {
        add("ServiceSecurityGroup", sg.arn(), sg.status(), sg.status_reason());
    }
    for g in resources.log_groups() {
        add("LogGroup", g.arn(), g.status(), g.status_reason());
    }
    out
}
