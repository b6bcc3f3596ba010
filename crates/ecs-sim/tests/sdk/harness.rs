//! Shared fixtures: a simulator per test, an SDK client aimed at it, `mk_*` request
//! builders, and a raw HTTP helper for the admin API and non-ECS protocols.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use aws_sdk_ecs::Client;
use aws_sdk_ecs::config::retry::RetryConfig;
use aws_sdk_ecs::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_ecs::types::{
    AwsVpcConfiguration, Compatibility, ContainerDefinition, DeploymentCircuitBreaker, DeploymentConfiguration,
    LaunchType, NetworkConfiguration, NetworkMode, PortMapping, Service, Tag,
};
use ecs_sim::{SimConfig, SimHandle};

pub const CLUSTER: &str = "test";

pub struct Env {
    pub sim: SimHandle,
    pub ecs: Client,
}

pub fn sdk_config(endpoint: &str, retries: bool) -> aws_sdk_ecs::Config {
    let http = aws_smithy_http_client::Builder::new().build_http();
    aws_sdk_ecs::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
        .http_client(http)
        .retry_config(if retries { RetryConfig::standard() } else { RetryConfig::disabled() })
        .build()
}

/// Manual clock, no throttling, retries off so every error is seen as sent.
pub fn env() -> Env {
    env_with(SimConfig::for_tests())
}

pub fn env_with(config: SimConfig) -> Env {
    let sim = ecs_sim::start(config).expect("start ecs-sim");
    let ecs = Client::from_conf(sdk_config(sim.endpoint(), false));
    Env { sim, ecs }
}

/// The error code the SDK parsed from a failed call.
pub fn code<E, R>(err: &aws_sdk_ecs::error::SdkError<E, R>) -> Option<String>
where
    E: aws_sdk_ecs::error::ProvideErrorMetadata,
{
    err.as_service_error().and_then(|e| e.code()).map(str::to_string)
}

pub fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build()
}

pub fn mk_container(name: &str, image: &str) -> ContainerDefinition {
    ContainerDefinition::builder()
        .name(name)
        .image(image)
        .port_mappings(PortMapping::builder().container_port(80).build())
        .build()
}

pub fn network() -> NetworkConfiguration {
    NetworkConfiguration::builder()
        .awsvpc_configuration(AwsVpcConfiguration::builder().subnets("subnet-1").build().expect("subnets set"))
        .build()
}

pub fn circuit_breaker(rollback: bool) -> DeploymentConfiguration {
    DeploymentConfiguration::builder()
        .deployment_circuit_breaker(DeploymentCircuitBreaker::builder().enable(true).rollback(rollback).build())
        .build()
}

impl Env {
    /// Creates Fargate service `name` on `td` with `desired` tasks and `config`.
    pub async fn service_with(&self, name: &str, td: &str, desired: i32, config: DeploymentConfiguration) {
        self.create_fargate(name, td, desired, Some(config)).await;
    }

    pub async fn cluster(&self) {
        self.ecs.create_cluster().cluster_name(CLUSTER).send().await.expect("create cluster");
    }

    /// Registers a Fargate revision of `family` running `image`; returns its ARN.
    pub async fn fargate_td(&self, family: &str, image: &str) -> String {
        let out = self
            .ecs
            .register_task_definition()
            .family(family)
            .requires_compatibilities(Compatibility::Fargate)
            .network_mode(NetworkMode::Awsvpc)
            .cpu("256")
            .memory("512")
            .container_definitions(mk_container("app", image))
            .send()
            .await
            .expect("register task definition");
        out.task_definition().and_then(|t| t.task_definition_arn()).expect("arn").to_string()
    }

    pub async fn fargate_service(&self, name: &str, td: &str, desired: i32) -> Service {
        self.create_fargate(name, td, desired, None).await
    }

    async fn create_fargate(
        &self,
        name: &str,
        td: &str,
        desired: i32,
        config: Option<DeploymentConfiguration>,
    ) -> Service {
        let out = self
            .ecs
            .create_service()
            .cluster(CLUSTER)
            .service_name(name)
            .task_definition(td)
            .desired_count(desired)
            .launch_type(LaunchType::Fargate)
            .network_configuration(network())
            .set_deployment_configuration(config)
            .send()
            .await
            .expect("create service");
        out.service().expect("service").clone()
    }

    pub async fn describe(&self, name: &str) -> Service {
        let out = self.ecs.describe_services().cluster(CLUSTER).services(name).send().await.expect("describe services");
        out.services().first().expect("service described").clone()
    }

    /// Advances simulated time by `secs` and describes the service.
    pub async fn after(&self, secs: u64, name: &str) -> Service {
        self.sim.advance(Duration::from_secs(secs));
        self.describe(name).await
    }
}

pub fn rollout(svc: &Service) -> Vec<(String, String)> {
    svc.deployments()
        .iter()
        .map(|d| {
            (
                d.status().unwrap_or_default().to_string(),
                d.rollout_state().map(|r| r.as_str().to_string()).unwrap_or_default(),
            )
        })
        .collect()
}

/// A plain HTTP/1.1 exchange for the admin API and raw protocol checks: (status, body).
pub fn raw(endpoint: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    let addr = endpoint.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).expect("connect to ecs-sim");
    let mut req =
        format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    stream.write_all(req.as_bytes()).expect("write request");
    let mut resp = String::new();
    stream.read_to_string(&mut resp).expect("read response");
    let status = resp.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("status line");
    let body = resp.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

pub fn admin(endpoint: &str, method: &str, path: &str, body: &str) -> (u16, serde_json::Value) {
    let (status, text) = raw(endpoint, method, path, &[("content-type", "application/json")], body);
    (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::Null))
}

/// A signed-looking JSON 1.1 call, for services without an SDK in this workspace.
pub fn json_call(endpoint: &str, target: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
    let auth = "AWS4-HMAC-SHA256 Credential=AKIDTEST/20240101/us-east-1/application-autoscaling/aws4_request, SignedHeaders=host, Signature=0";
    let headers = [("content-type", "application/x-amz-json-1.1"), ("x-amz-target", target), ("authorization", auth)];
    let (status, text) = raw(endpoint, "POST", "/", &headers, &body.to_string());
    (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::Null))
}
