//! `ecs-operator local`: the whole product on one machine with no cloud and no cluster. Starts
//! kube-sim and ecs-sim in-process on loopback (simulated time sped up so rollouts take
//! seconds), installs the CRDs, runs the controllers, applies the samples, writes a kubeconfig
//! for kubectl, and shows a live view of the objects (`watch`) until Ctrl-C (or, with `--once`, until every
//! sample is Ready or a deadline passes).

mod view;
mod watch;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, DynamicObject, Patch, PatchParams, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use kube::runtime::wait::{await_condition, conditions};

use crate::aws::AwsClients;
use crate::controller::Config;

/// The samples shipped with the binary, applied in this order (capacity providers, clusters,
/// task definitions, services, one-off tasks, Express services), so local mode works from any
/// directory.
pub const SAMPLES: &[(&str, &str)] = &[
    ("capacityprovider-batch-asg.yaml", include_str!("../../config/samples/capacityprovider-batch-asg.yaml")),
    (
        "capacityprovider-managed-instances.yaml",
        include_str!("../../config/samples/capacityprovider-managed-instances.yaml"),
    ),
    ("ecscluster-fargate.yaml", include_str!("../../config/samples/ecscluster-fargate.yaml")),
    ("ecscluster-ec2-asg.yaml", include_str!("../../config/samples/ecscluster-ec2-asg.yaml")),
    ("ecscluster-managed-instances.yaml", include_str!("../../config/samples/ecscluster-managed-instances.yaml")),
    ("taskdefinition-nginx-fargate.yaml", include_str!("../../config/samples/taskdefinition-nginx-fargate.yaml")),
    (
        "taskdefinition-api-firelens-arm64.yaml",
        include_str!("../../config/samples/taskdefinition-api-firelens-arm64.yaml"),
    ),
    (
        "taskdefinition-worker-ec2-bridge.yaml",
        include_str!("../../config/samples/taskdefinition-worker-ec2-bridge.yaml"),
    ),
    ("taskdefinition-catalog-fargate.yaml", include_str!("../../config/samples/taskdefinition-catalog-fargate.yaml")),
    ("taskdefinition-postgres-ebs.yaml", include_str!("../../config/samples/taskdefinition-postgres-ebs.yaml")),
    (
        "taskdefinition-report-managed-instances.yaml",
        include_str!("../../config/samples/taskdefinition-report-managed-instances.yaml"),
    ),
    ("ecsservice-web-alb.yaml", include_str!("../../config/samples/ecsservice-web-alb.yaml")),
    ("ecsservice-api-blue-green.yaml", include_str!("../../config/samples/ecsservice-api-blue-green.yaml")),
    ("ecsservice-api-canary.yaml", include_str!("../../config/samples/ecsservice-api-canary.yaml")),
    ("ecsservice-orders-linear.yaml", include_str!("../../config/samples/ecsservice-orders-linear.yaml")),
    ("ecsservice-worker-ec2.yaml", include_str!("../../config/samples/ecsservice-worker-ec2.yaml")),
    ("ecsservice-log-agent-daemon.yaml", include_str!("../../config/samples/ecsservice-log-agent-daemon.yaml")),
    (
        "ecsservice-catalog-service-connect.yaml",
        include_str!("../../config/samples/ecsservice-catalog-service-connect.yaml"),
    ),
    ("ecsservice-catalog-lattice.yaml", include_str!("../../config/samples/ecsservice-catalog-lattice.yaml")),
    ("ecsservice-postgres-ebs.yaml", include_str!("../../config/samples/ecsservice-postgres-ebs.yaml")),
    (
        "ecsservice-report-managed-instances.yaml",
        include_str!("../../config/samples/ecsservice-report-managed-instances.yaml"),
    ),
    ("ecstask-web-migrate.yaml", include_str!("../../config/samples/ecstask-web-migrate.yaml")),
    ("ecsexpressservice-storefront.yaml", include_str!("../../config/samples/ecsexpressservice-storefront.yaml")),
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
    /// The operator's log file, which the view points at when something goes wrong.
    pub log: Option<PathBuf>,
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
    // Printed absolute, so that the commands shown work from any directory.
    let kubeconfig = std::path::absolute(&options.kubeconfig_out).unwrap_or(options.kubeconfig_out.clone());
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
    println!("kubeconfig {}", kubeconfig.display());
    if let Some(log) = &options.log {
        println!("log        {}", log.display());
    }
    println!("try:       KUBECONFIG={} kubectl get ecs", kubeconfig.display());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let ecs_api = aws.ecs.clone();
    let controllers = tokio::spawn(crate::controller::run(client.clone(), aws, config, async move {
        let _ = stop_rx.await;
    }));
    if options.apply_samples {
        apply_samples(&client).await?;
    }
    let around = watch::Surroundings {
        kubeconfig,
        log: options.log.clone(),
        ecs_endpoint: ecs.endpoint().to_owned(),
        speed: options.speed,
    };
    let until = if options.once { watch::Until::AllReady(options.timeout) } else { watch::Until::Shutdown(shutdown) };
    let outcome = watch::watch(&client, ecs_api.as_ref(), &around, until).await;
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

/// kubectl's annotation for client-side apply: the configuration last applied.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// The field manager of `kubectl apply --server-side`.
const KUBECTL: &str = "kubectl";

/// The field manager kubectl keeps the last-applied annotation under when it server-side
/// applies, so that the annotation outlives applies that do not carry it.
const KUBECTL_LAST_APPLIED: &str = "kubectl-last-applied";

/// Loads every sample into namespace `default`, in [`SAMPLES`] order, so that a user can go on
/// with either kind of `kubectl apply`, as kubectl itself leaves an object it server-side
/// applied: the manifest under kubectl's field manager (so `kubectl apply --server-side` finds
/// its own fields, no conflict), and the last-applied-configuration annotation under
/// `kubectl-last-applied` (so client-side `kubectl apply` finds what it expects, no warning,
/// even after a server-side apply that does not carry the annotation).
pub async fn apply_samples(client: &kube::Client) -> Result<(), LocalError> {
    for (file, text) in SAMPLES {
        let mut value: serde_json::Value =
            serde_yaml::from_str(text).map_err(|e| LocalError::Sample("reading a sample", format!("{file}: {e}")))?;
        let kind = value.get("kind").and_then(|k| k.as_str()).unwrap_or_default().to_owned();
        let Some(ar) = resource(&kind) else {
            return Err(LocalError::Sample("reading a sample", format!("{file}: unknown kind {kind}")));
        };
        let (object, annotation) = as_kubectl_applies(&mut value, "default")
            .map_err(|e| LocalError::Sample("reading a sample", format!("{file}: {e}")))?;
        let name = object.metadata.name.clone().unwrap_or_default();
        let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), "default", &ar);
        for (manager, patch) in [(KUBECTL, &object), (KUBECTL_LAST_APPLIED, &annotation)] {
            api.patch(&name, &PatchParams::apply(manager), &Patch::Apply(patch))
                .await
                .map_err(kube_err("applying the samples"))?;
        }
    }
    Ok(())
}

/// `manifest` as kubectl server-side applies it (the namespace filled in, no last-applied
/// annotation), and the annotation-only object kubectl applies beside it: the manifest
/// itself (with that namespace) serialised as kubectl does (compact JSON, keys sorted, one
/// line).
fn as_kubectl_applies(
    manifest: &mut serde_json::Value,
    namespace: &str,
) -> Result<(DynamicObject, DynamicObject), String> {
    let metadata = manifest
        .get_mut("metadata")
        .and_then(|m| m.as_object_mut())
        .ok_or_else(|| "metadata is not a mapping".to_owned())?;
    metadata.entry("namespace").or_insert_with(|| namespace.into());
    if let Some(annotations) = metadata.get_mut("annotations").and_then(|a| a.as_object_mut()) {
        annotations.remove(LAST_APPLIED);
        if annotations.is_empty() {
            metadata.remove("annotations");
        }
    }
    let object: DynamicObject = serde_json::from_value(manifest.clone()).map_err(|e| e.to_string())?;
    let mut annotation = object.clone();
    annotation.data = serde_json::Value::Object(Default::default());
    annotation.metadata = kube::api::ObjectMeta {
        name: object.metadata.name.clone(),
        namespace: object.metadata.namespace.clone(),
        annotations: Some([(LAST_APPLIED.to_owned(), format!("{manifest}\n"))].into()),
        ..Default::default()
    };
    Ok((object, annotation))
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
