//! Pure rules for RegisterTaskDefinition: AWS's validation (Fargate cpu/memory pairs,
//! awsvpc, container count and names, memory) and the defaults AWS fills in so that a
//! described revision differs from what was registered exactly as it does on AWS.
//! No simulator state here.

use serde_json::{Map, Value, json};

use crate::error::{ApiError, ApiResult};
use crate::protocol::Req;

/// Valid Fargate memory values (MiB) for a task cpu value (CPU units).
pub fn fargate_memory_options(cpu: u32) -> Vec<u32> {
    let gib = |n: u32| n * 1024;
    match cpu {
        256 => vec![512, 1024, 2048],
        512 => (1..=4).map(gib).collect(),
        1024 => (2..=8).map(gib).collect(),
        2048 => (4..=16).map(gib).collect(),
        4096 => (8..=30).map(gib).collect(),
        8192 => (16..=60).step_by(4).map(gib).collect(),
        16384 => (32..=120).step_by(8).map(gib).collect(),
        _ => vec![],
    }
}

/// `"1 vCPU"`, `"0.25 vcpu"` or `"1024"` → CPU units.
pub fn parse_cpu(raw: &str) -> Option<u32> {
    let s = raw.trim().to_ascii_lowercase();
    if let Some(v) = s.strip_suffix("vcpu") {
        let vcpu: f64 = v.trim().parse().ok()?;
        return Some((vcpu * 1024.0).round() as u32);
    }
    s.parse().ok()
}

/// `"2 GB"`, `"2GB"` or `"2048"` → MiB.
pub fn parse_memory(raw: &str) -> Option<u32> {
    let s = raw.trim().to_ascii_lowercase();
    if let Some(v) = s.strip_suffix("gb") {
        let gb: f64 = v.trim().parse().ok()?;
        return Some((gb * 1024.0).round() as u32);
    }
    s.parse().ok()
}

fn client(msg: impl Into<String>) -> ApiError {
    ApiError::client(msg)
}

/// The task-level cpu/memory, normalised to numbers-as-strings like AWS returns them.
pub fn normalise_task_size(td: &mut Map<String, Value>) -> ApiResult<(Option<u32>, Option<u32>)> {
    let cpu = match td.get("cpu").and_then(Value::as_str) {
        Some(raw) => Some(parse_cpu(raw).ok_or_else(|| client(format!("Invalid 'cpu' setting for task: {raw}")))?),
        None => None,
    };
    let memory = match td.get("memory").and_then(Value::as_str) {
        Some(raw) => {
            Some(parse_memory(raw).ok_or_else(|| client(format!("Invalid 'memory' setting for task: {raw}")))?)
        }
        None => None,
    };
    if let Some(c) = cpu {
        td.insert("cpu".into(), json!(c.to_string()));
    }
    if let Some(m) = memory {
        td.insert("memory".into(), json!(m.to_string()));
    }
    Ok((cpu, memory))
}

/// Whether `requiresCompatibilities` lists `what`.
pub fn requires(td: &Map<String, Value>, what: &str) -> bool {
    td.get("requiresCompatibilities")
        .and_then(Value::as_array)
        .is_some_and(|l| l.iter().any(|c| c.as_str() == Some(what)))
}

/// Amazon ECS Managed Instances: "You must specify a network mode in the task definition. You
/// can't run tasks on Amazon ECS Managed Instances with a task definition that doesn't specify
/// a network mode" and the modes are awsvpc and host (ECS Developer Guide, "Amazon ECS task
/// networking for Amazon ECS Managed Instances"), plus none (API reference,
/// ManagedInstancesNetworkConfiguration: "awsvpc ..., host ..., and none").
pub fn check_managed_instances(td: &Map<String, Value>) -> ApiResult<()> {
    match td.get("networkMode").and_then(Value::as_str) {
        Some("awsvpc" | "host" | "none") => Ok(()),
        Some(other) => Err(client(format!(
            "Amazon ECS Managed Instances does not support network mode {other}. Use awsvpc, host or none."
        ))),
        None => Err(client("A network mode must be specified for task definitions that require MANAGED_INSTANCES.")),
    }
}

pub fn requires_fargate(td: &Map<String, Value>) -> bool {
    td.get("requiresCompatibilities")
        .and_then(Value::as_array)
        .is_some_and(|list| list.iter().any(|c| c.as_str() == Some("FARGATE")))
}

pub fn check_fargate(td: &Map<String, Value>, cpu: Option<u32>, memory: Option<u32>) -> ApiResult<()> {
    if td.get("networkMode").and_then(Value::as_str) != Some("awsvpc") {
        return Err(client("Fargate only supports network mode \u{2018}awsvpc\u{2019}."));
    }
    let cpu = cpu.ok_or_else(|| client("Fargate requires that 'cpu' be defined at the task level."))?;
    let memory = memory.ok_or_else(|| client("Fargate requires that 'memory' be defined at the task level."))?;
    if !fargate_memory_options(cpu).contains(&memory) {
        return Err(client(format!(
            "No Fargate configuration exists for given values: {cpu} CPU, {memory} memory. See the Amazon ECS documentation for the valid values."
        )));
    }
    Ok(())
}

pub fn check_containers(containers: &[Value], task_memory: Option<u32>) -> ApiResult<()> {
    if containers.is_empty() {
        return Err(client("Container list cannot be empty."));
    }
    if containers.len() > 10 {
        return Err(client("Too many containers. A task definition can have at most 10 containers."));
    }
    let mut names = std::collections::BTreeSet::new();
    for c in containers {
        let r = Req(c);
        let name = r.str("name").map_err(|_| client("Container.name should not be null or empty."))?;
        r.str("image").map_err(|_| client("Container.image should not be null or empty."))?;
        if !crate::protocol::valid_name(name) {
            return Err(client(format!("Invalid container name: {name}")));
        }
        if !names.insert(name) {
            return Err(client(format!("Duplicate container name found: {name}. Container names must be unique.")));
        }
        let has_memory = r.get("memory").is_some() || r.get("memoryReservation").is_some();
        if task_memory.is_none() && !has_memory {
            return Err(client(format!(
                "Invalid setting for container '{name}'. At least one of 'memory' or 'memoryReservation' must be specified."
            )));
        }
    }
    Ok(())
}

/// Fills the container-level defaults AWS returns on describe.
pub fn container_defaults(c: &mut Value, network_mode: &str) -> ApiResult<()> {
    let Some(obj) = c.as_object_mut() else { return Err(client("Container definitions must be objects.")) };
    for (key, default) in [
        ("cpu", json!(0)),
        ("essential", json!(true)),
        ("environment", json!([])),
        ("mountPoints", json!([])),
        ("volumesFrom", json!([])),
        ("systemControls", json!([])),
        ("portMappings", json!([])),
    ] {
        obj.entry(key).or_insert(default);
    }
    if let Some(Value::Array(ports)) = obj.get_mut("portMappings") {
        for pm in ports.iter_mut() {
            port_mapping_defaults(pm, network_mode)?;
        }
    }
    Ok(())
}

fn port_mapping_defaults(pm: &mut Value, network_mode: &str) -> ApiResult<()> {
    let Some(obj) = pm.as_object_mut() else { return Err(client("Port mappings must be objects.")) };
    obj.entry("protocol").or_insert(json!("tcp"));
    let container_port = obj.get("containerPort").and_then(Value::as_i64);
    if matches!(network_mode, "awsvpc" | "host") {
        match (container_port, obj.get("hostPort").and_then(Value::as_i64)) {
            (Some(cp), Some(hp)) if cp != hp => {
                return Err(client(format!(
                    "When networkMode={network_mode}, the host ports and container ports in port mappings must match."
                )));
            }
            (Some(cp), None) => {
                obj.insert("hostPort".into(), json!(cp));
            }
            _ => {}
        }
    }
    Ok(())
}

/// The capabilities AWS derives from a task definition's features.
pub fn requires_attributes(td: &Map<String, Value>) -> Value {
    let mut attrs = vec!["com.amazonaws.ecs.capability.docker-remote-api.1.18"];
    if td.get("networkMode").and_then(Value::as_str) == Some("awsvpc") {
        attrs.push("ecs.capability.task-eni");
    }
    if td.get("taskRoleArn").is_some() {
        attrs.push("com.amazonaws.ecs.capability.task-iam-role");
    }
    let containers = td.get("containerDefinitions").and_then(Value::as_array).cloned().unwrap_or_default();
    let uses = |pred: &dyn Fn(&Value) -> bool| containers.iter().any(pred);
    if uses(&|c| c.pointer("/logConfiguration/logDriver").and_then(Value::as_str) == Some("awslogs")) {
        attrs.push("com.amazonaws.ecs.capability.logging-driver.awslogs");
        attrs.push("com.amazonaws.ecs.capability.docker-remote-api.1.19");
        if td.get("executionRoleArn").is_some() {
            attrs.push("ecs.capability.execution-role-awslogs");
        }
    }
    if td.get("executionRoleArn").is_some() && uses(&|c| c["image"].as_str().is_some_and(|i| i.contains(".ecr."))) {
        attrs.push("ecs.capability.execution-role-ecr-pull");
    }
    if uses(&|c| c.get("secrets").is_some()) {
        attrs.push("ecs.capability.secrets.asm.environment-variables");
    }
    if uses(&|c| c.get("healthCheck").is_some()) {
        attrs.push("ecs.capability.container-health-check");
    }
    attrs.sort_unstable();
    attrs.dedup();
    Value::Array(attrs.into_iter().map(|a| json!({"name": a})).collect())
}

/// Launch types the revision is compatible with, as AWS reports them.
pub fn compatibilities(td: &Map<String, Value>) -> Value {
    let mut out = vec!["EC2"];
    if requires_fargate(td) {
        out.push("FARGATE");
    }
    let wants_external = td
        .get("requiresCompatibilities")
        .and_then(Value::as_array)
        .is_some_and(|l| l.iter().any(|c| c.as_str() == Some("EXTERNAL")));
    if wants_external {
        out.push("EXTERNAL");
    }
    if requires(td, "MANAGED_INSTANCES") {
        out.push("MANAGED_INSTANCES");
    }
    json!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fargate_table_covers_large_sizes() {
        assert!(fargate_memory_options(8192).contains(&(16 * 1024)));
        assert!(fargate_memory_options(8192).contains(&(60 * 1024)));
        assert!(!fargate_memory_options(8192).contains(&(18 * 1024)));
        assert!(fargate_memory_options(16384).contains(&(120 * 1024)));
        assert!(fargate_memory_options(256).contains(&512));
        assert!(!fargate_memory_options(256).contains(&4096));
        assert!(fargate_memory_options(300).is_empty());
    }

    #[test]
    fn units_parse() {
        assert_eq!(parse_cpu("0.25 vCPU"), Some(256));
        assert_eq!(parse_cpu("1024"), Some(1024));
        assert_eq!(parse_memory("2 GB"), Some(2048));
        assert_eq!(parse_memory("512"), Some(512));
        assert_eq!(parse_cpu("lots"), None);
    }

    #[test]
    fn awsvpc_host_port_defaults_to_container_port() {
        let mut c = json!({"name": "web", "image": "nginx", "portMappings": [{"containerPort": 80}]});
        container_defaults(&mut c, "awsvpc").unwrap();
        assert_eq!(c["portMappings"][0], json!({"containerPort": 80, "hostPort": 80, "protocol": "tcp"}));
        assert_eq!(c["essential"], json!(true));
        assert_eq!(c["cpu"], json!(0));
        let mut bad = json!({"name": "web", "image": "nginx", "portMappings": [{"containerPort": 80, "hostPort": 81}]});
        assert!(container_defaults(&mut bad, "awsvpc").is_err());
    }
}
