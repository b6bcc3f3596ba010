//! Startup errors say what is wrong: CRDs missing, AWS unreachable.

use ecs_operator::crd::{ECSCluster, ECSService};
use kube::ResourceExt;

use crate::support::{Bed, aws_clients};
use ecs_operator::controller::{RunError, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_crds_are_reported() {
    let kube = kube_sim::start().await.expect("start kube-sim");
    let client = kube.client().await.expect("client");
    let err =
        run(client, aws_clients("http://127.0.0.1:1"), Bed::operator_config(), async {}).await.expect_err("no CRDs");
    assert!(matches!(err, RunError::MissingCrd(ref name) if name == "taskdefinitions.ecs.operator.dev"), "{err}");
    assert!(err.to_string().contains("kubectl apply --server-side -f crds/"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_aws_is_reported() {
    let bed = Bed::start().await;
    // Nothing listens on port 1.
    let err = run(bed.client.clone(), aws_clients("http://127.0.0.1:1"), Bed::operator_config(), async {})
        .await
        .expect_err("no AWS");
    assert!(matches!(err, RunError::Aws(_)), "{err}");
    assert!(err.to_string().contains("ListClusters"), "{err}");
}

/// A throttled start-up check (a replica taking over under load) is tried again, not fatal:
/// the operator starts once AWS answers. A terminal answer still stops it (above).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttled_start_up_check_is_retried() {
    let mut bed = Bed::start().await;
    // More throttles than the SDK's own three attempts sit out: the operator must retry.
    bed.sim.set_fault(ecs_sim::FaultSpec {
        operation: "ListClusters".into(),
        error_rate: 1.0,
        status: 400,
        error_type: "ThrottlingException".into(),
        message: "Rate exceeded".into(),
        latency_ms: 0,
        remaining: Some(5),
        throttle_rate: 0.0,
    });
    let config = Bed::operator_config();
    let metrics = config.metrics.clone();
    bed.start_operator_with(config).await;
    bed.eventually("started once the throttling passed", || async { metrics.is_ready().then_some(()) }).await;
    assert!(bed.calls("ListClusters") >= 6, "five throttled answers, then one that counted");
}

/// Not ready before the caches are synced, ready after, not ready once stopped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_follows_the_caches() {
    let mut bed = Bed::start().await;
    let config = Bed::operator_config();
    let metrics = config.metrics.clone();
    assert!(!metrics.is_ready(), "not ready before starting");
    bed.start_operator_with(config).await;
    bed.eventually("ready once the caches are synced", || async { metrics.is_ready().then_some(()) }).await;
    bed.stop_operator().await;
    assert!(!metrics.is_ready(), "not ready once stopped");
}

/// An ECSService stored before its CRD's schema was tightened, that no longer decodes, is
/// skipped by every watch (logged and counted): the other objects of its kind, and the
/// ECSCluster controller that follows services, carry on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_object_that_does_not_decode_stalls_no_watch() {
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
    use kube::api::{Api, DynamicObject, PostParams};
    use kube::discovery::ApiResource;

    let mut bed = Bed::start().await;
    let crds: Api<CustomResourceDefinition> = Api::all(bed.client.clone());
    let name = "ecsservices.ecs.operator.dev";
    let strict = crds.get(name).await.expect("CRD");
    let mut loose = strict.clone();
    for version in &mut loose.spec.versions {
        let schema = version.schema.as_mut().and_then(|s| s.open_api_v3_schema.as_mut()).expect("schema");
        let properties = schema.properties.as_mut().expect("properties");
        properties.insert(
            "spec".into(),
            serde_json::from_value(serde_json::json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true}))
                .expect("schema"),
        );
        schema.x_kubernetes_validations = None;
    }
    crds.replace(name, &PostParams::default(), &loose).await.expect("loosen the CRD");
    let resource = ApiResource::erase::<ECSService>(&());
    let services: Api<DynamicObject> = Api::namespaced_with(bed.client.clone(), "default", &resource);
    let broken: DynamicObject = serde_json::from_value(serde_json::json!({
        "apiVersion": "ecs.operator.dev/v1alpha1", "kind": "ECSService",
        "metadata": {"name": "broken"}, "spec": {"desiredCount": "lots", "cluster": "prod"}
    }))
    .expect("object");
    services.create(&PostParams::default(), &broken).await.expect("store the object the strict schema refuses");
    let mut restored = crds.get(name).await.expect("CRD");
    restored.spec = strict.spec;
    crds.replace(name, &PostParams::default(), &restored).await.expect("restore the CRD");

    let config = Bed::operator_config();
    let metrics = config.metrics.clone();
    bed.start_operator_with(config).await;
    let cluster: ECSCluster =
        bed.apply("apiVersion: ecs.operator.dev/v1alpha1\nkind: ECSCluster\nmetadata: {name: prod}\nspec: {}\n").await;
    let clusters: Api<ECSCluster> = Api::namespaced(bed.client.clone(), "default");
    bed.eventually("the ECSCluster is Ready beside a service that does not decode", || async {
        let c = clusters.get(&cluster.name_any()).await.ok()?;
        let ready = c.status?.common.conditions?.into_iter().any(|c| c.type_ == "Ready" && c.status == "True");
        ready.then_some(())
    })
    .await;
    let valid: ECSService = bed
        .apply("apiVersion: ecs.operator.dev/v1alpha1\nkind: ECSService\nmetadata: {name: valid}\nspec: {cluster: nowhere, taskDefinition: 'web:1', desiredCount: 1}\n")
        .await;
    let typed: Api<ECSService> = Api::namespaced(bed.client.clone(), "default");
    bed.eventually("the valid ECSService gets a status", || async {
        typed.get(&valid.name_any()).await.ok()?.status.and_then(|s| s.common.observed_generation)
    })
    .await;
    let skipped = metrics.encode();
    assert!(
        skipped.lines().any(|l| l.starts_with("ecs_operator_undecodable_objects_total{kind=\"ECSService\"}") && !l.ends_with(" 0")),
        "{skipped}"
    );
    let broken_now = services.get("broken").await.expect("still there");
    assert!(broken_now.data.get("status").is_none(), "the operator never acted on it");
}
