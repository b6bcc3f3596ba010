//! Spec and status pieces every kind shares: lifecycle policies, the AWS target, conditions
//! and drift. Pure data; no clients.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

/// API group of every kind.
pub const GROUP: &str = "ecs.operator.dev";
/// Served and stored version.
pub const VERSION: &str = "v1alpha1";
/// Finalizer that guards AWS cleanup.
pub const FINALIZER: &str = "ecs.operator.dev/cleanup";
/// Annotation that forces a new ECS deployment once per distinct value.
pub const RESTARTED_AT_ANNOTATION: &str = "ecs.operator.dev/restartedAt";
/// Annotation that continues a deployment's PAUSE hook awaiting action, once per distinct value.
pub const APPROVE_ANNOTATION: &str = "ecs.operator.dev/approve";
/// Annotation that rolls the deployment in progress back, once per distinct value.
pub const ROLLBACK_ANNOTATION: &str = "ecs.operator.dev/rollback";
/// `kubectl get ecs` lists every kind.
pub const CATEGORY: &str = "ecs";

/// Tag keys the operator writes on everything it creates in AWS.
pub mod tags {
    /// `<namespace>/<name>` of the owning object.
    pub const OWNER: &str = "ecs.operator.dev/owner";
    /// The configurable id of the Kubernetes cluster the owner lives in.
    pub const OWNER_CLUSTER: &str = "ecs.operator.dev/cluster-id";
    /// The spec hash that produced the resource.
    pub const SPEC_HASH: &str = "ecs.operator.dev/spec-hash";
    /// Prefix reserved for the operator; user tags may not use it.
    pub const PREFIX: &str = "ecs.operator.dev/";
}

/// What happens in AWS when the Kubernetes object is deleted.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum DeletionPolicy {
    /// Remove what the operator owns.
    #[default]
    Delete,
    /// Leave AWS untouched.
    Retain,
}

/// Whether the operator may write to AWS for this object.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum ManagementPolicy {
    /// Create, update and delete to match the spec.
    #[default]
    Manage,
    /// Read AWS and report status and drift; never write.
    Observe,
}

/// What to do when AWS differs from the spec.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum DriftPolicy {
    /// Put AWS back and emit an event.
    #[default]
    Correct,
    /// Only record the difference in `status.drift`.
    Report,
}

/// Per-object AWS target. Absent fields use the operator's defaults.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AwsTarget {
    /// AWS region, e.g. `eu-west-1`.
    #[schemars(regex(pattern = r"^[a-z]{2}(-[a-z]+)+-\d$"))]
    pub region: Option<String>,
    /// IAM role to assume for this object's calls (cross-account).
    #[schemars(regex(pattern = r"^arn:aws[a-zA-Z-]*:iam::\d{12}:role/.+$"))]
    pub role_arn: Option<String>,
}

/// Lifecycle policies shared by every kind, flattened into each spec.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Policies {
    /// `Delete` (default) removes the AWS resource with the object; `Retain` leaves it.
    pub deletion_policy: Option<DeletionPolicy>,
    /// `Manage` (default) writes to AWS; `Observe` only reads and reports.
    pub management_policy: Option<ManagementPolicy>,
    /// `Correct` (default) puts drifted AWS fields back; `Report` only records them.
    pub drift_policy: Option<DriftPolicy>,
    /// Adopt an existing, untagged AWS resource with the same identity.
    pub adopt: Option<bool>,
    /// Region and role override for this object.
    pub aws: Option<AwsTarget>,
}

impl Policies {
    pub fn deletion(&self) -> DeletionPolicy {
        self.deletion_policy.unwrap_or_default()
    }
    pub fn management(&self) -> ManagementPolicy {
        self.management_policy.unwrap_or_default()
    }
    pub fn drift(&self) -> DriftPolicy {
        self.drift_policy.unwrap_or_default()
    }
    pub fn adopt(&self) -> bool {
        self.adopt.unwrap_or(false)
    }
}

/// A reference to another object of this operator in the same namespace.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct LocalObjectRef {
    /// Name of the object.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
}

/// AWS resource tags: at most 50, keys up to 128 and values up to 256 characters. Keys under
/// `ecs.operator.dev/` and `aws:` are reserved.
pub type Tags = BTreeMap<String, String>;

/// One field whose AWS value differs from the spec.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DriftEntry {
    /// Path of the field in the spec, e.g. `containerDefinitions[web].image`.
    pub field: String,
    /// Canonical desired value, as JSON text (absent when the spec leaves it unset).
    pub desired: Option<String>,
    /// Canonical value AWS reports, as JSON text (absent when AWS has none).
    pub actual: Option<String>,
    /// When the operator first saw this difference.
    pub first_seen: Time,
}

/// Status fields every kind shares, flattened into each status.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommonStatus {
    /// The `metadata.generation` this status describes.
    pub observed_generation: Option<i64>,
    /// Ready, Synced, Progressing and Degraded.
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["type"]))]
    pub conditions: Option<Vec<Condition>>,
    /// Fields where AWS differs from the spec.
    pub drift: Option<Vec<DriftEntry>>,
    /// The drift correction last sent, while AWS still differs: how often it went out, so a
    /// correction AWS does not take is not re-sent on every poll.
    pub correction: Option<CorrectionRecord>,
    /// What the last successful apply set that the spec alone cannot tell later: fields ECS
    /// chooses itself when they are omitted, and the user's tag keys. Taking one of them out of
    /// the spec is then a removal the operator carries out, not a field it stops comparing.
    pub last_applied: Option<AppliedRecord>,
}

/// What the last successful apply set of the fields ECS picks itself when omitted, and of the
/// user's tags (`status.lastApplied`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppliedRecord {
    /// Paths of the fields ECS chooses itself when omitted that the spec set, e.g.
    /// `platformVersion`.
    #[serde(default)]
    pub fields: Vec<String>,
    /// Keys of the user's tags (`spec.tags`) applied.
    #[serde(default)]
    pub tag_keys: Vec<String>,
}

/// A status type with the shared part (observedGeneration, conditions, drift, correction).
pub trait HasCommonStatus: Clone + PartialEq {
    fn common(&self) -> &CommonStatus;
    fn common_mut(&mut self) -> &mut CommonStatus;
}

/// What the objects of every kind have, for code shared by all kinds: the shared policies, and
/// a status with the shared part.
pub trait ManagedObject {
    type Status: HasCommonStatus + serde::Serialize + Default;
    fn policies(&self) -> &Policies;
    /// `spec.tags`: when set, the user owns the resource's whole tag set.
    fn user_tags(&self) -> Option<&Tags>;
    fn current_status(&self) -> Option<&Self::Status>;
    /// The hash of the spec last applied to AWS, from status.
    fn applied_hash(&self) -> Option<&str>;
    /// This object with the status of `other` (another copy of it, such as the live one).
    fn take_status_of(&mut self, other: Self)
    where
        Self: Sized;
}

/// The shared traits for a kind whose spec flattens `policies` and whose status flattens
/// `common`.
macro_rules! managed_object {
    ($($kind:ty => $status:ty),* $(,)?) => {$(
        impl $crate::crd::common::HasCommonStatus for $status {
            fn common(&self) -> &$crate::crd::common::CommonStatus {
                &self.common
            }
            fn common_mut(&mut self) -> &mut $crate::crd::common::CommonStatus {
                &mut self.common
            }
        }
        impl $crate::crd::common::ManagedObject for $kind {
            type Status = $status;
            fn policies(&self) -> &$crate::crd::common::Policies {
                &self.spec.policies
            }
            fn user_tags(&self) -> Option<&$crate::crd::common::Tags> {
                self.spec.tags.as_ref()
            }
            fn current_status(&self) -> Option<&$status> {
                self.status.as_ref()
            }
            fn applied_hash(&self) -> Option<&str> {
                self.status.as_ref().and_then(|s| s.spec_hash.as_deref())
            }
            fn take_status_of(&mut self, other: Self) {
                self.status = other.status;
            }
        }
    )*};
}
pub(crate) use managed_object;

/// A drift correction the operator sent, kept while the difference lasts.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CorrectionRecord {
    /// The fields the correction writes.
    pub fields: Vec<String>,
    /// Digest of those fields and their desired values: the same correction has the same one.
    pub fingerprint: String,
    /// How many times it was sent.
    pub attempts: u32,
    /// When it was last sent.
    pub last_attempt: Time,
}

/// Condition types, shared by all kinds.
pub mod condition_types {
    pub const READY: &str = "Ready";
    pub const SYNCED: &str = "Synced";
    pub const PROGRESSING: &str = "Progressing";
    pub const DEGRADED: &str = "Degraded";
    /// kstatus's (sigs.k8s.io/cli-utils) "work is under way" condition.
    pub const RECONCILING: &str = "Reconciling";
    /// kstatus's "cannot progress without a change" condition.
    pub const STALLED: &str = "Stalled";
}
