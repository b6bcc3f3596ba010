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
    // Paths printed absolute, so the commands work from any directory.
    let kubeconfig = dir.join("kubeconfig");
    assert!(stdout.contains(&format!("kubeconfig {}", kubeconfig.display())), "{stdout}");
    assert!(stdout.contains(&format!("log        {}", dir.join("operator.log").display())), "{stdout}");
    // Plain mode (not a terminal): timestamped change lines, one per object that changed,
    // with revision, running/desired, rollout state, Ready and reason, and what changed.
    let changes: Vec<&str> = stdout.lines().filter(|l| l.contains("ECSService/web ")).collect();
    let first = changes.first().unwrap_or_else(|| panic!("no line for ECSService/web:\n{stdout}"));
    assert!(first.get(..8).is_some_and(is_clock) && first.ends_with("[new]"), "{first}");
    let done = changes.last().unwrap_or(first);
    let words: Vec<&str> = done.split_whitespace().collect();
    assert_eq!(words.get(1..6), Some(&["ECSService/web", "webserver:1", "2/2", "COMPLETED", "Ready"][..]), "{done}");
    assert!(done.contains("RolloutComplete") && done.contains("→ COMPLETED"), "what changed: {done}");
    let all_ready = format!("  {n}/{n} Ready");
    assert!(stdout.lines().any(|l| l.get(..8).is_some_and(is_clock) && l.ends_with(&all_ready)), "{stdout}");
    // A clean start: the samples' objects racing each other (the loader and the finalizer
    // helper writing the same object, a service made before its cluster has its capacity
    // provider) are waits and quiet retries, never a warning or a terminal error.
    let log = std::fs::read_to_string(dir.join("operator.log")).unwrap_or_default();
    let warned: Vec<&str> = log
        .lines()
        .filter(|l| l.contains(" WARN ") && (l.contains("adding the finalizer") || l.contains("terminal error")))
        .collect();
    assert!(warned.is_empty(), "{warned:#?}");
    assert!(!stdout.contains("warning"), "a Warning event on a clean start:\n{stdout}");
    // The DAEMON sample runs nothing, and says why.
    let daemon = stdout.lines().rfind(|l| l.contains("ECSService/log-agent ")).unwrap_or_default();
    assert!(daemon.contains("0/0") && daemon.contains("no task: a DAEMON service runs one task on each"), "{daemon}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// HH:MM:SS.
fn is_clock(s: &str) -> bool {
    s.len() == 8 && s.chars().enumerate().all(|(i, c)| if i == 2 || i == 5 { c == ':' } else { c.is_ascii_digit() })
}

/// With --no-samples there is nothing for --once to wait for: refused at once, saying why.
#[test]
fn once_without_samples_is_refused_with_a_reason() {
    let dir = temp_dir("once-no-samples");
    let started = Instant::now();
    let out = Command::new(operator())
        .args(["local", "--once", "--no-samples", "--kubeconfig-out"])
        .arg(dir.join("kubeconfig"))
        .current_dir(&dir)
        .output()
        .expect("run ecs-operator local --once --no-samples");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "a usage error: {stderr}");
    assert!(
        stderr.contains("--once") && stderr.contains("--no-samples") && stderr.contains("nothing to wait for"),
        "{stderr}"
    );
    assert!(started.elapsed() < Duration::from_secs(30), "refused before starting anything");
    assert!(!dir.join("kubeconfig").exists(), "nothing started");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A running `ecs-operator local`, killed on drop. Its output lines arrive on `lines` as it
/// prints them.
struct LocalMode {
    child: std::process::Child,
    dir: PathBuf,
    kubeconfig: PathBuf,
    lines: std::sync::mpsc::Receiver<String>,
}

impl LocalMode {
    /// Starts it with `args` (plus its own --kubeconfig-out) and waits for the `try:` line,
    /// which comes once everything is up.
    fn start(tag: &str, args: &[&str]) -> Self {
        let dir = temp_dir(tag);
        let kubeconfig = dir.join("kubeconfig");
        let mut child = Command::new(operator())
            .arg("local")
            .args(args)
            .arg("--kubeconfig-out")
            .arg(&kubeconfig)
            .current_dir(&dir)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start ecs-operator local");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = std::sync::mpsc::channel();
        // Keep draining output so the child never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let local = Self { child, dir, kubeconfig, lines };
        local.wait_for_line("the try: line", Duration::from_secs(60), |l| l.starts_with("try:"));
        local
    }

    /// The first line (from now) that `wanted` accepts; panics after `timeout`.
    fn wait_for_line(&self, what: &str, timeout: Duration, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if wanted(&line) => return line,
                Ok(_) => {}
                Err(e) => panic!("local mode printed no {what} within {timeout:?}: {e}"),
            }
        }
    }

    /// kubectl against it; panics unless it succeeds. Returns (stdout, stderr).
    fn kubectl(&self, args: &[&str]) -> (String, String) {
        let out =
            Command::new("kubectl").arg("--kubeconfig").arg(&self.kubeconfig).args(args).output().expect("kubectl");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "kubectl {args:?}: {stderr}");
        (String::from_utf8_lossy(&out.stdout).into_owned(), stderr)
    }

    /// Waits until every sample is Ready.
    fn wait_for_every_sample(&self) {
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            let all = objects(self);
            if all.len() == ecs_operator::local::SAMPLES.len() && all.values().all(|r| r.0 == "True") {
                return;
            }
            assert!(Instant::now() < deadline, "samples not Ready: {all:#?}");
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

impl Drop for LocalMode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// kind/name → (Ready status, reason, message) of every object there is.
fn objects(local: &LocalMode) -> std::collections::BTreeMap<String, (String, String, String)> {
    let list: serde_json::Value = serde_json::from_str(&local.kubectl(&["get", "ecs", "-o", "json"]).0).expect("json");
    let items = list["items"].as_array().cloned().unwrap_or_default();
    items
        .iter()
        .map(|o| {
            let key =
                format!("{}/{}", o["kind"].as_str().unwrap_or("?"), o["metadata"]["name"].as_str().unwrap_or("?"));
            let ready = o["status"]["conditions"].as_array().and_then(|cs| cs.iter().find(|c| c["type"] == "Ready"));
            let field = |k: &str| ready.and_then(|c| c[k].as_str()).unwrap_or_default().to_owned();
            (key, (field("status"), field("reason"), field("message")))
        })
        .collect()
}

#[test]
fn kubectl_drives_a_running_local_mode() {
    let local = LocalMode::start("kubectl", &["--no-samples"]);
    let kubectl = |args: &[&str]| local.kubectl(args).0;
    let kubeconfig = &local.kubeconfig;
    let dir = &local.dir;
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
        .arg(kubeconfig)
        .args(["get", "ecsservice", "hello"])
        .output()
        .expect("kubectl");
    assert!(!gone.status.success(), "deleted");
}

/// Loaded samples edited as the README says, each with one kind of apply: `kubectl apply -f`
/// (client-side) on one, `kubectl apply --server-side -f` on another; neither warns or
/// conflicts, and each change reaches the object and ECS.
#[test]
fn kubectl_apply_edits_loaded_samples_with_and_without_server_side() {
    let local = LocalMode::start("edit-sample", &["--speed", "50"]);
    local.wait_for_every_sample();
    // `kubectl get ecs` fits a terminal: ARNs (the capacity provider's Auto Scaling group's
    // among them) are for `-o wide`.
    let listed = local.kubectl(&["get", "ecs"]).0;
    assert!(!listed.contains("arn:"), "{listed}");
    let wide = local.kubectl(&["get", "capacityprovider", "-o", "wide"]).0;
    assert!(wide.contains("autoScalingGroup:"), "{wide}");
    // Two services without auto scaling, so that desiredCount is the operator's to send.
    for (apply, file, name, sample) in [
        (
            &["apply"][..],
            "catalog.yaml",
            "catalog",
            include_str!("../../config/samples/ecsservice-catalog-service-connect.yaml"),
        ),
        (
            &["apply", "--server-side"][..],
            "lattice.yaml",
            "catalog-lattice",
            include_str!("../../config/samples/ecsservice-catalog-lattice.yaml"),
        ),
    ] {
        assert!(sample.contains("desiredCount: 2"), "{name}: the sample's count moved; update this test");
        let edited = local.dir.join(file);
        std::fs::write(&edited, sample.replace("desiredCount: 2", "desiredCount: 3")).expect("write the edit");
        let args: Vec<&str> = apply.iter().copied().chain(["-f", edited.to_str().unwrap_or_default()]).collect();
        let (out, stderr) = local.kubectl(&args);
        let applied = if apply.len() == 1 { "configured" } else { "serverside-applied" };
        assert!(out.contains(&format!("ecsservice.ecs.operator.dev/{name} {applied}")), "{args:?}: {out}");
        assert!(stderr.trim().is_empty(), "{args:?} warned: {stderr}");
        let desired = local.kubectl(&["get", "ecsservice", name, "-o", "jsonpath={.spec.desiredCount}"]).0;
        assert_eq!(desired, "3", "{args:?}");
        // And the operator takes it to ECS.
        let service = format!("ecsservice/{name}");
        local.kubectl(&["wait", "--for=jsonpath={.status.runningCount}=3", "--timeout=60s", &service]);
    }
    // Back to client-side apply on the object just server-side applied: the last-applied
    // annotation outlived the server-side apply (kubectl keeps it), so no warning.
    let lattice = include_str!("../../config/samples/ecsservice-catalog-lattice.yaml");
    let back = local.dir.join("lattice-back.yaml");
    std::fs::write(&back, lattice).expect("write the sample");
    let (out, stderr) = local.kubectl(&["apply", "-f", back.to_str().unwrap_or_default()]);
    assert!(out.contains("catalog-lattice configured") && stderr.trim().is_empty(), "{out}{stderr}");
    let desired = local.kubectl(&["get", "ecsservice", "catalog-lattice", "-o", "jsonpath={.spec.desiredCount}"]).0;
    assert_eq!(desired, "2");
    // An unchanged sample, server-side applied as it is: no conflict either.
    let td = concat!(env!("CARGO_MANIFEST_DIR"), "/config/samples/taskdefinition-nginx-fargate.yaml");
    let (out, stderr) = local.kubectl(&["apply", "--server-side", "-f", td]);
    assert!(out.contains("serverside-applied") && stderr.trim().is_empty(), "{out}{stderr}");
}

/// The issue 17 and 24 scenario as a user runs it: every sample Ready in a running local
/// mode, then `kubectl delete -f config/samples/`. Everything goes but what `log-agent`'s
/// `deletionPolicy: Retain` keeps: its ECS service stays in `batch-ec2`, so that cluster waits
/// for it (and says so), and the capacity provider waits for the cluster. The live view says
/// how to finish, with a command; run as printed, nothing is left.
#[test]
fn kubectl_delete_of_every_sample_finishes_with_the_command_the_view_gives() {
    let local = LocalMode::start("delete-samples", &["--speed", "50"]);
    local.wait_for_every_sample();
    let samples = concat!(env!("CARGO_MANIFEST_DIR"), "/config/samples/");
    let started = Instant::now();
    local.kubectl(&["delete", "-f", samples, "--wait=false"]);
    let kept = ["CapacityProvider/batch-ec2-asg", "ECSCluster/batch-ec2"];
    let left = loop {
        let left = objects(&local);
        let only_kept = left.keys().map(String::as_str).eq(kept.iter().copied());
        if only_kept && left.values().all(|r| r.0 == "False" && r.1 == "DeletionBlocked") {
            break left;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "left 60 s after the delete: {left:#?}");
        std::thread::sleep(Duration::from_millis(250));
    };
    let cluster = &left["ECSCluster/batch-ec2"].2;
    assert!(cluster.contains("still has 1 service (log-agent)"), "{cluster}");
    let provider = &left["CapacityProvider/batch-ec2-asg"].2;
    assert!(provider.contains("ECSCluster batch-ec2, being deleted"), "{provider}");
    // The view names what holds the cluster and gives the command that finishes the job.
    let hint = local.wait_for_line("hint", Duration::from_secs(30), |l| l.contains("waits for ECS services"));
    assert!(hint.contains("ECSCluster/batch-ec2") && hint.contains("log-agent"), "{hint}");
    let command = local.wait_for_line("command", Duration::from_secs(5), |l| l.trim_start().starts_with("curl "));
    let ran = Command::new("sh").args(["-c", command.trim()]).output().expect("run the printed command");
    let answer = String::from_utf8_lossy(&ran.stdout);
    assert!(ran.status.success() && answer.contains("\"serviceName\":\"log-agent\""), "{command}\n{answer}");
    let finished = Instant::now();
    loop {
        let left = objects(&local);
        if left.is_empty() {
            break;
        }
        assert!(finished.elapsed() < Duration::from_secs(60), "left 60 s after the printed command: {left:#?}");
        std::thread::sleep(Duration::from_millis(250));
    }
    eprintln!("kubectl delete -f config/samples/: nothing left {:?} after the delete", started.elapsed());
}
