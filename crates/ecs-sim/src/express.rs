//! Amazon ECS Express Mode (botocore CreateExpressGatewayService, UpdateExpressGatewayService,
//! DescribeExpressGatewayService, DeleteExpressGatewayService, ECSExpressGatewayService,
//! UpdatedExpressGatewayService; developer guide "Amazon ECS Express Mode").
//!
//! An Express service is an ECS service: CreateExpressGatewayService registers a Fargate task
//! definition and runs CreateService (so DescribeServices, the rollout, failing tasks, the circuit
//! breaker, service deployments and tags are the ordinary ones), registers the scaling with
//! Application Auto Scaling and records the managed resources (`express_resources`). Each change
//! UpdateExpressGatewayService makes is a new service revision rolled out by UpdateService. The
//! configuration of each revision lives on the revision (`service_revisions`); what an Express
//! service reports as its configuration is that of the revisions its deployments run.

use serde_json::{Value, json};

use crate::clock::epoch_seconds;
use crate::error::{ApiError, ApiResult, ErrorKind};
use crate::express_config::{CONTAINER_NAME, Defaults, ExpressConfig, generated_name};
use crate::express_request::{Members, role};
use crate::express_resources::ManagedIds;
use crate::protocol::{Req, cluster_name, parse_tags, service_ident, tags_json, valid_name};
use crate::services::{Service, ServiceKey, ServiceStatus};
use crate::state::State;

/// What an Express service has beyond its ECS service.
#[derive(Debug, Clone)]
pub struct ExpressService {
    pub infrastructure_role: String,
    pub ids: ManagedIds,
    /// The last Create, Update that changed something, or Delete.
    pub updated_at: u64,
    pub deleted_at: Option<u64>,
}

impl ExpressService {
    /// botocore IngressPathSummary.endpoint.
    pub fn endpoint(&self) -> String {
        format!("https://{}", self.ids.host)
    }

    fn defaults(&self) -> Defaults<'_> {
        defaults(&self.ids)
    }
}

fn defaults(ids: &ManagedIds) -> Defaults<'_> {
    Defaults { log_group: &ids.log_group, security_group: &ids.service_security_group }
}

fn resource_not_found() -> ApiError {
    ApiError::new(ErrorKind::ResourceNotFound, "Resource not found.")
}

fn server_error(what: &str) -> ApiError {
    ApiError::new(ErrorKind::Server, format!("ecs-sim: {what}"))
}

/// The ECS service's load balancer block: the managed target group, the container and its port.
fn load_balancer(ids: &ManagedIds, config: &ExpressConfig) -> Value {
    json!([{"targetGroupArn": ids.target_group, "containerName": CONTAINER_NAME, "containerPort": config.container_port()}])
}

/// Rolling deployments (botocore UpdateExpressGatewayService: "performs a rolling deployment"),
/// failure detected by the circuit breaker and by the deployment alarm ECS makes ("Metric alarm for
/// detecting faulty deployments"), both rolling back.
fn deployment_configuration(ids: &ManagedIds) -> Value {
    json!({
        "deploymentCircuitBreaker": {"enable": true, "rollback": true},
        "alarms": {"alarmNames": [ids.deployment_alarm], "enable": true, "rollback": true},
    })
}

fn status_json(status: ServiceStatus) -> Value {
    match status {
        ServiceStatus::Active => json!({"statusCode": "ACTIVE"}),
        ServiceStatus::Draining => {
            json!({"statusCode": "DRAINING", "statusReason": "The service is being deleted: its tasks are stopping."})
        }
        ServiceStatus::Inactive => json!({"statusCode": "INACTIVE", "statusReason": "The service was deleted."}),
    }
}

impl State {
    /// The cluster an Express service goes in. Express creates the default cluster "if it does not
    /// already exist", with the Fargate capacity providers ("Resources created by Amazon ECS Express
    /// Mode services"); any other cluster must exist and be ACTIVE.
    fn express_cluster(&mut self, ident: Option<&str>) -> ApiResult<String> {
        let name = cluster_name(ident.unwrap_or("default"));
        let active = self.clusters.get(&name).is_some_and(|c| c.is_active());
        if !active && name == "default" {
            self.create_cluster(&json!({"clusterName": name, "capacityProviders": ["FARGATE", "FARGATE_SPOT"]}))?;
        }
        Ok(self.active_cluster(Some(&name))?.name.clone())
    }

    /// The Express service `ident` (an ARN or a name in the default cluster) names. `missing` is
    /// the answer when there is none; for Update and Delete a missing cluster is
    /// ClusterNotFoundException first.
    fn express_key(&self, ident: &str, missing: fn() -> ApiError, cluster_first: bool) -> ApiResult<ServiceKey> {
        let (cluster, name) = service_ident(ident);
        let key = ServiceKey { cluster: cluster.unwrap_or_else(|| "default".to_string()), name };
        if cluster_first && !self.clusters.contains_key(&key.cluster) {
            return Err(ApiError::cluster_not_found());
        }
        let svc = self.services.get(&key).ok_or_else(missing)?;
        if svc.express.is_none() {
            return Err(ApiError::invalid(format!("The service {} is not an Express service.", svc.arn)));
        }
        Ok(key)
    }

    /// Update and Delete work on ACTIVE services only (the messages terraform-provider-aws's
    /// express_gateway_service.go matches on).
    fn express_active(&self, key: &ServiceKey) -> ApiResult<&Service> {
        let svc = self.services.get(key).ok_or_else(ApiError::service_not_found)?;
        let message = match svc.status {
            ServiceStatus::Active => return Ok(svc),
            ServiceStatus::Draining => "Service is in DRAINING status",
            ServiceStatus::Inactive => "Cannot perform this operation on a service in INACTIVE status",
        };
        Err(ApiError::new(ErrorKind::ServiceNotActive, message))
    }

    fn register_express_task_definition(&mut self, family: &str, config: &ExpressConfig) -> ApiResult<String> {
        let region = self.ident.region.clone();
        let out = self.register_task_definition(&config.task_definition_request(family, &region))?;
        let arn = out.pointer("/taskDefinition/taskDefinitionArn").and_then(Value::as_str);
        arn.map(str::to_string).ok_or_else(|| server_error("registered a task definition without an ARN"))
    }

    /// Puts `config` on the revision the service's primary deployment runs (just made).
    fn set_revision_config(&mut self, key: &ServiceKey, config: ExpressConfig) {
        let Some(svc) = self.services.get_mut(key) else { return };
        let Some(arn) = svc.deployments.first().map(|d| d.revision_arn.clone()) else { return };
        if let Some(rev) = svc.revisions.iter_mut().find(|r| r.arn == arn) {
            rev.express = Some(Box::new(config));
        }
    }

    pub(crate) fn create_express_gateway_service(&mut self, body: &Value) -> ApiResult<Value> {
        let r = Req(body);
        let members = Members::parse(r)?;
        let infrastructure_role =
            role(r, "infrastructureRoleArn")?.ok_or_else(|| ApiError::invalid("infrastructureRoleArn is required."))?;
        // Everything the request can get wrong is checked before anything is made.
        let checked = ExpressConfig::create(&members, Defaults { log_group: "", security_group: "" })?;
        parse_tags(r.array("tags")?)?;
        let name = match r.opt_str("serviceName")? {
            Some(n) if !valid_name(n) => {
                return Err(ApiError::invalid(
                    "Service name can have up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores.",
                ));
            }
            Some(n) => n.to_string(),
            None => {
                let suffix = self.random_hex(8);
                generated_name(checked.container["image"].as_str().unwrap_or_default(), &suffix)
            }
        };
        let cluster = self.express_cluster(r.opt_str("cluster")?)?;
        let key = ServiceKey { cluster, name };
        if self.services.get(&key).is_some_and(|s| s.status != ServiceStatus::Inactive) {
            return Err(ApiError::invalid(format!(
                "A service named {} already exists in cluster {} and is not INACTIVE.",
                key.name, key.cluster
            )));
        }
        let mut ids = self.new_managed_ids(&key);
        let config = ExpressConfig::create(&members, defaults(&ids))?;
        let task_definition = self.register_express_task_definition(&key.name, &config)?;
        self.create_service(&json!({
            "cluster": key.cluster,
            "serviceName": key.name,
            "taskDefinition": task_definition,
            "desiredCount": config.scaling.min,
            "launchType": "FARGATE",
            "networkConfiguration": config.network_json(),
            "loadBalancers": load_balancer(&ids, &config),
            "deploymentConfiguration": deployment_configuration(&ids),
            "tags": r.get("tags"),
        }))?;
        self.register_scaling(&key, &config.scaling, &mut ids)?;
        let now = self.now;
        let svc = self.services.get_mut(&key).ok_or_else(ApiError::service_not_found)?;
        svc.express = Some(Box::new(ExpressService { infrastructure_role, ids, updated_at: now, deleted_at: None }));
        self.set_revision_config(&key, config);
        self.express_answer(&key, true)
    }

    pub(crate) fn update_express_gateway_service(&mut self, body: &Value) -> ApiResult<Value> {
        let r = Req(body);
        let key = self.express_key(r.str("serviceArn")?, ApiError::service_not_found, true)?;
        let svc = self.express_active(&key)?;
        let members = Members::parse(r)?;
        let (current, x) = self.current_config(svc)?;
        let target = current.update(&members, x.defaults())?;
        let (mut ids, running_task_definition) = (x.ids.clone(), svc.task_definition.clone());
        // Nothing differs: no new revision and no deployment; the answer names the current one.
        if target != current {
            let task_definition = if target.same_task_definition(&current) {
                running_task_definition
            } else {
                self.register_express_task_definition(&key.name, &target)?
            };
            self.update_service(&json!({
                "cluster": key.cluster,
                "service": key.name,
                "taskDefinition": task_definition,
                "networkConfiguration": target.network_json(),
                "loadBalancers": load_balancer(&ids, &target),
                "forceNewDeployment": true,
            }))?;
            if target.scaling != current.scaling {
                self.register_scaling(&key, &target.scaling, &mut ids)?;
            }
            let now = self.now;
            if let Some(x) = self.services.get_mut(&key).and_then(|s| s.express.as_deref_mut()) {
                x.ids = ids;
                x.updated_at = now;
            }
            self.set_revision_config(&key, target);
        }
        let svc = self.services.get(&key).ok_or_else(ApiError::service_not_found)?;
        let (config, x) = self.current_config(svc)?;
        let revision = svc.deployments.first().and_then(|d| svc.revision(&d.revision_arn));
        let (arn, created) = revision.map_or((String::new(), 0), |rev| (rev.arn.clone(), rev.created_at));
        Ok(json!({"service": {
            "serviceArn": svc.arn,
            "cluster": self.ident.cluster_arn(&key.cluster),
            "serviceName": key.name,
            "status": status_json(svc.status),
            "targetConfiguration": config.to_json(&arn, epoch_seconds(created), &x.endpoint()),
            "createdAt": epoch_seconds(svc.created_at),
            "updatedAt": epoch_seconds(x.updated_at),
        }}))
    }

    pub(crate) fn describe_express_gateway_service(&mut self, body: &Value) -> ApiResult<Value> {
        let r = Req(body);
        // botocore ExpressGatewayServiceInclude: TAGS.
        if let Some(other) = r.str_list("include")?.iter().find(|i| *i != "TAGS") {
            return Err(ApiError::invalid(format!("Invalid include value {other}. Valid values: TAGS.")));
        }
        let key = self.express_key(r.str("serviceArn")?, resource_not_found, false)?;
        self.express_answer(&key, r.includes("TAGS")?)
    }

    /// DeleteExpressGatewayService: DeleteService with force (DRAINING, the tasks stop, INACTIVE
    /// once they have), the scalable target deregistered, the managed resources deprovisioned.
    pub(crate) fn delete_express_gateway_service(&mut self, body: &Value) -> ApiResult<Value> {
        let r = Req(body);
        let key = self.express_key(r.str("serviceArn")?, ApiError::service_not_found, true)?;
        self.express_active(&key)?;
        self.delete_service(&json!({"cluster": key.cluster, "service": key.name, "force": true}))?;
        self.deregister_scaling(&key);
        let now = self.now;
        if let Some(x) = self.services.get_mut(&key).and_then(|s| s.express.as_deref_mut()) {
            x.deleted_at = Some(now);
            x.updated_at = now;
        }
        self.express_answer(&key, false)
    }

    /// The configuration of the revision the primary deployment runs, and the Express part.
    fn current_config<'a>(&self, svc: &'a Service) -> ApiResult<(ExpressConfig, &'a ExpressService)> {
        let x = svc.express.as_deref().ok_or_else(|| server_error("not an Express service"))?;
        let revision = svc.deployments.first().and_then(|d| svc.revision(&d.revision_arn));
        let config = revision.and_then(|r| r.express.as_deref()).ok_or_else(|| server_error("no Express revision"))?;
        Ok((config.clone(), x))
    }

    fn express_answer(&self, key: &ServiceKey, with_tags: bool) -> ApiResult<Value> {
        let svc = self.services.get(key).ok_or_else(ApiError::service_not_found)?;
        Ok(json!({"service": self.express_json(svc, with_tags)}))
    }

    /// botocore ECSExpressGatewayService. activeConfigurations: one per revision a deployment still
    /// runs, the primary's first (two during a rollout, one after it); none once INACTIVE.
    fn express_json(&self, svc: &Service, with_tags: bool) -> Value {
        let Some(x) = svc.express.as_deref() else { return Value::Null };
        let endpoint = x.endpoint();
        let mut configs: Vec<Value> = vec![];
        let mut seen: Vec<&str> = vec![];
        for d in svc.deployments.iter().filter(|_| svc.status != ServiceStatus::Inactive) {
            let Some(rev) = svc.revision(&d.revision_arn).filter(|_| !seen.contains(&d.revision_arn.as_str())) else {
                continue;
            };
            seen.push(&d.revision_arn);
            if let Some(config) = rev.express.as_deref() {
                configs.push(config.to_json(&rev.arn, epoch_seconds(rev.created_at), &endpoint));
            }
        }
        let mut v = json!({
            "cluster": self.ident.cluster_arn(&svc.key.cluster),
            "serviceName": svc.key.name,
            "serviceArn": svc.arn,
            "infrastructureRoleArn": x.infrastructure_role,
            "status": status_json(svc.status),
            "currentDeployment": svc.current_service_deployment().map(|r| r.arn.clone()),
            "activeConfigurations": configs,
            "createdAt": epoch_seconds(svc.created_at),
            "updatedAt": epoch_seconds(x.updated_at),
        });
        if with_tags {
            v["tags"] = tags_json(&svc.tags);
        }
        v
    }
}
