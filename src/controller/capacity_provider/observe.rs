//! What ECS has for a CapacityProvider: the named provider (one DescribeCapacityProviders,
//! tags included), and its canonical form, to compare with the spec.

use aws_sdk_ecs::types::CapacityProvider;

use super::plan::Actual;
use crate::aws::convert::capacity_provider::capacity_provider_spec_from_sdk;
use crate::aws::convert::tag_map;
use crate::aws::error::AwsError;
use crate::canonical::capacity_provider::canonical_capacity_provider;
use crate::controller::context::Context;
use crate::controller::error::Error;

/// The named provider as ECS describes it (a Managed Instances provider within its
/// `cluster`); None when it does not exist or is INACTIVE (a deleted provider stays visible as
/// INACTIVE for a while).
pub async fn observe(ctx: &Context, name: &str, cluster: Option<&str>) -> Result<Option<CapacityProvider>, Error> {
    let providers = ctx.ecs.describe_capacity_providers(vec![name.to_owned()], cluster).await?;
    Ok(providers.into_iter().find(|p| p.name() == Some(name) && p.status().is_some_and(|s| s.as_str() != "INACTIVE")))
}

/// The provider in canonical form.
pub fn actual(provider: &CapacityProvider) -> Result<Actual, Error> {
    let spec = capacity_provider_spec_from_sdk(provider)
        .map_err(|e| Error::Aws(AwsError::malformed("DescribeCapacityProviders", e)))?;
    Ok(Actual { spec: canonical_capacity_provider(&spec), tags: tag_map(provider.tags()) })
}
