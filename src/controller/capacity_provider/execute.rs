//! Carries out a CapacityProvider plan against ECS (see `controller::execute`):
//! CreateCapacityProvider, or the tag calls and then one UpdateCapacityProvider when a managed
//! setting differs.

use aws_sdk_ecs::types::CapacityProvider;

use super::plan::Plan;
use crate::aws::convert::ConvertError;
use crate::aws::convert::capacity_provider::{create_capacity_provider_input, update_capacity_provider_input};
use crate::controller::context::Context;
use crate::controller::error::Error;
use crate::controller::execute;
use crate::controller::ownership::ownership_tags;
use crate::crd::capacity_provider::CapacityProviderSpec;

/// Runs the plan for the provider `name` (`existing` as described before it), from `spec` with
/// its cluster reference resolved; returns the provider as ECS answered the last write, if any.
pub async fn execute(
    obj: &crate::crd::capacity_provider::CapacityProvider,
    spec: &CapacityProviderSpec,
    ctx: &Context,
    name: &str,
    owner: &str,
    existing: Option<&CapacityProvider>,
    plan: &Plan,
) -> Result<Option<CapacityProvider>, Error> {
    let convert = |e: ConvertError| Error::InvalidSpec(e.to_string());
    let existing_arn = existing.map(|p| p.capacity_provider_arn().unwrap_or(name).to_owned());
    let create = async || {
        let input = create_capacity_provider_input(spec, name, &ownership_tags(owner, &ctx.config.cluster_id));
        Ok(ctx.ecs.create_capacity_provider(input.map_err(convert)?).await?)
    };
    // UpdateCapacityProvider takes the name.
    let update = async |_: &str| {
        let input = update_capacity_provider_input(spec, name).map_err(convert)?;
        Ok(Some(ctx.ecs.update_capacity_provider(input).await?))
    };
    execute::execute(ctx, obj, &format!("capacity provider {name}"), plan, existing_arn, create, update).await
}
