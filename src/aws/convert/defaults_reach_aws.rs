//! Every entry of `canonical::defaults` reaches AWS, driven by the table itself, so a default
//! added without the request builders carrying it fails here. For each defaulted field:
//! - a non-default value, the explicit default and an omission are applied one after another,
//!   each through the update request the plan would send, to what ECS describes; ECS must then
//!   describe the value asked for (the default for the last two);
//! - an explicit default and an omission are one canonical value (no churn);
//! - an out-of-band change away from the default is a difference.

use aws_sdk_ecs::operation::update_capacity_provider::UpdateCapacityProviderInput;
use aws_sdk_ecs::operation::update_cluster::UpdateClusterInput;
use aws_sdk_ecs::operation::update_service::UpdateServiceInput;
use aws_sdk_ecs::types;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::capacity_provider::{
    capacity_provider_spec_from_sdk, create_capacity_provider_input, update_capacity_provider_input,
};
use super::cluster::{
    cluster_spec_from_sdk, create_cluster_input, put_cluster_capacity_providers_input, update_cluster_input,
};
use super::fixtures::{
    CLUSTER_ARN, TASK_DEFINITION_ARN, described_capacity_provider, described_cluster, described_service,
    described_task_definition,
};
use super::service::{ServiceTarget, create_service_input, service_spec_from_sdk, update_service_input};
use super::task_definition::{register_task_definition_input, task_definition_spec_from_sdk};
use crate::canonical::capacity_provider::canonical_capacity_provider;
use crate::canonical::cluster::canonical_cluster;
use crate::canonical::compare;
use crate::canonical::defaults::{
    CAPACITY_PROVIDER, CAPACITY_PROVIDER_NOT_COMPARED, CLUSTER, CLUSTER_NOT_COMPARED, FieldDefault, NotCompared,
    SERVICE, SERVICE_NOT_COMPARED, TASK_DEFINITION, fill,
};
use crate::canonical::diff::top_levels;
use crate::canonical::service::canonical_service;
use crate::canonical::task_definition::{canonical_task_definition, task_definition_hash};
use crate::crd::capacity_provider::CapacityProviderSpec;
use crate::crd::cluster::ECSClusterSpec;
use crate::crd::common::Tags;
use crate::crd::service::ECSServiceSpec;
use crate::crd::task_definition::TaskDefinitionSpec;

/// One kind's side of the test: its canonical form, and a round trip through ECS.
trait Kind {
    type Spec: Serialize + DeserializeOwned + Clone + PartialEq + std::fmt::Debug;
    /// The table under test and the kind's not-compared list.
    const TABLE: &'static [FieldDefault];
    const NOT_COMPARED: &'static [NotCompared];
    /// Fields ECS cannot change in place (the plan refuses them with RequiresReplacement).
    const IMMUTABLE: &'static [&'static str] = &[];
    /// A valid spec with every optional block an entry of the table needs.
    fn base(entry: &FieldDefault) -> Value;
    fn canonical(spec: &Self::Spec) -> Self::Spec;
    /// ECS's description (as a spec) after creating `spec`.
    fn created(spec: &Self::Spec) -> Self::Spec;
    /// ECS's description after the update requests for the `fields` that differ, from `before`.
    fn updated(before: &Self::Spec, desired: &Self::Spec, fields: &[String]) -> Self::Spec;
}

struct Service;

impl Kind for Service {
    type Spec = ECSServiceSpec;
    const TABLE: &'static [FieldDefault] = SERVICE;
    const NOT_COMPARED: &'static [NotCompared] = SERVICE_NOT_COMPARED;
    const IMMUTABLE: &'static [&'static str] = &["schedulingStrategy", "launchType"];

    fn base(entry: &FieldDefault) -> Value {
        let mut spec = json!({
            "desiredCount": 2,
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-a"]}},
        });
        if entry.path.starts_with("capacityProviderStrategy") {
            spec["capacityProviderStrategy"] = json!([{"capacityProvider": "FARGATE"}]);
        } else {
            spec["launchType"] = json!("FARGATE");
        }
        if (entry.when)(&json!({"schedulingStrategy": "DAEMON"})) && !(entry.when)(&json!({})) {
            spec["schedulingStrategy"] = json!("DAEMON");
        }
        if entry.path.starts_with("deploymentConfiguration.lifecycleHooks?[]") {
            spec["deploymentConfiguration"] = json!({"strategy": "BLUE_GREEN", "lifecycleHooks": [{
                "hookTargetArn": "arn:aws:lambda:eu-west-1:123456789012:function:smoke",
                "roleArn": "arn:aws:iam::123456789012:role/ecs-hooks",
                "lifecycleStages": ["POST_SCALE_UP"],
            }]});
        }
        if entry.path.starts_with("volumeConfigurations?[]") {
            spec["volumeConfigurations"] = json!([{"name": "data", "managedEBSVolume": {
                "roleArn": "arn:aws:iam::123456789012:role/ecsInfrastructureRole",
                "sizeInGiB": 20,
                "tagSpecifications": [{"tags": {"team": "shop"}}],
            }}]);
        }
        if entry.path.starts_with("serviceConnectConfiguration?.accessLogConfiguration?") {
            spec["serviceConnectConfiguration"] =
                json!({"enabled": true, "namespace": "shop", "accessLogConfiguration": {"format": "TEXT"}});
        }
        spec
    }

    fn canonical(spec: &ECSServiceSpec) -> ECSServiceSpec {
        canonical_service(spec, Some(TASK_DEFINITION_ARN), false)
    }

    fn created(spec: &ECSServiceSpec) -> ECSServiceSpec {
        let input = create_service_input(spec, &target(), &Tags::new(), None).expect("create input");
        described(&described_service(&input))
    }

    fn updated(before: &ECSServiceSpec, desired: &ECSServiceSpec, fields: &[String]) -> ECSServiceSpec {
        let create = create_service_input(before, &target(), &Tags::new(), None).expect("create input");
        let update = update_service_input(desired, &target(), false, fields).expect("update input");
        described(&apply_service_update(described_service(&create), &update))
    }
}

fn target() -> ServiceTarget<'static> {
    ServiceTarget { cluster: CLUSTER_ARN, service_name: "web", task_definition_arn: TASK_DEFINITION_ARN }
}

fn described(service: &types::Service) -> ECSServiceSpec {
    service_spec_from_sdk(service).expect("described service")
}

/// What ECS describes after `update`: every field the request carries replaces the service's.
fn apply_service_update(service: types::Service, update: &UpdateServiceInput) -> types::Service {
    let mut s = service;
    macro_rules! take {
        ($($field:ident),*) => {$(
            if update.$field.is_some() {
                s.$field = update.$field.clone();
            }
        )*};
    }
    take!(
        capacity_provider_strategy,
        deployment_configuration,
        availability_zone_rebalancing,
        network_configuration,
        placement_constraints,
        placement_strategy,
        platform_version,
        health_check_grace_period_seconds,
        deployment_controller,
        load_balancers,
        propagate_tags,
        service_registries
    );
    if let Some(count) = update.desired_count {
        s.desired_count = count;
    }
    if let Some(exec) = update.enable_execute_command {
        s.enable_execute_command = exec;
    }
    if let Some(tags) = update.enable_ecs_managed_tags {
        s.enable_ecs_managed_tags = tags;
    }
    // The attachments live on the deployment an update starts (the new PRIMARY).
    if let Some(primary) = s.deployments.as_mut().and_then(|d| d.first_mut()) {
        if update.service_connect_configuration.is_some() {
            primary.service_connect_configuration = update.service_connect_configuration.clone();
        }
        if update.volume_configurations.is_some() {
            primary.volume_configurations = update.volume_configurations.clone();
        }
        if update.vpc_lattice_configurations.is_some() {
            primary.vpc_lattice_configurations = update.vpc_lattice_configurations.clone();
        }
    }
    s
}

struct Cluster;

impl Kind for Cluster {
    type Spec = ECSClusterSpec;
    const TABLE: &'static [FieldDefault] = CLUSTER;
    const NOT_COMPARED: &'static [NotCompared] = CLUSTER_NOT_COMPARED;

    fn base(entry: &FieldDefault) -> Value {
        let mut spec = json!({"settings": {"containerInsights": "enabled"}});
        if entry.path.contains("logConfiguration") {
            spec["configuration"] = json!({"executeCommandConfiguration": {
                "logging": "OVERRIDE", "logConfiguration": {"cloudWatchLogGroupName": "exec"}}});
        }
        if entry.path.starts_with("defaultCapacityProviderStrategy[]") {
            spec["capacityProviders"] = json!(["FARGATE"]);
            spec["defaultCapacityProviderStrategy"] = json!([{"capacityProvider": "FARGATE"}]);
        }
        spec
    }

    fn canonical(spec: &ECSClusterSpec) -> ECSClusterSpec {
        canonical_cluster(spec)
    }

    fn created(spec: &ECSClusterSpec) -> ECSClusterSpec {
        let input = create_cluster_input(spec, "prod", &Tags::new()).expect("create input");
        cluster_spec_from_sdk(&described_cluster(&input)).expect("described cluster")
    }

    fn updated(before: &ECSClusterSpec, desired: &ECSClusterSpec, fields: &[String]) -> ECSClusterSpec {
        let create = create_cluster_input(before, "prod", &Tags::new()).expect("create input");
        let mut cluster = described_cluster(&create);
        let providers = ["capacityProviders", "defaultCapacityProviderStrategy"];
        let (put, update): (Vec<String>, Vec<String>) =
            fields.iter().cloned().partition(|f| providers.contains(&f.as_str()));
        cluster = apply_cluster_update(cluster, &update_cluster_input(desired, CLUSTER_ARN, &update).expect("update"));
        if !put.is_empty() {
            let input = put_cluster_capacity_providers_input(desired, CLUSTER_ARN).expect("put input");
            cluster.capacity_providers = input.capacity_providers.clone();
            cluster.default_capacity_provider_strategy = input.default_capacity_provider_strategy.clone();
        }
        cluster_spec_from_sdk(&cluster).expect("described cluster")
    }
}

fn apply_cluster_update(mut cluster: types::Cluster, update: &UpdateClusterInput) -> types::Cluster {
    if update.settings.is_some() {
        cluster.settings = update.settings.clone();
    }
    if update.configuration.is_some() {
        cluster.configuration = update.configuration.clone();
    }
    if let Some(defaults) = &update.service_connect_defaults {
        cluster.service_connect_defaults = (!defaults.namespace().is_empty())
            .then(|| types::ClusterServiceConnectDefaults::builder().namespace(defaults.namespace()).build());
    }
    cluster
}

struct Provider;

const ASG: &str = "arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:0:autoScalingGroupName/batch";

impl Kind for Provider {
    type Spec = CapacityProviderSpec;
    const TABLE: &'static [FieldDefault] = CAPACITY_PROVIDER;
    const NOT_COMPARED: &'static [NotCompared] = CAPACITY_PROVIDER_NOT_COMPARED;
    const IMMUTABLE: &'static [&'static str] = &["managedInstancesProvider?.instanceLaunchTemplate.capacityOptionType"];

    fn base(entry: &FieldDefault) -> Value {
        if entry.path.starts_with("managedInstancesProvider") {
            return json!({"cluster": "prod", "managedInstancesProvider": {
                "infrastructureRoleArn": "arn:aws:iam::123456789012:role/ecsInfrastructureRole",
                "instanceLaunchTemplate": {
                    "ec2InstanceProfileArn": "arn:aws:iam::123456789012:instance-profile/ecsInstanceRole",
                    "networkConfiguration": {"subnets": ["subnet-a"]},
                },
            }});
        }
        json!({"autoScalingGroupProvider": {"autoScalingGroupArn": ASG}})
    }

    fn canonical(spec: &CapacityProviderSpec) -> CapacityProviderSpec {
        canonical_capacity_provider(spec)
    }

    fn created(spec: &CapacityProviderSpec) -> CapacityProviderSpec {
        provider_spec(&provider_from(spec))
    }

    fn updated(before: &CapacityProviderSpec, desired: &CapacityProviderSpec, _: &[String]) -> CapacityProviderSpec {
        let update = update_capacity_provider_input(desired, "batch").expect("update input");
        provider_spec(&apply_provider_update(provider_from(before), &update))
    }
}

fn provider_from(spec: &CapacityProviderSpec) -> types::CapacityProvider {
    let input = create_capacity_provider_input(spec, "batch", &Tags::new()).expect("create input");
    described_capacity_provider(&input)
}

fn provider_spec(provider: &types::CapacityProvider) -> CapacityProviderSpec {
    capacity_provider_spec_from_sdk(provider).expect("described provider")
}

fn apply_provider_update(
    mut provider: types::CapacityProvider,
    update: &UpdateCapacityProviderInput,
) -> types::CapacityProvider {
    if let (Some(asg), Some(change)) =
        (provider.auto_scaling_group_provider.as_mut(), &update.auto_scaling_group_provider)
    {
        if change.managed_scaling.is_some() {
            asg.managed_scaling = change.managed_scaling.clone();
        }
        if change.managed_termination_protection.is_some() {
            asg.managed_termination_protection = change.managed_termination_protection.clone();
        }
        if change.managed_draining.is_some() {
            asg.managed_draining = change.managed_draining.clone();
        }
    }
    if let (Some(managed), Some(change)) =
        (provider.managed_instances_provider.as_mut(), &update.managed_instances_provider)
        && let (Some(template), Some(t)) = (managed.instance_launch_template.as_mut(), &change.instance_launch_template)
    {
        macro_rules! take {
            ($($field:ident),*) => {$(
                if t.$field.is_some() {
                    template.$field = t.$field.clone();
                }
            )*};
        }
        take!(network_configuration, storage_configuration, monitoring, instance_requirements);
        if let Some(profile) = &t.ec2_instance_profile_arn {
            template.ec2_instance_profile_arn = profile.clone();
        }
    }
    provider
}

// ---- the table walk ---------------------------------------------------------------------------

/// `spec` with `value` written at a table path (`?` ignored: the base has the block; `[]`: every
/// item).
fn set_at(spec: &mut Value, path: &str, value: &Value) {
    let segments: Vec<&str> = path.split('.').collect();
    set(spec, &segments, value);
}

fn set(node: &mut Value, segments: &[&str], value: &Value) {
    let Some((first, rest)) = segments.split_first() else { return };
    let key = first.trim_end_matches("[]").trim_end_matches('?');
    let each = first.ends_with("[]");
    let Value::Object(map) = node else { return };
    if rest.is_empty() {
        map.insert(key.to_owned(), value.clone());
        return;
    }
    let child = map.entry(key.to_owned()).or_insert_with(|| json!({}));
    match child {
        Value::Array(items) if each => items.iter_mut().for_each(|item| set(item, rest, value)),
        other => set(other, rest, value),
    }
}

/// The values at a table path in a spec's JSON (one per list item under `[]`).
fn values_at(spec: &Value, path: &str) -> Vec<Value> {
    let mut nodes = vec![spec.clone()];
    for segment in path.split('.') {
        let key = segment.trim_end_matches("[]").trim_end_matches('?');
        nodes = nodes.iter().filter_map(|n| n.get(key).cloned()).collect();
        if segment.ends_with("[]") {
            nodes = nodes.into_iter().flat_map(|n| n.as_array().cloned().unwrap_or_default()).collect();
        }
    }
    nodes
}

fn typed<T: DeserializeOwned>(value: &Value, path: &str) -> T {
    serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{path}: the table's value does not fit: {e}"))
}

fn json_of<T: Serialize>(spec: &T) -> Value {
    serde_json::to_value(spec).expect("spec JSON")
}

/// The walk for one kind. Returns how many entries were checked, so a table that is skipped
/// by accident cannot pass.
fn every_default_reaches_aws<K: Kind>() -> usize {
    let mut checked = 0;
    for entry in K::TABLE {
        let base = K::base(entry);
        if !(entry.when)(&base) {
            continue;
        }
        let (default, other) = ((entry.value)(), (entry.other)());
        if default == other {
            continue;
        }
        // The blocks around the value take their defaults too (some members are required).
        let spec_with = |value: &Value| {
            let mut spec = base.clone();
            set_at(&mut spec, entry.path, value);
            typed::<K::Spec>(&fill(spec, K::TABLE), entry.path)
        };
        let (non_default, explicit, omitted) =
            (spec_with(&other), spec_with(&default), typed::<K::Spec>(&base, entry.path));
        let canonical = |s: &K::Spec| K::canonical(s);
        assert_eq!(canonical(&explicit), canonical(&omitted), "{}: explicit default and omission differ", entry.path);

        // Created with the non-default value, ECS describes it.
        let mut actual = K::canonical(&K::created(&non_default));
        let wanted = values_at(&json_of(&canonical(&non_default)), entry.path);
        assert_eq!(values_at(&json_of(&actual), entry.path), wanted, "{}: created {other}", entry.path);
        if K::IMMUTABLE.contains(&entry.path) {
            // Not updatable: created with the default (spelled out or not), ECS describes it.
            for created in [K::created(&explicit), K::created(&omitted)] {
                assert_eq!(
                    values_at(&json_of(&K::canonical(&created)), entry.path),
                    std::slice::from_ref(&default),
                    "{}",
                    entry.path
                );
            }
            checked += 1;
            continue;
        }
        // Then the explicit default, then the omission: each a difference the update carries.
        for (step, desired) in [("explicit default", &explicit), ("omitted", &omitted)] {
            let desired = canonical(desired);
            let differences = compare(&desired, &actual, K::NOT_COMPARED);
            if step == "explicit default" {
                assert!(!differences.is_empty(), "{}: {other} → {default} is no difference", entry.path);
            }
            let described =
                K::canonical(&K::updated(&actual, &desired, &top_levels(differences.iter().map(|d| d.path.as_str()))));
            let seen = values_at(&json_of(&described), entry.path);
            assert!(
                !seen.is_empty() && seen.iter().all(|v| *v == default),
                "{} ({step}): ECS describes {seen:?}, not {default}",
                entry.path
            );
            assert!(
                compare(&desired, &described, K::NOT_COMPARED).is_empty(),
                "{} ({step}): left a difference",
                entry.path
            );
            actual = described;
        }
        // An out-of-band change away from the default is drift.
        let drifted = K::canonical(&K::created(&non_default));
        let drift = compare(&canonical(&omitted), &drifted, K::NOT_COMPARED);
        let top = entry.path.split(['.', '[', '?']).next().unwrap_or(entry.path);
        assert!(
            drift.iter().any(|d| d.top_level() == top),
            "{}: a change away from the default is not drift",
            entry.path
        );
        checked += 1;
    }
    checked
}

#[test]
fn every_service_default_reaches_aws_and_is_compared() {
    // Every entry but deploymentController.type, which has one value the operator accepts.
    assert_eq!(every_default_reaches_aws::<Service>(), SERVICE.len() - 1);
}

#[test]
fn every_cluster_default_reaches_aws_and_is_compared() {
    assert_eq!(every_default_reaches_aws::<Cluster>(), CLUSTER.len());
}

#[test]
fn every_capacity_provider_default_reaches_aws_and_is_compared() {
    assert_eq!(every_default_reaches_aws::<Provider>(), CAPACITY_PROVIDER.len());
}

/// Task definitions are registered whole: each entry of their table must leave the spec hash
/// alone when spelled out, change it when set to another value, and reach the registered
/// revision.
#[test]
fn every_task_definition_default_shares_a_hash_and_reaches_aws() {
    let base = json!({
        "containerDefinitions": [{
            "name": "web",
            "image": "nginx:1.27",
            "portMappings": [{"containerPort": 80}],
            "mountPoints": [{"sourceVolume": "data", "containerPath": "/data"}],
            "volumesFrom": [{"sourceContainer": "side"}],
            "linuxParameters": {"capabilities": {"add": ["NET_ADMIN"]}},
            "healthCheck": {"command": ["CMD", "true"]},
        }],
        "volumes": [{"name": "data"}],
    });
    let hash = |spec: &TaskDefinitionSpec| task_definition_hash(spec, "web").expect("hash");
    let registered = |spec: &TaskDefinitionSpec| {
        let input = register_task_definition_input(spec, "web", &Tags::new()).expect("register input");
        task_definition_spec_from_sdk(&described_task_definition(&input), &[]).expect("described")
    };
    for entry in TASK_DEFINITION {
        let spec_with = |value: &Value| {
            let mut spec = base.clone();
            set_at(&mut spec, entry.path, value);
            typed::<TaskDefinitionSpec>(&spec, entry.path)
        };
        let (other, explicit) = (spec_with(&(entry.other)()), spec_with(&(entry.value)()));
        let omitted = typed::<TaskDefinitionSpec>(&base, entry.path);
        assert_eq!(hash(&explicit), hash(&omitted), "{}: spelling out the default registers a revision", entry.path);
        assert_ne!(hash(&other), hash(&omitted), "{}: another value registers no revision", entry.path);
        let seen = values_at(&json_of(&registered(&other)), entry.path);
        assert!(!seen.is_empty() && seen.iter().all(|v| *v == (entry.other)()), "{}: registered {seen:?}", entry.path);
        for spec in [&explicit, &omitted] {
            let back = canonical_task_definition(&registered(spec), "web").expect("canonical");
            assert_eq!(back, canonical_task_definition(spec, "web").expect("canonical"), "{}", entry.path);
        }
    }
}
