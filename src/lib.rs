//! ecs-operator: reconciles `TaskDefinition`, `ECSService` and `ECSCluster` custom resources
//! against Amazon ECS and writes status, rollout progress and drift back into them.

pub mod aws;
pub mod canonical;
pub mod controller;
pub mod crd;
pub mod http;
pub mod leader;
#[cfg(feature = "local")]
pub mod local;
pub mod memory;
pub mod metrics;
