//! Reads the operator's results the way a user's tools would, without disturbing it: one watch
//! per kind (no polling lists), keeping only what the bench measures — Ready and the drifted
//! fields — per object.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use futures::StreamExt;
use kube::api::DynamicObject;
use kube::runtime::{WatchStreamExt, watcher};
use serde_json::Value;

use crate::objects::Kind;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observed {
    pub ready: bool,
    /// `status.drift[].field`.
    pub drift: Vec<String>,
}

#[derive(Default)]
struct State {
    objects: HashMap<(Kind, String), Observed>,
}

/// Watches every kind; the watch tasks stop when the tracker is dropped.
pub struct Tracker {
    state: Arc<Mutex<State>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Tracker {
    pub fn start(client: &kube::Client) -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let tasks = Kind::ALL
            .into_iter()
            .map(|kind| {
                let (api, state) = (kind.api(client), state.clone());
                tokio::spawn(async move {
                    let mut events = watcher(api, watcher::Config::default()).default_backoff().boxed();
                    while let Some(event) = events.next().await {
                        // Errors are retried by the backoff; nothing to record.
                        let Ok(event) = event else { continue };
                        let mut state = lock(&state);
                        match event {
                            watcher::Event::Apply(obj) | watcher::Event::InitApply(obj) => {
                                let name = obj.metadata.name.clone().unwrap_or_default();
                                state.objects.insert((kind, name), observe(&obj));
                            }
                            watcher::Event::Delete(obj) => {
                                state.objects.remove(&(kind, obj.metadata.name.clone().unwrap_or_default()));
                            }
                            watcher::Event::Init | watcher::Event::InitDone => {}
                        }
                    }
                })
            })
            .collect();
        Self { state, tasks }
    }

    /// Ready objects per kind.
    pub fn ready_counts(&self) -> HashMap<Kind, usize> {
        let mut counts = HashMap::new();
        for ((kind, _), o) in &lock(&self.state).objects {
            *counts.entry(*kind).or_default() += usize::from(o.ready);
        }
        counts
    }

    pub fn get(&self, kind: Kind, name: &str) -> Option<Observed> {
        lock(&self.state).objects.get(&(kind, name.to_owned())).cloned()
    }
}

impl Drop for Tracker {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A poisoned map only means a watch task panicked mid-update; the data is still usable.
    state.lock().unwrap_or_else(|e| e.into_inner())
}

fn observe(obj: &DynamicObject) -> Observed {
    let status = obj.data.get("status");
    let ready = status.and_then(|s| s.get("conditions")).and_then(Value::as_array).is_some_and(|cs| {
        cs.iter().any(|c| {
            c.get("type").and_then(Value::as_str) == Some("Ready")
                && c.get("status").and_then(Value::as_str) == Some("True")
        })
    });
    let drift = status
        .and_then(|s| s.get("drift"))
        .and_then(Value::as_array)
        .map(|d| d.iter().filter_map(|e| e.get("field").and_then(Value::as_str).map(str::to_owned)).collect())
        .unwrap_or_default();
    Observed { ready, drift }
}
