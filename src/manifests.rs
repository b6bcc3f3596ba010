//! Reading the operator's objects from manifest files, as `kubectl apply -f` would find them:
//! files or directories (not recursive, `.yaml`, `.yml` and `.json`), several YAML documents a
//! file, and objects of other kinds skipped. Used by `ecs-operator diff`.

use std::path::{Path, PathBuf};

use kube::{Resource, ResourceExt};
use serde::de::DeserializeOwned;
use thiserror::Error;

use crate::crd::{CapacityProvider, ECSCluster, ECSExpressService, ECSService, ECSTask, TaskDefinition};

/// The API group of every kind the operator serves.
const GROUP: &str = "ecs.operator.dev";

/// One object of the operator's kinds, as a file holds it.
#[derive(Debug, Clone)]
pub enum Manifest {
    TaskDefinition(Box<TaskDefinition>),
    Service(Box<ECSService>),
    Cluster(Box<ECSCluster>),
    CapacityProvider(Box<CapacityProvider>),
    Task(Box<ECSTask>),
    Express(Box<ECSExpressService>),
}

impl Manifest {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::TaskDefinition(_) => "TaskDefinition",
            Self::Service(_) => "ECSService",
            Self::Cluster(_) => "ECSCluster",
            Self::CapacityProvider(_) => "CapacityProvider",
            Self::Task(_) => "ECSTask",
            Self::Express(_) => "ECSExpressService",
        }
    }

    /// `namespace/name`.
    pub fn key(&self) -> String {
        let meta = match self {
            Self::TaskDefinition(o) => o.meta(),
            Self::Service(o) => o.meta(),
            Self::Cluster(o) => o.meta(),
            Self::CapacityProvider(o) => o.meta(),
            Self::Task(o) => o.meta(),
            Self::Express(o) => o.meta(),
        };
        format!("{}/{}", meta.namespace.as_deref().unwrap_or_default(), meta.name.as_deref().unwrap_or_default())
    }
}

/// The objects found, in file order, and what was passed over.
#[derive(Debug, Default)]
pub struct Manifests {
    pub objects: Vec<Manifest>,
    /// `file: kind name` of documents of other kinds.
    pub skipped: Vec<String>,
}

#[derive(Debug, Error)]
pub enum ManifestError {
    #[error("reading {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path}: document {document}: {message}")]
    Parse { path: String, document: usize, message: String },
    #[error("no manifest files in {0}")]
    Empty(String),
}

/// The objects in `paths`; those without a namespace get `namespace`.
pub fn read(paths: &[PathBuf], namespace: &str) -> Result<Manifests, ManifestError> {
    let mut found = Manifests::default();
    for path in paths {
        let files = files_of(path)?;
        if files.is_empty() {
            return Err(ManifestError::Empty(path.display().to_string()));
        }
        for file in files {
            let text = std::fs::read_to_string(&file)
                .map_err(|source| ManifestError::Read { path: file.display().to_string(), source })?;
            parse(&text, &file.display().to_string(), namespace, &mut found)?;
        }
    }
    Ok(found)
}

/// `path` itself, or the manifest files directly in it, sorted (the order kubectl applies them).
fn files_of(path: &Path) -> Result<Vec<PathBuf>, ManifestError> {
    let read_err = |source| ManifestError::Read { path: path.display().to_string(), source };
    if !path.is_dir() {
        // Reading it reports a missing file.
        return Ok(vec![path.to_owned()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(read_err)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "yaml" || e == "yml" || e == "json"))
        .collect();
    files.sort();
    Ok(files)
}

/// The operator's objects among the YAML documents of `text` (from `path`).
pub fn parse(text: &str, path: &str, namespace: &str, found: &mut Manifests) -> Result<(), ManifestError> {
    for (i, document) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let number = i + 1;
        let err = |message: String| ManifestError::Parse { path: path.to_owned(), document: number, message };
        let mut value =
            <serde_yaml::Value as serde::Deserialize>::deserialize(document).map_err(|e| err(e.to_string()))?;
        // `<<:` merge keys, as kubectl reads them.
        value.apply_merge().map_err(|e| err(e.to_string()))?;
        if value.is_null() {
            continue;
        }
        let mut json = serde_json::to_value(&value).map_err(|e| err(e.to_string()))?;
        let kind = json["kind"].as_str().unwrap_or_default().to_owned();
        let api_version = json["apiVersion"].as_str().unwrap_or_default().to_owned();
        if !api_version.starts_with(&format!("{GROUP}/")) {
            let name = json["metadata"]["name"].as_str().unwrap_or_default();
            found.skipped.push(format!("{path}: {kind} {name}"));
            continue;
        }
        if json["metadata"]["name"].as_str().is_none_or(str::is_empty) {
            return Err(err(format!("{kind}: metadata.name is required")));
        }
        if json["metadata"]["namespace"].as_str().is_none_or(str::is_empty) {
            json["metadata"]["namespace"] = serde_json::Value::String(namespace.to_owned());
        }
        let object = match kind.as_str() {
            "TaskDefinition" => Manifest::TaskDefinition(typed(json).map_err(err)?),
            "ECSService" => Manifest::Service(typed(json).map_err(err)?),
            "ECSCluster" => Manifest::Cluster(typed(json).map_err(err)?),
            "CapacityProvider" => Manifest::CapacityProvider(typed(json).map_err(err)?),
            "ECSTask" => Manifest::Task(typed(json).map_err(err)?),
            "ECSExpressService" => Manifest::Express(typed(json).map_err(err)?),
            other => return Err(err(format!("{api_version} has no kind {other:?}"))),
        };
        found.objects.push(object);
    }
    Ok(())
}

fn typed<K: DeserializeOwned>(json: serde_json::Value) -> Result<Box<K>, String> {
    let kind = json["kind"].as_str().unwrap_or_default().to_owned();
    serde_json::from_value(json).map(Box::new).map_err(|e| format!("{kind}: {e}"))
}

/// The objects of `manifests` of one kind.
macro_rules! of_kind {
    ($name:ident, $variant:ident, $type:ty) => {
        pub fn $name(&self) -> impl Iterator<Item = &$type> {
            self.objects.iter().filter_map(|m| match m {
                Manifest::$variant(o) => Some(o.as_ref()),
                _ => None,
            })
        }
    };
}

impl Manifests {
    of_kind!(task_definitions, TaskDefinition, TaskDefinition);
    of_kind!(services, Service, ECSService);
    of_kind!(clusters, Cluster, ECSCluster);
    of_kind!(capacity_providers, CapacityProvider, CapacityProvider);

    /// The ECSCluster `name` in `namespace`, if the files hold it.
    pub fn cluster(&self, namespace: &str, name: &str) -> Option<&ECSCluster> {
        self.clusters().find(|c| c.namespace().as_deref() == Some(namespace) && c.name_any() == name)
    }

    /// The TaskDefinition `name` in `namespace`, if the files hold it.
    pub fn task_definition(&self, namespace: &str, name: &str) -> Option<&TaskDefinition> {
        self.task_definitions().find(|t| t.namespace().as_deref() == Some(namespace) && t.name_any() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_of_other_kinds_are_skipped_and_namespaces_filled_in() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\n\
            apiVersion: ecs.operator.dev/v1alpha1\nkind: ECSCluster\nmetadata: {name: prod}\nspec: {}\n---\n";
        let mut found = Manifests::default();
        parse(text, "a.yaml", "team", &mut found).expect("parses");
        assert_eq!(found.skipped, ["a.yaml: ConfigMap c"]);
        assert_eq!(found.objects.len(), 1);
        assert_eq!(found.objects[0].key(), "team/prod");
        assert!(found.cluster("team", "prod").is_some());
    }

    #[test]
    fn errors_name_the_file_and_document() {
        let text = "apiVersion: ecs.operator.dev/v1alpha1\nkind: ECSService\nmetadata: {name: web}\nspec: {desiredCount: many}\n";
        let err = parse(text, "web.yaml", "default", &mut Manifests::default()).expect_err("refused");
        let message = err.to_string();
        assert!(message.starts_with("web.yaml: document 1: ECSService: "), "{message}");
        let unnamed = "apiVersion: ecs.operator.dev/v1alpha1\nkind: ECSCluster\nmetadata: {}\n";
        let err = parse(unnamed, "c.yaml", "default", &mut Manifests::default()).expect_err("refused");
        assert!(err.to_string().contains("metadata.name is required"), "{err}");
    }
}
