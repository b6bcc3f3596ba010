//! events.k8s.io/v1 → core/v1 Event conversion, mirroring what the API server's shared storage
//! shows through the older API.

use serde_json::{Value, json};

pub fn to_core(event: &Value) -> Value {
    let get = |p: &str| event.pointer(p).cloned().unwrap_or(Value::Null);
    let event_time = get("/eventTime");
    let first =
        event.get("deprecatedFirstTimestamp").cloned().filter(|v| !v.is_null()).unwrap_or_else(|| event_time.clone());
    let last = event
        .pointer("/series/lastObservedTime")
        .or_else(|| event.get("deprecatedLastTimestamp"))
        .cloned()
        .filter(|v| !v.is_null())
        .unwrap_or_else(|| event_time.clone());
    let count =
        event.pointer("/series/count").or_else(|| event.get("deprecatedCount")).and_then(Value::as_i64).unwrap_or(1);
    let mut metadata = get("/metadata");
    if let Some(m) = metadata.as_object_mut() {
        m.remove("managedFields");
        m.remove("resourceVersion");
    }
    json!({
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": metadata,
        "involvedObject": get("/regarding"),
        "related": get("/related"),
        "reason": get("/reason"),
        "message": get("/note"),
        "type": get("/type"),
        "action": get("/action"),
        "source": {"component": get("/reportingController")},
        "reportingComponent": get("/reportingController"),
        "reportingInstance": get("/reportingInstance"),
        "firstTimestamp": first,
        "lastTimestamp": last,
        "eventTime": event_time,
        "count": count,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_the_fields_kubectl_describe_shows() {
        let e = json!({
            "metadata": {"name": "x.1", "namespace": "ns"},
            "regarding": {"kind": "TaskDefinition", "name": "web", "namespace": "ns", "uid": "u"},
            "reason": "Registered", "note": "registered revision 2", "type": "Normal",
            "reportingController": "ecs-operator", "eventTime": "2026-01-01T00:00:00.000000Z",
            "series": {"count": 3, "lastObservedTime": "2026-01-01T00:01:00.000000Z"},
        });
        let core = to_core(&e);
        assert_eq!(core["involvedObject"]["uid"], "u");
        assert_eq!(core["message"], "registered revision 2");
        assert_eq!(core["count"], 3);
        assert_eq!(core["lastTimestamp"], "2026-01-01T00:01:00.000000Z");
        assert_eq!(core["source"]["component"], "ecs-operator");
    }
}
