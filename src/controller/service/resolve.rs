//! Resolves an ECSService's references: the cluster (name, ARN or ECSCluster object) and the
//! task definition (family, family:revision, ARN or TaskDefinition object). Resolved values go
//! to status, never back into the spec.

use kube::ResourceExt;

use super::attachments::TaskDefinitionFacts;
use crate::controller::context::Context;
use crate::controller::error::Error;
use crate::controller::references;
pub use crate::controller::references::{RevisionContent, Waiting, cluster_name, family_revision};
use crate::crd::{ECSService, TaskDefinition};

#[derive(Debug, Clone)]
pub struct Resolved {
    /// Cluster name or ARN, as ECS calls accept it.
    pub cluster: String,
    pub service_name: String,
    /// The full ARN of the task definition revision the service must run.
    pub task_definition_arn: String,
    /// What that revision holds, where resolving it showed it (a TaskDefinition object's
    /// current spec, a family ECS described); None for an ARN in the spec. Kept as found: the
    /// facts are derived only before a write ([`RevisionContent::facts`]).
    pub task_definition: Option<RevisionContent>,
}

impl RevisionContent {
    /// The facts the service's attachments are checked against, for the revision `arn`.
    pub fn facts(&self, arn: &str) -> TaskDefinitionFacts {
        match self {
            Self::Object(td) => {
                TaskDefinitionFacts::of_spec(format!("{} ({})", td.name_any(), family_revision(arn)), &td.spec)
            }
            Self::Described(td) => TaskDefinitionFacts::of_sdk(family_revision(arn), td),
        }
    }
}

/// Where resolving the references got to.
#[derive(Debug, Clone)]
pub enum Resolution {
    Ready(Resolved),
    Waiting(Waiting),
}

pub async fn resolve(svc: &ECSService, ctx: &Context) -> Result<Resolution, Error> {
    let namespace = svc.namespace().ok_or(Error::MissingMetadata("namespace"))?;
    let spec = &svc.spec;
    let cluster = match references::cluster(&namespace, spec.cluster.as_ref(), spec.cluster_ref.as_ref(), ctx)? {
        Ok(cluster) => cluster,
        Err(waiting) => return Ok(Resolution::Waiting(waiting)),
    };
    let strategy = spec.capacity_provider_strategy.iter().flatten().map(|s| s.capacity_provider.as_str());
    if let Some(waiting) = references::unassociated_providers(&namespace, spec.cluster_ref.as_ref(), strategy, ctx) {
        return Ok(Resolution::Waiting(waiting));
    }
    let (td, td_ref) = (spec.task_definition.as_ref(), spec.task_definition_ref.as_ref());
    let held = |td: &TaskDefinition| held_revision(svc, td);
    let (task_definition_arn, task_definition) =
        match references::task_definition(&namespace, td, td_ref, held, ctx).await? {
            Ok(found) => found,
            Err(waiting) => return Ok(Resolution::Waiting(waiting)),
        };
    let service_name = svc.spec.service_name.clone().unwrap_or_else(|| svc.name_any());
    Ok(Resolution::Ready(Resolved { cluster, service_name, task_definition_arn, task_definition }))
}

/// While the TaskDefinition has not registered its current spec (a registration failing, or
/// not yet made), the revision of its family the service last ran: the service keeps it, and
/// its own changes, drift and scaling go on; the TaskDefinition's status says why its spec is
/// not registered. None for a service that never ran one of that family: it waits.
pub(crate) fn held_revision(svc: &ECSService, td: &TaskDefinition) -> Option<String> {
    let family = td.spec.family.clone().unwrap_or_else(|| td.name_any());
    let last = svc.status.as_ref()?.task_definition_arn.clone()?;
    (crate::aws::ecs::family_of(&last) == Some(family.as_str())).then_some(last)
}

/// (cluster, service) of `arn:aws:ecs:<region>:<account>:service/<cluster>/<service>`.
pub fn identity_of_arn(arn: &str) -> Option<(String, String)> {
    let (_, path) = arn.split_once(":service/")?;
    let (cluster, service) = path.split_once('/')?;
    (!cluster.is_empty() && !service.is_empty() && !service.contains('/'))
        .then(|| (cluster.to_owned(), service.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::canonical::task_definition::task_definition_hash;
    use crate::controller::references::current_revision;

    fn task_definition(image: &str, recorded_for: Option<&str>) -> TaskDefinition {
        let spec = serde_json::json!({"containerDefinitions": [{"name": "app", "image": image, "memory": 512}]});
        let mut td = TaskDefinition::new("web", serde_json::from_value(spec).unwrap_or_else(|e| panic!("spec: {e}")));
        let hash = recorded_for.map(|image| {
            task_definition_hash(&task_definition(image, None).spec, "web").unwrap_or_else(|e| panic!("hash: {e}"))
        });
        td.status = Some(crate::crd::TaskDefinitionStatus {
            task_definition_arn: Some(format!("{ARN}web:1")),
            spec_hash: hash,
            ..Default::default()
        });
        td
    }

    const ARN: &str = "arn:aws:ecs:us-east-1:1:task-definition/";

    #[test]
    fn a_revision_counts_for_the_spec_whose_hash_the_status_records() {
        assert_eq!(current_revision(&task_definition("nginx:1.28", Some("nginx:1.28"))), Some(format!("{ARN}web:1")));
        // A registration of the new spec failed: the status still names the old spec's revision.
        let failing = task_definition("nginx:1.28", Some("nginx:1.27"));
        assert_eq!(current_revision(&failing), None);
        // A service that ran a revision of the family keeps it meanwhile; a new one waits.
        let mut svc = ECSService::new("web", Default::default());
        assert_eq!(held_revision(&svc, &failing), None);
        svc.status = Some(crate::crd::ECSServiceStatus {
            task_definition_arn: Some(format!("{ARN}web:1")),
            ..Default::default()
        });
        assert_eq!(held_revision(&svc, &failing), Some(format!("{ARN}web:1")));
        svc.status = Some(crate::crd::ECSServiceStatus {
            task_definition_arn: Some(format!("{ARN}other:4")),
            ..Default::default()
        });
        assert_eq!(held_revision(&svc, &failing), None, "another family's revision is not held");
    }

    #[test]
    fn identity_from_service_arns() {
        assert_eq!(
            identity_of_arn("arn:aws:ecs:us-east-1:123456789012:service/prod/web"),
            Some(("prod".to_owned(), "web".to_owned()))
        );
        // The old ARN format has no cluster: resolve from the spec instead.
        assert_eq!(identity_of_arn("arn:aws:ecs:us-east-1:123456789012:service/web"), None);
        assert_eq!(identity_of_arn("arn:aws:ecs:us-east-1:1:cluster/prod"), None);
    }
}
