//! The AWS resources ECS creates for an Express service and reports per service revision as
//! `ecsManagedResources` (botocore ECSManagedResources, Managed*): an Application Load Balancer
//! with its security group, HTTPS listener, listener rule and target group, an ACM certificate for
//! the endpoint, an Application Auto Scaling target and target tracking policy (registered in the
//! simulator's Application Auto Scaling, so DescribeScalableTargets shows them and
//! `SimHandle::autoscale` is clamped to them), CloudWatch alarms, the tasks' security group and a
//! log group ("Resources created by Amazon ECS Express Mode services").
//!
//! Statuses (botocore ManagedResourceStatus) follow the simulated clock: PROVISIONING for
//! `SETTLE_MS` after the resource was made or changed, then ACTIVE; from DeleteExpressGatewayService,
//! DEPROVISIONING for `SETTLE_MS`, then DELETED. The load balancer, its security group, the
//! listener, the certificate, the deployment alarm, the tasks' security group and the log group
//! are the service's (made at CreateExpressGatewayService); the listener rule, target group,
//! scalable target, scaling policy and its alarms carry a revision's settings (health check path,
//! port, task counts, metric), so each revision reports them as made when the revision was.

use serde_json::{Value, json};

use crate::autoscaling::DIMENSION;
use crate::clock::epoch_seconds;
use crate::error::ApiResult;
use crate::express_config::{ExpressConfig, ScalingTarget};
use crate::services::{Service, ServiceKey};
use crate::state::State;

/// How long a managed resource takes to provision or to be deleted (AWS gives no figure).
pub const SETTLE_MS: u64 = 5_000;

/// The ARNs (and security group ids) of one Express service's resources, fixed at creation.
#[derive(Debug, Clone)]
pub struct ManagedIds {
    /// The endpoint's host name, also the certificate's domain name.
    pub host: String,
    pub load_balancer: String,
    pub listener: String,
    pub rule: String,
    pub target_group: String,
    pub certificate: String,
    /// `arn:aws:ec2:<region>:<account>:security-group/`, for the two groups' ARNs.
    sg_arn_prefix: String,
    pub lb_security_group: String,
    pub service_security_group: String,
    pub log_group: String,
    log_group_arn: String,
    pub deployment_alarm: String,
    deployment_alarm_arn: String,
    /// Filled in by `register_scaling`.
    pub scalable_target: String,
    pub policy: String,
    pub policy_alarms: Vec<String>,
}

/// `(status, updatedAt)` of a resource made or changed at `made`, deleted from `deleted`.
fn phase(made: u64, deleted: Option<u64>, now: u64) -> (&'static str, u64) {
    match deleted {
        Some(d) if now >= d + SETTLE_MS => ("DELETED", d + SETTLE_MS),
        Some(d) => ("DEPROVISIONING", d),
        None if now >= made + SETTLE_MS => ("ACTIVE", made + SETTLE_MS),
        None => ("PROVISIONING", made),
    }
}

fn resource(arn: &str, (status, at): (&str, u64)) -> Value {
    json!({"arn": arn, "status": status, "updatedAt": epoch_seconds(at)})
}

fn policy_name(key: &ServiceKey) -> String {
    format!("ecs-express-{}-{}-target-tracking", key.cluster, key.name)
}

impl State {
    /// New ids for the service `key` (random, from the seeded generator).
    pub(crate) fn new_managed_ids(&mut self, key: &ServiceKey) -> ManagedIds {
        let (region, account) = (self.ident.region.clone(), self.ident.account.clone());
        let elb = format!("arn:aws:elasticloadbalancing:{region}:{account}");
        // ALB and target group names are at most 32 characters.
        let lb = format!("app/ecs-express-gateway-alb-{}/{}", self.random_hex(8), self.random_hex(16));
        let listener = format!("{lb}/{}", self.random_hex(16));
        let host =
            format!("{}-{}.ecs.{region}.on.aws", crate::express_config::host_label(&key.name), self.random_hex(10));
        let log_group = format!("/aws/ecs/{}/{}", key.cluster, key.name);
        let deployment_alarm = format!("ecs-express-{}-{}-deployment-5xx", key.cluster, key.name);
        ManagedIds {
            host,
            load_balancer: format!("{elb}:loadbalancer/{lb}"),
            rule: format!("{elb}:listener-rule/{listener}/{}", self.random_hex(16)),
            listener: format!("{elb}:listener/{listener}"),
            target_group: format!("{elb}:targetgroup/ecs-gateway-tg-{}/{}", self.random_hex(12), self.random_hex(16)),
            certificate: format!("arn:aws:acm:{region}:{account}:certificate/{}", self.random_uuid()),
            sg_arn_prefix: format!("arn:aws:ec2:{region}:{account}:security-group/"),
            lb_security_group: format!("sg-{}", self.random_hex(17)),
            service_security_group: format!("sg-{}", self.random_hex(17)),
            log_group_arn: format!("arn:aws:logs:{region}:{account}:log-group:{log_group}"),
            log_group,
            deployment_alarm_arn: format!("arn:aws:cloudwatch:{region}:{account}:alarm:{deployment_alarm}"),
            deployment_alarm,
            scalable_target: String::new(),
            policy: String::new(),
            policy_alarms: vec![],
        }
    }

    /// Registers (or updates) the service's scalable target and target tracking policy with the
    /// simulator's Application Auto Scaling and records their ARNs in `ids`. Registering bounds
    /// that exclude the current desiredCount moves it into them, as Application Auto Scaling does.
    pub(crate) fn register_scaling(
        &mut self,
        key: &ServiceKey,
        s: &ScalingTarget,
        ids: &mut ManagedIds,
    ) -> ApiResult<()> {
        let resource = format!("service/{}/{}", key.cluster, key.name);
        let target = json!({
            "ServiceNamespace": "ecs", "ResourceId": resource, "ScalableDimension": DIMENSION,
            "MinCapacity": s.min, "MaxCapacity": s.max,
        });
        let out = self.call_autoscaling("RegisterScalableTarget", &target)?;
        ids.scalable_target = out["ScalableTargetARN"].as_str().unwrap_or_default().to_string();
        let mut metric = json!({"PredefinedMetricType": s.predefined_metric()});
        if s.metric == "REQUEST_COUNT_PER_TARGET" {
            // "app/<lb>/<id>/targetgroup/<tg>/<id>", as Application Auto Scaling wants it.
            let lb = ids.load_balancer.split_once(":loadbalancer/").map_or("", |(_, r)| r);
            let tg = ids.target_group.split_once(":targetgroup/").map_or("", |(_, r)| r);
            metric["ResourceLabel"] = json!(format!("{lb}/targetgroup/{tg}"));
        }
        let policy = json!({
            "ServiceNamespace": "ecs", "ResourceId": resource, "ScalableDimension": DIMENSION,
            "PolicyName": policy_name(key), "PolicyType": "TargetTrackingScaling",
            "TargetTrackingScalingPolicyConfiguration": {
                "TargetValue": s.target as f64, "PredefinedMetricSpecification": metric,
            },
        });
        let out = self.call_autoscaling("PutScalingPolicy", &policy)?;
        ids.policy = out["PolicyARN"].as_str().unwrap_or_default().to_string();
        ids.policy_alarms = out["Alarms"]
            .as_array()
            .map(|a| a.iter().filter_map(|x| x["AlarmARN"].as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        Ok(())
    }

    /// Removes the scalable target (and with it the policy), as deleting the service does. A target
    /// someone already removed is no error.
    pub(crate) fn deregister_scaling(&mut self, key: &ServiceKey) {
        let resource = format!("service/{}/{}", key.cluster, key.name);
        let target = json!({"ServiceNamespace": "ecs", "ResourceId": resource, "ScalableDimension": DIMENSION});
        let _ = self.call_autoscaling("DeregisterScalableTarget", &target);
    }

    /// botocore ECSManagedResources of one revision (`config`, made at `made`) of `svc`.
    pub(crate) fn managed_resources_json(&self, svc: &Service, config: &ExpressConfig, made: u64) -> Value {
        let Some(x) = svc.express.as_deref() else { return Value::Null };
        let ids = &x.ids;
        let service_phase = phase(svc.created_at, x.deleted_at, self.now);
        let revision_phase = phase(made, x.deleted_at, self.now);
        let sg = |id: &str| resource(&format!("{}{id}", ids.sg_arn_prefix), service_phase);
        let port = config.container_port();
        let mut load_balancer = resource(&ids.load_balancer, service_phase);
        load_balancer["scheme"] = json!("internet-facing");
        load_balancer["subnetIds"] = json!(config.subnets);
        load_balancer["securityGroupIds"] = json!([ids.lb_security_group]);
        let mut certificate = resource(&ids.certificate, service_phase);
        certificate["domainName"] = json!(ids.host);
        let mut target_group = resource(&ids.target_group, revision_phase);
        target_group["healthCheckPath"] = json!(config.health_check_path);
        target_group["healthCheckPort"] = json!(port);
        target_group["port"] = json!(port);
        let mut scalable_target = resource(&ids.scalable_target, revision_phase);
        scalable_target["minCapacity"] = json!(config.scaling.min);
        scalable_target["maxCapacity"] = json!(config.scaling.max);
        let mut policy = resource(&ids.policy, revision_phase);
        policy["policyType"] = json!("TargetTrackingScaling");
        policy["targetValue"] = json!(config.scaling.target as f64);
        policy["metric"] = json!(config.scaling.predefined_metric());
        let mut alarms = vec![resource(&ids.deployment_alarm_arn, service_phase)];
        alarms.extend(ids.policy_alarms.iter().map(|a| resource(a, revision_phase)));
        let mut out = json!({
            "ingressPaths": [{
                "accessType": "PUBLIC",
                "endpoint": x.endpoint(),
                "loadBalancer": load_balancer,
                "loadBalancerSecurityGroups": [sg(&ids.lb_security_group)],
                "certificate": certificate,
                "listener": resource(&ids.listener, service_phase),
                "rule": resource(&ids.rule, revision_phase),
                "targetGroups": [target_group],
            }],
            "autoScaling": {"scalableTarget": scalable_target, "applicationAutoScalingPolicies": [policy]},
            "metricAlarms": alarms,
        });
        // Only the groups ECS made: the tasks' one when the revision names none of its own, the
        // log group when the revision sends logs to it.
        if config.security_groups.contains(&ids.service_security_group) {
            out["serviceSecurityGroups"] = json!([sg(&ids.service_security_group)]);
        }
        if config.log_group() == Some(ids.log_group.as_str()) {
            let mut group = resource(&ids.log_group_arn, service_phase);
            group["logGroupName"] = json!(ids.log_group);
            out["logGroups"] = json!([group]);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_follow_the_clock() {
        assert_eq!(phase(1_000, None, 1_000), ("PROVISIONING", 1_000));
        assert_eq!(phase(1_000, None, 5_999), ("PROVISIONING", 1_000));
        assert_eq!(phase(1_000, None, 6_000), ("ACTIVE", 6_000));
        assert_eq!(phase(1_000, Some(9_000), 9_000), ("DEPROVISIONING", 9_000));
        assert_eq!(phase(1_000, Some(9_000), 14_000), ("DELETED", 14_000));
    }
}
