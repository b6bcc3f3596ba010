//! What wakes an ECSTask besides its own changes: the TaskDefinition and ECSCluster it
//! references (a run waiting for them starts as soon as they are there).

use std::sync::Arc;

use kube::runtime::reflector::{ObjectRef, Store};

use crate::controller::watches::referencing;
use crate::crd::{ECSCluster, ECSTask, TaskDefinition};

pub fn tasks_of_task_definition(
    tasks: Store<ECSTask>,
) -> impl Fn(Arc<TaskDefinition>) -> Vec<ObjectRef<ECSTask>> + Send + Sync + Clone + 'static {
    move |td: Arc<TaskDefinition>| referencing(&tasks, td.as_ref(), |t| t.spec.task_definition_ref.as_ref())
}

pub fn tasks_of_cluster(
    tasks: Store<ECSTask>,
) -> impl Fn(Arc<ECSCluster>) -> Vec<ObjectRef<ECSTask>> + Send + Sync + Clone + 'static {
    move |cluster: Arc<ECSCluster>| referencing(&tasks, cluster.as_ref(), |t| t.spec.cluster_ref.as_ref())
}
