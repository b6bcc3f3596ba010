//! Test bed for controller tests: kube-sim and ecs-sim on loopback, the CRDs installed, and
//! the operator's controllers running in-process through the same `run` that main uses.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_ecs::config::{BehaviorVersion, Credentials, Region};
use ecs_operator::aws::AwsClients;
use ecs_operator::controller::Config;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::runtime::wait::{await_condition, conditions};
use tokio::sync::oneshot;

pub const WAIT: Duration = Duration::from_secs(30);

/// The correction gate's schedule in tests: production's shape (a wait that doubles, then a
/// long one after the last attempt), in seconds instead of minutes, so the whole of it fits in
/// a test: attempts at 0, 1 and 3 s, the next one ten minutes later.
pub const CORRECTION_BACKOFF: ecs_operator::controller::drift::Backoff = ecs_operator::controller::drift::Backoff {
    first_retry: Duration::from_secs(1),
    after_giving_up: Duration::from_secs(600),
};

/// A Fargate TaskDefinition `web`.
pub const WEB_TD: &str = r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: TaskDefinition
metadata:
  name: web
spec:
  requiresCompatibilities: [FARGATE]
  networkMode: awsvpc
  cpu: "256"
  memory: "512"
  containerDefinitions:
    - name: web
      image: nginx:1
"#;

/// An ECSService `web` running [`WEB_TD`] on ECS cluster `prod` with 2 tasks.
pub const WEB_SVC: &str = r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: ECSService
metadata:
  name: web
spec:
  cluster: prod
  taskDefinitionRef: {name: web}
  desiredCount: 2
  launchType: FARGATE
  networkConfiguration:
    awsvpcConfiguration:
      subnets: [subnet-0123456789abcdef0]
"#;
pub const NS: &str = "default";

/// ECS operations that change something.
pub const ECS_WRITES: &[&str] = &[
    "RegisterTaskDefinition",
    "DeregisterTaskDefinition",
    "DeleteTaskDefinitions",
    "CreateService",
    "UpdateService",
    "DeleteService",
    "CreateCluster",
    "UpdateCluster",
    "DeleteCluster",
    "PutClusterCapacityProviders",
    "CreateCapacityProvider",
    "RunTask",
    "StopTask",
    "CreateExpressGatewayService",
    "UpdateExpressGatewayService",
    "DeleteExpressGatewayService",
    "UpdateCapacityProvider",
    "DeleteCapacityProvider",
    "TagResource",
    "UntagResource",
];

/// Application Auto Scaling operations that change something (ecs-sim serves both APIs).
pub const SCALING_WRITES: &[&str] =
    &["RegisterScalableTarget", "DeregisterScalableTarget", "PutScalingPolicy", "DeleteScalingPolicy"];

pub struct Bed {
    /// Held so the API server lives as long as the bed; dropping it stops the server.
    _kube: kube_sim::KubeSim,
    pub client: kube::Client,
    pub sim: ecs_sim::SimHandle,
    /// An SDK client aimed at ecs-sim, for arranging and checking AWS state from tests.
    pub aws: aws_sdk_ecs::Client,
    /// Where the operator's ECS calls go: ecs-sim unless a test aims elsewhere (moto).
    ecs_endpoint: String,
    operator: Option<(oneshot::Sender<()>, tokio::task::JoinHandle<()>)>,
}

pub fn aws_clients(endpoint: &str) -> AwsClients {
    aws_clients_metered(endpoint, Arc::default())
}

/// The operator's AWS clients for a simulator, counting requests into `metrics`.
pub fn aws_clients_metered(endpoint: &str, metrics: Arc<ecs_operator::metrics::Metrics>) -> AwsClients {
    let traffic = ecs_operator::aws::traffic::Traffic::new(100, metrics);
    AwsClients::from_config(&ecs_operator::aws::simulator_config(endpoint, "us-east-1", &traffic))
}

pub fn sdk_client(endpoint: &str) -> aws_sdk_ecs::Client {
    let http = aws_smithy_http_client::Builder::new().build_http();
    let config = aws_sdk_ecs::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
        .http_client(http)
        .timeout_config(ecs_operator::aws::timeouts())
        .build();
    aws_sdk_ecs::Client::from_conf(config)
}

impl Bed {
    pub async fn start() -> Self {
        Self::start_with(ecs_sim::SimConfig::for_tests()).await
    }

    pub async fn start_with(sim_config: ecs_sim::SimConfig) -> Self {
        // RUST_LOG=ecs_operator=debug shows the operator's logs when a test needs explaining.
        if std::env::var_os("RUST_LOG").is_some() {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
                .with_test_writer()
                .try_init();
        }
        let kube = kube_sim::start().await.expect("start kube-sim");
        let client = kube.client().await.expect("kube client");
        let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
        for crd in ecs_operator::crd::all() {
            let name = crd.metadata.name.clone().unwrap_or_default();
            crds.create(&PostParams::default(), &crd).await.expect("install CRD");
            tokio::time::timeout(WAIT, await_condition(crds.clone(), &name, conditions::is_crd_established()))
                .await
                .expect("CRD established in time")
                .expect("watch CRD");
        }
        let sim = ecs_sim::start(sim_config).expect("start ecs-sim");
        let aws = sdk_client(sim.endpoint());
        let ecs_endpoint = sim.endpoint().to_owned();
        Self { _kube: kube, client, sim, aws, ecs_endpoint, operator: None }
    }

    /// ecs-sim at 50x with ECS cluster `prod`, and the operator (counting into `metrics`)
    /// polling rollouts every 200 ms.
    pub async fn with_prod_cluster(metrics: Arc<ecs_operator::metrics::Metrics>) -> Self {
        let mut sim = ecs_sim::SimConfig::for_tests();
        sim.clock = ecs_sim::ClockMode::Scaled { speed: 50.0 };
        let mut bed = Self::start_with(sim).await;
        bed.aws.create_cluster().cluster_name("prod").send().await.expect("cluster");
        let mut config = Self::operator_config();
        config.rollout_poll_interval = Duration::from_millis(200);
        config.metrics = metrics;
        bed.start_operator_with(config).await;
        bed
    }

    pub fn operator_config() -> Config {
        Config {
            cluster_id: "test-cluster".into(),
            resync_interval: Duration::from_millis(500),
            service_poll_interval: Duration::from_millis(500),
            task_definition_list_interval: Duration::from_millis(500),
            // The hourly tag check, at test pace: quick checks in between.
            task_definition_tag_interval: Some(Duration::from_secs(2)),
            terminal_recheck: Duration::from_secs(2),
            retry_base: Duration::from_millis(50),
            retry_max: Duration::from_secs(1),
            correction_backoff: CORRECTION_BACKOFF,
            ..Default::default()
        }
    }

    /// The Kubernetes API server, for injecting refusals and reading its request log.
    pub fn kube_sim(&self) -> &kube_sim::KubeSim {
        &self._kube
    }

    /// The operator's AWS clients, aimed at this bed's ECS endpoint.
    pub fn aws_clients(&self) -> AwsClients {
        aws_clients(&self.ecs_endpoint)
    }

    /// Sends the operator's (and the test's) ECS calls to another endpoint.
    pub fn aim_at(&mut self, endpoint: &str) {
        self.ecs_endpoint = endpoint.to_owned();
        self.aws = sdk_client(endpoint);
    }

    /// Starts the controllers (stopping any running ones first: a restart).
    pub async fn start_operator(&mut self) {
        self.start_operator_with(Self::operator_config()).await;
    }

    pub async fn start_operator_with(&mut self, config: Config) {
        let aws = aws_clients_metered(&self.ecs_endpoint, config.metrics.clone());
        self.start_operator_on(config, aws).await;
    }

    /// Starts the controllers reading ECS events from ecs-sim's queue (the simulator must have
    /// been started with `events_queue`).
    pub async fn start_operator_with_events(&mut self, config: Config) {
        let url = self.sim.events_queue_url().expect("ecs-sim started with an events queue");
        let aws = aws_clients_metered(&self.ecs_endpoint, config.metrics.clone()).with_events_queue(&url);
        self.start_operator_on(config, aws).await;
    }

    async fn start_operator_on(&mut self, config: Config, aws: AwsClients) {
        self.stop_operator().await;
        let (tx, rx) = oneshot::channel::<()>();
        let client = self.client.clone();
        let handle = tokio::spawn(async move {
            let shutdown = async move {
                let _ = rx.await;
            };
            if let Err(err) = ecs_operator::controller::run(client, aws, config, shutdown).await {
                panic!("controllers failed to start: {err}");
            }
        });
        self.operator = Some((tx, handle));
    }

    pub async fn stop_operator(&mut self) {
        if let Some((tx, handle)) = self.operator.take() {
            let _ = tx.send(());
            let _ = tokio::time::timeout(WAIT, handle).await;
        }
    }

    /// Server-side applies a manifest (YAML) the way `kubectl apply --server-side` would.
    pub async fn apply<K>(&self, yaml: &str) -> K
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
            + Clone
            + serde::de::DeserializeOwned
            + serde::Serialize
            + std::fmt::Debug,
    {
        self.apply_in(NS, yaml).await
    }

    /// [`Self::apply`] into namespace `ns` (created when missing).
    pub async fn apply_in<K>(&self, ns: &str, yaml: &str) -> K
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
            + Clone
            + serde::de::DeserializeOwned
            + serde::Serialize
            + std::fmt::Debug,
    {
        let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(self.client.clone());
        if namespaces.get_opt(ns).await.expect("read namespace").is_none() {
            let namespace = serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}});
            namespaces
                .create(&PostParams::default(), &serde_json::from_value(namespace).expect("namespace"))
                .await
                .expect("create namespace");
        }
        let value: serde_json::Value = serde_yaml::from_str(yaml).expect("manifest YAML");
        let name = value.pointer("/metadata/name").and_then(|v| v.as_str()).expect("metadata.name").to_owned();
        let api: Api<K> = Api::namespaced(self.client.clone(), ns);
        api.patch(&name, &PatchParams::apply("kubectl").force(), &Patch::Apply(&value)).await.expect("apply")
    }

    pub fn calls(&self, op: &str) -> u64 {
        self.sim.stats().calls(op)
    }

    /// Calls so far of every ECS and Application Auto Scaling operation that changes something.
    pub fn write_calls(&self) -> u64 {
        let stats = self.sim.stats();
        ECS_WRITES.iter().chain(SCALING_WRITES).map(|op| stats.calls(op)).sum()
    }

    /// The ECS and Application Auto Scaling write operations called so far, with their counts
    /// (none: nothing was changed).
    pub fn writes_made(&self) -> Vec<(&'static str, u64)> {
        let stats = self.sim.stats();
        ECS_WRITES.iter().chain(SCALING_WRITES).map(|op| (*op, stats.calls(op))).filter(|(_, n)| *n > 0).collect()
    }

    /// Polls `check` until it returns Some, failing after WAIT.
    pub async fn eventually<T, F, Fut>(&self, what: &str, check: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Option<T>>,
    {
        self.eventually_within(what, WAIT, check).await
    }

    /// Polls `check` until it returns Some, failing after `limit`.
    pub async fn eventually_within<T, F, Fut>(&self, what: &str, limit: Duration, mut check: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Option<T>>,
    {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            if let Some(v) = check().await {
                return v;
            }
            assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A moto_server on a free loopback port, killed on drop.
pub struct Moto {
    child: std::process::Child,
    pub endpoint: String,
}

impl Moto {
    pub async fn start() -> Self {
        let bin = std::env::var_os("MOTO_SERVER")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/venv/bin/moto_server"));
        assert!(
            bin.exists(),
            "moto_server not found at {}: run `bash tests/run.sh` (it installs moto) or set MOTO_SERVER",
            bin.display()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
        let child = std::process::Command::new(&bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start moto_server");
        let moto = Self { child, endpoint: format!("http://127.0.0.1:{port}") };
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            assert!(tokio::time::Instant::now() < deadline, "moto_server did not start listening");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        moto
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Bed {
    fn drop(&mut self) {
        if let Some((tx, handle)) = self.operator.take() {
            let _ = tx.send(());
            handle.abort();
        }
    }
}
