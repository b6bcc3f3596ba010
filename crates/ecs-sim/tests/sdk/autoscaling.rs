//! Application Auto Scaling over JSON 1.1 (`AnyScaleFrontendService.*`), and the
//! simulated scaler changing desiredCount within bounds.

use serde_json::json;

use crate::harness::{CLUSTER, env, json_call};

const RESOURCE: &str = "service/test/web";

fn aas(endpoint: &str, op: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
    json_call(endpoint, &format!("AnyScaleFrontendService.{op}"), body)
}

#[tokio::test]
async fn scalable_targets_and_policies() {
    let env = env();
    let ep = env.sim.endpoint().to_string();
    env.cluster().await;
    let td = env.fargate_td("web", "nginx:1").await;
    env.fargate_service("web", &td, 1).await;
    let target = json!({"ServiceNamespace": "ecs", "ResourceId": RESOURCE, "ScalableDimension": "ecs:service:DesiredCount", "MinCapacity": 2, "MaxCapacity": 5});
    let (status, out) = aas(&ep, "RegisterScalableTarget", target);
    assert_eq!(status, 200, "{out}");
    assert!(out["ScalableTargetARN"].as_str().unwrap().starts_with("arn:aws:application-autoscaling:"));
    assert_eq!(env.describe("web").await.desired_count(), 2, "moved into the registered range");

    let (_, described) =
        aas(&ep, "DescribeScalableTargets", json!({"ServiceNamespace": "ecs", "ResourceIds": [RESOURCE]}));
    assert_eq!(described["ScalableTargets"][0]["MaxCapacity"], 5);

    let policy = json!({
        "PolicyName": "cpu", "ServiceNamespace": "ecs", "ResourceId": RESOURCE,
        "ScalableDimension": "ecs:service:DesiredCount", "PolicyType": "TargetTrackingScaling",
        "TargetTrackingScalingPolicyConfiguration": {"TargetValue": 50.0, "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}}
    });
    let (status, out) = aas(&ep, "PutScalingPolicy", policy);
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["Alarms"].as_array().unwrap().len(), 2);
    let (_, policies) = aas(&ep, "DescribeScalingPolicies", json!({"ServiceNamespace": "ecs", "ResourceId": RESOURCE}));
    assert_eq!(policies["ScalingPolicies"][0]["PolicyName"], "cpu");

    assert_eq!(env.sim.autoscale(RESOURCE, 50).unwrap(), 5, "clamped to MaxCapacity");
    assert_eq!(env.describe("web").await.desired_count(), 5);
    let (status, out) = crate::harness::admin(
        &ep,
        "POST",
        "/_sim/autoscaling/scale",
        &json!({"resourceId": RESOURCE, "desiredCount": 0}).to_string(),
    );
    assert_eq!((status, out["desiredCount"].as_u64()), (200, Some(2)));

    let del = json!({"PolicyName": "cpu", "ServiceNamespace": "ecs", "ResourceId": RESOURCE, "ScalableDimension": "ecs:service:DesiredCount"});
    assert_eq!(aas(&ep, "DeleteScalingPolicy", del.clone()).0, 200);
    let (status, err) = aas(&ep, "DeleteScalingPolicy", del);
    assert_eq!((status, err["__type"].as_str()), (400, Some("ObjectNotFoundException")));
    let dereg =
        json!({"ServiceNamespace": "ecs", "ResourceId": RESOURCE, "ScalableDimension": "ecs:service:DesiredCount"});
    assert_eq!(aas(&ep, "DeregisterScalableTarget", dereg).0, 200);
    let (status, err) = aas(
        &ep,
        "RegisterScalableTarget",
        json!({"ServiceNamespace": "ecs", "ResourceId": "service/test/ghost", "ScalableDimension": "ecs:service:DesiredCount", "MinCapacity": 1, "MaxCapacity": 2}),
    );
    assert_eq!((status, err["__type"].as_str()), (400, Some("ValidationException")));
    let _ = CLUSTER;
}
