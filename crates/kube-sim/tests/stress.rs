//! 1,000 objects written while 20 watchers follow along: every watcher sees every object, no
//! request fails. Bounded: a fixed number of writes and a deadline.

use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, ObjectMeta, PostParams};
use kube::runtime::watcher;

const OBJECTS: usize = 1_000;
const WATCHERS: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_objects_twenty_watchers() {
    let sim = kube_sim::start().await.expect("start kube-sim");
    let client = sim.client().await.expect("client");
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let mut watchers = Vec::new();
    for _ in 0..WATCHERS {
        let stream = watcher(cms.clone(), watcher::Config::default());
        watchers.push(tokio::spawn(async move {
            let mut seen = std::collections::HashSet::new();
            let mut stream = std::pin::pin!(stream);
            while seen.len() < OBJECTS {
                match stream.next().await {
                    Some(Ok(watcher::Event::Apply(cm) | watcher::Event::InitApply(cm))) => {
                        seen.insert(cm.metadata.name.unwrap_or_default());
                    }
                    Some(_) => {}
                    None => break,
                }
            }
            seen.len()
        }));
    }
    let writes = futures::stream::iter(0..OBJECTS)
        .map(|i| {
            let cms = cms.clone();
            async move {
                let cm = ConfigMap {
                    metadata: ObjectMeta { name: Some(format!("cm-{i:04}")), ..Default::default() },
                    data: Some([("i".to_string(), i.to_string())].into()),
                    ..Default::default()
                };
                cms.create(&PostParams::default(), &cm).await
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>();
    let results = tokio::time::timeout(Duration::from_secs(120), writes).await.expect("writes finish in time");
    let failures = results.iter().filter(|r| r.is_err()).count();
    assert_eq!(failures, 0, "writes failed: {:?}", results.iter().find(|r| r.is_err()));
    for w in watchers {
        let seen =
            tokio::time::timeout(Duration::from_secs(120), w).await.expect("watcher done in time").expect("join");
        assert_eq!(seen, OBJECTS);
    }
    assert_eq!(cms.list(&Default::default()).await.expect("list").items.len(), OBJECTS);
}
