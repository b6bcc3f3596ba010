//! Resolves an ECSService's references: the cluster (name, ARN or ECSCluster object) and the
//! task definition (family, family:revision, ARN or TaskDefinition object). Resolved values go
//! to status, never back into the spec.

use std::sync::Arc;

use kube::ResourceExt;
use kube::runtime::reflector::ObjectRef;

use super::attachments::TaskDefinitionFacts;
use crate::canonical::task_definition::task_definition_hash;
use crate::controller::context::Context;
use crate::controller::error::Error;
use crate::crd::{ECSCluster, ECSService, TaskDefinition};

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

/// A revision's content as resolving found it.
#[derive(Debug, Clone)]
pub enum RevisionContent {
    /// The TaskDefinition object whose current spec the revision was registered from.
    Object(Arc<TaskDefinition>),
    /// The revision ECS described for a family.
    Described(Box<aws_sdk_ecs::types::TaskDefinition>),
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

/// Something the service waits for: a Progressing state, not an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    pub why: String,
    /// The awaited thing is a Kubernetes object whose changes wake this service (a
    /// TaskDefinition or ECSCluster): polling is only a safety net, not how the wait ends.
    pub woken_by_watch: bool,
}

impl Waiting {
    /// A wait on an object whose watch wakes the service.
    pub fn for_object(why: String) -> Self {
        Self { why, woken_by_watch: true }
    }

    /// A wait on something in ECS: only polling ends it.
    pub fn for_ecs(why: String) -> Self {
        Self { why, woken_by_watch: false }
    }
}

pub async fn resolve(svc: &ECSService, ctx: &Context) -> Result<Resolution, Error> {
    let namespace = svc.namespace().ok_or(Error::MissingMetadata("namespace"))?;
    let cluster = match (&svc.spec.cluster, &svc.spec.cluster_ref) {
        (Some(cluster), _) => cluster.clone(),
        (None, Some(r)) => {
            let found = ctx.stores.clusters.get(&ObjectRef::<ECSCluster>::new(&r.name).within(&namespace));
            match found.as_ref().and_then(|c| c.status.as_ref()).and_then(|s| s.cluster_arn.clone()) {
                Some(arn) => arn,
                None if found.is_none() => return Ok(Resolution::Waiting(missing("ECSCluster", &r.name, ctx))),
                None => {
                    let why = format!("waiting for ECSCluster {} to report its clusterArn", r.name);
                    return Ok(Resolution::Waiting(Waiting::for_object(why)));
                }
            }
        }
        (None, None) => return Err(Error::InvalidSpec("spec.cluster: set cluster or clusterRef".into())),
    };
    let (task_definition_arn, task_definition) = match (&svc.spec.task_definition, &svc.spec.task_definition_ref) {
        (Some(td), _) if td.starts_with("arn:") => (td.clone(), None),
        (Some(td), _) => {
            // A family or family:revision: ECS reports the service's revision as an ARN, so
            // comparisons need the ARN it stands for today.
            match ctx.ecs.describe_task_definition(td).await? {
                Some(d) => {
                    let arn = d.task_definition.task_definition_arn.clone().unwrap_or_else(|| td.clone());
                    (arn, Some(RevisionContent::Described(Box::new(d.task_definition))))
                }
                // Another object or tool may be about to register it: wait, do not fail.
                None => {
                    let why = format!("waiting for task definition {td:?} to exist in ECS");
                    return Ok(Resolution::Waiting(Waiting::for_ecs(why)));
                }
            }
        }
        (None, Some(r)) => {
            let found = ctx.stores.task_definitions.get(&ObjectRef::<TaskDefinition>::new(&r.name).within(&namespace));
            let Some(td) = found else {
                return Ok(Resolution::Waiting(missing("TaskDefinition", &r.name, ctx)));
            };
            let current = current_revision(&td).map(|arn| (arn, Some(RevisionContent::Object(td.clone()))));
            // The revision held meanwhile is not the spec's: its contents are unknown here.
            match current.or_else(|| held_revision(svc, &td).map(|arn| (arn, None))) {
                Some(found) => found,
                None => {
                    let why = format!("waiting for TaskDefinition {} to register its revision", r.name);
                    return Ok(Resolution::Waiting(Waiting::for_object(why)));
                }
            }
        }
        (None, None) => {
            return Err(Error::InvalidSpec("spec.taskDefinition: set taskDefinition or taskDefinitionRef".into()));
        }
    };
    let service_name = svc.spec.service_name.clone().unwrap_or_else(|| svc.name_any());
    Ok(Resolution::Ready(Resolved { cluster, service_name, task_definition_arn, task_definition }))
}

/// The revision a TaskDefinition registered for its current spec: the one its status records,
/// when the status's spec hash is the current spec's. A status at the current generation is
/// not enough: a failed registration of a new spec records the generation, with the old
/// revision still in place, and a service must not take that for the new spec's revision.
fn current_revision(td: &TaskDefinition) -> Option<String> {
    let status = td.status.as_ref()?;
    let family = td.spec.family.clone().unwrap_or_else(|| td.name_any());
    let hash = task_definition_hash(&td.spec, &family).ok()?;
    (status.spec_hash.as_deref() == Some(hash.as_str())).then(|| status.task_definition_arn.clone()).flatten()
}

/// While the TaskDefinition has not registered its current spec (a registration failing, or
/// not yet made), the revision of its family the service last ran: the service keeps it, and
/// its own changes, drift and scaling go on; the TaskDefinition's status says why its spec is
/// not registered. None for a service that never ran one of that family: it waits.
fn held_revision(svc: &ECSService, td: &TaskDefinition) -> Option<String> {
    let family = td.spec.family.clone().unwrap_or_else(|| td.name_any());
    let last = svc.status.as_ref()?.task_definition_arn.clone()?;
    (crate::aws::ecs::family_of(&last) == Some(family.as_str())).then_some(last)
}

/// A referenced object that is not in the operator's cache (which holds everything it watches,
/// complete before services are reconciled): it does not exist yet, or this operator does not
/// watch it, which the message says when a label selector narrows what it watches.
fn missing(kind: &str, name: &str, ctx: &Context) -> Waiting {
    let message = match &ctx.config.label_selector {
        Some(selector) => format!("waiting for {kind} {name} to exist with labels matching {selector:?}"),
        None => format!("waiting for {kind} {name} to exist"),
    };
    Waiting::for_object(message)
}

/// (cluster, service) of `arn:aws:ecs:<region>:<account>:service/<cluster>/<service>`.
pub fn identity_of_arn(arn: &str) -> Option<(String, String)> {
    let (_, path) = arn.split_once(":service/")?;
    let (cluster, service) = path.split_once('/')?;
    (!cluster.is_empty() && !service.is_empty() && !service.contains('/'))
        .then(|| (cluster.to_owned(), service.to_owned()))
}

/// `name` of `arn:aws:ecs:<region>:<account>:cluster/<name>`, or the value itself.
pub fn cluster_name(cluster: &str) -> String {
    cluster.rsplit_once(":cluster/").map_or(cluster, |(_, name)| name).to_owned()
}

/// `family:revision` of a task definition ARN.
pub fn family_revision(arn: &str) -> String {
    arn.rsplit_once(":task-definition/").map_or(arn, |(_, fr)| fr).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

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
