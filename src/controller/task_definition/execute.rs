//! Carries out a TaskDefinition plan against ECS: register, retag, deregister and delete.

use super::observe::revision;
use super::plan::{Desired, Plan, Revision};
use crate::aws::convert::task_definition::register_task_definition_input;
use crate::aws::ecs::{DescribedTaskDefinition, EcsApi};
use crate::controller::error::Error;
use crate::controller::tags::write_tag_changes;
use crate::crd::task_definition::TaskDefinitionSpec;

/// What the writes changed.
#[derive(Debug, Default)]
pub struct Executed {
    /// A newly registered revision.
    pub registered: Option<Revision>,
    /// Revisions deregistered (and deleted) for history pruning.
    pub deregistered: Vec<String>,
}

pub async fn execute(
    ecs: &dyn EcsApi,
    spec: &TaskDefinitionSpec,
    desired: &Desired,
    current: Option<&Revision>,
    plan: &Plan,
) -> Result<Executed, Error> {
    let mut done = Executed::default();
    if plan.register {
        // desired.tags already holds the user's tags and the ownership tags.
        let input = register_task_definition_input(spec, &desired.family, &desired.tags)
            .map_err(|e| Error::InvalidSpec(e.to_string()))?;
        let tags = input.tags.clone().unwrap_or_default();
        let td = ecs.register_task_definition(input).await?;
        done.registered = Some(revision(&DescribedTaskDefinition { task_definition: td, tags }));
    } else if let Some(current) = current {
        write_tag_changes(ecs, &current.arn, &plan.tag, &plan.untag).await?;
    }
    for arn in &plan.deregister {
        ecs.deregister_task_definition(arn).await?;
        done.deregistered.push(arn.clone());
    }
    if !done.deregistered.is_empty() {
        ecs.delete_task_definitions(done.deregistered.clone()).await?;
    }
    Ok(done)
}
