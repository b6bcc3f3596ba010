//! The pure half of `ecs-operator import`: ECS's descriptions turned into the operator's
//! objects, in canonical form (ECS defaults left out, fields in the CRD's order), linked by
//! references, and printed as YAML under a header saying where they came from. No I/O.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ecs::types;
use kube::api::ObjectMeta;
use serde::Serialize;

use crate::aws::autoscaling::{ScalableTarget, TargetTracking};
use crate::aws::convert::capacity_provider::capacity_provider_spec_from_sdk;
use crate::aws::convert::cluster::cluster_spec_from_sdk;
use crate::aws::convert::service::service_spec_from_sdk;
use crate::aws::convert::task_definition::task_definition_spec_from_sdk;
use crate::aws::convert::user_tags_from_sdk;
use crate::aws::ecs::family_of;
use crate::canonical::defaults::{self, FieldDefault};
use crate::canonical::service::LATEST_PLATFORM_VERSION;
use crate::canonical::task_definition::canonical_task_definition;
use crate::controller::references::family_revision;
use crate::crd::common::LocalObjectRef;
use crate::crd::service::{Autoscaling, TargetTrackingPolicy};
use crate::crd::{
    CapacityProvider, CapacityProviderSpec, DeletionPolicy, ECSCluster, ECSClusterSpec, ECSService, ECSServiceSpec,
    Policies, TaskDefinition, TaskDefinitionSpec,
};

/// How the imported objects treat what they find.
#[derive(Debug, Clone)]
pub struct Choices {
    /// `metadata.namespace` of every object (None: kubectl's current namespace).
    pub namespace: Option<String>,
    pub deletion_policy: DeletionPolicy,
    pub adopt: bool,
}

impl Choices {
    fn policies(&self) -> Policies {
        Policies {
            deletion_policy: Some(self.deletion_policy),
            adopt: self.adopt.then_some(true),
            ..Policies::default()
        }
    }

    fn meta(&self, name: &str) -> ObjectMeta {
        ObjectMeta { name: Some(name.to_owned()), namespace: self.namespace.clone(), ..ObjectMeta::default() }
    }
}

/// What ECS described for one service, with its Application Auto Scaling set-up.
#[derive(Debug, Clone)]
pub struct DescribedService {
    pub service: types::Service,
    pub target: Option<ScalableTarget>,
    pub policies: Vec<TargetTracking>,
}

/// Everything the import read.
#[derive(Debug, Clone)]
pub struct Described {
    pub cluster: types::Cluster,
    pub providers: Vec<types::CapacityProvider>,
    pub services: Vec<DescribedService>,
    /// The revisions the services run, by ARN, with their tags.
    pub revisions: BTreeMap<String, (types::TaskDefinition, Vec<types::Tag>)>,
    /// Every ACTIVE revision ARN of those families, by family.
    pub active_revisions: BTreeMap<String, Vec<String>>,
    /// Services `--all-services` left out, and why.
    pub skipped: Vec<String>,
}

/// One object to write, and what a reader must know about it.
#[derive(Debug, Clone)]
pub struct Imported {
    pub kind: &'static str,
    pub name: String,
    pub yaml: String,
    /// What a reader of this object must know (see [`header`]).
    pub notes: Vec<String>,
}

/// The result: the objects, in the order they are applied.
#[derive(Debug, Clone, Default)]
pub struct Import {
    pub objects: Vec<Imported>,
}

impl Import {
    /// Every object's notes, for a header over all of them.
    pub fn notes(&self) -> Vec<String> {
        self.objects.iter().flat_map(|o| o.notes.clone()).collect()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{what}: {message}")]
pub struct ImportError {
    pub what: String,
    pub message: String,
}

fn failed(what: impl Into<String>, message: impl std::fmt::Display) -> ImportError {
    ImportError { what: what.into(), message: message.to_string() }
}

/// A Kubernetes object name for an ECS name: lower case, `_` and other characters Kubernetes
/// refuses as `-`, at most 253 characters.
pub fn object_name(ecs_name: &str) -> String {
    let mapped: String = ecs_name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c.to_ascii_lowercase() } else { '-' })
        .collect();
    let trimmed = mapped.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    let name: String = trimmed.chars().take(253).collect();
    if name.is_empty() { "imported".into() } else { name }
}

/// Unique object names per kind: a second ECS name that maps to a taken one gets a suffix.
#[derive(Default)]
struct Names(BTreeMap<&'static str, BTreeSet<String>>);

impl Names {
    fn take(&mut self, kind: &'static str, ecs_name: &str) -> String {
        let base = object_name(ecs_name);
        let taken = self.0.entry(kind).or_default();
        let mut name = base.clone();
        let mut n = 2;
        while taken.contains(&name) {
            name = format!("{base}-{n}");
            n += 1;
        }
        taken.insert(name.clone());
        name
    }
}

/// The explicit ECS name a spec needs: None when the object name is the ECS name.
fn explicit(object: &str, ecs_name: &str) -> Option<String> {
    (object != ecs_name).then(|| ecs_name.to_owned())
}

/// Builds the objects for `described`, in the order they are applied: capacity providers and
/// the cluster, task definitions, services.
pub fn build(described: &Described, choices: &Choices) -> Result<Import, ImportError> {
    let mut names = Names::default();
    let mut import = Import::default();
    let cluster_ecs_name = described.cluster.cluster_name().unwrap_or_default().to_owned();
    let cluster_object = names.take("ECSCluster", &cluster_ecs_name);

    // Managed Instances providers are made inside the cluster: their objects name it, and ECS
    // adds them to its list itself.
    let mut made_inside = Vec::new();
    for provider in &described.providers {
        let ecs_name = provider.name().unwrap_or_default().to_owned();
        let what = format!("capacity provider {ecs_name}");
        let spec = capacity_provider_spec_from_sdk(provider).map_err(|e| failed(&what, e))?;
        let name = names.take("CapacityProvider", &ecs_name);
        let inside = spec.managed_instances_provider.is_some();
        if inside {
            made_inside.push(ecs_name.clone());
        }
        let spec = CapacityProviderSpec {
            name: explicit(&name, &ecs_name),
            cluster: None,
            cluster_ref: inside.then(|| LocalObjectRef { name: cluster_object.clone() }),
            policies: choices.policies(),
            ..minimal(spec, defaults::CAPACITY_PROVIDER, &what)?
        };
        let object = CapacityProvider { metadata: choices.meta(&name), spec, status: None };
        import.objects.push(imported("CapacityProvider", &name, &object, &what)?);
    }

    let what = format!("ECS cluster {cluster_ecs_name}");
    let spec = cluster_spec_from_sdk(&described.cluster).map_err(|e| failed(&what, e))?;
    let mut spec = ECSClusterSpec {
        cluster_name: explicit(&cluster_object, &cluster_ecs_name),
        policies: choices.policies(),
        ..minimal(spec, defaults::CLUSTER, &what)?
    };
    if let Some(list) = spec.capacity_providers.as_mut() {
        list.retain(|p| !made_inside.contains(p));
    }
    spec.capacity_providers = spec.capacity_providers.filter(|l| !l.is_empty());
    let object = ECSCluster { metadata: choices.meta(&cluster_object), spec, status: None };
    import.objects.push(imported("ECSCluster", &cluster_object, &object, &what)?);

    // One TaskDefinition per family, from the newest revision the services run; a service on
    // an older revision of it names that revision instead, so applying changes nothing.
    let mut families: BTreeMap<String, (String, i32)> = BTreeMap::new();
    for (arn, (td, _)) in &described.revisions {
        let family = td.family().unwrap_or_default().to_owned();
        let entry = families.entry(family).or_insert_with(|| (arn.clone(), td.revision));
        if td.revision > entry.1 {
            *entry = (arn.clone(), td.revision);
        }
    }
    let mut td_objects: BTreeMap<String, String> = BTreeMap::new();
    for (family, (arn, _)) in &families {
        let Some((td, tags)) = described.revisions.get(arn) else { continue };
        let what = format!("task definition {}", family_revision(arn));
        let spec = task_definition_spec_from_sdk(td, tags).map_err(|e| failed(&what, e))?;
        let canonical = canonical_task_definition(&spec, family).map_err(|e| failed(&what, e))?;
        let name = names.take("TaskDefinition", family);
        let has_environment =
            canonical.container_definitions.iter().any(|c| c.environment.as_ref().is_some_and(|e| !e.is_empty()));
        let mut notes: Vec<String> = has_environment
            .then(|| {
                format!(
                    "TaskDefinition {name}: container environment values are copied as ECS holds them and are now \
                     in Git; move anything sensitive to secrets (valueFrom), which are written as the ARNs ECS holds"
                )
            })
            .into_iter()
            .collect();
        let newer: Vec<String> = described
            .active_revisions
            .get(family)
            .into_iter()
            .flatten()
            .filter(|a| crate::aws::ecs::revision_of(a).is_some_and(|r| r > i64::from(td.revision)))
            .map(|a| family_revision(a))
            .collect();
        if !newer.is_empty() {
            // Adoption looks for the spec's content among the newest ACTIVE revisions only.
            let search = crate::controller::task_definition::observe::TAG_SEARCH_LIMIT;
            let beyond = if newer.len() >= search {
                format!(
                    "; adoption looks at the {search} newest ACTIVE revisions only, so deregister the newer ones \
                     before applying or the same content is registered as a new revision"
                )
            } else {
                String::new()
            };
            notes.push(format!(
                "TaskDefinition {name}: family {family} has ACTIVE revisions newer than {} that no service runs \
                 ({}); once adopted, the object reports them as registered outside it until they are \
                 deregistered{beyond}",
                family_revision(arn),
                newer.join(", ")
            ));
        }
        let spec = TaskDefinitionSpec {
            family: explicit(&name, family),
            tags: user_tags_from_sdk(tags),
            policies: choices.policies(),
            ..canonical
        };
        let object = TaskDefinition { metadata: choices.meta(&name), spec, status: None };
        import.objects.push(Imported { notes, ..imported("TaskDefinition", &name, &object, &what)? });
        td_objects.insert(arn.clone(), name);
    }

    for found in &described.services {
        let service = &found.service;
        let ecs_name = service.service_name().unwrap_or_default().to_owned();
        let what = format!("ECS service {ecs_name}");
        let spec = service_spec_from_sdk(service).map_err(|e| failed(&what, e))?;
        let name = names.take("ECSService", &ecs_name);
        let running = service.task_definition().unwrap_or_default();
        let mut notes = Vec::new();
        let (task_definition, task_definition_ref) = match td_objects.get(running) {
            Some(object) => (None, Some(LocalObjectRef { name: object.clone() })),
            None => {
                let family = family_of(running).unwrap_or_default();
                let holder = families
                    .get(family)
                    .and_then(|(newest, _)| td_objects.get(newest))
                    .cloned()
                    .unwrap_or_else(|| object_name(family));
                notes.push(format!(
                    "ECSService {name} runs {}, older than the revision TaskDefinition {holder} holds: it names that \
                     revision; switch it to taskDefinitionRef to roll it forward",
                    family_revision(running),
                ));
                (Some(family_revision(running)), None)
            }
        };
        let autoscaling = autoscaling(found);
        let spec = ECSServiceSpec {
            service_name: explicit(&name, &ecs_name),
            cluster: None,
            cluster_ref: Some(LocalObjectRef { name: cluster_object.clone() }),
            task_definition,
            task_definition_ref,
            // While Application Auto Scaling owns the count, the spec leaves it alone.
            desired_count: if autoscaling.is_some() { None } else { spec.desired_count },
            platform_version: spec.platform_version.clone().filter(|v| v != LATEST_PLATFORM_VERSION),
            autoscaling,
            policies: choices.policies(),
            ..spec
        };
        let spec = minimal(spec, defaults::SERVICE, &what)?;
        let object = ECSService { metadata: choices.meta(&name), spec, status: None };
        import.objects.push(Imported { notes, ..imported("ECSService", &name, &object, &what)? });
    }
    Ok(import)
}

/// `spec` without the values equal to ECS's defaults in `table`, and without the blocks that
/// leaves empty (a block with only a default in it says nothing). A default the schema
/// requires where its block is set (a circuit breaker's `rollback: false` next to
/// `enable: true`) stays: each is left out only when the spec is still valid without it.
fn minimal<T: Serialize + serde::de::DeserializeOwned>(
    spec: T,
    table: &[FieldDefault],
    what: &str,
) -> Result<T, ImportError> {
    let mut json = serde_json::to_value(&spec).map_err(|e| failed(what, e))?;
    for entry in table {
        let mut without = defaults::strip(json.clone(), std::slice::from_ref(entry));
        prune_empty_blocks(&mut without);
        if serde_json::from_value::<T>(without.clone()).is_ok() {
            json = without;
        }
    }
    serde_json::from_value(json).map_err(|e| failed(what, e))
}

/// Removes the objects left empty, innermost first.
fn prune_empty_blocks(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.values_mut().for_each(prune_empty_blocks);
            map.retain(|_, v| !matches!(v, serde_json::Value::Object(m) if m.is_empty()));
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(prune_empty_blocks),
        _ => {}
    }
}

/// `spec.autoscaling` for what Application Auto Scaling holds (None: no scalable target).
fn autoscaling(found: &DescribedService) -> Option<Autoscaling> {
    let target = found.target.as_ref()?;
    let policies: Vec<TargetTrackingPolicy> = found
        .policies
        .iter()
        .filter_map(|p| {
            let metric = serde_json::from_value(serde_json::Value::String(p.metric.clone())).ok()?;
            Some(TargetTrackingPolicy {
                name: p.name.clone(),
                metric,
                target_value: p.target_value,
                resource_label: p.resource_label.clone(),
                scale_in_cooldown: p.scale_in_cooldown,
                scale_out_cooldown: p.scale_out_cooldown,
                disable_scale_in: p.disable_scale_in.then_some(true),
            })
        })
        .collect();
    Some(Autoscaling {
        min_capacity: target.min,
        max_capacity: target.max,
        target_tracking: (!policies.is_empty()).then_some(policies),
    })
}

fn imported<T: Serialize>(kind: &'static str, name: &str, object: &T, what: &str) -> Result<Imported, ImportError> {
    let yaml = serde_yaml::to_string(object).map_err(|e| failed(what, e))?;
    Ok(Imported { kind, name: name.to_owned(), yaml, notes: Vec::new() })
}

/// The comment every output starts with: where the objects came from, what they do on apply,
/// and the notes.
pub fn header(source: &str, choices: &Choices, notes: &[String]) -> String {
    let deletion = match choices.deletion_policy {
        DeletionPolicy::Retain => "deletionPolicy: Retain leaves them in AWS when an object is deleted",
        DeletionPolicy::Delete => "deletionPolicy: Delete removes them from AWS when an object is deleted",
    };
    let adopt = if choices.adopt {
        "adopt: true takes over what exists (one TagResource each adds the owner tags)"
    } else {
        "adopt is off: applying refuses resources not created by ecs-operator"
    };
    let mut out = format!(
        "# Imported by `ecs-operator import` from {source}.\n\
         # Canonical form: ECS defaults are left out. {adopt}; {deletion}.\n\
         # Secrets are written as the ARNs ECS holds, never as values.\n\
         # Preview before applying: ecs-operator diff -f <these files>\n"
    );
    for note in notes {
        out.push_str(&format!("# NOTE: {note}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecs_names_become_object_names() {
        assert_eq!(object_name("web"), "web");
        assert_eq!(object_name("Orders_API"), "orders-api");
        assert_eq!(object_name("_x_"), "x");
        assert_eq!(object_name("__"), "imported");
        let mut names = Names::default();
        assert_eq!(names.take("ECSService", "Web"), "web");
        assert_eq!(names.take("ECSService", "web"), "web-2");
        assert_eq!(names.take("TaskDefinition", "web"), "web", "kinds do not share names");
        assert_eq!(explicit("orders-api", "Orders_API").as_deref(), Some("Orders_API"));
        assert_eq!(explicit("web", "web"), None);
    }

    /// Every field of the full fixtures, created and described as ECS would, imported and read
    /// back: each object's plan finds nothing to write (the same content hash for the revision,
    /// no compared difference for the rest), and a Managed Instances provider names its cluster.
    #[test]
    fn the_full_fixtures_import_to_specs_that_plan_nothing() {
        use crate::aws::convert::capacity_provider::create_capacity_provider_input;
        use crate::aws::convert::cluster::create_cluster_input;
        use crate::aws::convert::fixtures::*;
        use crate::aws::convert::service::{ServiceTarget, create_service_input};
        use crate::aws::convert::task_definition::register_task_definition_input;
        use crate::canonical::capacity_provider::canonical_capacity_provider;
        use crate::canonical::cluster::canonical_cluster;
        use crate::canonical::compare;
        use crate::canonical::defaults::{CAPACITY_PROVIDER_NOT_COMPARED, CLUSTER_NOT_COMPARED, SERVICE_NOT_COMPARED};
        use crate::canonical::service::canonical_service;
        use crate::canonical::task_definition::task_definition_hash;
        use crate::controller::{capacity_provider, cluster, service};
        use crate::crd::common::Tags;

        let none = Tags::new();
        let td_input = register_task_definition_input(&full_task_definition_spec(), "web", &none).expect("td input");
        let td = described_task_definition(&td_input);
        let td_arn = td.task_definition_arn().expect("arn").to_owned();
        let target = ServiceTarget { cluster: CLUSTER_ARN, service_name: "web", task_definition_arn: &td_arn };
        let described_svc =
            described_service(&create_service_input(&full_service_spec(), &target, &none, None).expect("input"));
        let asg = CapacityProviderSpec {
            managed_instances_provider: None,
            cluster: None,
            cluster_ref: None,
            ..full_capacity_provider_spec()
        };
        let inside = CapacityProviderSpec {
            auto_scaling_group_provider: None,
            cluster_ref: None,
            ..full_capacity_provider_spec()
        };
        let providers: Vec<types::CapacityProvider> = [("batch", &asg), ("inside", &inside)]
            .into_iter()
            .map(|(name, spec)| {
                described_capacity_provider(&create_capacity_provider_input(spec, name, &none).expect("input"))
            })
            .collect();
        let mut cluster_spec = full_cluster_spec();
        cluster_spec.capacity_providers =
            Some(["FARGATE", "FARGATE_SPOT", "batch", "inside"].map(String::from).to_vec());
        let described_cluster = described_cluster(&create_cluster_input(&cluster_spec, "prod", &none).expect("input"));
        let scaling = mk_autoscaling();
        let target_now = ScalableTarget { min: scaling.min_capacity, max: scaling.max_capacity };
        let policies = service::autoscaling::desired_policies(&scaling);
        let described = Described {
            cluster: described_cluster.clone(),
            providers: providers.clone(),
            services: vec![DescribedService {
                service: described_svc.clone(),
                target: Some(target_now),
                policies: policies.clone(),
            }],
            revisions: [(td_arn.clone(), (td.clone(), Vec::new()))].into(),
            // Ten revisions newer than the one the service runs (3): more than adoption looks at.
            active_revisions: [(
                "web".to_owned(),
                (4..=13).map(|n| format!("arn:aws:ecs:eu-west-1:123456789012:task-definition/web:{n}")).collect(),
            )]
            .into(),
            skipped: Vec::new(),
        };
        let choices = Choices { namespace: None, deletion_policy: DeletionPolicy::Retain, adopt: true };
        let import = build(&described, &choices).expect("import");
        let yaml = |kind: &str, name: &str| {
            let found = import.objects.iter().find(|o| o.kind == kind && o.name == name);
            found.unwrap_or_else(|| panic!("{kind} {name}")).yaml.clone()
        };

        let notes = &import.objects.iter().find(|o| o.kind == "TaskDefinition").expect("td").notes;
        assert!(
            notes.iter().any(|n| n.contains("newer than web:3 that no service runs (web:4, ")
                && n.contains("adoption looks at the 10 newest")),
            "{notes:?}"
        );
        let imported: TaskDefinition = serde_yaml::from_str(&yaml("TaskDefinition", "web")).expect("yaml");
        let live = task_definition_spec_from_sdk(&td, &[]).expect("spec");
        assert_eq!(task_definition_hash(&imported.spec, "web"), task_definition_hash(&live, "web"));

        let imported: ECSService = serde_yaml::from_str(&yaml("ECSService", "web")).expect("yaml");
        assert_eq!(imported.spec.task_definition_ref.as_ref().map(|r| r.name.as_str()), Some("web"));
        assert_eq!(imported.spec.desired_count, None, "the scaler owns the count");
        let desired = canonical_service(&imported.spec, Some(&td_arn), true);
        let (actual, _) = service::observe::actual(&described_svc, true, &desired, None).expect("actual");
        let differences = compare(&desired, &actual.spec, SERVICE_NOT_COMPARED);
        assert!(differences.is_empty(), "{differences:?}");
        let scaling = imported.spec.autoscaling.expect("autoscaling");
        assert!(!service::autoscaling::plan(&scaling, Some(target_now), &policies).writes());

        let imported: ECSCluster = serde_yaml::from_str(&yaml("ECSCluster", "prod")).expect("yaml");
        assert_eq!(
            imported.spec.capacity_providers.as_deref(),
            Some(["FARGATE", "FARGATE_SPOT", "batch"].map(String::from).as_slice()),
            "the provider made inside is ECS's to list"
        );
        let desired = canonical_cluster(&imported.spec);
        let mut actual = cluster::observe::actual(&described_cluster, &desired).expect("actual");
        cluster::providers::without_made_inside(&mut actual.spec.capacity_providers, &["inside".to_owned()]);
        let differences = compare(&desired, &actual.spec, CLUSTER_NOT_COMPARED);
        assert!(differences.is_empty(), "{differences:?}");

        for (name, described) in [("batch", &providers[0]), ("inside", &providers[1])] {
            let imported: CapacityProvider = serde_yaml::from_str(&yaml("CapacityProvider", name)).expect("yaml");
            let mut spec = imported.spec.clone();
            if let Some(r) = spec.cluster_ref.take() {
                assert_eq!((name, r.name.as_str()), ("inside", "prod"));
                spec.cluster = Some(r.name);
            }
            let desired = canonical_capacity_provider(&spec);
            let actual = capacity_provider::observe::actual(described).expect("actual");
            let differences = compare(&desired, &actual.spec, CAPACITY_PROVIDER_NOT_COMPARED);
            assert!(differences.is_empty(), "{name}: {differences:?}");
        }
    }
}
