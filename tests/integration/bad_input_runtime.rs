//! The bad inputs admission cannot see (tests/bad-input/runtime/): each is accepted by kube-sim
//! running the CRD's schema and CEL, then ends as Synced=False/Terminal with a message naming
//! the field (every `# expect:` text), and no AWS write is ever made.

use std::path::Path;

use crate::support::{Bed, NS};
use ecs_operator::crd::common::CommonStatus;
use ecs_operator::crd::{CapacityProvider, TaskDefinition};
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
        let (_, reason, message) = match kind.as_str() {
            "TaskDefinition" => {
                bed.apply::<TaskDefinition>(&text).await;
                let api: Api<TaskDefinition> = Api::namespaced(bed.client.clone(), NS);
                bed.eventually(&format!("{} Synced=False", path.display()), || async {
                    let obj = api.get(&name).await.ok()?;
                    synced(obj.status.as_ref().map(|s| &s.common)).filter(|c| c.0 == "False")
                })
                .await
            }
            "CapacityProvider" => {
                bed.apply::<CapacityProvider>(&text).await;
                let api: Api<CapacityProvider> = Api::namespaced(bed.client.clone(), NS);
                bed.eventually(&format!("{} Synced=False", path.display()), || async {
                    let obj = api.get(&name).await.ok()?;
                    synced(obj.status.as_ref().map(|s| &s.common)).filter(|c| c.0 == "False")
                })
                .await
            }
            other => panic!("{}: add {other} to this test", path.display()),
        };
        assert_eq!(reason, "Terminal", "{}: {message}", path.display());
        for expect in &expects {
            assert!(message.contains(expect), "{}: {expect:?} not in {message:?}", path.display());
        }
    }
    let writes = bed.writes_made();
    assert!(writes.is_empty(), "bad input reached AWS: {writes:?}");
}
