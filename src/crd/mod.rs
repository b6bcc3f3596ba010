//! The custom resource types: one file per kind, shared pieces in `common`, schema helpers
//! (CEL rules, list types) in `schema`. Types only; behaviour lives in `canonical` and
//! `controller`.

pub mod capacity_provider;
pub mod cluster;
pub mod common;
pub mod express;
pub mod schema;
pub mod service;
pub mod task;
pub mod task_definition;

pub use capacity_provider::{CapacityProvider, CapacityProviderSpec, CapacityProviderStatus};
pub use cluster::{ECSCluster, ECSClusterSpec, ECSClusterStatus};
pub use common::{DeletionPolicy, DriftPolicy, HasCommonStatus, ManagedObject, ManagementPolicy, Policies};
pub use express::{ECSExpressService, ECSExpressServiceSpec, ECSExpressServiceStatus};

common::managed_object!(
    ECSService => ECSServiceStatus,
    TaskDefinition => TaskDefinitionStatus,
    ECSCluster => ECSClusterStatus,
    CapacityProvider => CapacityProviderStatus,
    ECSTask => ECSTaskStatus,
    ECSExpressService => ECSExpressServiceStatus,
);
pub use service::{ECSService, ECSServiceSpec, ECSServiceStatus};
pub use task::{ECSTask, ECSTaskSpec, ECSTaskStatus};
pub use task_definition::{TaskDefinition, TaskDefinitionSpec, TaskDefinitionStatus};

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::CustomResourceExt;

/// Every CRD the operator serves, in a stable order.
pub fn all() -> Vec<CustomResourceDefinition> {
    vec![
        TaskDefinition::crd(),
        ECSService::crd(),
        ECSCluster::crd(),
        CapacityProvider::crd(),
        ECSTask::crd(),
        ECSExpressService::crd(),
    ]
}

/// All CRDs as one multi-document YAML stream: what `ecs-operator crdgen` prints and what
/// `crds/` holds.
pub fn to_yaml() -> Result<String, serde_yaml::Error> {
    let mut out = String::new();
    for crd in all() {
        out.push_str("---\n");
        out.push_str(&serde_yaml::to_string(&crd)?);
    }
    Ok(out)
}
