//! `ecs-operator local` as a user runs it: `--once` converges every sample and exits 0; a
//! running local mode is driven with the real kubectl (apply a new service, see it Ready,
//! delete it).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn operator() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ecs-operator"))
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ecs-operator-local-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn once_converges_every_sample() {
    let dir = temp_dir("once");
    let out = Command::new(operator())
        .args(["local", "--once", "--timeout-seconds", "120", "--kubeconfig-out"])
        .arg(dir.join("kubeconfig"))
        .current_dir(&dir)
        .output()
        .expect("run ecs-operator local --once");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "local --once failed\nstdout:\n{stdout}\nstderr:\n{}\nlog:\n{}",
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(dir.join("operator.log")).unwrap_or_default()
    );
    assert!(stdout.contains("every sample is Ready"), "{stdout}");
    let n = ecs_operator::local::SAMPLES.len();
    assert!(stdout.contains(&format!("{n}/{n} Ready")), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Kills the local-mode process on drop.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn kubectl_drives_a_running_local_mode() {
    let dir = temp_dir("kubectl");
    let kubeconfig = dir.join("kubeconfig");
    let mut child = Command::new(operator())
        .args(["local", "--no-samples", "--kubeconfig-out"])
        .arg(&kubeconfig)
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start ecs-operator local");
    let stdout = child.stdout.take().expect("stdout");
    let _running = Running(child);
    // The kubeconfig line comes once everything is up.
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let line = lines.next().expect("local mode output").expect("line");
        if line.starts_with("try:") {
            break;
        }
        assert!(Instant::now() < deadline, "local mode did not start");
    }
    // Keep draining output so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    let kubectl = |args: &[&str]| {
        let out = Command::new("kubectl").arg("--kubeconfig").arg(&kubeconfig).args(args).output().expect("kubectl");
        assert!(out.status.success(), "kubectl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let manifest = dir.join("app.yaml");
    std::fs::write(
        &manifest,
        r#"apiVersion: ecs.operator.dev/v1alpha1
kind: ECSCluster
metadata: {name: demo}
spec:
  capacityProviders: [FARGATE]
---
apiVersion: ecs.operator.dev/v1alpha1
kind: TaskDefinition
metadata: {name: hello}
spec:
  requiresCompatibilities: [FARGATE]
  networkMode: awsvpc
  cpu: "256"
  memory: "512"
  containerDefinitions:
    - {name: hello, image: "nginx:1.27", portMappings: [{containerPort: 80}]}
---
apiVersion: ecs.operator.dev/v1alpha1
kind: ECSService
metadata: {name: hello}
spec:
  clusterRef: {name: demo}
  taskDefinitionRef: {name: hello}
  desiredCount: 2
  launchType: FARGATE
  networkConfiguration:
    awsvpcConfiguration: {subnets: [subnet-0123456789abcdef0]}
"#,
    )
    .expect("manifest");
    kubectl(&["apply", "-f", manifest.to_str().unwrap_or_default()]);
    kubectl(&["wait", "--for=condition=Ready", "--timeout=60s", "ecsservice/hello"]);
    let wide = kubectl(&["get", "ecsservice", "hello"]);
    assert!(wide.contains("COMPLETED") && wide.contains("hello:1"), "{wide}");
    kubectl(&["delete", "ecsservice", "hello", "--timeout=60s"]);
    let gone = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .args(["get", "ecsservice", "hello"])
        .output()
        .expect("kubectl");
    assert!(!gone.status.success(), "deleted");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The issue 17 scenario as a user runs it: every sample Ready in a running local mode, then
/// `kubectl delete -f config/samples/`. Everything goes but what the samples themselves keep:
/// `log-agent` has `deletionPolicy: Retain`, so its ECS service stays in `batch-ec2`; that
/// cluster's deletion waits for it (and says so), and the capacity provider waits for the
/// cluster. Before the fix the ECSServices whose cluster went first stayed too, Ready=True.
#[test]
fn kubectl_delete_of_every_sample_leaves_only_what_a_retained_service_holds() {
    let dir = temp_dir("delete-samples");
    let kubeconfig = dir.join("kubeconfig");
    let mut child = Command::new(operator())
        .args(["local", "--speed", "50", "--kubeconfig-out"])
        .arg(&kubeconfig)
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start ecs-operator local");
    let stdout = child.stdout.take().expect("stdout");
    let _running = Running(child);
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let line = lines.next().expect("local mode output").expect("line");
        if line.starts_with("try:") {
            break;
        }
        assert!(Instant::now() < deadline, "local mode did not start");
    }
    std::thread::spawn(move || for _ in lines {});
    let kubectl = |args: &[&str]| {
        let out = Command::new("kubectl").arg("--kubeconfig").arg(&kubeconfig).args(args).output().expect("kubectl");
        assert!(out.status.success(), "kubectl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // kind/name → (Ready status, reason, message) of every object left.
    let objects = || -> std::collections::BTreeMap<String, (String, String, String)> {
        let list: serde_json::Value = serde_json::from_str(&kubectl(&["get", "ecs", "-o", "json"])).expect("json");
        let items = list["items"].as_array().cloned().unwrap_or_default();
        items
            .iter()
            .map(|o| {
                let key =
                    format!("{}/{}", o["kind"].as_str().unwrap_or("?"), o["metadata"]["name"].as_str().unwrap_or("?"));
                let ready =
                    o["status"]["conditions"].as_array().and_then(|cs| cs.iter().find(|c| c["type"] == "Ready"));
                let field = |k: &str| ready.and_then(|c| c[k].as_str()).unwrap_or_default().to_owned();
                (key, (field("status"), field("reason"), field("message")))
            })
            .collect()
    };
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let all = objects();
        if all.len() == ecs_operator::local::SAMPLES.len() && all.values().all(|r| r.0 == "True") {
            break;
        }
        assert!(Instant::now() < deadline, "samples not Ready: {all:#?}");
        std::thread::sleep(Duration::from_millis(500));
    }
    let samples = concat!(env!("CARGO_MANIFEST_DIR"), "/config/samples/");
    let started = Instant::now();
    kubectl(&["delete", "-f", samples, "--wait=false"]);
    let kept = ["CapacityProvider/batch-ec2-asg", "ECSCluster/batch-ec2"];
    let left = loop {
        let left = objects();
        let only_kept = left.keys().map(String::as_str).eq(kept.iter().copied());
        if only_kept && left.values().all(|r| r.0 == "False" && r.1 == "DeletionBlocked") {
            break left;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "left 60 s after the delete: {left:#?}");
        std::thread::sleep(Duration::from_millis(250));
    };
    eprintln!("kubectl delete -f config/samples/: settled {:?} after the delete", started.elapsed());
    let cluster = &left["ECSCluster/batch-ec2"].2;
    assert!(cluster.contains("still has 1 service (log-agent)"), "{cluster}");
    let provider = &left["CapacityProvider/batch-ec2-asg"].2;
    assert!(provider.contains("ECSCluster batch-ec2, being deleted"), "{provider}");
    let _ = std::fs::remove_dir_all(&dir);
}
