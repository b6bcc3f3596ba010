//! The three service configurations ECS reports per deployment rather than on the service:
//! `serviceConnectConfiguration`, `volumeConfigurations` and `vpcLatticeConfigurations`
//! (botocore ecs service-2.json: CreateServiceRequest and UpdateServiceRequest take them;
//! the Service shape has none of them; the Deployment shape has all three, plus
//! `serviceConnectResources`). A new deployment carries the configuration the service had
//! when it was made; DescribeServices shows each deployment's own. Values are stored as the
//! request sent them (validated, nothing filled in: the model documents no default ECS
//! writes back into them), and left out of a deployment that has none; the one exception is
//! Service Connect's namespace, which a deployment reports as the Cloud Map namespace's ARN
//! (see `DeploymentConfigs::for_deployment`).
//!
//! UpdateService (botocore UpdateServiceRequest): each of the three "triggers a new service
//! deployment" when it is sent and differs from the current one; left out, it is unchanged
//! (and carried into a deployment another change makes); `volumeConfigurations`: "If set to
//! null, no new deployment is triggered"; `[]` removes the volume (or VPC Lattice)
//! configurations.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::protocol::{Identity, Req, parse_tags};

/// What a service (and each of its deployments) carries of the three.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeploymentConfigs {
    /// As sent; `{"enabled": false}` when Service Connect was turned off (see `update`).
    pub service_connect: Option<Value>,
    /// As sent; empty when none (then the deployment leaves the member out).
    pub volumes: Vec<Value>,
    pub vpc_lattice: Vec<Value>,
}

/// A port number: botocore PortNumber, 0 to 65535.
fn port(r: Req, key: &str, path: &str) -> ApiResult<Option<i64>> {
    match r.opt_i64(key)? {
        Some(p) if !(0..=65535).contains(&p) => {
            Err(ApiError::invalid(format!("{path}.{key} must be between 0 and 65535, got {p}.")))
        }
        other => Ok(other),
    }
}

fn required<'a>(r: Req<'a>, key: &str, path: &str) -> ApiResult<&'a str> {
    r.opt_str(key)?.ok_or_else(|| ApiError::invalid(format!("{path}.{key} is required.")))
}

fn one_of(r: Req, key: &str, path: &str, valid: &[&str]) -> ApiResult<()> {
    match r.opt_str(key)? {
        Some(v) if !valid.contains(&v) => {
            Err(ApiError::invalid(format!("Invalid {path}.{key} {v}. Valid values: {}.", valid.join(", "))))
        }
        _ => Ok(()),
    }
}

fn objects<'a>(r: Req<'a>, key: &str) -> ApiResult<&'a [Value]> {
    let list = r.array(key)?;
    if let Some(bad) = list.iter().find(|v| !v.is_object()) {
        return Err(ApiError::invalid(format!("{key} must be a list of objects, got {bad}.")));
    }
    Ok(list)
}

/// botocore ServiceConnectService.discoveryName: "The name can contain up to 64 characters.
/// The name can include lowercase letters, numbers, underscores (_), and hyphens (-). The name
/// can't start with a hyphen."
fn valid_discovery_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('-')
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// `serviceConnectConfiguration` as sent, checked against botocore's shapes:
/// ServiceConnectConfiguration (`enabled` required), ServiceConnectService (`portName`
/// required), ServiceConnectClientAlias (`port` required, PortNumber 0–65535; "The maximum
/// number of client aliases that you can have in this list is 1"), ServiceConnectTestTraffic*
/// (`header.name`, `value.exact` required), TimeoutConfiguration (Duration, 0 to 2147483647),
/// ServiceConnectTlsConfiguration (`issuerCertificateAuthority` required),
/// ServiceConnectAccessLogConfiguration (`format` TEXT|JSON required, `includeQueryParameters`
/// DISABLED|ENABLED), LogConfiguration (`logDriver` required). Two services entries with the
/// same portName are refused (one port mapping is one Cloud Map service).
fn parse_service_connect(v: &Value) -> ApiResult<Value> {
    const P: &str = "serviceConnectConfiguration";
    if !v.is_object() {
        return Err(ApiError::invalid(format!("{P} must be an object.")));
    }
    let r = Req(v);
    if r.opt_bool("enabled")?.is_none() {
        return Err(ApiError::invalid(format!("{P}.enabled is required.")));
    }
    r.opt_str("namespace")?;
    let mut ports = BTreeSet::new();
    for (i, s) in objects(r, "services")?.iter().enumerate() {
        let path = format!("{P}.services[{i}]");
        let s = Req(s);
        let port_name = required(s, "portName", &path)?;
        if !ports.insert(port_name) {
            return Err(ApiError::invalid(format!(
                "{P}.services contains portName {port_name} more than once. Each Service Connect service must use a different port mapping."
            )));
        }
        if let Some(name) = s.opt_str("discoveryName")?
            && !valid_discovery_name(name)
        {
            return Err(ApiError::invalid(format!(
                "{path}.discoveryName {name} is invalid: up to 64 lowercase letters, numbers, underscores and hyphens, not starting with a hyphen."
            )));
        }
        port(s, "ingressPortOverride", &path)?;
        let aliases = objects(s, "clientAliases")?;
        if aliases.len() > 1 {
            return Err(ApiError::invalid(format!(
                "{path}.clientAliases can contain at most 1 client alias, got {}.",
                aliases.len()
            )));
        }
        for (j, a) in aliases.iter().enumerate() {
            let apath = format!("{path}.clientAliases[{j}]");
            let a = Req(a);
            if port(a, "port", &apath)?.is_none() {
                return Err(ApiError::invalid(format!("{apath}.port is required.")));
            }
            a.opt_str("dnsName")?;
            if let Some(rules) = a.get("testTrafficRules") {
                let header = Req(rules)
                    .get("header")
                    .ok_or_else(|| ApiError::invalid(format!("{apath}.testTrafficRules.header is required.")))?;
                let hpath = format!("{apath}.testTrafficRules.header");
                required(Req(header), "name", &hpath)?;
                if let Some(value) = Req(header).get("value") {
                    required(Req(value), "exact", &format!("{hpath}.value"))?;
                }
            }
        }
        if let Some(t) = s.get("timeout") {
            for key in ["idleTimeoutSeconds", "perRequestTimeoutSeconds"] {
                if let Some(n) = Req(t).opt_i64(key)?
                    && !(0..=i64::from(i32::MAX)).contains(&n)
                {
                    return Err(ApiError::invalid(format!(
                        "{path}.timeout.{key} must be between 0 and 2147483647, got {n}."
                    )));
                }
            }
        }
        if let Some(tls) = s.get("tls")
            && Req(tls).get("issuerCertificateAuthority").is_none()
        {
            return Err(ApiError::invalid(format!("{path}.tls.issuerCertificateAuthority is required.")));
        }
    }
    if let Some(log) = r.get("logConfiguration") {
        required(Req(log), "logDriver", &format!("{P}.logConfiguration"))?;
    }
    if let Some(access) = r.get("accessLogConfiguration") {
        let apath = format!("{P}.accessLogConfiguration");
        required(Req(access), "format", &apath)?;
        one_of(Req(access), "format", &apath, &["TEXT", "JSON"])?;
        one_of(Req(access), "includeQueryParameters", &apath, &["DISABLED", "ENABLED"])?;
    }
    Ok(v.clone())
}

/// EBS volume types and their size ranges in GiB (botocore
/// ServiceManagedEBSVolumeConfiguration.sizeInGiB: "gp2 and gp3: 1-16,384; io1 and io2:
/// 4-16,384; st1 and sc1: 125-16,384; standard: 1-1,024"; .volumeType lists exactly these).
const VOLUME_TYPES: [(&str, i64, i64); 7] = [
    ("gp2", 1, 16_384),
    ("gp3", 1, 16_384),
    ("io1", 4, 16_384),
    ("io2", 4, 16_384),
    ("st1", 125, 16_384),
    ("sc1", 125, 16_384),
    ("standard", 1, 1_024),
];

/// One `volumeConfigurations` entry as sent, checked against botocore's
/// ServiceVolumeConfiguration (`name` required) and ServiceManagedEBSVolumeConfiguration:
///
/// - `roleArn` is required (a required member of the shape).
/// - sizeInGiB: "You must specify either a volume size or a snapshot ID", within the range of
///   the volume type (above). Without a volumeType the gp2/gp3 range is used: the model gives
///   no default type; ECS documents gp3 ("Amazon EBS volumes" in the ECS Developer Guide), and
///   nothing is written back.
/// - iops: "This parameter is required for io1 and io2 volume types" and "is not supported for
///   st1, sc1, or standard volume types"; "gp3: 3,000 - 16,000 IOPS, io1: 100 - 64,000 IOPS,
///   io2: 100 - 256,000 IOPS".
/// - throughput: "with a maximum of 1,000 MiB/s" and "only supported for the gp3 volume type".
/// - volumeInitializationRate: "can be specified only if you specify a snapshotId".
/// - filesystemType: TaskFilesystemType, ext3|ext4|xfs|ntfs.
/// - tagSpecifications: EBSTagSpecification (`resourceType` required, EBSResourceType
///   `volume`; propagateTags TASK_DEFINITION|SERVICE|NONE; tags with ECS's tag limits).
/// - "The magnetic volume type is not supported on Fargate" (volumeType): checked in `check`.
///
/// ServiceVolumeConfiguration.managedEBSVolume is not a required member, but CreateService
/// documents "Currently, the only supported volume type is an Amazon EBS volume", so an entry
/// without one configures nothing and is refused.
fn parse_volume(i: usize, v: &Value) -> ApiResult<Value> {
    let path = format!("volumeConfigurations[{i}]");
    let r = Req(v);
    required(r, "name", &path)?;
    let ebs = r.get("managedEBSVolume").ok_or_else(|| {
        ApiError::invalid(format!(
            "{path}.managedEBSVolume is required: Amazon EBS is the only volume type a service can configure at launch."
        ))
    })?;
    let path = format!("{path}.managedEBSVolume");
    let e = Req(ebs);
    required(e, "roleArn", &path)?;
    e.opt_bool("encrypted")?;
    e.opt_str("kmsKeyId")?;
    let volume_type = e.opt_str("volumeType")?;
    let (_, min, max) = match volume_type {
        None => VOLUME_TYPES[1],
        Some(t) => VOLUME_TYPES.iter().copied().find(|(n, _, _)| *n == t).ok_or_else(|| {
            let valid: Vec<&str> = VOLUME_TYPES.iter().map(|(n, _, _)| *n).collect();
            ApiError::invalid(format!("Invalid {path}.volumeType {t}. Valid values: {}.", valid.join(", ")))
        })?,
    };
    let size = e.opt_i64("sizeInGiB")?;
    let snapshot = e.opt_str("snapshotId")?;
    if size.is_none() && snapshot.is_none() {
        return Err(ApiError::invalid(format!("{path}: either sizeInGiB or snapshotId must be specified.")));
    }
    if let Some(s) = size
        && !(min..=max).contains(&s)
    {
        return Err(ApiError::invalid(format!(
            "{path}.sizeInGiB must be between {min} and {max} for volume type {}, got {s}.",
            volume_type.unwrap_or("gp3")
        )));
    }
    let t = volume_type.unwrap_or("gp3");
    match (t, e.opt_i64("iops")?) {
        ("io1" | "io2", None) => {
            return Err(ApiError::invalid(format!("{path}.iops is required for volume type {t}.")));
        }
        ("st1" | "sc1" | "standard", Some(_)) => {
            return Err(ApiError::invalid(format!("{path}.iops is not supported for volume type {t}.")));
        }
        (t, Some(n)) => {
            let range = match t {
                "gp3" => Some((3_000, 16_000)),
                "io1" => Some((100, 64_000)),
                "io2" => Some((100, 256_000)),
                _ => None,
            };
            if let Some((lo, hi)) = range
                && !(lo..=hi).contains(&n)
            {
                return Err(ApiError::invalid(format!(
                    "{path}.iops must be between {lo} and {hi} for volume type {t}, got {n}."
                )));
            }
        }
        _ => {}
    }
    if let Some(n) = e.opt_i64("throughput")? {
        if t != "gp3" {
            return Err(ApiError::invalid(format!(
                "{path}.throughput is only supported for volume type gp3, not {t}."
            )));
        }
        if !(1..=1000).contains(&n) {
            return Err(ApiError::invalid(format!("{path}.throughput must be at most 1000 MiB/s, got {n}.")));
        }
    }
    if e.opt_i64("volumeInitializationRate")?.is_some() && snapshot.is_none() {
        return Err(ApiError::invalid(format!(
            "{path}.volumeInitializationRate can be specified only with a snapshotId."
        )));
    }
    one_of(e, "filesystemType", &path, &["ext3", "ext4", "xfs", "ntfs"])?;
    for (j, spec) in objects(e, "tagSpecifications")?.iter().enumerate() {
        let spath = format!("{path}.tagSpecifications[{j}]");
        let s = Req(spec);
        required(s, "resourceType", &spath)?;
        one_of(s, "resourceType", &spath, &["volume"])?;
        one_of(s, "propagateTags", &spath, &["TASK_DEFINITION", "SERVICE", "NONE"])?;
        parse_tags(s.array("tags")?)?;
    }
    Ok(v.clone())
}

/// `volumeConfigurations` as sent; one entry per volume name.
fn parse_volumes(list: &[Value]) -> ApiResult<Vec<Value>> {
    let mut names = BTreeSet::new();
    let mut out = Vec::with_capacity(list.len());
    for (i, v) in list.iter().enumerate() {
        let v = parse_volume(i, v)?;
        let name = v["name"].as_str().unwrap_or_default().to_string();
        if !names.insert(name.clone()) {
            return Err(ApiError::invalid(format!("volumeConfigurations contains volume {name} more than once.")));
        }
        out.push(v);
    }
    Ok(out)
}

/// `vpcLatticeConfigurations` as sent: botocore VpcLatticeConfiguration requires `roleArn`,
/// `targetGroupArn` and `portName`.
fn parse_vpc_lattice(list: &[Value]) -> ApiResult<Vec<Value>> {
    let mut out = Vec::with_capacity(list.len());
    for (i, v) in list.iter().enumerate() {
        let path = format!("vpcLatticeConfigurations[{i}]");
        let r = Req(v);
        for key in ["roleArn", "targetGroupArn", "portName"] {
            required(r, key, &path)?;
        }
        out.push(v.clone());
    }
    Ok(out)
}

/// Every `portMappings[].name` of the task definition's containers.
fn port_names(td: &Value) -> BTreeSet<&str> {
    td["containerDefinitions"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["portMappings"].as_array().into_iter().flatten())
        .filter_map(|pm| pm["name"].as_str())
        .collect()
}

/// The names of the task definition's volumes with `configuredAtLaunch: true`.
fn launch_volumes(td: &Value) -> BTreeSet<&str> {
    td["volumes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|v| v["configuredAtLaunch"].as_bool() == Some(true))
        .filter_map(|v| v["name"].as_str())
        .collect()
}

impl DeploymentConfigs {
    /// The three as CreateService sends them.
    pub fn from_create(r: Req) -> ApiResult<Self> {
        DeploymentConfigs::default().update(r)
    }

    /// UpdateService: each member sent replaces the current one (`[]` removes volume or VPC
    /// Lattice configurations); a member left out (or null) stays.
    ///
    /// `serviceConnectConfiguration: {"enabled": false}` turns Service Connect off and is kept
    /// as sent, so the new deployment reports `{"enabled": false}`: the model describes
    /// Deployment.serviceConnectConfiguration as "the Service Connect configuration that's used
    /// by this deployment", and nothing AWS documents says ECS drops a configuration that turns
    /// the feature off (terraform-provider-aws reads `enabled = false` back from deployments
    /// after turning it off).
    pub fn update(&self, r: Req) -> ApiResult<Self> {
        let mut out = self.clone();
        if let Some(sc) = r.get("serviceConnectConfiguration") {
            out.service_connect = Some(parse_service_connect(sc)?);
        }
        if let Some(list) = r.opt_array("volumeConfigurations")? {
            out.volumes = parse_volumes(list)?;
        }
        if let Some(list) = r.opt_array("vpcLatticeConfigurations")? {
            out.vpc_lattice = parse_vpc_lattice(list)?;
        }
        Ok(out)
    }

    /// The configuration a new deployment stores: everything as the service has it, except
    /// Service Connect's namespace, which ECS resolves to the Cloud Map namespace and reports
    /// by ARN ([`Identity::namespace_arn`]):
    ///
    /// - a namespace sent (botocore ServiceConnectConfiguration.namespace: "The namespace name
    ///   or full Amazon Resource Name (ARN) of the Cloud Map namespace") is reported as the
    ///   namespace's ARN, an ARN as is;
    /// - Service Connect on with no namespace uses the cluster's default
    ///   (ClusterServiceConnectDefaultsRequest.namespace: "The namespace name or full ARN of the
    ///   Cloud Map namespace that's used when you create a service and don't specify a Service
    ///   Connect configuration"), `cluster_namespace`, and reports its ARN;
    /// - Service Connect off with no namespace (`{"enabled": false}`) is kept as sent.
    ///
    /// DescribeServices reports `deployments[].serviceConnectConfiguration.namespace` by ARN.
    /// The service keeps what was sent, so UpdateService compares against the request's own
    /// spelling.
    pub fn for_deployment(&self, ident: &Identity, cluster_namespace: Option<&str>) -> Self {
        let mut out = self.clone();
        let enabled = self.service_connect_enabled();
        if let Some(sc) = out.service_connect.as_mut() {
            let sent = sc["namespace"].as_str().filter(|n| !n.is_empty());
            let namespace = sent.or(cluster_namespace.filter(|n| enabled && !n.is_empty()));
            if let Some(ns) = namespace {
                sc["namespace"] = Value::String(ident.namespace_arn(ns));
            }
        }
        out
    }

    /// Service Connect is on.
    fn service_connect_enabled(&self) -> bool {
        self.service_connect.as_ref().is_some_and(|sc| sc["enabled"].as_bool() == Some(true))
    }

    /// What ECS checks against the task definition the service runs and the cluster:
    ///
    /// - ServiceConnectService.portName: "The portName must match the name of one of the
    ///   portMappings from all the containers in the task definition of this Amazon ECS
    ///   service"; VpcLatticeConfiguration.portName: "the name of the portMapping you defined in
    ///   your task definition".
    /// - Service Connect on needs a namespace: ServiceConnectConfiguration.namespace, or the
    ///   cluster's default (botocore ClusterServiceConnectDefaultsRequest.namespace: "The
    ///   namespace name or full ARN of the Cloud Map namespace that's used when you create a
    ///   service and don't specify a Service Connect configuration").
    /// - ServiceVolumeConfiguration.name: "This value must match the volume name from the
    ///   Volume object in the task definition", and the volume must be configured at launch:
    ///   AWS answers "Invalid request provided: Volume configuration provided but no matching
    ///   configuredAtLaunch volume found in task definition." (quoted in go-to-k/cdkd PR 811).
    /// - A task definition volume with `configuredAtLaunch: true` that the service does not
    ///   configure: botocore Volume.configuredAtLaunch: "To configure a volume at launch time,
    ///   use this task definition revision and specify a volumeConfigurations object when
    ///   calling the CreateService, UpdateService, RunTask or StartTask APIs." AWS documents no
    ///   outcome when it is left out; ecs-sim refuses the request (InvalidParameterException)
    ///   rather than start tasks that could not get their volume.
    /// - "The magnetic volume type is not supported on Fargate"
    ///   (ServiceManagedEBSVolumeConfiguration.volumeType).
    pub fn check(&self, td: &Value, cluster_namespace: Option<&Value>, fargate: bool) -> ApiResult<()> {
        let ports = port_names(td);
        if self.service_connect_enabled()
            && let Some(sc) = &self.service_connect
        {
            let sent = sc["namespace"].as_str().filter(|n| !n.is_empty());
            if sent.is_none() && cluster_namespace.is_none() {
                return Err(ApiError::invalid(
                    "serviceConnectConfiguration.namespace is required: the service does not name a namespace and the cluster has no serviceConnectDefaults namespace.",
                ));
            }
            for (i, s) in sc["services"].as_array().into_iter().flatten().enumerate() {
                let name = s["portName"].as_str().unwrap_or_default();
                if !ports.contains(name) {
                    return Err(ApiError::invalid(format!(
                        "serviceConnectConfiguration.services[{i}].portName {name} does not match the name of any portMappings in the task definition."
                    )));
                }
            }
        }
        for (i, l) in self.vpc_lattice.iter().enumerate() {
            let name = l["portName"].as_str().unwrap_or_default();
            if !ports.contains(name) {
                return Err(ApiError::invalid(format!(
                    "vpcLatticeConfigurations[{i}].portName {name} does not match the name of any portMappings in the task definition."
                )));
            }
        }
        let at_launch = launch_volumes(td);
        for v in &self.volumes {
            let name = v["name"].as_str().unwrap_or_default();
            if !at_launch.contains(name) {
                return Err(ApiError::invalid(format!(
                    "Invalid request provided: Volume configuration provided but no matching configuredAtLaunch volume found in task definition. (volumeConfigurations name {name})"
                )));
            }
            if fargate && v.pointer("/managedEBSVolume/volumeType").and_then(Value::as_str) == Some("standard") {
                return Err(ApiError::invalid(format!(
                    "volumeConfigurations {name}: the magnetic (standard) volume type is not supported on Fargate."
                )));
            }
        }
        for name in at_launch {
            if !self.volumes.iter().any(|v| v["name"].as_str() == Some(name)) {
                return Err(ApiError::invalid(format!(
                    "The task definition volume {name} is configuredAtLaunch; volumeConfigurations must configure it."
                )));
            }
        }
        Ok(())
    }

    /// Adds the three to a deployment's JSON, each only when the deployment has one.
    pub fn write_json(&self, v: &mut Value) {
        if let Some(sc) = &self.service_connect {
            v["serviceConnectConfiguration"] = sc.clone();
        }
        if !self.volumes.is_empty() {
            v["volumeConfigurations"] = json!(self.volumes);
        }
        if !self.vpc_lattice.is_empty() {
            v["vpcLatticeConfigurations"] = json!(self.vpc_lattice);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn td() -> Value {
        json!({
            "containerDefinitions": [{"name": "app", "portMappings": [{"containerPort": 80, "name": "http"}]}],
            "volumes": [{"name": "data", "configuredAtLaunch": true}],
        })
    }

    fn ebs(extra: Value) -> Value {
        let mut e = json!({"roleArn": "arn:aws:iam::1:role/ebs", "sizeInGiB": 10});
        for (k, v) in extra.as_object().unwrap() {
            e[k] = v.clone();
        }
        json!({"volumeConfigurations": [{"name": "data", "managedEBSVolume": e}]})
    }

    #[test]
    fn ebs_rules() {
        let ok = |b: Value| DeploymentConfigs::from_create(Req(&b)).is_ok();
        assert!(ok(ebs(json!({}))));
        assert!(!ok(ebs(json!({"volumeType": "io2"}))), "iops required for io2");
        assert!(ok(ebs(json!({"volumeType": "io2", "iops": 1000}))));
        assert!(!ok(ebs(json!({"volumeType": "st1", "sizeInGiB": 10}))), "st1 starts at 125 GiB");
        assert!(!ok(ebs(json!({"volumeType": "sc1", "sizeInGiB": 200, "iops": 100}))));
        assert!(!ok(ebs(json!({"volumeType": "gp2", "throughput": 200}))));
        assert!(ok(ebs(json!({"volumeType": "gp3", "throughput": 200}))));
        assert!(!ok(ebs(json!({"volumeInitializationRate": 100}))));
        assert!(!ok(ebs(json!({"filesystemType": "btrfs"}))));
        assert!(!ok(ebs(json!({"volumeType": "standard", "sizeInGiB": 2000}))));
    }

    #[test]
    fn td_cross_checks() {
        let b = json!({"serviceConnectConfiguration": {"enabled": true, "services": [{"portName": "grpc"}]}});
        let c = DeploymentConfigs::from_create(Req(&b)).unwrap();
        let ns = json!({"namespace": "ns"});
        assert!(c.check(&td(), Some(&ns), false).is_err());
        let b = json!({"serviceConnectConfiguration": {"enabled": true, "services": [{"portName": "http"}]}, "volumeConfigurations": ebs(json!({}))["volumeConfigurations"]});
        let c = DeploymentConfigs::from_create(Req(&b)).unwrap();
        assert!(c.check(&td(), Some(&ns), false).is_ok());
        assert!(c.check(&td(), None, false).is_err(), "no namespace anywhere");
    }

    #[test]
    fn a_deployment_reports_the_namespace_arn() {
        let ident = Identity { region: "us-east-1".into(), account: "123456789012".into() };
        let shop = ident.namespace_arn("shop");
        let ns = |b: Value, cluster: Option<&str>| {
            let c = DeploymentConfigs::from_create(Req(&b)).unwrap();
            assert_eq!(
                c.service_connect,
                Some(b["serviceConnectConfiguration"].clone()),
                "the service keeps it as sent"
            );
            c.for_deployment(&ident, cluster).service_connect.unwrap()
        };
        let named = ns(json!({"serviceConnectConfiguration": {"enabled": true, "namespace": "shop"}}), Some("other"));
        assert_eq!(named["namespace"], json!(shop), "a name sent wins over the cluster default");
        let arn = "arn:aws:servicediscovery:eu-west-1:1:namespace/ns-x";
        let as_arn = ns(json!({"serviceConnectConfiguration": {"enabled": true, "namespace": arn}}), Some("shop"));
        assert_eq!(as_arn["namespace"], json!(arn), "an ARN is kept as is");
        let default = ns(json!({"serviceConnectConfiguration": {"enabled": true}}), Some("shop"));
        assert_eq!(default["namespace"], json!(shop), "the cluster default, by ARN");
        let off = ns(json!({"serviceConnectConfiguration": {"enabled": false}}), Some("shop"));
        assert_eq!(off, json!({"enabled": false}), "off with no namespace is kept as sent");
    }
}
