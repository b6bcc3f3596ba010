//! A fault a test can ask for: UpdateService silently keeping a service's own value of one
//! field. Real ECS does this where it normalises a value or ignores it in some combinations,
//! and answers the update with success all the same; an operator must notice that its
//! correction did not take instead of sending it forever (issue 17). Off unless a test sets
//! it; `reset` clears it.
//!
//! A kept field is an UpdateServiceRequest member, top level. Keeping it sets it on the service
//! at once (an out-of-band change, not counted as a call), and from then on every UpdateService
//! that sends the member is run as if it had sent the kept value. Every other member of the
//! request is applied as usual.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::error::{ApiError, ApiResult};
use crate::services::ServiceKey;
use crate::state::State;

/// The UpdateServiceRequest members a kept value can hold (every member UpdateService applies).
pub const KEEPABLE: &[&str] = &[
    "desiredCount",
    "taskDefinition",
    "capacityProviderStrategy",
    "deploymentConfiguration",
    "availabilityZoneRebalancing",
    "networkConfiguration",
    "placementConstraints",
    "placementStrategy",
    "platformVersion",
    "healthCheckGracePeriodSeconds",
    "deploymentController",
    "enableExecuteCommand",
    "enableECSManagedTags",
    "loadBalancers",
    "propagateTags",
    "serviceRegistries",
    "serviceConnectConfiguration",
    "volumeConfigurations",
    "vpcLatticeConfigurations",
];

/// Per service, member name → the value ECS keeps.
pub type KeptFields = BTreeMap<ServiceKey, BTreeMap<String, Value>>;

impl State {
    /// Sets `field` of the service to `value`, validated as UpdateService would, and keeps it.
    pub(crate) fn keep_service_field(&mut self, key: &ServiceKey, field: &str, value: Value) -> ApiResult<()> {
        if !KEEPABLE.contains(&field) {
            return Err(ApiError::invalid(format!(
                "{field} is not an UpdateService member ecs-sim can keep (one of {})",
                KEEPABLE.join(", ")
            )));
        }
        let mut body = Map::new();
        body.insert("cluster".into(), Value::from(key.cluster.as_str()));
        body.insert("service".into(), Value::from(key.name.as_str()));
        body.insert(field.into(), value.clone());
        self.update_service(&Value::Object(body))?;
        self.kept_service_fields.entry(key.clone()).or_default().insert(field.to_owned(), value);
        Ok(())
    }

    /// UpdateService applies `field` of the service again.
    pub(crate) fn release_service_field(&mut self, key: &ServiceKey, field: &str) {
        if let Some(kept) = self.kept_service_fields.get_mut(key) {
            kept.remove(field);
            if kept.is_empty() {
                self.kept_service_fields.remove(key);
            }
        }
    }

    /// The UpdateService request `body` for the service `key` as ECS runs it: each kept member
    /// it sends replaced by the kept value. None when nothing is kept (run `body` as sent).
    pub(crate) fn with_kept_fields(&self, key: &ServiceKey, body: &Value) -> Option<Value> {
        let kept = self.kept_service_fields.get(key)?;
        let mut body = body.clone();
        let members = body.as_object_mut()?;
        for (field, value) in kept {
            if let Some(sent) = members.get_mut(field) {
                *sent = value.clone();
            }
        }
        Some(body)
    }
}
