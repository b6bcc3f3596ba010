//! Canonical form of an Express service: identity and policies left out, units normalised
//! (task cpu as CPU units, memory as MiB, both as ECS reports them), order-insensitive lists
//! sorted, and ECS's defaults ([`defaults::EXPRESS`]) written in, so a spec that leaves a setting
//! out and a service that reports ECS's default compare equal.

use super::defaults::{self, filled};
use super::units::{task_cpu_units, task_memory_mib};
use super::{clean, sorted};
use crate::crd::common::Policies;
use crate::crd::express::ECSExpressServiceSpec;

/// `spec` as ECS would describe it; Err names the field whose unit is not understood.
pub fn canonical_express(spec: &ECSExpressServiceSpec) -> Result<ECSExpressServiceSpec, String> {
    let cpu = spec.cpu.as_deref().map(task_cpu_units).transpose().map_err(|e| format!("spec.cpu: {e}"))?;
    let memory = spec.memory.as_deref().map(task_memory_mib).transpose().map_err(|e| format!("spec.memory: {e}"))?;
    let mut container = spec.primary_container.clone();
    container.command = clean(container.command);
    container.environment = clean(container.environment).map(|mut e| {
        e.sort_by(|a, b| a.name.cmp(&b.name));
        e
    });
    container.secrets = clean(container.secrets).map(|mut s| {
        s.sort_by(|a, b| a.name.cmp(&b.name));
        s
    });
    let normalised = ECSExpressServiceSpec {
        service_name: None,
        // By name: ECS describes the cluster's ARN, a spec may give either.
        cluster: Some(crate::controller::references::cluster_name(spec.cluster.as_deref().unwrap_or("default"))),
        cluster_ref: None,
        execution_role_arn: spec.execution_role_arn.clone(),
        infrastructure_role_arn: spec.infrastructure_role_arn.clone(),
        task_role_arn: spec.task_role_arn.clone(),
        primary_container: container,
        cpu: cpu.map(|c| c.to_string()),
        memory: memory.map(|m| m.to_string()),
        health_check_path: spec.health_check_path.clone(),
        scaling_target: spec.scaling_target.clone(),
        network_configuration: spec.network_configuration.clone().map(|mut n| {
            n.subnets.sort();
            n.security_groups = sorted(n.security_groups);
            n
        }),
        tags: None,
        policies: Policies::default(),
    };
    Ok(filled(normalised, defaults::EXPRESS))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: serde_json::Value) -> ECSExpressServiceSpec {
        serde_json::from_value(json).unwrap_or_else(|e| panic!("spec: {e}"))
    }

    const ROLES: &str = r#"{"executionRoleArn": "arn:aws:iam::123456789012:role/exec",
        "infrastructureRoleArn": "arn:aws:iam::123456789012:role/infra"}"#;

    fn base() -> serde_json::Value {
        let mut v: serde_json::Value = serde_json::from_str(ROLES).unwrap_or_default();
        v["primaryContainer"] = serde_json::json!({"image": "nginx:1"});
        v
    }

    #[test]
    fn defaults_written_in_equal_defaults_left_out() {
        let bare = canonical_express(&spec(base())).unwrap_or_else(|e| panic!("{e}"));
        let mut explicit = base();
        explicit["cpu"] = "0.25 vCPU".into();
        explicit["memory"] = "0.5 GB".into();
        explicit["healthCheckPath"] = "/ping".into();
        explicit["cluster"] = "arn:aws:ecs:us-east-1:123456789012:cluster/default".into();
        explicit["primaryContainer"]["containerPort"] = 80.into();
        explicit["primaryContainer"]["environment"] = serde_json::json!([]);
        explicit["scalingTarget"] = serde_json::json!({"minTaskCount": 1, "maxTaskCount": 20,
            "autoScalingMetric": "AVERAGE_CPU", "autoScalingTargetValue": 60});
        assert_eq!(canonical_express(&spec(explicit)).unwrap_or_else(|e| panic!("{e}")), bare);
        assert_eq!((bare.cpu.as_deref(), bare.memory.as_deref()), (Some("256"), Some("512")));
        assert_eq!(bare.cluster.as_deref(), Some("default"));
        let mut odd = base();
        odd["memory"] = "lots".into();
        assert!(canonical_express(&spec(odd)).unwrap_err().starts_with("spec.memory"));
    }

    #[test]
    fn order_of_environment_subnets_and_groups_does_not_matter() {
        let mut a = base();
        a["primaryContainer"]["environment"] =
            serde_json::json!([{"name": "B", "value": "2"}, {"name": "A", "value": "1"}]);
        a["networkConfiguration"] =
            serde_json::json!({"subnets": ["subnet-2", "subnet-1"], "securityGroups": ["sg-2", "sg-1"]});
        let mut b = base();
        b["primaryContainer"]["environment"] =
            serde_json::json!([{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]);
        b["networkConfiguration"] =
            serde_json::json!({"subnets": ["subnet-1", "subnet-2"], "securityGroups": ["sg-1", "sg-2"]});
        assert_eq!(canonical_express(&spec(a)), canonical_express(&spec(b)));
    }
}
