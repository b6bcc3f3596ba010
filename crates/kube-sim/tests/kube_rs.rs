//! kube-rs against kube-sim: CRUD, CRDs, status, conflicts, finalizers, server-side apply,
//! watches with resume and 410 relist, the finalizer helper, a Controller and leases.

use std::time::Duration;

use futures::TryStreamExt;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, DeleteParams, ListParams, ObjectMeta, Patch, PatchParams, PostParams};
use kube::core::{ApiResource, DynamicObject, GroupVersionKind};
use kube::runtime::{WatchStreamExt, watcher};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(20);

fn widget_crd() -> CustomResourceDefinition {
    serde_json::from_value(json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.test.dev"},
        "spec": {
            "group": "test.dev",
            "scope": "Namespaced",
            "names": {"kind": "Widget", "plural": "widgets", "singular": "widget", "shortNames": ["wd"], "categories": ["all-widgets"]},
            "versions": [{
                "name": "v1", "served": true, "storage": true,
                "subresources": {"status": {}},
                "additionalPrinterColumns": [{"name": "Size", "type": "integer", "jsonPath": ".spec.size"}],
                "schema": {"openAPIV3Schema": {
                    "type": "object",
                    "properties": {
                        "spec": {
                            "type": "object",
                            "properties": {
                                "size": {"type": "integer", "minimum": 1, "maximum": 10},
                                "color": {"type": "string", "enum": ["red", "blue"], "default": "red"},
                            },
                            "x-kubernetes-validations": [{"rule": "!has(self.size) || self.size != 7", "message": "size 7 is unlucky", "fieldPath": ".size"}],
                        },
                        "status": {"type": "object", "properties": {"phase": {"type": "string"}}},
                    },
                }},
            }],
        },
    }))
    .expect("valid CRD")
}

fn widgets(client: &kube::Client, ns: &str) -> Api<DynamicObject> {
    let gvk = GroupVersionKind::gvk("test.dev", "v1", "Widget");
    Api::namespaced_with(client.clone(), ns, &ApiResource::from_gvk_with_plural(&gvk, "widgets"))
}

fn widget(name: &str, spec: serde_json::Value) -> DynamicObject {
    serde_json::from_value(
        json!({"apiVersion": "test.dev/v1", "kind": "Widget", "metadata": {"name": name}, "spec": spec}),
    )
    .expect("valid widget")
}

async fn install_widgets(client: &kube::Client) {
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    crds.create(&PostParams::default(), &widget_crd()).await.expect("create CRD");
    let established = kube::runtime::wait::await_condition(
        crds,
        "widgets.test.dev",
        kube::runtime::wait::conditions::is_crd_established(),
    );
    tokio::time::timeout(WAIT, established).await.expect("CRD established in time").expect("watch CRD");
}

#[tokio::test]
async fn configmap_crud_conflict_and_not_found() {
    let sim = kube_sim::start().await.expect("start kube-sim");
    let client = sim.client().await.expect("client");
    let cms: Api<ConfigMap> = Api::namespaced(client, "default");
    let cm = ConfigMap {
        metadata: ObjectMeta {
            name: Some("a".into()),
            labels: Some([("app".into(), "x".into())].into()),
            ..Default::default()
        },
        data: Some([("k".into(), "v".into())].into()),
        ..Default::default()
    };
    let created = cms.create(&PostParams::default(), &cm).await.expect("create");
    assert!(created.metadata.uid.is_some());
    assert!(created.metadata.creation_timestamp.is_some());
    let err = cms.create(&PostParams::default(), &cm).await.expect_err("duplicate create");
    assert!(matches!(err, kube::Error::Api(ref e) if e.code == 409 && e.reason == "AlreadyExists"), "{err:?}");

    let mut stale = created.clone();
    let mut fresh = created.clone();
    fresh.data = Some([("k".into(), "v2".into())].into());
    cms.replace("a", &PostParams::default(), &fresh).await.expect("replace with current resourceVersion");
    stale.data = Some([("k".into(), "v3".into())].into());
    let err = cms.replace("a", &PostParams::default(), &stale).await.expect_err("stale replace");
    assert!(matches!(err, kube::Error::Api(ref e) if e.code == 409 && e.reason == "Conflict"), "{err:?}");

    let selected = cms.list(&ListParams::default().labels("app=x")).await.expect("list by label");
    assert_eq!(selected.items.len(), 1);
    assert!(cms.list(&ListParams::default().labels("app=y")).await.expect("list").items.is_empty());

    cms.delete("a", &DeleteParams::default()).await.expect("delete");
    let err = cms.get("a").await.expect_err("gone");
    assert!(matches!(err, kube::Error::Api(ref e) if e.code == 404 && e.reason == "NotFound"), "{err:?}");
}

#[tokio::test]
async fn list_pagination() {
    let sim = kube_sim::start().await.expect("start kube-sim");
    let client = sim.client().await.expect("client");
    let cms: Api<ConfigMap> = Api::namespaced(client, "default");
    for i in 0..7 {
        let cm = ConfigMap {
            metadata: ObjectMeta { name: Some(format!("cm-{i}")), ..Default::default() },
            ..Default::default()
        };
        cms.create(&PostParams::default(), &cm).await.expect("create");
    }
    let mut names = Vec::new();
    let mut params = ListParams::default().limit(3);
    loop {
        let page = cms.list(&params).await.expect("page");
        assert!(page.items.len() <= 3);
        names.extend(page.items.iter().filter_map(|c| c.metadata.name.clone()));
        match page.metadata.continue_.filter(|c| !c.is_empty()) {
            Some(token) => params = params.continue_token(&token),
            None => break,
        }
    }
    assert_eq!(names.len(), 7);
}

#[tokio::test]
async fn crd_admission_defaults_status_split_and_generation() {
    let sim = kube_sim::start().await.expect("start kube-sim");
    let client = sim.client().await.expect("client");
    install_widgets(&client).await;
    let api = widgets(&client, "default");

    let created =
        api.create(&PostParams::default(), &widget("w", json!({"size": 2, "junk": true}))).await.expect("create");
    assert_eq!(created.data["spec"]["color"], "red", "default applied");
    assert!(created.data["spec"].get("junk").is_none(), "unknown field pruned");
    assert_eq!(created.metadata.generation, Some(1));

    let err = api.create(&PostParams::default(), &widget("bad", json!({"size": 11}))).await.expect_err("maximum");
    let kube::Error::Api(e) = err else { panic!("expected API error") };
    assert_eq!(e.code, 422);
    assert!(e.message.contains("spec.size"), "{}", e.message);
    let err = api.create(&PostParams::default(), &widget("bad", json!({"size": 7}))).await.expect_err("CEL");
    let kube::Error::Api(e) = err else { panic!("expected API error") };
    assert!(e.message.contains("size 7 is unlucky") && e.message.contains("spec.size"), "{}", e.message);

    // Status through the main endpoint is ignored; through /status it sticks and spec does not move.
    let status = Patch::Merge(json!({"status": {"phase": "Ok"}}));
    let after = api.patch("w", &PatchParams::default(), &status).await.expect("main patch");
    assert!(after.data.get("status").is_none());
    let after = api.patch_status("w", &PatchParams::default(), &status).await.expect("status patch");
    assert_eq!(after.data["status"]["phase"], "Ok");
    assert_eq!(after.metadata.generation, Some(1), "status does not bump generation");
    let spec_in_status = Patch::Merge(json!({"spec": {"size": 3}}));
    let after = api.patch_status("w", &PatchParams::default(), &spec_in_status).await.expect("status patch with spec");
    assert_eq!(after.data["spec"]["size"], 2);

    let labels = Patch::Merge(json!({"metadata": {"labels": {"a": "b"}}}));
    assert_eq!(api.patch("w", &PatchParams::default(), &labels).await.expect("labels").metadata.generation, Some(1));
    let after =
        api.patch("w", &PatchParams::default(), &Patch::Merge(json!({"spec": {"size": 4}}))).await.expect("spec");
    assert_eq!(after.metadata.generation, Some(2));
}

#[tokio::test]
async fn finalizers_hold_deletion() {
    let sim = kube_sim::start().await.expect("start kube-sim");
    let client = sim.client().await.expect("client");
    install_widgets(&client).await;
    let api = widgets(&client, "default");
    let mut w = widget("f", json!({"size": 1}));
    w.metadata.finalizers = Some(vec!["test.dev/hold".into()]);
    api.create(&PostParams::default(), &w).await.expect("create");
    api.delete("f", &DeleteParams::default()).await.expect("delete");
    let held = api.get("f").await.expect("still there");
    assert!(held.metadata.deletion_timestamp.is_some());
    let remove = Patch::Merge(json!({"metadata": {"finalizers": null}}));
    api.patch("f", &PatchParams::default(), &remove).await.expect("remove finalizer");
    assert!(api.get_opt("f").await.expect("get").is_none());
}

#[tokio::test]
async fn server_side_apply_ownership_and_conflicts() {
    let sim = kube_sim::start().await.expect("start kube-sim");
    let client = sim.client().await.expect("client");
    let cms: Api<ConfigMap> = Api::namespaced(client, "default");
    let first =
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa"}, "data": {"a": "1", "b": "1"}});
    cms.patch("ssa", &PatchParams::apply("one"), &Patch::Apply(&first)).await.expect("apply creates");
    let second = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa"}, "data": {"a": "2"}});
    let err = cms.patch("ssa", &PatchParams::apply("two"), &Patch::Apply(&second)).await.expect_err("conflict");
    assert!(matches!(err, kube::Error::Api(ref e) if e.code == 409), "{err:?}");
    let forced = cms.patch("ssa", &PatchParams::apply("two").force(), &Patch::Apply(&second)).await.expect("force");
    assert_eq!(forced.data.as_ref().and_then(|d| d.get("a")).map(String::as_str), Some("2"));
    // "one" stops applying b: it is removed because nobody else owns it.
    let shrink = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa"}, "data": {}});
    let after = cms.patch("ssa", &PatchParams::apply("one"), &Patch::Apply(&shrink)).await.expect("reapply");
    let data = after.data.unwrap_or_default();
    assert_eq!(data.get("a").map(String::as_str), Some("2"));
    assert!(!data.contains_key("b"), "{data:?}");
    let managers: Vec<String> =
        after.metadata.managed_fields.unwrap_or_default().into_iter().filter_map(|m| m.manager).collect();
    assert!(managers.contains(&"two".to_string()), "{managers:?}");
}

#[tokio::test]
async fn watcher_resumes_and_relists_after_410() {
    let sim = kube_sim::start().await.expect("start kube-sim");
    let client = sim.client().await.expect("client");
    let cms: Api<ConfigMap> = Api::namespaced(client, "default");
    let (reader, writer) = kube::runtime::reflector::store();
    let stream = watcher(cms.clone(), watcher::Config::default()).default_backoff().reflect(writer).applied_objects();
    let handle = tokio::spawn(async move {
        let _ = stream.try_for_each(|_| async { Ok(()) }).await;
    });
    tokio::time::timeout(WAIT, reader.wait_until_ready()).await.expect("ready in time").expect("reader");
    let mk = |n: &str| ConfigMap {
        metadata: ObjectMeta { name: Some(n.into()), ..Default::default() },
        ..Default::default()
    };
    cms.create(&PostParams::default(), &mk("one")).await.expect("create");
    wait_for(|| reader.state().len() == 1).await;
    sim.drop_watches();
    cms.create(&PostParams::default(), &mk("two")).await.expect("create");
    wait_for(|| reader.state().len() == 2).await;
    sim.expire_watch_history();
    cms.create(&PostParams::default(), &mk("three")).await.expect("create");
    cms.delete("one", &DeleteParams::default()).await.expect("delete");
    wait_for(|| {
        let names: Vec<String> = reader.state().iter().filter_map(|c| c.metadata.name.clone()).collect();
        names.len() == 2 && !names.contains(&"one".to_string())
    })
    .await;
    handle.abort();
}

#[tokio::test]
async fn leases_renew_with_optimistic_concurrency() {
    let sim = kube_sim::start().await.expect("start kube-sim");
    let client = sim.client().await.expect("client");
    let leases: Api<Lease> = Api::namespaced(client, "default");
    let lease: Lease = serde_json::from_value(json!({
        "metadata": {"name": "leader"},
        "spec": {"holderIdentity": "a", "leaseDurationSeconds": 15, "acquireTime": "2026-01-01T00:00:00.000000Z", "renewTime": "2026-01-01T00:00:00.000000Z"},
    }))
    .expect("lease");
    let created = leases.create(&PostParams::default(), &lease).await.expect("acquire");
    let mut renew_a = created.clone();
    let mut steal_b = created.clone();
    if let Some(spec) = renew_a.spec.as_mut() {
        spec.renew_time = serde_json::from_value(json!("2026-01-01T00:00:05.000000Z")).ok();
    }
    leases.replace("leader", &PostParams::default(), &renew_a).await.expect("renew");
    if let Some(spec) = steal_b.spec.as_mut() {
        spec.holder_identity = Some("b".into());
    }
    let err = leases.replace("leader", &PostParams::default(), &steal_b).await.expect_err("stale takeover");
    assert!(matches!(err, kube::Error::Api(ref e) if e.code == 409), "{err:?}");
}

#[tokio::test]
async fn namespaces_scope_objects() {
    let sim = kube_sim::start().await.expect("start kube-sim");
    let client = sim.client().await.expect("client");
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let ns =
        Namespace { metadata: ObjectMeta { name: Some("team".into()), ..Default::default() }, ..Default::default() };
    namespaces.create(&PostParams::default(), &ns).await.expect("create ns");
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "team");
    let cm = ConfigMap { metadata: ObjectMeta { name: Some("x".into()), ..Default::default() }, ..Default::default() };
    cms.create(&PostParams::default(), &cm).await.expect("create in ns");
    let missing: Api<ConfigMap> = Api::namespaced(client.clone(), "nope");
    let err = missing.create(&PostParams::default(), &cm).await.expect_err("no namespace");
    assert!(matches!(err, kube::Error::Api(ref e) if e.code == 404), "{err:?}");
    let all: Api<ConfigMap> = Api::all(client.clone());
    assert_eq!(all.list(&ListParams::default()).await.expect("list all").items.len(), 1);
    namespaces.delete("team", &DeleteParams::default()).await.expect("delete ns");
    wait_for_async(|| async { namespaces.get_opt("team").await.ok().flatten().is_none() }).await;
    assert!(all.list(&ListParams::default()).await.expect("list").items.is_empty());
}

async fn wait_for(mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !check() {
        assert!(tokio::time::Instant::now() < deadline, "condition not reached in {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn wait_for_async<F, Fut>(mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "condition not reached in {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

mod runtime {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use futures::StreamExt;
    use kube::runtime::controller::{Action, Controller};
    use kube::runtime::finalizer::{Event, finalizer};

    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("{0}")]
    struct ReconcileError(String);

    /// A Controller with the finalizer helper: Apply labels the ConfigMap, Cleanup counts.
    #[tokio::test]
    async fn controller_with_finalizer_end_to_end() {
        let sim = kube_sim::start().await.expect("start kube-sim");
        let client = sim.client().await.expect("client");
        let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
        let cleanups = Arc::new(AtomicUsize::new(0));
        let ctx = Arc::new((cms.clone(), cleanups.clone()));
        let reconcile = |cm: Arc<ConfigMap>, ctx: Arc<(Api<ConfigMap>, Arc<AtomicUsize>)>| async move {
            let (api, cleanups) = (&ctx.0, ctx.1.clone());
            finalizer(api, "test.dev/cleanup", cm, |event| async move {
                match event {
                    Event::Apply(cm) => {
                        let name = cm.metadata.name.clone().unwrap_or_default();
                        let patch = Patch::Merge(json!({"metadata": {"labels": {"reconciled": "yes"}}}));
                        api.patch(&name, &PatchParams::default(), &patch)
                            .await
                            .map_err(|e| ReconcileError(e.to_string()))?;
                        Ok(Action::await_change())
                    }
                    Event::Cleanup(_) => {
                        cleanups.fetch_add(1, Ordering::SeqCst);
                        Ok::<_, ReconcileError>(Action::await_change())
                    }
                }
            })
            .await
            .map_err(|e| ReconcileError(e.to_string()))
        };
        let controller = Controller::new(cms.clone(), watcher::Config::default())
            .run(reconcile, |_, _, _| Action::requeue(Duration::from_millis(100)), ctx)
            .for_each(|_| async {});
        let handle = tokio::spawn(controller);
        let cm =
            ConfigMap { metadata: ObjectMeta { name: Some("c".into()), ..Default::default() }, ..Default::default() };
        cms.create(&PostParams::default(), &cm).await.expect("create");
        wait_for_async(|| async {
            cms.get("c")
                .await
                .ok()
                .and_then(|c| c.metadata.labels)
                .is_some_and(|l| l.get("reconciled").is_some_and(|v| v == "yes"))
        })
        .await;
        let with_finalizer = cms.get("c").await.expect("get");
        assert_eq!(with_finalizer.metadata.finalizers, Some(vec!["test.dev/cleanup".to_string()]));
        cms.delete("c", &DeleteParams::default()).await.expect("delete");
        wait_for_async(|| async { cms.get_opt("c").await.ok().flatten().is_none() }).await;
        assert_eq!(cleanups.load(Ordering::SeqCst), 1);
        handle.abort();
    }
}

mod faults_and_watch_options {
    use super::*;
    use futures::StreamExt;

    fn cm(name: &str) -> ConfigMap {
        ConfigMap { metadata: ObjectMeta { name: Some(name.into()), ..Default::default() }, ..Default::default() }
    }

    #[tokio::test]
    async fn dry_run_stores_nothing() {
        let sim = kube_sim::start().await.expect("start kube-sim");
        let cms: Api<ConfigMap> = Api::namespaced(sim.client().await.expect("client"), "default");
        let pp = PostParams { dry_run: true, ..Default::default() };
        let answered = cms.create(&pp, &cm("dry")).await.expect("dry-run create");
        assert_eq!(answered.metadata.name.as_deref(), Some("dry"));
        assert!(cms.get_opt("dry").await.expect("get").is_none());
    }

    #[tokio::test]
    async fn refusals_answer_like_rbac_until_cleared() {
        let sim = kube_sim::start().await.expect("start kube-sim");
        let cms: Api<ConfigMap> = Api::namespaced(sim.client().await.expect("client"), "default");
        cms.create(&PostParams::default(), &cm("a")).await.expect("create");
        sim.refuse("patch", "configmaps", "", 403);
        let patch = Patch::Merge(json!({"data": {"k": "v"}}));
        let err = cms.patch("a", &PatchParams::default(), &patch).await.expect_err("refused");
        let kube::Error::Api(e) = err else { panic!("expected API error") };
        assert_eq!((e.code, e.reason.as_str()), (403, "Forbidden"));
        assert!(
            e.message.contains(r#"configmaps "a" is forbidden"#)
                && e.message
                    .contains(r#"cannot patch resource "configmaps" in API group "" in the namespace "default""#),
            "{}",
            e.message
        );
        cms.get("a").await.expect("other verbs are allowed");
        let refused = sim.requests().get(&("patch".into(), String::new(), "configmaps".into(), String::new())).copied();
        assert_eq!(refused, Some(1), "a refused request is still counted");
        sim.clear_refusals();
        cms.patch("a", &PatchParams::default(), &patch).await.expect("allowed again");
    }

    #[tokio::test]
    async fn a_json_patch_that_does_not_apply_is_the_generic_422() {
        let sim = kube_sim::start().await.expect("start kube-sim");
        let cms: Api<ConfigMap> = Api::namespaced(sim.client().await.expect("client"), "default");
        cms.create(&PostParams::default(), &cm("a")).await.expect("create");
        let failing: json_patch::Patch = serde_json::from_value(json!([
            {"op": "test", "path": "/metadata/name", "value": "b"},
            {"op": "add", "path": "/data", "value": {}},
        ]))
        .expect("patch");
        let err = cms.patch("a", &PatchParams::default(), &Patch::<()>::Json(failing)).await.expect_err("test fails");
        let kube::Error::Api(e) = err else { panic!("expected API error") };
        assert_eq!(
            (e.code, e.message.as_str()),
            (422, "the server rejected our request due to an error in our request")
        );
        let causes = e.details.map(|d| d.causes).unwrap_or_default();
        assert_eq!(causes.first().map(|c| c.reason.as_str()), Some("UnexpectedServerResponse"), "{causes:?}");
    }

    #[tokio::test]
    async fn injected_failures_then_recovery() {
        let sim = kube_sim::start().await.expect("start kube-sim");
        let cms: Api<ConfigMap> = Api::namespaced(sim.client().await.expect("client"), "default");
        // 500: kube-rs retries 429/503/504 by itself, which would hide the fault.
        sim.fail_next(2, 500);
        for _ in 0..2 {
            let err = cms.list(&ListParams::default()).await.expect_err("injected");
            assert!(matches!(err, kube::Error::Api(ref e) if e.code == 500), "{err:?}");
        }
        cms.list(&ListParams::default()).await.expect("recovered");
    }

    #[tokio::test]
    async fn watch_initial_events_bookmark_and_timeout() {
        let sim = kube_sim::start().await.expect("start kube-sim");
        let cms: Api<ConfigMap> = Api::namespaced(sim.client().await.expect("client"), "default");
        cms.create(&PostParams::default(), &cm("existing")).await.expect("create");
        // Streaming list: initial ADDED events, then a bookmark marking their end.
        let config = watcher::Config::default().streaming_lists();
        let mut stream = std::pin::pin!(watcher(cms.clone(), config));
        let mut saw_existing = false;
        let init_done = tokio::time::timeout(WAIT, async {
            while let Some(event) = stream.next().await {
                match event.expect("watch event") {
                    watcher::Event::InitApply(c) => saw_existing |= c.metadata.name.as_deref() == Some("existing"),
                    watcher::Event::InitDone => return true,
                    _ => {}
                }
            }
            false
        })
        .await
        .expect("initial events in time");
        assert!(init_done && saw_existing);
        // A raw watch with timeoutSeconds ends by itself.
        let params = kube::api::WatchParams::default().timeout(1);
        let raw = cms.watch(&params, "0").await.expect("watch");
        let events: Vec<_> = tokio::time::timeout(WAIT, raw.collect::<Vec<_>>()).await.expect("watch ended by timeout");
        assert!(!events.is_empty(), "initial ADDED event delivered");
    }
}

/// Concurrent spec and status writes never lose each other (the server's read-modify-write is
/// atomic, as the API server's GuaranteedUpdate is).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_spec_and_status_writes_are_not_lost() {
    let sim = kube_sim::start().await.expect("start kube-sim");
    let client = sim.client().await.expect("client");
    install_widgets(&client).await;
    let api = widgets(&client, "default");
    api.create(&PostParams::default(), &widget("race", json!({"size": 1}))).await.expect("create");
    let status_api = api.clone();
    let status_writer = tokio::spawn(async move {
        for i in 0..200 {
            let status = json!({"apiVersion": "test.dev/v1", "kind": "Widget", "status": {"phase": format!("p{i}")}});
            status_api
                .patch_status("race", &PatchParams::apply("ctl").force(), &Patch::Apply(&status))
                .await
                .expect("status");
        }
    });
    // Every size the schema accepts (1..=10, and the test CRD's CEL rule refuses 7).
    for size in [2, 3, 4, 5, 6, 8, 9, 10] {
        let spec = Patch::Merge(json!({"spec": {"size": size}}));
        api.patch("race", &PatchParams::default(), &spec).await.expect("spec");
    }
    status_writer.await.expect("join");
    let last = api.get("race").await.expect("get");
    assert_eq!(last.data["spec"]["size"], 10, "spec write lost");
    assert_eq!(last.data["status"]["phase"], "p199", "status write lost");
    assert_eq!(last.metadata.generation, Some(9));
}
