//! Deleting an ECSExpressService: DeleteExpressGatewayService (ECS drains the tasks and removes
//! the load balancer, target groups, security groups, scaling and alarms it made), then waiting
//! until ECS reports the service INACTIVE. A service ECS no longer has, or one that is not ours,
//! is done.

use kube::runtime::controller::Action;

use super::observe::observe;
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
    let cluster = super::cluster_of(obj, ctx).unwrap_or_else(|_| "default".into());
    let found = observe(ctx, obj, &cluster, &name, std::time::Duration::ZERO).await.map(|(express, _)| express);
    let Some(express) = deletion::ours(found, |e| tag_map(e.tags()), &owner_of(obj))? else {
        return Ok(Progress::Done);
    };
    let what = format!("Express service {name}");
    let code = express.status().and_then(|s| s.status_code()).map(|c| c.as_str().to_owned()).unwrap_or_default();
    if code == "DRAINING" {
        return Ok(Progress::Waiting(format!("waiting for {what} to finish draining")));
    }
    let arn = express.service_arn().unwrap_or_default();
    let answer = match ctx.ecs.delete_express_service(arn).await {
        Ok(_) => Deleted::Waiting(format!("{what} is DRAINING: ECS stops its tasks and removes what it made for it")),
        Err(e) if e.is_gone() || e.is_service_not_active() => Deleted::Gone,
        Err(e) => return Err(e.into()),
    };
    ctx.describer.invalidate(&cluster, &name);
    let published = matches!(answer, Deleted::Waiting(_));
    let progress = deletion::settle(ctx, obj, &what, answer, |m| (m, obj.status.clone().unwrap_or_default())).await;
    if published {
        crate::controller::status::publish(
            ctx,
            obj,
            kube::runtime::events::EventType::Normal,
            "Deleting",
            &format!("deleting {what}"),
        )
        .await;
    }
    Ok(progress)
}
