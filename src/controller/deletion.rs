//! What every kind's cleanup shares: where a deletion got to ([`Progress`]), which AWS answers
//! mean a step is already done ([`unless_gone`]), and the status an object shows while its
//! finalizer is held ([`status`], written by [`finish`] only when it changed).
//!
//! While deleting, Ready is False with reason `Deleting` and a message saying what the deletion
//! waits for; Progressing says the same; Synced is False with reason `Retrying` while a step
//! fails (a cleanup error is always retried: see [`Error::in_cleanup`]). A kind may report a
//! wait on something outside it with its own reason (`DeletionBlocked`) through its own status
//! builder. A finished deletion writes nothing: the finalizer goes and the object with it.

use std::fmt::Debug;

use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::runtime::controller::Action;
use kube::runtime::events::EventType;
use kube::{Resource, ResourceExt};
use serde::de::DeserializeOwned;

use super::conditions::{self, ConditionSpec, DEGRADED, PROGRESSING, READY, SYNCED, reasons};
use super::context::Context;
use super::error::Error;
use super::ownership::owned_by;
use super::status::{publish, write_status};
use crate::aws::error::AwsError;
use crate::crd::common::Tags;
use crate::crd::{HasCommonStatus, ManagedObject};

/// Ready's and Progressing's reason while the finalizer is held.
pub const DELETING: &str = "Deleting";

/// Ready's reason while deletion waits on something outside the object (services left in a
/// cluster, a cluster using a capacity provider).
pub const DELETION_BLOCKED: &str = "DeletionBlocked";

/// Where a deletion got to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// Nothing the object owns is left in AWS (or it never made anything): the finalizer goes.
    Done,
    /// Under way in AWS (DRAINING, DEPROVISIONING), or waiting for objects that still use this
    /// one; the message says what for. Looked at again shortly.
    Waiting(String),
    /// Waiting for something outside the object (services in a cluster, a cluster using a
    /// capacity provider), which the kind has already recorded in its own status (reason
    /// `DeletionBlocked`). Looked at again shortly; nothing more is written.
    Blocked(String),
}

/// The answer of a call on the resource being deleted, with "it does not exist" as `None`:
/// deleting what is already gone has succeeded ([`AwsError::is_gone`]).
pub fn unless_gone<T>(answer: Result<T, AwsError>) -> Result<Option<T>, AwsError> {
    match answer {
        Ok(value) => Ok(Some(value)),
        Err(e) if e.is_gone() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Where a deletion that has not finished stands, for its status.
#[derive(Debug, Clone, Copy)]
pub enum State<'a> {
    Waiting(&'a str),
    Failed(&'a Error),
}

/// `base` (the last status, with any field the deletion changed) with the deletion's
/// conditions. Pure: the clock is passed in.
pub fn status<S: HasCommonStatus>(mut base: S, generation: Option<i64>, state: State<'_>, now: &Time) -> S {
    let (message, synced) = match state {
        State::Waiting(why) => (why.to_owned(), ConditionSpec::new(SYNCED, true, reasons::RECONCILE_SUCCESS, "")),
        State::Failed(err) => (
            format!("the object is being deleted; a step failed and is retried: {err}"),
            ConditionSpec::new(SYNCED, false, reasons::RETRYING, format!("{}: {err}", err.reason())),
        ),
    };
    let desired = conditions::with_kstatus(vec![
        ConditionSpec::new(READY, false, DELETING, message.clone()),
        synced,
        ConditionSpec::new(PROGRESSING, true, DELETING, message),
        ConditionSpec::new(DEGRADED, false, "Healthy", ""),
    ]);
    let previous = base.common().conditions.clone().unwrap_or_default();
    let common = base.common_mut();
    common.conditions = Some(conditions::build(&previous, &desired, generation, now));
    common.observed_generation = generation;
    base
}

/// Records that deletion is blocked: `new`, the kind's status saying why (reason
/// [`DELETION_BLOCKED`]), is written when it changed, and one Warning event says so when the
/// wait starts. A failed write is logged, never in the way of the deletion.
pub async fn block<K>(ctx: &Context, obj: &K, new: &K::Status, message: String) -> Progress
where
    K: ManagedObject + Resource<Scope = NamespaceResourceScope, DynamicType = ()> + Clone + DeserializeOwned + Debug,
{
    let previous = obj.current_status();
    if let Err(e) = write_status(ctx, obj, previous, new).await {
        tracing::warn!(error = %e, object = %obj.name_any(), "could not record the blocked deletion");
    }
    if conditions::ready_reason(previous) != Some(DELETION_BLOCKED) {
        publish(ctx, obj, EventType::Warning, DELETION_BLOCKED, &message).await;
    }
    Progress::Blocked(message)
}

/// The resource a deletion pass works on: the one `observed`, when it is there and carries
/// `owner`'s tag. None (the deletion is done) when it is gone, at this step or any earlier one,
/// or was never ours (a conflict, or never adopted): it is left alone.
pub fn ours<R>(
    observed: Result<Option<R>, Error>,
    tags: impl FnOnce(&R) -> Tags,
    owner: &str,
) -> Result<Option<R>, Error> {
    let found = match observed {
        Ok(found) => found,
        Err(Error::Aws(e)) if e.is_gone() => None,
        Err(e) => return Err(e),
    };
    Ok(found.filter(|r| owned_by(&tags(r), owner)))
}

/// What ECS's answer to a delete call means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deleted {
    /// Deleted now.
    Done,
    /// Already gone (deleted by someone else since it was described).
    Gone,
    /// ECS finishes on its own; look again. The message says what for.
    Waiting(String),
    /// ECS refuses until something outside the object changes: its message.
    Blocked(String),
}

/// Where a delete call's `answer` leaves the deletion of `obj`'s resource `what`: done (with a
/// Deleted event when this call deleted it), waiting, or blocked, recorded in the status that
/// `blocked` builds from ECS's message (with the message it shows).
pub async fn settle<K>(
    ctx: &Context,
    obj: &K,
    what: &str,
    answer: Deleted,
    blocked: impl FnOnce(String) -> (String, K::Status),
) -> Progress
where
    K: ManagedObject + Resource<Scope = NamespaceResourceScope, DynamicType = ()> + Clone + DeserializeOwned + Debug,
{
    match answer {
        Deleted::Done => {
            publish(ctx, obj, EventType::Normal, "Deleted", &format!("deleted {what}")).await;
            Progress::Done
        }
        Deleted::Gone => Progress::Done,
        Deleted::Waiting(why) => Progress::Waiting(why),
        Deleted::Blocked(ecs_message) => {
            let (message, status) = blocked(ecs_message);
            block(ctx, obj, &status, message).await
        }
    }
}

/// Ends one cleanup pass: `Done` releases the finalizer; a wait or a failure is recorded in
/// the status (written only when it changed; a failed write is logged, never in the way of
/// the deletion) and returned as the error that schedules the next look: [`Error::Draining`]
/// for a wait, the failure itself (with a Warning event) otherwise.
pub async fn finish<K>(ctx: &Context, obj: &K, result: Result<Progress, Error>) -> Result<Action, Error>
where
    K: ManagedObject + Resource<Scope = NamespaceResourceScope, DynamicType = ()> + Clone + DeserializeOwned + Debug,
{
    finish_from(ctx, obj, obj.current_status().cloned().unwrap_or_default(), result).await
}

/// [`finish`] with `base` as the status the deletion's conditions go into (the last status with
/// what the pass changed).
pub async fn finish_from<K>(
    ctx: &Context,
    obj: &K,
    base: K::Status,
    result: Result<Progress, Error>,
) -> Result<Action, Error>
where
    K: ManagedObject + Resource<Scope = NamespaceResourceScope, DynamicType = ()> + Clone + DeserializeOwned + Debug,
{
    let previous = obj.current_status();
    let state = match result {
        Ok(Progress::Done) => return Ok(Action::await_change()),
        Ok(Progress::Blocked(why)) => return Err(Error::Draining(why)),
        Ok(Progress::Waiting(ref why)) => State::Waiting(why),
        Err(ref e) => State::Failed(e),
    };
    let new = status(base, obj.meta().generation, state, &ctx.now());
    if let Err(e) = write_status(ctx, obj, previous, &new).await {
        tracing::warn!(error = %e, object = %obj.name_any(), "could not record the deletion's progress");
    }
    match result {
        Ok(Progress::Waiting(why)) => Err(Error::Draining(why)),
        Err(e) => {
            publish(ctx, obj, EventType::Warning, e.reason(), &format!("deleting: {e}")).await;
            Err(e)
        }
        Ok(Progress::Done | Progress::Blocked(_)) => Ok(Action::await_change()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::service::ECSServiceStatus;

    fn t(s: &str) -> Time {
        Time(s.parse().expect("timestamp"))
    }

    fn condition(s: &ECSServiceStatus, type_: &str) -> (String, String, String) {
        let c = s.common.conditions.as_ref().and_then(|cs| cs.iter().find(|c| c.type_ == type_)).expect(type_);
        (c.status.clone(), c.reason.clone(), c.message.clone())
    }

    fn ready_status() -> ECSServiceStatus {
        let desired = [
            ConditionSpec::new(READY, true, "RolloutComplete", "the desired revision runs with all tasks"),
            ConditionSpec::new(SYNCED, true, reasons::RECONCILE_SUCCESS, ""),
            ConditionSpec::new(PROGRESSING, false, "Idle", ""),
            ConditionSpec::new(DEGRADED, false, "Healthy", ""),
        ];
        let mut s = ECSServiceStatus {
            service_arn: Some("arn:aws:ecs:us-east-1:1:service/prod/web".into()),
            rollout_state: Some("COMPLETED".into()),
            ..Default::default()
        };
        s.common.conditions = Some(conditions::build(&[], &desired, Some(1), &t("2026-01-01T00:00:00Z")));
        s.common.observed_generation = Some(1);
        s
    }

    #[test]
    fn gone_is_done_and_everything_else_stays_an_error() {
        let e = |code: &str| AwsError::classify("DeleteService", code.into(), String::new());
        assert_eq!(unless_gone(Ok::<_, AwsError>(3)), Ok(Some(3)));
        assert_eq!(unless_gone::<()>(Err(e("ClusterNotFoundException"))), Ok(None));
        assert_eq!(unless_gone::<()>(Err(e("ServiceNotFoundException"))), Ok(None));
        assert_eq!(unless_gone::<()>(Err(e("ThrottlingException"))), Err(e("ThrottlingException")));
        assert_eq!(unless_gone::<()>(Err(e("AccessDeniedException"))), Err(e("AccessDeniedException")));
    }

    #[test]
    fn a_ready_object_being_deleted_is_no_longer_ready_and_says_what_it_waits_for() {
        let now = t("2026-01-01T00:05:00Z");
        let waiting = "waiting for ECS service web to finish DRAINING";
        let s = status(ready_status(), Some(1), State::Waiting(waiting), &now);
        assert_eq!(condition(&s, READY), ("False".into(), DELETING.into(), waiting.into()));
        assert_eq!(condition(&s, PROGRESSING), ("True".into(), DELETING.into(), waiting.into()));
        assert_eq!(condition(&s, SYNCED).0, "True");
        assert_eq!(s.service_arn.as_deref(), Some("arn:aws:ecs:us-east-1:1:service/prod/web"), "last known kept");
        // The same wait a poll later is not a new status: nothing is written.
        let again = status(s.clone(), Some(1), State::Waiting(waiting), &t("2026-01-01T00:06:00Z"));
        assert!(!conditions::status_changed(Some(&s), &again));
        // Synced did not flip: its transition time is kept; Ready's moved.
        let synced_since = |s: &ECSServiceStatus| {
            s.common
                .conditions
                .as_ref()
                .and_then(|cs| cs.iter().find(|c| c.type_ == SYNCED))
                .map(|c| c.last_transition_time.clone())
        };
        assert_eq!(synced_since(&s), synced_since(&ready_status()));
    }

    #[test]
    fn a_failed_step_is_retrying_never_terminal() {
        let cause = Error::Aws(AwsError::classify("DeleteService", "AccessDeniedException".into(), "denied".into()));
        let err = cause.in_cleanup();
        let s = status(ready_status(), Some(1), State::Failed(&err), &t("2026-01-01T00:05:00Z"));
        let (synced, reason, message) = condition(&s, SYNCED);
        assert_eq!((synced.as_str(), reason.as_str()), ("False", reasons::RETRYING));
        assert!(message.contains("AccessDeniedException"), "{message}");
        let (ready, reason, message) = condition(&s, READY);
        assert_eq!((ready.as_str(), reason.as_str()), ("False", DELETING));
        assert!(message.contains("is being deleted") && message.contains("denied"), "{message}");
    }
}
