//! Deleting an ECSCluster. ECS refuses to delete a cluster that still holds services (or
//! running tasks), and those may belong to anyone. Instead of failing or hammering
//! DeleteCluster, deletion checks ListServices first and, while services remain, says so in
//! the Ready condition (reason DeletionBlocked) and in one Warning event, and re-checks at the
//! rollout poll interval (an ECSService referencing the cluster also wakes it when it goes
//! away). Managed Instances capacity providers, which live inside the cluster, block it the same
//! way (naming their CapacityProvider objects) until they are deleted. A cluster ECS no longer has (missing, INACTIVE, ClusterNotFound at
//! any step) is done.

use aws_sdk_ecs::types::Cluster;
use kube::runtime::controller::Action;

use super::observe::observe;
use super::status;
use crate::aws::convert::tag_map;
use crate::aws::error::AwsError;
use crate::controller::context::Context;
use crate::controller::deletion::{self, Deleted, Progress, unless_gone};
use crate::controller::error::Error;
use crate::controller::ownership::owner_of;
use crate::crd::cluster::ECSCluster;

/// Service names shown in the message; the count is always complete.
const NAMES_SHOWN: usize = 5;

/// ECS error codes that mean "not empty yet" rather than "cannot be done".
const NOT_EMPTY_CODES: &[&str] = &[
    "ClusterContainsServicesException",
    "ClusterContainsTasksException",
    "ClusterContainsContainerInstancesException",
    // A Managed Instances capacity provider still in the cluster: its CapacityProvider object
    // deletes it (and its deletion wakes the cluster).
    "ClusterContainsCapacityProviderException",
];

pub async fn cleanup(obj: &ECSCluster, ctx: &Context) -> Result<Action, Error> {
    deletion::finish(ctx, obj, delete(obj, ctx).await).await
}

/// One pass of the deletion: Done once ECS has no ACTIVE cluster of ours by that name. A wait
/// on services still in the cluster is recorded by [`block`].
async fn delete(obj: &ECSCluster, ctx: &Context) -> Result<Progress, Error> {
    let name = obj.cluster_name();
    // None: missing, INACTIVE (deleted), or not ours.
    let found = observe(ctx, &name).await;
    let Some(cluster) = deletion::ours(found, |c| tag_map(c.tags()), &owner_of(obj))? else {
        return Ok(Progress::Done);
    };
    let arn = cluster.cluster_arn().unwrap_or(&name).to_owned();
    // Deleted between the two calls: done.
    let Some(services) = unless_gone(ctx.ecs.list_services(&arn).await)? else {
        return Ok(Progress::Done);
    };
    if !services.is_empty() {
        let message = services_message(&name, &services);
        let blocked = status::blocked(obj, &cluster, &message, &ctx.now());
        return Ok(deletion::block(ctx, obj, &blocked, message).await);
    }
    let providers = super::providers::inside(obj, ctx);
    if !providers.is_empty() {
        let message = format!(
            "ECS cluster {name} still has Managed Instances capacity providers made inside it (CapacityProvider {}); \
             it is deleted once they are gone (delete those CapacityProvider objects)",
            providers.join(", ")
        );
        let blocked = status::blocked(obj, &cluster, &message, &ctx.now());
        return Ok(deletion::block(ctx, obj, &blocked, message).await);
    }
    let answer = after_delete(ctx.ecs.delete_cluster(&arn).await, &name)?;
    let blocked = |why| {
        let message = format!("ECS cluster {name} cannot be deleted yet: {why}; deletion waits");
        let status = status::blocked(obj, &cluster, &message, &ctx.now());
        (message, status)
    };
    Ok(deletion::settle(ctx, obj, &format!("ECS cluster {name}"), answer, blocked).await)
}

/// What DeleteCluster's answer means.
fn after_delete(answer: Result<Cluster, AwsError>, name: &str) -> Result<Deleted, AwsError> {
    match answer {
        Ok(deleted) if deleted.status() == Some("INACTIVE") => Ok(Deleted::Done),
        Ok(deleted) => Ok(Deleted::Waiting(format!(
            "waiting for ECS cluster {name} to finish deleting (it is {})",
            deleted.status().unwrap_or("being deleted")
        ))),
        Err(e) if e.is_gone() => Ok(Deleted::Gone),
        Err(e) if NOT_EMPTY_CODES.contains(&e.code.as_str()) => Ok(Deleted::Blocked(e.message)),
        Err(e) => Err(e),
    }
}

/// "ECS cluster prod still has 2 services (api, web); …", naming at most [`NAMES_SHOWN`].
fn services_message(name: &str, arns: &[String]) -> String {
    let mut names: Vec<&str> = arns.iter().map(|a| a.rsplit('/').next().unwrap_or(a)).collect();
    names.sort_unstable();
    let more = names.len().saturating_sub(NAMES_SHOWN);
    let mut shown = names.iter().take(NAMES_SHOWN).copied().collect::<Vec<_>>().join(", ");
    if more > 0 {
        shown.push_str(&format!(" and {more} more"));
    }
    let count = match arns.len() {
        1 => "1 service".to_owned(),
        n => format!("{n} services"),
    };
    format!(
        "ECS cluster {name} still has {count} ({shown}); it is deleted once they are gone (delete their ECSService \
         objects, or the services in ECS)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delete_answers() {
        let cluster = |status: &str| Cluster::builder().cluster_name("prod").status(status).build();
        let e = |code: &str, message: &str| AwsError::classify("DeleteCluster", code.into(), message.into());
        assert_eq!(after_delete(Ok(cluster("INACTIVE")), "prod"), Ok(Deleted::Done));
        assert_eq!(
            after_delete(Ok(cluster("DEPROVISIONING")), "prod"),
            Ok(Deleted::Waiting("waiting for ECS cluster prod to finish deleting (it is DEPROVISIONING)".into()))
        );
        assert_eq!(after_delete(Err(e("ClusterNotFoundException", "Cluster not found.")), "prod"), Ok(Deleted::Gone));
        assert_eq!(
            after_delete(Err(e("ClusterContainsTasksException", "Tasks are active.")), "prod"),
            Ok(Deleted::Blocked("Tasks are active.".into()))
        );
        assert_eq!(
            after_delete(Err(e("ClusterContainsCapacityProviderException", "Providers remain.")), "prod"),
            Ok(Deleted::Blocked("Providers remain.".into())),
            "a Managed Instances provider still inside: a wait, not an error"
        );
        for code in ["ThrottlingException", "ServerException", "AccessDeniedException"] {
            assert_eq!(after_delete(Err(e(code, "")), "prod"), Err(e(code, "")), "{code}");
        }
    }

    #[test]
    fn message_counts_and_names_services() {
        let arns: Vec<String> =
            ["web", "api"].iter().map(|n| format!("arn:aws:ecs:us-east-1:1:service/prod/{n}")).collect();
        let m = services_message("prod", &arns);
        assert!(m.starts_with("ECS cluster prod still has 2 services (api, web);"), "{m}");
        let many: Vec<String> = (0..8).map(|i| format!("arn:aws:ecs:us-east-1:1:service/prod/s{i}")).collect();
        let m = services_message("prod", &many);
        assert!(m.contains("8 services (s0, s1, s2, s3, s4 and 3 more)"), "{m}");
        assert!(services_message("prod", &arns[..1]).contains("1 service (web)"));
    }
}
