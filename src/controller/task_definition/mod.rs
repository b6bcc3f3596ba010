//! The TaskDefinition controller: registers a revision when the canonical spec changes and
//! never otherwise, keeps tags in line, prunes old revisions, reports and corrects
//! out-of-band deregistration, and deregisters its revisions on deletion.
//!
//! Pipeline: observe (ECS reads) → plan (pure) → execute (ECS writes, skipped when the plan is
//! empty or in Observe mode) → status (pure) → patch status if it changed.

pub mod cleanup;
pub mod execute;
pub mod observe;
pub mod plan;
pub mod status;
pub mod steady;

use std::collections::BTreeSet;

use kube::runtime::controller::Action;
use kube::{Resource, ResourceExt};

use self::plan::{Desired, Plan};
use self::status::Outcome;
use super::conditions;
use super::context::Context;
use super::error::Error;
use super::kind::reconciler;
use super::ownership::owner_of;
use super::status::{publish, record};
use crate::canonical::task_definition::task_definition_hash;
use crate::crd::common::ManagementPolicy;
use crate::crd::common::condition_types::SYNCED;
use crate::crd::task_definition::TaskDefinition;

/// Old revisions kept ACTIVE when the spec does not say.
pub const DEFAULT_HISTORY_LIMIT: i32 = 10;

reconciler!(TaskDefinition, apply, cleanup::cleanup);

pub(crate) fn family_of(td: &TaskDefinition) -> String {
    td.spec.family.clone().unwrap_or_else(|| td.name_any())
}

/// Revisions an ECSService still runs or rolls to: never pruned.
fn protected_revisions(ctx: &Context) -> BTreeSet<String> {
    revisions_in_use(ctx.stores.services.state().iter().map(|svc| svc.as_ref()))
}

/// The revisions `services` run or roll to, as their statuses say.
pub fn revisions_in_use<'a>(services: impl Iterator<Item = &'a crate::crd::ECSService>) -> BTreeSet<String> {
    services
        .filter_map(|svc| svc.status.as_ref())
        .flat_map(|s| {
            let deployments = s.deployments.iter().flatten().map(|d| d.task_definition.clone());
            s.task_definition_arn.clone().into_iter().chain(deployments)
        })
        .collect()
}

async fn apply(td: &TaskDefinition, ctx: &Context) -> Result<Action, Error> {
    let family = family_of(td);
    let previous = td.status.as_ref();
    let hash = task_definition_hash(&td.spec, &family);
    let observe_only = td.spec.policies.management() == ManagementPolicy::Observe;
    // Woken by our own status write (or a label change) right after a full check of this
    // generation: nothing in AWS is due for a look yet.
    let settled = previous.is_some_and(|s| {
        s.common.observed_generation == td.meta().generation
            && hash.as_deref().ok() == s.spec_hash.as_deref()
            && conditions::status_of(s.common.conditions.as_deref().unwrap_or_default(), SYNCED) == Some("True")
    });
    // An event about the family calls for a full check whatever the listing says.
    let mut listed = None;
    if settled && !ctx.event_pending(td) {
        if let Some(due) = ctx.checked_recently(td, ctx.config.resync_interval) {
            return Ok(Action::requeue(due));
        }
        match steady::check(ctx, td, &family).await {
            Ok(steady::Verdict::Unchanged) => {
                ctx.mark_checked(td);
                return Ok(Action::requeue(ctx.config.resync_interval));
            }
            Ok(steady::Verdict::TagsDue(active)) => listed = Some(active),
            Ok(steady::Verdict::Changed) => {}
            // The full check reads (and reports) for itself.
            Err(e) => tracing::debug!(error = %e, "listing ACTIVE revisions failed; checking in full"),
        }
    }
    let result = match &hash {
        Ok(hash) => sync(td, ctx, &family, hash, observe_only, listed).await,
        // CanonicalError's text already names the field ("spec.cpu: …").
        Err(e) => Err(Error::InvalidSpec(e.to_string())),
    };

    let (synced, error) = match &result {
        Ok(s) => (Some(s), None),
        Err(e) => (None, Some(e)),
    };
    let current = synced.and_then(|s| s.current.as_ref());
    // A revision's tags are the operator's whole (the plan removes every key not desired), so the
    // record removes nothing here; it is kept like every kind's, for one `status.lastApplied`.
    let applied = (synced.is_some() && !observe_only)
        .then(|| crate::controller::applied::record(&serde_json::Value::Null, &[], td.spec.tags.as_ref()));
    let outcome = Outcome {
        family: &family,
        spec_hash: hash.as_deref().ok(),
        current,
        registered: synced.is_some_and(|s| s.registered),
        deregistered: synced.map(|s| s.deregistered.as_slice()).unwrap_or_default(),
        drift: synced.map(|s| s.drift.as_slice()).unwrap_or_default(),
        applied: applied.as_ref(),
        observe_only,
        error,
    };
    let new_status = status::build(previous, td.meta().generation, &outcome, &ctx.now());
    let seen = synced.map(|s| s.family_seen);
    record(ctx, td, &new_status, result).await?;
    // Only once the status says what this check found: a check whose status write failed must
    // not let the steady check skip what it would have published.
    if let Some(seen) = seen {
        steady::record(ctx, td, seen);
    }
    ctx.mark_checked(td);
    Ok(Action::requeue(ctx.config.resync_interval))
}

/// What `td` asks of its `family` at the spec hash `hash`, its revisions tagged for `cluster_id`.
pub(crate) fn desired(td: &TaskDefinition, family: &str, hash: &str, cluster_id: &str) -> Desired {
    Desired {
        family: family.to_owned(),
        spec_hash: hash.to_owned(),
        tags: plan::desired_tags(td.spec.tags.as_ref(), &owner_of(td), cluster_id, hash),
        history_limit: usize::try_from(td.spec.revision_history_limit.unwrap_or(DEFAULT_HISTORY_LIMIT)).unwrap_or(0),
        drift_policy: td.spec.policies.drift(),
    }
}

/// What a successful sync found and did.
struct Synced {
    current: Option<plan::Revision>,
    registered: bool,
    deregistered: Vec<String>,
    drift: Vec<crate::controller::drift::DriftItem>,
    /// The fingerprint of the family's ACTIVE revisions after this check, for the steady check;
    /// None when it held a revision back (the next check is then a full one).
    family_seen: Option<u64>,
}

async fn sync(
    td: &TaskDefinition,
    ctx: &Context,
    family: &str,
    hash: &str,
    observe_only: bool,
    listed: Option<Vec<String>>,
) -> Result<Synced, Error> {
    let owner = owner_of(td);
    let desired = desired(td, family, hash, &ctx.config.cluster_id);
    let ecs = ctx.ecs.as_ref();
    let adopt = td.spec.policies.adopt();
    let (observed, mut active) =
        observe::observe_listed(ecs, listed, td.status.as_ref(), &desired, &owner, adopt).await?;
    let plan = plan::plan(&desired, &observed, &protected_revisions(ctx));
    // What the steady check compares with: the family's ACTIVE revisions as seen (and as this
    // check's own writes leave them), unless it kept an old revision only because a service
    // still runs it: nothing in ECS changes when the service moves on, so the next check must
    // be a full one.
    let beyond_limit = observed.older_active.len().saturating_sub(desired.history_limit);
    let held_back = !observe_only && plan.deregister.len() < beyond_limit;
    let family_seen = |active: &[String]| (!held_back).then(|| crate::aws::revisions::fingerprint(active));
    if observe_only || !plan.writes() {
        return Ok(Synced {
            current: observed.current,
            registered: false,
            deregistered: Vec::new(),
            drift: plan.drift,
            family_seen: family_seen(&active),
        });
    }
    let current = observed
        .current
        .as_ref()
        .map(|c| (c.arn.as_str(), c.status.as_str(), c.tags.get(crate::crd::common::tags::SPEC_HASH)));
    tracing::info!(?current, hash, register = plan.register, tag = ?plan.tag.keys().collect::<Vec<_>>(), untag = ?plan.untag, deregister = ?plan.deregister, "task definition plan");
    let done = execute::execute(ecs, &td.spec, &desired, observed.current.as_ref(), &plan).await?;
    report_writes(ctx, td, &plan, &done).await;
    let registered = done.registered.is_some();
    // Corrected drift is gone; drift the policy leaves in place stays reported.
    let drift = if registered { plan.drift.into_iter().filter(|d| d.field != "status").collect() } else { plan.drift };
    active.extend(done.registered.as_ref().map(|r| r.arn.clone()));
    active.retain(|arn| !done.deregistered.contains(arn));
    Ok(Synced {
        family_seen: family_seen(&active),
        current: done.registered.or(observed.current),
        registered,
        deregistered: done.deregistered,
        drift,
    })
}

async fn report_writes(ctx: &Context, td: &TaskDefinition, plan: &Plan, done: &execute::Executed) {
    use kube::runtime::events::EventType::Normal;
    if let Some(r) = &done.registered {
        tracing::info!(revision = r.revision, arn = %r.arn, "registered a revision");
        let why = if plan.drift.iter().any(|d| d.field == "status") {
            " (the previous one was deregistered outside the operator)"
        } else {
            ""
        };
        publish(ctx, td, Normal, "Registered", &format!("registered revision {}{why}", r.revision)).await;
    }
    if !done.deregistered.is_empty() {
        let list = done.deregistered.join(", ");
        publish(ctx, td, Normal, "Pruned", &format!("deregistered old revisions beyond revisionHistoryLimit: {list}"))
            .await;
    }
    if !plan.tag.is_empty() || !plan.untag.is_empty() {
        publish(ctx, td, Normal, "Retagged", "updated tags of the current revision").await;
    }
}
