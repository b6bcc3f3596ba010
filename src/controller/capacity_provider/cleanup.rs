//! Deleting a CapacityProvider. ECS refuses to delete a provider while a cluster still has it
//! in its capacity providers. Instead of failing, deletion says so in the Ready condition
//! (reason DeletionBlocked, naming the ECSClusters that list it) and in one Warning event, and
//! tries again at the rollout poll interval (an ECSCluster's change also wakes it, so removing
//! the provider from the cluster, or deleting the cluster, lets deletion proceed at once). A
//! provider ECS no longer has (missing, INACTIVE, "does not exist") is done.

use aws_sdk_ecs::types::CapacityProvider;
use kube::runtime::controller::Action;
use kube::{Resource, ResourceExt};

use super::observe::observe;
use super::status;
use crate::aws::convert::tag_map;
use crate::aws::error::AwsError;
use crate::controller::context::Context;
use crate::controller::deletion::{self, Deleted, Progress};
use crate::controller::error::Error;
use crate::controller::ownership::owner_of;
use crate::crd::capacity_provider::CapacityProvider as CapacityProviderObject;

pub async fn cleanup(obj: &CapacityProviderObject, ctx: &Context) -> Result<Action, Error> {
    deletion::finish(ctx, obj, delete(obj, ctx).await).await
}

/// One pass of the deletion: Done once ECS has no ACTIVE provider of ours by that name.
async fn delete(obj: &CapacityProviderObject, ctx: &Context) -> Result<Progress, Error> {
    let name = obj.provider_name();
    // A Managed Instances provider's cluster: as ECS last described it, else the spec's.
    let recorded = obj.status.as_ref().and_then(|s| s.cluster.clone());
    let cluster = recorded.or_else(|| super::resolved_spec(obj, ctx).ok().and_then(|s| s.cluster_name()));
    // None: missing, INACTIVE (deleted), or not ours.
    let found = observe(ctx, &name, cluster.as_deref()).await;
    let Some(provider) = deletion::ours(found, |p| tag_map(p.tags()), &owner_of(obj))? else {
        return Ok(Progress::Done);
    };
    if provider.update_status().is_some_and(|u| u.as_str() == "DELETE_IN_PROGRESS") {
        return Ok(Progress::Waiting(format!("waiting for capacity provider {name} to finish deleting")));
    }
    let answer = after_delete(ctx.ecs.delete_capacity_provider(&name, cluster.as_deref()).await, &name)?;
    let blocked = |ecs_message| {
        let message = if obj.spec.managed_instances_provider.is_some() {
            format!(
                "capacity provider {name} is still in a service's capacity provider strategy ({ecs_message}); it is \
                 deleted once no service uses it"
            )
        } else {
            let users = clusters_using(ctx, obj, &name);
            format!(
                "capacity provider {name} is still used by a cluster{users} ({ecs_message}); it is deleted once no \
                 cluster lists it in capacityProviders"
            )
        };
        let status = status::blocked(obj, &provider, &message, &ctx.now());
        (message, status)
    };
    Ok(deletion::settle(ctx, obj, &format!("capacity provider {name}"), answer, blocked).await)
}

/// What DeleteCapacityProvider's answer means.
fn after_delete(answer: Result<CapacityProvider, AwsError>, name: &str) -> Result<Deleted, AwsError> {
    match answer {
        Ok(deleted) if deleted.status().is_some_and(|s| s.as_str() == "INACTIVE") => Ok(Deleted::Done),
        // AWS answers a provider a cluster still lists with success, the provider still ACTIVE
        // and updateStatus DELETE_FAILED, the reason naming the cluster.
        Ok(deleted) if deleted.update_status().is_some_and(|u| u.as_str() == "DELETE_FAILED") => {
            Ok(Deleted::Blocked(deleted.update_status_reason().unwrap_or("DELETE_FAILED").to_owned()))
        }
        Ok(deleted) => Ok(Deleted::Waiting(format!(
            "waiting for capacity provider {name} to finish deleting (it is {})",
            deleted.update_status().map(|s| s.as_str()).unwrap_or("being deleted")
        ))),
        Err(e) if is_in_use(&e) => Ok(Deleted::Blocked(e.message)),
        Err(e) if e.is_gone() => Ok(Deleted::Gone),
        Err(e) => Err(e),
    }
}

/// " (ECSCluster batch, being deleted)": the ECSCluster objects of the provider's namespace
/// whose spec names it, so the wait names what to look at. Empty when none does (a cluster
/// outside Kubernetes, or one whose spec no longer names it and is being updated).
fn clusters_using(ctx: &Context, obj: &CapacityProviderObject, name: &str) -> String {
    let ns = obj.namespace();
    let mut users: Vec<String> = ctx
        .stores
        .clusters
        .state()
        .iter()
        .filter(|c| c.namespace() == ns && c.spec.capacity_providers.iter().flatten().any(|p| p == name))
        .map(|c| {
            let deleting = if c.meta().deletion_timestamp.is_some() { ", being deleted" } else { "" };
            format!("ECSCluster {}{deleting}", c.name_any())
        })
        .collect();
    users.sort();
    if users.is_empty() { String::new() } else { format!(" ({})", users.join("; ")) }
}

/// ECS's answer while a cluster still has the provider (ResourceInUse; some regions answer a
/// ClientException that says so).
fn is_in_use(e: &AwsError) -> bool {
    e.code == "ResourceInUseException"
        || (e.code == "ClientException" && e.message.to_ascii_lowercase().contains("in use"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delete_answers() {
        let e = |code: &str, message: &str| AwsError::classify("DeleteCapacityProvider", code.into(), message.into());
        let in_use = "The specified capacity provider is in use and cannot be removed.";
        assert_eq!(after_delete(Err(e("ResourceInUseException", "")), "b"), Ok(Deleted::Blocked(String::new())));
        assert_eq!(after_delete(Err(e("ClientException", in_use)), "b"), Ok(Deleted::Blocked(in_use.into())));
        let missing = "The specified capacity provider does not exist.";
        assert_eq!(after_delete(Err(e("ClientException", missing)), "b"), Ok(Deleted::Gone));
        assert_eq!(after_delete(Err(e("ResourceNotFoundException", "")), "b"), Ok(Deleted::Gone));
        let provider = |status: &str| {
            CapacityProvider::builder()
                .name("b")
                .status(status.into())
                .update_status(aws_sdk_ecs::types::CapacityProviderUpdateStatus::DeleteInProgress)
                .build()
        };
        assert_eq!(after_delete(Ok(provider("INACTIVE")), "b"), Ok(Deleted::Done));
        assert_eq!(
            after_delete(Ok(provider("ACTIVE")), "b"),
            Ok(Deleted::Waiting(
                "waiting for capacity provider b to finish deleting (it is DELETE_IN_PROGRESS)".into()
            ))
        );
        let failed = CapacityProvider::builder()
            .name("b")
            .status("ACTIVE".into())
            .update_status(aws_sdk_ecs::types::CapacityProviderUpdateStatus::DeleteFailed)
            .update_status_reason("The capacity provider is in use by cluster batch.")
            .build();
        assert_eq!(
            after_delete(Ok(failed), "b"),
            Ok(Deleted::Blocked("The capacity provider is in use by cluster batch.".into())),
            "AWS answers a provider in use with success and DELETE_FAILED"
        );
        for code in ["ThrottlingException", "ServerException", "AccessDeniedException"] {
            assert_eq!(after_delete(Err(e(code, "")), "b"), Err(e(code, "")), "{code}");
        }
    }
}
