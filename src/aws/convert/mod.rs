//! Conversions between the CRD spec types and aws-sdk-ecs request/response types.
//!
//! Forward (spec → SDK request) builds the inputs of RegisterTaskDefinition, CreateService,
//! UpdateService, CreateCluster, UpdateCluster and PutClusterCapacityProviders; reverse (SDK
//! response → spec) turns what Describe* returns into a spec for drift comparison. Everything
//! here is pure: no client, no I/O, no canonicalisation (defaults, ordering and units are the
//! job of `crate::canonical`; reverse conversions report AWS values as they are).
//!
//! This module also holds the pieces every kind shares: [`ConvertError`], the spec enum ↔ SDK
//! enum table ([`SdkEnum`]), and tag and map helpers.

pub mod capacity_provider;
pub mod cluster;
pub mod express;
pub mod service;
pub mod service_attachments;
pub mod task;
pub mod task_definition;

#[cfg(test)]
mod defaults_reach_aws;
#[cfg(test)]
pub(crate) mod fixtures;

use std::collections::{BTreeMap, HashMap};

use aws_sdk_ecs::error::BuildError;
use aws_sdk_ecs::types;
use thiserror::Error;

use crate::crd::capacity_provider::{
    CapacityOptionType, CpuManufacturer, Inclusion, InstanceGeneration, ManagedInstancesTags, Monitoring, Toggle,
};
use crate::crd::cluster::ExecuteCommandLogging;
use crate::crd::common::{Tags, tags};
use crate::crd::service::{
    AccessLogFormat, AssignPublicIp, AvailabilityZoneRebalancing, DeploymentControllerType, DeploymentStrategy,
    FilesystemType, HookStage, HookTargetType, HookTimeoutAction, LaunchType, PlacementConstraintType,
    PlacementStrategyType, PropagateTags, QueryParameters, SchedulingStrategy,
};
use crate::crd::task_definition::{
    AppProtocol, Compatibility, ContainerCondition, CpuArchitecture, DeviceCgroupPermission, DockerVolumeScope,
    EfsFlag, EnvironmentFileType, FirelensType, IpcMode, LogDriver, NetworkMode, OsFamily, PidMode,
    ProxyConfigurationType, ResourceType, TaskPlacementConstraintType, TransportProtocol, UlimitName,
    VersionConsistency,
};

/// A conversion that cannot be done; every variant names the field it is about, as a spec
/// path (`spec.containerDefinitions[web].logConfiguration.logDriver`) so that the condition
/// message points the user at the right place.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConvertError {
    /// A spec value ECS would not accept (e.g. a cpu string in no known form).
    #[error("{field}: {reason}")]
    InvalidField { field: String, reason: String },
    /// AWS reported a value the spec has no way to express: an `Unknown` SDK variant (a value
    /// newer than this SDK) or a known one our CRD does not model.
    #[error("{field}: AWS reported {value:?}, which the spec cannot express")]
    UnsupportedValue { field: String, value: String },
    /// AWS left out a value the spec requires.
    #[error("{field}: missing from the AWS response")]
    MissingField { field: String },
    /// The SDK refused to build a request or type (a required member was not set). The spec
    /// types make required members non-optional, so this means a bug in this module.
    #[error("building {field}: {reason}")]
    Build { field: String, reason: String },
}

impl ConvertError {
    /// The spec path (or SDK member) the error is about.
    pub fn field(&self) -> &str {
        match self {
            Self::InvalidField { field, .. }
            | Self::UnsupportedValue { field, .. }
            | Self::MissingField { field }
            | Self::Build { field, .. } => field,
        }
    }

    pub(crate) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidField { field: field.into(), reason: reason.into() }
    }
}

/// The SDK builder's result, with its error naming what was being built.
pub(crate) fn built<T>(what: &str, result: Result<T, BuildError>) -> Result<T, ConvertError> {
    result.map_err(|e| ConvertError::Build { field: what.to_owned(), reason: e.to_string() })
}

/// A required value from an AWS response, or an error naming the spec field it fills.
pub(crate) fn required<T: Clone>(field: &str, value: Option<&T>) -> Result<T, ConvertError> {
    value.cloned().ok_or_else(|| ConvertError::MissingField { field: field.to_owned() })
}

/// `at.name`, the path of a child field.
pub(crate) fn child(at: &str, name: &str) -> String {
    format!("{at}.{name}")
}

// ---- lists and maps --------------------------------------------------------------------------

/// Maps an optional list item by item, stopping at the first error.
pub(crate) fn try_list<T, U>(
    list: Option<&[T]>,
    f: impl FnMut(&T) -> Result<U, ConvertError>,
) -> Result<Option<Vec<U>>, ConvertError> {
    list.map(|items| items.iter().map(f).collect()).transpose()
}

/// Like [`try_list`] for reverse conversions: each item gets its path `at[i]` for errors.
pub(crate) fn try_list_at<T, U>(
    list: Option<&[T]>,
    at: &str,
    mut f: impl FnMut(&T, &str) -> Result<U, ConvertError>,
) -> Result<Option<Vec<U>>, ConvertError> {
    list.map(|items| items.iter().enumerate().map(|(i, item)| f(item, &format!("{at}[{i}]"))).collect()).transpose()
}

/// Maps an optional list item by item.
pub(crate) fn list<T, U>(list: Option<&[T]>, f: impl FnMut(&T) -> U) -> Option<Vec<U>> {
    list.map(|items| items.iter().map(f).collect())
}

/// Spec maps are ordered (stable YAML and hashes); the SDK uses `HashMap`.
pub(crate) fn to_hash_map(map: Option<&BTreeMap<String, String>>) -> Option<HashMap<String, String>> {
    map.map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

pub(crate) fn to_btree_map(map: Option<&HashMap<String, String>>) -> Option<BTreeMap<String, String>> {
    map.map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

// ---- JSON documents --------------------------------------------------------------------------

/// A JSON value as a Smithy document (lifecycle hooks' `hookDetails`).
pub(crate) fn document_from_json(value: &serde_json::Value) -> aws_smithy_types::Document {
    use aws_smithy_types::{Document, Number};
    match value {
        serde_json::Value::Null => Document::Null,
        serde_json::Value::Bool(b) => Document::Bool(*b),
        serde_json::Value::Number(n) => Document::Number(match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Number::PosInt(u),
            (None, Some(i)) => Number::NegInt(i),
            _ => Number::Float(n.as_f64().unwrap_or_default()),
        }),
        serde_json::Value::String(s) => Document::String(s.clone()),
        serde_json::Value::Array(items) => Document::Array(items.iter().map(document_from_json).collect()),
        serde_json::Value::Object(map) => {
            Document::Object(map.iter().map(|(k, v)| (k.clone(), document_from_json(v))).collect())
        }
    }
}

/// A Smithy document as JSON (a float JSON cannot hold, NaN or infinite, becomes null).
pub(crate) fn document_to_json(document: &aws_smithy_types::Document) -> serde_json::Value {
    use aws_smithy_types::{Document, Number};
    match document {
        Document::Null => serde_json::Value::Null,
        Document::Bool(b) => serde_json::Value::Bool(*b),
        Document::Number(Number::PosInt(u)) => (*u).into(),
        Document::Number(Number::NegInt(i)) => (*i).into(),
        Document::Number(Number::Float(f)) => {
            serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, serde_json::Value::Number)
        }
        Document::String(s) => serde_json::Value::String(s.clone()),
        Document::Array(items) => serde_json::Value::Array(items.iter().map(document_to_json).collect()),
        Document::Object(map) => {
            // Sorted keys: the spec read back compares and hashes the same every time.
            let sorted: BTreeMap<_, _> = map.iter().map(|(k, v)| (k.clone(), document_to_json(v))).collect();
            serde_json::Value::Object(sorted.into_iter().collect())
        }
    }
}

// ---- tags ------------------------------------------------------------------------------------

/// The tags to send: the user's tags plus the operator's ownership tags. Ownership tags win
/// on a clash (admission already rejects user keys under the operator prefix). None when there
/// are none at all, so that the request carries no empty list.
pub fn tags_to_sdk(user: Option<&Tags>, ownership: &Tags) -> Option<Vec<types::Tag>> {
    let mut merged: Tags = user.cloned().unwrap_or_default();
    merged.extend(ownership.iter().map(|(k, v)| (k.clone(), v.clone())));
    if merged.is_empty() {
        return None;
    }
    Some(merged.into_iter().map(|(key, value)| types::Tag::builder().key(key).value(value).build()).collect())
}

/// Every tag AWS reports, as a map (a tag without a key carries nothing and is skipped).
pub fn tag_map(tags: &[types::Tag]) -> Tags {
    tags.iter()
        .filter_map(|t| {
            let key = t.key.clone()?;
            Some((key, t.value.clone().unwrap_or_default()))
        })
        .collect()
}

/// The tags that belong in a spec: everything except keys the spec may not hold (the
/// operator's own `ecs.operator.dev/` tags and AWS's `aws:` tags), so that a spec read back
/// from AWS compares equal to the one that created it. None when nothing is left.
pub fn user_tags_from_sdk(tags: &[types::Tag]) -> Option<Tags> {
    let user: Tags =
        tag_map(tags).into_iter().filter(|(k, _)| !k.starts_with(tags::PREFIX) && !k.starts_with("aws:")).collect();
    (!user.is_empty()).then_some(user)
}

// ---- enums -----------------------------------------------------------------------------------

/// A spec enum paired with an SDK enum of the same wire values. Generic over the SDK type
/// because one spec enum can stand for several SDK enums (`EfsFlag` is both
/// `EfsTransitEncryption` and `EfsAuthorizationConfigIam`).
pub trait SdkEnum<S>: Sized {
    fn to_sdk(self) -> S;
    /// None for an SDK value the spec cannot express: `Unknown` (newer than this SDK) or a
    /// known value our CRD does not model.
    fn try_from_sdk(value: &S) -> Option<Self>;
}

/// The spec value for an SDK enum, or an error naming `field` and the value AWS sent.
pub(crate) fn enum_from_sdk<E, S>(field: &str, value: &S) -> Result<E, ConvertError>
where
    E: SdkEnum<S>,
    S: AsRef<str>,
{
    E::try_from_sdk(value)
        .ok_or_else(|| ConvertError::UnsupportedValue { field: field.to_owned(), value: value.as_ref().to_owned() })
}

pub(crate) fn opt_enum_from_sdk<E, S>(field: &str, value: Option<&S>) -> Result<Option<E>, ConvertError>
where
    E: SdkEnum<S>,
    S: AsRef<str>,
{
    value.map(|v| enum_from_sdk(field, v)).transpose()
}

pub(crate) fn opt_enum_to_sdk<E: SdkEnum<S> + Copy, S>(value: Option<E>) -> Option<S> {
    value.map(E::to_sdk)
}

pub(crate) fn enum_list_to_sdk<E: SdkEnum<S> + Copy, S>(values: Option<&[E]>) -> Option<Vec<S>> {
    list(values, |v| v.to_sdk())
}

pub(crate) fn enum_list_from_sdk<E, S>(field: &str, values: Option<&[S]>) -> Result<Option<Vec<E>>, ConvertError>
where
    E: SdkEnum<S>,
    S: AsRef<str>,
{
    try_list_at(values, field, |v, at| enum_from_sdk(at, v))
}

/// Pairs spec variants with SDK variants. The forward match is exhaustive, so a variant added
/// to a spec enum without an SDK twin fails to compile; the reverse match sends everything
/// else (including `Unknown`) to None.
macro_rules! sdk_enum {
    ($ours:ty => $sdk:ty { $($o:ident => $s:ident),+ $(,)? }) => {
        impl SdkEnum<$sdk> for $ours {
            fn to_sdk(self) -> $sdk {
                match self {
                    $(<$ours>::$o => <$sdk>::$s,)+
                }
            }
            fn try_from_sdk(value: &$sdk) -> Option<Self> {
                match value {
                    $(<$sdk>::$s => Some(<$ours>::$o),)+
                    _ => None,
                }
            }
        }
    };
}

sdk_enum!(NetworkMode => types::NetworkMode { Bridge => Bridge, Host => Host, Awsvpc => Awsvpc, None => None });
sdk_enum!(Compatibility => types::Compatibility {
    Ec2 => Ec2, Fargate => Fargate, External => External, ManagedInstances => ManagedInstances,
});
sdk_enum!(PidMode => types::PidMode { Host => Host, Task => Task });
sdk_enum!(IpcMode => types::IpcMode { Host => Host, Task => Task, None => None });
sdk_enum!(TransportProtocol => types::TransportProtocol { Tcp => Tcp, Udp => Udp });
sdk_enum!(AppProtocol => types::ApplicationProtocol { Http => Http, Http2 => Http2, Grpc => Grpc });
sdk_enum!(EnvironmentFileType => types::EnvironmentFileType { S3 => S3 });
sdk_enum!(ContainerCondition => types::ContainerCondition {
    Start => Start, Complete => Complete, Success => Success, Healthy => Healthy,
});
sdk_enum!(VersionConsistency => types::VersionConsistency { Enabled => Enabled, Disabled => Disabled });
sdk_enum!(UlimitName => types::UlimitName {
    Core => Core, Cpu => Cpu, Data => Data, Fsize => Fsize, Locks => Locks, Memlock => Memlock,
    Msgqueue => Msgqueue, Nice => Nice, Nofile => Nofile, Nproc => Nproc, Rss => Rss,
    Rtprio => Rtprio, Rttime => Rttime, Sigpending => Sigpending, Stack => Stack,
});
sdk_enum!(LogDriver => types::LogDriver {
    JsonFile => JsonFile, Syslog => Syslog, Journald => Journald, Gelf => Gelf,
    Fluentd => Fluentd, Awslogs => Awslogs, Splunk => Splunk, Awsfirelens => Awsfirelens,
});
sdk_enum!(ResourceType => types::ResourceType { Gpu => Gpu, InferenceAccelerator => InferenceAccelerator });
sdk_enum!(FirelensType => types::FirelensConfigurationType { Fluentd => Fluentd, Fluentbit => Fluentbit });
sdk_enum!(DockerVolumeScope => types::Scope { Task => Task, Shared => Shared });
sdk_enum!(EfsFlag => types::EfsTransitEncryption { Enabled => Enabled, Disabled => Disabled });
sdk_enum!(EfsFlag => types::EfsAuthorizationConfigIam { Enabled => Enabled, Disabled => Disabled });
sdk_enum!(TaskPlacementConstraintType => types::TaskDefinitionPlacementConstraintType { MemberOf => MemberOf });
sdk_enum!(ProxyConfigurationType => types::ProxyConfigurationType { AppMesh => Appmesh });
sdk_enum!(CpuArchitecture => types::CpuArchitecture { X86_64 => X8664, Arm64 => Arm64 });
sdk_enum!(OsFamily => types::OsFamily {
    Linux => Linux,
    WindowsServer2016Full => WindowsServer2016Full,
    WindowsServer2019Full => WindowsServer2019Full,
    WindowsServer2019Core => WindowsServer2019Core,
    WindowsServer2022Full => WindowsServer2022Full,
    WindowsServer2022Core => WindowsServer2022Core,
    WindowsServer2025Full => WindowsServer2025Full,
    WindowsServer2025Core => WindowsServer2025Core,
    WindowsServer20H2Core => WindowsServer20H2Core,
    WindowsServer2004Core => WindowsServer2004Core,
});
sdk_enum!(DeviceCgroupPermission => types::DeviceCgroupPermission { Read => Read, Write => Write, Mknod => Mknod });
sdk_enum!(LaunchType => types::LaunchType {
    Ec2 => Ec2, Fargate => Fargate, External => External, ManagedInstances => ManagedInstances,
});
sdk_enum!(SchedulingStrategy => types::SchedulingStrategy { Replica => Replica, Daemon => Daemon });
sdk_enum!(AssignPublicIp => types::AssignPublicIp { Enabled => Enabled, Disabled => Disabled });
sdk_enum!(DeploymentStrategy => types::DeploymentStrategy {
    Rolling => Rolling, BlueGreen => BlueGreen, Linear => Linear, Canary => Canary,
});
sdk_enum!(HookTargetType => types::DeploymentLifecycleHookTargetType { AwsLambda => AwsLambda, Pause => Pause });
sdk_enum!(HookTimeoutAction => types::DeploymentLifecycleHookAction { Rollback => Rollback, Continue => Continue });
sdk_enum!(HookStage => types::DeploymentLifecycleHookStage {
    ReconcileService => ReconcileService, PreScaleUp => PreScaleUp, PostScaleUp => PostScaleUp,
    TestTrafficShift => TestTrafficShift, PostTestTrafficShift => PostTestTrafficShift,
    PreProductionTrafficShift => PreProductionTrafficShift, ProductionTrafficShift => ProductionTrafficShift,
    PostProductionTrafficShift => PostProductionTrafficShift,
});
sdk_enum!(DeploymentControllerType => types::DeploymentControllerType {
    Ecs => Ecs, CodeDeploy => CodeDeploy, External => External,
});
sdk_enum!(PlacementConstraintType => types::PlacementConstraintType {
    DistinctInstance => DistinctInstance, MemberOf => MemberOf,
});
sdk_enum!(PlacementStrategyType => types::PlacementStrategyType {
    Random => Random, Spread => Spread, Binpack => Binpack,
});
sdk_enum!(PropagateTags => types::PropagateTags {
    TaskDefinition => TaskDefinition, Service => Service, None => None,
});
sdk_enum!(AvailabilityZoneRebalancing => types::AvailabilityZoneRebalancing {
    Enabled => Enabled, Disabled => Disabled,
});
sdk_enum!(ExecuteCommandLogging => types::ExecuteCommandLogging {
    None => None, Default => Default, Override => Override,
});
sdk_enum!(AccessLogFormat => types::ServiceConnectAccessLoggingFormat { Text => Text, Json => Json });
sdk_enum!(QueryParameters => types::ServiceConnectIncludeQueryParameters { Enabled => Enabled, Disabled => Disabled });
sdk_enum!(FilesystemType => types::TaskFilesystemType { Ext3 => Ext3, Ext4 => Ext4, Xfs => Xfs, Ntfs => Ntfs });
sdk_enum!(ManagedInstancesTags => types::PropagateMiTags { CapacityProvider => CapacityProvider, None => None });
sdk_enum!(Monitoring => types::ManagedInstancesMonitoringOptions { Basic => Basic, Detailed => Detailed });
sdk_enum!(CapacityOptionType => types::CapacityOptionType { OnDemand => OnDemand, Spot => Spot, Reserved => Reserved });
sdk_enum!(CpuManufacturer => types::CpuManufacturer {
    Intel => Intel, Amd => Amd, AmazonWebServices => AmazonWebServices,
});
sdk_enum!(InstanceGeneration => types::InstanceGeneration { Current => Current, Previous => Previous });
sdk_enum!(Inclusion => types::BareMetal { Included => Included, Required => Required, Excluded => Excluded });
sdk_enum!(Inclusion => types::BurstablePerformance { Included => Included, Required => Required, Excluded => Excluded });
sdk_enum!(Toggle => types::ManagedScalingStatus { Enabled => Enabled, Disabled => Disabled });
sdk_enum!(Toggle => types::ManagedTerminationProtection { Enabled => Enabled, Disabled => Disabled });
sdk_enum!(Toggle => types::ManagedDraining { Enabled => Enabled, Disabled => Disabled });

#[cfg(test)]
mod tests {
    use serde::Serialize;

    use super::*;

    /// Every SDK value (`values()` is an inherent fn of each SDK enum, so the caller passes it)
    /// either maps to a spec variant whose serde name is the same wire string
    /// (so the CRD and ECS agree on spelling) and maps back to itself, or is one the spec does
    /// not model, listed in `unmodelled`.
    fn check_pair<E, S>(values: &[&str], unmodelled: &[&str])
    where
        E: SdkEnum<S> + Serialize + Copy + std::fmt::Debug,
        S: for<'a> From<&'a str> + AsRef<str>,
    {
        let name = std::any::type_name::<S>();
        for &wire in values {
            let sdk = S::from(wire);
            match E::try_from_sdk(&sdk) {
                Some(ours) => {
                    assert_eq!(ours.to_sdk().as_ref(), wire, "{name}");
                    assert_eq!(serde_json::to_value(ours).unwrap(), serde_json::json!(wire), "{name}");
                }
                None => assert!(unmodelled.contains(&wire), "{name}: {wire} has no spec variant"),
            }
        }
        let unknown = S::from("SomethingNew");
        assert!(E::try_from_sdk(&unknown).is_none(), "{name}");
    }

    #[test]
    fn spec_enums_match_sdk_wire_values() {
        check_pair::<NetworkMode, types::NetworkMode>(types::NetworkMode::values(), &[]);
        check_pair::<Compatibility, types::Compatibility>(types::Compatibility::values(), &[]);
        check_pair::<PidMode, types::PidMode>(types::PidMode::values(), &[]);
        check_pair::<IpcMode, types::IpcMode>(types::IpcMode::values(), &[]);
        check_pair::<TransportProtocol, types::TransportProtocol>(types::TransportProtocol::values(), &[]);
        check_pair::<AppProtocol, types::ApplicationProtocol>(types::ApplicationProtocol::values(), &[]);
        check_pair::<EnvironmentFileType, types::EnvironmentFileType>(types::EnvironmentFileType::values(), &[]);
        check_pair::<ContainerCondition, types::ContainerCondition>(types::ContainerCondition::values(), &[]);
        check_pair::<VersionConsistency, types::VersionConsistency>(types::VersionConsistency::values(), &[]);
        check_pair::<UlimitName, types::UlimitName>(types::UlimitName::values(), &[]);
        check_pair::<LogDriver, types::LogDriver>(types::LogDriver::values(), &[]);
        check_pair::<ResourceType, types::ResourceType>(types::ResourceType::values(), &["NeuronDevice"]);
        check_pair::<FirelensType, types::FirelensConfigurationType>(types::FirelensConfigurationType::values(), &[]);
        check_pair::<DockerVolumeScope, types::Scope>(types::Scope::values(), &[]);
        check_pair::<EfsFlag, types::EfsTransitEncryption>(types::EfsTransitEncryption::values(), &[]);
        check_pair::<EfsFlag, types::EfsAuthorizationConfigIam>(types::EfsAuthorizationConfigIam::values(), &[]);
        check_pair::<TaskPlacementConstraintType, types::TaskDefinitionPlacementConstraintType>(
            types::TaskDefinitionPlacementConstraintType::values(),
            &[],
        );
        check_pair::<ProxyConfigurationType, types::ProxyConfigurationType>(
            types::ProxyConfigurationType::values(),
            &[],
        );
        check_pair::<CpuArchitecture, types::CpuArchitecture>(types::CpuArchitecture::values(), &[]);
        check_pair::<OsFamily, types::OsFamily>(types::OsFamily::values(), &[]);
        check_pair::<DeviceCgroupPermission, types::DeviceCgroupPermission>(
            types::DeviceCgroupPermission::values(),
            &[],
        );
        check_pair::<LaunchType, types::LaunchType>(types::LaunchType::values(), &[]);
        check_pair::<SchedulingStrategy, types::SchedulingStrategy>(types::SchedulingStrategy::values(), &[]);
        check_pair::<AssignPublicIp, types::AssignPublicIp>(types::AssignPublicIp::values(), &[]);
        check_pair::<DeploymentStrategy, types::DeploymentStrategy>(types::DeploymentStrategy::values(), &[]);
        check_pair::<HookTargetType, types::DeploymentLifecycleHookTargetType>(
            types::DeploymentLifecycleHookTargetType::values(),
            &[],
        );
        check_pair::<HookTimeoutAction, types::DeploymentLifecycleHookAction>(
            types::DeploymentLifecycleHookAction::values(),
            &[],
        );
        check_pair::<HookStage, types::DeploymentLifecycleHookStage>(
            types::DeploymentLifecycleHookStage::values(),
            &[],
        );
        check_pair::<DeploymentControllerType, types::DeploymentControllerType>(
            types::DeploymentControllerType::values(),
            &[],
        );
        check_pair::<PlacementConstraintType, types::PlacementConstraintType>(
            types::PlacementConstraintType::values(),
            &[],
        );
        check_pair::<PlacementStrategyType, types::PlacementStrategyType>(types::PlacementStrategyType::values(), &[]);
        check_pair::<PropagateTags, types::PropagateTags>(types::PropagateTags::values(), &[]);
        check_pair::<AvailabilityZoneRebalancing, types::AvailabilityZoneRebalancing>(
            types::AvailabilityZoneRebalancing::values(),
            &[],
        );
        check_pair::<ExecuteCommandLogging, types::ExecuteCommandLogging>(types::ExecuteCommandLogging::values(), &[]);
        check_pair::<Toggle, types::ManagedScalingStatus>(types::ManagedScalingStatus::values(), &[]);
        check_pair::<Toggle, types::ManagedTerminationProtection>(types::ManagedTerminationProtection::values(), &[]);
        check_pair::<Toggle, types::ManagedDraining>(types::ManagedDraining::values(), &[]);
    }

    #[test]
    fn unknown_enum_value_names_the_field() {
        let err = enum_from_sdk::<LogDriver, _>(
            "spec.containerDefinitions[web].logConfiguration.logDriver",
            &types::LogDriver::from("newdriver"),
        )
        .unwrap_err();
        assert_eq!(err.field(), "spec.containerDefinitions[web].logConfiguration.logDriver");
        assert!(err.to_string().contains("\"newdriver\""), "{err}");
    }

    #[test]
    fn ownership_tags_are_merged_out_and_stripped_back() {
        let user = Tags::from([("team".into(), "payments".into())]);
        let ownership = Tags::from([(tags::OWNER.into(), "ns/web".into()), (tags::SPEC_HASH.into(), "abc".into())]);
        let sent = tags_to_sdk(Some(&user), &ownership).unwrap();
        assert_eq!(sent.len(), 3);
        assert_eq!(tag_map(&sent).get(tags::OWNER).map(String::as_str), Some("ns/web"));

        let mut reported = sent.clone();
        reported.push(types::Tag::builder().key("aws:cloudformation:stack-name").value("s").build());
        assert_eq!(user_tags_from_sdk(&reported), Some(user));
        assert_eq!(user_tags_from_sdk(&sent[..0]), None);
        assert_eq!(tags_to_sdk(None, &Tags::new()), None);
    }

    #[test]
    fn lists_report_the_failing_index() {
        let items = [types::LogDriver::Awslogs, types::LogDriver::from("x")];
        let err = enum_list_from_sdk::<LogDriver, _>("spec.drivers", Some(&items[..])).unwrap_err();
        assert_eq!(err.field(), "spec.drivers[1]");
    }
}
