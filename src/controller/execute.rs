//! The execute step of kinds that manage one named ECS resource (clusters, capacity providers):
//! create it, or put the tag changes first and then the kind's update calls, and publish one
//! event that says what changed.

use std::fmt::Debug;

use kube::Resource;
use kube::runtime::events::EventType;

use super::context::Context;
use super::error::Error;
use super::planning::{Plan, Why};
use super::status::publish;
use super::tags::write_tag_changes;

/// Runs `plan` for `obj`, whose resource `what` names ("ECS cluster prod"): `create` when the
/// plan creates, else the tag calls and then `update` (given the ARN) when it updates.
/// `existing_arn` is the ARN of the resource as described before the plan (its name when ECS
/// reported none: either names it unambiguously in every call); None when it does not exist.
/// Returns the resource as ECS answered the last write, if any.
pub async fn execute<K, R>(
    ctx: &Context,
    obj: &K,
    what: &str,
    plan: &Plan,
    existing_arn: Option<String>,
    create: impl AsyncFnOnce() -> Result<R, Error>,
    update: impl AsyncFnOnce(&str) -> Result<Option<R>, Error>,
) -> Result<Option<R>, Error>
where
    K: Resource<DynamicType = ()> + Debug,
{
    if plan.create {
        // Create calls are idempotent by name in ECS, so one retried after a crash or a timeout
        // returns what the first attempt made.
        let created = create().await?;
        publish(ctx, obj, EventType::Normal, "Created", &format!("created {what}")).await;
        return Ok(Some(created));
    }
    let Some(arn) = existing_arn else { return Ok(None) };
    // Tags first: adopting, they add the owner tag the IAM policy wants before other changes.
    write_tag_changes(ctx.ecs.as_ref(), &arn, &plan.tag, &plan.untag).await?;
    let answered = if plan.update.is_empty() { None } else { update(&arn).await? };
    let (reason, verb) = match plan.why {
        Some(Why::DriftCorrected) => ("DriftCorrected", "put back drifted fields of"),
        _ => ("Updated", "updated"),
    };
    publish(ctx, obj, EventType::Normal, reason, &format!("{verb} {what}: {}", plan.changed.join(", "))).await;
    Ok(answered)
}
