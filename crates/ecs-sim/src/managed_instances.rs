//! `managedInstancesProvider` of an Amazon ECS Managed Instances capacity provider: what
//! CreateCapacityProvider validates and stores (botocore ecs service-2.json,
//! CreateManagedInstancesProviderConfiguration, InstanceLaunchTemplate) and how
//! UpdateCapacityProvider changes it (UpdateManagedInstancesProviderConfiguration,
//! InstanceLaunchTemplateUpdate). Stored as sent, with only the defaults the model documents
//! filled in; members the simulator does not act on (instanceRequirements beyond vCpuCount
//! and memoryMiB, capacityReservations, autoRepairConfiguration, ...) are kept as given.

use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::protocol::Req;

const P: &str = "managedInstancesProvider";
const T: &str = "managedInstancesProvider.instanceLaunchTemplate";

fn enum_member(r: Req, key: &str, path: &str, valid: &[&str]) -> ApiResult<()> {
    match r.opt_str(key)? {
        Some(v) if !valid.contains(&v) => {
            Err(ApiError::invalid(format!("Invalid {path}.{key} {v}. Valid values: {}.", valid.join(", "))))
        }
        _ => Ok(()),
    }
}

fn required(r: Req, key: &str, path: &str) -> ApiResult<()> {
    match r.get(key) {
        Some(_) => Ok(()),
        None => Err(ApiError::invalid(format!("{path}.{key} is required."))),
    }
}

/// A `{min, max}` range of InstanceRequirementsRequest (VCpuCountRangeRequest, MemoryMiBRequest:
/// `min` required; `max`, if given, not below it).
fn range(r: Req, key: &str) -> ApiResult<()> {
    let path = format!("{T}.instanceRequirements.{key}");
    let v = r.get(key).ok_or_else(|| ApiError::invalid(format!("{path} is required.")))?;
    let v = Req(v);
    let min = v.opt_i64("min")?.ok_or_else(|| ApiError::invalid(format!("{path}.min is required.")))?;
    if min < 0 {
        return Err(ApiError::invalid(format!("{path}.min must be at least 0, got {min}.")));
    }
    if let Some(max) = v.opt_i64("max")?
        && max < min
    {
        return Err(ApiError::invalid(format!("{path}.max ({max}) must not be less than min ({min}).")));
    }
    Ok(())
}

/// The members both the create and the update shapes share, checked on the stored result:
///
/// - InstanceLaunchTemplate: `ec2InstanceProfileArn` and `networkConfiguration` required.
/// - ManagedInstancesStorageConfiguration.storageSizeGiB: TaskVolumeStorageGiB, min 1.
/// - ManagedInstancesMonitoringOptions BASIC|DETAILED; CapacityOptionType
///   ON_DEMAND|SPOT|RESERVED; PropagateMITags CAPACITY_PROVIDER|NONE.
/// - InstanceRequirementsRequest: `vCpuCount` and `memoryMiB` required, each with `min`.
/// - InfrastructureOptimization.scaleInAfter: "null ... -1 - Disables automatic
///   infrastructure optimization. A value between 0 and 3600 (inclusive)".
/// - `infrastructureRoleArn` required.
fn check(v: &Value) -> ApiResult<()> {
    let r = Req(v);
    if r.opt_str("infrastructureRoleArn")?.is_none() {
        return Err(ApiError::invalid(format!("{P}.infrastructureRoleArn is required.")));
    }
    enum_member(r, "propagateTags", P, &["CAPACITY_PROVIDER", "NONE"])?;
    if let Some(opt) = r.get("infrastructureOptimization")
        && let Some(n) = Req(opt).opt_i64("scaleInAfter")?
        && n != -1
        && !(0..=3600).contains(&n)
    {
        return Err(ApiError::invalid(format!(
            "{P}.infrastructureOptimization.scaleInAfter must be -1 or between 0 and 3600, got {n}."
        )));
    }
    let lt = r.get("instanceLaunchTemplate").ok_or_else(|| ApiError::invalid(format!("{T} is required.")))?;
    if !lt.is_object() {
        return Err(ApiError::invalid(format!("{T} must be an object.")));
    }
    let t = Req(lt);
    t.opt_str("ec2InstanceProfileArn")?
        .ok_or_else(|| ApiError::invalid(format!("{T}.ec2InstanceProfileArn is required.")))?;
    required(t, "networkConfiguration", T)?;
    let net = Req(&lt["networkConfiguration"]);
    net.str_list("subnets")?;
    net.str_list("securityGroups")?;
    if let Some(storage) = t.get("storageConfiguration")
        && let Some(n) = Req(storage).opt_i64("storageSizeGiB")?
        && n < 1
    {
        return Err(ApiError::invalid(format!("{T}.storageConfiguration.storageSizeGiB must be at least 1, got {n}.")));
    }
    enum_member(t, "monitoring", T, &["BASIC", "DETAILED"])?;
    enum_member(t, "capacityOptionType", T, &["ON_DEMAND", "SPOT", "RESERVED"])?;
    t.opt_bool("instanceMetadataTagsPropagation")?;
    t.opt_bool("fipsEnabled")?;
    t.opt_bool("nitroEnclavesEnabled")?;
    if let Some(req) = t.get("instanceRequirements") {
        range(Req(req), "vCpuCount")?;
        range(Req(req), "memoryMiB")?;
    }
    Ok(())
}

/// CreateCapacityProvider's `managedInstancesProvider`, with the defaults the model states:
///
/// - InstanceLaunchTemplate.capacityOptionType: "The default is On-Demand" → ON_DEMAND.
/// - InstanceLaunchTemplate.monitoring: "By default, your managed instance is configured for
///   basic monitoring" → BASIC.
/// - InstanceLaunchTemplate.instanceMetadataTagsPropagation: "The default value is true."
///
/// Nothing else is filled in: propagateTags, infrastructureOptimization ("null - Uses the
/// default optimization behavior"), storageConfiguration and fipsEnabled ("If not specified,
/// instances are launched with FIPS enabled in ... GovCloud (US) regions and FIPS disabled in
/// other regions") have no value the model gives.
pub fn create(sent: &Value) -> ApiResult<Value> {
    if !sent.is_object() {
        return Err(ApiError::invalid(format!("{P} must be an object.")));
    }
    check(sent)?;
    let mut v = sent.clone();
    let lt = &mut v["instanceLaunchTemplate"];
    for (key, default) in [
        ("capacityOptionType", json!("ON_DEMAND")),
        ("monitoring", json!("BASIC")),
        ("instanceMetadataTagsPropagation", json!(true)),
    ] {
        if lt.get(key).is_none_or(Value::is_null) {
            lt[key] = default;
        }
    }
    Ok(v)
}

/// UpdateCapacityProvider's `managedInstancesProvider` applied to the stored one:
/// `infrastructureRoleArn` and `instanceLaunchTemplate` are required members of
/// UpdateManagedInstancesProviderConfiguration; each member of the InstanceLaunchTemplateUpdate
/// that is sent replaces the stored one and the rest stay (the model says nothing of members
/// left out; "Changes take effect for new instances launched after the update").
/// InstanceLaunchTemplateUpdate has no `capacityOptionType`: it cannot change in place, and a
/// request that sends one is refused. propagateTags, infrastructureOptimization and
/// autoRepairConfiguration replace the stored ones when sent.
pub fn update(current: &Value, sent: &Value) -> ApiResult<Value> {
    let r = Req(sent);
    if r.opt_str("infrastructureRoleArn")?.is_none() {
        return Err(ApiError::invalid(format!("{P}.infrastructureRoleArn is required.")));
    }
    let lt = r.get("instanceLaunchTemplate").ok_or_else(|| ApiError::invalid(format!("{T} is required.")))?;
    let lt = lt.as_object().ok_or_else(|| ApiError::invalid(format!("{T} must be an object.")))?;
    if lt.contains_key("capacityOptionType") {
        return Err(ApiError::invalid(format!(
            "{T}.capacityOptionType cannot be updated: create a new capacity provider to change it."
        )));
    }
    let mut out = current.clone();
    out["infrastructureRoleArn"] = sent["infrastructureRoleArn"].clone();
    for (k, v) in lt.iter().filter(|(_, v)| !v.is_null()) {
        out["instanceLaunchTemplate"][k] = v.clone();
    }
    for key in ["propagateTags", "infrastructureOptimization", "autoRepairConfiguration"] {
        if let Some(v) = r.get(key) {
            out[key] = v.clone();
        }
    }
    check(&out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent() -> Value {
        json!({
            "infrastructureRoleArn": "arn:aws:iam::1:role/infra",
            "instanceLaunchTemplate": {
                "ec2InstanceProfileArn": "arn:aws:iam::1:instance-profile/ecs",
                "networkConfiguration": {"subnets": ["subnet-1"]},
                "instanceRequirements": {"vCpuCount": {"min": 1, "max": 4}, "memoryMiB": {"min": 1024}},
            },
        })
    }

    #[test]
    fn defaults_and_update() {
        let stored = create(&sent()).unwrap();
        assert_eq!(stored["instanceLaunchTemplate"]["capacityOptionType"], "ON_DEMAND");
        assert_eq!(stored["instanceLaunchTemplate"]["monitoring"], "BASIC");
        let up = json!({"infrastructureRoleArn": "arn:aws:iam::1:role/other", "instanceLaunchTemplate": {"monitoring": "DETAILED"}});
        let updated = update(&stored, &up).unwrap();
        assert_eq!(updated["instanceLaunchTemplate"]["monitoring"], "DETAILED");
        assert_eq!(updated["instanceLaunchTemplate"]["capacityOptionType"], "ON_DEMAND");
        let bad = json!({"infrastructureRoleArn": "r", "instanceLaunchTemplate": {"capacityOptionType": "SPOT"}});
        assert!(update(&stored, &bad).is_err());
        let mut s = sent();
        s["instanceLaunchTemplate"]["instanceRequirements"]["vCpuCount"] = json!({"min": 4, "max": 2});
        assert!(create(&s).is_err());
    }
}
