//! Kubernetes refusing the operator's own requests (403: its RBAC lacks a permission; 422: the
//! API server finds the request invalid). `apply` and `cleanup` report their errors in status
//! and events themselves, and [`super::status::write_status`] turns a refused status write into a
//! Warning event; what is left is a refused finalizer patch, which happens around them: this
//! module reports it, as far as Kubernetes lets the operator.

use std::fmt::Debug;

use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::Resource;
use kube::runtime::controller::Action;
use kube::runtime::events::EventType;
use serde::de::DeserializeOwned;

use super::conditions;
use super::context::{Context, object_key};
use super::error::{self, Error};
use super::status::{publish, write_status};
use crate::crd::{HasCommonStatus, ManagedObject};

/// Ends a reconcile (the finalizer helper's result): a finalizer patch Kubernetes refused (403,
/// 422) happened outside `apply` and `cleanup`, which report their own errors, so it is reported
/// here, as far as Kubernetes lets the operator: a Warning event, and `Synced=False` /
/// `Terminal` and `Ready=False` with the API's message (a refused event or status write is
/// logged).
pub async fn finish_reconcile<K>(ctx: &Context, obj: &K, result: Result<Action, Error>) -> Result<Action, Error>
where
    K: ManagedObject + Resource<Scope = NamespaceResourceScope, DynamicType = ()> + Clone + DeserializeOwned + Debug,
{
    let finalizer_step =
        matches!(result.as_ref().err().and_then(Error::kube_step), Some(s) if error::FINALIZER_STEPS.contains(&s));
    if let Err(err) = &result
        && err.is_kube_refusal()
        && finalizer_step
    {
        publish(ctx, obj, EventType::Warning, err.reason(), &err.to_string()).await;
        let previous = obj.current_status();
        let new = refused_status(previous, obj.meta().generation, err, &ctx.now());
        if let Err(e) = write_status(ctx, obj, previous, &new).await {
            tracing::warn!(error = %e, object = %object_key(obj), "could not report the refusal in status");
        }
    }
    result
}

/// `previous` (or an empty status) saying that `err`, a refused finalizer patch, keeps the
/// object unmanaged: `Synced=False` / `Terminal`, `Stalled=True` and `Ready=False` with the API's message, the
/// other conditions and fields as they were. Pure: the clock is passed in.
fn refused_status<S>(previous: Option<&S>, generation: Option<i64>, err: &Error, now: &Time) -> S
where
    S: HasCommonStatus + Default,
{
    let mut new = previous.cloned().unwrap_or_default();
    let message = format!("{}: {err}", err.reason());
    let common = new.common_mut();
    let mut list = common.conditions.clone().unwrap_or_default();
    for spec in [
        conditions::ConditionSpec::new(conditions::READY, false, err.reason(), message.clone()),
        conditions::ConditionSpec::new(conditions::SYNCED, false, conditions::reasons::TERMINAL, message.clone()),
        conditions::ConditionSpec::new(conditions::RECONCILING, false, "Stalled", ""),
        conditions::ConditionSpec::new(conditions::STALLED, true, conditions::reasons::TERMINAL, message.clone()),
    ] {
        list = conditions::with_condition(&list, &spec, generation, now);
    }
    common.conditions = Some(list);
    common.observed_generation = generation;
    new
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_finalizer_patch_is_never_ready_and_keeps_the_rest() {
        use crate::crd::service::ECSServiceStatus;
        let t0 = Time("2026-01-01T00:00:00Z".parse().expect("time"));
        let err = Error::from_finalizer(kube::runtime::finalizer::Error::RemoveFinalizer(kube::Error::Api(Box::new(
            kube::core::Status::failure("cannot patch resource \"ecsservices\"", "Forbidden").with_code(403),
        ))));
        let fresh: ECSServiceStatus = refused_status(None, Some(1), &err, &t0);
        let conditions = fresh.common().conditions.clone().unwrap_or_default();
        let find = |t: &str| conditions.iter().find(|c| c.type_ == t).map(|c| (c.status.clone(), c.reason.clone()));
        assert_eq!(find("Ready"), Some(("False".into(), "KubernetesForbidden".into())));
        assert_eq!(find("Synced"), Some(("False".into(), "Terminal".into())));
        let synced = conditions.iter().find(|c| c.type_ == "Synced").map(|c| c.message.clone()).unwrap_or_default();
        assert!(synced.starts_with("KubernetesForbidden: removing the finalizer: Kubernetes refused"), "{synced}");
        assert_eq!(fresh.common().observed_generation, Some(1));
        let earlier = ECSServiceStatus { service_arn: Some("arn".into()), ..fresh.clone() };
        let again: ECSServiceStatus = refused_status(Some(&earlier), Some(2), &err, &t0);
        assert_eq!(again.service_arn.as_deref(), Some("arn"), "other fields kept");
    }
}
