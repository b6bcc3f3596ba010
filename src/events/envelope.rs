//! EventBridge envelopes as the queue delivers them, and the ECS resources each event names.
//! Pure: no I/O, so every event shape AWS documents is unit-tested here.
//!
//! An event never decides state. It only says which resources to describe again now; what the
//! description says is what counts. So a duplicate costs a read, a late or reordered one reads
//! the same truth, and a lost one is found by the safety-net poll.

use serde::Deserialize;
use serde_json::Value;

/// The envelope fields the operator reads.
#[derive(Debug, Clone, Deserialize)]
pub struct Envelope {
    #[serde(default)]
    pub id: String,
    #[serde(rename = "detail-type")]
    pub detail_type: String,
    pub source: String,
    /// When the event happened (EventBridge's RFC 3339 time, second precision).
    pub time: Option<String>,
    #[serde(default)]
    pub resources: Vec<String>,
    #[serde(default)]
    pub detail: Value,
}

pub const SERVICE_ACTION: &str = "ECS Service Action";
pub const DEPLOYMENT_STATE_CHANGE: &str = "ECS Deployment State Change";
pub const TASK_STATE_CHANGE: &str = "ECS Task State Change";
pub const CLOUDTRAIL_CALL: &str = "AWS API Call via CloudTrail";

/// An ECS resource an event names, as the objects know it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    /// A service (an ECSService or an ECSExpressService) by cluster and service name.
    Service {
        cluster: String,
        service: String,
    },
    Cluster {
        cluster: String,
    },
    /// A task definition family: the TaskDefinition object owns all its revisions.
    TaskDefinition {
        family: String,
    },
    CapacityProvider {
        name: String,
    },
    /// A task, by its ARN (what an ECSTask records).
    Task {
        arn: String,
    },
}

/// What an event is to the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading {
    /// It names these resources (never empty).
    Names(Vec<Target>),
    /// An event the operator understands and has no use for (a failed or read-only call, a
    /// task moving through start-up states of a service); acknowledged, not counted as unknown.
    Ignored,
    /// Not an ECS event type or API call the operator knows.
    Unknown,
}

/// The `detail-type` as a closed metric label.
pub fn type_label(detail_type: &str) -> &'static str {
    match detail_type {
        SERVICE_ACTION => "service_action",
        DEPLOYMENT_STATE_CHANGE => "deployment_state_change",
        TASK_STATE_CHANGE => "task_state_change",
        CLOUDTRAIL_CALL => "api_call",
        _ => "other",
    }
}

/// Parses a message body as an EventBridge envelope.
pub fn parse(body: &str) -> Result<Envelope, String> {
    serde_json::from_str::<Envelope>(body).map_err(|e| format!("not an EventBridge event: {e}"))
}

/// The resources `event` names.
pub fn read(event: &Envelope) -> Reading {
    if event.source != "aws.ecs" {
        return Reading::Unknown;
    }
    let detail = &event.detail;
    let targets = match event.detail_type.as_str() {
        SERVICE_ACTION | DEPLOYMENT_STATE_CHANGE => {
            let cluster = str_at(detail, "clusterArn").and_then(cluster_of);
            event.resources.iter().filter_map(|arn| service_of(arn, cluster.as_deref())).collect()
        }
        TASK_STATE_CHANGE => return task_state_change(event),
        CLOUDTRAIL_CALL => return api_call(detail),
        _ => return Reading::Unknown,
    };
    names(targets)
}

fn names(mut targets: Vec<Target>) -> Reading {
    targets.sort();
    targets.dedup();
    if targets.is_empty() { Reading::Ignored } else { Reading::Names(targets) }
}

/// A task's change names the task (an ECSTask follows it). It names its service only when the
/// task stopped: that is when the running count drops outside a rollout (a rollout is polled
/// anyway, and start-up states change nothing the status shows).
fn task_state_change(event: &Envelope) -> Reading {
    let detail = &event.detail;
    let mut targets: Vec<Target> = event.resources.iter().map(|arn| Target::Task { arn: arn.clone() }).collect();
    if let Some(arn) = str_at(detail, "taskArn") {
        targets.push(Target::Task { arn: arn.to_owned() });
    }
    let stopped = str_at(detail, "lastStatus") == Some("STOPPED");
    let service = str_at(detail, "group").and_then(|g| g.strip_prefix("service:"));
    let cluster = str_at(detail, "clusterArn").and_then(cluster_of);
    if let (true, Some(service), Some(cluster)) = (stopped, service, cluster) {
        targets.push(Target::Service { cluster, service: service.to_owned() });
    }
    names(targets)
}

/// A write to ECS, as CloudTrail records it: the resources are in the request (and for a
/// RunTask, in the response). Failed calls changed nothing.
fn api_call(detail: &Value) -> Reading {
    if str_at(detail, "eventSource") != Some("ecs.amazonaws.com") {
        return Reading::Unknown;
    }
    if detail.get("errorCode").is_some_and(|c| !c.is_null()) {
        return Reading::Ignored;
    }
    let Some(name) = str_at(detail, "eventName") else { return Reading::Unknown };
    let request = detail.get("requestParameters").unwrap_or(&Value::Null);
    let response = detail.get("responseElements").unwrap_or(&Value::Null);
    let cluster = || str_at(request, "cluster").and_then(cluster_of).unwrap_or_else(|| "default".to_owned());
    let service_named = |key: &str| str_at(request, key).and_then(|s| service_of(s, Some(&cluster())));
    let targets: Vec<Target> = match name {
        "CreateService" => service_named("serviceName").into_iter().collect(),
        "UpdateService"
        | "DeleteService"
        | "UpdateServicePrimaryTaskSet"
        | "CreateTaskSet"
        | "UpdateTaskSet"
        | "DeleteTaskSet" => service_named("service").into_iter().collect(),
        "StopServiceDeployment" | "ContinueServiceDeployment" => {
            str_at(request, "serviceDeploymentArn").and_then(service_of_deployment).into_iter().collect()
        }
        "RegisterTaskDefinition" => {
            str_at(request, "family").map(|f| Target::TaskDefinition { family: f.to_owned() }).into_iter().collect()
        }
        "DeregisterTaskDefinition" => str_at(request, "taskDefinition").and_then(family_of).into_iter().collect(),
        "DeleteTaskDefinitions" => strings_at(request, "taskDefinitions").filter_map(family_of).collect(),
        "TagResource" | "UntagResource" => str_at(request, "resourceArn").and_then(of_arn).into_iter().collect(),
        "CreateCluster" => {
            str_at(request, "clusterName").map(|c| Target::Cluster { cluster: c.to_owned() }).into_iter().collect()
        }
        "UpdateCluster" | "UpdateClusterSettings" | "PutClusterCapacityProviders" | "DeleteCluster" => {
            vec![Target::Cluster { cluster: cluster() }]
        }
        "CreateCapacityProvider" | "UpdateCapacityProvider" => {
            str_at(request, "name").map(|n| Target::CapacityProvider { name: n.to_owned() }).into_iter().collect()
        }
        "DeleteCapacityProvider" => str_at(request, "capacityProvider")
            .map(|n| Target::CapacityProvider { name: last_segment(n, "capacity-provider/").to_owned() })
            .into_iter()
            .collect(),
        "RunTask" => response
            .get("tasks")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|t| str_at(t, "taskArn"))
            .map(|arn| Target::Task { arn: arn.to_owned() })
            .collect(),
        "StopTask" => str_at(request, "task").map(|t| task_of(t, &cluster())).into_iter().collect(),
        "CreateExpressGatewayService" | "UpdateExpressGatewayService" | "DeleteExpressGatewayService" => {
            let arn =
                str_at(request, "serviceArn").or_else(|| response.get("service").and_then(|s| str_at(s, "serviceArn")));
            arn.and_then(|a| service_of(a, None)).into_iter().collect()
        }
        _ => return Reading::Ignored,
    };
    names(targets)
}

fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

fn strings_at<'a>(v: &'a Value, key: &str) -> impl Iterator<Item = &'a str> {
    v.get(key).and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str)
}

/// What follows `marker` in an ARN (`arn:…:service/` → `c/s`), or the whole value when it is
/// a plain name.
fn last_segment<'a>(value: &'a str, marker: &str) -> &'a str {
    match value.split_once(marker) {
        Some((_, rest)) if value.starts_with("arn:") => rest,
        _ => value,
    }
}

/// A cluster's name from its name or ARN.
fn cluster_of(value: &str) -> Option<String> {
    Some(last_segment(value, ":cluster/").to_owned()).filter(|c| !c.is_empty())
}

/// A service from its name or ARN: `service/cluster/name` names its cluster; the short
/// `service/name` format (services created before 2021) and a plain name take `cluster`.
pub fn service_of(value: &str, cluster: Option<&str>) -> Option<Target> {
    let rest = last_segment(value, ":service/");
    let (cluster, service) = match rest.split_once('/') {
        Some((c, s)) => (c.to_owned(), s.to_owned()),
        None => (cluster?.to_owned(), rest.to_owned()),
    };
    (!service.is_empty() && !cluster.is_empty()).then_some(Target::Service { cluster, service })
}

/// `arn:…:service-deployment/cluster/service/id`.
fn service_of_deployment(arn: &str) -> Option<Target> {
    let (_, rest) = arn.split_once(":service-deployment/")?;
    let mut parts = rest.split('/');
    let (cluster, service) = (parts.next()?, parts.next()?);
    Some(Target::Service { cluster: cluster.to_owned(), service: service.to_owned() })
}

/// The family of `family`, `family:revision` or a task definition ARN.
fn family_of(value: &str) -> Option<Target> {
    let rest = last_segment(value, ":task-definition/");
    let family = rest.split(':').next().unwrap_or_default();
    (!family.is_empty()).then(|| Target::TaskDefinition { family: family.to_owned() })
}

/// A task from its ARN, or from its id and the cluster it runs in.
fn task_of(value: &str, cluster: &str) -> Target {
    if value.starts_with("arn:") {
        return Target::Task { arn: value.to_owned() };
    }
    // An id only: the ARN's tail is enough to match what an ECSTask records.
    Target::Task { arn: format!("task/{cluster}/{value}") }
}

/// A resource from its ARN, whatever its type.
fn of_arn(arn: &str) -> Option<Target> {
    let resource = arn.splitn(6, ':').nth(5)?;
    let (kind, _) = resource.split_once('/')?;
    match kind {
        "service" => service_of(arn, None),
        "cluster" => cluster_of(arn).map(|cluster| Target::Cluster { cluster }),
        "task-definition" => family_of(arn),
        "capacity-provider" => {
            Some(Target::CapacityProvider { name: last_segment(arn, "capacity-provider/").to_owned() })
        }
        "task" => Some(Target::Task { arn: arn.to_owned() }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SVC: &str = "arn:aws:ecs:us-east-1:123456789012:service/shop/orders";

    fn envelope(detail_type: &str, resources: &[&str], detail: Value) -> Envelope {
        let body = json!({
            "version": "0", "id": "e1", "detail-type": detail_type, "source": "aws.ecs",
            "account": "123456789012", "time": "2026-12-07T06:00:00Z", "region": "us-east-1",
            "resources": resources, "detail": detail,
        });
        parse(&body.to_string()).expect("envelope")
    }

    fn call(name: &str, request: Value) -> Envelope {
        envelope(
            CLOUDTRAIL_CALL,
            &[],
            json!({"eventSource": "ecs.amazonaws.com", "eventName": name, "requestParameters": request,
                   "responseElements": {}, "eventType": "AwsApiCall", "readOnly": false}),
        )
    }

    fn service(cluster: &str, service: &str) -> Target {
        Target::Service { cluster: cluster.into(), service: service.into() }
    }

    fn family(f: &str) -> Target {
        Target::TaskDefinition { family: f.into() }
    }

    #[test]
    fn service_and_deployment_events_name_their_service() {
        let action = envelope(
            SERVICE_ACTION,
            &[SVC],
            json!({"eventType": "INFO", "eventName": "SERVICE_STEADY_STATE",
                   "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/shop"}),
        );
        assert_eq!(read(&action), Reading::Names(vec![service("shop", "orders")]));
        let deployment = envelope(
            DEPLOYMENT_STATE_CHANGE,
            &[SVC],
            json!({"eventType": "ERROR", "eventName": "SERVICE_DEPLOYMENT_FAILED", "deploymentId": "ecs-svc/1"}),
        );
        assert_eq!(read(&deployment), Reading::Names(vec![service("shop", "orders")]));
        // The short ARN format takes the cluster from the detail.
        let old = envelope(
            SERVICE_ACTION,
            &["arn:aws:ecs:us-east-1:123456789012:service/orders"],
            json!({"clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/shop"}),
        );
        assert_eq!(read(&old), Reading::Names(vec![service("shop", "orders")]));
    }

    #[test]
    fn a_stopped_task_names_its_service_and_every_change_names_the_task() {
        let task = "arn:aws:ecs:us-east-1:123456789012:task/shop/0123abcd";
        let detail = |status: &str| {
            json!({"clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/shop", "taskArn": task,
                   "group": "service:orders", "lastStatus": status, "desiredStatus": "RUNNING"})
        };
        let running = envelope(TASK_STATE_CHANGE, &[task], detail("RUNNING"));
        assert_eq!(read(&running), Reading::Names(vec![Target::Task { arn: task.into() }]));
        let stopped = envelope(TASK_STATE_CHANGE, &[task], detail("STOPPED"));
        assert_eq!(read(&stopped), Reading::Names(vec![service("shop", "orders"), Target::Task { arn: task.into() }]));
    }

    #[test]
    fn api_calls_name_what_they_wrote() {
        let cases = [
            (
                call("UpdateService", json!({"cluster": "shop", "service": "orders", "desiredCount": 3})),
                vec![service("shop", "orders")],
            ),
            (call("UpdateService", json!({"service": "orders"})), vec![service("default", "orders")]),
            (
                call("DeleteService", json!({"cluster": "arn:aws:ecs:us-east-1:1:cluster/shop", "service": SVC})),
                vec![service("shop", "orders")],
            ),
            (call("CreateService", json!({"cluster": "shop", "serviceName": "web"})), vec![service("shop", "web")]),
            (call("RegisterTaskDefinition", json!({"family": "web"})), vec![family("web")]),
            (call("DeregisterTaskDefinition", json!({"taskDefinition": "web:3"})), vec![family("web")]),
            (
                call(
                    "DeleteTaskDefinitions",
                    json!({"taskDefinitions": ["arn:aws:ecs:us-east-1:1:task-definition/web:1", "api:2"]}),
                ),
                vec![family("api"), family("web")],
            ),
            (
                call("TagResource", json!({"resourceArn": "arn:aws:ecs:us-east-1:1:task-definition/web:4"})),
                vec![family("web")],
            ),
            (call("UntagResource", json!({"resourceArn": SVC, "tagKeys": ["team"]})), vec![service("shop", "orders")]),
            (
                call("UpdateClusterSettings", json!({"cluster": "shop"})),
                vec![Target::Cluster { cluster: "shop".into() }],
            ),
            (
                call("PutClusterCapacityProviders", json!({"cluster": "arn:aws:ecs:us-east-1:1:cluster/shop"})),
                vec![Target::Cluster { cluster: "shop".into() }],
            ),
            (
                call("UpdateCapacityProvider", json!({"name": "asg"})),
                vec![Target::CapacityProvider { name: "asg".into() }],
            ),
            (
                call(
                    "StopServiceDeployment",
                    json!({"serviceDeploymentArn": "arn:aws:ecs:us-east-1:1:service-deployment/shop/orders/abc"}),
                ),
                vec![service("shop", "orders")],
            ),
            (
                call("StopTask", json!({"cluster": "shop", "task": "abc"})),
                vec![Target::Task { arn: "task/shop/abc".into() }],
            ),
        ];
        for (event, want) in cases {
            assert_eq!(read(&event), Reading::Names(want), "{:?}", event.detail);
        }
    }

    #[test]
    fn failed_calls_other_sources_and_unknown_types_are_not_names() {
        let mut failed = call("UpdateService", json!({"cluster": "shop", "service": "orders"}));
        failed.detail["errorCode"] = json!("AccessDenied");
        assert_eq!(read(&failed), Reading::Ignored);
        assert_eq!(read(&call("UpdateContainerAgent", json!({"cluster": "shop"}))), Reading::Ignored);
        let mut other = call("UpdateService", json!({"service": "orders"}));
        other.detail["eventSource"] = json!("ec2.amazonaws.com");
        assert_eq!(read(&other), Reading::Unknown);
        let mut foreign = envelope(SERVICE_ACTION, &[SVC], json!({}));
        foreign.source = "aws.ec2".into();
        assert_eq!(read(&foreign), Reading::Unknown);
        assert_eq!(read(&envelope("ECS Container Instance State Change", &[], json!({}))), Reading::Unknown);
        assert!(parse("not json").is_err());
        assert!(parse(r#"{"detail-type": "x"}"#).is_err(), "source is required");
    }
}
