//! The bad inputs admission cannot see (tests/bad-input/runtime/): each is accepted by kube-sim
//! running the CRD's schema and CEL, then ends as Synced=False/Terminal with a message naming
//! the field (every `# expect:` text), and no AWS write is ever made.

use std::path::Path;

use crate::support::{Bed, NS};
use ecs_operator::crd::common::CommonStatus;
use ecs_operator::crd::{CapacityProvider, ECSExpressService, HasCommonStatus, ManagedObject, TaskDefinition};
use kube::api::Api;

fn synced(status: Option<&CommonStatus>) -> Option<(String, String, String)> {
    let c = status?.conditions.as_ref()?.iter().find(|c| c.type_ == "Synced")?.clone();
    Some((c.status, c.reason, c.message))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_runtime_bad_input_is_terminal_naming_the_field_with_no_aws_write() {
    let mut bed = Bed::start().await;
    bed.start_operator().await;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad-input/runtime");
    let mut files: Vec<_> = std::fs::read_dir(&dir).expect("corpus").flatten().map(|e| e.path()).collect();
    files.sort();
    assert!(files.len() >= 5, "corpus present: {files:?}");
    for path in &files {
        let text = std::fs::read_to_string(path).expect("readable");
        let expects: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("# expect: ")).collect();
        assert!(!expects.is_empty(), "{} has no `# expect:` line", path.display());
        let value: serde_json::Value = serde_yaml::from_str(&text).expect("YAML");
        let name = value.pointer("/metadata/name").and_then(|v| v.as_str()).expect("name").to_owned();
        let kind = value.get("kind").and_then(|v| v.as_str()).expect("kind").to_owned();
        // Admission (kube-sim) must accept it: apply panics otherwise.
        let what = path.display().to_string();
        let (_, reason, message) = match kind.as_str() {
            "TaskDefinition" => synced_false::<TaskDefinition>(&bed, &text, &name, &what).await,
            "CapacityProvider" => synced_false::<CapacityProvider>(&bed, &text, &name, &what).await,
            "ECSExpressService" => synced_false::<ECSExpressService>(&bed, &text, &name, &what).await,
            other => panic!("{what}: add {other} to this test"),
        };
        assert_eq!(reason, "Terminal", "{}: {message}", path.display());
        for expect in &expects {
            assert!(message.contains(expect), "{}: {expect:?} not in {message:?}", path.display());
        }
    }
    let writes = bed.writes_made();
    assert!(writes.is_empty(), "bad input reached AWS: {writes:?}");
}

/// Applies `text` (admission must accept it: apply panics otherwise) and waits for its
/// Synced=False condition.
async fn synced_false<K>(bed: &Bed, text: &str, name: &str, what: &str) -> (String, String, String)
where
    K: ManagedObject
        + kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + serde::Serialize
        + std::fmt::Debug,
{
    bed.apply::<K>(text).await;
    let api: Api<K> = Api::namespaced(bed.client.clone(), NS);
    bed.eventually(&format!("{what} Synced=False"), || async {
        let obj = api.get(name).await.ok()?;
        synced(obj.current_status().map(|s| s.common())).filter(|c| c.0 == "False")
    })
    .await
}
