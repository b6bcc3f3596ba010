//! OpenAPI documents: v3 per group-version (what `kubectl explain` reads and what kubectl's
//! field-validation probe looks for) and a JSON v2 document with the CRD schemas.
//!
//! kubectl decides between server-side and client-side validation by finding, in the v3
//! document of the object's group-version, a PATCH operation tagged with the object's
//! group-version-kind that accepts `fieldValidation`. Every served kind gets such a path.

use serde_json::{Map, Value, json};

use super::registry::{Registry, ResourceDef};

pub fn v3_index(registry: &Registry) -> Value {
    let mut paths = Map::new();
    let mut gvs: Vec<(String, String)> = vec![(String::new(), "v1".to_owned())];
    for (group, versions) in registry.groups() {
        for v in versions {
            gvs.push((group.clone(), v));
        }
    }
    for (group, version) in gvs {
        let key = gv_path(&group, &version);
        let hash = hash_of(&v3_document(registry, &group, &version));
        paths.insert(key.clone(), json!({"serverRelativeURL": format!("/openapi/v3/{key}?hash={hash}")}));
    }
    json!({"paths": paths})
}

fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() { format!("api/{version}") } else { format!("apis/{group}/{version}") }
}

/// A content hash so clients cache documents correctly across CRD changes.
fn hash_of(doc: &Value) -> String {
    let bytes = serde_json::to_vec(doc).unwrap_or_default();
    // FNV-1a: stable and tiny; this only needs to change when the document changes.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016X}")
}

pub fn v3_document(registry: &Registry, group: &str, version: &str) -> Value {
    let mut paths = Map::new();
    let mut schemas = Map::new();
    schemas.insert("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta".into(), object_meta_schema());
    for def in registry.in_group_version(group, version) {
        let gvk = json!({"group": def.group, "version": version, "kind": def.kind});
        let schema_name = schema_name(def, version);
        let schema_ref = json!({"$ref": format!("#/components/schemas/{schema_name}")});
        let object_path = object_path(def, version);
        paths.insert(object_path, object_operations(def, &gvk, &schema_ref));
        schemas.insert(schema_name, kind_schema(def, version, &gvk));
    }
    json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": super::discovery::GIT_VERSION},
        "paths": paths,
        "components": {"schemas": schemas},
    })
}

fn schema_name(def: &ResourceDef, version: &str) -> String {
    // Reverse-DNS group, as the API server names definitions: ecs.operator.dev → dev.operator.ecs.
    let group: Vec<&str> =
        if def.group.is_empty() { vec!["io", "k8s", "api", "core"] } else { def.group.rsplit('.').collect() };
    format!("{}.{version}.{}", group.join("."), def.kind)
}

fn object_path(def: &ResourceDef, version: &str) -> String {
    let base = if def.group.is_empty() { format!("/api/{version}") } else { format!("/apis/{}/{version}", def.group) };
    if def.namespaced {
        format!("{base}/namespaces/{{namespace}}/{}/{{name}}", def.plural)
    } else {
        format!("{base}/{}/{{name}}", def.plural)
    }
}

fn object_operations(def: &ResourceDef, gvk: &Value, schema_ref: &Value) -> Value {
    let query = |name: &str| json!({"name": name, "in": "query", "schema": {"type": "string", "uniqueItems": true}});
    let response = json!({"200": {"description": "OK", "content": {"application/json": {"schema": schema_ref}}}});
    let op = |action: &str, params: Vec<Value>| {
        json!({
            "operationId": format!("{action}{}", def.kind),
            "parameters": params,
            "responses": response,
            "x-kubernetes-action": action,
            "x-kubernetes-group-version-kind": gvk,
        })
    };
    let write_params = || vec![query("dryRun"), query("fieldManager"), query("fieldValidation")];
    let mut patch_params = write_params();
    patch_params.push(json!({"name": "force", "in": "query", "schema": {"type": "boolean", "uniqueItems": true}}));
    json!({
        "get": op("get", vec![]),
        "put": op("put", write_params()),
        "patch": op("patch", patch_params),
        "delete": op("delete", vec![query("dryRun"), query("propagationPolicy")]),
        "parameters": [
            {"name": "name", "in": "path", "required": true, "schema": {"type": "string", "uniqueItems": true}},
        ],
    })
}

fn kind_schema(def: &ResourceDef, version: &str, gvk: &Value) -> Value {
    let mut schema = def
        .raw_schemas
        .get(version)
        .cloned()
        .unwrap_or_else(|| json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true}));
    if let Some(obj) = schema.as_object_mut() {
        obj.insert("x-kubernetes-group-version-kind".into(), json!([gvk]));
        let props = obj.entry("properties").or_insert_with(|| json!({}));
        if let Some(props) = props.as_object_mut() {
            props.insert(
                "metadata".into(),
                json!({"description": "Standard object's metadata.", "allOf": [{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}]}),
            );
            props.entry("apiVersion").or_insert_with(|| json!({"type": "string", "description": "APIVersion defines the versioned schema of this representation of an object."}));
            props.entry("kind").or_insert_with(|| json!({"type": "string", "description": "Kind is a string value representing the REST resource this object represents."}));
        }
    }
    schema
}

fn object_meta_schema() -> Value {
    let string = |d: &str| json!({"type": "string", "description": d});
    let map = |d: &str| json!({"type": "object", "additionalProperties": {"type": "string", "default": ""}, "description": d});
    json!({
        "description": "ObjectMeta is metadata that all persisted resources must have.",
        "type": "object",
        "properties": {
            "name": string("Name must be unique within a namespace."),
            "generateName": string("GenerateName is an optional prefix used to generate a unique name."),
            "namespace": string("Namespace defines the space within which each name must be unique."),
            "uid": string("UID is the unique in time and space value for this object."),
            "resourceVersion": string("An opaque value that represents the internal version of this object."),
            "generation": {"type": "integer", "format": "int64", "description": "A sequence number representing a specific generation of the desired state."},
            "creationTimestamp": string("CreationTimestamp is a timestamp representing the server time when this object was created."),
            "deletionTimestamp": string("DeletionTimestamp is RFC 3339 date and time at which this resource will be deleted."),
            "labels": map("Map of string keys and values that can be used to organize and categorize objects."),
            "annotations": map("Annotations is an unstructured key value map stored with a resource."),
            "finalizers": {"type": "array", "items": {"type": "string", "default": ""}, "description": "Must be empty before the object is deleted from the registry.", "x-kubernetes-list-type": "set"},
            "ownerReferences": {"type": "array", "items": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}, "description": "List of objects depended by this object."},
            "managedFields": {"type": "array", "items": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}, "description": "ManagedFields maps workflow-id and version to the set of fields that are managed by that workflow."},
        },
    })
}

/// OpenAPI v2 (JSON) with the CRD schemas as definitions.
pub fn v2_document(registry: &Registry) -> Value {
    let mut definitions = Map::new();
    for def in registry.all() {
        for version in &def.versions {
            let gvk = json!({"group": def.group, "version": version, "kind": def.kind});
            definitions.insert(schema_name(def, version), kind_schema(def, version, &gvk));
        }
    }
    json!({"swagger": "2.0", "info": {"title": "Kubernetes", "version": super::discovery::GIT_VERSION}, "paths": {}, "definitions": definitions})
}
