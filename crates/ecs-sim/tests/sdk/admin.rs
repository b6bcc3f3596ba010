//! The `/_sim/` admin API over plain HTTP.

use serde_json::json;

use crate::harness::{CLUSTER, admin, env};

#[tokio::test]
async fn admin_endpoints_steer_the_simulation() {
    let env = env();
    let ep = env.sim.endpoint().to_string();
    env.cluster().await;
    let td = env.fargate_td("web", "nginx:1").await;
    env.fargate_service("web", &td, 1).await;

    let (status, clock) = admin(&ep, "GET", "/_sim/clock", "");
    assert_eq!(status, 200);
    let t0 = clock["nowMs"].as_u64().unwrap();
    let (_, advanced) = admin(&ep, "POST", "/_sim/clock/advance", r#"{"seconds": 60}"#);
    assert_eq!(advanced["nowMs"].as_u64().unwrap(), t0 + 60_000);
    assert_eq!(env.describe("web").await.running_count(), 1);

    let (status, _) = admin(
        &ep,
        "POST",
        "/_sim/services/desired-count",
        &json!({"cluster": CLUSTER, "service": "web", "desiredCount": 3}).to_string(),
    );
    assert_eq!(status, 200);
    assert_eq!(env.describe("web").await.desired_count(), 3);

    let fault = json!({"operation": "DescribeServices", "errorRate": 1.0, "status": 500, "errorType": "ServerException", "remaining": 1});
    assert_eq!(admin(&ep, "POST", "/_sim/faults", &fault.to_string()).0, 200);
    let err = env.ecs.describe_services().cluster(CLUSTER).services("web").send().await.unwrap_err();
    assert_eq!(crate::harness::code(&err).as_deref(), Some("ServerException"));
    assert_eq!(admin(&ep, "POST", "/_sim/faults/clear", "").0, 200);

    let throttle =
        json!({"unlimited": true, "overrides": {"ListClusters": {"capacity": 1.0, "refillPerSecond": 0.001}}});
    assert_eq!(admin(&ep, "POST", "/_sim/throttle", &throttle.to_string()).0, 200);
    env.ecs.list_clusters().send().await.unwrap();
    assert!(env.ecs.list_clusters().send().await.is_err());

    assert_eq!(admin(&ep, "POST", "/_sim/task-failure", r#"{"imagePattern": "nginx"}"#).0, 200);
    assert_eq!(admin(&ep, "POST", "/_sim/task-failure", r#"{"imagePattern": "("}"#).0, 400);

    let (_, stats) = admin(&ep, "GET", "/_sim/stats", "");
    assert_eq!(stats["operations"]["CreateService"]["calls"], 1);
    assert_eq!(stats["operations"]["ListClusters"]["throttled"], 1);
    assert_eq!(stats["totalInjectedErrors"], 1);
    assert_eq!(stats["revisionsPerFamily"]["web"], 1);

    assert_eq!(admin(&ep, "POST", "/_sim/reset", "").0, 200);
    let out = env.ecs.list_clusters().send().await.unwrap();
    assert!(out.cluster_arns().is_empty());
    assert_eq!(admin(&ep, "GET", "/_sim/nope", "").0, 404);
    assert_eq!(admin(&ep, "POST", "/_sim/clock/advance", "{").0, 400);
}
