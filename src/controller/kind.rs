//! The one thing a kind gives the runtime: its [`Reconciler`], the `apply` and `cleanup` of its
//! pipeline. [`reconcile`] wraps them the same way for every kind: the AWS target the object
//! names, the finalizer, a refused finalizer patch reported, and the span and metrics.

use std::fmt::Debug;
use std::future::Future;
use std::sync::Arc;

use k8s_openapi::NamespaceResourceScope;
use kube::runtime::controller::Action;
use kube::runtime::finalizer::{Event as FinalizerEvent, finalizer};
use kube::{Api, Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::context::{Context, object_key};
use super::error::Error;
use super::policy::traced;
use super::refusals::finish_reconcile;
use super::status::kind_label;
use crate::crd::ManagedObject;
use crate::crd::common::{DeletionPolicy, FINALIZER, ManagementPolicy};

/// A kind's pipeline as the runtime drives it. `apply` runs while the object lives (observe →
/// plan → execute → status), `cleanup` once it is deleted, before its finalizer goes (not at
/// all when the object keeps its AWS resource: Retain or Observe).
pub trait Reconciler:
    ManagedObject
    + Resource<Scope = NamespaceResourceScope, DynamicType = ()>
    + Clone
    + DeserializeOwned
    + Serialize
    + Debug
    + Send
    + Sync
    + 'static
{
    fn apply(obj: &Self, ctx: &Context) -> impl Future<Output = Result<Action, Error>> + Send;
    fn cleanup(obj: &Self, ctx: &Context) -> impl Future<Output = Result<Action, Error>> + Send;
}

/// Registers a kind's pipeline: `reconciler!(Kind, apply, cleanup::cleanup)` implements
/// [`Reconciler`] for `Kind` with those two functions.
macro_rules! reconciler {
    ($kind:ty, $apply:path, $cleanup:path) => {
        impl $crate::controller::kind::Reconciler for $kind {
            fn apply(
                obj: &Self,
                ctx: &$crate::controller::context::Context,
            ) -> impl std::future::Future<
                Output = Result<kube::runtime::controller::Action, $crate::controller::error::Error>,
            > + Send {
                $apply(obj, ctx)
            }

            fn cleanup(
                obj: &Self,
                ctx: &$crate::controller::context::Context,
            ) -> impl std::future::Future<
                Output = Result<kube::runtime::controller::Action, $crate::controller::error::Error>,
            > + Send {
                $cleanup(obj, ctx)
            }
        }
    };
}
pub(crate) use reconciler;

/// The reconcile the runtime calls for every kind.
pub async fn reconcile<K: Reconciler>(obj: Arc<K>, ctx: Arc<Context>) -> Result<Action, Error> {
    let (key, generation) = (object_key(obj.as_ref()), obj.meta().generation);
    let kind = kind_label(&K::kind(&()));
    let work = async {
        let scoped = ctx.for_target(obj.policies()).await?;
        finalized(obj.clone(), scoped).await
    };
    ctx.begin_events(obj.as_ref());
    let result = traced(kind, key, generation, &ctx, work).await;
    if let Some(at) = ctx.end_events(obj.as_ref(), result.is_ok()) {
        let lag = k8s_openapi::jiff::Timestamp::now().duration_since(at);
        ctx.config.metrics.event_handled(kind, lag.as_secs_f64().max(0.0));
    }
    result
}

/// `apply` or `cleanup` under the finalizer, which is added before the first AWS write and
/// removed once cleanup is done.
async fn finalized<K: Reconciler>(obj: Arc<K>, ctx: Arc<Context>) -> Result<Action, Error> {
    let namespace = obj.namespace().ok_or(Error::MissingMetadata("namespace"))?;
    let api: Api<K> = Api::namespaced(ctx.client.clone(), &namespace);
    let result = finalizer(&api, FINALIZER, obj.clone(), |event| async {
        match event {
            FinalizerEvent::Apply(obj) => K::apply(&obj, &ctx).await,
            // Retain, or Observe (which never made anything): the AWS resource stays.
            FinalizerEvent::Cleanup(obj) if keeps_resource(obj.as_ref()) => Ok(Action::await_change()),
            FinalizerEvent::Cleanup(obj) => K::cleanup(&obj, &ctx).await,
        }
    })
    .await
    .or_else(Error::finalizer_outcome);
    finish_reconcile(&ctx, obj.as_ref(), result).await
}

/// Whether deleting the object leaves its AWS resource in place: `deletionPolicy: Retain`, or
/// `managementPolicy: Observe`.
fn keeps_resource<K: ManagedObject>(obj: &K) -> bool {
    let policies = obj.policies();
    policies.deletion() == DeletionPolicy::Retain || policies.management() == ManagementPolicy::Observe
}
