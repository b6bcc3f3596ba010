//! Watches: initial events (legacy list-then-watch from "0"/"" or `sendInitialEvents`), resume
//! from a resourceVersion with 410 Gone past the history window, bookmarks, `timeoutSeconds`,
//! and forced termination (fault injection, slow watchers).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};

use super::State;
use super::registry::ResourceDef;
use super::routes::{Query, ResourcePath};
use super::selectors::{FieldSelector, LabelSelector};
use super::status::ApiError;
use super::store::Change;

/// Starts a watch; frames arrive on the returned channel until the watch ends.
pub fn start(
    state: Arc<State>,
    def: Arc<ResourceDef>,
    path: ResourcePath,
    query: &Query,
) -> Result<mpsc::Receiver<Bytes>, ApiError> {
    let labels = LabelSelector::parse(query.get("labelSelector").unwrap_or_default()).map_err(ApiError::bad_request)?;
    let mut fields =
        FieldSelector::parse(query.get("fieldSelector").unwrap_or_default()).map_err(ApiError::bad_request)?;
    if let Some(name) = path.name.clone() {
        // `/things/<name>?watch=true` is the deprecated form of a name field selector.
        fields = FieldSelector::parse(&format!("metadata.name={name}")).map_err(ApiError::bad_request)?;
    }
    let bookmarks = query.flag("allowWatchBookmarks");
    let send_initial = query.flag("sendInitialEvents");
    let timeout = query.number("timeoutSeconds").map(Duration::from_secs);
    let requested_rv = query.get("resourceVersion").map(str::to_owned);

    let (tx, rx) = mpsc::channel(256);
    let mut epoch = state.watch_epoch.subscribe();
    // Subscribe before taking the snapshot so no change falls between the two.
    let (mut live, initial, start_rv) = {
        let store = state.store();
        let live = store.subscribe();
        let namespace = path.namespace.as_deref();
        let current = store.current_version();
        let initial: Result<Vec<Value>, ()> = match requested_rv.as_deref() {
            _ if send_initial => Ok(store.list(&def.id(), namespace).map(|o| event("ADDED", o)).collect()),
            None | Some("0") => Ok(store.list(&def.id(), namespace).map(|o| event("ADDED", o)).collect()),
            Some(rv) => match rv.parse::<u64>().ok().and_then(|rv| store.changes_since(&def.id(), namespace, rv)) {
                Some(changes) => Ok(changes.iter().map(|c| event(c.kind.as_str(), &c.object)).collect()),
                None => Err(()),
            },
        };
        (live, initial, current)
    };
    let version = path.version.clone();
    tokio::spawn(async move {
        let deadline = timeout.map(|t| tokio::time::Instant::now() + t);
        let matches = |o: &Value| labels.matches(o) && fields.matches(o);
        let send = |tx: &mpsc::Sender<Bytes>, v: Value| {
            let mut line = serde_json::to_vec(&v).unwrap_or_default();
            line.push(b'\n');
            let tx = tx.clone();
            async move { tx.send(Bytes::from(line)).await.is_ok() }
        };
        let initial = match initial {
            Ok(events) => events,
            Err(()) => {
                let gone = ApiError::gone("too old resource version");
                let _ = send(&tx, json!({"type": "ERROR", "object": gone.body})).await;
                return;
            }
        };
        for e in initial {
            if e.get("object").is_some_and(&matches) && !send(&tx, versioned(&def, &version, e)).await {
                return;
            }
        }
        if send_initial {
            let mark = bookmark(&def, &version, start_rv, true);
            if !send(&tx, mark).await {
                return;
            }
        }
        let mut last_rv = start_rv;
        let mut tick = tokio::time::interval(state.bookmark_interval);
        tick.tick().await;
        loop {
            let sleep_until = deadline.unwrap_or_else(|| tokio::time::Instant::now() + Duration::from_secs(3600 * 24));
            tokio::select! {
                _ = tokio::time::sleep_until(sleep_until) => return,
                _ = epoch.changed() => return,
                _ = tick.tick(), if bookmarks => {
                    if !send(&tx, bookmark(&def, &version, last_rv, false)).await { return; }
                }
                change = live.recv() => match change {
                    Ok(change) => {
                        if change.resource_version <= start_rv {
                            continue;
                        }
                        // Bookmarks may advance past changes to other resources, never past an
                        // undelivered change to this one: the broadcast delivers in order.
                        last_rv = change.resource_version;
                        if !relevant(&change, &def, path.namespace.as_deref()) {
                            continue;
                        }
                        if matches(&change.object) {
                            let e = event(change.kind.as_str(), &change.object);
                            if !send(&tx, versioned(&def, &version, e)).await { return; }
                        }
                    }
                    // A watcher that fell behind is ended; the client relists.
                    Err(broadcast::error::RecvError::Lagged(_)) | Err(broadcast::error::RecvError::Closed) => return,
                },
            }
        }
    });
    Ok(rx)
}

fn relevant(change: &Change, def: &ResourceDef, namespace: Option<&str>) -> bool {
    change.resource == def.id() && namespace.is_none_or(|ns| ns == change.namespace)
}

fn event(kind: &str, object: &Value) -> Value {
    json!({"type": kind, "object": object})
}

fn versioned(def: &ResourceDef, version: &str, mut event: Value) -> Value {
    if let Some(o) = event.get_mut("object").and_then(Value::as_object_mut) {
        o.insert("apiVersion".into(), json!(def.api_version(version)));
    }
    event
}

fn bookmark(def: &ResourceDef, version: &str, rv: u64, initial_end: bool) -> Value {
    let mut metadata = json!({"resourceVersion": rv.to_string()});
    if initial_end {
        metadata["annotations"] = json!({"k8s.io/initial-events-end": "true"});
    }
    json!({"type": "BOOKMARK", "object": {"kind": def.kind, "apiVersion": def.api_version(version), "metadata": metadata}})
}
