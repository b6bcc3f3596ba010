//! `crds/` is the committed output of `ecs-operator crdgen`; this fails when it is stale.

#[test]
fn crds_folder_matches_crdgen() {
    let generated = ecs_operator::crd::to_yaml().expect("CRDs serialise");
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/crds/crds.yaml");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        generated == committed,
        "crds/crds.yaml is stale: run `cargo run -q -- crdgen > crds/crds.yaml` and commit the result"
    );
}

#[test]
fn every_kind_is_in_the_ecs_category_with_status_subresource() {
    for crd in ecs_operator::crd::all() {
        let names = &crd.spec.names;
        assert_eq!(crd.spec.group, "ecs.operator.dev");
        assert!(names.categories.as_ref().is_some_and(|c| c.iter().any(|c| c == "ecs")), "{}", names.kind);
        assert!(names.short_names.as_ref().is_some_and(|s| !s.is_empty()), "{}", names.kind);
        let version = &crd.spec.versions[0];
        assert_eq!(version.name, "v1alpha1");
        assert!(version.subresources.as_ref().and_then(|s| s.status.as_ref()).is_some(), "{}", names.kind);
    }
}

#[test]
fn ecsservice_printer_columns() {
    let crd = ecs_operator::crd::all().into_iter().find(|c| c.spec.names.kind == "ECSService").expect("ECSService CRD");
    let columns: Vec<String> = crd.spec.versions[0]
        .additional_printer_columns
        .iter()
        .flatten()
        .filter(|c| c.priority.unwrap_or(0) == 0)
        .map(|c| c.name.clone())
        .collect();
    assert_eq!(columns, ["Cluster", "TaskDef", "Desired", "Running", "Rollout", "Ready", "Age"]);
}
