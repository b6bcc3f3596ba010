//! Deleting a TaskDefinition: waits while an ECSService still runs (or rolls to) a revision of
//! its family, saying so in status, then deregisters and deletes every ACTIVE revision of the
//! family that carries this object's ownership tag. A revision that is already deregistered or
//! gone (deleted out of band, or by an earlier attempt) is done, not an error.

use kube::ResourceExt;
use kube::runtime::controller::Action;
use kube::runtime::events::EventType;

use super::family_of;
use crate::aws::ecs::{EcsApi, revision_of};
use crate::controller::context::Context;
use crate::controller::deletion::{self, Progress, unless_gone};
use crate::controller::error::Error;
use crate::controller::ownership::owner_of;
use crate::controller::status::publish;
use crate::crd::task_definition::TaskDefinition;

pub async fn cleanup(td: &TaskDefinition, ctx: &Context) -> Result<Action, Error> {
    super::steady::forget(ctx, td);
    deletion::finish(ctx, td, delete(td, ctx).await).await
}

async fn delete(td: &TaskDefinition, ctx: &Context) -> Result<Progress, Error> {
    let family = family_of(td);
    let users = services_running_family(ctx, &family);
    if !users.is_empty() {
        // Deregistering a revision a service runs would break its next deployment and its
        // scale-in on deletion: wait until the services move on or are deleted.
        return Ok(Progress::Waiting(waiting_for_services(&family, &users)));
    }
    let removed = remove_owned(ctx.ecs.as_ref(), &family, &owner_of(td)).await?;
    if !removed.is_empty() {
        let msg = format!("deregistered {} revision(s) on deletion", removed.len());
        publish(ctx, td, EventType::Normal, "Deregistered", &msg).await;
    }
    Ok(Progress::Done)
}

fn waiting_for_services(family: &str, users: &[String]) -> String {
    let (noun, verb) = if users.len() == 1 { ("ECSService", "runs") } else { ("ECSServices", "run") };
    format!(
        "waiting for {noun} {} to stop using task definition family {family}: its revisions are deregistered once \
         no ECSService {verb} them",
        users.join(", ")
    )
}

/// `namespace/name` of the ECSServices whose status shows a revision of `family`.
fn services_running_family(ctx: &Context, family: &str) -> Vec<String> {
    let marker = format!(":task-definition/{family}:");
    let mut users: Vec<String> = ctx
        .stores
        .services
        .state()
        .iter()
        .filter(|svc| {
            svc.status.as_ref().is_some_and(|s| {
                let deployments = s.deployments.iter().flatten().map(|d| d.task_definition.as_str());
                s.task_definition_arn.as_deref().into_iter().chain(deployments).any(|arn| arn.contains(&marker))
            })
        })
        .map(|svc| format!("{}/{}", svc.namespace().unwrap_or_default(), svc.name_any()))
        .collect();
    users.sort();
    users
}

/// Deregisters and deletes every ACTIVE revision in the family that carries `owner`'s tag.
/// Also finds revisions the status never recorded (crash before the write). A revision that
/// is gone by the time it is described, deregistered or deleted needs nothing more.
pub async fn remove_owned(ecs: &dyn EcsApi, family: &str, owner: &str) -> Result<Vec<String>, Error> {
    use aws_sdk_ecs::types::TaskDefinitionStatus;
    let active = ecs.list_task_definitions(family, TaskDefinitionStatus::Active).await?;
    let mut removed = Vec::new();
    for arn in active {
        let Some(described) = unless_gone(ecs.describe_task_definition(&arn).await)?.flatten() else { continue };
        let ours = described
            .tags
            .iter()
            .any(|t| t.key.as_deref() == Some(crate::crd::common::tags::OWNER) && t.value.as_deref() == Some(owner));
        if ours && unless_gone(ecs.deregister_task_definition(&arn).await)?.is_some() {
            removed.push(arn);
        }
    }
    if !removed.is_empty() {
        unless_gone(ecs.delete_task_definitions(removed.clone()).await)?;
    }
    removed.sort_by_key(|a| std::cmp::Reverse(revision_of(a)));
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_names_the_services() {
        let one = waiting_for_services("web", &["default/web".into()]);
        assert_eq!(
            one,
            "waiting for ECSService default/web to stop using task definition family web: its revisions are \
             deregistered once no ECSService runs them"
        );
        let two = waiting_for_services("web", &["default/a".into(), "prod/b".into()]);
        assert!(two.starts_with("waiting for ECSServices default/a, prod/b to stop using"), "{two}");
    }
}
