//! Services: CreateService (client-token idempotency, name conflicts, duplicate owner
//! detection), DescribeServices (≤ 10, failures for missing), UpdateService (new
//! deployment when the task set changes), DeleteService (DRAINING → INACTIVE) and
//! ListServices. A service that went INACTIVE stays describable for
//! `INACTIVE_SERVICE_RETENTION`, then is forgotten. The scheduler that moves deployments
//! lives in `deployments`.

use std::collections::VecDeque;
use std::time::Duration;

use serde_json::{Value, json};

use crate::capacity_providers::parse_strategy;
use crate::clock::epoch_seconds;
use crate::deployment_configs::DeploymentConfigs;
use crate::deployments::{DeploymentConfig, DeploymentTasks};
use crate::error::{ApiError, ApiResult, ErrorKind};
use crate::placement::{Placement, check_launch_compatibility, check_network};
use crate::protocol::{Req, Tags, canonical, paginate, parse_tags, service_ident, tags_json, valid_name};
use crate::service_settings::{
    HEALTH_CHECK_GRACE_PERIOD_DEFAULT, az_rebalancing, default_az_rebalancing, default_deployment_controller,
    deployment_controller, health_check_grace_period, network_configuration, role_arn, role_with_awsvpc,
};
use crate::state::{State, TokenRecord};
use crate::stats::{DuplicateCreate, OWNER_TAG};
use crate::task_definitions::TdStatus;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServiceKey {
    pub cluster: String,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceStatus {
    Active,
    Draining,
    Inactive,
}

impl ServiceStatus {
    fn as_str(self) -> &'static str {
        match self {
            ServiceStatus::Active => "ACTIVE",
            ServiceStatus::Draining => "DRAINING",
            ServiceStatus::Inactive => "INACTIVE",
        }
    }
}

#[derive(Debug, Clone)]
pub struct ServiceEvent {
    pub id: String,
    pub created_at: u64,
    pub message: String,
}

/// How long an INACTIVE service can still be described. botocore ecs service-2.json,
/// DeleteService: "Services in the DRAINING or INACTIVE status can still be viewed with the
/// DescribeServices API operation. However, in the future, INACTIVE services may be cleaned up
/// and purged from Amazon ECS record keeping" (DescribeServices then reports them as a MISSING
/// failure, which is what the ServicesInactive waiter in botocore's waiters-2.json expects).
/// AWS gives no period; ecs-sim keeps them one simulated hour, as it does INACTIVE clusters.
pub const INACTIVE_SERVICE_RETENTION: Duration = Duration::from_secs(3600);

/// ECS keeps the latest 100 events per service.
const MAX_EVENTS: usize = 100;

#[derive(Debug, Clone)]
pub struct Service {
    pub key: ServiceKey,
    pub arn: String,
    pub status: ServiceStatus,
    /// Simulated ms at which it went INACTIVE; `None` before.
    pub inactive_at: Option<u64>,
    pub desired_count: u32,
    pub task_definition: String,
    pub launch_type: Option<String>,
    pub capacity_provider_strategy: Vec<Value>,
    pub platform_version: Option<String>,
    pub network_configuration: Option<Value>,
    pub load_balancers: Vec<Value>,
    pub service_registries: Vec<Value>,
    pub deployment_config: DeploymentConfig,
    pub deployment_controller: Value,
    pub placement_constraints: Vec<Value>,
    pub placement_strategy: Vec<Value>,
    pub health_check_grace_period: i64,
    pub scheduling_strategy: String,
    pub enable_ecs_managed_tags: bool,
    pub propagate_tags: String,
    pub enable_execute_command: bool,
    /// ENABLED or DISABLED; UpdateService changes it without a new deployment.
    pub availability_zone_rebalancing: String,
    pub role_arn: Option<String>,
    /// The capacity provider strategy names an Amazon ECS Managed Instances provider: tasks
    /// run with launch type MANAGED_INSTANCES.
    pub managed_instances: bool,
    /// serviceConnectConfiguration, volumeConfigurations and vpcLatticeConfigurations: each new
    /// deployment carries a copy (see `deployment_configs`).
    pub configs: DeploymentConfigs,
    pub created_at: u64,
    pub tags: Tags,
    /// PRIMARY first, then ACTIVE deployments still draining.
    pub deployments: Vec<crate::deployments::Deployment>,
    pub events: VecDeque<ServiceEvent>,
    pub task_ids: Vec<String>,
    /// The last deployment that reached COMPLETED: the rollback target.
    pub last_completed: Option<crate::service_deployments::LastCompleted>,
    /// Service deployment records (DescribeServiceDeployments), newest first.
    pub service_deployments: VecDeque<crate::service_deployments::ServiceDeploymentRecord>,
    /// Whether the steady-state event has been emitted since the last change.
    pub steady: bool,
    /// The service revisions its deployments ran, newest first (DescribeServiceRevisions).
    pub revisions: VecDeque<crate::service_revisions::ServiceRevision>,
    /// Set for a service made by CreateExpressGatewayService.
    pub express: Option<Box<crate::express::ExpressService>>,
}

impl Service {
    /// The launch type tasks report: capacity provider strategies on FARGATE(_SPOT) run
    /// as FARGATE, on a Managed Instances provider as MANAGED_INSTANCES (botocore LaunchType),
    /// anything else as EC2.
    pub fn task_launch_type(&self) -> String {
        if let Some(lt) = &self.launch_type {
            return lt.clone();
        }
        if self.managed_instances {
            return "MANAGED_INSTANCES".to_string();
        }
        let fargate = self
            .capacity_provider_strategy
            .iter()
            .any(|s| s["capacityProvider"].as_str().is_some_and(|p| p.starts_with("FARGATE")));
        if fargate { "FARGATE".to_string() } else { "EC2".to_string() }
    }
}

/// Settings UpdateService can change that start a new deployment when they differ (botocore
/// marks each UpdateServiceRequest member "This parameter triggers a new service deployment"
/// or "doesn't trigger"). capacityProviderStrategy "doesn't trigger" one: a change to it is
/// refused unless forceNewDeployment comes with it.
#[derive(Debug, Clone, PartialEq)]
struct TaskSetShape {
    task_definition: String,
    platform_version: Option<String>,
    network_configuration: Option<Value>,
    load_balancers: Vec<Value>,
    service_registries: Vec<Value>,
    configs: DeploymentConfigs,
}

impl TaskSetShape {
    fn of(s: &Service) -> Self {
        TaskSetShape {
            task_definition: s.task_definition.clone(),
            platform_version: s.platform_version.clone(),
            network_configuration: s.network_configuration.clone(),
            load_balancers: s.load_balancers.clone(),
            service_registries: s.service_registries.clone(),
            configs: s.configs.clone(),
        }
    }
}

fn desired_count(r: Req) -> ApiResult<Option<u32>> {
    match r.opt_i64("desiredCount")? {
        None => Ok(None),
        Some(n) if (0..=5000).contains(&n) => Ok(Some(n as u32)),
        Some(n) => Err(ApiError::invalid(format!("desiredCount must be between 0 and 5000, got {n}."))),
    }
}

/// AWS's answer to a desiredCount on a DAEMON service, in CreateService and UpdateService.
pub(crate) fn daemon_desired_count() -> ApiError {
    ApiError::invalid(
        "The daemon scheduling strategy does not support a desired count for services. Remove the desired count value and try again",
    )
}

/// What DAEMON services cannot have (AWS: no desired count, no Fargate, no placement
/// strategies, no capacity provider strategies, maximumPercent at most 100).
fn check_daemon(s: &Service) -> ApiResult<()> {
    if s.scheduling_strategy != "DAEMON" {
        return Ok(());
    }
    if s.task_launch_type() == "FARGATE" {
        return Err(ApiError::invalid("The daemon scheduling strategy is not supported with the FARGATE launch type."));
    }
    if !s.placement_strategy.is_empty() {
        return Err(ApiError::invalid("The daemon scheduling strategy does not support placement strategies."));
    }
    if !s.capacity_provider_strategy.is_empty() {
        return Err(ApiError::invalid("The daemon scheduling strategy does not support capacity provider strategies."));
    }
    if s.deployment_config.maximum_percent > 100 {
        return Err(ApiError::invalid(
            "The daemon scheduling strategy does not support values above 100 for maximumPercent on a deployment configuration. Change the maximumPercent value to 100, and try again",
        ));
    }
    Ok(())
}

fn not_idempotent() -> ApiError {
    ApiError::invalid("Creation of service was not idempotent.")
}

impl State {
    /// A service in `cluster` by name or ARN, in any status.
    pub fn find_service(&self, cluster: &str, ident: &str) -> ApiResult<&Service> {
        let (_, name) = service_ident(ident);
        self.services.get(&ServiceKey { cluster: cluster.to_string(), name }).ok_or_else(ApiError::service_not_found)
    }

    pub fn add_event(&mut self, key: &ServiceKey, at: u64, message: String) {
        let id = self.random_uuid();
        if let Some(svc) = self.services.get_mut(key) {
            svc.events.push_front(ServiceEvent { id, created_at: at, message });
            svc.events.truncate(MAX_EVENTS);
        }
    }

    /// An ACTIVE revision to run; INACTIVE ones cannot start new services or deployments.
    /// A revision that does not exist is ClientException "TaskDefinition not found." in AWS.
    pub(crate) fn runnable_task_definition(&self, ident: &str) -> ApiResult<(String, Value)> {
        let rev = self.find_revision(ident).map_err(|_| ApiError::client("TaskDefinition not found."))?;
        if rev.status != TdStatus::Active {
            return Err(ApiError::invalid("TaskDefinition is inactive"));
        }
        Ok((rev.arn().to_string(), rev.body.clone()))
    }

    pub(crate) fn create_service(&mut self, body: &Value) -> ApiResult<Value> {
        let r = Req(body);
        let cluster = self.active_cluster(r.opt_str("cluster")?)?.clone();
        let name = r.str("serviceName")?.to_string();
        if !valid_name(&name) {
            return Err(ApiError::invalid(
                "Service name can have up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores.",
            ));
        }
        let key = ServiceKey { cluster: cluster.name.clone(), name };
        let token = r.opt_str("clientToken")?;
        let fingerprint = fingerprint(body);
        if let Some(existing) = token.and_then(|t| self.client_tokens.get(t)) {
            if existing.fingerprint != fingerprint {
                return Err(not_idempotent());
            }
            let svc = self.services.get(&existing.service).ok_or_else(not_idempotent)?;
            return Ok(json!({"service": self.service_json(svc, true)}));
        }
        match self.services.get(&key).map(|s| s.status) {
            Some(ServiceStatus::Active) => return Err(not_idempotent()),
            Some(ServiceStatus::Draining) => {
                return Err(ApiError::invalid("Unable to Start a service that is still Draining."));
            }
            _ => {}
        }
        let svc = self.build_service(r, &key, &cluster.default_strategy, cluster.service_connect_defaults.as_ref())?;
        self.record_duplicate(&svc);
        self.services.insert(key.clone(), svc);
        if let Some(t) = token {
            self.client_tokens.insert(t.to_string(), TokenRecord { fingerprint, service: key.clone() });
        }
        let now = self.now;
        self.start_service_deployment(&key, now);
        self.reconcile_service(&key, now);
        let svc = self.services.get(&key).ok_or_else(ApiError::service_not_found)?;
        Ok(json!({"service": self.service_json(svc, true)}))
    }

    /// Validates a CreateService request into a service with no deployments yet.
    fn build_service(
        &self,
        r: Req,
        key: &ServiceKey,
        cluster_strategy: &[Value],
        cluster_namespace: Option<&Value>,
    ) -> ApiResult<Service> {
        let (td_arn, td) = self.runnable_task_definition(r.str("taskDefinition")?)?;
        // botocore CreateServiceRequest.desiredCount: "required if schedulingStrategy is REPLICA
        // or isn't specified": REPLICA is the default.
        let scheduling = r.opt_str("schedulingStrategy")?.unwrap_or("REPLICA").to_string();
        let daemon = match scheduling.as_str() {
            "REPLICA" => false,
            "DAEMON" => true,
            other => return Err(ApiError::invalid(format!("Invalid schedulingStrategy {other}."))),
        };
        // DAEMON runs one task per ACTIVE container instance; the simulator has none, so 0.
        let desired = match (daemon, desired_count(r)?) {
            (true, Some(_)) => return Err(daemon_desired_count()),
            (true, None) => 0,
            (false, Some(n)) => n,
            (false, None) => {
                return Err(ApiError::invalid("desiredCount is required when schedulingStrategy is REPLICA."));
            }
        };
        // A DAEMON service with neither runs on EC2 rather than the cluster's default strategy.
        let placement = self.placement(r, &key.cluster, cluster_strategy, &td, !daemon)?;
        let Placement { launch_type, strategy, fargate, managed_instances, network } = placement;
        let configs = DeploymentConfigs::from_create(r)?;
        configs.check(&td, cluster_namespace, fargate)?;
        let role = r.opt_str("role")?;
        if role.is_some() && td["networkMode"].as_str() == Some("awsvpc") {
            return Err(role_with_awsvpc());
        }
        let defaults = if daemon { DeploymentConfig::daemon() } else { DeploymentConfig::default() };
        let deployment_config = defaults.merge(r.get("deploymentConfiguration").unwrap_or(&json!({})))?;
        let requested_az_rebalancing = az_rebalancing(r)?;
        let mut svc = Service {
            arn: self.ident.service_arn(&key.cluster, &key.name),
            key: key.clone(),
            status: ServiceStatus::Active,
            inactive_at: None,
            desired_count: desired,
            task_definition: td_arn,
            platform_version: r
                .opt_str("platformVersion")?
                .map(str::to_string)
                // botocore CreateServiceRequest.platformVersion: "If one isn't specified, the
                // LATEST platform version is used" (Fargate only).
                .or(fargate.then(|| "LATEST".to_string())),
            launch_type,
            capacity_provider_strategy: strategy,
            network_configuration: network,
            load_balancers: r.array("loadBalancers")?.to_vec(),
            service_registries: r.array("serviceRegistries")?.to_vec(),
            deployment_config,
            deployment_controller: deployment_controller(r)?.unwrap_or_else(default_deployment_controller),
            placement_constraints: r.array("placementConstraints")?.to_vec(),
            placement_strategy: r.array("placementStrategy")?.to_vec(),
            health_check_grace_period: health_check_grace_period(r)?.unwrap_or(HEALTH_CHECK_GRACE_PERIOD_DEFAULT),
            scheduling_strategy: scheduling,
            // botocore: enableECSManagedTags and enableExecuteCommand are non-boxed Booleans on
            // CreateServiceRequest (false when left out); propagateTags: "The default is NONE."
            enable_ecs_managed_tags: r.opt_bool("enableECSManagedTags")?.unwrap_or(false),
            propagate_tags: r.opt_str("propagateTags")?.unwrap_or("NONE").to_string(),
            enable_execute_command: r.opt_bool("enableExecuteCommand")?.unwrap_or(false),
            availability_zone_rebalancing: String::new(),
            role_arn: None,
            managed_instances,
            configs,
            created_at: self.now,
            tags: parse_tags(r.array("tags")?)?,
            deployments: vec![],
            events: VecDeque::new(),
            task_ids: vec![],
            last_completed: None,
            service_deployments: VecDeque::new(),
            steady: false,
            revisions: VecDeque::new(),
            express: None,
        };
        check_daemon(&svc)?;
        let needs_service_linked_role = td["networkMode"].as_str() == Some("awsvpc")
            || !svc.load_balancers.is_empty()
            || !svc.service_registries.is_empty()
            || svc.deployment_controller["type"].as_str() == Some("EXTERNAL");
        svc.role_arn = role_arn(&self.ident.account, role, needs_service_linked_role);
        svc.availability_zone_rebalancing =
            requested_az_rebalancing.unwrap_or_else(|| default_az_rebalancing(&svc).to_string());
        Ok(svc)
    }

    /// A second live service carrying the same owner tag is a duplicate create.
    fn record_duplicate(&mut self, new: &Service) {
        let Some(owner) = new.tags.get(OWNER_TAG) else { return };
        let existing = self
            .services
            .values()
            .find(|s| s.status != ServiceStatus::Inactive && s.key != new.key && s.tags.get(OWNER_TAG) == Some(owner));
        if let Some(existing) = existing {
            self.stats.duplicate_creates.push(DuplicateCreate {
                owner: owner.clone(),
                existing_service_arn: existing.arn.clone(),
                new_service_arn: new.arn.clone(),
            });
        }
    }

    pub(crate) fn describe_services(&mut self, body: &Value) -> ApiResult<Value> {
        let r = Req(body);
        let cluster = self.active_cluster(r.opt_str("cluster")?)?.name.clone();
        let idents = r.str_list("services")?;
        if idents.is_empty() || idents.len() > 10 {
            return Err(ApiError::invalid("services must contain between 1 and 10 items."));
        }
        let with_tags = r.includes("TAGS")?;
        let (mut found, mut failures) = (vec![], vec![]);
        for ident in &idents {
            match self.find_service(&cluster, ident) {
                Ok(svc) => found.push(self.service_json(svc, with_tags)),
                Err(_) => {
                    // AWS leaves the cluster out of a missing service's ARN.
                    let arn = self.ident.arn(&format!("service/{}", service_ident(ident).1));
                    failures.push(json!({"arn": arn, "reason": "MISSING"}));
                }
            }
        }
        Ok(json!({"services": found, "failures": failures}))
    }

    pub(crate) fn update_service(&mut self, body: &Value) -> ApiResult<Value> {
        let r = Req(body);
        let cluster = self.active_cluster(r.opt_str("cluster")?)?.name.clone();
        let key = self.find_service(&cluster, r.str("service")?)?.key.clone();
        let current = self.services.get(&key).cloned().ok_or_else(ApiError::service_not_found)?;
        if current.status != ServiceStatus::Active {
            return Err(ApiError::new(ErrorKind::ServiceNotActive, "Service was not ACTIVE."));
        }
        // A field a test told ECS to keep (see `kept_fields`) is run as the kept value.
        let kept = self.with_kept_fields(&key, body);
        let r = Req(kept.as_ref().unwrap_or(body));
        let updated = self.apply_update(r, &current)?;
        let redeploy =
            TaskSetShape::of(&updated) != TaskSetShape::of(&current) || r.opt_bool("forceNewDeployment")? == Some(true);
        let scaled = updated.desired_count != current.desired_count;
        self.services.insert(key.clone(), updated);
        let now = self.now;
        if redeploy {
            self.start_service_deployment(&key, now);
        } else if scaled && let Some(svc) = self.services.get_mut(&key) {
            svc.steady = false;
        }
        self.reconcile_service(&key, now);
        let svc = self.services.get(&key).ok_or_else(ApiError::service_not_found)?;
        Ok(json!({"service": self.service_json(svc, false)}))
    }

    /// The service after an UpdateService request, validated; state is not touched.
    fn apply_update(&self, r: Req, current: &Service) -> ApiResult<Service> {
        let mut s = current.clone();
        if let Some(n) = desired_count(r)? {
            if s.scheduling_strategy == "DAEMON" {
                return Err(daemon_desired_count());
            }
            s.desired_count = n;
        }
        let td = match r.opt_str("taskDefinition")? {
            Some(ident) => {
                let (arn, td) = self.runnable_task_definition(ident)?;
                s.task_definition = arn;
                td
            }
            None => self.find_revision(&s.task_definition).map(|rev| rev.body.clone()).unwrap_or(Value::Null),
        };
        if let Some(strategy) = r.opt_array("capacityProviderStrategy")? {
            let strategy = parse_strategy(strategy)?;
            self.check_strategy(&s.key.cluster, &strategy)?;
            if !same_strategy(&strategy, &current.capacity_provider_strategy) {
                if r.opt_bool("forceNewDeployment")? != Some(true) {
                    return Err(strategy_change_needs_force());
                }
                // botocore UpdateServiceRequest.capacityProviderStrategy: "Update the Auto
                // Scaling group or Fargate capacity provider back to the launch type. Pass an
                // empty list". Which launch type is not said; the one the strategy ran on.
                s.launch_type = strategy.is_empty().then(|| current.task_launch_type());
                s.managed_instances = self.strategy_is_managed_instances(&strategy);
                s.capacity_provider_strategy = strategy;
            }
        }
        if let Some(n) = network_configuration(r.get("networkConfiguration"))? {
            s.network_configuration = Some(n);
        }
        let fargate = s.task_launch_type() == "FARGATE";
        check_launch_compatibility(&td, &s.task_launch_type())?;
        check_network(&td, s.network_configuration.as_ref())?;
        if let Some(dc) = r.get("deploymentConfiguration") {
            s.deployment_config = s.deployment_config.merge(dc)?;
        }
        if let Some(v) = r.opt_str("platformVersion")? {
            s.platform_version = Some(v.to_string());
        }
        if let Some(lbs) = r.opt_array("loadBalancers")? {
            s.load_balancers = lbs.clone();
        }
        if let Some(regs) = r.opt_array("serviceRegistries")? {
            s.service_registries = regs.clone();
        }
        s.configs = s.configs.update(r)?;
        // Checked against the task definition the service will run when either side changes
        // (a desiredCount-only update does not re-check a configuration ECS already accepted).
        let touched = r.get("taskDefinition").is_some()
            || ["serviceConnectConfiguration", "volumeConfigurations", "vpcLatticeConfigurations"]
                .iter()
                .any(|k| r.get(k).is_some());
        if touched {
            let namespace = self.clusters.get(&s.key.cluster).and_then(|c| c.service_connect_defaults.as_ref());
            s.configs.check(&td, namespace, fargate)?;
        }
        if let Some(p) = r.opt_array("placementConstraints")? {
            s.placement_constraints = p.clone();
        }
        if let Some(p) = r.opt_array("placementStrategy")? {
            s.placement_strategy = p.clone();
        }
        if let Some(g) = health_check_grace_period(r)? {
            s.health_check_grace_period = g;
        }
        if let Some(b) = r.opt_bool("enableExecuteCommand")? {
            s.enable_execute_command = b;
        }
        if let Some(b) = r.opt_bool("enableECSManagedTags")? {
            s.enable_ecs_managed_tags = b;
        }
        if let Some(p) = r.opt_str("propagateTags")? {
            s.propagate_tags = p.to_string();
        }
        // botocore ecs service-2.json, UpdateServiceRequest.availabilityZoneRebalancing: "when no
        // value is specified ..., Amazon ECS defaults to the existing service's
        // AvailabilityZoneRebalancing value." Every simulated service has one from CreateService.
        if let Some(v) = az_rebalancing(r)? {
            s.availability_zone_rebalancing = v;
        }
        // UpdateServiceRequest.deploymentController is a member (undocumented in the model):
        // sent, it replaces the controller; left out, the controller stays.
        if let Some(c) = deployment_controller(r)? {
            s.deployment_controller = c;
        }
        check_daemon(&s)?;
        Ok(s)
    }

    pub(crate) fn delete_service(&mut self, body: &Value) -> ApiResult<Value> {
        let r = Req(body);
        let cluster = self.active_cluster(r.opt_str("cluster")?)?.name.clone();
        let svc = self.find_service(&cluster, r.str("service")?)?;
        // DeleteService of an INACTIVE service answers with the service, unchanged
        // (aws-sdk-js issue 4189: "returns a success response ... returns the service object").
        if svc.status == ServiceStatus::Inactive {
            return Ok(json!({"service": self.service_json(svc, false)}));
        }
        let force = r.opt_bool("force")?.unwrap_or(false);
        if svc.desired_count > 0 && !force && svc.status == ServiceStatus::Active {
            return Err(ApiError::invalid("The service cannot be stopped while it is scaled above 0."));
        }
        let key = svc.key.clone();
        if let Some(svc) = self.services.get_mut(&key) {
            svc.status = ServiceStatus::Draining;
            svc.desired_count = 0;
        }
        let now = self.now;
        self.reconcile_service(&key, now);
        let svc = self.services.get(&key).ok_or_else(ApiError::service_not_found)?;
        Ok(json!({"service": self.service_json(svc, false)}))
    }

    /// Forgets a service INACTIVE since `inactive_at`, unless it was created again since.
    pub(crate) fn purge_service(&mut self, key: &ServiceKey, inactive_at: u64) {
        if self.services.get(key).is_some_and(|s| s.inactive_at == Some(inactive_at)) {
            self.services.remove(key);
        }
    }

    pub(crate) fn list_services(&mut self, body: &Value) -> ApiResult<Value> {
        let r = Req(body);
        let cluster = self.active_cluster(r.opt_str("cluster")?)?.name.clone();
        let launch_type = r.opt_str("launchType")?;
        let scheduling = r.opt_str("schedulingStrategy")?;
        let arns: Vec<String> = self
            .services
            .values()
            .filter(|s| s.key.cluster == cluster && s.status != ServiceStatus::Inactive)
            .filter(|s| launch_type.is_none_or(|l| s.task_launch_type() == l))
            .filter(|s| scheduling.is_none_or(|x| s.scheduling_strategy == x))
            .map(|s| s.arn.clone())
            .collect();
        let (page, next) = paginate(&arns, r.opt_i64("maxResults")?, 10, 100, r.opt_str("nextToken")?)?;
        Ok(json!({"serviceArns": page, "nextToken": next}))
    }

    pub fn service_json(&self, svc: &Service, with_tags: bool) -> Value {
        let groups: Vec<DeploymentTasks> =
            svc.deployments.iter().map(|d| self.deployment_tasks(&svc.key, &d.id)).collect();
        let running: usize = groups.iter().map(|g| g.running.len()).sum();
        let pending: usize = groups.iter().map(|g| g.pending.len()).sum();
        let deployments: Vec<Value> =
            svc.deployments.iter().zip(&groups).map(|(d, g)| self.deployment_json(svc, d, g)).collect();
        let events: Vec<Value> = svc
            .events
            .iter()
            .map(|e| json!({"id": e.id, "createdAt": epoch_seconds(e.created_at), "message": e.message}))
            .collect();
        let mut v = json!({
            "serviceArn": svc.arn,
            "serviceName": svc.key.name,
            "clusterArn": self.ident.cluster_arn(&svc.key.cluster),
            "loadBalancers": svc.load_balancers,
            "serviceRegistries": svc.service_registries,
            "status": svc.status.as_str(),
            "desiredCount": svc.desired_count,
            "runningCount": running,
            "pendingCount": pending,
            "launchType": svc.launch_type,
            "capacityProviderStrategy": svc.capacity_provider_strategy,
            "platformVersion": svc.platform_version,
            "platformFamily": svc.platform_version.as_ref().map(|_| "Linux"),
            "taskDefinition": svc.task_definition,
            "deploymentConfiguration": svc.deployment_config.to_json(),
            "deployments": deployments,
            "roleArn": svc.role_arn,
            "events": events,
            "createdAt": epoch_seconds(svc.created_at),
            "placementConstraints": svc.placement_constraints,
            "placementStrategy": svc.placement_strategy,
            "networkConfiguration": svc.network_configuration,
            "healthCheckGracePeriodSeconds": svc.health_check_grace_period,
            "schedulingStrategy": svc.scheduling_strategy,
            "deploymentController": svc.deployment_controller,
            "createdBy": self.ident.caller_arn(),
            "enableECSManagedTags": svc.enable_ecs_managed_tags,
            "propagateTags": svc.propagate_tags,
            "enableExecuteCommand": svc.enable_execute_command,
            "availabilityZoneRebalancing": svc.availability_zone_rebalancing,
            // botocore Service.currentServiceDeployment: "The ARN of the current service
            // deployment" (the newest one).
            "currentServiceDeployment": svc.current_service_deployment().map(|r| r.arn.clone()),
        });
        // botocore ecs service-2.json, Service.capacityProviderStrategy: "When using the
        // DescribeServices API, this field is omitted if the service was created using a launch
        // type." (Service.launchType is omitted the other way round: it is None then.)
        if svc.launch_type.is_some()
            && let Some(obj) = v.as_object_mut()
        {
            obj.remove("capacityProviderStrategy");
        }
        if with_tags {
            v["tags"] = tags_json(&svc.tags);
        }
        v
    }

    fn deployment_json(&self, svc: &Service, d: &crate::deployments::Deployment, g: &DeploymentTasks) -> Value {
        let desired = if d.primary { svc.desired_count as usize } else { g.running.len() + g.pending.len() };
        let mut v = json!({
            "id": d.id,
            "status": if d.primary { "PRIMARY" } else { "ACTIVE" },
            "taskDefinition": d.task_definition,
            "desiredCount": desired,
            "pendingCount": g.pending.len(),
            "runningCount": g.running.len(),
            "failedTasks": d.failed_tasks,
            "createdAt": epoch_seconds(d.created_at),
            "updatedAt": epoch_seconds(d.updated_at),
            "launchType": d.launch_type,
            "capacityProviderStrategy": d.capacity_provider_strategy,
            "platformVersion": d.platform_version,
            "platformFamily": d.platform_version.as_ref().map(|_| "Linux"),
            "networkConfiguration": d.network_configuration,
            "rolloutState": d.rollout.as_str(),
            "rolloutStateReason": d.rollout_reason,
        });
        d.configs.write_json(&mut v);
        v
    }
}

/// Two CreateService requests are "the same" when they match apart from the token.
fn fingerprint(body: &Value) -> String {
    let mut b = body.clone();
    if let Some(obj) = b.as_object_mut() {
        obj.remove("clientToken");
    }
    canonical(&b)
}

/// Two strategies are the same when they hold the same items, in any order.
fn same_strategy(a: &[Value], b: &[Value]) -> bool {
    let sorted = |s: &[Value]| {
        let mut v: Vec<String> = s.iter().map(canonical).collect();
        v.sort();
        v
    };
    sorted(a) == sorted(b)
}

/// What UpdateService answers to a capacity provider strategy change without
/// forceNewDeployment (the error AWS returns; pipe-cd PR 6385, ecs_deploy PR 75).
fn strategy_change_needs_force() -> ApiError {
    ApiError::invalid(
        "When switching from launch type to capacity provider strategy on an existing service, or making a change to a capacity provider strategy on a service that is already using one, you must force a new deployment.",
    )
}
