//! Admission as the API server runs it (kube-sim's OpenAPI + CEL validator over the generated
//! CRDs): every sample is accepted, every manifest in tests/bad-input/ is rejected with each
//! of its `# expect:` texts, and every CEL rule stays inside the cost budget.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kube_sim::admission::CompiledCrdSchema;
use serde::Deserialize;
use serde_json::Value;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Compiled schema per kind, from the CRDs `crdgen` produces.
fn schemas() -> BTreeMap<String, CompiledCrdSchema> {
    ecs_operator::crd::all()
        .into_iter()
        .map(|crd| {
            let kind = crd.spec.names.kind.clone();
            let value = serde_json::to_value(&crd).expect("CRD serialises");
            let schema = CompiledCrdSchema::from_crd(&value, "v1alpha1").expect("CRD schema compiles");
            (kind, schema)
        })
        .collect()
}

fn yaml_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join(dir))
        .expect("directory exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| x == "yaml") && p.file_name().is_some_and(|n| n != "kustomization.yaml")
        })
        .collect();
    files.sort();
    files
}

fn documents(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).expect("readable manifest");
    serde_yaml::Deserializer::from_str(&text)
        .map(|doc| Value::deserialize(doc).unwrap_or_else(|e| panic!("{}: not YAML: {e}", path.display())))
        .filter(|v| !v.is_null())
        .collect()
}

/// Runs admission and returns the API server's error message, if rejected.
fn admit(schemas: &BTreeMap<String, CompiledCrdSchema>, mut object: Value) -> Result<(), String> {
    let kind = object.get("kind").and_then(Value::as_str).unwrap_or_default().to_owned();
    let name = object.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default().to_owned();
    let schema = schemas.get(&kind).unwrap_or_else(|| panic!("unknown kind {kind}"));
    schema.admit(&mut object, None).map_err(|errors| {
        let group_kind = schema.group_kind().cloned().expect("compiled from a CRD");
        errors.to_status_message(&group_kind, &name)
    })
}

#[test]
fn every_sample_is_accepted() {
    let schemas = schemas();
    let samples = yaml_files("config/samples");
    assert!(samples.len() >= 3, "samples missing");
    for path in samples {
        for doc in documents(&path) {
            if let Err(message) = admit(&schemas, doc) {
                panic!("{} rejected: {message}", path.display());
            }
        }
    }
}

#[test]
fn every_bad_input_is_rejected_with_its_message() {
    let schemas = schemas();
    let files = yaml_files("tests/bad-input");
    assert!(files.len() >= 50, "at least 50 bad inputs, found {}", files.len());
    let mut failures = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).expect("readable");
        let expects: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("# expect: ")).collect();
        assert!(!expects.is_empty(), "{} has no `# expect:` line", path.display());
        let docs = documents(path);
        assert_eq!(docs.len(), 1, "{}: one object per file", path.display());
        match admit(&schemas, docs.into_iter().next().unwrap_or_default()) {
            Ok(()) => failures.push(format!("{}: accepted", path.display())),
            Err(message) => {
                for expect in &expects {
                    if !message.contains(expect) {
                        failures.push(format!("{}: missing {expect:?} in: {message}", path.display()));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} of {} bad inputs failed:\n{}", failures.len(), files.len(), failures.join("\n"));
}

#[test]
fn cel_rules_stay_within_the_cost_budget() {
    for crd in ecs_operator::crd::all() {
        let value = serde_json::to_value(&crd).expect("CRD serialises");
        let schema = value.pointer("/spec/versions/0/schema/openAPIV3Schema").expect("schema");
        let warnings = kube_sim::admission::estimate_costs(schema).expect("schema compiles");
        assert!(warnings.is_empty(), "{}: {warnings:#?}", crd.spec.names.kind);
    }
}
