//! The resource verbs: get, list, create, update, patch (incl. server-side apply), delete and
//! deletecollection, with admission for custom resources, finalizers, the status subresource
//! split, optimistic concurrency and dry-run.

use std::sync::Arc;

use serde_json::{Value, json};

use super::objects::{self, ManagedEntry};
use super::patch::{self, PatchKind};
use super::registry::{ResourceDef, crd_established_status};
use super::routes::{Query, ResourcePath};
use super::selectors::{FieldSelector, LabelSelector};
use super::status::{ApiError, success_status};
use super::store::{EventType, ObjectKey, ResourceId};
use super::{State, clock, protobuf, table};

/// A parsed request for a resource.
pub struct ResourceRequest {
    pub path: ResourcePath,
    pub query: Query,
    pub content_type: String,
    pub accept: String,
    pub user_agent: String,
    pub body: Vec<u8>,
}

/// A successful JSON answer, with optional `Warning` headers.
pub struct Reply {
    pub code: u16,
    pub body: Value,
    pub warnings: Vec<String>,
}

impl Reply {
    fn ok(body: Value) -> Self {
        Self { code: 200, body, warnings: Vec::new() }
    }
}

type Result<T> = std::result::Result<T, ApiError>;

/// Resolves the resource definition and checks the namespace scoping of the path.
pub fn resolve(state: &State, path: &ResourcePath) -> Result<Arc<ResourceDef>> {
    let def = state
        .registry()
        .lookup(&path.group, &path.version, &path.plural)
        .ok_or_else(|| ApiError::resource_not_found(&path.plural))?;
    if path.namespace.is_some() && !def.namespaced {
        return Err(ApiError::resource_not_found(&path.plural));
    }
    Ok(def)
}

fn key(def: &ResourceDef, path: &ResourcePath, name: &str) -> ObjectKey {
    let ns = if def.namespaced { path.namespace.clone().unwrap_or_default() } else { String::new() };
    (ns, name.to_owned())
}

/// The object as served at the requested version.
fn versioned(def: &ResourceDef, version: &str, mut object: Value) -> Value {
    if let Some(m) = object.as_object_mut() {
        m.insert("apiVersion".into(), json!(def.api_version(version)));
        m.insert("kind".into(), json!(def.kind));
    }
    object
}

fn parse_body(body: &[u8], content_type: &str) -> Result<Value> {
    if body.is_empty() {
        return Err(ApiError::bad_request("the request body is empty"));
    }
    if protobuf::is_protobuf(content_type) {
        return protobuf::decode(body).map_err(|e| ApiError::unsupported_media_type(&format!("{content_type} ({e})")));
    }
    serde_json::from_slice(body)
        .or_else(|_| serde_yaml::from_slice::<Value>(body))
        .map_err(|e| ApiError::bad_request(format!("the object provided is unrecognized: {e}")))
        .and_then(|v| if v.is_object() { Ok(v) } else { Err(ApiError::bad_request("the body must be a JSON object")) })
}

fn dry_run(query: &Query) -> bool {
    query.get("dryRun") == Some("All")
}

// ---- read ---------------------------------------------------------------------------------------

pub fn get(state: &State, def: &ResourceDef, req: &ResourceRequest, name: &str) -> Result<Reply> {
    let store = state.store();
    let object = store
        .get(&def.id(), &key(def, &req.path, name))
        .cloned()
        .ok_or_else(|| ApiError::not_found(&def.group, &def.plural, name))?;
    let object = versioned(def, &req.path.version, object);
    if table::wants_table(&req.accept) {
        return Ok(Reply::ok(table::table(def, &[object], store.current_version(), clock::now_secs())));
    }
    Ok(Reply::ok(object))
}

pub fn list(state: &State, def: &ResourceDef, req: &ResourceRequest) -> Result<Reply> {
    let labels =
        LabelSelector::parse(req.query.get("labelSelector").unwrap_or_default()).map_err(ApiError::bad_request)?;
    let fields =
        FieldSelector::parse(req.query.get("fieldSelector").unwrap_or_default()).map_err(ApiError::bad_request)?;
    let limit = req.query.number("limit").filter(|l| *l > 0).map(|l| l as usize);
    let store = state.store();
    let (snapshot_rv, after) = match req.query.get("continue") {
        Some(token) => {
            let (rv, after) = decode_continue(token).ok_or_else(|| ApiError::bad_request("invalid continue token"))?;
            if rv < store.oldest_resumable() {
                return Err(ApiError::gone(
                    "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.",
                ));
            }
            (rv, Some(after))
        }
        None => (store.current_version(), None),
    };
    let mut items = Vec::new();
    let mut next = None;
    for object in store.list(&def.id(), req.path.namespace.as_deref()) {
        let id = format!(
            "{}/{}",
            object.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or(""),
            objects::name(object)
        );
        if after.as_ref().is_some_and(|a| id.as_str() <= a.as_str()) {
            continue;
        }
        if !labels.matches(object) || !fields.matches(object) {
            continue;
        }
        if limit.is_some_and(|l| items.len() >= l) {
            next = items.last().map(|last: &Value| {
                format!(
                    "{}/{}",
                    last.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or(""),
                    objects::name(last)
                )
            });
            break;
        }
        items.push(versioned(def, &req.path.version, object.clone()));
    }
    if table::wants_table(&req.accept) {
        return Ok(Reply::ok(table::table(def, &items, snapshot_rv, clock::now_secs())));
    }
    let mut metadata = json!({"resourceVersion": snapshot_rv.to_string()});
    if let Some(after) = next {
        metadata["continue"] = json!(encode_continue(snapshot_rv, &after));
    }
    Ok(Reply::ok(json!({
        "kind": format!("{}List", def.kind),
        "apiVersion": def.api_version(&req.path.version),
        "metadata": metadata,
        "items": items,
    })))
}

fn encode_continue(rv: u64, after: &str) -> String {
    let mut out = format!("{rv:x}.");
    for b in after.bytes() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

fn decode_continue(token: &str) -> Option<(u64, String)> {
    let (rv, hex) = token.split_once('.')?;
    let rv = u64::from_str_radix(rv, 16).ok()?;
    let bytes: Option<Vec<u8>> =
        (0..hex.len()).step_by(2).map(|i| hex.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok())).collect();
    Some((rv, String::from_utf8(bytes?).ok()?))
}

// ---- create -------------------------------------------------------------------------------------

pub fn create(state: &State, def: &ResourceDef, req: &ResourceRequest) -> Result<Reply> {
    let mut object = parse_body(&req.body, &req.content_type)?;
    check_kind(def, &object)?;
    let name = match objects::name(&object) {
        "" => match object.pointer("/metadata/generateName").and_then(Value::as_str) {
            Some(prefix) => {
                let name = format!("{prefix}{}", &clock::new_uid()[..5]);
                objects::metadata_mut(&mut object).insert("name".into(), json!(name));
                name
            }
            None => {
                return Err(invalid(
                    def,
                    "",
                    vec![("metadata.name", "Required value: name or generateName is required")],
                ));
            }
        },
        n => n.to_owned(),
    };
    let body_namespace = object.pointer("/metadata/namespace").and_then(Value::as_str).filter(|ns| !ns.is_empty());
    if let (true, Some(ns)) = (def.namespaced, body_namespace)
        && req.path.namespace.as_deref().is_some_and(|p| p != ns)
    {
        return Err(ApiError::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        ));
    }
    if def.namespaced && req.path.namespace.is_none() {
        return Err(ApiError::resource_not_found(&def.plural));
    }
    let manager = objects::manager_from(req.query.get("fieldManager"), &req.user_agent);
    let mut store = state.store();
    if let Some(ns) = req.path.namespace.as_deref().filter(|_| def.namespaced) {
        match store.get(&ResourceId::new("", "namespaces"), &(String::new(), ns.to_owned())) {
            None => return Err(ApiError::not_found("", "namespaces", ns)),
            Some(n) if objects::is_deleting(n) => {
                return Err(ApiError::forbidden(format!(
                    "{} \"{name}\" is forbidden: unable to create new content in namespace {ns} because it is being terminated",
                    def.plural
                )));
            }
            Some(_) => {}
        }
    }
    let key = key(def, &req.path, &name);
    if store.get(&def.id(), &key).is_some() {
        return Err(ApiError::already_exists(&def.group, &def.plural, &name));
    }
    objects::init_new(def, &mut object, req.path.namespace.as_deref());
    if def.has_status && def.crd_name.is_some() {
        // Custom resources with a status subresource ignore status on create.
        if let Some(m) = object.as_object_mut() {
            m.remove("status");
        }
    }
    let warnings = admit(def, &req.path.version, &mut object, None, &req.query)?;
    special_on_write(state, def, &mut object, None)?;
    objects::record_update(&mut object, None, &manager, &def.api_version(&req.path.version), false);
    let object = versioned(def, &req.path.version, object);
    if dry_run(&req.query) {
        return Ok(Reply { code: 201, body: object, warnings });
    }
    let stored = store.put(&def.id(), key, object, EventType::Added);
    drop(store);
    after_write(state, def, &stored);
    Ok(Reply { code: 201, body: stored, warnings })
}

fn check_kind(def: &ResourceDef, object: &Value) -> Result<()> {
    match object.get("kind").and_then(Value::as_str) {
        Some(kind) if kind != def.kind => Err(ApiError::bad_request(format!(
            "the API version in the data ({}) does not match the expected API version ({})",
            object.get("apiVersion").and_then(Value::as_str).unwrap_or(""),
            def.api_version(def.versions.first().map(String::as_str).unwrap_or("v1"))
        ))),
        _ => Ok(()),
    }
}

fn invalid(def: &ResourceDef, name: &str, errors: Vec<(&str, &str)>) -> ApiError {
    let parts: Vec<String> = errors.iter().map(|(f, m)| format!("{f}: {m}")).collect();
    let causes: Vec<Value> =
        errors.iter().map(|(f, m)| json!({"field": f, "message": m, "reason": "FieldValueInvalid"})).collect();
    let joined = if parts.len() == 1 { parts.join("") } else { format!("[{}]", parts.join(", ")) };
    ApiError::invalid(
        &def.group_kind(),
        name,
        format!("{} \"{name}\" is invalid: {joined}", def.group_kind()),
        json!(causes),
    )
}

/// Schema admission for custom resources: prune, default, validate (OpenAPI + CEL).
fn admit(
    def: &ResourceDef,
    version: &str,
    object: &mut Value,
    old: Option<&Value>,
    query: &Query,
) -> Result<Vec<String>> {
    let Some(schema) = def.schemas.get(version) else { return Ok(Vec::new()) };
    let report = match schema.admit_with_report(object, old) {
        Ok(report) => report,
        Err(errors) => {
            let name = objects::name(object).to_owned();
            return Err(ApiError::from_field_errors(&def.group, &def.kind, &name, &errors));
        }
    };
    let unknown: Vec<String> = report.unknown_fields.iter().map(|f| format!("unknown field \"{f}\"")).collect();
    match query.get("fieldValidation") {
        Some("Strict") if !unknown.is_empty() => {
            Err(ApiError::bad_request(format!("strict decoding error: {}", unknown.join(", "))))
        }
        Some("Ignore") => Ok(Vec::new()),
        _ => Ok(unknown),
    }
}

/// Side effects of writing certain built-in kinds.
fn special_on_write(state: &State, def: &ResourceDef, object: &mut Value, old: Option<&Value>) -> Result<()> {
    match (def.group.as_str(), def.plural.as_str()) {
        ("apiextensions.k8s.io", "customresourcedefinitions") => {
            let served = super::registry::ResourceDef::from_crd(object)
                .map_err(|e| invalid(def, objects::name(object), vec![(e.as_str(), "Invalid value")]))?;
            let now = clock::now_rfc3339();
            let status = crd_established_status(object, &now);
            if let Some(m) = object.as_object_mut() {
                m.insert("status".into(), status);
            }
            if old.is_none() || old.is_some_and(|o| o.get("spec") != object.get("spec")) {
                state.registry_mut().insert(served);
            }
        }
        ("", "namespaces") if object.pointer("/status/phase").is_none() => {
            object["status"] = json!({"phase": "Active"});
        }
        _ => {}
    }
    Ok(())
}

/// Work that follows a stored write: events.k8s.io Events also appear as core v1 Events, as
/// they do on a real API server (one storage, two APIs), so `kubectl describe` shows what
/// controllers publish through the new API.
fn after_write(state: &State, def: &ResourceDef, object: &Value) {
    if def.group == "events.k8s.io" && def.plural == "events" {
        let core = super::events::to_core(object);
        let key = (
            object.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or("").to_owned(),
            objects::name(object).to_owned(),
        );
        let id = ResourceId::new("", "events");
        let kind = if state.store().get(&id, &key).is_some() { EventType::Modified } else { EventType::Added };
        state.store().put(&id, key, core, kind);
    }
}

// ---- update / patch -----------------------------------------------------------------------------

/// Retries a read-modify-write whose object changed underneath it. Bounded: a hot object that
/// keeps moving gets a 409 after a few rounds.
fn retry_on_stale(mut attempt: impl FnMut() -> Result<Reply>) -> Result<Reply> {
    for _ in 0..15 {
        match attempt() {
            Err(e) if e.stale => continue,
            other => return other,
        }
    }
    attempt()
}

pub fn update(state: &State, def: &ResourceDef, req: &ResourceRequest, name: &str) -> Result<Reply> {
    retry_on_stale(|| update_once(state, def, req, name))
}

pub fn patch(state: &State, def: &ResourceDef, req: &ResourceRequest, name: &str) -> Result<Reply> {
    retry_on_stale(|| patch_once(state, def, req, name))
}

fn update_once(state: &State, def: &ResourceDef, req: &ResourceRequest, name: &str) -> Result<Reply> {
    let body = parse_body(&req.body, &req.content_type)?;
    check_kind(def, &body)?;
    if !objects::name(&body).is_empty() && objects::name(&body) != name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({}) does not match the name on the URL ({name})",
            objects::name(&body)
        )));
    }
    let store = state.store();
    let existing = store
        .get(&def.id(), &key(def, &req.path, name))
        .cloned()
        .ok_or_else(|| ApiError::not_found(&def.group, &def.plural, name))?;
    drop(store);
    if let Some(rv) = body.pointer("/metadata/resourceVersion").and_then(Value::as_str).filter(|rv| !rv.is_empty())
        && existing.pointer("/metadata/resourceVersion").and_then(Value::as_str) != Some(rv)
    {
        return Err(ApiError::conflict(
            &def.group,
            &def.plural,
            name,
            "the object has been modified; please apply your changes to the latest version and try again",
        ));
    }
    let manager = objects::manager_from(req.query.get("fieldManager"), &req.user_agent);
    write_existing(state, def, req, name, existing, body, Ownership::Update(&manager))
}

fn patch_once(state: &State, def: &ResourceDef, req: &ResourceRequest, name: &str) -> Result<Reply> {
    let kind = PatchKind::from_content_type(&req.content_type)
        .ok_or_else(|| ApiError::unsupported_media_type(&req.content_type))?;
    let patch_body = parse_body(&req.body, &req.content_type).or_else(|e| {
        // JSON patches are arrays.
        serde_json::from_slice::<Value>(&req.body).map_err(|_| e)
    })?;
    let existing = state.store().get(&def.id(), &key(def, &req.path, name)).cloned();
    if kind == PatchKind::Apply {
        let manager = req
            .query
            .get("fieldManager")
            .ok_or_else(|| ApiError::bad_request("PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch"))?
            .to_owned();
        return apply(state, def, req, name, existing, patch_body, &manager);
    }
    let existing = existing.ok_or_else(|| ApiError::not_found(&def.group, &def.plural, name))?;
    let mut patched = existing.clone();
    match kind {
        PatchKind::Merge => patch::merge_patch(&mut patched, &patch_body),
        PatchKind::Json => patch::json_patch(&mut patched, &patch_body).map_err(ApiError::patch_not_applied)?,
        PatchKind::Strategic => patch::strategic_merge_patch(&mut patched, &patch_body),
        PatchKind::Apply => {}
    }
    if let Some(rv) = patch_body.pointer("/metadata/resourceVersion").and_then(Value::as_str)
        && existing.pointer("/metadata/resourceVersion").and_then(Value::as_str) != Some(rv)
    {
        return Err(ApiError::conflict(
            &def.group,
            &def.plural,
            name,
            "the object has been modified; please apply your changes to the latest version and try again",
        ));
    }
    let manager = objects::manager_from(req.query.get("fieldManager"), &req.user_agent);
    write_existing(state, def, req, name, existing, patched, Ownership::Update(&manager))
}

/// Server-side apply: ownership, conflicts, removal of fields the manager no longer applies.
fn apply(
    state: &State,
    def: &ResourceDef,
    req: &ResourceRequest,
    name: &str,
    existing: Option<Value>,
    applied: Value,
    manager: &str,
) -> Result<Reply> {
    check_kind(def, &applied)?;
    let status_only = req.path.subresource.as_deref() == Some("status");
    let subresource = if status_only { "status" } else { "" };
    let api_version = def.api_version(&req.path.version);
    let applied_view = objects::managed_view(&applied, status_only);
    let applied_fields = patch::field_set(&applied_view);
    let Some(existing) = existing else {
        if status_only {
            return Err(ApiError::not_found(&def.group, &def.plural, name));
        }
        let mut object = applied.clone();
        objects::metadata_mut(&mut object).insert("name".into(), json!(name));
        let create_req = ResourceRequest {
            path: req.path.clone(),
            query: req.query.clone(),
            content_type: "application/json".into(),
            accept: req.accept.clone(),
            user_agent: req.user_agent.clone(),
            body: serde_json::to_vec(&object).unwrap_or_default(),
        };
        let mut reply = create(state, def, &create_req)?;
        // Ownership of a created object goes to the applier, as an Apply entry.
        let entry = ManagedEntry {
            manager: manager.to_owned(),
            operation: "Apply".into(),
            subresource: String::new(),
            api_version,
            fields: applied_fields,
        };
        objects::set_managed_entries(&mut reply.body, &[entry]);
        if !dry_run(&req.query) {
            let mut store = state.store();
            reply.body = store.put(&def.id(), key(def, &req.path, name), reply.body, EventType::Modified);
        }
        return Ok(reply);
    };
    let force = req.query.flag("force");
    let mut entries = objects::managed_entries(&existing);
    let mut conflicts = Vec::new();
    for entry in
        entries.iter().filter(|e| !(e.manager == manager && e.operation == "Apply") && e.subresource == subresource)
    {
        for path in entry.fields.intersection(&applied_fields) {
            if path.last().is_some_and(|s| s == ".") {
                continue;
            }
            if patch::value_at(&existing, path) != patch::value_at(&applied_view, path) {
                conflicts.push((entry.manager.clone(), path.clone()));
            }
        }
    }
    if !conflicts.is_empty() && !force {
        return Err(ApiError::apply_conflict(
            conflicts.into_iter().map(|(m, p)| (m, patch::display_path(&p))).collect(),
        ));
    }
    let mut result = existing.clone();
    let previous: Vec<Vec<String>> = entries
        .iter()
        .find(|e| e.manager == manager && e.operation == "Apply" && e.subresource == subresource)
        .map(|e| e.fields.difference(&applied_fields).cloned().collect())
        .unwrap_or_default();
    let unowned =
        previous.iter().filter(|path| !entries.iter().any(|e| e.manager != manager && e.fields.contains(*path)));
    patch::remove_fields(&mut result, unowned);
    patch::apply_merge(&mut result, &applied_view);
    // Forced conflicts move ownership to the applier.
    for (owner, path) in &conflicts {
        for e in entries.iter_mut().filter(|e| &e.manager == owner) {
            e.fields.remove(path);
        }
    }
    match entries.iter_mut().find(|e| e.manager == manager && e.operation == "Apply" && e.subresource == subresource) {
        Some(e) => e.fields = applied_fields,
        None => entries.push(ManagedEntry {
            manager: manager.to_owned(),
            operation: "Apply".into(),
            subresource: subresource.into(),
            api_version,
            fields: applied_fields,
        }),
    }
    objects::set_managed_entries(&mut result, &entries);
    write_existing(state, def, req, name, existing, result, Ownership::Applied)
}

/// Who owns the fields a write changes.
enum Ownership<'a> {
    /// A non-apply write by this manager: it takes the fields it changed.
    Update(&'a str),
    /// Server-side apply already recorded managedFields on the new object.
    Applied,
}

/// Common tail of update, patch and apply: subresource split, server metadata, admission,
/// finalizer-driven removal, no-op detection, store.
fn write_existing(
    state: &State,
    def: &ResourceDef,
    req: &ResourceRequest,
    name: &str,
    existing: Value,
    mut new: Value,
    ownership: Ownership<'_>,
) -> Result<Reply> {
    let status_only = req.path.subresource.as_deref() == Some("status");
    if status_only {
        let mut merged = existing.clone();
        objects::copy_status(&new, &mut merged);
        if let Some(mf) = new.pointer("/metadata/managedFields").cloned() {
            objects::metadata_mut(&mut merged).insert("managedFields".into(), mf);
        }
        new = merged;
    } else if def.has_status {
        objects::copy_status(&existing, &mut new);
    }
    let managed = new.pointer("/metadata/managedFields").cloned();
    objects::carry_over(def, &existing, &mut new);
    match ownership {
        Ownership::Applied => {
            if let Some(mf) = managed {
                objects::metadata_mut(&mut new).insert("managedFields".into(), mf);
            }
        }
        Ownership::Update(manager) => {
            let api_version = def.api_version(&req.path.version);
            objects::record_update(&mut new, Some(&existing), manager, &api_version, status_only);
        }
    }
    if objects::is_deleting(&existing) {
        // New finalizers cannot be added once deletion has started.
        let before = objects::finalizers(&existing);
        if objects::finalizers(&new).iter().any(|f| !before.contains(f)) {
            return Err(invalid(
                def,
                name,
                vec![(
                    "metadata.finalizers",
                    "Forbidden: no new finalizers can be added if the object is being deleted",
                )],
            ));
        }
    }
    let warnings = admit(def, &req.path.version, &mut new, Some(&existing), &req.query)?;
    special_on_write(state, def, &mut new, Some(&existing))?;
    let new = versioned(def, &req.path.version, new);
    if objects::same_content(&existing, &new) {
        return Ok(Reply { code: 200, body: versioned(def, &req.path.version, existing), warnings });
    }
    if dry_run(&req.query) {
        return Ok(Reply { code: 200, body: new, warnings });
    }
    let key = key(def, &req.path, name);
    let mut store = state.store();
    let version = |o: &Value| o.pointer("/metadata/resourceVersion").cloned();
    if store.get(&def.id(), &key).map(version) != Some(version(&existing)) {
        return Err(ApiError::stale(&def.group, &def.plural, name));
    }
    if objects::is_deleting(&new) && objects::finalizers(&new).is_empty() {
        let removed = store.put(&def.id(), key.clone(), new, EventType::Modified);
        store.remove(&def.id(), &key);
        drop(store);
        state.after_removal(def, &removed);
        return Ok(Reply { code: 200, body: removed, warnings });
    }
    let stored = store.put(&def.id(), key, new, EventType::Modified);
    drop(store);
    after_write(state, def, &stored);
    Ok(Reply { code: 200, body: stored, warnings })
}

// ---- delete -------------------------------------------------------------------------------------

pub fn delete(state: &State, def: &ResourceDef, req: &ResourceRequest, name: &str) -> Result<Reply> {
    let key = key(def, &req.path, name);
    let existing = state
        .store()
        .get(&def.id(), &key)
        .cloned()
        .ok_or_else(|| ApiError::not_found(&def.group, &def.plural, name))?;
    if dry_run(&req.query) {
        return Ok(Reply::ok(existing));
    }
    delete_object(state, def, key)
        .map(|body| Reply::ok(body.unwrap_or_else(|| success_status(&def.group, &def.plural, name))))
}

/// Deletes or, with finalizers, marks for deletion. Returns the object as it now is. The
/// decision is made on the object as stored at that moment, under the store lock, so a
/// concurrent finalizer removal is never overwritten.
pub fn delete_object(state: &State, def: &ResourceDef, key: ObjectKey) -> Result<Option<Value>> {
    let is_namespace = def.group.is_empty() && def.plural == "namespaces";
    let mut store = state.store();
    let Some(current) = store.get(&def.id(), &key).cloned() else { return Ok(None) };
    if objects::finalizers(&current).is_empty() && !is_namespace {
        let removed = store.remove(&def.id(), &key);
        drop(store);
        if let Some(removed) = &removed {
            state.after_removal(def, removed);
        }
        return Ok(removed);
    }
    if objects::is_deleting(&current) {
        return Ok(Some(current));
    }
    let mut marked = current;
    let meta = objects::metadata_mut(&mut marked);
    meta.insert("deletionTimestamp".into(), json!(clock::now_rfc3339()));
    meta.insert("deletionGracePeriodSeconds".into(), json!(0));
    if is_namespace {
        marked["status"] = json!({"phase": "Terminating"});
    }
    let stored = store.put(&def.id(), key.clone(), marked, EventType::Modified);
    drop(store);
    if is_namespace {
        state.empty_namespace(&key.1);
        return Ok(state.store().get(&def.id(), &key).cloned().or(Some(stored)));
    }
    Ok(Some(stored))
}

pub fn delete_collection(state: &State, def: &ResourceDef, req: &ResourceRequest) -> Result<Reply> {
    let labels =
        LabelSelector::parse(req.query.get("labelSelector").unwrap_or_default()).map_err(ApiError::bad_request)?;
    let fields =
        FieldSelector::parse(req.query.get("fieldSelector").unwrap_or_default()).map_err(ApiError::bad_request)?;
    let targets: Vec<ObjectKey> = state
        .store()
        .list(&def.id(), req.path.namespace.as_deref())
        .filter(|o| labels.matches(o) && fields.matches(o))
        .map(|o| {
            let ns = o.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or("").to_owned();
            (ns, objects::name(o).to_owned())
        })
        .collect();
    let mut items = Vec::new();
    if !dry_run(&req.query) {
        for key in targets {
            if let Some(o) = delete_object(state, def, key)? {
                items.push(o);
            }
        }
    }
    Ok(Reply::ok(
        json!({"kind": format!("{}List", def.kind), "apiVersion": def.api_version(&req.path.version), "metadata": {}, "items": items}),
    ))
}
