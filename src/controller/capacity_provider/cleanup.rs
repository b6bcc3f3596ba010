//! Deleting a CapacityProvider. ECS refuses to delete a provider while a cluster still has it
//! in its capacity providers. Instead of failing, deletion says so in the Ready condition and
//! in one Warning event, and tries again with backoff (an ECSCluster's change also wakes it,
//! so removing the provider from the cluster lets deletion proceed at once).

use aws_sdk_ecs::types::CapacityProvider;
use kube::runtime::controller::Action;
use kube::runtime::events::EventType;
use kube::{Resource, ResourceExt};

use super::status::{self, DELETION_BLOCKED, Outcome, Stage};
use super::{observe, owned_by, owner_of, provider_name_of};
use crate::aws::error::AwsError;
use crate::controller::error::Error;
use crate::controller::{Context, publish, write_status};
use crate::crd::capacity_provider::CapacityProvider as CapacityProviderObject;
use crate::crd::common::{DeletionPolicy, ManagementPolicy};

pub async fn cleanup(obj: &CapacityProviderObject, ctx: &Context) -> Result<Action, Error> {
    let keep = obj.spec.policies.deletion() == DeletionPolicy::Retain
        || obj.spec.policies.management() == ManagementPolicy::Observe;
    if keep {
        return Ok(Action::await_change());
    }
    let name = provider_name_of(obj);
    let Some(provider) = observe(ctx, &name).await? else {
        return Ok(Action::await_change());
    };
    if !owned_by(&provider, &owner_of(obj)) {
        // Never ours (a conflict, or never adopted): leave it.
        return Ok(Action::await_change());
    }
    match ctx.ecs.delete_capacity_provider(&name).await {
        Ok(deleted) if deleted.status().is_some_and(|s| s.as_str() == "INACTIVE") => {
            publish(ctx, obj, EventType::Normal, "Deleted", &format!("deleted capacity provider {name}")).await;
            Ok(Action::await_change())
        }
        // DELETE_IN_PROGRESS: ECS finishes on its own; look again.
        Ok(deleted) => Err(Error::Draining(format!(
            "capacity provider {name} is {}",
            deleted.update_status().map(|s| s.as_str()).unwrap_or("being deleted")
        ))),
        Err(e) if is_in_use(&e) => {
            let message = format!(
                "capacity provider {name} is still used by a cluster ({}); it is deleted once no cluster lists it in \
                 capacityProviders",
                e.message
            );
            Err(block(obj, ctx, &provider, message).await)
        }
        Err(e) if is_missing(&e) => Ok(Action::await_change()),
        Err(e) => Err(e.into()),
    }
}

/// ECS's answer while a cluster still has the provider (ResourceInUse; some regions answer a
/// ClientException that says so).
fn is_in_use(e: &AwsError) -> bool {
    e.code == "ResourceInUseException"
        || (e.code == "ClientException" && e.message.to_ascii_lowercase().contains("in use"))
}

fn is_missing(e: &AwsError) -> bool {
    e.code == "ResourceNotFoundException"
        || (e.code == "ClientException" && e.message.to_ascii_lowercase().contains("does not exist"))
}

/// Records why deletion waits (status written only when it changed, the Warning event only
/// when the wait starts) and returns the retryable error that schedules the next look.
async fn block(obj: &CapacityProviderObject, ctx: &Context, provider: &CapacityProvider, message: String) -> Error {
    let previous = obj.status.as_ref();
    let already_blocked = crate::controller::conditions::ready_reason(previous) == Some(DELETION_BLOCKED);
    let outcome = Outcome {
        stage: Some(Stage::DeletionBlocked { provider, message: &message }),
        drift: &[],
        correction: None,
        applied_hash: None,
        observe_only: false,
        error: None,
    };
    let new_status = status::build(previous, obj.meta().generation, &outcome, &ctx.now());
    if let Err(e) = write_status(ctx, obj, previous, &new_status).await {
        tracing::warn!(error = %e, provider = %obj.name_any(), "could not record the blocked deletion");
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
    fn in_use_and_missing_answers() {
        let e = |code: &str, message: &str| AwsError::classify("DeleteCapacityProvider", code.into(), message.into());
        assert!(is_in_use(&e("ResourceInUseException", "")));
        assert!(is_in_use(&e("ClientException", "The specified capacity provider is in use and cannot be removed.")));
        assert!(!is_in_use(&e("ClientException", "The specified capacity provider does not exist.")));
        assert!(is_missing(&e("ClientException", "The specified capacity provider does not exist.")));
    }
}
