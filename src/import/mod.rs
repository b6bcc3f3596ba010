//! `ecs-operator import`: manifests for what already runs in ECS, so that a team can bring its
//! services into Git without writing YAML by hand. Reads one cluster (its capacity providers,
//! the chosen services, the revisions they run and their Application Auto Scaling set-up) and
//! writes an ECSCluster, CapacityProviders, one TaskDefinition per family and one ECSService
//! per service ([`build`]). Applied with the operator running, the objects adopt what exists:
//! the only writes are the owner tags.

pub mod build;

use std::collections::BTreeMap;
use std::path::Path;

use self::build::{Choices, Described, DescribedService, Import};
use crate::aws::AwsClients;
use crate::aws::autoscaling::resource_id;
use crate::aws::error::AwsError;
use aws_sdk_ecs::types::TaskDefinitionStatus;

/// What to import.
#[derive(Debug, Clone)]
pub struct Selection {
    pub cluster: String,
    /// Service names; empty with `all_services` for every service of the cluster.
    pub services: Vec<String>,
    pub all_services: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportFailure {
    #[error("{0}")]
    Aws(#[from] AwsError),
    #[error("{0}")]
    Build(#[from] build::ImportError),
    #[error("{0}")]
    Input(String),
    #[error("writing {path}: {source}")]
    Write { path: String, source: std::io::Error },
}

/// Reads what `selection` names from ECS and Application Auto Scaling.
pub async fn describe(aws: &AwsClients, selection: &Selection) -> Result<Described, ImportFailure> {
    if selection.services.is_empty() && !selection.all_services {
        return Err(ImportFailure::Input("name the services with --service a,b or pass --all-services".into()));
    }
    let ecs = aws.ecs.as_ref();
    let name = &selection.cluster;
    let cluster = ecs
        .describe_clusters(vec![name.clone()])
        .await?
        .into_iter()
        .find(|c| c.cluster_name() == Some(name.as_str()) && c.status() == Some("ACTIVE"))
        .ok_or_else(|| ImportFailure::Input(format!("--cluster: ECS has no ACTIVE cluster {name:?}")))?;
    let provider_names: Vec<String> = cluster
        .capacity_providers()
        .iter()
        .filter(|p| !matches!(p.as_str(), "FARGATE" | "FARGATE_SPOT"))
        .cloned()
        .collect();
    let providers = if provider_names.is_empty() {
        Vec::new()
    } else {
        ecs.describe_capacity_providers(provider_names, Some(name.as_str())).await?
    };
    let names = if selection.all_services {
        let arns = ecs.list_services(name).await?;
        arns.iter().map(|arn| arn.rsplit('/').next().unwrap_or(arn).to_owned()).collect()
    } else {
        selection.services.clone()
    };
    let mut services = Vec::new();
    let mut skipped = Vec::new();
    for batch in names.chunks(crate::aws::ecs::DESCRIBE_SERVICES_LIMIT) {
        let found = ecs.describe_services(name, batch.to_vec()).await?;
        for wanted in batch {
            let active =
                found.iter().find(|s| s.service_name() == Some(wanted.as_str()) && s.status() == Some("ACTIVE"));
            let controller = active.and_then(|s| s.deployment_controller()).map(|c| c.r#type().as_str().to_owned());
            let why = match (active, controller.as_deref()) {
                (None, _) => format!("cluster {name} has no ACTIVE service {wanted:?}"),
                (Some(_), Some(other)) if other != "ECS" => format!(
                    "service {wanted:?} uses the {other} deployment controller, which ecs-operator does not manage"
                ),
                (Some(service), _) if is_express(aws, service).await? => format!(
                    "service {wanted:?} is an ECS Express Mode service, which import does not write yet \
                     (describe it as an ECSExpressService by hand)"
                ),
                (Some(service), _) => {
                    let id = resource_id(name, wanted);
                    let target = aws.autoscaling.describe_target(&id).await?;
                    let policies =
                        if target.is_some() { aws.autoscaling.describe_policies(&id).await? } else { Vec::new() };
                    services.push(DescribedService { service: service.clone(), target, policies });
                    continue;
                }
            };
            // Named on the command line: an error. Found by --all-services (draining, or
            // deployed by another controller): left out, and said so.
            if selection.all_services {
                skipped.push(why);
            } else {
                return Err(ImportFailure::Input(format!("--service: {why}")));
            }
        }
    }
    let mut revisions = BTreeMap::new();
    for found in &services {
        let Some(arn) = found.service.task_definition() else { continue };
        if revisions.contains_key(arn) {
            continue;
        }
        let described = ecs.describe_task_definition(arn).await?.ok_or_else(|| {
            ImportFailure::Input(format!("task definition {arn} that a service runs is not in ECS any more"))
        })?;
        revisions.insert(arn.to_owned(), (described.task_definition, described.tags));
    }
    // Newer ACTIVE revisions of a family than the ones the services run: the TaskDefinition
    // reports them (registered outside the object) once adopted.
    let families: std::collections::BTreeSet<String> =
        revisions.values().filter_map(|(td, _)| td.family().map(str::to_owned)).collect();
    let mut active_revisions = BTreeMap::new();
    for family in families {
        let active = ecs.list_task_definitions(&family, TaskDefinitionStatus::Active).await?;
        active_revisions.insert(family, active);
    }
    Ok(Described { cluster, providers, services, revisions, active_revisions, skipped })
}

/// Whether ECS runs `service` for an Express Mode service: DescribeExpressGatewayService
/// answers for it (and refuses any other service with InvalidParameterException).
async fn is_express(aws: &AwsClients, service: &aws_sdk_ecs::types::Service) -> Result<bool, ImportFailure> {
    let Some(arn) = service.service_arn() else { return Ok(false) };
    match aws.ecs.describe_express_service(arn).await {
        Ok(found) => Ok(found.is_some()),
        Err(e) if e.code == "InvalidParameterException" => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Writes `import` under the header for `source`: to stdout as one YAML stream (`out` is `-`),
/// or one file an object in the directory `out` (`<kind>-<name>.yaml`, made if missing), each
/// with its own notes. Returns what was written, one line each.
pub fn write(import: &Import, source: &str, choices: &Choices, out: &str) -> Result<Vec<String>, ImportFailure> {
    if out == "-" {
        let mut text = build::header(source, choices, &import.notes());
        for object in &import.objects {
            text.push_str("---\n");
            text.push_str(&object.yaml);
        }
        print!("{text}");
        return Ok(Vec::new());
    }
    let dir = Path::new(out);
    let io = |path: &Path, source| ImportFailure::Write { path: path.display().to_string(), source };
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let mut written = Vec::new();
    for object in &import.objects {
        let path = dir.join(format!("{}-{}.yaml", object.kind.to_ascii_lowercase(), object.name));
        let header = build::header(source, choices, &object.notes);
        std::fs::write(&path, format!("{header}{}", object.yaml)).map_err(|e| io(&path, e))?;
        written.push(format!("{} {} -> {}", object.kind, object.name, path.display()));
    }
    Ok(written)
}

/// Reads, builds and writes: the whole command.
pub async fn run(
    aws: &AwsClients,
    selection: &Selection,
    choices: &Choices,
    source: &str,
    out: &str,
) -> Result<Vec<String>, ImportFailure> {
    let described = describe(aws, selection).await?;
    let import = build::build(&described, choices)?;
    let mut lines: Vec<String> = described.skipped.iter().map(|why| format!("skipped: {why}")).collect();
    lines.extend(write(&import, source, choices, out)?);
    Ok(lines)
}
