//! ecs-operator: reconciles `TaskDefinition`, `ECSService`, `ECSCluster`, `CapacityProvider`,
//! `ECSTask` (one-off tasks) and `ECSExpressService` (Express Mode) custom resources against
//! Amazon ECS and writes status, rollout progress and drift back into them.

// Nothing from users, Kubernetes or AWS may panic the operator: outside tests, `unwrap` and
// `expect` are refused, and the few that stand on the code's own invariants say so with an
// `#[allow]` where they are.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod aws;
pub mod canonical;
pub mod controller;
pub mod crd;
pub mod diff;
pub mod events;
pub mod http;
pub mod import;
pub mod leader;
#[cfg(feature = "local")]
pub mod local;
pub mod manifests;
pub mod memory;
pub mod metrics;
