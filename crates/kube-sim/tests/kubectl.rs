//! The real kubectl (on the PATH) against kube-sim, using the operator's CRDs and samples from
//! the repository: apply, get with printer columns, categories, explain, status patches, wait,
//! finalizers, server-side apply and a CEL rejection.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Cluster {
    _sim: kube_sim::KubeSim,
    kubeconfig: PathBuf,
    _dir: TempDir,
}

/// A temporary directory removed on drop.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn repo() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

async fn cluster(tag: &str) -> Cluster {
    let sim = kube_sim::start().await.expect("start kube-sim");
    let dir = std::env::temp_dir().join(format!("kube-sim-kubectl-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let kubeconfig = dir.join("kubeconfig");
    sim.write_kubeconfig(&kubeconfig).expect("kubeconfig");
    Cluster { _sim: sim, kubeconfig, _dir: TempDir(dir) }
}

impl Cluster {
    /// Runs kubectl off the async runtime so the in-process server keeps serving.
    async fn kubectl(&self, args: &[&str]) -> Output {
        let kubeconfig = self.kubeconfig.clone();
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        tokio::task::spawn_blocking(move || {
            Command::new("kubectl").arg("--kubeconfig").arg(&kubeconfig).args(&args).current_dir(repo()).output()
        })
        .await
        .expect("join")
        .expect("kubectl on the PATH")
    }

    async fn ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args).await;
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "kubectl {args:?} failed\nstdout: {stdout}\nstderr: {stderr}");
        stdout.into_owned()
    }

    async fn fails(&self, args: &[&str]) -> String {
        let out = self.kubectl(args).await;
        assert!(
            !out.status.success(),
            "kubectl {args:?} unexpectedly succeeded: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    async fn install_crds(&self) {
        self.ok(&["apply", "-f", "crds/"]).await;
        self.ok(&[
            "wait",
            "--for=condition=Established",
            "--timeout=20s",
            "crd/taskdefinitions.ecs.operator.dev",
            "crd/ecsservices.ecs.operator.dev",
            "crd/ecsclusters.ecs.operator.dev",
        ])
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_crds_and_samples_then_get_and_explain() {
    let c = cluster("apply").await;
    c.install_crds().await;
    c.ok(&["apply", "-f", "config/samples/"]).await;
    let all = c.ok(&["get", "ecs"]).await;
    assert!(all.contains("taskdefinition.ecs.operator.dev/"), "{all}");
    assert!(all.contains("ecsservice.ecs.operator.dev/"), "{all}");
    assert!(all.contains("ecscluster.ecs.operator.dev/"), "{all}");
    let wide = c.ok(&["get", "ecsservices", "-o", "wide"]).await;
    let header = wide.lines().next().unwrap_or_default();
    for column in ["NAME", "CLUSTER", "TASKDEF", "DESIRED", "RUNNING", "ROLLOUT", "READY", "AGE", "ARN"] {
        assert!(header.contains(column), "missing {column} in {header}");
    }
    let explained = c.ok(&["explain", "taskdefinition.spec.containerDefinitions.portMappings"]).await;
    assert!(explained.contains("containerPort"), "{explained}");
    let short = c.ok(&["get", "ecstd"]).await;
    assert!(short.lines().count() >= 2, "{short}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_patch_wait_and_finalizers() {
    let c = cluster("status").await;
    c.install_crds().await;
    c.ok(&["apply", "-f", "config/samples/ecscluster-fargate.yaml"]).await;
    let name = "web-fargate";
    let ready = r#"{"status":{"conditions":[{"type":"Ready","status":"True","reason":"Active","message":"","lastTransitionTime":"2026-01-01T00:00:00Z"}]}}"#;
    c.ok(&["patch", "ecscluster", name, "--subresource=status", "--type=merge", "-p", ready]).await;
    c.ok(&["wait", "--for=condition=Ready", "--timeout=10s", &format!("ecscluster/{name}")]).await;
    let got = c.ok(&["get", "ecscluster", name]).await;
    assert!(got.contains("True"), "{got}");

    c.ok(&[
        "patch",
        "ecscluster",
        name,
        "--type=merge",
        "-p",
        r#"{"metadata":{"finalizers":["ecs.operator.dev/cleanup"]}}"#,
    ])
    .await;
    c.ok(&["delete", "ecscluster", name, "--wait=false"]).await;
    let held = c.ok(&["get", "ecscluster", name, "-o", "jsonpath={.metadata.deletionTimestamp}"]).await;
    assert!(!held.trim().is_empty(), "deletionTimestamp set while the finalizer remains");
    c.ok(&["patch", "ecscluster", name, "--type=merge", "-p", r#"{"metadata":{"finalizers":null}}"#]).await;
    c.ok(&["wait", "--for=delete", "--timeout=10s", &format!("ecscluster/{name}")]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_side_apply_and_cel_rejection() {
    let c = cluster("ssa").await;
    c.install_crds().await;
    c.ok(&["apply", "--server-side", "-f", "config/samples/taskdefinition-nginx-fargate.yaml"]).await;
    let managers =
        c.ok(&["get", "taskdefinitions", "-o", "jsonpath={.items[*].metadata.managedFields[*].manager}"]).await;
    assert!(managers.contains("kubectl"), "{managers}");
    let bad = "apiVersion: ecs.operator.dev/v1alpha1
kind: TaskDefinition
metadata:
  name: too-small
spec:
  requiresCompatibilities: [FARGATE]
  networkMode: awsvpc
  cpu: \"256\"
  memory: \"4 GB\"
  containerDefinitions:
    - name: web
      image: nginx
";
    let path = c.kubeconfig.with_file_name("bad.yaml");
    std::fs::write(&path, bad).expect("write manifest");
    let stderr = c.fails(&["apply", "-f", path.to_str().unwrap_or_default()]).await;
    assert!(stderr.contains("spec.memory"), "{stderr}");
    assert!(stderr.contains("must be a Fargate task size"), "{stderr}");
    // A cpu that is no Fargate size is reported at spec.cpu (the rule's fieldPath), with the
    // sizes there are, not as a memory that does not fit it.
    std::fs::write(&path, bad.replace("cpu: \"256\"", "cpu: \"300\"").replace("\"4 GB\"", "\"1024\""))
        .expect("write manifest");
    let stderr = c.fails(&["apply", "-f", path.to_str().unwrap_or_default()]).await;
    assert!(
        stderr.contains("spec.cpu: Invalid value: \"object\": cpu must be a Fargate task size")
            && stderr.contains("256, 512"),
        "{stderr}"
    );
    assert!(!stderr.contains("spec.memory"), "the memory fits a valid cpu: {stderr}");
}
