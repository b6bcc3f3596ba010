//! Clusters: create (idempotent by name, as ECS is), describe with `include`, update,
//! settings, capacity providers, delete (refused while services are live) and list.
//! A deleted cluster stays INACTIVE and discoverable (DescribeClusters, ListClusters) for
//! `INACTIVE_CLUSTER_RETENTION`, then is forgotten, as AWS does.

use std::time::Duration;

use serde_json::{Value, json};

use crate::capacity_providers::parse_strategy;
use crate::error::{ApiError, ApiResult, ErrorKind};
use crate::protocol::{Req, Tags, cluster_name, paginate, parse_tags, tags_json, valid_name};
use crate::services::ServiceStatus;
use crate::state::{State, TimerKind};
use crate::tasks::TaskStatus;

/// How long a deleted (INACTIVE) cluster stays discoverable. AWS only says INACTIVE
/// clusters "might remain discoverable in your account for a period of time"; ecs-sim
/// keeps them for one simulated hour.
pub const INACTIVE_CLUSTER_RETENTION: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone)]
pub struct Cluster {
    pub name: String,
    pub arn: String,
    /// Simulated ms of DeleteCluster; `None` while ACTIVE.
    pub deleted_at: Option<u64>,
    pub tags: Tags,
    pub settings: Vec<Value>,
    pub configuration: Option<Value>,
    pub service_connect_defaults: Option<Value>,
    pub capacity_providers: Vec<String>,
    pub default_strategy: Vec<Value>,
}

impl Cluster {
    pub fn is_active(&self) -> bool {
        self.deleted_at.is_none()
    }
}

/// Which optional parts of a cluster a describe call asked for.
#[derive(Debug, Clone, Copy, Default)]
struct Includes {
    tags: bool,
    settings: bool,
    configurations: bool,
    statistics: bool,
}

impl Includes {
    fn all() -> Self {
        Includes { tags: true, settings: true, configurations: true, statistics: false }
    }

    fn from_req(r: Req) -> ApiResult<Self> {
        Ok(Includes {
            tags: r.includes("TAGS")?,
            settings: r.includes("SETTINGS")?,
            configurations: r.includes("CONFIGURATIONS")?,
            statistics: r.includes("STATISTICS")?,
        })
    }
}

/// Counts derived from the services and tasks in a cluster.
#[derive(Debug, Default)]
struct ClusterCounts {
    running_fargate: u64,
    running_ec2: u64,
    pending_fargate: u64,
    pending_ec2: u64,
    active_services_fargate: u64,
    active_services_ec2: u64,
    draining_services_fargate: u64,
    draining_services_ec2: u64,
}

/// botocore CreateClusterRequest.settings overrides "the containerInsights value set with
/// PutAccountSetting or PutAccountSettingDefault"; the simulated account has the account default,
/// disabled (terraform-provider-aws TestAccECSCluster_basic, run against AWS, reports
/// containerInsights disabled for a cluster created without settings).
fn default_settings() -> Vec<Value> {
    vec![json!({"name": "containerInsights", "value": "disabled"})]
}

/// Settings are a name → value list; a later value for the same name replaces it.
fn merge_settings(current: &mut Vec<Value>, updates: &[Value]) -> ApiResult<()> {
    for update in updates {
        let r = Req(update);
        let name = r.str("name")?;
        if !matches!(name, "containerInsights") {
            return Err(ApiError::invalid(format!("Invalid cluster setting name: {name}")));
        }
        let value = r.str("value")?;
        if !matches!(value, "enabled" | "disabled" | "enhanced") {
            return Err(ApiError::invalid(format!("Invalid value for containerInsights: {value}")));
        }
        current.retain(|s| s.get("name").and_then(Value::as_str) != Some(name));
        current.push(json!({"name": name, "value": value}));
    }
    Ok(())
}

/// `configuration` as ECS stores it: `executeCommandConfiguration.logging` filled in.
///
/// botocore ecs service-2.json, ExecuteCommandConfiguration.logging: "DEFAULT: The awslogs
/// configuration in the task definition is used. If no logging parameter is specified, it
/// defaults to this value." and "If the OVERRIDE logging option is specified, the
/// logConfiguration is required."
fn cluster_configuration(sent: Option<&Value>) -> ApiResult<Option<Value>> {
    let Some(sent) = sent else { return Ok(None) };
    let mut out = sent.clone();
    if let Some(exec) = out.get_mut("executeCommandConfiguration").filter(|v| v.is_object()) {
        let r = Req(exec);
        match r.opt_str("logging")? {
            None => exec["logging"] = json!("DEFAULT"),
            Some("NONE" | "DEFAULT") => {}
            Some("OVERRIDE") if r.get("logConfiguration").is_none() => {
                return Err(ApiError::invalid(
                    "logConfiguration is required when the execute command logging is OVERRIDE.",
                ));
            }
            Some("OVERRIDE") => {}
            Some(other) => {
                return Err(ApiError::invalid(format!(
                    "Invalid execute command logging {other}. Valid values: NONE, DEFAULT, OVERRIDE."
                )));
            }
        }
    }
    Ok(Some(out))
}

/// `serviceConnectDefaults` as ECS stores it; `None` for the empty namespace.
///
/// botocore ecs service-2.json, ClusterServiceConnectDefaultsRequest.namespace (required): "If
/// you update the cluster with an empty string "" for the namespace name, the cluster
/// configuration for Service Connect is removed."
fn service_connect_defaults(sent: &Value) -> ApiResult<Option<Value>> {
    let namespace = Req(sent).str("namespace")?;
    Ok((!namespace.is_empty()).then(|| json!({"namespace": namespace})))
}

impl State {
    fn cluster_counts(&self, name: &str) -> ClusterCounts {
        let mut c = ClusterCounts::default();
        for task in self.tasks.values().filter(|t| t.cluster == name && t.desired_running()) {
            let fargate = task.launch_type == "FARGATE";
            match (task.last_status, fargate) {
                (TaskStatus::Running, true) => c.running_fargate += 1,
                (TaskStatus::Running, false) => c.running_ec2 += 1,
                (s, true) if s.is_pending() => c.pending_fargate += 1,
                (s, false) if s.is_pending() => c.pending_ec2 += 1,
                _ => {}
            }
        }
        for svc in self.services.values().filter(|s| s.key.cluster == name) {
            let fargate = svc.launch_type.as_deref() == Some("FARGATE") || !svc.capacity_provider_strategy.is_empty();
            match (svc.status, fargate) {
                (ServiceStatus::Active, true) => c.active_services_fargate += 1,
                (ServiceStatus::Active, false) => c.active_services_ec2 += 1,
                (ServiceStatus::Draining, true) => c.draining_services_fargate += 1,
                (ServiceStatus::Draining, false) => c.draining_services_ec2 += 1,
                _ => {}
            }
        }
        c
    }

    fn cluster_json(&self, cluster: &Cluster, inc: Includes) -> Value {
        let c = self.cluster_counts(&cluster.name);
        let mut v = json!({
            "clusterArn": cluster.arn,
            "clusterName": cluster.name,
            "status": if cluster.is_active() { "ACTIVE" } else { "INACTIVE" },
            "registeredContainerInstancesCount": 0,
            "runningTasksCount": c.running_fargate + c.running_ec2,
            "pendingTasksCount": c.pending_fargate + c.pending_ec2,
            "activeServicesCount": c.active_services_fargate + c.active_services_ec2,
            "statistics": [],
            "tags": [],
            "capacityProviders": cluster.capacity_providers,
            "defaultCapacityProviderStrategy": cluster.default_strategy,
        });
        if inc.tags {
            v["tags"] = tags_json(&cluster.tags);
        }
        if inc.settings {
            v["settings"] = Value::Array(cluster.settings.clone());
        }
        if inc.configurations {
            if let Some(conf) = &cluster.configuration {
                v["configuration"] = conf.clone();
            }
            if let Some(scd) = &cluster.service_connect_defaults {
                v["serviceConnectDefaults"] = scd.clone();
            }
        }
        if inc.statistics {
            v["statistics"] = statistics_json(&c);
        }
        v
    }

    pub(crate) fn create_cluster(&mut self, body: &Value) -> ApiResult<Value> {
        let r = Req(body);
        let name = r.opt_str("clusterName")?.unwrap_or("default").to_string();
        if !valid_name(&name) {
            return Err(ApiError::invalid(
                "Cluster name can have up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores.",
            ));
        }
        // ECS answers CreateCluster for an existing ACTIVE cluster with that cluster.
        if let Some(existing) = self.clusters.get(&name).filter(|c| c.is_active()) {
            return Ok(json!({"cluster": self.cluster_json(existing, Includes::all())}));
        }
        let mut settings = default_settings();
        merge_settings(&mut settings, r.array("settings")?)?;
        let capacity_providers = r.str_list("capacityProviders")?;
        let default_strategy = parse_strategy(r.array("defaultCapacityProviderStrategy")?)?;
        self.check_capacity_providers(&name, &capacity_providers, &default_strategy)?;
        let cluster = Cluster {
            arn: self.ident.cluster_arn(&name),
            name: name.clone(),
            deleted_at: None,
            tags: parse_tags(r.array("tags")?)?,
            settings,
            configuration: cluster_configuration(r.get("configuration"))?,
            service_connect_defaults: r
                .get("serviceConnectDefaults")
                .map(service_connect_defaults)
                .transpose()?
                .flatten(),
            capacity_providers,
            default_strategy,
        };
        let out = self.cluster_json(&cluster, Includes::all());
        self.clusters.insert(name, cluster);
        Ok(json!({"cluster": out}))
    }

    pub(crate) fn describe_clusters(&mut self, body: &Value) -> ApiResult<Value> {
        let r = Req(body);
        let mut names = r.str_list("clusters")?;
        if names.len() > 100 {
            return Err(ApiError::invalid("At most 100 clusters can be described at once."));
        }
        if names.is_empty() {
            names.push("default".to_string());
        }
        let inc = Includes::from_req(r)?;
        let (mut clusters, mut failures) = (vec![], vec![]);
        for ident in &names {
            let name = cluster_name(ident);
            match self.clusters.get(&name) {
                Some(c) => clusters.push(self.cluster_json(c, inc)),
                None => failures.push(json!({"arn": self.ident.cluster_arn(&name), "reason": "MISSING"})),
            }
        }
        Ok(json!({"clusters": clusters, "failures": failures}))
    }

    fn active_cluster_mut(&mut self, ident: Option<&str>) -> ApiResult<&mut Cluster> {
        let name = cluster_name(ident.unwrap_or("default"));
        match self.clusters.get_mut(&name) {
            Some(c) if c.is_active() => Ok(c),
            Some(_) => Err(ApiError::cluster_inactive()),
            None => Err(ApiError::cluster_not_found()),
        }
    }

    pub(crate) fn update_cluster(&mut self, body: &Value) -> ApiResult<Value> {
        let r = Req(body);
        let configuration = cluster_configuration(r.get("configuration"))?;
        let service_connect = r.get("serviceConnectDefaults").map(service_connect_defaults).transpose()?;
        let cluster = self.active_cluster_mut(Some(r.str("cluster")?))?;
        let mut settings = cluster.settings.clone();
        merge_settings(&mut settings, r.array("settings")?)?;
        // Each member left out keeps its value; a configuration sent replaces the stored one.
        cluster.settings = settings;
        if configuration.is_some() {
            cluster.configuration = configuration;
        }
        if let Some(scd) = service_connect {
            cluster.service_connect_defaults = scd;
        }
        let cluster = cluster.clone();
        Ok(json!({"cluster": self.cluster_json(&cluster, Includes::all())}))
    }

    pub(crate) fn update_cluster_settings(&mut self, body: &Value) -> ApiResult<Value> {
        let r = Req(body);
        let cluster = self.active_cluster_mut(Some(r.str("cluster")?))?;
        let mut settings = cluster.settings.clone();
        merge_settings(&mut settings, r.array("settings")?)?;
        cluster.settings = settings;
        let cluster = cluster.clone();
        Ok(json!({"cluster": self.cluster_json(&cluster, Includes::all())}))
    }

    /// Every provider must exist, and a default strategy may only name listed providers. A
    /// Managed Instances provider can only be associated with its own cluster (botocore
    /// PutClusterCapacityProviders: "when you create a capacity provider with Amazon ECS Managed
    /// Instances, it becomes available only within the specified cluster").
    fn check_capacity_providers(&self, cluster: &str, providers: &[String], strategy: &[Value]) -> ApiResult<()> {
        for name in providers {
            if !self.capacity_provider_exists(name) {
                return Err(ApiError::invalid(format!("The specified capacity provider {name} was not found.")));
            }
            if let Some(own) = self.capacity_providers.get(name).and_then(|p| p.mi_cluster())
                && own != cluster
            {
                return Err(ApiError::invalid(format!(
                    "The Managed Instances capacity provider {name} belongs to cluster {own} and cannot be associated with cluster {cluster}."
                )));
            }
        }
        crate::placement::check_strategy_providers(strategy, providers)
    }

    pub(crate) fn put_cluster_capacity_providers(&mut self, body: &Value) -> ApiResult<Value> {
        let r = Req(body);
        let ident = r.str("cluster")?;
        let current = self.active_cluster(Some(ident))?.clone();
        // Both members are required (botocore PutClusterCapacityProvidersRequest); [] clears.
        if r.opt_array("capacityProviders")?.is_none() {
            return Err(ApiError::invalid("capacityProviders is required."));
        }
        if r.opt_array("defaultCapacityProviderStrategy")?.is_none() {
            return Err(ApiError::invalid("defaultCapacityProviderStrategy is required."));
        }
        let providers = r.str_list("capacityProviders")?;
        let strategy = parse_strategy(r.array("defaultCapacityProviderStrategy")?)?;
        self.check_capacity_providers(&current.name, &providers, &strategy)?;
        // botocore PutClusterCapacityProviders: "You can only disassociate an existing capacity
        // provider from a cluster if it's not being used by any existing tasks." AWS answers
        // ResourceInUseException "The specified capacity provider is in use and cannot be
        // removed." (CloudFormation errors quoted in cdk-fargate-patterns issue 71).
        for removed in current.capacity_providers.iter().filter(|p| !providers.contains(p)) {
            if self.capacity_provider_has_tasks(&current.name, removed) {
                return Err(ApiError::new(
                    ErrorKind::ResourceInUse,
                    "The specified capacity provider is in use and cannot be removed.",
                ));
            }
        }
        let cluster = self.active_cluster_mut(Some(ident))?;
        cluster.capacity_providers = providers;
        cluster.default_strategy = strategy;
        let cluster = cluster.clone();
        Ok(json!({"cluster": self.cluster_json(&cluster, Includes::all())}))
    }

    pub(crate) fn delete_cluster(&mut self, body: &Value) -> ApiResult<Value> {
        let r = Req(body);
        let name = self.active_cluster(Some(r.str("cluster")?))?.name.clone();
        let live_services = self
            .services
            .values()
            .any(|s| s.key.cluster == name && matches!(s.status, ServiceStatus::Active | ServiceStatus::Draining));
        if live_services {
            return Err(ApiError::new(
                ErrorKind::ClusterContainsServices,
                "The Cluster cannot be deleted while Services are active.",
            ));
        }
        if self.tasks.values().any(|t| t.cluster == name && t.last_status != TaskStatus::Stopped) {
            return Err(ApiError::new(
                ErrorKind::ClusterContainsTasks,
                "The Cluster cannot be deleted while Tasks are active.",
            ));
        }
        // botocore ClusterContainsCapacityProviderException: "This exception occurs when you try
        // to delete a cluster that still has active capacity providers, including Amazon ECS
        // Managed Instances capacity providers. You must first delete all capacity providers from
        // the cluster". Auto Scaling group providers are only associated, and DeleteCapacityProvider
        // says "To remove a capacity provider from a cluster, you can either use
        // PutClusterCapacityProviders or delete the cluster": only the cluster's own Managed
        // Instances providers block it.
        if self.capacity_providers.values().any(|p| p.active && p.mi_cluster() == Some(name.as_str())) {
            return Err(ApiError::new(
                ErrorKind::ClusterContainsCapacityProvider,
                "The cluster contains one or more capacity providers that prevent the requested operation. Delete the cluster's Managed Instances capacity providers and try again.",
            ));
        }
        let now = self.now;
        let cluster = self.active_cluster_mut(Some(&name))?;
        cluster.deleted_at = Some(now);
        let cluster = cluster.clone();
        self.schedule(now + INACTIVE_CLUSTER_RETENTION.as_millis() as u64, TimerKind::ClusterPurge(name, now));
        Ok(json!({"cluster": self.cluster_json(&cluster, Includes::all())}))
    }

    /// Forgets a cluster deleted at `deleted_at` once its retention is over, unless it was
    /// created again since.
    pub(crate) fn purge_cluster(&mut self, name: &str, deleted_at: u64) {
        if self.clusters.get(name).is_some_and(|c| c.deleted_at == Some(deleted_at)) {
            self.clusters.remove(name);
        }
    }

    /// ACTIVE clusters and INACTIVE ones still within their retention, as AWS lists them.
    pub(crate) fn list_clusters(&mut self, body: &Value) -> ApiResult<Value> {
        let r = Req(body);
        let arns: Vec<String> = self.clusters.values().map(|c| c.arn.clone()).collect();
        let (page, next) = paginate(&arns, r.opt_i64("maxResults")?, 100, 100, r.opt_str("nextToken")?)?;
        Ok(json!({"clusterArns": page, "nextToken": next}))
    }
}

fn statistics_json(c: &ClusterCounts) -> Value {
    let stats = [
        ("runningEC2TasksCount", c.running_ec2),
        ("runningFargateTasksCount", c.running_fargate),
        ("pendingEC2TasksCount", c.pending_ec2),
        ("pendingFargateTasksCount", c.pending_fargate),
        ("activeEC2ServiceCount", c.active_services_ec2),
        ("activeFargateServiceCount", c.active_services_fargate),
        ("drainingEC2ServiceCount", c.draining_services_ec2),
        ("drainingFargateServiceCount", c.draining_services_fargate),
    ];
    Value::Array(stats.iter().map(|(n, v)| json!({"name": n, "value": v.to_string()})).collect())
}
