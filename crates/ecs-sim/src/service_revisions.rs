//! Service revisions (botocore ServiceRevision; developer guide "Amazon ECS service revisions": "a
//! version of the service that includes the values for the Amazon ECS resources (for example, task
//! definition) and the environment resources (for example, load balancers, subnets, and security
//! groups)"). Every deployment that does not run an existing revision again records one, under the
//! ARN its deployment and service deployment records name (`service-revision/<cluster>/<service>/
//! <19 digits>`), and DescribeServiceRevisions describes it. An Express service's revisions also
//! carry their Express configuration and report `ecsManagedResources`.

use serde_json::{Value, json};

use crate::clock::epoch_seconds;
use crate::error::{ApiError, ApiResult};
use crate::express_config::ExpressConfig;
use crate::protocol::{Req, service_scoped_arn};
use crate::services::{Service, ServiceKey, ServiceStatus};
use crate::state::State;

/// Revisions kept per service, newest first; older ones go unless a deployment still runs them or
/// a rollback may return to them. AWS keeps them as long as their service deployments (90 days);
/// the simulator keeps as many as it keeps service deployment records.
pub const MAX_REVISIONS_PER_SERVICE: usize = crate::service_deployments::MAX_RECORDS_PER_SERVICE;

#[derive(Debug, Clone)]
pub struct ServiceRevision {
    pub arn: String,
    pub created_at: u64,
    /// What DescribeServiceRevisions reports of it, fixed when it was made: the task definition
    /// and its container images, launch type or capacity provider strategy, platform, network,
    /// load balancers, service registries, Service Connect, volume and VPC Lattice configurations.
    described: Value,
    /// The Express configuration this revision runs (Express services only).
    pub express: Option<Box<ExpressConfig>>,
}

impl Service {
    pub fn revision(&self, arn: &str) -> Option<&ServiceRevision> {
        self.revisions.iter().find(|r| r.arn == arn)
    }
}

/// A service revision ARN's service.
fn parse_arn(arn: &str) -> Option<ServiceKey> {
    let (cluster, name, _) = service_scoped_arn(arn, "service-revision")?;
    Some(ServiceKey { cluster, name })
}

fn container_images(td: &Value) -> Vec<Value> {
    let containers = td["containerDefinitions"].as_array().map(Vec::as_slice).unwrap_or_default();
    containers.iter().map(|c| json!({"containerName": c["name"], "image": c["image"]})).collect()
}

impl State {
    /// Records the revision the primary deployment of `key` was just created on.
    pub(crate) fn record_service_revision(&mut self, key: &ServiceKey, at: u64) {
        let Some(svc) = self.services.get(key) else { return };
        let Some(d) = svc.deployments.first() else { return };
        let images = self.find_revision(&d.task_definition).map(|r| container_images(&r.body)).unwrap_or_default();
        let mut described = json!({
            "taskDefinition": d.task_definition,
            "launchType": d.launch_type,
            "platformVersion": d.platform_version,
            "platformFamily": d.platform_version.as_ref().map(|_| "Linux"),
            "loadBalancers": svc.load_balancers,
            "serviceRegistries": svc.service_registries,
            "networkConfiguration": d.network_configuration,
            "containerImages": images,
            "guardDutyEnabled": false,
            "createdAt": epoch_seconds(at),
        });
        if !d.capacity_provider_strategy.is_empty() {
            described["capacityProviderStrategy"] = json!(d.capacity_provider_strategy);
        }
        d.configs.write_json(&mut described);
        // An Express service's revision made by anything but UpdateExpressGatewayService (which sets
        // its own) runs the Express configuration of the one before it.
        let previous = svc.deployments.get(1).and_then(|p| svc.revision(&p.revision_arn));
        let express = previous.and_then(|p| p.express.clone());
        let revision = ServiceRevision { arn: d.revision_arn.clone(), created_at: at, described, express };
        let Some(svc) = self.services.get_mut(key) else { return };
        svc.revisions.push_front(revision);
        while svc.revisions.len() > MAX_REVISIONS_PER_SERVICE {
            let mut in_use: Vec<&str> = svc.deployments.iter().map(|d| d.revision_arn.as_str()).collect();
            in_use.extend(svc.last_completed.as_ref().map(|l| l.revision_arn.as_str()));
            let Some(oldest) = svc.revisions.iter().rposition(|r| !in_use.contains(&r.arn.as_str())) else { break };
            svc.revisions.remove(oldest);
        }
    }

    fn revision_json(&self, svc: &Service, rev: &ServiceRevision) -> Value {
        let mut v = rev.described.clone();
        v["serviceRevisionArn"] = json!(rev.arn);
        v["serviceArn"] = json!(svc.arn);
        v["clusterArn"] = json!(self.ident.cluster_arn(&svc.key.cluster));
        if let Some(config) = &rev.express {
            v["ecsManagedResources"] = self.managed_resources_json(svc, config, rev.created_at);
        }
        v
    }

    /// DescribeServiceRevisions: 1 to 20 ARNs (botocore: "You can specify a maximum of 20 ARNs."),
    /// unknown ones in `failures` with reason MISSING, as DescribeServiceDeployments does. A revision
    /// of an INACTIVE service is InvalidParameterException with the message AWS sends (the AWS CLI's
    /// Express monitor, awscli/customizations/ecs/serviceviewcollector.py, matches on it).
    pub(crate) fn describe_service_revisions(&mut self, body: &Value) -> ApiResult<Value> {
        let arns = Req(body).str_list("serviceRevisionArns")?;
        if arns.is_empty() || arns.len() > 20 {
            return Err(ApiError::invalid("serviceRevisionArns must contain between 1 and 20 items."));
        }
        let (mut found, mut failures) = (vec![], vec![]);
        for arn in &arns {
            let svc = parse_arn(arn).and_then(|key| self.services.get(&key));
            match svc.and_then(|s| s.revision(arn).map(|r| (s, r))) {
                Some((svc, _)) if svc.status == ServiceStatus::Inactive => {
                    return Err(ApiError::invalid(
                        "Cannot call DescribeServiceRevisions for a service that is INACTIVE",
                    ));
                }
                Some((svc, rev)) => found.push(self.revision_json(svc, rev)),
                None => failures.push(json!({"arn": arn, "reason": "MISSING"})),
            }
        }
        Ok(json!({"serviceRevisions": found, "failures": failures}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_parse() {
        let key = parse_arn("arn:aws:ecs:us-east-1:1:service-revision/c/s/123").unwrap();
        assert_eq!((key.cluster.as_str(), key.name.as_str()), ("c", "s"));
        assert!(parse_arn("service-revision/c/s/123").is_none());
        assert!(parse_arn("arn:aws:ecs:us-east-1:1:service-deployment/c/s/123").is_none());
        assert!(parse_arn("arn:aws:ecs:us-east-1:1:service-revision/c/s").is_none());
    }
}
