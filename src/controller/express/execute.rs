//! Carries out an ECSExpressService plan against ECS (see `controller::execute`):
//! CreateExpressGatewayService, or the tag calls and then one UpdateExpressGatewayService with
//! every member it takes when anything differs.

use aws_sdk_ecs::types::EcsExpressGatewayService;

use super::plan::Plan;
use crate::aws::convert::ConvertError;
use crate::aws::convert::express::{create_express_input, update_express_input};
use crate::controller::context::Context;
use crate::controller::error::Error;
use crate::controller::execute;
use crate::controller::ownership::{owner_of, ownership_tags};
use crate::crd::express::{ECSExpressService, ECSExpressServiceSpec};

/// Runs the plan for the service `name` in `cluster` (`existing` as described before it), from
/// the canonical `desired` spec with the user's tags; the service as ECS answered a create (an
/// update is described again by the caller).
pub async fn execute(
    obj: &ECSExpressService,
    desired: &ECSExpressServiceSpec,
    ctx: &Context,
    (cluster, name): (&str, &str),
    existing: Option<&EcsExpressGatewayService>,
    plan: &Plan,
) -> Result<Option<EcsExpressGatewayService>, Error> {
    let convert = |e: ConvertError| Error::InvalidSpec(e.to_string());
    let existing_arn = existing.and_then(|e| e.service_arn()).map(str::to_owned);
    let with_tags = ECSExpressServiceSpec { tags: obj.spec.tags.clone(), ..desired.clone() };
    let create = async || {
        let owner = ownership_tags(&owner_of(obj), &ctx.config.cluster_id);
        let input = create_express_input(&with_tags, name, cluster, &owner).map_err(convert)?;
        Ok(ctx.ecs.create_express_service(input).await?)
    };
    let update = async |arn: &str| {
        ctx.ecs.update_express_service(update_express_input(desired, arn).map_err(convert)?).await?;
        Ok(None)
    };
    let what = format!("Express service {name}");
    let answered = execute::execute(ctx, obj, &what, plan, existing_arn, create, update).await;
    // The ECS service under it changed: the next description must be fresh.
    ctx.describer.invalidate(cluster, name);
    answered
}
