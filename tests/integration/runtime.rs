//! Startup errors say what is wrong: CRDs missing, AWS unreachable.

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
