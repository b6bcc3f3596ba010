//! The CapacityProvider controller: creates the Auto Scaling group capacity provider with
//! ownership tags, keeps its managed settings (one UpdateCapacityProvider when they differ)
//! and tags in line with the spec, refuses to touch a provider whose Auto Scaling group
//! changed (ECS cannot change it: RequiresReplacement), records and corrects drift, and on
//! deletion waits while a cluster still uses the provider.
//!
//! Pipeline: observe (one DescribeCapacityProviders) → plan (pure) → execute → status (pure)
//! → patch status if it changed.

pub mod cleanup;
pub mod plan;
pub mod status;
pub mod watch;

use std::sync::Arc;

use aws_sdk_ecs::types::CapacityProvider;
use kube::runtime::controller::Action;
use kube::runtime::events::EventType;
use kube::runtime::finalizer::{Event as FinalizerEvent, finalizer};
use kube::{Api, Resource, ResourceExt};

use self::plan::{Actual, PlanInput, ProviderPlan, Why};
use self::status::{Outcome, Stage};
use super::drift::DriftItem;
use super::error::Error;
use super::tags::{ownership_tags, write_tag_changes};
use super::{Context, publish, write_status};
use crate::aws::convert::capacity_provider::{
    capacity_provider_spec_from_sdk, create_capacity_provider_input, update_capacity_provider_input,
};
use crate::aws::convert::tag_map;
use crate::aws::error::AwsError;
use crate::canonical::capacity_provider::canonical_capacity_provider;
use crate::canonical::defaults::CAPACITY_PROVIDER_NOT_COMPARED;
use crate::canonical::spec_hash;
use crate::crd::capacity_provider::{CapacityProvider as CapacityProviderObject, CapacityProviderSpec};
use crate::crd::common::{FINALIZER, ManagementPolicy, tags};

/// Prefixes ECS reserves for its own providers.
const RESERVED_PREFIXES: &[&str] = &["aws", "ecs", "fargate"];

pub async fn reconcile(obj: Arc<CapacityProviderObject>, ctx: Arc<Context>) -> Result<Action, Error> {
    let namespace = obj.namespace().ok_or(Error::MissingMetadata("namespace"))?;
    let api: Api<CapacityProviderObject> = Api::namespaced(ctx.client.clone(), &namespace);
    let result = finalizer(&api, FINALIZER, obj.clone(), |event| async {
        match event {
            FinalizerEvent::Apply(obj) => apply(&obj, &ctx).await,
            FinalizerEvent::Cleanup(obj) => cleanup::cleanup(&obj, &ctx).await,
        }
    })
    .await
    .or_else(Error::finalizer_outcome);
    super::refusals::finish_reconcile(&ctx, obj.as_ref(), result).await
}

fn owner_of(obj: &CapacityProviderObject) -> String {
    format!("{}/{}", obj.namespace().unwrap_or_default(), obj.name_any())
}

/// The ECS name: `spec.name`, else the object name.
pub fn provider_name_of(obj: &CapacityProviderObject) -> String {
    obj.spec.name.clone().unwrap_or_else(|| obj.name_any())
}

/// Admission checks `spec.name`; a name taken from the object may still break ECS's rules
/// (dots, or a reserved prefix), which only the controller can see.
fn check_name(obj: &CapacityProviderObject, name: &str) -> Result<(), Error> {
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

struct Synced {
    provider: Option<CapacityProvider>,
    drift: Vec<DriftItem>,
    correction: crate::controller::drift::Correction,
    applied_hash: Option<String>,
    /// What this reconcile applied, for `status.lastApplied` (None in Observe mode).
    applied: Option<crate::crd::common::AppliedRecord>,
}

async fn apply(obj: &CapacityProviderObject, ctx: &Context) -> Result<Action, Error> {
    let observe_only = obj.spec.policies.management() == ManagementPolicy::Observe;
    let name = provider_name_of(obj);
    let result = match check_name(obj, &name) {
        Err(e) => Err(e),
        Ok(()) => sync(obj, ctx, &name, observe_only).await,
    };
    let missing = if observe_only {
        format!("capacity provider {name} does not exist; managementPolicy is Observe, so it is not created")
    } else {
        format!("capacity provider {name} does not exist; driftPolicy is Report, so it is not recreated")
    };
    let stage = match &result {
        Ok(Synced { provider: Some(p), .. }) => Some(Stage::Observed(p)),
        Ok(Synced { provider: None, .. }) => Some(Stage::Missing(&missing)),
        Err(_) => None,
    };
    let outcome = Outcome {
        stage,
        drift: result.as_ref().map(|s| s.drift.as_slice()).unwrap_or_default(),
        correction: result.as_ref().ok().map(|s| &s.correction),
        applied_hash: result.as_ref().ok().and_then(|s| s.applied_hash.as_deref()),
        applied: result.as_ref().ok().and_then(|s| s.applied.as_ref()),
        observe_only,
        error: result.as_ref().err(),
    };
    let previous = obj.status.as_ref();
    let new_status = status::build(previous, obj.meta().generation, &outcome, &ctx.now());
    write_status(ctx, obj, previous, &new_status).await?;
    match result {
        // An update in progress moves on its own: look again soon.
        Ok(Synced { provider: Some(p), .. })
            if p.update_status().is_some_and(|u| u.as_str().ends_with("_IN_PROGRESS")) =>
        {
            Ok(Action::requeue(ctx.config.rollout_poll_interval))
        }
        Ok(s) => Ok(Action::requeue(crate::controller::drift::requeue_after(
            &s.correction,
            ctx.config.resync_interval,
            ctx.config.rollout_poll_interval,
            &ctx.now(),
        ))),
        Err(e) => {
            publish(ctx, obj, EventType::Warning, e.reason(), &e.to_string()).await;
            Err(e)
        }
    }
}

/// The named provider as ECS describes it; None when it does not exist or is INACTIVE (a
/// deleted provider stays visible as INACTIVE for a while).
pub async fn observe(ctx: &Context, name: &str) -> Result<Option<CapacityProvider>, Error> {
    let providers = ctx.ecs.describe_capacity_providers(vec![name.to_owned()]).await?;
    Ok(providers.into_iter().find(|p| p.name() == Some(name) && p.status().is_some_and(|s| s.as_str() != "INACTIVE")))
}

/// The hash of what the user asked for: canonical settings plus the user's tags.
fn desired_hash(desired: &CapacityProviderSpec, spec: &CapacityProviderSpec) -> Result<String, Error> {
    let hashed = CapacityProviderSpec { tags: spec.tags.clone().filter(|t| !t.is_empty()), ..desired.clone() };
    spec_hash(&hashed).map_err(|e| Error::InvalidSpec(format!("spec: {e}")))
}

async fn sync(obj: &CapacityProviderObject, ctx: &Context, name: &str, observe_only: bool) -> Result<Synced, Error> {
    let desired = canonical_capacity_provider(&obj.spec);
    let desired_hash = desired_hash(&desired, &obj.spec)?;
    let (record, removals) = crate::controller::applied::track(
        &desired,
        CAPACITY_PROVIDER_NOT_COMPARED,
        obj.spec.tags.as_ref(),
        obj.status.as_ref().and_then(|s| s.common.last_applied.as_ref()),
    )?;
    let owner = owner_of(obj);
    let existing = observe(ctx, name).await?;
    if let (Some(p), false) = (&existing, observe_only) {
        check_ownership(p, &owner, obj.spec.policies.adopt())?;
    }
    let actual = existing
        .as_ref()
        .map(|p| {
            capacity_provider_spec_from_sdk(p).map(|spec| Actual {
                spec: canonical_capacity_provider(&spec),
                tags: tag_map(p.tags.as_deref().unwrap_or_default()),
            })
        })
        .transpose()
        .map_err(|e| {
            Error::Aws(AwsError::classify("DescribeCapacityProviders", "UnexpectedResponse".into(), e.to_string()))
        })?;
    let desired_tags = crate::controller::tags::desired_tags(
        obj.spec.tags.as_ref(),
        &owner,
        &ctx.config.cluster_id,
        actual.as_ref().map(|a| &a.tags),
        observe_only,
    );
    let previous = obj.status.as_ref().and_then(|s| s.spec_hash.as_deref());
    let plan = plan::plan(&PlanInput {
        desired: &desired,
        desired_hash: &desired_hash,
        desired_tags: &desired_tags,
        manage_user_tags: obj.spec.tags.is_some(),
        removals: &removals,
        actual: actual.as_ref(),
        applied_hash: previous,
        drift_policy: obj.spec.policies.drift(),
        observe_only,
        correction: obj.status.as_ref().and_then(|s| s.common.correction.as_ref()),
        now: &ctx.now(),
        backoff: ctx.config.correction_backoff,
    });
    if let Some(field) = plan.replace {
        return Err(Error::RequiresReplacement(field.to_owned()));
    }
    let mut observed = existing;
    if plan.writes() {
        tracing::info!(?plan, "capacity provider plan");
        observed = execute(obj, ctx, name, &owner, observed.as_ref(), &plan).await?.or(observed);
    }
    let applied_hash = if observe_only { previous.map(str::to_owned) } else { Some(desired_hash) };
    Ok(Synced {
        provider: observed,
        drift: plan.drift,
        correction: plan.correction,
        applied_hash,
        applied: (!observe_only).then_some(record),
    })
}

/// CreateCapacityProvider, or tag calls plus at most one UpdateCapacityProvider, and one event.
async fn execute(
    obj: &CapacityProviderObject,
    ctx: &Context,
    name: &str,
    owner: &str,
    existing: Option<&CapacityProvider>,
    plan: &ProviderPlan,
) -> Result<Option<CapacityProvider>, Error> {
    let convert = |e: crate::aws::convert::ConvertError| Error::InvalidSpec(e.to_string());
    if plan.create {
        let input = create_capacity_provider_input(&obj.spec, name, &ownership_tags(owner, &ctx.config.cluster_id))
            .map_err(convert)?;
        let created = ctx.ecs.create_capacity_provider(input).await?;
        publish(ctx, obj, EventType::Normal, "Created", &format!("created capacity provider {name}")).await;
        return Ok(Some(created));
    }
    let Some(existing) = existing else { return Ok(None) };
    let arn = existing.capacity_provider_arn().unwrap_or(name).to_owned();
    // Tags first: adopting, they add the owner tag the IAM policy wants before other changes.
    write_tag_changes(ctx.ecs.as_ref(), &arn, &plan.tag, &plan.untag).await?;
    let mut answered = None;
    if plan.update {
        let input = update_capacity_provider_input(&obj.spec, name).map_err(convert)?;
        answered = Some(ctx.ecs.update_capacity_provider(input).await?);
    }
    let (reason, verb) = match plan.why {
        Some(Why::DriftCorrected) => ("DriftCorrected", "put back drifted fields of"),
        _ => ("Updated", "updated"),
    };
    let note = format!("{verb} capacity provider {name}: {}", plan.changed.join(", "));
    publish(ctx, obj, EventType::Normal, reason, &note).await;
    Ok(answered)
}

fn check_ownership(p: &CapacityProvider, owner: &str, adopt: bool) -> Result<(), Error> {
    let name = p.name().unwrap_or_default();
    match tag_map(p.tags.as_deref().unwrap_or_default()).get(tags::OWNER) {
        Some(o) if o == owner => Ok(()),
        Some(other) => {
            Err(Error::Conflict(format!("capacity provider {name} is managed by {other}; it will not be taken over")))
        }
        None if adopt => Ok(()),
        None => Err(Error::Conflict(format!(
            "capacity provider {name} exists and was not created by ecs-operator; set spec.adopt: true to manage it"
        ))),
    }
}

/// Whether ECS reports `p` as carrying `owner`'s ownership tag.
fn owned_by(p: &CapacityProvider, owner: &str) -> bool {
    tag_map(p.tags.as_deref().unwrap_or_default()).get(tags::OWNER).map(String::as_str) == Some(owner)
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
