//! Application Auto Scaling for ECS services (`AnyScaleFrontendService.*`): scalable
//! targets and scaling policies, plus `scale_service`, which stands in for the scaler
//! changing a service's desiredCount within its registered bounds.

use serde_json::{Value, json};

use crate::clock::epoch_seconds;
use crate::ecs_events::Actor;
use crate::error::{ApiError, ApiResult, ErrorKind};
use crate::protocol::{Req, paginate};
use crate::services::{ServiceKey, ServiceStatus};
use crate::state::State;

pub const DIMENSION: &str = "ecs:service:DesiredCount";

#[derive(Debug, Clone)]
pub struct ScalableTarget {
    pub resource_id: String,
    pub dimension: String,
    pub min: u32,
    pub max: u32,
    pub role_arn: String,
    pub arn: String,
    pub created_at: u64,
    pub suspended: Value,
}

#[derive(Debug, Clone)]
pub struct ScalingPolicy {
    pub name: String,
    pub arn: String,
    pub resource_id: String,
    pub dimension: String,
    pub policy_type: String,
    pub config: Value,
    pub created_at: u64,
}

fn validation(msg: impl Into<String>) -> ApiError {
    ApiError::new(ErrorKind::Validation, msg)
}

fn object_not_found(msg: impl Into<String>) -> ApiError {
    ApiError::new(ErrorKind::ObjectNotFound, msg)
}

/// `service/<cluster>/<service>` → the service it names.
fn service_key(resource_id: &str) -> ApiResult<ServiceKey> {
    let rest = resource_id
        .strip_prefix("service/")
        .ok_or_else(|| validation(format!("Unsupported resource ID: {resource_id}")))?;
    let (cluster, name) =
        rest.split_once('/').ok_or_else(|| validation(format!("Unsupported resource ID: {resource_id}")))?;
    Ok(ServiceKey { cluster: cluster.to_string(), name: name.to_string() })
}

fn capacity(r: Req, key: &str) -> ApiResult<Option<u32>> {
    match r.opt_i64(key)? {
        None => Ok(None),
        Some(n) if n >= 0 => Ok(Some(n as u32)),
        Some(n) => Err(validation(format!("{key} must be non-negative, got {n}"))),
    }
}

/// The (namespace, resource, dimension) triple every call addresses a target with.
fn target_ref(r: Req) -> ApiResult<(String, String)> {
    let ns = r.str("ServiceNamespace").map_err(|_| validation("ServiceNamespace is required"))?;
    if ns != "ecs" {
        return Err(validation(format!("The simulator supports only the ecs namespace, not {ns}")));
    }
    let resource = r.str("ResourceId").map_err(|_| validation("ResourceId is required"))?.to_string();
    let dimension = r.str("ScalableDimension").map_err(|_| validation("ScalableDimension is required"))?.to_string();
    if dimension != DIMENSION {
        return Err(validation(format!("Unsupported scalable dimension: {dimension}")));
    }
    Ok((resource, dimension))
}

impl State {
    pub fn call_autoscaling(&mut self, op: &str, body: &Value) -> ApiResult<Value> {
        match op {
            "RegisterScalableTarget" => self.register_scalable_target(body),
            "DescribeScalableTargets" => self.describe_scalable_targets(body),
            "DeregisterScalableTarget" => self.deregister_scalable_target(body),
            "PutScalingPolicy" => self.put_scaling_policy(body),
            "DescribeScalingPolicies" => self.describe_scaling_policies(body),
            "DeleteScalingPolicy" => self.delete_scaling_policy(body),
            _ => Err(ApiError::new(ErrorKind::UnknownOperation, format!("Unknown operation {op}"))),
        }
    }

    fn register_scalable_target(&mut self, body: &Value) -> ApiResult<Value> {
        let r = Req(body);
        let (resource, dimension) = target_ref(r)?;
        let key = service_key(&resource)?;
        if !self.services.get(&key).is_some_and(|s| s.status == ServiceStatus::Active) {
            return Err(validation(format!("ECS service doesn't exist: {resource}")));
        }
        let existing = self.scalable_targets.get(&(resource.clone(), dimension.clone())).cloned();
        let (min, max) = match (capacity(r, "MinCapacity")?, capacity(r, "MaxCapacity")?, &existing) {
            (Some(min), Some(max), _) => (min, max),
            (min, max, Some(t)) => (min.unwrap_or(t.min), max.unwrap_or(t.max)),
            _ => {
                return Err(validation(
                    "MinCapacity and MaxCapacity are required for registering a new scalable target.",
                ));
            }
        };
        if min > max {
            return Err(validation(format!(
                "Minimum capacity cannot be greater than maximum capacity ({min} > {max})"
            )));
        }
        let arn = match &existing {
            Some(t) => t.arn.clone(),
            None => {
                let id = self.random_hex(36);
                format!(
                    "arn:aws:application-autoscaling:{}:{}:scalable-target/{id}",
                    self.ident.region, self.ident.account
                )
            }
        };
        let target = ScalableTarget {
            resource_id: resource.clone(),
            dimension: dimension.clone(),
            min,
            max,
            role_arn: r.opt_str("RoleARN")?.map(str::to_string).unwrap_or_else(|| {
                format!("arn:aws:iam::{}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService", self.ident.account)
            }),
            arn: arn.clone(),
            created_at: existing.as_ref().map_or(self.now, |t| t.created_at),
            suspended: r.get("SuspendedState").cloned().unwrap_or_else(
                || json!({"DynamicScalingInSuspended": false, "DynamicScalingOutSuspended": false, "ScheduledScalingSuspended": false}),
            ),
        };
        self.scalable_targets.insert((resource.clone(), dimension), target);
        // Registering bounds that exclude the current count moves the service into them.
        let current = self.services.get(&key).map_or(0, |s| s.desired_count);
        if current < min || current > max {
            self.set_desired_count(&key, current.clamp(min, max), Actor::AutoScaling)?;
        }
        Ok(json!({"ScalableTargetARN": arn}))
    }

    fn target_json(t: &ScalableTarget) -> Value {
        json!({
            "ServiceNamespace": "ecs",
            "ResourceId": t.resource_id,
            "ScalableDimension": t.dimension,
            "MinCapacity": t.min,
            "MaxCapacity": t.max,
            "RoleARN": t.role_arn,
            "CreationTime": epoch_seconds(t.created_at),
            "SuspendedState": t.suspended,
            "ScalableTargetARN": t.arn,
        })
    }

    fn describe_scalable_targets(&mut self, body: &Value) -> ApiResult<Value> {
        let r = Req(body);
        let ns = r.str("ServiceNamespace").map_err(|_| validation("ServiceNamespace is required"))?;
        let ids = r.str_list("ResourceIds")?;
        let dimension = r.opt_str("ScalableDimension")?;
        let list: Vec<Value> = self
            .scalable_targets
            .values()
            .filter(|_| ns == "ecs")
            .filter(|t| ids.is_empty() || ids.contains(&t.resource_id))
            .filter(|t| dimension.is_none_or(|d| t.dimension == d))
            .map(Self::target_json)
            .collect();
        let (page, next) = paginate(&list, r.opt_i64("MaxResults")?, 50, 50, r.opt_str("NextToken")?)?;
        Ok(json!({"ScalableTargets": page, "NextToken": next}))
    }

    fn deregister_scalable_target(&mut self, body: &Value) -> ApiResult<Value> {
        let (resource, dimension) = target_ref(Req(body))?;
        if self.scalable_targets.remove(&(resource.clone(), dimension.clone())).is_none() {
            return Err(object_not_found(format!(
                "No scalable target registered for service namespace: ecs, resource ID: {resource}, scalable dimension: {dimension}"
            )));
        }
        self.scaling_policies.retain(|(res, dim, _), _| !(res == &resource && dim == &dimension));
        Ok(json!({}))
    }

    fn put_scaling_policy(&mut self, body: &Value) -> ApiResult<Value> {
        let r = Req(body);
        let (resource, dimension) = target_ref(r)?;
        let name = r.str("PolicyName").map_err(|_| validation("PolicyName is required"))?.to_string();
        if !self.scalable_targets.contains_key(&(resource.clone(), dimension.clone())) {
            return Err(object_not_found(format!(
                "No scalable target registered for service namespace: ecs, resource ID: {resource}, scalable dimension: {dimension}"
            )));
        }
        let policy_type = r.opt_str("PolicyType")?.unwrap_or("StepScaling").to_string();
        let config_key = match policy_type.as_str() {
            "TargetTrackingScaling" => "TargetTrackingScalingPolicyConfiguration",
            "StepScaling" => "StepScalingPolicyConfiguration",
            other => return Err(validation(format!("Unsupported policy type: {other}"))),
        };
        let config = r.get(config_key).cloned().ok_or_else(|| validation(format!("{config_key} is required")))?;
        let key = (resource.clone(), dimension.clone(), name.clone());
        let arn = match self.scaling_policies.get(&key) {
            Some(p) => p.arn.clone(),
            None => {
                let id = self.random_uuid();
                let (region, account) = (&self.ident.region, &self.ident.account);
                format!(
                    "arn:aws:autoscaling:{region}:{account}:scalingPolicy:{id}:resource/ecs/{resource}:policyName/{name}"
                )
            }
        };
        let policy = ScalingPolicy {
            name,
            arn: arn.clone(),
            resource_id: resource,
            dimension,
            policy_type,
            config,
            created_at: self.now,
        };
        let alarms = self.policy_alarms(&policy);
        self.scaling_policies.insert(key, policy);
        Ok(json!({"PolicyARN": arn, "Alarms": alarms}))
    }

    /// Target tracking creates a high and a low CloudWatch alarm per policy.
    fn policy_alarms(&self, p: &ScalingPolicy) -> Value {
        if p.policy_type != "TargetTrackingScaling" {
            return json!([]);
        }
        let base = format!("TargetTracking-{}", p.resource_id);
        let alarm = |suffix: &str| {
            let name = format!("{base}-{suffix}");
            json!({"AlarmName": name, "AlarmARN": format!("arn:aws:cloudwatch:{}:{}:alarm:{name}", self.ident.region, self.ident.account)})
        };
        json!([alarm("AlarmHigh"), alarm("AlarmLow")])
    }

    fn describe_scaling_policies(&mut self, body: &Value) -> ApiResult<Value> {
        let r = Req(body);
        r.str("ServiceNamespace").map_err(|_| validation("ServiceNamespace is required"))?;
        let names = r.str_list("PolicyNames")?;
        let resource = r.opt_str("ResourceId")?;
        let list: Vec<Value> = self
            .scaling_policies
            .values()
            .filter(|p| names.is_empty() || names.contains(&p.name))
            .filter(|p| resource.is_none_or(|res| p.resource_id == res))
            .map(|p| {
                let config_key = if p.policy_type == "TargetTrackingScaling" {
                    "TargetTrackingScalingPolicyConfiguration"
                } else {
                    "StepScalingPolicyConfiguration"
                };
                json!({
                    "PolicyARN": p.arn,
                    "PolicyName": p.name,
                    "ServiceNamespace": "ecs",
                    "ResourceId": p.resource_id,
                    "ScalableDimension": p.dimension,
                    "PolicyType": p.policy_type,
                    config_key: p.config,
                    "Alarms": self.policy_alarms(p),
                    "CreationTime": epoch_seconds(p.created_at),
                })
            })
            .collect();
        let (page, next) = paginate(&list, r.opt_i64("MaxResults")?, 50, 50, r.opt_str("NextToken")?)?;
        Ok(json!({"ScalingPolicies": page, "NextToken": next}))
    }

    fn delete_scaling_policy(&mut self, body: &Value) -> ApiResult<Value> {
        let r = Req(body);
        let (resource, dimension) = target_ref(r)?;
        let name = r.str("PolicyName").map_err(|_| validation("PolicyName is required"))?.to_string();
        if self.scaling_policies.remove(&(resource.clone(), dimension, name.clone())).is_none() {
            return Err(object_not_found(format!(
                "No scaling policy found for service namespace: ecs, resource ID: {resource}, scalable dimension: ecs:service:DesiredCount, policy name: {name}"
            )));
        }
        Ok(json!({}))
    }

    /// What the scaler does when a policy fires: desiredCount moves, within the
    /// registered bounds. Returns the count applied.
    pub fn scale_service(&mut self, resource_id: &str, desired: u32) -> ApiResult<u32> {
        let key = service_key(resource_id)?;
        let target = self
            .scalable_targets
            .get(&(resource_id.to_string(), DIMENSION.to_string()))
            .ok_or_else(|| object_not_found(format!("No scalable target registered for {resource_id}")))?;
        let applied = desired.clamp(target.min, target.max);
        self.set_desired_count(&key, applied, Actor::AutoScaling)?;
        Ok(applied)
    }

    /// Changes desiredCount out of band (the scaler, or a person in the console); `by` decides
    /// the events it makes (see `ecs_events`).
    pub fn set_desired_count(&mut self, key: &ServiceKey, desired: u32, by: Actor) -> ApiResult<()> {
        let svc = self.services.get_mut(key).ok_or_else(ApiError::service_not_found)?;
        if svc.status != ServiceStatus::Active {
            return Err(ApiError::new(ErrorKind::ServiceNotActive, "Service was not ACTIVE."));
        }
        if svc.scheduling_strategy == "DAEMON" {
            return Err(crate::services::daemon_desired_count());
        }
        let changed = svc.desired_count != desired;
        if changed {
            svc.desired_count = desired;
            svc.steady = false;
        }
        let now = self.now;
        if changed {
            self.emit_desired_count_change(key, desired, by, now);
        }
        self.reconcile_service(key, now);
        Ok(())
    }
}
