//! What ECS has for an ECSExpressService: the ECS service under it (through the shared, batched
//! DescribeServices: its ARN, counts and rollout), the Express service itself
//! (DescribeExpressGatewayService, tags included), and the resources ECS made for its newest
//! revision (DescribeServiceRevisions, read only while they are new or still changing).

use std::time::Duration;

use aws_sdk_ecs::types::{EcsExpressGatewayService, Service};

use super::plan::Actual;
use crate::aws::convert::express::{express_spec_from_sdk, managed_resources, newest_configuration};
use crate::aws::convert::tag_map;
use crate::aws::error::AwsError;
use crate::canonical::express::canonical_express;
use crate::controller::context::Context;
use crate::controller::error::Error;
use crate::crd::express::{ECSExpressService, ManagedResourceStatus};

/// The Express service as ECS reports it.
#[derive(Debug, Clone)]
pub struct Found {
    pub express: EcsExpressGatewayService,
    /// The ECS service under it (None while DescribeServices does not show it yet).
    pub service: Option<Service>,
    /// The newest revision's managed resources, and that revision's ARN.
    pub resources: Option<(String, Vec<ManagedResourceStatus>)>,
    /// The rollback of the spec's configuration that is held (what ECS said), while AWS still
    /// differs from the spec.
    pub rolled_back: Option<String>,
    /// A change was just sent and ECS does not report it yet.
    pub update_pending: bool,
}

/// The ECS service named `name` in `cluster`, and the Express service it is (None when there is
/// none, or it is INACTIVE). An ordinary ECS service by that name is a conflict: it is not
/// taken over.
pub async fn observe(
    ctx: &Context,
    obj: &ECSExpressService,
    cluster: &str,
    name: &str,
    max_age: Duration,
) -> Result<(Option<EcsExpressGatewayService>, Option<Service>), Error> {
    let service = match ctx.describer.describe(cluster, name, max_age).await {
        Ok(found) => found.filter(|s| s.status() != Some("INACTIVE")),
        // No cluster, no service (ECS makes the `default` cluster with the first Express
        // service; a named cluster that does not exist fails the create, saying so).
        Err(e) if e.code == "ClusterNotFoundException" => None,
        Err(e) => return Err(e.into()),
    };
    let recorded = obj.status.as_ref().and_then(|s| s.service_arn.clone());
    let Some(arn) = service.as_ref().and_then(|s| s.service_arn().map(str::to_owned)).or(recorded) else {
        return Ok((None, None));
    };
    let express = match ctx.ecs.describe_express_service(&arn).await {
        Ok(found) => found.filter(|e| super::status::status_code(e) != "INACTIVE"),
        Err(e) if e.code == "InvalidParameterException" && service.is_some() => {
            return Err(Error::Conflict(format!(
                "ECS service {name} in cluster {cluster} exists and is not an Express service ({}); it is not taken over: \
                 set spec.serviceName to another name",
                e.message
            )));
        }
        Err(e) => return Err(e.into()),
    };
    Ok((express, service))
}

/// The Express service in canonical form, with its tags.
pub fn actual(express: &EcsExpressGatewayService) -> Result<Actual, Error> {
    let spec = express_spec_from_sdk(express)
        .map_err(|e| Error::Aws(AwsError::malformed("DescribeExpressGatewayService", e)))?;
    let spec = canonical_express(&spec).map_err(|e| {
        Error::Aws(AwsError::malformed("DescribeExpressGatewayService", format!("activeConfigurations: {e}")))
    })?;
    Ok(Actual { spec, tags: tag_map(express.tags()) })
}

/// The resources ECS made for the newest revision: as the status last recorded them while that
/// revision's resources were all ACTIVE (they change no more), else read again.
pub async fn resources(
    ctx: &Context,
    obj: &ECSExpressService,
    express: &EcsExpressGatewayService,
) -> Result<Option<(String, Vec<ManagedResourceStatus>)>, Error> {
    let Some(revision) = newest_configuration(express).and_then(|c| c.service_revision_arn()) else {
        return Ok(None);
    };
    let status = obj.status.as_ref();
    if let Some(recorded) = status.and_then(|s| s.managed_resources.as_ref())
        && status.and_then(|s| s.managed_resources_revision.as_deref()) == Some(revision)
        && !recorded.is_empty()
        && recorded.iter().all(|r| r.status == "ACTIVE")
    {
        return Ok(Some((revision.to_owned(), recorded.clone())));
    }
    let found = ctx.ecs.describe_service_revision(revision).await?;
    let resources = found.as_ref().and_then(|r| r.ecs_managed_resources()).map(managed_resources).unwrap_or_default();
    Ok(Some((revision.to_owned(), resources)))
}
