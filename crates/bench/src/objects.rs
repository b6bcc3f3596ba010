//! What the bench asks for: the CRDs (from the operator binary's own `crdgen`, so they always
//! match it), and N TaskDefinitions and N ECSServices spread over ECSClusters, applied with
//! server-side apply the way `kubectl apply --server-side` sends them.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams};
use kube::runtime::wait::{await_condition, conditions};
use serde_json::{Value, json};

use crate::error::{BenchError, Result};

pub const NAMESPACE: &str = "default";
const GROUP: &str = "ecs.operator.dev";
const VERSION: &str = "v1alpha1";
/// Concurrent applies: enough to apply 10,000 objects in seconds, few enough not to starve the
/// operator of the two cores it shares with the simulators.
const APPLY_CONCURRENCY: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Cluster,
    TaskDefinition,
    Service,
    /// Only the chaos run has any (the batch sample's); the benchmark watches none come.
    CapacityProvider,
    /// Only the chaos run has any (the migration sample).
    Task,
    /// Only the chaos run has any (the storefront sample).
    Express,
}

impl Kind {
    pub const ALL: [Kind; 6] =
        [Kind::Cluster, Kind::TaskDefinition, Kind::Service, Kind::CapacityProvider, Kind::Task, Kind::Express];

    pub fn api_resource(self) -> ApiResource {
        let (kind, plural) = match self {
            Kind::Cluster => ("ECSCluster", "ecsclusters"),
            Kind::TaskDefinition => ("TaskDefinition", "taskdefinitions"),
            Kind::Service => ("ECSService", "ecsservices"),
            Kind::CapacityProvider => ("CapacityProvider", "capacityproviders"),
            Kind::Task => ("ECSTask", "ecstasks"),
            Kind::Express => ("ECSExpressService", "ecsexpressservices"),
        };
        ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(GROUP, VERSION, kind), plural)
    }

    pub fn api(self, client: &kube::Client) -> Api<DynamicObject> {
        Api::namespaced_with(client.clone(), NAMESPACE, &self.api_resource())
    }
}

/// The shape of one run: which service lives in which cluster, and which services run with
/// `driftPolicy: Report` (so their drift stays listed in `status.drift`).
#[derive(Debug, Clone)]
pub struct Layout {
    pub services: usize,
    pub clusters: usize,
    /// TaskDefinitions the services share round-robin (one each when equal to `services`).
    pub task_definitions: usize,
    pub report_drift: BTreeSet<usize>,
}

impl Layout {
    /// `task_definitions`: None for one per service.
    pub fn new(services: usize, services_per_cluster: usize, task_definitions: Option<usize>) -> Self {
        let clusters = services.div_ceil(services_per_cluster.max(1)).max(1);
        let task_definitions = task_definitions.unwrap_or(services).clamp(1, services.max(1));
        Self { services, clusters, task_definitions, report_drift: BTreeSet::new() }
    }

    /// The TaskDefinition a service runs.
    fn task_definition_of(&self, service: usize) -> String {
        Self::service_name(service % self.task_definitions)
    }

    pub fn cluster_name(&self, index: usize) -> String {
        format!("bench-{index}")
    }

    pub fn service_name(index: usize) -> String {
        format!("svc-{index:05}")
    }

    /// Round-robin, so every cluster holds about the same number of services.
    pub fn cluster_of(&self, service: usize) -> String {
        self.cluster_name(service % self.clusters)
    }

    /// Every object, clusters first, then each task definition followed by its service.
    pub fn manifests(&self) -> Vec<(Kind, Value)> {
        let mut out = Vec::with_capacity(self.object_count());
        for c in 0..self.clusters {
            out.push((Kind::Cluster, cluster(&self.cluster_name(c))));
        }
        for s in 0..self.services {
            let name = Self::service_name(s);
            if s < self.task_definitions {
                out.push((Kind::TaskDefinition, task_definition(&name)));
            }
            let td = self.task_definition_of(s);
            out.push((Kind::Service, service(&name, &td, &self.cluster_of(s), self.report_drift.contains(&s))));
        }
        out
    }

    pub fn object_count(&self) -> usize {
        self.clusters + self.task_definitions + self.services
    }
}

fn cluster(name: &str) -> Value {
    json!({
        "apiVersion": format!("{GROUP}/{VERSION}"), "kind": "ECSCluster",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {"clusterName": name},
    })
}

fn task_definition(name: &str) -> Value {
    json!({
        "apiVersion": format!("{GROUP}/{VERSION}"), "kind": "TaskDefinition",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {
            "requiresCompatibilities": ["FARGATE"],
            "networkMode": "awsvpc",
            "cpu": "256",
            "memory": "512",
            "containerDefinitions": [{
                "name": "app",
                "image": "public.ecr.aws/nginx/nginx:1.27",
                "portMappings": [{"containerPort": 80}],
            }],
        },
    })
}

fn service(name: &str, task_definition: &str, cluster: &str, report_drift: bool) -> Value {
    let mut svc = json!({
        "apiVersion": format!("{GROUP}/{VERSION}"), "kind": "ECSService",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {
            "clusterRef": {"name": cluster},
            "taskDefinitionRef": {"name": task_definition},
            "desiredCount": 1,
            "launchType": "FARGATE",
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-0123456789abcdef0"]}},
        },
    });
    if report_drift {
        svc["spec"]["driftPolicy"] = json!("Report");
    }
    svc
}

/// Installs the CRDs `<operator> crdgen` prints and waits until they are served.
pub async fn install_crds(client: &kube::Client, operator: &Path) -> Result<()> {
    let out = tokio::task::spawn_blocking({
        let operator = operator.to_path_buf();
        move || std::process::Command::new(operator).arg("crdgen").output()
    })
    .await
    .map_err(|e| BenchError::Failed(format!("crdgen task: {e}")))?
    .map_err(BenchError::io("running `ecs-operator crdgen`"))?;
    if !out.status.success() {
        return Err(BenchError::Failed(format!(
            "`ecs-operator crdgen` failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    for doc in serde_yaml::Deserializer::from_str(&text) {
        let value = <Value as serde::Deserialize>::deserialize(doc)
            .map_err(|e| BenchError::Failed(format!("crdgen output is not YAML: {e}")))?;
        if value.is_null() {
            continue;
        }
        let crd: CustomResourceDefinition = serde_json::from_value(value)
            .map_err(|e| BenchError::Failed(format!("crdgen output is not a CRD: {e}")))?;
        let name = crd.metadata.name.clone().unwrap_or_default();
        api.create(&PostParams::default(), &crd).await.map_err(BenchError::kube(format!("creating CRD {name}")))?;
        tokio::time::timeout(
            Duration::from_secs(30),
            await_condition(api.clone(), &name, conditions::is_crd_established()),
        )
        .await
        .map_err(|_| BenchError::Failed(format!("CRD {name} not established in time")))?
        .map_err(|e| BenchError::Failed(format!("watching CRD {name}: {e}")))?;
    }
    Ok(())
}

/// Server-side applies every manifest; returns how many API requests that took.
pub async fn apply_all(client: &kube::Client, manifests: Vec<(Kind, Value)>) -> Result<u64> {
    let count = manifests.len() as u64;
    futures::stream::iter(manifests)
        .map(|(kind, value)| {
            let api = kind.api(client);
            async move {
                let name = value.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default().to_owned();
                api.patch(&name, &PatchParams::apply("ecs-operator-bench").force(), &Patch::Apply(&value))
                    .await
                    .map_err(BenchError::kube(format!("applying {kind:?} {name}")))
            }
        })
        .buffer_unordered(APPLY_CONCURRENCY)
        .try_for_each(|_| async { Ok(()) })
        .await?;
    Ok(count)
}
