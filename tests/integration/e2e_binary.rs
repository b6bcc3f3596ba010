//! End to end, as a user runs it: the `kube-sim`, `ecs-sim` and `ecs-operator` binaries as
//! separate processes, driven with the real kubectl. Includes SIGKILL of the operator and a
//! restart, which must not register anything twice.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A child process killed on drop.
pub(crate) struct Proc(pub(crate) Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn bin(name: &str) -> PathBuf {
    // Cargo builds workspace binaries into the same directory as this test's own binary.
    let mut dir = std::env::current_exe().expect("test binary path");
    dir.pop();
    if dir.ends_with("deps") {
        dir.pop();
    }
    let path = dir.join(name);
    assert!(path.exists(), "{} not built: run the suite with `cargo test --workspace`", path.display());
    path
}

/// Starts a simulator binary and returns it with the URL from its `... ready on <url>` line.
fn start_sim(name: &str, args: &[&str]) -> (Proc, String) {
    let mut child = Command::new(bin(name)).args(args).stdout(Stdio::piped()).spawn().expect("start simulator");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("ready line");
    let url = line.trim().rsplit(' ').next().unwrap_or_default().to_owned();
    assert!(line.contains("ready on"), "{name}: {line}");
    (Proc(child), url)
}

/// GET on an operator's HTTP listener: (status code, body); (0, "") when nothing listens.
fn http_get(port: u16, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return (0, String::new());
    };
    let _ = write!(stream, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    let code = response.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (code, response.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port()
}

pub(crate) struct E2e {
    pub(crate) dir: PathBuf,
    /// Port of the operator's HTTP listener.
    http_port: u16,
    pub(crate) kubeconfig: PathBuf,
    pub(crate) ecs_url: String,
    _kube: Proc,
    _ecs: Proc,
}

impl E2e {
    pub(crate) fn start() -> Self {
        static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("ecs-operator-e2e-{}-{run}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let kubeconfig = dir.join("kubeconfig");
        let (kube, _) =
            start_sim("kube-sim", &["--port", "0", "--kubeconfig-out", kubeconfig.to_str().unwrap_or_default()]);
        let (ecs, ecs_url) = start_sim("ecs-sim", &["--port", "0", "--speed", "20"]);
        let http_port =
            std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
        let e = Self { dir, http_port, kubeconfig, ecs_url, _kube: kube, _ecs: ecs };
        e.kubectl_ok(&["apply", "--server-side", "-f", "crds/"]);
        e
    }

    pub(crate) fn operator(&self) -> Proc {
        self.replica("operator", self.http_port)
    }

    /// An operator process named `name` (its pod name and log file) serving HTTP on `port`,
    /// with a 3 s leader Lease.
    fn replica(&self, name: &str, port: u16) -> Proc {
        let log = std::fs::File::create(self.dir.join(format!("{name}.log"))).expect("log file");
        let child = Command::new(bin("ecs-operator"))
            .args(["run", "--resync-interval-seconds", "1", "--cluster-id", "e2e", "--lease-duration-seconds", "3"])
            .arg("--http-addr")
            .arg(format!("127.0.0.1:{port}"))
            .env("POD_NAME", name)
            .env("KUBECONFIG", &self.kubeconfig)
            // ecs-sim serves ECS and Application Auto Scaling alike.
            .env("AWS_ENDPOINT_URL", &self.ecs_url)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "AKIDE2E")
            .env("AWS_SECRET_ACCESS_KEY", "secret")
            // The operator's own code at its most verbose: nothing it logs may carry a secret.
            .env("RUST_LOG", "info,ecs_operator=trace")
            .stderr(log)
            .spawn()
            .expect("start ecs-operator");
        Proc(child)
    }

    pub(crate) fn kubectl(&self, args: &[&str]) -> Output {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        Command::new("kubectl")
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args(args)
            .current_dir(repo)
            .output()
            .expect("kubectl")
    }

    pub(crate) fn kubectl_ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        assert!(
            out.status.success(),
            "kubectl {args:?}: {}{}\noperator log:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(self.dir.join("operator.log")).unwrap_or_default()
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Polls a jsonpath until it equals `want`.
    pub(crate) fn wait_for(&self, resource: &str, jsonpath: &str, want: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let out = self.kubectl(&["get", resource, "-o", &format!("jsonpath={jsonpath}")]);
            let got = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            if got == want {
                return;
            }
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(Instant::now() < deadline, "{resource} {jsonpath} never became {want:?}; last: {got:?} {stderr}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// GET on the operator's HTTP listener: (status code, body).
    fn http_get(&self, path: &str) -> (u16, String) {
        http_get(self.http_port, path)
    }

    fn lease_holder(&self) -> String {
        let out = self.kubectl(&["get", "lease", "ecs-operator", "-o", "jsonpath={.spec.holderIdentity}"]);
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// POSTs `body` to ecs-sim's admin API.
    pub(crate) fn post_sim(&self, path: &str, body: &str) {
        use std::io::{Read, Write};
        let addr = self.ecs_url.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(addr).expect("connect ecs-sim");
        write!(
            stream,
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .expect("request");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("response");
        assert!(response.starts_with("HTTP/1.1 200"), "POST {path}: {response}");
    }

    /// ecs-sim's request counts (`GET /_sim/stats`).
    pub(crate) fn sim_stats(&self) -> serde_json::Value {
        let addr = self.ecs_url.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(addr).expect("connect ecs-sim");
        use std::io::{Read, Write};
        write!(stream, "GET /_sim/stats HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").expect("request");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("response");
        let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
        serde_json::from_str(body).expect("stats JSON")
    }

    fn register_calls(&self) -> u64 {
        let stats = self.sim_stats();
        stats.pointer("/operations/RegisterTaskDefinition/calls").and_then(|v| v.as_u64()).unwrap_or(0)
    }
}

impl Drop for E2e {
    fn drop(&mut self) {
        if std::env::var_os("KEEP_E2E").is_none() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

#[test]
fn kubectl_apply_change_kill_restart_delete() {
    let e = E2e::start();
    let mut operator = e.operator();
    e.kubectl_ok(&["apply", "-f", "config/samples/taskdefinition-nginx-fargate.yaml"]);
    e.kubectl_ok(&["wait", "--for=condition=Ready", "--timeout=30s", "taskdefinition/webserver"]);
    assert_eq!(e.register_calls(), 1);
    assert_eq!(e.http_get("/healthz").0, 200);
    assert_eq!(e.http_get("/readyz").0, 200, "ready once CRDs and AWS were checked");
    let (code, metrics) = e.http_get("/metrics");
    assert_eq!(code, 200);
    assert!(metrics.contains("ecs_operator_reconciles_total{kind=\"TaskDefinition\"}"), "{metrics}");
    assert!(metrics.contains("ecs_operator_status_writes_total{kind=\"TaskDefinition\"}"), "{metrics}");
    let listing = e.kubectl_ok(&["get", "taskdefinitions"]);
    assert!(listing.contains("webserver") && listing.contains("True"), "{listing}");

    // A new image: exactly one more revision.
    let patch =
        r#"[{"op":"replace","path":"/spec/containerDefinitions/0/image","value":"public.ecr.aws/nginx/nginx:1.28"}]"#;
    e.kubectl_ok(&["patch", "taskdefinition", "webserver", "--type=json", "-p", patch]);
    e.wait_for("taskdefinition/webserver", "{.status.revision}", "2");
    assert_eq!(e.register_calls(), 2);

    // SIGKILL and restart: nothing is registered again.
    let _ = operator.0.kill();
    let _ = operator.0.wait();
    let _operator = e.operator();
    e.kubectl_ok(&["wait", "--for=condition=Ready", "--timeout=30s", "taskdefinition/webserver"]);
    e.kubectl_ok(&["apply", "-f", "config/samples/taskdefinition-nginx-fargate.yaml"]);
    // Back to the first spec: its revision is still ACTIVE and is reused, not registered anew.
    e.wait_for("taskdefinition/webserver", "{.status.revision}", "1");
    assert_eq!(e.register_calls(), 2);
    let described = e.kubectl_ok(&["describe", "taskdefinition", "webserver"]);
    assert!(described.contains("Registered"), "events visible in describe: {described}");

    e.kubectl_ok(&["delete", "taskdefinition", "webserver", "--timeout=30s"]);
    let remaining = e.kubectl(&["get", "taskdefinition", "webserver"]);
    assert!(!remaining.status.success(), "deleted");
}

/// Polls `check` every 100 ms until it returns Some, for at most `limit`.
fn within<T>(limit: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The value of an unlabelled or fully labelled series in a /metrics body.
fn metric(body: &str, series: &str) -> Option<f64> {
    body.lines().find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.trim().parse().ok())
}

#[test]
fn two_replicas_elect_one_leader_hand_over_on_crash_and_release_on_sigterm() {
    let e = E2e::start();
    let names = ["replica-a", "replica-b"];
    let ports = [free_port(), free_port()];
    let mut replicas = [Some(e.replica(names[0], ports[0])), Some(e.replica(names[1], ports[1]))];
    let leads = |i: usize| metric(&http_get(ports[i], "/metrics").1, "ecs_operator_leader") == Some(1.0);
    let leader = within(Duration::from_secs(30), "a leader", || (0..2).find(|&i| leads(i)));
    let follower = 1 - leader;
    assert_eq!(e.lease_holder(), names[leader]);
    // The standby is ready (so a rolling update can proceed) but does not lead or reconcile.
    within(Duration::from_secs(30), "both replicas ready", || {
        (http_get(ports[0], "/readyz").0 == 200 && http_get(ports[1], "/readyz").0 == 200).then_some(())
    });
    e.kubectl_ok(&["apply", "-f", "config/samples/taskdefinition-nginx-fargate.yaml"]);
    e.kubectl_ok(&["wait", "--for=condition=Ready", "--timeout=30s", "taskdefinition/webserver"]);
    let standby = http_get(ports[follower], "/metrics").1;
    assert!(!leads(follower), "one leader at a time");
    assert_eq!(metric(&standby, r#"ecs_operator_reconciles_total{kind="TaskDefinition"}"#), None, "{standby}");

    // SIGKILL the leader: the standby takes over once the Lease runs out (3 s here).
    if let Some(mut killed) = replicas[leader].take() {
        let _ = killed.0.kill();
        let _ = killed.0.wait();
    }
    within(Duration::from_secs(20), "the standby to take over", || leads(follower).then_some(()));
    assert_eq!(e.lease_holder(), names[follower]);
    let patch =
        r#"[{"op":"replace","path":"/spec/containerDefinitions/0/image","value":"public.ecr.aws/nginx/nginx:1.28"}]"#;
    e.kubectl_ok(&["patch", "taskdefinition", "webserver", "--type=json", "-p", patch]);
    e.wait_for("taskdefinition/webserver", "{.status.revision}", "2");
    assert_eq!(e.register_calls(), 2, "one registration per spec across the hand-over");

    // SIGTERM: in-flight work finishes, the Lease is released at once, the process exits 0.
    let Some(mut last) = replicas[follower].take() else { unreachable!("the follower is running") };
    let status = Command::new("kill").args(["-TERM", &last.0.id().to_string()]).status().expect("kill -TERM");
    assert!(status.success());
    let exit = within(Duration::from_secs(20), "a clean exit", || last.0.try_wait().ok().flatten());
    assert!(exit.success(), "exit status {exit:?}");
    assert_eq!(e.lease_holder(), "", "released on SIGTERM");
}

/// Secret hygiene: the values of container environment variables and secret references in the
/// samples never reach the operator's logs (at trace level) or the events it publishes, through
/// registration, an update, a terminal error and deletion.
#[test]
fn environment_and_secret_values_never_reach_logs_or_events() {
    let e = E2e::start();
    let _operator = e.operator();
    let canaries = ["canary-env-3f9a1c", "canary-env-77b2e0", "canary-secret-5d41ab", "canary-param-9e107d"];
    let sample = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("config/samples/taskdefinition-api-firelens-arm64.yaml"),
    )
    .expect("sample");
    let manifest = sample
        .replace("value: \"8080\"", &format!("value: {}", canaries[0]))
        .replace("value: json", &format!("value: {}", canaries[1]))
        .replace("secret:api/database-url-AbCdEf", &format!("secret:{}-AbCdEf", canaries[2]))
        .replace("parameter/api/stripe-api-key", &format!("parameter/{}", canaries[3]));
    for canary in canaries {
        assert!(manifest.contains(canary), "{canary} was substituted into the manifest");
    }
    let path = e.dir.join("api.yaml");
    std::fs::write(&path, &manifest).expect("write manifest");
    let path = path.to_str().unwrap_or_default();
    e.kubectl_ok(&["apply", "-f", path]);
    e.kubectl_ok(&["wait", "--for=condition=Ready", "--timeout=30s", "taskdefinition/api"]);
    // An update (new revision) and a spec ECS refuses (a terminal error with a Warning event).
    let patch =
        r#"[{"op":"replace","path":"/spec/containerDefinitions/1/image","value":"public.ecr.aws/nginx/nginx:1.28"}]"#;
    e.kubectl_ok(&["patch", "taskdefinition", "api", "--type=json", "-p", patch]);
    e.wait_for("taskdefinition/api", "{.status.revision}", "2");
    e.post_sim(
        "/_sim/faults",
        r#"{"operation":"RegisterTaskDefinition","errorRate":1.0,"status":400,"errorType":"ClientException","message":"refused"}"#,
    );
    let retag =
        r#"[{"op":"replace","path":"/spec/containerDefinitions/1/image","value":"public.ecr.aws/nginx/nginx:1.29"}]"#;
    e.kubectl_ok(&["patch", "taskdefinition", "api", "--type=json", "-p", retag]);
    e.wait_for("taskdefinition/api", r#"{.status.conditions[?(@.type=="Synced")].reason}"#, "Terminal");
    e.post_sim("/_sim/faults/clear", "");
    e.kubectl_ok(&["delete", "taskdefinition", "api", "--timeout=30s"]);

    let log = std::fs::read_to_string(e.dir.join("operator.log")).expect("operator log");
    assert!(log.contains("terminal error") && log.contains("trace_id"), "the operator logged its work:\n{log}");
    let events = e.kubectl_ok(&["get", "events", "-A", "-o", "yaml"])
        + &e.kubectl_ok(&["get", "events.events.k8s.io", "-A", "-o", "yaml"]);
    assert!(events.contains("Registered"), "events were published: {events}");
    for canary in canaries {
        assert!(!log.contains(canary), "{canary} in the operator log:\n{log}");
        assert!(!events.contains(canary), "{canary} in an event:\n{events}");
    }
}
