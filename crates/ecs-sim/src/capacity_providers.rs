//! Capacity providers: the built-in FARGATE and FARGATE_SPOT, Auto Scaling group providers
//! and Amazon ECS Managed Instances providers created by callers. The simulator does not model
//! EC2 capacity; a provider only has to exist and be associated with the cluster for a
//! strategy to be accepted.
//!
//! Managed Instances providers (botocore CreateCapacityProviderRequest.cluster: "When you
//! create a capacity provider with Amazon ECS Managed Instances, it becomes available only
//! within the specified cluster"; CapacityProvider.cluster: "Managed instances capacity
//! providers are cluster-scoped, meaning they can only be used within their associated
//! cluster") belong to one cluster: CreateCapacityProvider associates them with it (they appear
//! in its `capacityProviders` and a strategy may name them at once), Update and Delete need
//! that `cluster`, PutClusterCapacityProviders refuses them for any other cluster, and
//! DeleteCluster refuses a cluster that still has one (ClusterContainsCapacityProviderException:
//! "This exception occurs when you try to delete a cluster that still has active capacity
//! providers, including Amazon ECS Managed Instances capacity providers").

use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::protocol::{Req, Tags, arn_resource, paginate, parse_tags, tags_json};
use crate::services::ServiceStatus;
use crate::state::State;
use crate::tasks::TaskStatus;

pub const BUILT_IN: [&str; 2] = ["FARGATE", "FARGATE_SPOT"];

#[derive(Debug, Clone)]
pub struct CapacityProvider {
    pub name: String,
    pub arn: String,
    pub active: bool,
    /// `autoScalingGroupProvider` (type EC2_AUTOSCALING) or `managedInstancesProvider` (type
    /// MANAGED_INSTANCES), with defaults filled in.
    pub kind: ProviderKind,
    /// `updateStatus` and `updateStatusReason` of the last update or delete.
    pub update_status: &'static str,
    pub update_status_reason: Option<String>,
    pub tags: Tags,
}

#[derive(Debug, Clone)]
pub enum ProviderKind {
    AutoScalingGroup(Value),
    /// The provider and the cluster it belongs to.
    ManagedInstances {
        provider: Value,
        cluster: String,
    },
}

impl CapacityProvider {
    /// The cluster of a Managed Instances provider.
    pub fn mi_cluster(&self) -> Option<&str> {
        match &self.kind {
            ProviderKind::ManagedInstances { cluster, .. } => Some(cluster),
            ProviderKind::AutoScalingGroup(_) => None,
        }
    }
}

fn provider_name(ident: &str) -> String {
    let res = arn_resource(ident);
    res.strip_prefix("capacity-provider/").unwrap_or(res).to_string()
}

/// A capacity provider strategy as ECS stores and reports it: each item's `weight` and
/// `base` filled in and range-checked.
///
/// botocore ecs service-2.json, CapacityProviderStrategyItem.weight: "If no weight value is
/// specified, the default value of 0 is used" (0 to 1,000); CapacityProviderStrategyItem.base:
/// "If no value is specified, the default value of 0 is used" (0 to 100,000) and "Only one
/// capacity provider in a strategy can have a base defined"; CreateServiceRequest:
/// "A capacity provider strategy can contain a maximum of 20 capacity providers."
pub fn parse_strategy(items: &[Value]) -> ApiResult<Vec<Value>> {
    if items.len() > 20 {
        return Err(ApiError::invalid("A capacity provider strategy can contain a maximum of 20 capacity providers."));
    }
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let r = Req(item);
        let name = r.str("capacityProvider")?;
        let weight = r.opt_i64("weight")?.unwrap_or(0);
        if !(0..=1000).contains(&weight) {
            return Err(ApiError::invalid(format!(
                "The weight for capacity provider {name} must be between 0 and 1000."
            )));
        }
        let base = r.opt_i64("base")?.unwrap_or(0);
        if !(0..=100_000).contains(&base) {
            return Err(ApiError::invalid(format!(
                "The base for capacity provider {name} must be between 0 and 100000."
            )));
        }
        out.push(json!({"capacityProvider": name, "weight": weight, "base": base}));
    }
    if out.iter().filter(|i| i["base"].as_i64() > Some(0)).count() > 1 {
        return Err(ApiError::invalid(
            "Only one capacity provider in a capacity provider strategy can have a base defined.",
        ));
    }
    Ok(out)
}

/// botocore ecs service-2.json, CapacityProviderStrategyItem.weight: "If you specify multiple
/// capacity providers in a strategy that all have a weight of 0, any RunTask or CreateService
/// actions using the capacity provider strategy will fail."
pub fn check_strategy_weights(strategy: &[Value]) -> ApiResult<()> {
    if strategy.len() > 1 && strategy.iter().all(|i| i["weight"].as_i64() == Some(0)) {
        return Err(ApiError::invalid(
            "At least one capacity provider in a capacity provider strategy must have a weight greater than zero.",
        ));
    }
    Ok(())
}

impl State {
    pub fn capacity_provider_exists(&self, name: &str) -> bool {
        BUILT_IN.contains(&name) || self.capacity_providers.get(name).is_some_and(|p| p.active)
    }

    /// Whether a task in `cluster` that has not stopped was launched by a deployment whose
    /// capacity provider strategy names `provider`, or by RunTask on `provider`.
    pub fn capacity_provider_has_tasks(&self, cluster: &str, provider: &str) -> bool {
        self.tasks.values().filter(|t| t.cluster == cluster && t.last_status != TaskStatus::Stopped).any(|t| {
            let Some(svc) = t.service.as_ref().and_then(|k| self.services.get(k)) else {
                return t.capacity_provider_name.as_deref() == Some(provider);
            };
            let strategy = svc
                .deployments
                .iter()
                .find(|d| Some(&d.id) == t.deployment_id.as_ref())
                .map_or(&svc.capacity_provider_strategy, |d| &d.capacity_provider_strategy);
            strategy.iter().any(|i| i["capacityProvider"].as_str() == Some(provider))
        })
    }

    fn capacity_provider_json(&self, p: &CapacityProvider, with_tags: bool) -> Value {
        let mut v = json!({
            "capacityProviderArn": p.arn,
            "name": p.name,
            "status": if p.active { "ACTIVE" } else { "INACTIVE" },
            "updateStatus": p.update_status,
        });
        // botocore CapacityProvider.type: "For Amazon ECS Managed Instances, this value is
        // MANAGED_INSTANCES"; CapacityProviderType lists EC2_AUTOSCALING for the rest.
        // CapacityProvider.cluster: "This is required for Managed instances" (the cluster's name,
        // as the request names it).
        match &p.kind {
            ProviderKind::AutoScalingGroup(asg) => {
                v["autoScalingGroupProvider"] = asg.clone();
                v["type"] = json!("EC2_AUTOSCALING");
            }
            ProviderKind::ManagedInstances { provider, cluster } => {
                v["managedInstancesProvider"] = provider.clone();
                v["type"] = json!("MANAGED_INSTANCES");
                v["cluster"] = json!(cluster);
            }
        }
        if let Some(reason) = &p.update_status_reason {
            v["updateStatusReason"] = json!(reason);
        }
        if with_tags {
            v["tags"] = tags_json(&p.tags);
        }
        v
    }

    fn built_in_json(&self, name: &str) -> Value {
        // botocore CapacityProviderType: FARGATE and FARGATE_SPOT are the built-ins' types.
        json!({"capacityProviderArn": self.ident.capacity_provider_arn(name), "name": name, "status": "ACTIVE", "tags": [], "type": name})
    }

    pub(crate) fn create_capacity_provider(&mut self, body: &Value) -> ApiResult<Value> {
        let r = Req(body);
        let name = r.str("name")?.to_string();
        let lower = name.to_ascii_lowercase();
        if ["aws", "ecs", "fargate"].iter().any(|p| lower.starts_with(p)) {
            return Err(ApiError::client(
                "The capacity provider name cannot be prefixed with \"aws\", \"ecs\", or \"fargate\".",
            ));
        }
        if self.capacity_providers.get(&name).is_some_and(|p| p.active) {
            return Err(ApiError::client(format!("The specified capacity provider {name} already exists.")));
        }
        // botocore CreateCapacityProviderRequest has both members, neither required: a provider
        // is one or the other ("You can create capacity providers for Amazon ECS Managed
        // Instances and EC2 instances").
        let kind = match (r.get("autoScalingGroupProvider"), r.get("managedInstancesProvider")) {
            (Some(_), Some(_)) => {
                return Err(ApiError::invalid(
                    "Specify either autoScalingGroupProvider or managedInstancesProvider, not both.",
                ));
            }
            (None, None) => {
                return Err(ApiError::invalid(
                    "One of autoScalingGroupProvider or managedInstancesProvider is required.",
                ));
            }
            (Some(asg), None) => ProviderKind::AutoScalingGroup(asg_provider(asg)?),
            (None, Some(mi)) => {
                let cluster = r.opt_str("cluster")?.ok_or_else(|| {
                    ApiError::invalid("cluster is required when you create a Managed Instances capacity provider.")
                })?;
                let cluster = self.active_cluster(Some(cluster))?.name.clone();
                ProviderKind::ManagedInstances { provider: crate::managed_instances::create(mi)?, cluster }
            }
        };
        let provider = CapacityProvider {
            arn: self.ident.capacity_provider_arn(&name),
            name: name.clone(),
            active: true,
            kind,
            update_status: "UPDATE_COMPLETE",
            update_status_reason: None,
            tags: parse_tags(r.array("tags")?)?,
        };
        let out = self.capacity_provider_json(&provider, true);
        if let Some(cluster) = provider.mi_cluster().and_then(|c| self.clusters.get_mut(c))
            && !cluster.capacity_providers.contains(&name)
        {
            cluster.capacity_providers.push(name.clone());
        }
        self.capacity_providers.insert(name, provider);
        Ok(json!({"capacityProvider": out}))
    }

    /// botocore DescribeCapacityProvidersRequest.cluster: "When specified, only capacity
    /// providers associated with this cluster are returned, including Amazon ECS Managed
    /// Instances capacity providers." Without it, the account-level providers are listed
    /// (FARGATE, FARGATE_SPOT, Auto Scaling group providers) and Managed Instances providers are
    /// not: they are cluster-scoped (CapacityProvider.cluster) and the model only promises them
    /// with a cluster. Named explicitly, any provider is described (names are unique in the
    /// account and the ARN does not contain the cluster); with a cluster, a named provider not
    /// associated with it is a MISSING failure.
    pub(crate) fn describe_capacity_providers(&mut self, body: &Value) -> ApiResult<Value> {
        let r = Req(body);
        let with_tags = r.includes("TAGS")?;
        let wanted = r.str_list("capacityProviders")?;
        let scope: Option<Vec<String>> = match r.opt_str("cluster")? {
            Some(c) => Some(self.active_cluster(Some(c))?.capacity_providers.clone()),
            None => None,
        };
        let names: Vec<String> = if wanted.is_empty() {
            match &scope {
                Some(assoc) => assoc.clone(),
                None => BUILT_IN
                    .iter()
                    .map(|s| s.to_string())
                    .chain(
                        self.capacity_providers.values().filter(|p| p.mi_cluster().is_none()).map(|p| p.name.clone()),
                    )
                    .collect(),
            }
        } else {
            wanted.iter().map(|w| provider_name(w)).collect()
        };
        let (page, next) = paginate(&names, r.opt_i64("maxResults")?, 10, 10, r.opt_str("nextToken")?)?;
        let (mut found, mut failures) = (vec![], vec![]);
        for name in page {
            let in_scope = scope.as_ref().is_none_or(|assoc| assoc.contains(&name));
            if BUILT_IN.contains(&name.as_str()) && in_scope {
                found.push(self.built_in_json(&name));
            } else if let Some(p) = self.capacity_providers.get(&name).filter(|_| in_scope) {
                found.push(self.capacity_provider_json(p, with_tags));
            } else {
                failures.push(json!({"arn": self.ident.capacity_provider_arn(&name), "reason": "MISSING"}));
            }
        }
        Ok(json!({"capacityProviders": found, "failures": failures, "nextToken": next}))
    }

    /// The provider `name` for UpdateCapacityProvider or DeleteCapacityProvider with the
    /// request's `cluster`: botocore UpdateCapacityProviderRequest.cluster "Managed instances
    /// capacity providers are cluster-scoped and can only be updated within their associated
    /// cluster", DeleteCapacityProviderRequest.cluster "... can only be deleted from their
    /// associated cluster". A missing provider is ClientException, as AWS answers
    /// DeleteCapacityProvider (ResourceNotFoundException is not among either's errors).
    fn scoped_provider(&self, name: &str, cluster: Option<&str>, verb: &str) -> ApiResult<CapacityProvider> {
        let provider = self
            .capacity_providers
            .get(name)
            .filter(|p| p.active)
            .ok_or_else(|| ApiError::client("The specified capacity provider does not exist."))?;
        if let Some(own) = provider.mi_cluster() {
            let sent = cluster.ok_or_else(|| {
                ApiError::invalid(format!(
                    "cluster is required: the Managed Instances capacity provider {name} can only be {verb} within its cluster."
                ))
            })?;
            let sent = self.active_cluster(Some(sent))?.name.clone();
            if sent != own {
                return Err(ApiError::invalid(format!(
                    "The Managed Instances capacity provider {name} belongs to cluster {own}, not {sent}."
                )));
            }
        }
        Ok(provider.clone())
    }

    pub(crate) fn update_capacity_provider(&mut self, body: &Value) -> ApiResult<Value> {
        let r = Req(body);
        let name = provider_name(r.str("name")?);
        let mut provider = self.scoped_provider(&name, r.opt_str("cluster")?, "updated")?;
        provider.kind = match (&provider.kind, r.get("autoScalingGroupProvider"), r.get("managedInstancesProvider")) {
            (ProviderKind::AutoScalingGroup(current), asg, None) => {
                let update = asg.cloned().unwrap_or_else(|| json!({}));
                ProviderKind::AutoScalingGroup(asg_provider_update(current, &update)?)
            }
            (ProviderKind::ManagedInstances { provider: current, cluster }, None, Some(update)) => {
                ProviderKind::ManagedInstances {
                    provider: crate::managed_instances::update(current, update)?,
                    cluster: cluster.clone(),
                }
            }
            (ProviderKind::ManagedInstances { .. }, _, _) => {
                return Err(ApiError::invalid(format!(
                    "{name} is a Managed Instances capacity provider: send managedInstancesProvider (and no autoScalingGroupProvider)."
                )));
            }
            (ProviderKind::AutoScalingGroup(_), _, Some(_)) => {
                return Err(ApiError::invalid(format!(
                    "{name} is an Auto Scaling group capacity provider: managedInstancesProvider does not apply to it."
                )));
            }
        };
        provider.update_status = "UPDATE_COMPLETE";
        provider.update_status_reason = None;
        let out = self.capacity_provider_json(&provider, true);
        self.capacity_providers.insert(name, provider);
        Ok(json!({"capacityProvider": out}))
    }

    pub(crate) fn delete_capacity_provider(&mut self, body: &Value) -> ApiResult<Value> {
        let r = Req(body);
        let name = provider_name(r.str("capacityProvider")?);
        let mut provider = self.scoped_provider(&name, r.opt_str("cluster")?, "deleted")?;
        // Not an error: AWS answers 200 with the provider still ACTIVE and the failure in
        // updateStatus (botocore CapacityProvider.updateStatus: "DELETE_FAILED The capacity
        // provider can't be deleted. The update status reason provides further details"; the
        // reason text as terraform-provider-aws PR 48156 and aws-nuke PR 542 quote it).
        let blocker = match provider.mi_cluster() {
            // A Managed Instances provider is always associated with its cluster; what blocks its
            // deletion is a service still using it (botocore DeleteCapacityProvider: "Prior to a
            // capacity provider being deleted, the capacity provider must be removed from the
            // capacity provider strategy from all services").
            Some(cluster) => self
                .services
                .values()
                .filter(|s| s.key.cluster == cluster && s.status != ServiceStatus::Inactive)
                .find(|s| s.capacity_provider_strategy.iter().any(|i| i["capacityProvider"].as_str() == Some(&name)))
                .map(|s| {
                    format!(
                        "The capacity provider cannot be deleted because it is used in the capacity provider strategy of service {}. Update the service to remove it and try again.",
                        s.key.name
                    )
                }),
            None => self.clusters.values().find(|c| c.is_active() && c.capacity_providers.contains(&name)).map(|c| {
                format!(
                    "The capacity provider cannot be deleted because it is associated with cluster: {}. Remove the capacity provider from the cluster and try again.",
                    c.name
                )
            }),
        };
        match blocker {
            Some(reason) => {
                provider.update_status = "DELETE_FAILED";
                provider.update_status_reason = Some(reason);
            }
            None => {
                provider.active = false;
                provider.update_status = "DELETE_COMPLETE";
                provider.update_status_reason = None;
                if let Some(cluster) = provider.mi_cluster().and_then(|c| self.clusters.get_mut(c)) {
                    cluster.capacity_providers.retain(|p| p != &name);
                    cluster.default_strategy.retain(|i| i["capacityProvider"].as_str() != Some(&name));
                }
            }
        }
        let out = self.capacity_provider_json(&provider, true);
        self.capacity_providers.insert(name, provider);
        Ok(json!({"capacityProvider": out}))
    }

    /// Whether a strategy runs on Managed Instances (names a MANAGED_INSTANCES provider).
    pub fn strategy_is_managed_instances(&self, strategy: &[Value]) -> bool {
        strategy.iter().any(|i| {
            i["capacityProvider"]
                .as_str()
                .and_then(|n| self.capacity_providers.get(n))
                .is_some_and(|p| p.mi_cluster().is_some())
        })
    }
}

/// An Auto Scaling group provider as CreateCapacityProvider stores it, every default filled in:
///
/// - botocore ecs service-2.json, ManagedScaling.targetCapacity: "The default value of 100
///   percent"; .minimumScalingStepSize: "If this parameter is omitted, the default value of 1
///   is used"; .maximumScalingStepSize: "... the default value of 10000 is used";
///   .instanceWarmupPeriod: "... the default value of 300 seconds is used".
/// - ManagedScaling.status: no default in the model; a provider created without managed
///   scaling reports DISABLED (terraform-provider-aws TestAccECSCapacityProvider_basic, run
///   against AWS).
/// - AutoScalingGroupProvider.managedTerminationProtection: "The default is off."
/// - managedDraining: ECS Developer Guide, "Managed instance draining is on by default when you
///   create a capacity provider" (the same acceptance test reports ENABLED).
fn asg_provider(sent: &Value) -> ApiResult<Value> {
    let mut v = sent.clone();
    Req(&v).str("autoScalingGroupArn")?;
    let mut scaling = v.get("managedScaling").filter(|m| m.is_object()).cloned().unwrap_or_else(|| json!({}));
    let defaults = [
        ("status", json!("DISABLED")),
        ("targetCapacity", json!(100)),
        ("minimumScalingStepSize", json!(1)),
        ("maximumScalingStepSize", json!(10000)),
        ("instanceWarmupPeriod", json!(300)),
    ];
    for (key, default) in defaults {
        if scaling.get(key).is_none_or(Value::is_null) {
            scaling[key] = default;
        }
    }
    v["managedScaling"] = scaling;
    for (key, default) in [("managedTerminationProtection", "DISABLED"), ("managedDraining", "ENABLED")] {
        if v.get(key).is_none_or(Value::is_null) {
            v[key] = json!(default);
        }
    }
    check_asg_provider(&v)?;
    Ok(v)
}

/// UpdateCapacityProvider: each member of `autoScalingGroupProvider` that is sent replaces the
/// stored one, and each member of a `managedScaling` that is sent replaces that member; what is
/// left out stays. (The model says nothing about members left out; moto 5.2.5 merges the
/// same way.)
fn asg_provider_update(current: &Value, update: &Value) -> ApiResult<Value> {
    let mut out = current.clone();
    for key in ["managedTerminationProtection", "managedDraining"] {
        if let Some(v) = update.get(key).filter(|v| !v.is_null()) {
            out[key] = v.clone();
        }
    }
    if let Some(scaling) = update.get("managedScaling").and_then(Value::as_object) {
        for (k, v) in scaling.iter().filter(|(_, v)| !v.is_null()) {
            out["managedScaling"][k] = v.clone();
        }
    }
    check_asg_provider(&out)?;
    Ok(out)
}

/// The ranges and enums of botocore's ManagedScaling (targetCapacity 1–100, step sizes
/// 1–10000, instanceWarmupPeriod 0–10000) and AutoScalingGroupProvider.
fn check_asg_provider(v: &Value) -> ApiResult<()> {
    let enabled = |key: &str, v: Option<&str>| match v {
        Some("ENABLED" | "DISABLED") => Ok(()),
        other => {
            Err(ApiError::invalid(format!("Invalid {key} {}. Valid values: ENABLED, DISABLED.", other.unwrap_or(""))))
        }
    };
    let scaling = Req(&v["managedScaling"]);
    enabled("managedScaling.status", scaling.opt_str("status")?)?;
    enabled("managedTerminationProtection", Req(v).opt_str("managedTerminationProtection")?)?;
    enabled("managedDraining", Req(v).opt_str("managedDraining")?)?;
    for (key, min, max) in [
        ("targetCapacity", 1, 100),
        ("minimumScalingStepSize", 1, 10000),
        ("maximumScalingStepSize", 1, 10000),
        ("instanceWarmupPeriod", 0, 10000),
    ] {
        match scaling.opt_i64(key)? {
            Some(n) if (min..=max).contains(&n) => {}
            other => {
                return Err(ApiError::invalid(format!(
                    "managedScaling.{key} must be between {min} and {max}, got {}.",
                    other.map_or("nothing".to_string(), |n| n.to_string())
                )));
            }
        }
    }
    Ok(())
}
