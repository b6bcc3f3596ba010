//! The controllers. Shared by every kind: the [`context`], [`status`] writes and events, the
//! error [`policy`], the [`kind::Reconciler`] each kind implements and the [`run`]time that
//! wires watches to it; ownership, tags, drift, conditions and deletion. One folder per kind,
//! each the same pipeline: observe → plan → execute → status, plus cleanup.

pub mod applied;
pub mod caches;
pub mod capacity_provider;
pub mod cluster;
pub mod conditions;
pub mod context;
pub mod deletion;
pub mod drift;
pub mod error;
pub mod execute;
pub mod express;
pub mod kind;
pub mod outcome;
pub mod ownership;
pub mod planning;
pub mod policy;
pub mod references;
pub mod refusals;
pub mod rollout;
pub mod run;
pub mod service;
pub mod status;
pub mod tags;
pub mod task;
pub mod task_definition;
pub mod watches;

pub use self::context::{Config, Context, Stores};
pub use self::run::{RunError, run};
