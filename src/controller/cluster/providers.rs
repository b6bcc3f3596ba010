//! An ECSCluster that names a capacity provider made by a CapacityProvider object in its
//! namespace waits for that object to be Ready: ECS refuses a cluster naming a provider that
//! does not exist yet, and that refusal is terminal (a slow recheck), while the provider is
//! usually seconds away. Names that match no object (FARGATE, FARGATE_SPOT, providers made
//! elsewhere) are used as they are.

use std::sync::Arc;

use kube::api::ListParams;
use kube::runtime::controller::Action;
use kube::{Api, Resource, ResourceExt};

use super::status::{self, Outcome, Stage};
use crate::controller::conditions::{READY, status_of};
use crate::controller::context::Context;
use crate::controller::error::Error;
use crate::controller::status::write_status;
use crate::crd::capacity_provider::CapacityProvider;
use crate::crd::cluster::ECSCluster;

/// Providers ECS has in every account.
const BUILT_IN: &[&str] = &["FARGATE", "FARGATE_SPOT"];

/// Why the cluster must wait, if it must: the first named provider whose CapacityProvider
/// object is not Ready at its current generation. A Managed Instances provider of this cluster
/// is made inside the cluster, so before the cluster exists it is not waited for: the cluster
/// is created without it ([`made_inside`]) and waits for it afterwards.
pub async fn not_ready(cluster: &ECSCluster, ctx: &Context) -> Result<Option<String>, Error> {
    let named: Vec<&String> =
        cluster.spec.capacity_providers.iter().flatten().filter(|n| !BUILT_IN.contains(&n.as_str())).collect();
    if named.is_empty() {
        return Ok(None);
    }
    let namespace = cluster.namespace().ok_or(Error::MissingMetadata("namespace"))?;
    let api: Api<CapacityProvider> = Api::namespaced(ctx.client.clone(), &namespace);
    let objects = api.list(&ListParams::default()).await.map_err(|e| Error::kube("listing CapacityProviders", e))?;
    // Asked of ECS (once, and only while such a provider is pending): the status may not show
    // a cluster created a moment ago.
    let mut exists = None;
    for name in named {
        let Some(obj) = objects.items.iter().find(|o| &o.provider_name() == name) else { continue };
        if made_inside(obj, cluster) && waiting_reason(obj).is_some() {
            if exists.is_none() {
                exists = Some(super::observe::observe(ctx, &cluster.cluster_name()).await?.is_some());
            }
            if exists == Some(false) {
                continue;
            }
        }
        if let Some(why) = waiting_reason(obj) {
            return Ok(Some(format!(
                "capacity provider {name} (CapacityProvider {namespace}/{}) is not Ready yet: {why}",
                obj.name_any()
            )));
        }
    }
    Ok(None)
}

/// Whether `obj` is a Managed Instances provider of `cluster`, which ECS creates inside the
/// cluster (and adds to its capacity providers itself).
pub fn made_inside(obj: &CapacityProvider, cluster: &ECSCluster) -> bool {
    let cluster_name = cluster.cluster_name();
    let by_ref = obj.spec.cluster_ref.as_ref().is_some_and(|r| r.name == cluster.name_any());
    obj.spec.managed_instances_provider.is_some() && (by_ref || obj.spec.cluster_name() == Some(cluster_name))
}

/// The CapacityProvider objects of this cluster's namespace that are Managed Instances
/// providers made inside it ([`made_inside`]), from the cache: the cluster's reconciles, its
/// creation and its deletion all ask, and none needs a request to Kubernetes for it.
fn made_inside_objects(cluster: &ECSCluster, ctx: &Context) -> Vec<Arc<CapacityProvider>> {
    let namespace = cluster.namespace();
    let state = ctx.stores.providers.state();
    state.into_iter().filter(|o| o.namespace() == namespace && made_inside(o, cluster)).collect()
}

/// The provider names CreateCluster must leave out: Managed Instances providers of this
/// cluster that ECS does not have yet (they are made inside the cluster once it exists).
pub fn made_later(cluster: &ECSCluster, ctx: &Context) -> Vec<String> {
    made_inside_objects(cluster, ctx)
        .iter()
        .filter(|o| o.status.as_ref().and_then(|s| s.capacity_provider_arn.as_ref()).is_none())
        .map(|o| o.provider_name())
        .collect()
}

/// The ECS names of the Managed Instances providers made inside `cluster`. ECS adds each to
/// the cluster's capacity providers itself when it creates it (and takes it out when it
/// deletes it), so their association is ECS's, not the cluster spec's: it is not compared,
/// and a put keeps what ECS has ([`keep_made_inside`]). Comparing it would race the
/// provider's creation, and a put without one would take it out of ECS's cluster under its
/// object's feet.
pub fn made_inside_names(cluster: &ECSCluster, ctx: &Context) -> Vec<String> {
    made_inside_objects(cluster, ctx).iter().map(|o| o.provider_name()).collect()
}

/// `providers` (a cluster's capacity providers) without the ones made inside it.
pub fn without_made_inside(providers: &mut Option<Vec<String>>, inside: &[String]) {
    if let Some(list) = providers.as_mut() {
        list.retain(|p| !inside.contains(p));
    }
}

/// The list a PutClusterCapacityProviders sends: the spec's, less the providers made inside
/// the cluster, plus those ECS has associated with it now.
pub fn keep_made_inside(spec: &mut crate::crd::cluster::ECSClusterSpec, inside: &[String], in_ecs: &[String]) {
    without_made_inside(&mut spec.capacity_providers, inside);
    let kept: Vec<String> = in_ecs.iter().filter(|p| inside.contains(p)).cloned().collect();
    if !kept.is_empty() {
        spec.capacity_providers.get_or_insert_with(Vec::new).extend(kept);
    }
}

/// The CapacityProvider objects (names) of Managed Instances providers made inside `cluster`:
/// ECS refuses to delete a cluster that still has them, so its deletion waits for them to go.
pub fn inside(cluster: &ECSCluster, ctx: &Context) -> Vec<String> {
    made_inside_objects(cluster, ctx).iter().map(|o| o.name_any()).collect()
}

/// None when the object is Ready for its current spec; otherwise what its Ready says.
fn waiting_reason(obj: &CapacityProvider) -> Option<String> {
    if obj.meta().deletion_timestamp.is_some() {
        return Some("it is being deleted".into());
    }
    let Some(status) = obj.status.as_ref() else { return Some("not reconciled yet".into()) };
    let conditions = status.common.conditions.as_deref().unwrap_or_default();
    let current = status.common.observed_generation == obj.meta().generation;
    if current && status_of(conditions, READY) == Some("True") {
        return None;
    }
    let ready = conditions.iter().find(|c| c.type_ == READY);
    Some(match ready {
        Some(c) if !c.message.is_empty() => format!("{} ({})", c.reason, c.message),
        Some(c) => c.reason.clone(),
        None => "not reconciled yet".into(),
    })
}

/// Records the wait (status written only when it changed) and looks again soon; the
/// CapacityProvider's own status change also wakes the cluster.
pub async fn wait(cluster: &ECSCluster, ctx: &Context, message: &str) -> Result<Action, Error> {
    let outcome = Outcome {
        stage: Some(Stage::WaitingForCapacityProvider(message)),
        drift: &[],
        correction: None,
        applied_hash: None,
        applied: None,
        observe_only: false,
        error: None,
    };
    let previous = cluster.status.as_ref();
    let new_status = status::build(previous, cluster.meta().generation, &outcome, &ctx.now());
    write_status(ctx, cluster, previous, &new_status).await?;
    Ok(Action::requeue(ctx.config.rollout_poll_interval))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::capacity_provider::{CapacityProviderSpec, CapacityProviderStatus};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

    fn provider(ready: Option<&str>, generation: i64, observed: i64) -> CapacityProvider {
        let spec: CapacityProviderSpec =
            serde_json::from_value(serde_json::json!({"autoScalingGroupProvider": {"autoScalingGroupArn": "a"}}))
                .expect("spec");
        let mut obj = CapacityProvider::new("batch", spec);
        obj.metadata.generation = Some(generation);
        obj.status = ready.map(|r| {
            let condition = Condition {
                type_: READY.into(),
                status: r.into(),
                reason: "Creating".into(),
                message: String::new(),
                observed_generation: Some(observed),
                last_transition_time: Time(k8s_openapi::jiff::Timestamp::UNIX_EPOCH),
            };
            let mut s = CapacityProviderStatus::default();
            s.common.observed_generation = Some(observed);
            s.common.conditions = Some(vec![condition]);
            s
        });
        obj
    }

    #[test]
    fn ready_at_the_current_generation_only() {
        assert_eq!(waiting_reason(&provider(Some("True"), 2, 2)), None);
        assert!(waiting_reason(&provider(Some("True"), 3, 2)).is_some(), "stale Ready");
        assert_eq!(waiting_reason(&provider(Some("False"), 1, 1)).as_deref(), Some("Creating"));
        assert_eq!(waiting_reason(&provider(None, 1, 1)).as_deref(), Some("not reconciled yet"));
    }

    #[test]
    fn providers_made_inside_are_ecs_s_to_associate() {
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let inside = strings(&["mi"]);
        let mut listed = Some(strings(&["FARGATE", "mi"]));
        without_made_inside(&mut listed, &inside);
        assert_eq!(listed, Some(strings(&["FARGATE"])));
        let spec = |list: &[&str]| crate::crd::cluster::ECSClusterSpec {
            capacity_providers: Some(strings(list)),
            ..Default::default()
        };
        let mut put = spec(&["FARGATE"]);
        keep_made_inside(&mut put, &inside, &strings(&["FARGATE", "mi"]));
        assert_eq!(put.capacity_providers, Some(strings(&["FARGATE", "mi"])), "what ECS associated stays");
        let mut put = spec(&["FARGATE", "mi"]);
        keep_made_inside(&mut put, &inside, &strings(&["FARGATE"]));
        assert_eq!(put.capacity_providers, Some(strings(&["FARGATE"])), "not one ECS does not have");
    }
}
