//! Carries out an ECSService plan against ECS: CreateService with the ownership tags, or the
//! tag changes (TagResource, UntagResource) and UpdateService, and one event that says what
//! changed.

use aws_sdk_ecs::types::Service;
use kube::ResourceExt;
use kube::runtime::events::EventType;

use super::plan::{self, UpdateReason};
use super::resolve;
use crate::aws::convert::service::{ServiceTarget, create_service_input, update_service_input};
use crate::controller::context::Context;
use crate::controller::error::Error;
use crate::controller::ownership::ownership_tags;
use crate::controller::status::publish;
use crate::controller::tags::write_tag_changes;
use crate::crd::ECSService;

/// Runs the plan: CreateService, or the tag changes (first: adopting, they add the owner tag
/// the IAM policy wants before any other change) and UpdateService, and one event that says
/// what changed. Returns the service as ECS answered, if it wrote one.
#[allow(clippy::too_many_arguments)]
pub async fn execute(
    svc: &ECSService,
    ctx: &Context,
    target: &ServiceTarget<'_>,
    existing: Option<&Service>,
    plan: &plan::ServicePlan,
    desired: &crate::crd::service::ECSServiceSpec,
    owner: &str,
    desired_hash: &str,
) -> Result<Option<Service>, Error> {
    if plan.action == plan::Action::Create {
        return create(svc, ctx, target, owner, desired_hash).await.map(Some);
    }
    let Some(why) = plan.why else { return Ok(None) };
    if !plan.tag.is_empty() || !plan.untag.is_empty() {
        // TagResource wants the service's long ARN (cluster and name), which ECS reports.
        let arn = existing.and_then(Service::service_arn).ok_or_else(|| {
            Error::Aws(crate::aws::error::AwsError::malformed(
                "DescribeServices",
                "the service in the response has no serviceArn",
            ))
        })?;
        let written = write_tag_changes(ctx.ecs.as_ref(), arn, &plan.tag, &plan.untag).await;
        ctx.describer.invalidate(target.cluster, target.service_name);
        written?;
    }
    let mut updated = None;
    if let plan::Action::Update { force, fields } = &plan.action {
        let input =
            update_service_input(desired, target, *force, fields).map_err(|e| Error::InvalidSpec(e.to_string()))?;
        updated = Some(ctx.ecs.update_service(input).await?);
        ctx.describer.invalidate(target.cluster, target.service_name);
    }
    let changed = plan.changed().join(", ");
    let (reason, note) = match why {
        UpdateReason::SpecChanged => ("Updated", format!("updated the ECS service: {changed}")),
        UpdateReason::DriftCorrected => {
            ("DriftCorrected", format!("put drifted fields of the ECS service back: {changed}"))
        }
        UpdateReason::Restart => ("Restarted", "forced a new deployment (restartedAt)".to_owned()),
    };
    publish(ctx, svc, EventType::Normal, reason, &note).await;
    Ok(updated)
}

/// CreateService with the ownership tags, and a Created event.
async fn create(
    svc: &ECSService,
    ctx: &Context,
    target: &ServiceTarget<'_>,
    owner: &str,
    desired_hash: &str,
) -> Result<Service, Error> {
    let ownership = ownership_tags(owner, &ctx.config.cluster_id);
    // Same object and spec → same token: a create retried after a crash or timeout returns the
    // service the first attempt made instead of a duplicate.
    let uid = svc.uid().unwrap_or_default();
    let token: String = format!("{}{}", uid.replace('-', ""), desired_hash).chars().take(36).collect();
    let input = create_service_input(&svc.spec, target, &ownership, Some(&token))
        .map_err(|e| Error::InvalidSpec(e.to_string()))?;
    let created = ctx.ecs.create_service(input).await?;
    // Write responses carry no tags; the next read must come from DescribeServices.
    ctx.describer.invalidate(target.cluster, target.service_name);
    let revision = resolve::family_revision(target.task_definition_arn);
    let note = format!("created ECS service {} on {revision}", target.service_name);
    publish(ctx, svc, EventType::Normal, "Created", &note).await;
    Ok(created)
}
