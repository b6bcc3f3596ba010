//! Protocol edges: signatures required, unknown operations, malformed bodies.

use serde_json::Value;

use crate::harness::{env, json_call, raw};

#[tokio::test]
async fn unsigned_requests_are_rejected() {
    let env = env();
    let headers = [
        ("content-type", "application/x-amz-json-1.1"),
        ("x-amz-target", "AmazonEC2ContainerServiceV20141113.ListClusters"),
    ];
    let (status, body) = raw(env.sim.endpoint(), "POST", "/", &headers, "{}");
    assert_eq!(status, 403);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["__type"], "MissingAuthenticationTokenException");
}

#[tokio::test]
async fn unknown_operations_and_bad_json() {
    let env = env();
    let (status, v) =
        json_call(env.sim.endpoint(), "AmazonEC2ContainerServiceV20141113.LaunchRockets", serde_json::json!({}));
    assert_eq!((status, v["__type"].as_str()), (400, Some("UnknownOperationException")));
    let (status, v) = json_call(
        env.sim.endpoint(),
        "AmazonEC2ContainerServiceV20141113.ListClusters",
        serde_json::json!({"maxResults": "many"}),
    );
    assert_eq!((status, v["__type"].as_str()), (400, Some("SerializationException")));
}
