//! Resolves the references a workload (ECSService, ECSTask) makes: the cluster (name, ARN or
//! ECSCluster object) and the task definition (family, family:revision, ARN or TaskDefinition
//! object). Referenced objects are read from the watch caches, which are complete before these
//! kinds reconcile. Resolved values go to status, never back into the spec.

use std::sync::Arc;

use kube::ResourceExt;
use kube::runtime::reflector::ObjectRef;

use super::context::Context;
use super::error::Error;
use crate::canonical::task_definition::task_definition_hash;
use crate::crd::common::LocalObjectRef;
use crate::crd::{ECSCluster, TaskDefinition};

/// Something a workload waits for: a Progressing state, not an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    pub why: String,
    /// The awaited thing is a Kubernetes object whose changes wake the workload (a
    /// TaskDefinition or ECSCluster): polling is only a safety net, not how the wait ends.
    pub woken_by_watch: bool,
}

impl Waiting {
    /// A wait on an object whose watch wakes the workload.
    pub fn for_object(why: String) -> Self {
        Self { why, woken_by_watch: true }
    }

    /// A wait on something in ECS: only polling ends it.
    pub fn for_ecs(why: String) -> Self {
        Self { why, woken_by_watch: false }
    }
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
    /// The names of the revision's containers.
    pub fn container_names(&self) -> Vec<String> {
        match self {
            Self::Object(td) => td.spec.container_definitions.iter().map(|c| c.name.clone()).collect(),
            Self::Described(td) => {
                td.container_definitions().iter().filter_map(|c| c.name().map(str::to_owned)).collect()
            }
        }
    }

    /// The names of the revision's essential containers (ECS's default: every container).
    pub fn essential_containers(&self) -> Vec<String> {
        match self {
            Self::Object(td) => td
                .spec
                .container_definitions
                .iter()
                .filter(|c| c.essential.unwrap_or(true))
                .map(|c| c.name.clone())
                .collect(),
            Self::Described(td) => td
                .container_definitions()
                .iter()
                .filter(|c| c.essential().unwrap_or(true))
                .filter_map(|c| c.name().map(str::to_owned))
                .collect(),
        }
    }
}

/// The cluster `cluster` or `cluster_ref` names, as ECS calls accept it (a name or ARN); a
/// wait while a referenced ECSCluster does not exist or has no ARN yet.
pub fn cluster(
    namespace: &str,
    cluster: Option<&String>,
    cluster_ref: Option<&LocalObjectRef>,
    ctx: &Context,
) -> Result<Result<String, Waiting>, Error> {
    match (cluster, cluster_ref) {
        (Some(cluster), _) => Ok(Ok(cluster.clone())),
        (None, Some(r)) => {
            let found = ctx.stores.clusters.get(&ObjectRef::<ECSCluster>::new(&r.name).within(namespace));
            match found.as_ref().and_then(|c| c.status.as_ref()).and_then(|s| s.cluster_arn.clone()) {
                Some(arn) => Ok(Ok(arn)),
                None if found.is_none() => Ok(Err(missing("ECSCluster", &r.name, ctx))),
                None => {
                    Ok(Err(Waiting::for_object(format!("waiting for ECSCluster {} to report its clusterArn", r.name))))
                }
            }
        }
        (None, None) => Err(Error::InvalidSpec("spec.cluster: set cluster or clusterRef".into())),
    }
}

/// A wait while the ECSCluster `cluster_ref` names lists, in its spec, capacity providers from
/// `wanted` (a workload's strategy) that it has not associated in ECS yet. ECS rejects a
/// strategy naming a provider its cluster does not have; while the cluster is still
/// associating it (a Managed Instances provider is made after its cluster), that is a wait,
/// not a failure. A provider the cluster does not list at all is the spec's mistake: ECS's
/// answer says so.
pub fn unassociated_providers<'a>(
    namespace: &str,
    cluster_ref: Option<&LocalObjectRef>,
    wanted: impl IntoIterator<Item = &'a str>,
    ctx: &Context,
) -> Option<Waiting> {
    let r = cluster_ref?;
    let cluster = ctx.stores.clusters.get(&ObjectRef::<ECSCluster>::new(&r.name).within(namespace))?;
    let pending = pending_providers(&cluster, wanted);
    (!pending.is_empty()).then(|| {
        Waiting::for_object(format!(
            "waiting for ECSCluster {} to associate capacity provider {}",
            r.name,
            pending.join(", ")
        ))
    })
}

/// The providers of `wanted` that `cluster`'s spec lists and its status does not report.
fn pending_providers<'a>(cluster: &ECSCluster, wanted: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let listed = cluster.spec.capacity_providers.as_deref().unwrap_or_default();
    let reported = cluster.status.as_ref().and_then(|s| s.capacity_providers.as_deref()).unwrap_or_default();
    wanted.into_iter().filter(|p| listed.iter().any(|l| l == p) && !reported.iter().any(|r| r == p)).collect()
}

/// The full ARN of the revision `task_definition` or `task_definition_ref` names, with its
/// content where resolving showed it (None for an ARN in the spec). A TaskDefinition object
/// that has not registered its current spec gives the revision `held` returns for it, if any,
/// else a wait; so does a family ECS does not have (yet).
pub async fn task_definition(
    namespace: &str,
    task_definition: Option<&String>,
    task_definition_ref: Option<&LocalObjectRef>,
    held: impl FnOnce(&TaskDefinition) -> Option<String>,
    ctx: &Context,
) -> Result<Result<(String, Option<RevisionContent>), Waiting>, Error> {
    match (task_definition, task_definition_ref) {
        (Some(td), _) if td.starts_with("arn:") => Ok(Ok((td.clone(), None))),
        (Some(td), _) => {
            // A family or family:revision: ECS reports the revision a workload runs as an ARN,
            // so comparisons need the ARN it stands for today.
            match ctx.ecs.describe_task_definition(td).await? {
                Some(d) => {
                    let arn = d.task_definition.task_definition_arn.clone().unwrap_or_else(|| td.clone());
                    Ok(Ok((arn, Some(RevisionContent::Described(Box::new(d.task_definition))))))
                }
                // Another object or tool may be about to register it: wait, do not fail.
                None => Ok(Err(Waiting::for_ecs(format!("waiting for task definition {td:?} to exist in ECS")))),
            }
        }
        (None, Some(r)) => {
            let found = ctx.stores.task_definitions.get(&ObjectRef::<TaskDefinition>::new(&r.name).within(namespace));
            let Some(td) = found else {
                return Ok(Err(missing("TaskDefinition", &r.name, ctx)));
            };
            let current = current_revision(&td).map(|arn| (arn, Some(RevisionContent::Object(td.clone()))));
            // The revision held meanwhile is not the spec's: its contents are unknown here.
            match current.or_else(|| held(&td).map(|arn| (arn, None))) {
                Some(found) => Ok(Ok(found)),
                None => {
                    let why = format!("waiting for TaskDefinition {} to register its revision", r.name);
                    Ok(Err(Waiting::for_object(why)))
                }
            }
        }
        (None, None) => Err(Error::InvalidSpec("spec.taskDefinition: set taskDefinition or taskDefinitionRef".into())),
    }
}

/// The revision a TaskDefinition registered for its current spec: the one its status records,
/// when the status's spec hash is the current spec's. A status at the current generation is
/// not enough: a failed registration of a new spec records the generation, with the old
/// revision still in place, and a workload must not take that for the new spec's revision.
pub fn current_revision(td: &TaskDefinition) -> Option<String> {
    let status = td.status.as_ref()?;
    let family = td.spec.family.clone().unwrap_or_else(|| td.name_any());
    let hash = task_definition_hash(&td.spec, &family).ok()?;
    (status.spec_hash.as_deref() == Some(hash.as_str())).then(|| status.task_definition_arn.clone()).flatten()
}

/// A referenced object that is not in the operator's cache (which holds everything it watches):
/// it does not exist yet, or this operator does not watch it, which the message says when a
/// label selector narrows what it watches.
fn missing(kind: &str, name: &str, ctx: &Context) -> Waiting {
    let message = match &ctx.config.label_selector {
        Some(selector) => format!("waiting for {kind} {name} to exist with labels matching {selector:?}"),
        None => format!("waiting for {kind} {name} to exist"),
    };
    Waiting::for_object(message)
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
    use crate::crd::cluster::{ECSClusterSpec, ECSClusterStatus};

    #[test]
    fn a_workload_waits_only_for_providers_its_cluster_is_still_associating() {
        let spec = ECSClusterSpec { capacity_providers: Some(vec!["reports-mi".into()]), ..Default::default() };
        let mut cluster = ECSCluster::new("reports", spec);
        let wanted = ["reports-mi", "FARGATE"];
        assert_eq!(pending_providers(&cluster, wanted), ["reports-mi"], "listed, not reported yet");
        cluster.status =
            Some(ECSClusterStatus { capacity_providers: Some(vec!["reports-mi".into()]), ..Default::default() });
        assert!(pending_providers(&cluster, wanted).is_empty(), "associated");
        // FARGATE is not in the cluster's spec: ECS's refusal says what is wrong, no wait.
        cluster.status = None;
        assert!(pending_providers(&cluster, ["FARGATE"]).is_empty());
    }
}
