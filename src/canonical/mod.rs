//! Pure canonicalisation: desired spec and AWS-described state brought to one form, so that
//! "desired vs actual" is a plain comparison and the spec hash ignores spelling.
//!
//! What canonical means here: for services, clusters and capacity providers, every ECS default
//! the spec leaves out written in (the one list is [`defaults`]: an omitted field and its
//! explicit default are one value, and both reach AWS); for task definitions, whose revisions are
//! registered whole and never diffed field by field, defaults removed so that the spec hash
//! stored in AWS tags stays what it always was. Empty lists/maps/strings that mean "none" are
//! one value with absent, units normalised (cpu "0.25 vCPU" is
//! "256", memory "1 GB" is "1024"), order-insensitive lists sorted. No clients, no tokio, no
//! clock: everything here is a function of its arguments.

pub mod capacity_provider;
pub mod cluster;
pub mod defaults;
pub mod diff;
pub mod express;
pub mod hash;
pub mod service;
pub mod task_definition;
pub mod units;

use std::collections::BTreeMap;

use thiserror::Error;

pub use diff::{FieldDiff, compare, diff};
pub use hash::spec_hash;

/// A spec value that cannot be brought to canonical form; names the field.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{field}: {message}")]
pub struct CanonicalError {
    pub field: String,
    pub message: String,
}

impl CanonicalError {
    pub fn field(field: impl Into<String>, cause: impl std::fmt::Display) -> Self {
        Self { field: field.into(), message: cause.to_string() }
    }
}

/// ECS reports a Service Connect namespace as its Cloud Map ARN even when it was given the
/// namespace's name, and the name cannot be read back from the ARN without Cloud Map. When the
/// spec names the namespace and ECS reports an ARN, the described value is taken to be the
/// named one (a namespace changed out of band is then not seen; give the ARN to have it
/// compared). Shared by clusters' `serviceConnectDefaults` and services' Service Connect.
pub(crate) fn namespace_as_named(have: &mut String, want: &str) {
    if !want.starts_with("arn:") && have.starts_with("arn:") {
        *have = want.to_owned();
    }
}

/// Empty list → absent.
pub(crate) fn clean<T: IsEmpty>(value: Option<T>) -> Option<T> {
    value.filter(|v| !v.is_empty_value())
}

/// Empty map → absent.
pub(crate) fn clean_map<V>(value: Option<BTreeMap<String, V>>) -> Option<BTreeMap<String, V>> {
    value.filter(|m| !m.is_empty())
}

/// Order-insensitive list: sorted; empty → absent.
pub(crate) fn sorted<T: Ord>(value: Option<Vec<T>>) -> Option<Vec<T>> {
    clean(value).map(|mut v| {
        v.sort();
        v
    })
}

/// Values that have an "empty" that means the same as absent.
pub(crate) trait IsEmpty {
    fn is_empty_value(&self) -> bool;
}

impl<T> IsEmpty for Vec<T> {
    fn is_empty_value(&self) -> bool {
        self.is_empty()
    }
}

impl IsEmpty for String {
    fn is_empty_value(&self) -> bool {
        self.is_empty()
    }
}

#[cfg(test)]
mod properties;
