//! The CapacityProvider controller: creates the Auto Scaling group or Managed Instances
//! capacity provider (the latter in its cluster) with ownership tags, keeps its settings (one
//! UpdateCapacityProvider when they differ) and tags in line with the spec, refuses to touch a
//! provider whose fixed fields changed (Auto Scaling group, cluster, capacity option type,
//! kind: RequiresReplacement), records and corrects drift, and on deletion waits while a
//! cluster still uses the provider.
//!
//! Pipeline: [`observe`] (one DescribeCapacityProviders) → [`plan`] (pure) → [`execute`] →
//! [`status`] (pure) → status written if it changed; [`cleanup`] on deletion.

pub mod cleanup;
pub mod execute;
pub mod observe;
pub mod plan;
pub mod status;
pub mod watch;

use aws_sdk_ecs::types::CapacityProvider;
use kube::Resource;
use kube::runtime::controller::Action;

use self::status::{Outcome, Stage};
use super::context::Context;
use super::error::Error;
use super::kind::reconciler;
use super::outcome::{Synced, missing_message, requeue};
use super::ownership::owner_of;
use super::planning::plan_object;
use super::status::record;
use crate::canonical::capacity_provider::canonical_capacity_provider;
use crate::canonical::defaults::CAPACITY_PROVIDER_NOT_COMPARED;
use crate::canonical::spec_hash;
use crate::crd::capacity_provider::{CapacityProvider as CapacityProviderObject, CapacityProviderSpec};
use crate::crd::cluster::ECSCluster;
use crate::crd::{ManagedObject, ManagementPolicy};
use kube::runtime::reflector::ObjectRef;

/// Prefixes ECS reserves for its own providers.
const RESERVED_PREFIXES: &[&str] = &["aws", "ecs", "fargate"];

reconciler!(CapacityProviderObject, apply, cleanup::cleanup);

async fn apply(obj: &CapacityProviderObject, ctx: &Context) -> Result<Action, Error> {
    let observe_only = obj.policies().management() == ManagementPolicy::Observe;
    let name = obj.provider_name();
    let result = match check_name(obj, &name) {
        Ok(()) => sync(obj, ctx, &name, observe_only).await.map_err(cluster_not_there_yet),
        Err(e) => Err(e),
    };
    let missing = missing_message(&format!("capacity provider {name}"), observe_only);
    let outcome = Outcome::of(&result, observe_only, |s| match &s.described {
        Some(p) => Stage::Observed(p),
        None => Stage::Missing(&missing),
    });
    let new_status = status::build(obj.status.as_ref(), obj.meta().generation, &outcome, &ctx.now());
    let synced = record(ctx, obj, &new_status, result).await?;
    // An update in progress moves on its own: look again soon.
    let moving =
        synced.described.as_ref().and_then(|p| p.update_status()).is_some_and(|u| u.as_str().ends_with("_IN_PROGRESS"));
    Ok(requeue(ctx, moving, &synced.correction))
}

/// Admission checks `spec.name`; a name taken from the object may still break ECS's rules
/// (dots, or a reserved prefix), which only the controller can see.
pub(crate) fn check_name(obj: &CapacityProviderObject, name: &str) -> Result<(), Error> {
    let field = if obj.spec.name.is_some() { "spec.name" } else { "metadata.name (the default for spec.name)" };
    let lower = name.to_ascii_lowercase();
    if RESERVED_PREFIXES.iter().any(|p| lower.starts_with(p)) {
        return Err(Error::InvalidSpec(format!(
            "{field}: capacity provider name {name:?} may not start with 'aws', 'ecs' or 'fargate'; set spec.name"
        )));
    }
    if name.len() > 255 || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(Error::InvalidSpec(format!(
            "{field}: capacity provider name {name:?} may only hold letters, digits, '-' and '_'; set spec.name"
        )));
    }
    Ok(())
}

/// Observe, plan and execute: the provider as ECS has it afterwards, and what differs.
async fn sync(
    obj: &CapacityProviderObject,
    ctx: &Context,
    name: &str,
    observe_only: bool,
) -> Result<Synced<CapacityProvider>, Error> {
    let spec = resolved_spec(obj, ctx)?;
    let desired = canonical_capacity_provider(&spec);
    let desired_hash = desired_hash(&desired, &spec)?;
    let existing = observe::observe(ctx, name, desired.cluster.as_deref()).await?;
    let actual = existing.as_ref().map(observe::actual).transpose()?;
    let what = format!("capacity provider {name}");
    let planned = (&desired, desired_hash.as_str(), CAPACITY_PROVIDER_NOT_COMPARED);
    let (plan, record) = plan_object(ctx, obj, &what, planned, actual.as_ref(), plan::plan)?;
    if let Some(field) = plan.replace {
        return Err(Error::RequiresReplacement(field.to_owned()));
    }
    let mut described = existing;
    if plan.writes() {
        tracing::info!(?plan, "capacity provider plan");
        let owner = owner_of(obj);
        described = execute::execute(obj, &spec, ctx, name, &owner, described.as_ref(), &plan).await?.or(described);
    }
    // Observe mode keeps the hash it found: it applied nothing.
    let applied_hash = if observe_only { obj.applied_hash().map(str::to_owned) } else { Some(desired_hash) };
    let applied = (!observe_only).then_some(record);
    Ok(Synced { described, drift: plan.drift, correction: plan.correction, applied_hash, applied })
}

/// The spec with a Managed Instances provider's `clusterRef` resolved to the cluster's ECS
/// name (references never go back into the stored spec). An ECSCluster not in the cache (not
/// created yet, or not watched) is waited for: its object name need not be its cluster's name.
pub fn resolved_spec(obj: &CapacityProviderObject, ctx: &Context) -> Result<CapacityProviderSpec, Error> {
    let mut spec = obj.spec.clone();
    if let (None, Some(r)) = (&spec.cluster, spec.cluster_ref.take()) {
        let namespace = kube::ResourceExt::namespace(obj).unwrap_or_default();
        let found = ctx.stores.clusters.get(&ObjectRef::<ECSCluster>::new(&r.name).within(&namespace));
        let Some(cluster) = found else {
            return Err(Error::Waiting(format!("waiting for ECSCluster {} (spec.clusterRef) to exist", r.name)));
        };
        spec.cluster = Some(cluster.cluster_name());
    }
    Ok(spec)
}

/// A Managed Instances provider is made inside its cluster: a cluster ECS does not have (yet:
/// its ECSCluster may be on its way) is a wait, not a refusal.
fn cluster_not_there_yet(e: Error) -> Error {
    match e {
        Error::Aws(e) if e.code == "ClusterNotFoundException" => Error::Waiting(format!(
            "waiting for the ECS cluster this Managed Instances capacity provider is made inside to exist ({})",
            e.message
        )),
        other => other,
    }
}

/// The hash of what the user asked for: canonical settings plus the user's tags.
pub(crate) fn desired_hash(desired: &CapacityProviderSpec, spec: &CapacityProviderSpec) -> Result<String, Error> {
    spec_hash(&CapacityProviderSpec { tags: spec.tags.clone().filter(|t| !t.is_empty()), ..desired.clone() })
        .map_err(|e| Error::InvalidSpec(format!("spec: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(name: &str, spec_name: Option<&str>) -> CapacityProviderObject {
        let spec: CapacityProviderSpec = serde_json::from_value(serde_json::json!({
            "autoScalingGroupProvider": {"autoScalingGroupArn": "arn"},
        }))
        .expect("spec");
        let mut obj =
            CapacityProviderObject::new(name, CapacityProviderSpec { name: spec_name.map(Into::into), ..spec });
        obj.metadata.namespace = Some("ns".into());
        obj
    }

    #[test]
    fn names_from_the_object_are_checked_against_ecs_rules() {
        assert!(check_name(&object("batch", None), "batch").is_ok());
        let err = check_name(&object("ecs-batch", None), "ecs-batch").unwrap_err().to_string();
        assert!(err.contains("metadata.name") && err.contains("may not start with"), "{err}");
        assert!(check_name(&object("a.b", None), "a.b").unwrap_err().to_string().contains("letters, digits"));
        assert!(check_name(&object("ecs-batch", Some("batch")), "batch").is_ok());
    }
}
