//! What ECS has for an ECSService: the service through the shared, batched DescribeServices
//! (as fresh as the rollout needs), and its canonical form, to compare with the spec.

use aws_sdk_ecs::types::Service;

use super::plan::Actual;
use crate::aws::convert::service::service_spec_from_sdk;
use crate::aws::convert::tag_map;
use crate::aws::error::AwsError;
use crate::canonical::service::{as_specified, canonical_service};
use crate::controller::conditions::READY;
use crate::controller::context::Context;
use crate::controller::drift;
use crate::controller::error::Error;
use crate::crd::service::NamespaceSeen;
use crate::crd::{ECSService, ECSServiceSpec};

/// The service as ECS reports it, through the shared describer: fresh enough for a moving
/// rollout when the last status said one was under way, fresh enough for drift otherwise.
pub async fn describe(ctx: &Context, svc: &ECSService, cluster: &str, name: &str) -> Result<Option<Service>, Error> {
    let moving = svc.status.as_ref().and_then(|s| s.common.conditions.as_deref()).is_none_or(|cs| {
        // Ready is also False over drift, which polling faster does not help with: a
        // drifted service reads the sweep's descriptions like a steady one.
        let ready = cs.iter().find(|c| c.type_ == READY);
        ready.is_none_or(|c| c.status != "True" && !drift::reasons::ALL.contains(&c.reason.as_str()))
    });
    // A moving rollout wants a description from this rollout poll (a little under one
    // interval, so one another reconcile's call just fetched counts). A steady service reads
    // what the sweep fetched, and describes on its own only when the sweep has fallen half a
    // round behind.
    let max_age = if moving {
        ctx.config.rollout_poll_interval.mul_f64(0.9)
    } else {
        ctx.describer.round().unwrap_or(ctx.config.service_poll_interval).mul_f64(1.5)
    };
    Ok(ctx.describer.describe(cluster, name, max_age).await?)
}

/// The service in canonical form (the count left out when autoscaling owns it), as far as
/// `desired` says ([`as_specified`], with the namespace ARN `seen` before), and what to
/// remember of the namespace now. ECS always names the revision a service runs; an answer
/// without it would make every field look like drift, and the operator would write on the
/// strength of a broken answer.
pub fn actual(
    service: &Service,
    scaler_owns_count: bool,
    desired: &ECSServiceSpec,
    seen: Option<&NamespaceSeen>,
) -> Result<(Actual, Option<NamespaceSeen>), Error> {
    let malformed = |e: String| Error::Aws(AwsError::malformed("DescribeServices", e));
    let running = service.task_definition();
    if running.is_none() {
        return Err(malformed("the service in the response has no taskDefinition".into()));
    }
    let spec = service_spec_from_sdk(service).map_err(|e| malformed(e.to_string()))?;
    let (spec, seen) = as_specified(canonical_service(&spec, running, scaler_owns_count), desired, seen);
    Ok((Actual { spec, tags: tag_map(service.tags()) }, seen))
}
