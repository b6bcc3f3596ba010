//! Status writes and events, the same for every kind: a status is written (server-side apply,
//! one forced manager) only when it changed, and events go through one recorder.

use std::fmt::Debug;

use k8s_openapi::NamespaceResourceScope;
use kube::api::{Patch, PatchParams};
use kube::runtime::events::{Event, EventType, Recorder};
use kube::{Api, Resource};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::context::{Context, object_key};
use super::error::{self, Error};
use crate::crd::ManagedObject;
use crate::crd::common::{CommonStatus, HasCommonStatus};

/// Writes `status` with server-side apply on the status subresource, as the one forced manager.
pub async fn patch_status<K, S>(ctx: &Context, obj: &K, status: &S) -> Result<(), Error>
where
    K: Resource<Scope = NamespaceResourceScope, DynamicType = ()> + Clone + DeserializeOwned + Debug,
    S: Serialize,
{
    let namespace = obj.meta().namespace.clone().ok_or(Error::MissingMetadata("namespace"))?;
    let name = obj.meta().name.clone().ok_or(Error::MissingMetadata("name"))?;
    let api: Api<K> = Api::namespaced(ctx.client.clone(), &namespace);
    let body = serde_json::json!({
        "apiVersion": K::api_version(&()),
        "kind": K::kind(&()),
        "status": status,
    });
    let params = PatchParams::apply(&ctx.config.field_manager).force();
    api.patch_status(&name, &params, &Patch::Apply(&body)).await.map_err(|e| Error::kube(error::WRITING_STATUS, e))?;
    let kind = kind_label(&K::kind(&()));
    ctx.config.metrics.status_writes.get_or_create(&crate::metrics::KindLabels { kind }).inc();
    Ok(())
}

/// Writes `new` when it differs from `previous` in anything but condition timestamps: the one
/// place every kind decides whether a status write is worth making. A write Kubernetes refuses
/// (403: RBAC, 422: a status the schema refuses) cannot report itself in the status: a Warning
/// event carries the API's message instead.
pub async fn write_status<K, S>(ctx: &Context, obj: &K, previous: Option<&S>, new: &S) -> Result<(), Error>
where
    K: Resource<Scope = NamespaceResourceScope, DynamicType = ()> + Clone + DeserializeOwned + Debug,
    S: HasCommonStatus + Serialize,
{
    if super::conditions::status_changed(previous, new) {
        if let Err(e) = patch_status(ctx, obj, new).await {
            if e.is_kube_refusal() {
                publish(ctx, obj, EventType::Warning, e.reason(), &e.to_string()).await;
            }
            return Err(e);
        }
        let newly_drifted = newly_drifted(previous.map(|p| p.common()), new.common());
        if newly_drifted > 0 {
            let kind = kind_label(&K::kind(&()));
            ctx.config.metrics.drift_detected.get_or_create(&crate::metrics::KindLabels { kind }).inc_by(newly_drifted);
        }
    }
    Ok(())
}

/// Drifted fields in `new` that `previous` did not list.
fn newly_drifted(previous: Option<&CommonStatus>, new: &CommonStatus) -> u64 {
    let known: Vec<&str> = previous
        .and_then(|p| p.drift.as_ref())
        .map(|d| d.iter().map(|e| e.field.as_str()).collect())
        .unwrap_or_default();
    let fresh = new.drift.iter().flatten().filter(|e| !known.contains(&e.field.as_str())).count();
    u64::try_from(fresh).unwrap_or(u64::MAX)
}

/// The closed set of kind labels metrics use.
pub fn kind_label(kind: &str) -> &'static str {
    match kind {
        "TaskDefinition" => "TaskDefinition",
        "ECSService" => "ECSService",
        "ECSCluster" => "ECSCluster",
        "CapacityProvider" => "CapacityProvider",
        "ECSTask" => "ECSTask",
        "ECSExpressService" => "ECSExpressService",
        _ => "Other",
    }
}

/// The end of every kind's status step: `new` written when it differs from the object's
/// status, then `result`'s value, or its error after an event saying it (see [`report_error`]).
pub async fn record<K, T>(ctx: &Context, obj: &K, new: &K::Status, result: Result<T, Error>) -> Result<T, Error>
where
    K: ManagedObject + Resource<Scope = NamespaceResourceScope, DynamicType = ()> + Clone + DeserializeOwned + Debug,
{
    write_status(ctx, obj, obj.current_status(), new).await?;
    report_error(ctx, obj, result).await
}

/// `result`'s value, or its error after an event saying it: how a failed reconcile is
/// reported once its status is written. A Warning, except for a wait on ECS or another object
/// (Draining, Waiting), which is the normal course of things, not a failure.
pub async fn report_error<K: Resource<DynamicType = ()>, T>(
    ctx: &Context,
    obj: &K,
    result: Result<T, Error>,
) -> Result<T, Error> {
    if let Err(e) = &result {
        let kind = match e {
            Error::Draining(_) | Error::Waiting(_) => EventType::Normal,
            _ => EventType::Warning,
        };
        // Retried until it clears: a series, whatever its type.
        publish_event(ctx, obj, kind, e.reason(), &e.to_string(), Repeats::Yes).await;
    }
    result
}

/// Whether an event is expected again for the same object and reason.
enum Repeats {
    Yes,
    No,
}

/// Publishes an event; failures are logged, never fatal. A Warning is taken to repeat (a
/// failing object is retried); a Normal event to mark one change.
pub async fn publish<K: Resource<DynamicType = ()>>(
    ctx: &Context,
    obj: &K,
    type_: EventType,
    reason: &str,
    note: &str,
) {
    let repeats = match type_ {
        EventType::Warning => Repeats::Yes,
        EventType::Normal => Repeats::No,
    };
    publish_event(ctx, obj, type_, reason, note, repeats).await;
}

async fn publish_event<K: Resource<DynamicType = ()>>(
    ctx: &Context,
    obj: &K,
    type_: EventType,
    reason: &str,
    note: &str,
    repeats: Repeats,
) {
    if reason == "DriftCorrected" {
        // Its detection is counted when status.drift lists the fields (write_status).
        let labels = crate::metrics::KindLabels { kind: kind_label(&K::kind(&())) };
        ctx.config.metrics.drift_corrected.get_or_create(&labels).inc();
    }
    // Events have a 1 KiB note limit; AWS messages can be longer.
    let note: String = note.chars().take(1000).collect();
    let event = Event { type_, reason: reason.into(), note: Some(note), action: "Reconcile".into(), secondary: None };
    // Events that repeat (a failure or a wait, retried) go through the shared recorder, which
    // turns repeats into one Event with a growing series count. One-off events (a change)
    // get a fresh recorder: the shared one would keep every one of them in memory for six
    // minutes (growing with the number of objects) for a series that never comes.
    let recorder = match repeats {
        Repeats::Yes => ctx.shared.recorder.clone(),
        Repeats::No => Recorder::new(ctx.client.clone(), ctx.shared.reporter.clone()),
    };
    if let Err(err) = recorder.publish(&event, &obj.object_ref(&())).await {
        tracing::warn!(%err, object = %object_key(obj), "could not publish event");
    }
}
