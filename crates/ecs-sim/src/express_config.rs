//! The configuration of an Express service revision (botocore ExpressGatewayServiceConfiguration):
//! the defaults ECS fills into the request members (`express_request`), the checks across members,
//! and the task definition and network the ECS service underneath runs.
//! Pure: no simulator state. Each default cites its source; where AWS documents none the choice is
//! listed in the README ("Express Mode").

use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::express_request::Members;
use crate::td_rules::fargate_memory_options;

/// botocore CreateExpressGatewayServiceRequest.cpu: "The default value for an Express service is
/// 256 (.25 vCPU)"; .memory: "The default value for an express service is 512 MiB".
pub const DEFAULT_CPU: u32 = 256;
pub const DEFAULT_MEMORY: u32 = 512;
/// botocore ExpressGatewayContainer.containerPort: "Default is 80."
pub const DEFAULT_CONTAINER_PORT: i64 = 80;
/// botocore CreateExpressGatewayServiceRequest.healthCheckPath: "If not specified, the default
/// health check path is /ping."
pub const DEFAULT_HEALTH_CHECK_PATH: &str = "/ping";
/// botocore ExpressGatewayServiceAwsLogsConfiguration.logStreamPrefix: "The default for an Express
/// service is ecs."
pub const DEFAULT_LOG_STREAM_PREFIX: &str = "ecs";
/// botocore ExpressGatewayScalingTarget.autoScalingTargetValue: "The default value for an Express
/// service is 60"; .autoScalingMetric: "The default metric ... is CPUUtilization" (AVERAGE_CPU).
/// The task counts have no documented default: 1 and 20, as terraform-provider-aws documents them
/// (pulumi ExpressGatewayServiceScalingTarget: "Defaults to 1" / "Defaults to 20").
pub const DEFAULT_TARGET_VALUE: i64 = 60;
pub const DEFAULT_METRIC: &str = "AVERAGE_CPU";
pub const DEFAULT_MIN_TASKS: i64 = 1;
pub const DEFAULT_MAX_TASKS: i64 = 20;
/// The subnets of the one default VPC the simulator pretends to have (botocore
/// ExpressGatewayServiceNetworkConfiguration: "By default, an Express service utilizes subnets and
/// security groups associated with the default VPC").
pub const DEFAULT_SUBNETS: [&str; 3] =
    ["subnet-0def5ec0000000001", "subnet-0def5ec0000000002", "subnet-0def5ec0000000003"];
/// The name of the one container of an Express task definition.
pub const CONTAINER_NAME: &str = "Main";

/// botocore ExpressGatewayScalingTarget, every member filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct ScalingTarget {
    pub min: i64,
    pub max: i64,
    pub metric: String,
    pub target: i64,
}

impl ScalingTarget {
    /// The Application Auto Scaling predefined metric (botocore ManagedApplicationAutoScalingPolicy
    /// .metric: "ECSServiceAverageCPUUtilization, ECSServiceAverageMemoryUtilization, and
    /// ALBRequestCOuntPerTarget" [sic]).
    pub fn predefined_metric(&self) -> &'static str {
        match self.metric.as_str() {
            "AVERAGE_MEMORY" => "ECSServiceAverageMemoryUtilization",
            "REQUEST_COUNT_PER_TARGET" => "ALBRequestCountPerTarget",
            _ => "ECSServiceAverageCPUUtilization",
        }
    }

    fn to_json(&self) -> Value {
        json!({
            "minTaskCount": self.min,
            "maxTaskCount": self.max,
            "autoScalingMetric": self.metric,
            "autoScalingTargetValue": self.target,
        })
    }
}

/// One revision's configuration, defaults filled in, as DescribeExpressGatewayService reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpressConfig {
    pub execution_role: String,
    pub task_role: Option<String>,
    pub cpu: u32,
    pub memory: u32,
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    pub health_check_path: String,
    /// primaryContainer as sent (known members only), containerPort and awsLogsConfiguration filled.
    pub container: Value,
    pub scaling: ScalingTarget,
}

/// What ECS made for one service that the defaults refer to.
#[derive(Debug, Clone, Copy)]
pub struct Defaults<'a> {
    /// The service's own log group ("Log group specific to the service").
    pub log_group: &'a str,
    /// The security group ECS creates for the tasks when none is named.
    pub security_group: &'a str,
}

fn invalid(msg: impl Into<String>) -> ApiError {
    ApiError::invalid(msg)
}

/// primaryContainer with ECS's defaults: containerPort 80, and the service's own log group with
/// the `ecs` prefix when no awsLogsConfiguration was sent.
fn fill_container(sent: &Value, d: Defaults) -> Value {
    let mut c = sent.clone();
    if let Some(obj) = c.as_object_mut() {
        obj.entry("containerPort").or_insert(json!(DEFAULT_CONTAINER_PORT));
        obj.entry("awsLogsConfiguration")
            .or_insert(json!({"logGroup": d.log_group, "logStreamPrefix": DEFAULT_LOG_STREAM_PREFIX}));
    }
    c
}

/// Subnets and security groups sent, the default VPC's subnets and the service's own group for
/// what is left out (an empty list counts as left out).
fn fill_network(sent: &(Vec<String>, Vec<String>), d: Defaults) -> (Vec<String>, Vec<String>) {
    let (subnets, groups) = sent;
    let subnets = if subnets.is_empty() { DEFAULT_SUBNETS.map(str::to_string).to_vec() } else { subnets.clone() };
    let groups = if groups.is_empty() { vec![d.security_group.to_string()] } else { groups.clone() };
    (subnets, groups)
}

impl ExpressConfig {
    /// CreateExpressGatewayService: executionRoleArn and primaryContainer are required (botocore),
    /// everything else gets its default.
    pub fn create(m: &Members, d: Defaults) -> ApiResult<Self> {
        let execution_role = m.execution_role.clone().ok_or_else(|| invalid("executionRoleArn is required."))?;
        let container = m.container.as_ref().ok_or_else(|| invalid("primaryContainer is required."))?;
        let (subnets, security_groups) = fill_network(m.network.as_ref().unwrap_or(&Default::default()), d);
        let config = ExpressConfig {
            execution_role,
            task_role: m.task_role.clone(),
            cpu: m.cpu.unwrap_or(DEFAULT_CPU),
            memory: m.memory.unwrap_or(DEFAULT_MEMORY),
            subnets,
            security_groups,
            health_check_path: m.health_check_path.clone().unwrap_or_else(|| DEFAULT_HEALTH_CHECK_PATH.to_string()),
            container: fill_container(container, d),
            scaling: m.scaling.clone().unwrap_or_default().resolve()?,
        };
        config.check_size()?;
        Ok(config)
    }

    /// UpdateExpressGatewayService: each member sent replaces the current value whole (with its
    /// defaults filled in), each member left out keeps it.
    pub fn update(&self, m: &Members, d: Defaults) -> ApiResult<Self> {
        let mut c = self.clone();
        if let Some(r) = &m.execution_role {
            c.execution_role = r.clone();
        }
        if let Some(r) = &m.task_role {
            c.task_role = Some(r.clone());
        }
        if let Some(p) = &m.health_check_path {
            c.health_check_path = p.clone();
        }
        if let Some(container) = &m.container {
            c.container = fill_container(container, d);
        }
        if let Some(n) = &m.network {
            (c.subnets, c.security_groups) = fill_network(n, d);
        }
        c.cpu = m.cpu.unwrap_or(c.cpu);
        c.memory = m.memory.unwrap_or(c.memory);
        if let Some(s) = &m.scaling {
            c.scaling = s.resolve()?;
        }
        c.check_size()?;
        Ok(c)
    }

    /// A Fargate cpu/memory pair (the task definition ECS registers must be valid).
    fn check_size(&self) -> ApiResult<()> {
        if !fargate_memory_options(self.cpu).contains(&self.memory) {
            return Err(invalid(format!(
                "No Fargate configuration exists for given values: {} CPU, {} memory. See the Amazon ECS documentation for the valid values.",
                self.cpu, self.memory
            )));
        }
        Ok(())
    }

    pub fn container_port(&self) -> i64 {
        self.container["containerPort"].as_i64().unwrap_or(DEFAULT_CONTAINER_PORT)
    }

    pub fn log_group(&self) -> Option<&str> {
        self.container.pointer("/awsLogsConfiguration/logGroup").and_then(Value::as_str)
    }

    /// Whether two configurations run the same task definition.
    pub fn same_task_definition(&self, other: &ExpressConfig) -> bool {
        (&self.execution_role, &self.task_role, self.cpu, self.memory, &self.container)
            == (&other.execution_role, &other.task_role, other.cpu, other.memory, &other.container)
    }

    /// The RegisterTaskDefinition request ECS makes for this configuration.
    pub fn task_definition_request(&self, family: &str, region: &str) -> Value {
        let c = &self.container;
        let logs = &c["awsLogsConfiguration"];
        let mut container = json!({
            "name": CONTAINER_NAME,
            "image": c["image"],
            "essential": true,
            "portMappings": [{"containerPort": self.container_port(), "protocol": "tcp"}],
            "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": logs["logGroup"],
                "awslogs-region": region,
                "awslogs-stream-prefix": logs["logStreamPrefix"],
            }},
        });
        for key in ["command", "environment", "secrets", "repositoryCredentials"] {
            if let Some(v) = c.get(key) {
                container[key] = v.clone();
            }
        }
        json!({
            "family": family,
            "requiresCompatibilities": ["FARGATE"],
            "networkMode": "awsvpc",
            "cpu": self.cpu.to_string(),
            "memory": self.memory.to_string(),
            "executionRoleArn": self.execution_role,
            "taskRoleArn": self.task_role,
            "containerDefinitions": [container],
        })
    }

    /// The ECS service's networkConfiguration: a public IP on the default VPC's subnets (which
    /// have no NAT), none on subnets that were named.
    pub fn network_json(&self) -> Value {
        let public = self.subnets.iter().all(|s| DEFAULT_SUBNETS.contains(&s.as_str()));
        json!({"awsvpcConfiguration": {
            "subnets": self.subnets,
            "securityGroups": self.security_groups,
            "assignPublicIp": if public { "ENABLED" } else { "DISABLED" },
        }})
    }

    /// botocore ExpressGatewayServiceConfiguration.
    pub fn to_json(&self, revision_arn: &str, created_at: Value, endpoint: &str) -> Value {
        json!({
            "serviceRevisionArn": revision_arn,
            "executionRoleArn": self.execution_role,
            "taskRoleArn": self.task_role,
            "cpu": self.cpu.to_string(),
            "memory": self.memory.to_string(),
            "networkConfiguration": {"securityGroups": self.security_groups, "subnets": self.subnets},
            "healthCheckPath": self.health_check_path,
            "primaryContainer": self.container,
            "scalingTarget": self.scaling.to_json(),
            "ingressPaths": [{"accessType": "PUBLIC", "endpoint": endpoint}],
            "createdAt": created_at,
        })
    }
}

/// botocore CreateExpressGatewayServiceRequest.serviceName: "If you don't specify a service name,
/// Amazon ECS generates a unique name for the service." Here: the image's repository name (its last
/// path segment, without tag or digest, other characters as `-`) and `suffix`.
pub fn generated_name(image: &str, suffix: &str) -> String {
    let repo = image.split(['@', ':']).next().unwrap_or(image);
    let repo = repo.rsplit('/').next().unwrap_or(repo);
    let mut base: String = repo.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '-' }).collect();
    base.truncate(200);
    let base = base.trim_matches('-');
    format!("{}-{suffix}", if base.is_empty() { "express" } else { base })
}

/// The DNS label an endpoint starts with: the service name in lower case, `_` as `-`, at most 40
/// characters.
pub fn host_label(service: &str) -> String {
    let mut label: String = service.to_ascii_lowercase().replace('_', "-");
    label.truncate(40);
    label.trim_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLE: &str = "arn:aws:iam::123456789012:role/exec";
    const D: Defaults = Defaults { log_group: "/aws/ecs/default/web", security_group: "sg-0123" };

    fn members(v: Value) -> ApiResult<Members> {
        Members::parse(crate::protocol::Req(&v))
    }

    #[test]
    fn defaults_fill_a_minimal_request() {
        let m = members(json!({"executionRoleArn": ROLE, "primaryContainer": {"image": "nginx"}})).unwrap();
        let c = ExpressConfig::create(&m, D).unwrap();
        assert_eq!((c.cpu, c.memory, c.health_check_path.as_str()), (256, 512, "/ping"));
        assert_eq!(c.container_port(), 80);
        assert_eq!(c.container["awsLogsConfiguration"], json!({"logGroup": D.log_group, "logStreamPrefix": "ecs"}));
        assert_eq!(c.scaling, ScalingTarget { min: 1, max: 20, metric: "AVERAGE_CPU".into(), target: 60 });
        assert_eq!(c.security_groups, vec!["sg-0123".to_string()]);
        assert_eq!(c.subnets.len(), 3);
    }

    #[test]
    fn members_are_checked_together() {
        let m = members(json!({"scalingTarget": {"minTaskCount": 5, "maxTaskCount": 2}})).unwrap();
        let base = ExpressConfig::create(
            &members(json!({"executionRoleArn": ROLE, "primaryContainer": {"image": "nginx"}})).unwrap(),
            D,
        )
        .unwrap();
        assert!(base.update(&m, D).is_err(), "min > max");
        assert!(base.update(&members(json!({"cpu": "1024"})).unwrap(), D).is_err(), "1024 CPU, 512 memory");
        assert!(base.update(&members(json!({"cpu": "1 vCPU", "memory": "2 GB"})).unwrap(), D).is_ok());
    }

    #[test]
    fn update_keeps_what_is_not_sent() {
        let m = members(json!({"executionRoleArn": ROLE, "primaryContainer": {"image": "a", "containerPort": 8080}}));
        let base = ExpressConfig::create(&m.unwrap(), D).unwrap();
        let same = base.update(&Members::default(), D).unwrap();
        assert_eq!(same, base);
        let changed = base.update(&members(json!({"primaryContainer": {"image": "b"}})).unwrap(), D).unwrap();
        assert_eq!(changed.container_port(), 80, "the container is replaced whole");
        assert!(!changed.same_task_definition(&base));
    }

    #[test]
    fn names() {
        assert_eq!(generated_name("public.ecr.aws/nginx/nginx:1.28", "ab12"), "nginx-ab12");
        assert_eq!(generated_name("my.app@sha256:00", "ab12"), "my-app-ab12");
        assert_eq!(host_label("My_Service"), "my-service");
    }
}
