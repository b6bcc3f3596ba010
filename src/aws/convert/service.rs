//! `ECSServiceSpec` ↔ CreateService / UpdateService inputs and the `Service` that
//! DescribeServices returns.
//!
//! The spec's references (`clusterRef`, `taskDefinitionRef`, a family name in
//! `taskDefinition`) are resolved by the controller; conversions take the resolved values in
//! a [`ServiceTarget`] and never read the references. `autoscaling` is Application Auto
//! Scaling, not ECS: it is neither sent nor read here.

use aws_sdk_ecs::operation::create_service::CreateServiceInput;
use aws_sdk_ecs::operation::update_service::UpdateServiceInput;
use aws_sdk_ecs::types;

use super::service_attachments as attachments;
use super::{
    ConvertError, SdkEnum, built, child, enum_from_sdk, list, opt_enum_from_sdk, opt_enum_to_sdk, required,
    tags_to_sdk, try_list, try_list_at, user_tags_from_sdk,
};
use crate::crd::common::Tags;
use crate::crd::service::{
    AdvancedConfiguration, AwsVpcConfiguration, CanaryConfiguration, CapacityProviderStrategyItem, DeploymentAlarms,
    DeploymentCircuitBreaker, DeploymentConfiguration, DeploymentController, ECSServiceSpec, HookTimeout,
    LifecycleHook, LinearConfiguration, LoadBalancer, NetworkConfiguration, PlacementConstraint, PlacementStrategy,
    ServiceRegistry,
};

/// The resolved identity of a service: what the spec's references point at.
#[derive(Clone, Copy, Debug)]
pub struct ServiceTarget<'a> {
    /// Cluster ARN (or name).
    pub cluster: &'a str,
    /// `spec.serviceName` or the object name.
    pub service_name: &'a str,
    /// The task definition revision ARN the service is pinned to.
    pub task_definition_arn: &'a str,
}

// ---- spec → CreateService / UpdateService ----------------------------------------------------

/// The CreateService request. `client_token` makes a retried create idempotent (the
/// controller derives it from the object UID and spec hash); `ownership_tags` join the user's.
pub fn create_service_input(
    spec: &ECSServiceSpec,
    target: &ServiceTarget<'_>,
    ownership_tags: &Tags,
    client_token: Option<&str>,
) -> Result<CreateServiceInput, ConvertError> {
    let input = CreateServiceInput::builder()
        .cluster(target.cluster)
        .service_name(target.service_name)
        .task_definition(target.task_definition_arn)
        .set_client_token(client_token.map(str::to_owned))
        .set_availability_zone_rebalancing(opt_enum_to_sdk(spec.availability_zone_rebalancing))
        .set_load_balancers(list(spec.load_balancers.as_deref(), load_balancer_to_sdk))
        .set_service_registries(list(spec.service_registries.as_deref(), registry_to_sdk))
        .set_desired_count(spec.desired_count)
        .set_launch_type(opt_enum_to_sdk(spec.launch_type))
        .set_capacity_provider_strategy(capacity_provider_strategy_to_sdk(spec.capacity_provider_strategy.as_deref())?)
        .set_platform_version(spec.platform_version.clone())
        .set_deployment_configuration(spec.deployment_configuration.as_ref().map(deployment_to_sdk).transpose()?)
        .set_placement_constraints(list(spec.placement_constraints.as_deref(), constraint_to_sdk))
        .set_placement_strategy(list(spec.placement_strategy.as_deref(), strategy_to_sdk))
        .set_network_configuration(spec.network_configuration.as_ref().map(network_to_sdk).transpose()?)
        .set_health_check_grace_period_seconds(spec.health_check_grace_period_seconds)
        .set_scheduling_strategy(opt_enum_to_sdk(spec.scheduling_strategy))
        .set_deployment_controller(spec.deployment_controller.as_ref().map(controller_to_sdk).transpose()?)
        .set_tags(tags_to_sdk(spec.tags.as_ref(), ownership_tags))
        .set_enable_ecs_managed_tags(spec.enable_ecs_managed_tags)
        .set_propagate_tags(opt_enum_to_sdk(spec.propagate_tags))
        .set_enable_execute_command(spec.enable_execute_command)
        .set_service_connect_configuration(
            spec.service_connect_configuration.as_deref().map(attachments::service_connect_to_sdk).transpose()?,
        )
        .set_volume_configurations(attachments::volume_configurations_to_sdk(spec.volume_configurations.as_deref())?)
        .set_vpc_lattice_configurations(attachments::lattice_to_sdk(spec.vpc_lattice_configurations.as_deref())?)
        .build();
    built("CreateServiceInput", input)
}

/// The UpdateService request for a canonical spec (every default written in, see
/// `canonical::defaults`), sending the top-level `fields` that differ in ECS. A field sent is
/// sent whole and explicit: a default goes out as that default, a removed list as an empty one
/// (ECS reads an omitted field as "unchanged", so a removal must be said).
///
/// `desiredCount` is absent from the canonical spec while `spec.autoscaling` is set: the scaler
/// owns the count then. Launch type, scheduling strategy, service name and tags cannot change
/// through UpdateService; the task definition is always sent.
pub fn update_service_input(
    canonical: &ECSServiceSpec,
    target: &ServiceTarget<'_>,
    force_new_deployment: bool,
    fields: &[String],
) -> Result<UpdateServiceInput, ConvertError> {
    let send = |name: &str| fields.iter().any(|f| f == name);
    let spec = canonical;
    let input = UpdateServiceInput::builder()
        .cluster(target.cluster)
        .service(target.service_name)
        .task_definition(target.task_definition_arn)
        .set_desired_count(spec.desired_count.filter(|_| send("desiredCount")))
        .set_capacity_provider_strategy(if send("capacityProviderStrategy") {
            Some(capacity_provider_strategy_to_sdk(spec.capacity_provider_strategy.as_deref())?.unwrap_or_default())
        } else {
            None
        })
        .set_deployment_configuration(
            spec.deployment_configuration
                .as_ref()
                .filter(|_| send("deploymentConfiguration"))
                .map(deployment_to_sdk)
                .transpose()?,
        )
        .set_availability_zone_rebalancing(
            opt_enum_to_sdk(spec.availability_zone_rebalancing).filter(|_| send("availabilityZoneRebalancing")),
        )
        .set_network_configuration(
            spec.network_configuration
                .as_ref()
                .filter(|_| send("networkConfiguration"))
                .map(network_to_sdk)
                .transpose()?,
        )
        .set_placement_constraints(
            send("placementConstraints")
                .then(|| list(spec.placement_constraints.as_deref(), constraint_to_sdk).unwrap_or_default()),
        )
        .set_placement_strategy(
            send("placementStrategy")
                .then(|| list(spec.placement_strategy.as_deref(), strategy_to_sdk).unwrap_or_default()),
        )
        // Canonical absent is LATEST; sending it is how a pinned version is taken out.
        .set_platform_version(send("platformVersion").then(|| {
            spec.platform_version.clone().unwrap_or_else(|| crate::canonical::service::LATEST_PLATFORM_VERSION.into())
        }))
        // ECS refuses a capacity provider strategy change without a new deployment.
        .force_new_deployment(force_new_deployment || send("capacityProviderStrategy"))
        .set_health_check_grace_period_seconds(
            spec.health_check_grace_period_seconds.filter(|_| send("healthCheckGracePeriodSeconds")),
        )
        .set_deployment_controller(
            spec.deployment_controller
                .as_ref()
                .filter(|_| send("deploymentController"))
                .map(controller_to_sdk)
                .transpose()?,
        )
        .set_enable_execute_command(spec.enable_execute_command.filter(|_| send("enableExecuteCommand")))
        .set_enable_ecs_managed_tags(spec.enable_ecs_managed_tags.filter(|_| send("enableEcsManagedTags")))
        .set_load_balancers(
            send("loadBalancers")
                .then(|| list(spec.load_balancers.as_deref(), load_balancer_to_sdk).unwrap_or_default()),
        )
        .set_propagate_tags(opt_enum_to_sdk(spec.propagate_tags).filter(|_| send("propagateTags")))
        .set_service_registries(
            send("serviceRegistries")
                .then(|| list(spec.service_registries.as_deref(), registry_to_sdk).unwrap_or_default()),
        )
        // Each of these three starts a new deployment in ECS when it differs.
        .set_service_connect_configuration(
            spec.service_connect_configuration
                .as_deref()
                .filter(|_| send("serviceConnectConfiguration"))
                .map(attachments::service_connect_to_sdk)
                .transpose()?,
        )
        .set_volume_configurations(if send("volumeConfigurations") {
            Some(attachments::volume_configurations_to_sdk(spec.volume_configurations.as_deref())?.unwrap_or_default())
        } else {
            None
        })
        .set_vpc_lattice_configurations(if send("vpcLatticeConfigurations") {
            Some(attachments::lattice_to_sdk(spec.vpc_lattice_configurations.as_deref())?.unwrap_or_default())
        } else {
            None
        })
        .build();
    built("UpdateServiceInput", input)
}

/// Shared with clusters (`defaultCapacityProviderStrategy`).
pub(crate) fn capacity_provider_strategy_to_sdk(
    items: Option<&[CapacityProviderStrategyItem]>,
) -> Result<Option<Vec<types::CapacityProviderStrategyItem>>, ConvertError> {
    try_list(items, |i| {
        built(
            "CapacityProviderStrategyItem",
            types::CapacityProviderStrategyItem::builder()
                .capacity_provider(&i.capacity_provider)
                .set_weight(i.weight)
                .set_base(i.base)
                .build(),
        )
    })
}

/// ECS always reports weight and base (0 when unset); they come back as set values.
pub(crate) fn capacity_provider_strategy_from_sdk(
    items: Option<&[types::CapacityProviderStrategyItem]>,
) -> Option<Vec<CapacityProviderStrategyItem>> {
    list(items, |i| CapacityProviderStrategyItem {
        capacity_provider: i.capacity_provider.clone(),
        weight: Some(i.weight),
        base: Some(i.base),
    })
}

fn load_balancer_to_sdk(lb: &LoadBalancer) -> types::LoadBalancer {
    types::LoadBalancer::builder()
        .set_target_group_arn(lb.target_group_arn.clone())
        .set_load_balancer_name(lb.load_balancer_name.clone())
        .container_name(&lb.container_name)
        .container_port(lb.container_port)
        .set_advanced_configuration(lb.advanced_configuration.as_ref().map(|a| {
            types::AdvancedConfiguration::builder()
                .alternate_target_group_arn(&a.alternate_target_group_arn)
                .production_listener_rule(&a.production_listener_rule)
                .set_test_listener_rule(a.test_listener_rule.clone())
                .role_arn(&a.role_arn)
                .build()
        }))
        .build()
}

fn registry_to_sdk(r: &ServiceRegistry) -> types::ServiceRegistry {
    types::ServiceRegistry::builder()
        .registry_arn(&r.registry_arn)
        .set_port(r.port)
        .set_container_name(r.container_name.clone())
        .set_container_port(r.container_port)
        .build()
}

fn deployment_to_sdk(d: &DeploymentConfiguration) -> Result<types::DeploymentConfiguration, ConvertError> {
    let alarms = d
        .alarms
        .as_ref()
        .map(|a| {
            built(
                "DeploymentAlarms",
                types::DeploymentAlarms::builder()
                    .set_alarm_names(Some(a.alarm_names.clone()))
                    .enable(a.enable)
                    .rollback(a.rollback)
                    .build(),
            )
        })
        .transpose()?;
    Ok(types::DeploymentConfiguration::builder()
        .set_minimum_healthy_percent(d.minimum_healthy_percent)
        .set_maximum_percent(d.maximum_percent)
        .set_deployment_circuit_breaker(
            d.deployment_circuit_breaker
                .as_ref()
                .map(|b| types::DeploymentCircuitBreaker::builder().enable(b.enable).rollback(b.rollback).build()),
        )
        .set_alarms(alarms)
        .set_strategy(opt_enum_to_sdk(d.strategy))
        .set_bake_time_in_minutes(d.bake_time_in_minutes)
        .set_linear_configuration(d.linear_configuration.as_ref().map(|l| {
            types::LinearConfiguration::builder()
                .step_percent(l.step_percent)
                .set_step_bake_time_in_minutes(l.step_bake_time_in_minutes)
                .build()
        }))
        .set_canary_configuration(d.canary_configuration.as_ref().map(|c| {
            types::CanaryConfiguration::builder()
                .canary_percent(c.canary_percent)
                .set_canary_bake_time_in_minutes(c.canary_bake_time_in_minutes)
                .build()
        }))
        .set_lifecycle_hooks(list(d.lifecycle_hooks.as_deref(), hook_to_sdk))
        .build())
}

fn hook_to_sdk(h: &LifecycleHook) -> types::DeploymentLifecycleHook {
    types::DeploymentLifecycleHook::builder()
        .set_target_type(opt_enum_to_sdk(h.target_type))
        .set_hook_target_arn(h.hook_target_arn.clone())
        .set_role_arn(h.role_arn.clone())
        .set_lifecycle_stages(Some(h.lifecycle_stages.iter().map(|s| s.to_sdk()).collect()))
        .set_hook_details(h.hook_details.as_ref().map(super::document_from_json))
        .set_timeout_configuration(h.timeout_configuration.as_ref().map(|t| {
            types::DeploymentLifecycleHookTimeoutConfiguration::builder()
                .set_timeout_in_minutes(t.timeout_in_minutes)
                .set_action(opt_enum_to_sdk(t.action))
                .build()
        }))
        .build()
}

fn hook_from_sdk(h: &types::DeploymentLifecycleHook, at: &str) -> Result<LifecycleHook, ConvertError> {
    let stages = h.lifecycle_stages.as_deref().unwrap_or_default();
    Ok(LifecycleHook {
        target_type: opt_enum_from_sdk(&child(at, "targetType"), h.target_type.as_ref())?,
        hook_target_arn: h.hook_target_arn.clone(),
        role_arn: h.role_arn.clone(),
        lifecycle_stages: stages
            .iter()
            .enumerate()
            .map(|(i, s)| enum_from_sdk(&format!("{at}.lifecycleStages[{i}]"), s))
            .collect::<Result<_, _>>()?,
        hook_details: h.hook_details.as_ref().map(super::document_to_json),
        timeout_configuration: h
            .timeout_configuration
            .as_ref()
            .map(|t| {
                Ok::<_, ConvertError>(HookTimeout {
                    timeout_in_minutes: t.timeout_in_minutes,
                    action: opt_enum_from_sdk(&child(at, "timeoutConfiguration.action"), t.action.as_ref())?,
                })
            })
            .transpose()?,
    })
}

fn constraint_to_sdk(c: &PlacementConstraint) -> types::PlacementConstraint {
    types::PlacementConstraint::builder().r#type(c.type_.to_sdk()).set_expression(c.expression.clone()).build()
}

fn strategy_to_sdk(s: &PlacementStrategy) -> types::PlacementStrategy {
    types::PlacementStrategy::builder().r#type(s.type_.to_sdk()).set_field(s.field.clone()).build()
}

pub(crate) fn network_to_sdk(n: &NetworkConfiguration) -> Result<types::NetworkConfiguration, ConvertError> {
    let vpc = &n.awsvpc_configuration;
    let vpc = built(
        "AwsVpcConfiguration",
        types::AwsVpcConfiguration::builder()
            .set_subnets(Some(vpc.subnets.clone()))
            .set_security_groups(vpc.security_groups.clone())
            .set_assign_public_ip(opt_enum_to_sdk(vpc.assign_public_ip))
            .build(),
    )?;
    Ok(types::NetworkConfiguration::builder().awsvpc_configuration(vpc).build())
}

fn controller_to_sdk(c: &DeploymentController) -> Result<types::DeploymentController, ConvertError> {
    built("DeploymentController", types::DeploymentController::builder().r#type(c.type_.to_sdk()).build())
}

// ---- Service → spec --------------------------------------------------------------------------

/// The spec a described service stands for, for drift comparison: `cluster` is the cluster
/// ARN and `taskDefinition` the revision ARN the service runs (compare them with the resolved
/// values, not with the references in the user's spec). Tags come from the service (describe
/// with `include: [TAGS]`), without the operator's own.
pub fn service_spec_from_sdk(service: &types::Service) -> Result<ECSServiceSpec, ConvertError> {
    let primary = attachments::primary_deployment(service);
    Ok(ECSServiceSpec {
        service_name: service.service_name.clone(),
        cluster: service.cluster_arn.clone(),
        cluster_ref: None,
        task_definition: service.task_definition.clone(),
        task_definition_ref: None,
        desired_count: Some(service.desired_count),
        launch_type: opt_enum_from_sdk("spec.launchType", service.launch_type.as_ref())?,
        capacity_provider_strategy: capacity_provider_strategy_from_sdk(service.capacity_provider_strategy.as_deref()),
        platform_version: service.platform_version.clone(),
        scheduling_strategy: opt_enum_from_sdk("spec.schedulingStrategy", service.scheduling_strategy.as_ref())?,
        network_configuration: service
            .network_configuration
            .as_ref()
            .and_then(|n| n.awsvpc_configuration.as_ref())
            .map(|vpc| {
                Ok::<_, ConvertError>(NetworkConfiguration {
                    awsvpc_configuration: AwsVpcConfiguration {
                        subnets: vpc.subnets.clone(),
                        security_groups: vpc.security_groups.clone(),
                        assign_public_ip: opt_enum_from_sdk(
                            "spec.networkConfiguration.awsvpcConfiguration.assignPublicIp",
                            vpc.assign_public_ip.as_ref(),
                        )?,
                    },
                })
            })
            .transpose()?,
        load_balancers: try_list_at(service.load_balancers.as_deref(), "spec.loadBalancers", load_balancer_from_sdk)?,
        service_registries: try_list_at(service.service_registries.as_deref(), "spec.serviceRegistries", |r, at| {
            Ok(ServiceRegistry {
                registry_arn: required(&child(at, "registryArn"), r.registry_arn.as_ref())?,
                port: r.port,
                container_name: r.container_name.clone(),
                container_port: r.container_port,
            })
        })?,
        health_check_grace_period_seconds: service.health_check_grace_period_seconds,
        deployment_configuration: service.deployment_configuration.as_ref().map(deployment_from_sdk).transpose()?,
        deployment_controller: service
            .deployment_controller
            .as_ref()
            .map(|c| {
                Ok::<_, ConvertError>(DeploymentController {
                    type_: enum_from_sdk("spec.deploymentController.type", &c.r#type)?,
                })
            })
            .transpose()?,
        placement_constraints: try_list_at(
            service.placement_constraints.as_deref(),
            "spec.placementConstraints",
            |c, at| {
                let field = child(at, "type");
                Ok(PlacementConstraint {
                    type_: enum_from_sdk(&field, &required(&field, c.r#type.as_ref())?)?,
                    expression: c.expression.clone(),
                })
            },
        )?,
        placement_strategy: try_list_at(service.placement_strategy.as_deref(), "spec.placementStrategy", |s, at| {
            let field = child(at, "type");
            Ok(PlacementStrategy {
                type_: enum_from_sdk(&field, &required(&field, s.r#type.as_ref())?)?,
                field: s.field.clone(),
            })
        })?,
        propagate_tags: opt_enum_from_sdk("spec.propagateTags", service.propagate_tags.as_ref())?,
        enable_ecs_managed_tags: Some(service.enable_ecs_managed_tags),
        enable_execute_command: Some(service.enable_execute_command),
        availability_zone_rebalancing: opt_enum_from_sdk(
            "spec.availabilityZoneRebalancing",
            service.availability_zone_rebalancing.as_ref(),
        )?,
        service_connect_configuration: primary
            .and_then(|d| d.service_connect_configuration.as_ref())
            .map(|c| attachments::service_connect_from_sdk(c).map(Box::new))
            .transpose()?,
        volume_configurations: attachments::volume_configurations_from_sdk(
            primary.and_then(|d| d.volume_configurations.as_deref()),
        )?,
        vpc_lattice_configurations: attachments::lattice_from_sdk(
            primary.and_then(|d| d.vpc_lattice_configurations.as_deref()),
        ),
        tags: user_tags_from_sdk(service.tags.as_deref().unwrap_or_default()),
        autoscaling: None,
        policies: Default::default(),
    })
}

fn load_balancer_from_sdk(lb: &types::LoadBalancer, at: &str) -> Result<LoadBalancer, ConvertError> {
    Ok(LoadBalancer {
        target_group_arn: lb.target_group_arn.clone(),
        load_balancer_name: lb.load_balancer_name.clone(),
        container_name: required(&child(at, "containerName"), lb.container_name.as_ref())?,
        container_port: required(&child(at, "containerPort"), lb.container_port.as_ref())?,
        advanced_configuration: lb
            .advanced_configuration
            .as_ref()
            .map(|a| {
                let at = child(at, "advancedConfiguration");
                Ok::<_, ConvertError>(AdvancedConfiguration {
                    alternate_target_group_arn: required(
                        &child(&at, "alternateTargetGroupArn"),
                        a.alternate_target_group_arn.as_ref(),
                    )?,
                    production_listener_rule: required(
                        &child(&at, "productionListenerRule"),
                        a.production_listener_rule.as_ref(),
                    )?,
                    test_listener_rule: a.test_listener_rule.clone(),
                    role_arn: required(&child(&at, "roleArn"), a.role_arn.as_ref())?,
                })
            })
            .transpose()?,
    })
}

fn deployment_from_sdk(d: &types::DeploymentConfiguration) -> Result<DeploymentConfiguration, ConvertError> {
    let at = "spec.deploymentConfiguration";
    Ok(DeploymentConfiguration {
        minimum_healthy_percent: d.minimum_healthy_percent,
        maximum_percent: d.maximum_percent,
        deployment_circuit_breaker: d
            .deployment_circuit_breaker
            .as_ref()
            .map(|b| DeploymentCircuitBreaker { enable: b.enable, rollback: b.rollback }),
        alarms: d.alarms.as_ref().map(|a| DeploymentAlarms {
            alarm_names: a.alarm_names.clone(),
            enable: a.enable,
            rollback: a.rollback,
        }),
        strategy: opt_enum_from_sdk(&child(at, "strategy"), d.strategy.as_ref())?,
        bake_time_in_minutes: d.bake_time_in_minutes,
        linear_configuration: d
            .linear_configuration
            .as_ref()
            .map(|l| {
                Ok::<_, ConvertError>(LinearConfiguration {
                    step_percent: required(&child(at, "linearConfiguration.stepPercent"), l.step_percent.as_ref())?,
                    step_bake_time_in_minutes: l.step_bake_time_in_minutes,
                })
            })
            .transpose()?,
        canary_configuration: d
            .canary_configuration
            .as_ref()
            .map(|c| {
                Ok::<_, ConvertError>(CanaryConfiguration {
                    canary_percent: required(
                        &child(at, "canaryConfiguration.canaryPercent"),
                        c.canary_percent.as_ref(),
                    )?,
                    canary_bake_time_in_minutes: c.canary_bake_time_in_minutes,
                })
            })
            .transpose()?,
        lifecycle_hooks: try_list_at(d.lifecycle_hooks.as_deref(), &child(at, "lifecycleHooks"), hook_from_sdk)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::convert::fixtures::{
        CLUSTER_ARN, TASK_DEFINITION_ARN, described_service as described, full_service_spec, mk_autoscaling,
        ownership_tags,
    };

    fn target() -> ServiceTarget<'static> {
        ServiceTarget { cluster: CLUSTER_ARN, service_name: "web", task_definition_arn: TASK_DEFINITION_ARN }
    }

    /// What DescribeServices would return after `input` created the service.
    /// The spec as it comes back: references resolved to ARNs, operator-only fields empty.
    fn as_described(mut spec: ECSServiceSpec) -> ECSServiceSpec {
        spec.cluster = Some(CLUSTER_ARN.into());
        spec.cluster_ref = None;
        spec.task_definition = Some(TASK_DEFINITION_ARN.into());
        spec.task_definition_ref = None;
        spec.autoscaling = None;
        spec.policies = Default::default();
        spec
    }

    #[test]
    fn full_spec_round_trips_through_create() {
        let spec = full_service_spec();
        let input = create_service_input(&spec, &target(), &ownership_tags(), Some("tok")).unwrap();
        assert_eq!(input.cluster(), Some(CLUSTER_ARN));
        assert_eq!(input.task_definition(), Some(TASK_DEFINITION_ARN));
        assert_eq!(input.client_token(), Some("tok"));
        assert_eq!(input.tags().len(), spec.tags.as_ref().unwrap().len() + ownership_tags().len());

        let back = service_spec_from_sdk(&described(&input)).unwrap();
        assert_eq!(back, as_described(spec));
    }

    fn all_fields() -> Vec<String> {
        [
            "desiredCount",
            "capacityProviderStrategy",
            "deploymentConfiguration",
            "availabilityZoneRebalancing",
            "networkConfiguration",
            "placementConstraints",
            "placementStrategy",
            "platformVersion",
            "healthCheckGracePeriodSeconds",
            "deploymentController",
            "enableExecuteCommand",
            "enableEcsManagedTags",
            "loadBalancers",
            "propagateTags",
            "serviceRegistries",
            "serviceConnectConfiguration",
            "volumeConfigurations",
            "vpcLatticeConfigurations",
        ]
        .iter()
        .map(|f| f.to_string())
        .collect()
    }

    #[test]
    fn update_carries_every_updatable_field() {
        let spec = full_service_spec();
        let create = create_service_input(&spec, &target(), &Tags::new(), None).unwrap();
        let update = update_service_input(&spec, &target(), true, &all_fields()).unwrap();
        assert_eq!(update.cluster(), Some(CLUSTER_ARN));
        assert_eq!(update.service(), Some("web"));
        assert_eq!(update.task_definition(), Some(TASK_DEFINITION_ARN));
        assert_eq!(update.force_new_deployment(), Some(true));
        assert_eq!(update.desired_count, create.desired_count);
        assert_eq!(update.capacity_provider_strategy, create.capacity_provider_strategy);
        assert_eq!(update.deployment_configuration, create.deployment_configuration);
        assert_eq!(update.availability_zone_rebalancing, create.availability_zone_rebalancing);
        assert_eq!(update.network_configuration, create.network_configuration);
        assert_eq!(update.placement_constraints, create.placement_constraints);
        assert_eq!(update.placement_strategy, create.placement_strategy);
        assert_eq!(update.platform_version, create.platform_version);
        assert_eq!(update.health_check_grace_period_seconds, create.health_check_grace_period_seconds);
        assert_eq!(update.deployment_controller, create.deployment_controller);
        assert_eq!(update.enable_execute_command, create.enable_execute_command);
        assert_eq!(update.enable_ecs_managed_tags, create.enable_ecs_managed_tags);
        assert_eq!(update.load_balancers, create.load_balancers);
        assert_eq!(update.propagate_tags, create.propagate_tags);
        assert_eq!(update.service_registries, create.service_registries);
        assert_eq!(update.service_connect_configuration, create.service_connect_configuration);
        assert_eq!(update.volume_configurations, create.volume_configurations);
        assert_eq!(update.vpc_lattice_configurations, create.vpc_lattice_configurations);
    }

    #[test]
    fn removed_attachments_go_out_as_off_and_empty() {
        let canonical = crate::canonical::service::canonical_service(&ECSServiceSpec::default(), Some("td"), false);
        let fields: Vec<String> = ["serviceConnectConfiguration", "volumeConfigurations", "vpcLatticeConfigurations"]
            .iter()
            .map(|f| f.to_string())
            .collect();
        let update = update_service_input(&canonical, &target(), false, &fields).unwrap();
        let off = update.service_connect_configuration.expect("sent");
        assert!(!off.enabled && off.services.is_none(), "Service Connect is turned off, not left as it was");
        assert_eq!(update.volume_configurations, Some(vec![]));
        assert_eq!(update.vpc_lattice_configurations, Some(vec![]));
        let untouched = update_service_input(&canonical, &target(), false, &[]).unwrap();
        assert_eq!(
            (
                untouched.service_connect_configuration,
                untouched.volume_configurations,
                untouched.vpc_lattice_configurations
            ),
            (None, None, None),
            "omitted means unchanged to ECS: not sent unless they differ"
        );
    }

    #[test]
    fn attachments_are_read_from_the_primary_deployment() {
        let input = create_service_input(&full_service_spec(), &target(), &Tags::new(), None).unwrap();
        let mut service = described(&input);
        let old = types::Deployment::builder().id("ecs-svc/0").status("ACTIVE").build();
        let primary = service.deployments.take().unwrap_or_default();
        service.deployments = Some([vec![old], primary].concat());
        let back = service_spec_from_sdk(&service).unwrap();
        assert!(back.service_connect_configuration.is_some_and(|c| c.enabled));
        assert_eq!(back.volume_configurations.map(|v| v.len()), Some(1));
    }

    #[test]
    fn update_sends_only_the_fields_that_differ_and_removals_explicitly() {
        let canonical = crate::canonical::service::canonical_service(&ECSServiceSpec::default(), Some("td"), false);
        let fields = ["loadBalancers".to_string(), "enableExecuteCommand".to_string()];
        let update = update_service_input(&canonical, &target(), false, &fields).unwrap();
        assert_eq!(update.load_balancers, Some(vec![]), "a removed list goes out empty");
        assert_eq!(update.enable_execute_command, Some(false), "a default goes out as itself");
        assert_eq!(update.desired_count, None);
        assert_eq!(update.placement_constraints, None, "unchanged fields are not sent");
        assert_eq!(update.force_new_deployment(), Some(false));
        let strategy =
            update_service_input(&canonical, &target(), false, &["capacityProviderStrategy".into()]).unwrap();
        assert_eq!(strategy.force_new_deployment(), Some(true), "ECS needs a new deployment for a strategy change");
    }

    #[test]
    fn a_platform_version_sent_absent_goes_out_as_latest() {
        let canonical = crate::canonical::service::canonical_service(&ECSServiceSpec::default(), Some("td"), false);
        let update = update_service_input(&canonical, &target(), false, &["platformVersion".into()]).unwrap();
        assert_eq!(update.platform_version(), Some("LATEST"), "how a pinned version is taken out");
        let untouched = update_service_input(&canonical, &target(), false, &[]).unwrap();
        assert_eq!(untouched.platform_version(), None);
    }

    #[test]
    fn update_leaves_desired_count_to_the_scaler() {
        let mut spec = full_service_spec();
        spec.autoscaling = Some(mk_autoscaling());
        let canonical = crate::canonical::service::canonical_service(&spec, Some("td"), true);
        let update = update_service_input(&canonical, &target(), false, &all_fields()).unwrap();
        assert_eq!(update.desired_count(), None);
        let create = create_service_input(&spec, &target(), &Tags::new(), None).unwrap();
        assert_eq!(create.desired_count(), Some(3), "the initial count is still created");
    }

    #[test]
    fn unset_fields_are_not_created() {
        let spec = ECSServiceSpec::default();
        let create = create_service_input(&spec, &target(), &Tags::new(), None).unwrap();
        assert_eq!(create.tags, None);
        assert_eq!(create.launch_type, None);
    }

    #[test]
    fn unknown_enum_from_aws_names_the_field() {
        let input = create_service_input(&full_service_spec(), &target(), &Tags::new(), None).unwrap();
        let mut service = described(&input);
        service.placement_strategy.as_mut().unwrap()[1].r#type = Some(types::PlacementStrategyType::from("clustered"));
        let err = service_spec_from_sdk(&service).unwrap_err();
        assert_eq!(
            err,
            ConvertError::UnsupportedValue {
                field: "spec.placementStrategy[1].type".into(),
                value: "clustered".into(),
            }
        );

        let mut service = described(&input);
        service.deployment_configuration.as_mut().unwrap().strategy = Some(types::DeploymentStrategy::from("SHADOW"));
        let err = service_spec_from_sdk(&service).unwrap_err();
        assert_eq!(err.field(), "spec.deploymentConfiguration.strategy");
    }

    #[test]
    fn missing_required_values_name_the_field() {
        let input = create_service_input(&full_service_spec(), &target(), &Tags::new(), None).unwrap();
        let mut service = described(&input);
        service.load_balancers.as_mut().unwrap()[0].container_port = None;
        let err = service_spec_from_sdk(&service).unwrap_err();
        assert_eq!(err.field(), "spec.loadBalancers[0].containerPort");
    }
}
