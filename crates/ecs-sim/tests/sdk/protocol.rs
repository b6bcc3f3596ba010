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

#[tokio::test]
async fn binary_prints_ready_line_and_serves() {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ecs-sim"))
        .args(["--port", "0", "--speed", "20", "--no-throttle"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn ecs-sim");
    let mut line = String::new();
    let stdout = child.stdout.take().expect("stdout piped");
    std::io::BufReader::new(stdout).read_line(&mut line).expect("ready line");
    let endpoint = line.trim().strip_prefix("ecs-sim ready on ").expect("ready prefix").to_string();
    let (status, _) = crate::harness::admin(&endpoint, "GET", "/_sim/health", "");
    let ecs = aws_sdk_ecs::Client::from_conf(crate::harness::sdk_config(&endpoint, false));
    let listed = ecs.list_clusters().send().await;
    child.kill().expect("stop ecs-sim");
    let _ = child.wait();
    assert_eq!(status, 200);
    assert!(listed.unwrap().cluster_arns().is_empty());
}
