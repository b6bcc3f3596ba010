//! The operator's integration tests, one module per concern, in a single test binary: each
//! binary links the operator, both simulators and the AWS SDK (about 120 MB in a debug build),
//! so one binary instead of sixteen saves over a gigabyte of disk and most of the link time.
//! Run one module with `cargo test --test integration <module>::`.

mod admission;
mod argocd_health;
mod attachments;
mod bad_input_runtime;
mod capacity_provider;
mod cli;
mod cluster;
mod crdgen;
mod deletion;
mod deployments;
mod e2e_binary;
mod events;
mod express;
mod hostile;
mod kstatus;
mod local_mode;
mod managed_instances;
mod moto;
mod observability;
mod ownership;
mod packaging;
mod refusals;
mod runtime;
mod service;
mod support;
mod task_definition;
mod tasks;
mod values;
