//! The install paths: the Helm chart (lint, render, schema, install/upgrade/uninstall), the
//! kustomize bases, the CRD copies they carry, the IAM policy against the SDK calls in
//! `src/aws/` (and the events queue's SQS calls), the events source in `config/events/`, and
//! RBAC against what a real run of the operator binary asks kube-sim for.
//! helm comes from HELM_BIN or `.tools/layer/helm/helm` (installed by `bash tests/run.sh`);
//! kubectl from the PATH. Missing tools fail the tests, never skip them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const CHART: &str = "charts/ecs-operator";
const ALL_ON: &str = "charts/ecs-operator/ci/all-on-values.yaml";
/// The queue URL in the docs and the kustomize component's placeholder.
const EVENTS_QUEUE_URL: &str = "https://sqs.us-east-1.amazonaws.com/123456789012/ecs-operator-events";
/// What the operator does with its events queue, as IAM actions (DeleteMessageBatch is
/// authorised as sqs:DeleteMessage).
const EVENTS_QUEUE_ACTIONS: [&str; 3] = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"];
/// Environment variables of flags the lead is adding with leader election (issue 9). Until the
/// binary has `--leader-election`, they may be missing from `run --help`; after, they must be there.
const PENDING_FLAG_ENVS: [&str; 7] = [
    "LEADER_ELECTION",
    "POD_NAMESPACE",
    "LEADER_ELECTION_NAME",
    "LEASE_DURATION_SECONDS",
    "SERVICE_POLL_INTERVAL_SECONDS",
    "ROLLOUT_POLL_INTERVAL_SECONDS",
    "AWS_RATE_LIMIT_PERCENT",
];
/// Read by the operator outside its flags (POD_NAME: the event reporter and Lease holder
/// identity) or by libraries (RUST_LOG, the AWS SDK).
const NON_FLAG_ENVS: [&str; 2] = ["POD_NAME", "RUST_LOG"];

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

fn helm_bin() -> PathBuf {
    let bin = std::env::var_os("HELM_BIN").map(PathBuf::from).unwrap_or_else(|| repo().join(".tools/layer/helm/helm"));
    assert!(
        bin.exists(),
        "helm not found at {}: run `bash tests/run.sh` (it installs helm) or set HELM_BIN",
        bin.display()
    );
    bin
}

/// A scratch directory for one test, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("ecs-operator-packaging-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Self(dir)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn helm(args: &[&str], kubeconfig: Option<&Path>) -> Output {
    let home = std::env::temp_dir().join(format!("ecs-operator-packaging-helm-home-{}", std::process::id()));
    let mut cmd = Command::new(helm_bin());
    cmd.args(args)
        .current_dir(repo())
        .env("HELM_CACHE_HOME", home.join("cache"))
        .env("HELM_CONFIG_HOME", home.join("config"))
        .env("HELM_DATA_HOME", home.join("data"));
    if let Some(k) = kubeconfig {
        cmd.env("KUBECONFIG", k);
    }
    cmd.output().expect("helm runs")
}

fn ok(out: Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn kubectl(kubeconfig: &Path, args: &[&str]) -> Output {
    Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(args)
        .current_dir(repo())
        .output()
        .expect("kubectl on the PATH")
}

fn kubectl_ok(kubeconfig: &Path, args: &[&str]) -> String {
    ok(kubectl(kubeconfig, args), &format!("kubectl {}", args.join(" ")))
}

fn parse_docs(yaml: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(yaml)
        .filter_map(|doc| {
            let v: Value = serde::Deserialize::deserialize(doc).expect("rendered YAML parses");
            (!v.is_null()).then_some(v)
        })
        .collect()
}

/// `helm template` of the chart as release `ecs-operator` in `namespace`.
fn render_yaml(namespace: &str, extra: &[&str]) -> String {
    let mut args = vec!["template", "ecs-operator", CHART, "--namespace", namespace];
    args.extend_from_slice(extra);
    ok(helm(&args, None), &format!("helm template {extra:?}"))
}

fn render(namespace: &str, extra: &[&str]) -> Vec<Value> {
    parse_docs(&render_yaml(namespace, extra))
}

fn of_kind<'a>(docs: &'a [Value], kind: &str) -> Vec<&'a Value> {
    docs.iter().filter(|d| d["kind"] == kind).collect()
}

fn deployment(docs: &[Value]) -> &Value {
    let found = of_kind(docs, "Deployment");
    assert_eq!(found.len(), 1, "one Deployment");
    found[0]
}

fn container(docs: &[Value]) -> &Value {
    &deployment(docs)["spec"]["template"]["spec"]["containers"][0]
}

/// The container's env entry `name`, if any.
fn env_var<'a>(docs: &'a [Value], name: &str) -> Option<&'a Value> {
    container(docs)["env"].as_array().into_iter().flatten().find(|e| e["name"] == name)
}

fn env_names(docs: &[Value]) -> Vec<String> {
    container(docs)["env"]
        .as_array()
        .expect("env list")
        .iter()
        .filter_map(|e| e["name"].as_str().map(str::to_owned))
        .collect()
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect()).unwrap_or_default()
}

/// (apiGroup, resource[/subresource], verb) triples a set of Role/ClusterRole objects grants.
fn granted(roles: &[&Value]) -> BTreeSet<(String, String, String)> {
    let mut out = BTreeSet::new();
    for role in roles {
        for rule in role["rules"].as_array().expect("rules") {
            for group in strs(&rule["apiGroups"]) {
                for resource in strs(&rule["resources"]) {
                    for verb in strs(&rule["verbs"]) {
                        out.insert((group.clone(), resource.clone(), verb));
                    }
                }
            }
        }
    }
    out
}

fn numbers_as_f64(v: &Value) -> Value {
    match v {
        Value::Number(n) => serde_json::json!(n.as_f64().unwrap_or_default()),
        Value::Array(items) => Value::Array(items.iter().map(numbers_as_f64).collect()),
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), numbers_as_f64(v))).collect()),
        other => other.clone(),
    }
}

#[test]
fn crd_copies_match_crdgen() {
    let generated = ecs_operator::crd::to_yaml().expect("CRDs serialise");
    for path in ["crds/crds.yaml", "charts/ecs-operator/files/crds.yaml", "config/crd/crds.yaml"] {
        assert!(
            read(path) == generated,
            "{path} differs from `ecs-operator crdgen`: run \
             `cargo run -q -- crdgen | tee crds/crds.yaml charts/ecs-operator/files/crds.yaml config/crd/crds.yaml >/dev/null`"
        );
    }
    // What the chart renders is the same CRDs, plus its labels and the keep annotation.
    let committed = parse_docs(&generated);
    let rendered = render("default", &[]);
    let rendered: Vec<&Value> = of_kind(&rendered, "CustomResourceDefinition");
    assert_eq!(rendered.len(), committed.len(), "every CRD rendered");
    for (r, c) in rendered.iter().zip(&committed) {
        let mut r = (*r).clone();
        let meta = r["metadata"].as_object_mut().expect("metadata");
        let annotations = meta.remove("annotations").unwrap_or_default();
        assert_eq!(annotations["helm.sh/resource-policy"], "keep", "CRDs survive helm uninstall by default");
        assert_eq!(meta.remove("labels").unwrap_or_default()["app.kubernetes.io/part-of"], "ecs-operator");
        // Helm's fromYaml/toYaml turns 65535.0 into 65535: compare numbers as numbers.
        assert!(
            numbers_as_f64(&r) == numbers_as_f64(c),
            "chart renders {} differently from crds/",
            c["metadata"]["name"]
        );
    }
}

#[test]
fn helm_lint_with_defaults_and_every_option() {
    ok(helm(&["lint", "--strict", CHART], None), "helm lint (defaults)");
    ok(helm(&["lint", "--strict", CHART, "--namespace", "ops", "-f", ALL_ON], None), "helm lint (all options)");
}

#[test]
fn rendered_deployment_is_hardened_and_probed() {
    for (name, namespace, extra) in [("defaults", "default", vec![]), ("all options", "ops", vec!["-f", ALL_ON])] {
        let docs = render(namespace, &extra);
        let pod = &deployment(&docs)["spec"]["template"]["spec"];
        let c = container(&docs);
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true, "{name}");
        assert_eq!(pod["securityContext"]["seccompProfile"]["type"], "RuntimeDefault", "{name}");
        let sc = &c["securityContext"];
        assert_eq!(sc["readOnlyRootFilesystem"], true, "{name}");
        assert_eq!(sc["allowPrivilegeEscalation"], false, "{name}");
        assert_eq!(sc["capabilities"]["drop"], serde_json::json!(["ALL"]), "{name}");
        assert_eq!(c["ports"][0]["containerPort"], 8080, "{name}");
        assert_eq!(c["livenessProbe"]["httpGet"]["path"], "/healthz", "{name}");
        assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/readyz", "{name}");
        assert_eq!(c["livenessProbe"]["httpGet"]["port"], "http", "{name}");
        assert_eq!(c["resources"]["requests"]["memory"], "64Mi", "{name}");
        assert_eq!(c["resources"]["limits"]["memory"], "128Mi", "{name}");
        assert_eq!(c["args"], serde_json::json!(["run"]), "{name}");
        let env = env_names(&docs);
        for want in ["POD_NAME", "POD_NAMESPACE", "LEADER_ELECTION", "HTTP_ADDR", "LOG_FORMAT", "CLUSTER_ID"] {
            assert!(env.iter().any(|e| e == want), "{name}: env {want} in {env:?}");
        }
        // No wildcard anywhere in RBAC.
        for role in of_kind(&docs, "ClusterRole").into_iter().chain(of_kind(&docs, "Role")) {
            for (g, r, v) in granted(&[role]) {
                assert!(![&g, &r, &v].iter().any(|s| s.contains('*')), "{name}: wildcard in {}", role["metadata"]);
            }
        }
        assert_eq!(of_kind(&docs, "Service").len(), 1, "{name}: metrics Service");
        assert_eq!(of_kind(&docs, "PodDisruptionBudget").len(), 1, "{name}: PDB");
    }
    let docs = render("ops", &["-f", ALL_ON]);
    assert_eq!(deployment(&docs)["spec"]["replicas"], 2);
    let sa = of_kind(&docs, "ServiceAccount")[0];
    assert_eq!(
        sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"],
        "arn:aws:iam::123456789012:role/ecs-operator"
    );
    let roles: Vec<String> = of_kind(&docs, "Role")
        .iter()
        .map(|r| format!("{}/{}", r["metadata"]["namespace"], r["metadata"]["name"]))
        .collect();
    assert_eq!(
        roles,
        ["\"team-a\"/\"ecs-operator\"", "\"team-b\"/\"ecs-operator\"", "\"ops\"/\"ecs-operator-leader-election\""]
    );
    // Namespaced install: the ClusterRole keeps only reading the operator's own CRDs.
    let cluster_role = of_kind(&docs, "ClusterRole")[0];
    assert_eq!(
        granted(&[cluster_role]),
        BTreeSet::from([("apiextensions.k8s.io".into(), "customresourcedefinitions".into(), "get".into())])
    );
    assert_eq!(of_kind(&docs, "ServiceMonitor").len(), 1);
    assert_eq!(of_kind(&docs, "NetworkPolicy").len(), 1);
    let env = &container(&docs)["env"];
    let value = |name: &str| {
        env.as_array().into_iter().flatten().find(|e| e["name"] == name).map(|e| e["value"].clone()).unwrap_or_default()
    };
    assert_eq!(value("WATCH_NAMESPACES"), "team-a,team-b");
    assert_eq!(value("AWS_REGION"), "eu-west-1");
    assert_eq!(value("LEADER_ELECTION_NAME"), "ecs-operator-a");
}

#[test]
fn values_schema_and_chart_refuse_bad_values_with_clear_messages() {
    let cases: [(&[&str], &str); 9] = [
        (&["--set", "replicas=two"], "at '/replicas': got string, want integer"),
        (&["--set", "logging.format=xml"], "at '/logging/format': value must be one of 'text', 'json'"),
        (&["--set", "aws.region=Europe"], "at '/aws/region': 'Europe' does not match pattern"),
        (&["--set", "replics=2"], "additional properties 'replics' not allowed"),
        (&["--set", "intervals.servicePollSeconds=0"], "at '/intervals/servicePollSeconds': minimum"),
        (&["--set", "serviceAccount.roleArn=ecs-operator"], "at '/serviceAccount/roleArn'"),
        (
            &["--set", "events.queueUrl=ecs-operator-events"],
            "at '/events/queueUrl': 'ecs-operator-events' does not match pattern",
        ),
        (
            &["--set", "replicas=2", "--set", "leaderElection.enabled=false"],
            "replicas > 1 needs leaderElection.enabled=true",
        ),
        (&["--set", "rbac.namespaced=true"], "rbac.namespaced=true needs watchNamespaces"),
    ];
    for (args, want) in cases {
        let mut all = vec!["template", "x", CHART];
        all.extend_from_slice(args);
        let out = helm(&all, None);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "helm accepted {args:?}");
        assert!(stderr.contains(want), "helm {args:?}: want {want:?} in:\n{stderr}");
    }
}

#[test]
fn chart_sets_events_queue_url_only_when_events_queue_url_is_set() {
    let value = |docs: &[Value], name: &str| env_var(docs, name).map(|e| e["value"].clone());
    let set = format!("events.queueUrl={EVENTS_QUEUE_URL}");
    for (name, extra) in [("defaults", vec![]), ("empty", vec!["--set", "events.queueUrl="])] {
        let docs = render("default", &extra);
        assert!(!env_names(&docs).iter().any(|e| e == "EVENTS_QUEUE_URL"), "{name}: no events queue, polling only");
        assert_eq!(value(&docs, "SERVICE_POLL_INTERVAL_SECONDS"), Some("20".into()), "{name}");
        assert_eq!(value(&docs, "RESYNC_INTERVAL_SECONDS"), Some("300".into()), "{name}");
    }
    // The value is passed as given; the intervals left unset become the operator's events-mode
    // defaults (polling is the safety net), written out as in polling mode.
    let docs = render("default", &["--set", set.as_str()]);
    assert_eq!(value(&docs, "EVENTS_QUEUE_URL"), Some(EVENTS_QUEUE_URL.into()));
    assert_eq!(value(&docs, "SERVICE_POLL_INTERVAL_SECONDS"), Some("600".into()));
    assert_eq!(value(&docs, "RESYNC_INTERVAL_SECONDS"), Some("600".into()));
    // Intervals set explicitly win in events mode too.
    let pinned =
        ["--set", set.as_str(), "--set", "intervals.servicePollSeconds=20", "--set", "intervals.resyncSeconds=300"];
    let docs = render("default", &pinned);
    assert_eq!(value(&docs, "SERVICE_POLL_INTERVAL_SECONDS"), Some("20".into()));
    assert_eq!(value(&docs, "RESYNC_INTERVAL_SECONDS"), Some("300".into()));
    // The every-option values turn events mode on (so the lint, apply and install tests cover it).
    let all_on = parse_docs(&read(ALL_ON));
    let url = all_on[0]["events"]["queueUrl"].as_str().expect("ci/all-on-values.yaml sets events.queueUrl");
    let docs = render("ops", &["-f", ALL_ON]);
    assert_eq!(value(&docs, "EVENTS_QUEUE_URL"), Some(url.into()));
    assert_eq!(value(&docs, "SERVICE_POLL_INTERVAL_SECONDS"), Some("30".into()), "set in ci/all-on-values.yaml");
}

#[test]
fn kustomize_renders_the_charts_default_install() {
    let kubeconfig = Path::new("/dev/null");
    let kustomized = parse_docs(&kubectl_ok(kubeconfig, &["kustomize", "config/default"]));
    let chart = render("ecs-operator", &["--set", "crds.install=false"]);
    let key = |d: &Value| format!("{}/{}", d["kind"].as_str().unwrap_or_default(), d["metadata"]["name"]);
    let strip = |d: &Value| {
        let mut d = d.clone();
        if let Some(labels) = d["metadata"]["labels"].as_object_mut() {
            labels.remove("helm.sh/chart");
            labels.remove("app.kubernetes.io/managed-by");
        }
        d
    };
    let mut from_chart: Vec<Value> = chart.iter().map(strip).collect();
    let mut from_kustomize: Vec<Value> = kustomized
        .iter()
        .filter(|d| d["kind"] != "CustomResourceDefinition" && d["kind"] != "Namespace")
        .cloned()
        .collect();
    from_chart.sort_by_key(key);
    from_kustomize.sort_by_key(key);
    let names = |docs: &[Value]| docs.iter().map(key).collect::<Vec<_>>();
    assert_eq!(names(&from_kustomize), names(&from_chart), "same objects");
    for (k, c) in from_kustomize.iter().zip(&from_chart) {
        assert!(
            k == c,
            "config/ differs from the chart's default render for {}: regenerate config/rbac and config/manager from \
             `helm template ecs-operator charts/ecs-operator -n ecs-operator --set crds.install=false`\n\
             kustomize: {k}\nchart:     {c}",
            key(k)
        );
    }
    let crds = kustomized.iter().filter(|d| d["kind"] == "CustomResourceDefinition").count();
    assert_eq!(crds, ecs_operator::crd::all().len(), "config/default carries the CRDs");
}

#[test]
fn kustomize_events_overlay_sets_the_queue_url_from_its_config_map() {
    let kubeconfig = Path::new("/dev/null");
    let docs = parse_docs(&kubectl_ok(kubeconfig, &["kustomize", "config/events/example-overlay"]));
    let names = env_names(&docs);
    let unique: BTreeSet<&String> = names.iter().collect();
    assert_eq!(unique.len(), names.len(), "the component's patch replaces env vars, never repeats them: {names:?}");
    let var = |name: &str| env_var(&docs, name).unwrap_or_else(|| panic!("env {name} in {names:?}"));
    // EVENTS_QUEUE_URL comes from the component's ConfigMap (its name carries the content hash),
    // with the URL the overlay's patch put there instead of the component's placeholder.
    let key_ref = &var("EVENTS_QUEUE_URL")["valueFrom"]["configMapKeyRef"];
    let config_maps = of_kind(&docs, "ConfigMap");
    let config_map = config_maps.iter().find(|c| c["metadata"]["name"] == key_ref["name"]);
    let config_map = config_map.unwrap_or_else(|| panic!("a ConfigMap named {}", key_ref["name"]));
    assert_eq!(config_map["metadata"]["namespace"], deployment(&docs)["metadata"]["namespace"]);
    let url = &config_map["data"][key_ref["key"].as_str().expect("configMapKeyRef key")];
    assert_eq!(url, "https://sqs.eu-west-1.amazonaws.com/111122223333/ecs-operator-events");
    let component = read("config/events/kustomize/kustomization.yaml");
    assert!(component.contains(&format!("queueUrl={EVENTS_QUEUE_URL}")), "the component's placeholder URL");
    // Events mode's intervals, as the chart writes them with events.queueUrl.
    assert_eq!(var("SERVICE_POLL_INTERVAL_SECONDS")["value"], "600");
    assert_eq!(var("RESYNC_INTERVAL_SECONDS")["value"], "600");
    // Everything else is config/default as it is.
    let base = parse_docs(&kubectl_ok(kubeconfig, &["kustomize", "config/default"]));
    assert_eq!(docs.len(), base.len() + 1, "config/default and the ConfigMap");
    let base_names = env_names(&base);
    let added: Vec<&String> = names.iter().filter(|n| !base_names.contains(n)).collect();
    assert_eq!(added, ["EVENTS_QUEUE_URL"]);
}

/// The namespaces and the ServiceMonitor CRD (the Prometheus Operator's, reduced to what the
/// API needs) the all-options render expects.
const INSTALL_PREREQUISITES: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: ops}
---
apiVersion: v1
kind: Namespace
metadata: {name: team-a}
---
apiVersion: v1
kind: Namespace
metadata: {name: team-b}
---
apiVersion: v1
kind: Namespace
metadata: {name: ecs-operator}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: servicemonitors.monitoring.coreos.com
spec:
  group: monitoring.coreos.com
  names: {kind: ServiceMonitor, listKind: ServiceMonitorList, plural: servicemonitors, singular: servicemonitor}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
"#;

/// kube-sim with namespaces and the ServiceMonitor CRD the all-options render needs.
async fn kube_sim_for_installs(scratch: &Scratch) -> (kube_sim::KubeSim, PathBuf) {
    let sim = kube_sim::start().await.expect("start kube-sim");
    let kubeconfig = scratch.path("kubeconfig");
    sim.write_kubeconfig(&kubeconfig).expect("kubeconfig");
    let crd = scratch.path("servicemonitor-crd.yaml");
    std::fs::write(&crd, INSTALL_PREREQUISITES).expect("write CRD");
    let k = kubeconfig.clone();
    tokio::task::spawn_blocking(move || {
        // Applied as YAML: `kubectl create namespace` sends protobuf, which kube-sim decodes
        // only for Secrets and ConfigMaps.
        kubectl_ok(&k, &["apply", "-f", crd.to_str().unwrap_or_default()]);
        kubectl_ok(&k, &["wait", "--for=condition=Established", "crd/servicemonitors.monitoring.coreos.com"]);
    })
    .await
    .expect("setup");
    (sim, kubeconfig)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rendered_chart_and_kustomize_output_apply_with_kubectl() {
    let scratch = Scratch::new("apply");
    let (_sim, kubeconfig) = kube_sim_for_installs(&scratch).await;
    let defaults = scratch.path("defaults.yaml");
    let all_on = scratch.path("all-on.yaml");
    std::fs::write(&defaults, render_yaml("default", &[])).expect("write");
    std::fs::write(&all_on, render_yaml("ops", &["-f", ALL_ON])).expect("write");
    tokio::task::spawn_blocking(move || {
        let k = kubeconfig.as_path();
        kubectl_ok(k, &["apply", "--server-side", "-f", defaults.to_str().unwrap_or_default()]);
        kubectl_ok(k, &["apply", "--server-side", "--force-conflicts", "-f", all_on.to_str().unwrap_or_default()]);
        kubectl_ok(k, &["apply", "--server-side", "--force-conflicts", "-k", "config/default"]);
        let deployments = kubectl_ok(k, &["get", "deployments", "-A", "-o", "name"]);
        assert_eq!(deployments.lines().count(), 3, "{deployments}");
        let monitors = kubectl_ok(k, &["get", "servicemonitors", "-n", "ops", "-o", "name"]);
        assert_eq!(monitors.trim(), "servicemonitor.monitoring.coreos.com/ecs-operator");
        let roles = kubectl_ok(k, &["get", "roles", "-A", "-o", "name"]);
        assert_eq!(roles.lines().count(), 5, "leader election in default, ops, ecs-operator + team-a, team-b: {roles}");
    })
    .await
    .expect("kubectl");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn helm_install_upgrade_uninstall_on_kube_sim() {
    let scratch = Scratch::new("install");
    let (_sim, kubeconfig) = kube_sim_for_installs(&scratch).await;
    tokio::task::spawn_blocking(move || {
        let k = Some(kubeconfig.as_path());
        let ns = ["--namespace", "ops"];
        let notes =
            ok(helm(&[&["install", "ecs-operator", CHART, "--wait=false"][..], &ns].concat(), k), "helm install");
        assert!(notes.contains("create-pod-identity-association"), "NOTES explain credentials:\n{notes}");
        let deployment = kubectl_ok(&kubeconfig, &["get", "deployment", "-n", "ops", "ecs-operator", "-o", "json"]);
        let deployment: Value = serde_json::from_str(&deployment).expect("json");
        assert_eq!(deployment["spec"]["replicas"], 1);
        kubectl_ok(&kubeconfig, &["get", "clusterrole", "ecs-operator"]);
        let upgrade = ["upgrade", "ecs-operator", CHART, "--wait=false", "-f", ALL_ON, "--set", "crds.keep=true"];
        ok(helm(&[&upgrade[..], &ns].concat(), k), "helm upgrade (all options)");
        let replicas = kubectl_ok(
            &kubeconfig,
            &["get", "deployment", "-n", "ops", "ecs-operator", "-o", "jsonpath={.spec.replicas}"],
        );
        assert_eq!(replicas, "2");
        kubectl_ok(&kubeconfig, &["get", "role", "-n", "team-a", "ecs-operator"]);
        kubectl_ok(&kubeconfig, &["get", "servicemonitor", "-n", "ops", "ecs-operator"]);
        let list = ok(helm(&[&["list"][..], &ns].concat(), k), "helm list");
        assert!(list.contains("ecs-operator") && list.contains("deployed"), "{list}");
        ok(helm(&[&["uninstall", "ecs-operator"][..], &ns].concat(), k), "helm uninstall");
        let gone = kubectl(&kubeconfig, &["get", "deployment", "-n", "ops", "ecs-operator"]);
        assert!(!gone.status.success(), "Deployment removed");
        let gone = kubectl(&kubeconfig, &["get", "clusterrole", "ecs-operator"]);
        assert!(!gone.status.success(), "ClusterRole removed");
        let crds = kubectl_ok(&kubeconfig, &["get", "crds", "-o", "name"]);
        assert!(crds.contains("ecsservices.ecs.operator.dev"), "CRDs kept (helm.sh/resource-policy: keep): {crds}");
    })
    .await
    .expect("helm");
}

fn operator_help() -> String {
    ok(
        Command::new(env!("CARGO_BIN_EXE_ecs-operator")).args(["run", "--help"]).output().expect("run --help"),
        "run --help",
    )
}

/// True once the binary has the leader-election flags (main after issue 9 lands).
fn has_leader_election(help: &str) -> bool {
    help.contains("--leader-election")
}

#[test]
fn every_deployment_env_var_is_an_operator_flag() {
    let help = operator_help();
    let strict = has_leader_election(&help);
    let docs = render("ops", &["-f", ALL_ON]);
    let extra: Vec<String> = parse_docs(&read(ALL_ON))[0]["extraEnv"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["name"].as_str().map(str::to_owned))
        .collect();
    let mut missing = Vec::new();
    for name in env_names(&docs) {
        if NON_FLAG_ENVS.contains(&name.as_str()) || extra.contains(&name) {
            continue;
        }
        if !help.contains(&format!("[env: {name}=")) {
            missing.push(name);
        }
    }
    if !strict {
        missing.retain(|m| !PENDING_FLAG_ENVS.contains(&m.as_str()));
        eprintln!("note: this binary has no --leader-election yet; {PENDING_FLAG_ENVS:?} are not checked");
    }
    assert!(missing.is_empty(), "the chart sets env vars `ecs-operator run` does not read: {missing:?}\n{help}");
}

/// The operator process (stopped on drop, SIGTERM first as the kubelet does) and the port
/// its HTTP listener serves the probes on.
struct Operator(Option<Child>, u16);

impl Operator {
    fn stop(&mut self) {
        let Some(mut child) = self.0.take() else { return };
        let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for Operator {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Status code of a plain HTTP GET, as the kubelet's httpGet probe sends it.
fn http_get_status(port: u16, path: &str) -> u16 {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect to the operator");
    stream.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    write!(stream, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").expect("request");
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or(0)
}

/// Starts the operator binary with the args and env of the chart's rendered Deployment,
/// aimed at kube-sim and ecs-sim, with short intervals so every code path runs quickly.
fn start_operator_from_chart(docs: &[Value], kubeconfig: &Path, ecs: &str, log: &Path) -> Operator {
    let c = container(docs);
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
    let overrides = [
        ("HTTP_ADDR", format!("127.0.0.1:{port}")),
        ("RESYNC_INTERVAL_SECONDS", "1".into()),
        ("TERMINAL_RECHECK_SECONDS", "1".into()),
        ("SERVICE_POLL_INTERVAL_SECONDS", "1".into()),
        ("ROLLOUT_POLL_INTERVAL_SECONDS", "1".into()),
    ];
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ecs-operator"));
    cmd.args(strs(&c["args"]));
    for e in c["env"].as_array().expect("env") {
        let name = e["name"].as_str().expect("env name");
        let value = match e["valueFrom"]["fieldRef"]["fieldPath"].as_str() {
            Some("metadata.name") => "ecs-operator-5d8f7c9b4-rbac".to_owned(),
            Some("metadata.namespace") => "default".to_owned(),
            Some(other) => panic!("unexpected fieldRef {other}"),
            None => e["value"].as_str().expect("env value").to_owned(),
        };
        let value = overrides.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone()).unwrap_or(value);
        cmd.env(name, value);
    }
    cmd.env("KUBECONFIG", kubeconfig)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", ecs)
        .env("AWS_ACCESS_KEY_ID", "AKIDRBAC")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).expect("log file"));
    Operator(Some(cmd.spawn().expect("start ecs-operator")), port)
}

/// Polls `check` (a blocking kubectl query) until it returns true.
fn wait_until(what: &str, timeout: Duration, log: &Path, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !check() {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}\noperator log (tail):\n{}",
            std::fs::read_to_string(log).unwrap_or_default().lines().rev().take(40).collect::<Vec<_>>().join("\n")
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

const KINDS: &str = "taskdefinitions,ecsservices,ecsclusters,capacityproviders,ecstasks,ecsexpressservices";

/// The sample manifests, one object each, less the log-agent DAEMON service: it is
/// `deletionPolicy: Retain` on a task definition registered outside the operator, so its ECS
/// service (rightly) outlives the object and its cluster would wait for it forever.
fn samples() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(repo().join("config/samples"))
        .expect("config/samples")
        .flatten()
        .map(|e| format!("config/samples/{}", e.file_name().to_string_lossy()))
        .filter(|f| f.ends_with(".yaml") && !f.ends_with("ecsservice-log-agent-daemon.yaml"))
        .collect();
    files.sort();
    files
}

/// Passes admission, fails validation: a terminal error, retried every second, so the same
/// Warning event repeats and is patched into a series.
const BAD_TASK_DEFINITION: &str = r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: TaskDefinition
metadata:
  name: odd-cpu
spec:
  requiresCompatibilities: [EC2]
  cpu: "0.1 vCPU"
  memory: "512"
  containerDefinitions:
    - name: app
      image: busybox
"#;

/// A one-off task deleted as soon as it finished (ttlSecondsAfterFinished: 0): the operator's
/// own delete of an ECSTask.
const ONCE: &str = r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: ECSTask
metadata:
  name: once
spec:
  clusterRef: {name: web-fargate}
  taskDefinitionRef: {name: webserver}
  launchType: FARGATE
  networkConfiguration:
    awsvpcConfiguration:
      subnets: [subnet-0123456789abcdef0]
  ttlSecondsAfterFinished: 0
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rbac_grants_exactly_what_the_operator_asks_for() {
    let scratch = Scratch::new("rbac");
    let sim = kube_sim::start().await.expect("start kube-sim");
    let kubeconfig = scratch.path("kubeconfig");
    sim.write_kubeconfig(&kubeconfig).expect("kubeconfig");
    let ecs = ecs_sim::start(ecs_sim::SimConfig {
        clock: ecs_sim::ClockMode::Scaled { speed: 20.0 },
        ..ecs_sim::SimConfig::default()
    })
    .expect("start ecs-sim");
    let docs = render("default", &[]);
    let bad = scratch.path("bad.yaml");
    std::fs::write(&bad, BAD_TASK_DEFINITION).expect("write");
    let once = scratch.path("once.yaml");
    std::fs::write(&once, ONCE).expect("write");
    let log = scratch.path("operator.log");
    let help = operator_help();
    let (k, endpoint, docs_for_run) = (kubeconfig.clone(), ecs.endpoint().to_owned(), docs.clone());
    // Everything the test itself asks Kubernetes goes through kubectl (User-Agent "kubectl"),
    // so the rest of the request log is the operator's.
    tokio::task::spawn_blocking(move || {
        let samples = samples();
        let sample_args: Vec<&str> = samples.iter().flat_map(|s| ["-f", s.as_str()]).collect();
        let k = k.as_path();
        kubectl_ok(k, &["apply", "--server-side", "-f", "crds/"]);
        let mut operator = start_operator_from_chart(&docs_for_run, k, &endpoint, &log);
        kubectl_ok(k, &[&["apply"][..], &sample_args].concat());
        kubectl_ok(k, &["apply", "-f", bad.to_str().unwrap_or_default()]);
        kubectl_ok(k, &["apply", "-f", once.to_str().unwrap_or_default()]);
        let ready = r#"jsonpath={range .items[*]}{.kind}/{.metadata.name}={.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}"#;
        wait_until("every sample Ready", Duration::from_secs(120), &log, || {
            let out = String::from_utf8_lossy(&kubectl(k, &["get", KINDS, "-o", ready]).stdout).into_owned();
            let lines: Vec<&str> = out
                .lines()
                .filter(|l| !l.starts_with("TaskDefinition/odd-cpu=") && !l.starts_with("ECSTask/once="))
                .collect();
            lines.len() == samples.len() && lines.iter().all(|l| l.ends_with("=True"))
        });
        // The chart's probes and metrics Service point at endpoints the binary serves.
        let probe = |kind: &str| {
            let probe = &container(&docs_for_run)[kind]["httpGet"];
            assert_eq!(probe["port"], "http", "{kind} uses the named port");
            probe["path"].as_str().expect("probe path").to_owned()
        };
        for path in [probe("livenessProbe"), probe("readinessProbe"), "/metrics".to_owned()] {
            assert_eq!(http_get_status(operator.1, &path), 200, "GET {path}");
        }
        wait_until("the finished one-off task deleted (its ttl)", Duration::from_secs(60), &log, || {
            let out = kubectl(k, &["get", "ecstasks", "once", "-o", "name"]);
            !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("NotFound")
        });
        let events = r#"jsonpath={range .items[*]}{.regarding.name}:{.reason}:{.series.count}{"\n"}{end}"#;
        wait_until("a repeated Warning event (a series)", Duration::from_secs(60), &log, || {
            let out = String::from_utf8_lossy(&kubectl(k, &["get", "events.events.k8s.io", "-o", events]).stdout)
                .into_owned();
            out.lines().any(|l| l.starts_with("odd-cpu:") && !l.ends_with(':'))
        });
        // Deleted in dependency order, as a user would: a cluster waits while services remain,
        // and while a Managed Instances provider made inside it remains; an Auto Scaling group
        // provider waits while a cluster uses it. So clusters and providers go together.
        for kinds in ["ecsservices,ecstasks,ecsexpressservices", "ecsclusters,capacityproviders,taskdefinitions"] {
            kubectl_ok(k, &["delete", kinds, "--all", "--wait=false"]);
            wait_until(&format!("{kinds} deleted (finalizers removed)"), Duration::from_secs(60), &log, || {
                let out = kubectl(k, &["get", kinds, "-o", "name"]);
                out.status.success() && out.stdout.is_empty()
            });
        }
        operator.stop();
    })
    .await
    .expect("run");

    let mut observed = BTreeSet::new();
    for (agent, requests) in sim.requests_by_agent() {
        if agent == "kubectl" {
            continue;
        }
        for (verb, group, resource, sub) in requests.keys() {
            let resource = if sub.is_empty() { resource.clone() } else { format!("{resource}/{sub}") };
            observed.insert((group.clone(), resource, verb.clone()));
        }
    }
    let roles: Vec<&Value> = of_kind(&docs, "ClusterRole").into_iter().chain(of_kind(&docs, "Role")).collect();
    let mut expected = granted(&roles);
    if !has_leader_election(&help) {
        // Until the binary elects a leader, its Lease rules are unused; they are checked
        // exactly once it does.
        expected.retain(|(group, _, _)| group != "coordination.k8s.io");
        eprintln!("note: this binary has no --leader-election yet; the Lease Role is not compared");
    }
    // The IAM policy allows every AWS operation this full run made (ecs-sim counts them all).
    let policy: Value = serde_json::from_str(&read("config/iam/policy.json")).expect("policy.json");
    let allowed: BTreeSet<String> = policy["Statement"]
        .as_array()
        .expect("statements")
        .iter()
        .flat_map(|s| match &s["Action"] {
            Value::String(a) => vec![a.clone()],
            other => strs(other),
        })
        .collect();
    let aws_calls = ecs.stats().operations;
    assert!(aws_calls.len() >= 10, "a full run uses many operations: {:?}", aws_calls.keys());
    let unallowed: Vec<&String> = aws_calls
        .keys()
        .filter(|op| {
            !allowed.contains(&format!("ecs:{op}")) && !allowed.contains(&format!("application-autoscaling:{op}"))
        })
        .collect();
    assert!(unallowed.is_empty(), "operations the run made that config/iam/policy.json does not allow: {unallowed:?}");

    let unused: Vec<_> = expected.difference(&observed).collect();
    let missing: Vec<_> = observed.difference(&expected).collect();
    assert!(
        unused.is_empty() && missing.is_empty(),
        "RBAC differs from what the operator asked kube-sim for.\n granted but never used: {unused:?}\n \
         used but not granted: {missing:?}\n observed: {observed:?}"
    );
}

/// The SQS calls the operator may make on its events queue (`aws_sdk_sqs` fluent builders) and
/// the IAM action each needs: IAM has no actions of its own for SQS's batch calls.
const SQS_CALLS: [(&str, &str); 6] = [
    ("receive_message", "sqs:ReceiveMessage"),
    ("delete_message", "sqs:DeleteMessage"),
    ("delete_message_batch", "sqs:DeleteMessage"),
    ("get_queue_attributes", "sqs:GetQueueAttributes"),
    ("change_message_visibility", "sqs:ChangeMessageVisibility"),
    ("change_message_visibility_batch", "sqs:ChangeMessageVisibility"),
];

/// AWS operations the SDK clients call, as IAM actions: the ECS and Application Auto Scaling
/// calls in `src/aws/` (a `.describe_services()` line: rustfmt puts each call of a long chain on
/// its own), and the events queue's SQS calls anywhere in `src/` and anywhere in a line (a short
/// chain may stay on one line; no other SDK has these names).
fn sdk_operations() -> BTreeSet<String> {
    const VERBS: [&str; 13] = [
        "create_",
        "describe_",
        "delete_",
        "update_",
        "list_",
        "put_",
        "register_",
        "deregister_",
        "tag_",
        "untag_",
        "continue_",
        "stop_",
        "run_",
    ];
    let mut out = BTreeSet::new();
    let aws = repo().join("src/aws");
    let mut dirs = vec![repo().join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("src").flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("source");
            for (call, action) in SQS_CALLS {
                if text.contains(&format!(".{call}()")) {
                    out.insert(action.to_owned());
                }
            }
            if !path.starts_with(&aws) {
                continue;
            }
            let service =
                if path.file_name().is_some_and(|n| n == "autoscaling.rs") { "application-autoscaling" } else { "ecs" };
            for line in text.lines().map(str::trim) {
                let Some(call) = line.strip_prefix('.').and_then(|l| l.strip_suffix("()")) else { continue };
                if SQS_CALLS.iter().any(|(sqs, _)| *sqs == call) {
                    continue;
                }
                if !VERBS.iter().any(|v| call.starts_with(v))
                    || !call.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                {
                    continue;
                }
                let camel: String = call
                    .split('_')
                    .map(|w| {
                        let mut c = w.chars();
                        c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
                    })
                    .collect();
                out.insert(format!("{service}:{camel}"));
            }
        }
    }
    out
}

#[test]
fn iam_policy_allows_every_sdk_call_and_nothing_unused() {
    let policy: Value = serde_json::from_str(&read("config/iam/policy.json")).expect("policy.json");
    let mut allowed = BTreeSet::new();
    for statement in policy["Statement"].as_array().expect("statements") {
        assert_eq!(statement["Effect"], "Allow");
        let actions = match &statement["Action"] {
            Value::String(s) => vec![s.clone()],
            other => strs(other),
        };
        for action in actions {
            assert!(!action.contains('*'), "no wildcard actions: {action}");
            allowed.insert(action);
        }
    }
    let used = sdk_operations();
    assert!(used.len() > 20, "found the SDK calls: {used:?}");
    let missing: Vec<_> = used.difference(&allowed).collect();
    assert!(missing.is_empty(), "config/iam/policy.json lacks actions the operator calls: {missing:?}");
    // Beyond the calls themselves: what AWS checks on the operator's behalf.
    let implied = [
        "ecs:TagResource",           // tags sent with create calls
        "iam:PassRole",              // task, execution and infrastructure roles
        "cloudwatch:DescribeAlarms", // target-tracking policies' alarms
        "cloudwatch:PutMetricAlarm",
        "cloudwatch:DeleteAlarms",
        "iam:CreateServiceLinkedRole", // first service / scalable target in an account
        "sts:AssumeRole",              // per-object spec.aws.roleArn
    ];
    let unused: Vec<_> = allowed.iter().filter(|a| !used.contains(*a) && !implied.contains(&a.as_str())).collect();
    assert!(unused.is_empty(), "config/iam/policy.json allows actions nothing calls: {unused:?}");
    // Every write to an existing ECS resource is conditioned on the ownership tag.
    let owned = policy["Statement"].as_array().into_iter().flatten().find(|s| s["Sid"] == "ChangeOnlyOwned");
    let owned = owned.expect("ChangeOnlyOwned statement");
    assert_eq!(owned["Condition"]["Null"]["aws:ResourceTag/ecs.operator.dev/owner"], "false");
}

/// Every string under `key`, at any depth of `v` (an event pattern's detail-types, in its
/// top level or in its `$or` branches).
fn strings_under(v: &Value, key: &str, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                if k == key {
                    out.extend(strs(v));
                }
                strings_under(v, key, out);
            }
        }
        Value::Array(items) => {
            for v in items {
                strings_under(v, key, out);
            }
        }
        _ => {}
    }
}

fn statement_actions(statement: &Value) -> BTreeSet<String> {
    match &statement["Action"] {
        Value::String(a) => BTreeSet::from([a.clone()]),
        other => strs(other).into_iter().collect(),
    }
}

#[test]
fn events_cloudformation_template_routes_ecs_events_to_the_queue() {
    // Plain YAML: the template writes intrinsics in long form (Fn::GetAtt), never `!GetAtt`.
    let template: Value = serde_yaml::from_str(&read("config/events/cloudformation.yaml"))
        .expect("config/events/cloudformation.yaml parses as YAML (long-form intrinsics only)");
    let resources = template["Resources"].as_object().expect("Resources");
    let of_type = |t: &str| resources.iter().filter(|(_, r)| r["Type"] == t).collect::<Vec<_>>();
    let rules = of_type("AWS::Events::Rule");
    let [(rule_id, rule)] = rules[..] else { panic!("one EventBridge rule: {rules:?}") };
    let rule = &rule["Properties"];
    assert_eq!(rule["EventBusName"], "default");
    assert_eq!(rule["State"], "ENABLED");
    let pattern = &rule["EventPattern"];
    assert_eq!(pattern["source"], serde_json::json!(["aws.ecs"]));
    let mut detail_types = BTreeSet::new();
    strings_under(pattern, "detail-type", &mut detail_types);
    let want =
        ["ECS Service Action", "ECS Deployment State Change", "ECS Task State Change", "AWS API Call via CloudTrail"];
    assert_eq!(detail_types, want.into_iter().map(str::to_owned).collect::<BTreeSet<_>>(), "the rule's detail-types");
    // Only the CloudTrail branch filters on detail (ECS's own events have no eventSource).
    let branches = pattern["$or"].as_array().map_or_else(|| vec![pattern], |b| b.iter().collect());
    for branch in branches {
        if strs(&branch["detail-type"]).iter().any(|t| t == "AWS API Call via CloudTrail") {
            assert_eq!(branch["detail"]["eventSource"], serde_json::json!(["ecs.amazonaws.com"]), "{branch}");
        } else {
            assert!(branch["detail"].is_null(), "ECS's own events are not filtered on detail: {branch}");
        }
    }
    // The rule sends to the queue; the queue, encrypted, hands repeated failures to a dead-letter
    // queue; its policy lets EventBridge send for this rule only.
    let queues: Vec<_> =
        of_type("AWS::SQS::Queue").into_iter().filter(|(_, q)| !q["Properties"]["RedrivePolicy"].is_null()).collect();
    let [(queue_id, queue)] = queues[..] else { panic!("one queue with a redrive policy: {queues:?}") };
    let get_att = |id: &str, att: &str| serde_json::json!({"Fn::GetAtt": [id, att]});
    let queue_arn = get_att(queue_id.as_str(), "Arn");
    assert_eq!(rule["Targets"][0]["Arn"], queue_arn);
    let queue = &queue["Properties"];
    assert_eq!(queue["QueueName"]["Ref"], "QueueName");
    assert_eq!(template["Parameters"]["QueueName"]["Default"], "ecs-operator-events");
    assert_eq!(queue["SqsManagedSseEnabled"], true);
    assert_eq!(queue["VisibilityTimeout"], 60);
    assert_eq!(queue["RedrivePolicy"]["maxReceiveCount"], 5);
    let dlq_id = queue["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0].as_str().expect("dead-letter queue");
    assert_eq!(resources[dlq_id]["Type"], "AWS::SQS::Queue");
    assert_eq!(resources[dlq_id]["Properties"]["SqsManagedSseEnabled"], true);
    let queue_policies = of_type("AWS::SQS::QueuePolicy");
    let [(_, queue_policy)] = queue_policies[..] else { panic!("one queue policy: {queue_policies:?}") };
    let statements = queue_policy["Properties"]["PolicyDocument"]["Statement"].as_array().expect("statements");
    let [send] = &statements[..] else { panic!("one statement: {statements:?}") };
    assert_eq!(send["Principal"]["Service"], "events.amazonaws.com");
    assert_eq!(send["Action"], "sqs:SendMessage");
    assert_eq!(send["Resource"], queue_arn);
    assert_eq!(send["Condition"]["ArnEquals"]["aws:SourceArn"], get_att(rule_id.as_str(), "Arn"));
    // Outputs: the URL for the operator, the ARN, and the operator's statement, the same actions
    // as config/iam/policy.json's.
    let outputs = &template["Outputs"];
    assert_eq!(outputs["QueueUrl"]["Value"]["Ref"], queue_id.as_str());
    assert_eq!(outputs["QueueArn"]["Value"], queue_arn);
    let sub = &outputs["OperatorPolicyStatement"]["Value"]["Fn::Sub"];
    let statement = sub[0].as_str().expect("Fn::Sub [template, variables]").replace("${QueueArn}", "arn:aws:sqs:x:1:q");
    let statement: Value = serde_json::from_str(&statement).expect("OperatorPolicyStatement is a JSON statement");
    assert_eq!(sub[1]["QueueArn"], queue_arn);
    assert_eq!(statement["Resource"], "arn:aws:sqs:x:1:q");
    let want: BTreeSet<String> = EVENTS_QUEUE_ACTIONS.into_iter().map(str::to_owned).collect();
    assert_eq!(statement_actions(&statement), want, "the same actions as config/iam/policy.json's statement");
}

#[test]
fn iam_policy_reads_only_the_events_queue() {
    let policy: Value = serde_json::from_str(&read("config/iam/policy.json")).expect("policy.json");
    let statements = policy["Statement"].as_array().expect("statements");
    let sqs: Vec<&Value> =
        statements.iter().filter(|s| statement_actions(s).iter().any(|a| a.starts_with("sqs:"))).collect();
    let [statement] = sqs[..] else { panic!("one statement with SQS actions: {sqs:?}") };
    assert_eq!(statement["Sid"], "ReadEcsEventsQueue");
    assert_eq!(statement["Effect"], "Allow");
    let want: BTreeSet<String> = EVENTS_QUEUE_ACTIONS.into_iter().map(str::to_owned).collect();
    assert_eq!(statement_actions(statement), want, "exactly what the operator does with its queue");
    // The queue by the name config/events gives it, in any region and account; never every queue.
    assert_eq!(statement["Resource"], "arn:aws:sqs:*:*:ecs-operator-events");
    // The Terraform module's operator_policy_json grants the same actions.
    let terraform = read("config/events/terraform/main.tf");
    for action in EVENTS_QUEUE_ACTIONS {
        assert!(terraform.contains(&format!("\"{action}\"")), "config/events/terraform/main.tf grants {action}");
    }
}
