//! The in-memory object store: objects by resource and key, one global resourceVersion,
//! a bounded history of changes for watch resume, and a broadcast channel for live watchers.
//!
//! Writers never wait for watchers: the broadcast channel drops the oldest events for a slow
//! receiver, and the watch handler then ends that watch so the client relists, as the real
//! API server does with watchers that cannot keep up.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use serde_json::Value;
use tokio::sync::broadcast;

/// Which resource an object belongs to: (group, plural). The core group is "".
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourceId {
    pub group: String,
    pub plural: String,
}

impl ResourceId {
    pub fn new(group: &str, plural: &str) -> Self {
        Self { group: group.to_owned(), plural: plural.to_owned() }
    }
}

/// (namespace, name); namespace is "" for cluster-scoped objects.
pub type ObjectKey = (String, String);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Added => "ADDED",
            Self::Modified => "MODIFIED",
            Self::Deleted => "DELETED",
        }
    }
}

/// One change, as watchers see it.
#[derive(Clone, Debug)]
pub struct Change {
    pub resource_version: u64,
    pub resource: ResourceId,
    pub namespace: String,
    pub kind: EventType,
    pub object: Arc<Value>,
}

/// Objects plus history. Guarded by one mutex in [`super::State`]; every operation is short.
pub struct Store {
    objects: BTreeMap<ResourceId, BTreeMap<ObjectKey, Value>>,
    resource_version: u64,
    history: VecDeque<Change>,
    history_limit: usize,
    /// Oldest resourceVersion a watch may resume from; older → 410 Gone.
    compacted_to: u64,
    events: broadcast::Sender<Change>,
}

impl Store {
    pub fn new(history_limit: usize) -> Self {
        let (events, _) = broadcast::channel(4096);
        Self {
            objects: BTreeMap::new(),
            resource_version: 1,
            history: VecDeque::new(),
            history_limit,
            compacted_to: 1,
            events,
        }
    }

    pub fn current_version(&self) -> u64 {
        self.resource_version
    }

    pub fn oldest_resumable(&self) -> u64 {
        self.compacted_to
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.events.subscribe()
    }

    pub fn set_history_limit(&mut self, limit: usize) {
        self.history_limit = limit;
        self.trim_history();
    }

    /// Forget all history: every resume from an older version now gets 410 Gone.
    pub fn compact(&mut self) {
        self.history.clear();
        self.compacted_to = self.resource_version;
    }

    pub fn get(&self, resource: &ResourceId, key: &ObjectKey) -> Option<&Value> {
        self.objects.get(resource).and_then(|objects| objects.get(key))
    }

    /// Objects of a resource, in key order, optionally in one namespace.
    pub fn list<'a>(
        &'a self,
        resource: &ResourceId,
        namespace: Option<&'a str>,
    ) -> impl Iterator<Item = &'a Value> + 'a {
        self.objects
            .get(resource)
            .into_iter()
            .flat_map(|objects| objects.iter())
            .filter(move |((ns, _), _)| namespace.is_none_or(|want| want == ns))
            .map(|(_, object)| object)
    }

    pub fn count(&self, resource: &ResourceId) -> usize {
        self.objects.get(resource).map_or(0, BTreeMap::len)
    }

    /// Stores `object` with a fresh resourceVersion and tells watchers. Returns the version.
    pub fn put(&mut self, resource: &ResourceId, key: ObjectKey, mut object: Value, kind: EventType) -> Value {
        self.resource_version += 1;
        let rv = self.resource_version;
        if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.insert("resourceVersion".into(), Value::String(rv.to_string()));
        }
        let namespace = key.0.clone();
        self.objects.entry(resource.clone()).or_default().insert(key, object.clone());
        self.record(resource, namespace, kind, object.clone());
        object
    }

    /// Removes an object; watchers see it with a fresh resourceVersion.
    pub fn remove(&mut self, resource: &ResourceId, key: &ObjectKey) -> Option<Value> {
        let mut object = self.objects.get_mut(resource)?.remove(key)?;
        self.resource_version += 1;
        if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.insert("resourceVersion".into(), Value::String(self.resource_version.to_string()));
        }
        self.record(resource, key.0.clone(), EventType::Deleted, object.clone());
        Some(object)
    }

    /// Drops every object of a resource (its CRD was deleted).
    pub fn drop_resource(&mut self, resource: &ResourceId) {
        let keys: Vec<ObjectKey> = self.objects.get(resource).map(|o| o.keys().cloned().collect()).unwrap_or_default();
        for key in keys {
            self.remove(resource, &key);
        }
        self.objects.remove(resource);
    }

    /// Changes after `since` for a resource, or None when history no longer reaches back.
    pub fn changes_since(&self, resource: &ResourceId, namespace: Option<&str>, since: u64) -> Option<Vec<Change>> {
        if since < self.compacted_to {
            return None;
        }
        Some(
            self.history
                .iter()
                .filter(|c| c.resource_version > since && &c.resource == resource)
                .filter(|c| namespace.is_none_or(|ns| ns == c.namespace))
                .cloned()
                .collect(),
        )
    }

    fn record(&mut self, resource: &ResourceId, namespace: String, kind: EventType, object: Value) {
        let change = Change {
            resource_version: self.resource_version,
            resource: resource.clone(),
            namespace,
            kind,
            object: Arc::new(object),
        };
        self.history.push_back(change.clone());
        self.trim_history();
        // No receivers is fine: nobody is watching.
        let _ = self.events.send(change);
    }

    fn trim_history(&mut self) {
        while self.history.len() > self.history_limit {
            if let Some(old) = self.history.pop_front() {
                self.compacted_to = old.resource_version;
            }
        }
    }
}
