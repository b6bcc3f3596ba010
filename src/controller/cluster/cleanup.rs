//! Deleting an ECSCluster. ECS refuses to delete a cluster that still holds services (or
//! running tasks), and those may belong to anyone. Instead of failing or hammering
//! DeleteCluster, deletion checks ListServices first and, while services remain, says so in
//! the Ready condition and in one Warning event, and re-checks with backoff (an ECSService
//! referencing the cluster also wakes it when it goes away).

use aws_sdk_ecs::types::Cluster;
use kube::runtime::controller::Action;
use kube::runtime::events::EventType;
use kube::{Resource, ResourceExt};

use super::status::{self, DELETION_BLOCKED, Outcome, Stage};
use super::{cluster_name_of, observe, owned_by, owner_of};
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
    let name = cluster_name_of(obj);
    let Some(cluster) = observe(ctx, &name).await? else {
        return Ok(Action::await_change());
    };
    if !owned_by(&cluster, &owner_of(obj)) {
        // Never ours (a conflict, or never adopted): leave it.
        return Ok(Action::await_change());
    }
    let arn = cluster.cluster_arn().unwrap_or(&name).to_owned();
    let services = match ctx.ecs.list_services(&arn).await {
        Ok(services) => services,
        // Deleted between the two calls: done.
        Err(e) if e.code == "ClusterNotFoundException" => return Ok(Action::await_change()),
        Err(e) => return Err(e.into()),
    };
    if !services.is_empty() {
        return Err(block(obj, ctx, &cluster, services_message(&name, &services)).await);
    }
    match ctx.ecs.delete_cluster(&arn).await {
        Ok(deleted) if deleted.status() == Some("INACTIVE") => {
            let note = format!("deleted ECS cluster {name}");
            publish(ctx, obj, EventType::Normal, "Deleted", &note).await;
            Ok(Action::await_change())
        }
        // DEPROVISIONING: capacity provider resources are being removed; look again.
        Ok(deleted) => {
            Err(Error::Draining(format!("ECS cluster {name} is {}", deleted.status().unwrap_or("being deleted"))))
        }
        Err(e) if e.code == "ClusterNotFoundException" => Ok(Action::await_change()),
        // A service created since ListServices, or standalone tasks still running.
        Err(e) if NOT_EMPTY_CODES.contains(&e.code.as_str()) => {
            let message = format!("ECS cluster {name} cannot be deleted yet: {}; deletion waits", e.message);
            Err(block(obj, ctx, &cluster, message).await)
        }
        Err(e) => Err(e.into()),
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
/// when the wait starts) and returns the retryable error that schedules the next look.
async fn block(obj: &ECSCluster, ctx: &Context, cluster: &Cluster, message: String) -> Error {
    let previous = obj.status.as_ref();
    let already_blocked = crate::controller::conditions::ready_reason(previous) == Some(DELETION_BLOCKED);
    let outcome = Outcome {
        stage: Some(Stage::DeletionBlocked { cluster, message: &message }),
        drift: &[],
        correction: None,
        applied_hash: None,
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
    Error::Draining(message)
}

#[cfg(test)]
mod tests {
    use super::*;

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
