//! `ecs-operator local`: the whole product on one machine with no cloud and no cluster. Starts
//! kube-sim and ecs-sim in-process on loopback (simulated time sped up so rollouts take
//! seconds), installs the CRDs, runs the controllers, applies the samples, writes a kubeconfig
//! for kubectl, and shows the objects' conditions until Ctrl-C (or, with `--once`, until every
//! sample is Ready or a deadline passes).

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use kube::runtime::wait::{await_condition, conditions};

use crate::aws::AwsClients;
use crate::controller::Config;

/// The samples shipped with the binary, applied in this order (capacity providers, clusters,
/// task definitions, services, one-off tasks, Express services), so local mode works from any
/// directory.
pub const SAMPLES: &[(&str, &str)] = &[
    ("capacityprovider-batch-asg.yaml", include_str!("../config/samples/capacityprovider-batch-asg.yaml")),
    (
        "capacityprovider-managed-instances.yaml",
        include_str!("../config/samples/capacityprovider-managed-instances.yaml"),
    ),
    ("ecscluster-fargate.yaml", include_str!("../config/samples/ecscluster-fargate.yaml")),
    ("ecscluster-ec2-asg.yaml", include_str!("../config/samples/ecscluster-ec2-asg.yaml")),
    ("ecscluster-managed-instances.yaml", include_str!("../config/samples/ecscluster-managed-instances.yaml")),
    ("taskdefinition-nginx-fargate.yaml", include_str!("../config/samples/taskdefinition-nginx-fargate.yaml")),
    (
        "taskdefinition-api-firelens-arm64.yaml",
        include_str!("../config/samples/taskdefinition-api-firelens-arm64.yaml"),
    ),
    ("taskdefinition-worker-ec2-bridge.yaml", include_str!("../config/samples/taskdefinition-worker-ec2-bridge.yaml")),
    ("taskdefinition-catalog-fargate.yaml", include_str!("../config/samples/taskdefinition-catalog-fargate.yaml")),
    ("taskdefinition-postgres-ebs.yaml", include_str!("../config/samples/taskdefinition-postgres-ebs.yaml")),
    (
        "taskdefinition-report-managed-instances.yaml",
        include_str!("../config/samples/taskdefinition-report-managed-instances.yaml"),
    ),
    ("ecsservice-web-alb.yaml", include_str!("../config/samples/ecsservice-web-alb.yaml")),
    ("ecsservice-api-blue-green.yaml", include_str!("../config/samples/ecsservice-api-blue-green.yaml")),
    ("ecsservice-api-canary.yaml", include_str!("../config/samples/ecsservice-api-canary.yaml")),
    ("ecsservice-orders-linear.yaml", include_str!("../config/samples/ecsservice-orders-linear.yaml")),
    ("ecsservice-worker-ec2.yaml", include_str!("../config/samples/ecsservice-worker-ec2.yaml")),
    ("ecsservice-log-agent-daemon.yaml", include_str!("../config/samples/ecsservice-log-agent-daemon.yaml")),
    (
        "ecsservice-catalog-service-connect.yaml",
        include_str!("../config/samples/ecsservice-catalog-service-connect.yaml"),
    ),
    ("ecsservice-catalog-lattice.yaml", include_str!("../config/samples/ecsservice-catalog-lattice.yaml")),
    ("ecsservice-postgres-ebs.yaml", include_str!("../config/samples/ecsservice-postgres-ebs.yaml")),
    (
        "ecsservice-report-managed-instances.yaml",
        include_str!("../config/samples/ecsservice-report-managed-instances.yaml"),
    ),
    ("ecstask-web-migrate.yaml", include_str!("../config/samples/ecstask-web-migrate.yaml")),
    ("ecsexpressservice-storefront.yaml", include_str!("../config/samples/ecsexpressservice-storefront.yaml")),
];

/// Options of `ecs-operator local`.
#[derive(Debug, Clone)]
pub struct LocalOptions {
    pub kubeconfig_out: PathBuf,
    pub apply_samples: bool,
    /// Exit once every sample is Ready (0) or `timeout` passes (1).
    pub once: bool,
    pub timeout: Duration,
    /// Simulated ECS time per real second.
    pub speed: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error("starting kube-sim: {0}")]
    KubeSim(#[from] kube_sim::Error),
    #[error("starting ecs-sim: {0}")]
    EcsSim(#[from] ecs_sim::Error),
    #[error("{step}: {source}")]
    Kube {
        step: &'static str,
        #[source]
        source: kube::Error,
    },
    #[error("{0}: {1}")]
    Sample(&'static str, String),
    #[error(transparent)]
    Controllers(#[from] crate::controller::RunError),
    #[error("not every sample became Ready within {0:?}")]
    NotReady(Duration),
}

fn kube_err(step: &'static str) -> impl FnOnce(kube::Error) -> LocalError {
    move |source| LocalError::Kube { step, source }
}

/// The resource of each kind, for dynamic listing and applying.
fn resource(kind: &str) -> Option<ApiResource> {
    let plural = match kind {
        "TaskDefinition" => "taskdefinitions",
        "ECSService" => "ecsservices",
        "ECSCluster" => "ecsclusters",
        "CapacityProvider" => "capacityproviders",
        "ECSTask" => "ecstasks",
        "ECSExpressService" => "ecsexpressservices",
        _ => return None,
    };
    let gvk = GroupVersionKind::gvk(crate::crd::common::GROUP, crate::crd::common::VERSION, kind);
    Some(ApiResource::from_gvk_with_plural(&gvk, plural))
}

const KINDS: &[&str] =
    &["CapacityProvider", "ECSCluster", "TaskDefinition", "ECSService", "ECSTask", "ECSExpressService"];

pub async fn run(
    options: LocalOptions,
    shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static,
) -> Result<(), LocalError> {
    let kube = kube_sim::start().await?;
    if let Some(dir) = options.kubeconfig_out.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| LocalError::Sample("creating the kubeconfig folder", e.to_string()))?;
    }
    kube.write_kubeconfig(&options.kubeconfig_out)?;
    let sim_config = ecs_sim::SimConfig {
        clock: ecs_sim::ClockMode::Scaled { speed: options.speed },
        ..ecs_sim::SimConfig::default()
    };
    let ecs = ecs_sim::start(sim_config)?;
    let client = kube.client().await?;
    install_crds(&client).await?;
    let metrics = Arc::new(crate::metrics::Metrics::default());
    let (ecs_client, aws) = local_aws(ecs.endpoint(), &metrics);
    create_outside_resources(&ecs_client).await?;
    let config = Config {
        cluster_id: "local".into(),
        resync_interval: Duration::from_secs(10),
        rollout_poll_interval: Duration::from_secs(1),
        service_poll_interval: Duration::from_secs(5),
        metrics,
        ..Default::default()
    };
    println!("kube-sim   {}", kube.url());
    println!("ecs-sim    {} (simulated time ×{})", ecs.endpoint(), options.speed);
    println!("kubeconfig {}", options.kubeconfig_out.display());
    println!("try:       KUBECONFIG={} kubectl get ecs", options.kubeconfig_out.display());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let controllers = tokio::spawn(crate::controller::run(client.clone(), aws, config, async move {
        let _ = stop_rx.await;
    }));
    if options.apply_samples {
        apply_samples(&client).await?;
    }
    let outcome = if options.once {
        watch_until_ready(&client, options.timeout).await
    } else {
        watch_until(&client, shutdown).await
    };
    let _ = stop_tx.send(());
    if let Ok(Err(err)) = controllers.await {
        return Err(err.into());
    }
    // The simulators stop when `kube` and `ecs` drop here.
    outcome
}

/// What the samples reference but do not create, as a real account would already have it: the
/// `log-agent` task definition (registered by another tool). Public for the tests that apply
/// every sample against their own ecs-sim.
pub async fn create_outside_resources(ecs: &aws_sdk_ecs::Client) -> Result<(), LocalError> {
    use aws_sdk_ecs::types::{Compatibility, ContainerDefinition};
    let fail = |e: String| LocalError::Sample("creating the resources the samples reference", e);
    let agent = ContainerDefinition::builder()
        .name("agent")
        .image("public.ecr.aws/aws-observability/aws-otel-collector:latest")
        .memory(256)
        .build();
    ecs.register_task_definition()
        .family("log-agent")
        .requires_compatibilities(Compatibility::Ec2)
        .container_definitions(agent)
        .send()
        .await
        .map_err(|e| fail(e.to_string()))?;
    Ok(())
}

fn local_aws(endpoint: &str, metrics: &Arc<crate::metrics::Metrics>) -> (aws_sdk_ecs::Client, AwsClients) {
    let traffic = crate::aws::traffic::Traffic::new(80, metrics.clone());
    let sdk = crate::aws::simulator_config(endpoint, "us-east-1", &traffic);
    (aws_sdk_ecs::Client::new(&sdk), AwsClients::from_config(&sdk))
}

async fn install_crds(client: &kube::Client) -> Result<(), LocalError> {
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    for crd in crate::crd::all() {
        let name = crd.metadata.name.clone().unwrap_or_default();
        crds.create(&PostParams::default(), &crd).await.map_err(kube_err("installing the CRDs"))?;
        tokio::time::timeout(
            Duration::from_secs(10),
            await_condition(crds.clone(), &name, conditions::is_crd_established()),
        )
        .await
        .map_err(|_| LocalError::Sample("installing the CRDs", format!("{name} was not established")))?
        .map_err(|e| LocalError::Sample("installing the CRDs", e.to_string()))?;
    }
    Ok(())
}

/// Server-side applies every sample into namespace `default`, in [`SAMPLES`] order.
pub async fn apply_samples(client: &kube::Client) -> Result<(), LocalError> {
    for (file, text) in SAMPLES {
        let value: serde_json::Value =
            serde_yaml::from_str(text).map_err(|e| LocalError::Sample("reading a sample", format!("{file}: {e}")))?;
        let kind = value.get("kind").and_then(|k| k.as_str()).unwrap_or_default();
        let name = value.pointer("/metadata/name").and_then(|n| n.as_str()).unwrap_or_default();
        let Some(ar) = resource(kind) else {
            return Err(LocalError::Sample("reading a sample", format!("{file}: unknown kind {kind}")));
        };
        let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), "default", &ar);
        api.patch(name, &PatchParams::apply("ecs-operator-local"), &Patch::Apply(&value))
            .await
            .map_err(kube_err("applying the samples"))?;
    }
    Ok(())
}

/// One line per object: kind/name and its Ready, Synced, Progressing and Degraded reasons.
async fn snapshot(client: &kube::Client) -> Result<BTreeMap<String, (bool, String)>, LocalError> {
    let mut rows = BTreeMap::new();
    for kind in KINDS {
        let Some(ar) = resource(kind) else { continue };
        let api: Api<DynamicObject> = Api::all_with(client.clone(), &ar);
        for obj in api.list(&ListParams::default()).await.map_err(kube_err("listing objects"))?.items {
            let name = obj.metadata.name.clone().unwrap_or_default();
            let conditions =
                obj.data.pointer("/status/conditions").and_then(|c| c.as_array()).cloned().unwrap_or_default();
            let field = |t: &str| {
                conditions.iter().find(|c| c.get("type").and_then(|v| v.as_str()) == Some(t)).map(|c| {
                    let status = c.get("status").and_then(|v| v.as_str()).unwrap_or("?");
                    let reason = c.get("reason").and_then(|v| v.as_str()).unwrap_or("");
                    (status == "True", format!("{t}={status}({reason})"))
                })
            };
            let ready = field("Ready");
            let detail: Vec<String> =
                ["Ready", "Synced", "Progressing", "Degraded"].iter().filter_map(|t| field(t).map(|f| f.1)).collect();
            let line = if detail.is_empty() { "pending".to_owned() } else { detail.join(" ") };
            rows.insert(format!("{kind}/{name}"), (ready.is_some_and(|r| r.0), line));
        }
    }
    Ok(rows)
}

fn render(rows: &BTreeMap<String, (bool, String)>, tty: bool) {
    let mut out = std::io::stdout().lock();
    if tty {
        // Clear the screen and redraw: a live view on a terminal, plain lines otherwise.
        let _ = write!(out, "\x1b[2J\x1b[H");
    }
    let width = rows.keys().map(String::len).max().unwrap_or(0);
    for (name, (_, line)) in rows {
        let _ = writeln!(out, "{name:<width$}  {line}");
    }
    let ready = rows.values().filter(|r| r.0).count();
    let _ = writeln!(out, "{ready}/{} Ready", rows.len());
    let _ = out.flush();
}

async fn watch_until(client: &kube::Client, shutdown: impl std::future::Future<Output = ()>) -> Result<(), LocalError> {
    let tty = std::io::stdout().is_terminal();
    tokio::pin!(shutdown);
    let mut last = BTreeMap::new();
    loop {
        let rows = snapshot(client).await?;
        if tty || rows != last {
            render(&rows, tty);
            last = rows;
        }
        tokio::select! {
            _ = &mut shutdown => return Ok(()),
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

async fn watch_until_ready(client: &kube::Client, timeout: Duration) -> Result<(), LocalError> {
    let deadline = Instant::now() + timeout;
    let mut last = BTreeMap::new();
    loop {
        let rows = snapshot(client).await?;
        if rows != last {
            render(&rows, false);
            last = rows.clone();
        }
        if !rows.is_empty() && rows.values().all(|r| r.0) {
            println!("every sample is Ready");
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(LocalError::NotReady(timeout));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sample_file_is_embedded() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/config/samples");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .expect("samples folder")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".yaml"))
            .collect();
        files.sort();
        let mut embedded: Vec<String> = SAMPLES.iter().map(|(f, _)| f.to_string()).collect();
        embedded.sort();
        assert_eq!(files, embedded, "add new samples to local::SAMPLES");
    }
}
