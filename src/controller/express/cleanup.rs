//! Deleting an ECSExpressService: DeleteExpressGatewayService (ECS drains the tasks and removes
//! the load balancer, target groups, security groups, scaling and alarms it made), then waiting
//! until ECS reports the service INACTIVE. A service ECS no longer has, or one that is not ours,
//! is done.

use aws_sdk_ecs::types::EcsExpressGatewayService;
use kube::runtime::controller::Action;

use super::observe::observe;
use super::status::status_code;
use crate::aws::convert::tag_map;
use crate::controller::context::Context;
use crate::controller::deletion::{self, Deleted, Progress};
use crate::controller::error::Error;
use crate::controller::ownership::owner_of;
use crate::crd::express::ECSExpressService;

pub async fn cleanup(obj: &ECSExpressService, ctx: &Context) -> Result<Action, Error> {
    deletion::finish(ctx, obj, delete(obj, ctx).await).await
}

async fn delete(obj: &ECSExpressService, ctx: &Context) -> Result<Progress, Error> {
    let name = obj.service_name();
    let what = format!("Express service {name}");
    let Some(express) = deletion::ours(find(obj, ctx, &name).await, |e| tag_map(e.tags()), &owner_of(obj))? else {
        return Ok(Progress::Done);
    };
    if status_code(&express) == "DRAINING" {
        return Ok(Progress::Waiting(format!("waiting for {what} to finish draining")));
    }
    let arn = express.service_arn().unwrap_or_default();
    let answer = match ctx.ecs.delete_express_service(arn).await {
        Ok(_) => Deleted::Done,
        Err(e) if e.is_gone() => return Ok(Progress::Done),
        // Someone (an earlier attempt) deleted it: it drains.
        Err(e) if e.is_service_not_active() => Deleted::Waiting(format!("waiting for {what} to finish draining")),
        Err(e) => return Err(e.into()),
    };
    if let Some(cluster) = express.cluster() {
        ctx.describer.invalidate(&crate::controller::references::cluster_name(cluster), &name);
    }
    let progress = deletion::settle(ctx, obj, &what, answer, |m| (m, obj.status.clone().unwrap_or_default())).await;
    // Deleted means DRAINING: the finalizer stays until ECS reports it INACTIVE.
    Ok(match progress {
        Progress::Done => {
            Progress::Waiting(format!("{what} is DRAINING: ECS stops its tasks and removes what it made for it"))
        }
        other => other,
    })
}

/// The Express service to delete: the one the status recorded (by ARN), else the one of that
/// name in the spec's cluster. None when ECS no longer has it (or it is INACTIVE). A plain ECS
/// service of that name is not ours: nothing to delete.
async fn find(obj: &ECSExpressService, ctx: &Context, name: &str) -> Result<Option<EcsExpressGatewayService>, Error> {
    let active = |e: &EcsExpressGatewayService| status_code(e) != "INACTIVE";
    if let Some(arn) = obj.status.as_ref().and_then(|s| s.service_arn.as_deref()) {
        return Ok(ctx.ecs.describe_express_service(arn).await?.filter(active));
    }
    let Ok(cluster) = super::cluster_of(obj, ctx) else { return Ok(None) };
    match observe(ctx, obj, &cluster, name, std::time::Duration::ZERO).await {
        Ok((express, _)) => Ok(express),
        Err(Error::Conflict(_)) => Ok(None),
        Err(e) => Err(e),
    }
}
