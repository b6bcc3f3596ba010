//! Real helm (v4, from the npm package tests/run.sh installs) against kube-sim: install,
//! upgrade and uninstall of a chart with CRDs, a Deployment, RBAC and a ServiceAccount. Helm
//! stores releases in Secrets sent as protobuf, so this also covers that decoding.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn helm_bin() -> PathBuf {
    let from_env = std::env::var_os("HELM_BIN").map(PathBuf::from);
    let installed = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../.tools/layer/helm/helm")).to_path_buf();
    let bin = from_env.unwrap_or(installed);
    assert!(
        bin.exists(),
        "helm not found at {}: run `bash tests/run.sh` (it installs helm) or set HELM_BIN",
        bin.display()
    );
    bin
}

fn write_chart(dir: &Path) {
    std::fs::create_dir_all(dir.join("templates")).expect("chart dir");
    std::fs::create_dir_all(dir.join("crds")).expect("crds dir");
    std::fs::write(dir.join("Chart.yaml"), "apiVersion: v2\nname: probe\nversion: 0.1.0\n").expect("Chart.yaml");
    let crd = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../crds/crds.yaml")).expect("crds");
    std::fs::write(dir.join("crds/crds.yaml"), crd).expect("crds");
    let templates = r#"apiVersion: v1
kind: ServiceAccount
metadata:
  name: probe
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: probe
rules:
  - apiGroups: ["ecs.operator.dev"]
    resources: ["taskdefinitions"]
    verbs: ["get", "list", "watch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: probe
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: probe}
subjects: [{kind: ServiceAccount, name: probe, namespace: "{{ .Release.Namespace }}"}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: probe
spec:
  replicas: {{ .Values.replicas | default 1 }}
  selector: {matchLabels: {app: probe}}
  template:
    metadata: {labels: {app: probe}}
    spec:
      serviceAccountName: probe
      containers:
        - name: probe
          image: busybox
"#;
    std::fs::write(dir.join("templates/all.yaml"), templates).expect("templates");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn helm_install_upgrade_uninstall() {
    let helm = helm_bin();
    let sim = kube_sim::start().await.expect("start kube-sim");
    let dir = std::env::temp_dir().join(format!("kube-sim-helm-{}", std::process::id()));
    let kubeconfig = dir.join("kubeconfig");
    write_chart(&dir.join("chart"));
    sim.write_kubeconfig(&kubeconfig).expect("kubeconfig");
    let run = |args: Vec<String>| {
        let (helm, kubeconfig, home) = (helm.clone(), kubeconfig.clone(), dir.join("home"));
        tokio::task::spawn_blocking(move || -> Output {
            Command::new(&helm)
                .args(&args)
                .env("KUBECONFIG", &kubeconfig)
                .env("HELM_CACHE_HOME", home.join("cache"))
                .env("HELM_CONFIG_HOME", home.join("config"))
                .env("HELM_DATA_HOME", home.join("data"))
                .output()
                .expect("helm runs")
        })
    };
    let chart = dir.join("chart").display().to_string();
    let ok = |out: Output, what: &str| {
        assert!(out.status.success(), "helm {what} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    ok(
        run(vec!["install".into(), "probe".into(), chart.clone(), "--wait=false".into()]).await.expect("join"),
        "install",
    );
    let client = sim.client().await.expect("client");
    let deployments: kube::Api<k8s_openapi::api::apps::v1::Deployment> =
        kube::Api::namespaced(client.clone(), "default");
    assert!(deployments.get_opt("probe").await.expect("get").is_some(), "Deployment installed");
    let crds: kube::Api<k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition> =
        kube::Api::all(client.clone());
    assert!(crds.get_opt("ecsservices.ecs.operator.dev").await.expect("get").is_some(), "CRDs installed");

    ok(
        run(vec!["upgrade".into(), "probe".into(), chart, "--set".into(), "replicas=2".into()]).await.expect("join"),
        "upgrade",
    );
    let replicas = deployments.get("probe").await.expect("get").spec.and_then(|s| s.replicas);
    assert_eq!(replicas, Some(2));
    let list = ok(run(vec!["list".into()]).await.expect("join"), "list");
    assert!(list.contains("probe") && list.contains("deployed"), "{list}");

    ok(run(vec!["uninstall".into(), "probe".into()]).await.expect("join"), "uninstall");
    assert!(deployments.get_opt("probe").await.expect("get").is_none(), "Deployment removed");
    let _ = std::fs::remove_dir_all(&dir);
}
