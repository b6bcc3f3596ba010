//! Deleting an ECSCluster. ECS refuses to delete a cluster that still holds services (or
//! running tasks), and those may belong to anyone. Instead of failing or hammering
//! DeleteCluster, deletion checks ListServices first and, while services remain, says so in
//! the Ready condition (reason DeletionBlocked) and in one Warning event, and re-checks at the
//! rollout poll interval (an ECSService referencing the cluster also wakes it when it goes
//! away). A cluster ECS no longer has (missing, INACTIVE, ClusterNotFound at any step) is done.

use aws_sdk_ecs::types::Cluster;
use kube::runtime::controller::Action;
use kube::runtime::events::EventType;
use kube::{Resource, ResourceExt};

use super::status::{self, DELETION_BLOCKED, Outcome, Stage};
use super::{cluster_name_of, observe, owned_by, owner_of};
use crate::aws::error::AwsError;
use crate::controller::deletion::{self, Progress, unless_gone};
use crate::controller::error::Error;
use crate::controller::{Context, publish, write_status};
use crate::crd::cluster::ECSCluster;
use crate::crd::common::{DeletionPolicy, ManagementPolicy};

/// Service names shown in the message; the count is always complete.
const NAMES_SHOWN: usize = 5;

/// ECS error codes that mean "not empty yet" rather than "cannot be done".
const NOT_EMPTY_CODES: &[&str] = &[
    "ClusterContainsServicesException",
    "ClusterContainsTasksException",
    "ClusterContainsContainerInstancesException",
];

pub async fn cleanup(obj: &ECSCluster, ctx: &Context) -> Result<Action, Error> {
    let keep = obj.spec.policies.deletion() == DeletionPolicy::Retain
        || obj.spec.policies.management() == ManagementPolicy::Observe;
    if keep {
        return Ok(Action::await_change());
    }
    let previous = obj.status.as_ref();
    let result = delete(obj, ctx).await;
    deletion::finish(ctx, obj, previous, previous.cloned().unwrap_or_default(), result).await
}

/// One pass of the deletion: Done once ECS has no ACTIVE cluster of ours by that name. A wait
/// on services still in the cluster is recorded by [`block`].
async fn delete(obj: &ECSCluster, ctx: &Context) -> Result<Progress, Error> {
    let name = cluster_name_of(obj);
    // None: missing, or INACTIVE (deleted).
    let cluster = match observe(ctx, &name).await {
        Ok(found) => found,
        Err(Error::Aws(e)) if e.is_gone() => None,
        Err(e) => return Err(e),
    };
    let Some(cluster) = cluster else {
        return Ok(Progress::Done);
    };
    if !owned_by(&cluster, &owner_of(obj)) {
        // Never ours (a conflict, or never adopted): leave it.
        return Ok(Progress::Done);
    }
    let arn = cluster.cluster_arn().unwrap_or(&name).to_owned();
    // Deleted between the two calls: done.
    let Some(services) = unless_gone(ctx.ecs.list_services(&arn).await)? else {
        return Ok(Progress::Done);
    };
    if !services.is_empty() {
        return Ok(block(obj, ctx, &cluster, services_message(&name, &services)).await);
    }
    match after_delete(ctx.ecs.delete_cluster(&arn).await, &name)? {
        Deleted::Done => {
            publish(ctx, obj, EventType::Normal, "Deleted", &format!("deleted ECS cluster {name}")).await;
            Ok(Progress::Done)
        }
        Deleted::Gone => Ok(Progress::Done),
        Deleted::Waiting(why) => Ok(Progress::Waiting(why)),
        Deleted::NotEmpty(why) => {
            let message = format!("ECS cluster {name} cannot be deleted yet: {why}; deletion waits");
            Ok(block(obj, ctx, &cluster, message).await)
        }
    }
}

/// What DeleteCluster's answer means.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Deleted {
    /// INACTIVE: deleted now.
    Done,
    /// Already gone (deleted by someone else since it was described).
    Gone,
    /// DEPROVISIONING: capacity provider resources are being removed; look again.
    Waiting(String),
    /// A service created since ListServices, or standalone tasks still running: ECS's message.
    NotEmpty(String),
}

fn after_delete(answer: Result<Cluster, AwsError>, name: &str) -> Result<Deleted, AwsError> {
    match answer {
        Ok(deleted) if deleted.status() == Some("INACTIVE") => Ok(Deleted::Done),
        Ok(deleted) => Ok(Deleted::Waiting(format!(
            "waiting for ECS cluster {name} to finish deleting (it is {})",
            deleted.status().unwrap_or("being deleted")
        ))),
        Err(e) if e.is_gone() => Ok(Deleted::Gone),
        Err(e) if NOT_EMPTY_CODES.contains(&e.code.as_str()) => Ok(Deleted::NotEmpty(e.message)),
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

/// Records why deletion waits (status written only when it changed, the Warning event only
/// when the wait starts).
async fn block(obj: &ECSCluster, ctx: &Context, cluster: &Cluster, message: String) -> Progress {
    let previous = obj.status.as_ref();
    let already_blocked = crate::controller::conditions::ready_reason(previous) == Some(DELETION_BLOCKED);
    let outcome = Outcome {
        stage: Some(Stage::DeletionBlocked { cluster, message: &message }),
        drift: &[],
        correction: None,
        applied_hash: None,
        applied: None,
        observe_only: false,
        error: None,
    };
    let new_status = status::build(previous, obj.meta().generation, &outcome, &ctx.now());
    if let Err(e) = write_status(ctx, obj, previous, &new_status).await {
        tracing::warn!(error = %e, cluster = %obj.name_any(), "could not record the blocked deletion");
    }
    if !already_blocked {
        publish(ctx, obj, EventType::Warning, DELETION_BLOCKED, &message).await;
    }
    Progress::Blocked(message)
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
            Ok(Deleted::NotEmpty("Tasks are active.".into()))
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
