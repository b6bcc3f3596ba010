//! ECS events delivered to an SQS queue as EventBridge would, read with the real aws-sdk-sqs
//! client: CloudTrail events of ECS writes, deployment, task and service events of a rollout,
//! delivery faults, and the SQS protocol's own errors.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_sqs::config::retry::RetryConfig;
use aws_sdk_sqs::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, MessageSystemAttributeName, QueueAttributeName};
use ecs_sim::{ClockMode, EventFaults, SimConfig};
use serde_json::{Value, json};

use crate::harness::{CLUSTER, Env, admin, circuit_breaker, env_with};

const QUEUE: &str = "ecs-events";

fn sqs_client(endpoint: &str) -> aws_sdk_sqs::Client {
    let http = aws_smithy_http_client::Builder::new().build_http();
    let config = aws_sdk_sqs::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
        .http_client(http)
        .retry_config(RetryConfig::disabled())
        .build();
    aws_sdk_sqs::Client::from_conf(config)
}

struct Events {
    env: Env,
    sqs: aws_sdk_sqs::Client,
    url: String,
}

fn events_env(config: SimConfig) -> Events {
    let env = env_with(SimConfig { events_queue: Some(QUEUE.to_string()), ..config });
    let sqs = sqs_client(env.sim.endpoint());
    let url = env.sim.events_queue_url().expect("events queue");
    Events { env, sqs, url }
}

/// One received message: its id, receipt handle and parsed EventBridge envelope.
struct Received {
    message_id: String,
    receipt: String,
    event: Value,
}

impl Events {
    /// One ReceiveMessage of up to 10 messages.
    async fn receive(&self, wait: i32) -> Vec<Received> {
        let out = self
            .sqs
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(10)
            .wait_time_seconds(wait)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .expect("receive message");
        out.messages()
            .iter()
            .map(|m| Received {
                message_id: m.message_id().expect("MessageId").to_string(),
                receipt: m.receipt_handle().expect("ReceiptHandle").to_string(),
                event: serde_json::from_str(m.body().expect("Body")).expect("the body is JSON"),
            })
            .collect()
    }

    async fn delete(&self, messages: &[Received]) {
        for chunk in messages.chunks(10) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    DeleteMessageBatchRequestEntry::builder().id(format!("m{i}")).receipt_handle(&m.receipt).build()
                })
                .collect::<Result<Vec<_>, _>>()
                .expect("entries");
            let out = self
                .sqs
                .delete_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .await
                .expect("delete batch");
            assert!(out.failed().is_empty(), "{:?}", out.failed());
            assert_eq!(out.successful().len(), chunk.len());
        }
    }

    /// Every message visible now (no delay faults: all delivered ones), deleted.
    async fn drain(&self) -> Vec<Value> {
        let mut all = vec![];
        loop {
            let got = self.receive(0).await;
            if got.is_empty() {
                return all;
            }
            self.delete(&got).await;
            all.extend(got.into_iter().map(|m| m.event));
        }
    }

    async fn counts(&self) -> (String, String) {
        let out = self
            .sqs
            .get_queue_attributes()
            .queue_url(&self.url)
            .attribute_names(QueueAttributeName::All)
            .send()
            .await
            .expect("get queue attributes");
        let attrs = out.attributes().expect("attributes");
        let get = |n: QueueAttributeName| attrs.get(&n).cloned().unwrap_or_default();
        (
            get(QueueAttributeName::ApproximateNumberOfMessages),
            get(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
        )
    }
}

fn of_type<'a>(events: &'a [Value], detail_type: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["detail-type"] == detail_type).collect()
}

fn api_calls<'a>(events: &'a [Value], name: &str) -> Vec<&'a Value> {
    of_type(events, "AWS API Call via CloudTrail").into_iter().filter(|e| e["detail"]["eventName"] == name).collect()
}

/// `YYYY-MM-DDTHH:MM:SSZ`, within two minutes of now (real time, not the simulated clock).
fn assert_event_time(time: &str) {
    let b = time.as_bytes();
    let shape = b.len() == 20
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'Z',
            _ => c.is_ascii_digit(),
        });
    assert!(shape, "EventBridge time {time}");
    let num = |r: std::ops::Range<usize>| time[r].parse::<i64>().expect("digits");
    let (y, m, d) = (num(0..4), num(5..7), num(8..10));
    // Days from civil (Howard Hinnant).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    let secs = days * 86_400 + num(11..13) * 3600 + num(14..16) * 60 + num(17..19);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_secs() as i64;
    assert!((now - secs).abs() < 120, "{time} is not now");
}

#[tokio::test]
async fn an_out_of_band_update_service_reaches_the_queue_as_a_cloudtrail_event() {
    let ev = events_env(SimConfig::for_tests());
    let attrs =
        ev.sqs.get_queue_attributes().queue_url(&ev.url).attribute_names(QueueAttributeName::QueueArn).send().await;
    let arn = attrs.expect("attributes").attributes().and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned());
    assert_eq!(arn.as_deref(), Some("arn:aws:sqs:us-east-1:123456789012:ecs-events"));
    let env = &ev.env;
    env.cluster().await;
    let td = env.fargate_td("web", "nginx:1").await;
    env.fargate_service("web", &td, 1).await;
    let setup = ev.drain().await;
    for op in ["CreateCluster", "RegisterTaskDefinition", "CreateService"] {
        assert_eq!(api_calls(&setup, op).len(), 1, "{op}");
    }
    assert!(api_calls(&setup, "DescribeServices").is_empty(), "reads are not sent");

    env.ecs.update_service().cluster(CLUSTER).service("web").desired_count(2).send().await.expect("update");
    let got = ev.receive(1).await;
    let calls: Vec<&Received> = got.iter().filter(|m| m.event["detail"]["eventName"] == "UpdateService").collect();
    assert_eq!(calls.len(), 1, "{:?}", got.iter().map(|m| &m.event["detail-type"]).collect::<Vec<_>>());
    let e = &calls[0].event;
    assert_eq!(e["version"], "0");
    assert_eq!(e["detail-type"], "AWS API Call via CloudTrail");
    assert_eq!(e["source"], "aws.ecs");
    assert_eq!(e["account"], "123456789012");
    assert_eq!(e["region"], "us-east-1");
    assert_eq!(e["resources"], json!([]));
    assert_eq!(e["id"].as_str().map(str::len), Some(36));
    assert_event_time(e["time"].as_str().expect("time"));
    let d = &e["detail"];
    assert_eq!(d["eventVersion"], "1.08");
    assert_eq!(d["eventSource"], "ecs.amazonaws.com");
    assert_eq!(d["eventType"], "AwsApiCall");
    assert_eq!(d["eventCategory"], "Management");
    assert_eq!((d["readOnly"].as_bool(), d["managementEvent"].as_bool()), (Some(false), Some(true)));
    assert_eq!(d["awsRegion"], "us-east-1");
    assert_eq!(d["recipientAccountId"], "123456789012");
    assert_eq!(d["sourceIPAddress"], "127.0.0.1");
    assert_eq!(d["eventTime"], e["time"]);
    assert_eq!(d["userIdentity"]["type"], "IAMUser");
    assert_eq!(d["userIdentity"]["accessKeyId"], "AKIDTEST");
    assert!(d["userAgent"].as_str().is_some_and(|ua| ua.contains("aws-sdk-rust")), "{}", d["userAgent"]);
    assert_eq!(d["requestParameters"], json!({"cluster": CLUSTER, "service": "web", "desiredCount": 2}));
    assert_eq!(d["responseElements"]["service"]["desiredCount"], 2);
    assert_eq!(d["responseElements"]["service"]["serviceName"], "web");
    assert!(d["requestID"].as_str().is_some_and(|r| !r.is_empty()));
    assert!(d["eventID"].as_str().is_some_and(|r| r.len() == 36));

    // DeleteMessageBatch removes them: nothing visible or in flight afterwards.
    ev.delete(&got).await;
    ev.drain().await;
    assert_eq!(ev.counts().await, ("0".to_string(), "0".to_string()));
    let stats = env.sim.stats();
    assert!(stats.calls("ReceiveMessage") >= 2 && stats.calls("DeleteMessageBatch") >= 1, "{:?}", stats.operations);
}

#[tokio::test]
async fn a_rollout_sends_deployment_task_and_service_events() {
    let ev = events_env(SimConfig::for_tests());
    let env = &ev.env;
    env.cluster().await;
    let v1 = env.fargate_td("web", "nginx:1").await;
    env.fargate_service("web", &v1, 1).await;
    env.after(60, "web").await;
    let first = ev.drain().await;
    assert_eq!(of_type(&first, "ECS Service Action").len(), 1, "steady once");

    let v2 = env.fargate_td("web", "nginx:2").await;
    env.ecs.update_service().cluster(CLUSTER).service("web").task_definition(&v2).send().await.expect("update");
    let svc = env.after(120, "web").await;
    let events = ev.drain().await;
    let new_id = svc.deployments()[0].id().expect("deployment id").to_string();

    let deployment: Vec<(&str, &str)> = of_type(&events, "ECS Deployment State Change")
        .iter()
        .map(|e| (e["detail"]["eventName"].as_str().unwrap_or(""), e["detail"]["deploymentId"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(
        deployment,
        [("SERVICE_DEPLOYMENT_IN_PROGRESS", new_id.as_str()), ("SERVICE_DEPLOYMENT_COMPLETED", new_id.as_str())]
    );
    let started = of_type(&events, "ECS Deployment State Change")[0];
    let service_arn = svc.service_arn().expect("arn");
    assert_eq!(started["resources"], json!([service_arn]));
    assert_eq!(started["detail"]["eventType"], "INFO");
    assert_eq!(started["detail"]["reason"], format!("ECS deployment {new_id} in progress."));
    assert!(started["detail"]["updatedAt"].as_str().is_some_and(|t| t.ends_with('Z') && t.contains('.')));

    // Per task, its lastStatus in order: the new one starts, the old one stops.
    let mut by_task: BTreeMap<String, Vec<(String, u64)>> = BTreeMap::new();
    for e in of_type(&events, "ECS Task State Change") {
        let d = &e["detail"];
        assert_eq!(e["resources"], json!([d["taskArn"]]));
        assert_eq!(d["group"], "service:web");
        assert!(d["createdAt"].as_str().is_some_and(|t| t.ends_with('Z')), "ISO timestamps: {}", d["createdAt"]);
        assert!(d["updatedAt"].as_str().is_some());
        assert_eq!(d["clusterArn"], "arn:aws:ecs:us-east-1:123456789012:cluster/test");
        assert_eq!(d["launchType"], "FARGATE");
        assert!(d["containers"].as_array().is_some_and(|c| !c.is_empty()));
        let task = d["taskArn"].as_str().expect("taskArn").to_string();
        by_task
            .entry(task)
            .or_default()
            .push((d["lastStatus"].as_str().unwrap_or("").to_string(), d["version"].as_u64().unwrap_or(0)));
    }
    fn statuses(t: &[(String, u64)]) -> Vec<&str> {
        t.iter().map(|(s, _)| s.as_str()).collect()
    }
    let new_task = by_task.values().find(|t| t[0].0 == "PROVISIONING").expect("a new task");
    assert_eq!(statuses(new_task), ["PROVISIONING", "PENDING", "RUNNING"]);
    let old_task = by_task.values().find(|t| t[0].0 == "DEACTIVATING").expect("the old task stops");
    assert_eq!(statuses(old_task), ["DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED"]);
    for t in by_task.values() {
        assert!(t.windows(2).all(|w| w[0].1 < w[1].1), "version grows with every event: {t:?}");
    }
    let stopped =
        of_type(&events, "ECS Task State Change").into_iter().find(|e| e["detail"]["lastStatus"] == "STOPPED");
    let stopped = &stopped.expect("STOPPED event")["detail"];
    assert_eq!(stopped["desiredStatus"], "STOPPED");
    assert_eq!(stopped["stopCode"], "ServiceSchedulerInitiated");
    assert!(stopped["stoppedReason"].as_str().is_some_and(|r| r.contains(&new_id)));

    let actions: Vec<&str> = of_type(&events, "ECS Service Action")
        .iter()
        .map(|e| e["detail"]["eventName"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(actions, ["SERVICE_STEADY_STATE"]);
    let stats = env.sim.event_stats();
    assert_eq!(stats.published, (first.len() + events.len()) as u64, "every event arrived once");
    assert_eq!((stats.lost, stats.duplicated), (0, 0));
}

#[tokio::test]
async fn a_failed_rollout_rolls_back_with_failed_and_rollback_events() {
    let ev = events_env(SimConfig::for_tests());
    let env = &ev.env;
    env.cluster().await;
    let good = env.fargate_td("web", "nginx:1").await;
    env.service_with("web", &good, 2, circuit_breaker(true)).await;
    env.after(60, "web").await;
    ev.drain().await;
    let bad = env.fargate_td("web", "app:fail").await;
    env.ecs.update_service().cluster(CLUSTER).service("web").task_definition(&bad).send().await.expect("update");
    for _ in 0..20 {
        env.sim.advance(Duration::from_secs(30));
    }
    let events = ev.drain().await;
    let deployment: Vec<(&str, &str, &str)> = of_type(&events, "ECS Deployment State Change")
        .iter()
        .map(|e| {
            let d = &e["detail"];
            (
                d["eventName"].as_str().unwrap_or(""),
                d["eventType"].as_str().unwrap_or(""),
                d["reason"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(deployment[0].0, "SERVICE_DEPLOYMENT_IN_PROGRESS");
    assert_eq!(
        deployment[1],
        ("SERVICE_DEPLOYMENT_FAILED", "ERROR", "ECS deployment circuit breaker: task failed to start.")
    );
    assert_eq!(deployment[2].0, "SERVICE_DEPLOYMENT_IN_PROGRESS");
    assert!(
        deployment[2].2.starts_with("ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/"),
        "{deployment:?}"
    );
    assert_eq!(deployment[3].0, "SERVICE_DEPLOYMENT_COMPLETED");
    let actions: Vec<&str> = of_type(&events, "ECS Service Action")
        .iter()
        .map(|e| e["detail"]["eventName"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(actions, ["SERVICE_TASK_START_IMPAIRED", "SERVICE_STEADY_STATE"]);
    let exited = of_type(&events, "ECS Task State Change")
        .into_iter()
        .find(|e| e["detail"]["stopCode"] == "EssentialContainerExited" && e["detail"]["lastStatus"] == "STOPPED");
    assert_eq!(exited.expect("a failed task")["detail"]["containers"][0]["exitCode"], 1);
}

#[tokio::test]
async fn scaling_by_application_auto_scaling_and_by_a_person() {
    let ev = events_env(SimConfig::for_tests());
    let env = &ev.env;
    env.cluster().await;
    let td = env.fargate_td("web", "nginx:1").await;
    env.fargate_service("web", &td, 1).await;
    let target = json!({"ServiceNamespace": "ecs", "ResourceId": "service/test/web", "ScalableDimension": "ecs:service:DesiredCount", "MinCapacity": 1, "MaxCapacity": 5});
    let (status, _) =
        crate::harness::json_call(env.sim.endpoint(), "AnyScaleFrontendService.RegisterScalableTarget", target);
    assert_eq!(status, 200);
    ev.drain().await;

    env.sim.autoscale("service/test/web", 3).expect("scale");
    let events = ev.drain().await;
    let update = api_calls(&events, "UpdateService");
    assert_eq!(update.len(), 1);
    let who = &update[0]["detail"]["userIdentity"];
    assert_eq!(who["type"], "AssumedRole");
    assert_eq!(who["invokedBy"], "ecs.application-autoscaling.amazonaws.com");
    assert_eq!(update[0]["detail"]["requestParameters"]["desiredCount"], 3);
    let actions: Vec<&Value> = of_type(&events, "ECS Service Action");
    assert_eq!(actions.len(), 1);
    assert_eq!(actions[0]["detail"]["eventName"], "SERVICE_DESIRED_COUNT_UPDATED");
    assert_eq!(actions[0]["detail"]["clusterArn"], "arn:aws:ecs:us-east-1:123456789012:cluster/test");

    // A person in the console: CloudTrail only ("not sent when the desired count is manually
    // updated by a user").
    let body = json!({"cluster": CLUSTER, "service": "web", "desiredCount": 2}).to_string();
    assert_eq!(admin(env.sim.endpoint(), "POST", "/_sim/services/desired-count", &body).0, 200);
    let events = ev.drain().await;
    let update = api_calls(&events, "UpdateService");
    assert_eq!(update.len(), 1);
    assert_eq!(update[0]["detail"]["userAgent"], "console.amazonaws.com");
    assert!(of_type(&events, "ECS Service Action").is_empty());
}

#[tokio::test]
async fn loss_delivers_nothing_and_duplicates_share_the_event_id() {
    let ev = events_env(SimConfig::for_tests());
    let env = &ev.env;
    env.sim.set_event_faults(EventFaults { loss: 1.0, ..EventFaults::default() });
    env.cluster().await;
    let td = env.fargate_td("web", "nginx:1").await;
    env.fargate_service("web", &td, 1).await;
    env.sim.advance(Duration::from_secs(60));
    assert!(ev.receive(1).await.is_empty(), "everything lost");
    let stats = env.sim.event_stats();
    assert!(stats.published > 3, "{stats:?}");
    assert_eq!((stats.delivered, stats.lost), (0, stats.published));
    let (status, over_http) = admin(env.sim.endpoint(), "GET", "/_sim/events/stats", "");
    assert_eq!(status, 200);
    assert_eq!(over_http["lost"], stats.lost);

    let faults = json!({"duplicate": 1.0, "loss": 0.0}).to_string();
    assert_eq!(admin(env.sim.endpoint(), "POST", "/_sim/events/faults", &faults).0, 200);
    env.ecs.update_service().cluster(CLUSTER).service("web").desired_count(2).send().await.expect("update");
    let mut messages = vec![];
    loop {
        let got = ev.receive(0).await;
        if got.is_empty() {
            break;
        }
        ev.delete(&got).await;
        messages.extend(got);
    }
    let mut by_id: BTreeMap<String, Vec<&Received>> = BTreeMap::new();
    for m in &messages {
        by_id.entry(m.event["id"].as_str().expect("id").to_string()).or_default().push(m);
    }
    assert!(!by_id.is_empty());
    for copies in by_id.values() {
        assert_eq!(copies.len(), 2, "every event twice");
        assert_ne!(copies[0].message_id, copies[1].message_id, "two SQS messages");
        assert_eq!(copies[0].event, copies[1].event, "the same event");
    }
    let after = env.sim.event_stats();
    assert_eq!(after.duplicated, after.published - stats.published);
}

#[tokio::test]
async fn a_scaled_clock_sends_events_without_api_calls() {
    let ev = events_env(SimConfig { clock: ClockMode::Scaled { speed: 100.0 }, ..SimConfig::for_tests() });
    let env = &ev.env;
    env.cluster().await;
    let td = env.fargate_td("web", "nginx:1").await;
    env.fargate_service("web", &td, 1).await;
    // PROVISIONING → RUNNING is 30 simulated seconds, 0.3 s here: the ticker catches up.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut running = false;
    while !running && Instant::now() < deadline {
        let got = ev.receive(2).await;
        ev.delete(&got).await;
        running = got.iter().any(|m| m.event["detail"]["lastStatus"] == "RUNNING");
    }
    assert!(running, "a RUNNING task event arrived with nobody calling ECS");
}

#[tokio::test]
async fn delayed_events_and_a_reset_that_keeps_the_queue() {
    let ev = events_env(SimConfig::for_tests());
    let env = &ev.env;
    env.sim.set_event_faults(EventFaults { delay_ms: 400, ..EventFaults::default() });
    env.cluster().await;
    assert!(ev.receive(0).await.is_empty(), "not visible yet");
    let started = Instant::now();
    let got = ev.receive(5).await;
    assert_eq!(got.len(), 1);
    assert!(started.elapsed() < Duration::from_secs(3), "the long poll woke when the event became visible");
    assert_eq!(ev.counts().await, ("0".to_string(), "1".to_string()));
    env.sim.reset().expect("reset");
    assert_eq!(ev.counts().await, ("0".to_string(), "0".to_string()), "emptied, same URL");
    assert_eq!(env.sim.event_stats().published, 0);
    env.cluster().await;
    assert_eq!(ev.receive(0).await.len(), 1, "faults were reset too: no delay");
}

#[tokio::test]
async fn sqs_errors_reach_the_sdk_as_typed_errors() {
    let ev = events_env(SimConfig::for_tests());
    let missing = ev.url.replace(QUEUE, "nope");
    let err = ev.sqs.receive_message().queue_url(&missing).send().await.expect_err("no such queue");
    assert!(err.as_service_error().is_some_and(|e| e.is_queue_does_not_exist()), "{err:?}");
    let err = ev.sqs.receive_message().queue_url(&ev.url).max_number_of_messages(11).send().await.expect_err("11");
    assert_eq!(aws_sdk_sqs::error::ProvideErrorMetadata::code(&err), Some("InvalidParameterValue"));
    let err = ev.sqs.delete_message().queue_url(&ev.url).receipt_handle("nope").send().await.expect_err("bad handle");
    assert!(err.as_service_error().is_some_and(|e| e.is_receipt_handle_is_invalid()), "{err:?}");
    let sent = ev.sqs.send_message().queue_url(&ev.url).message_body("hello").send().await.expect("send");
    assert_eq!(sent.md5_of_message_body(), Some("5d41402abc4b2a76b9719d911017c592"));
    let url = ev.sqs.get_queue_url().queue_name(QUEUE).send().await.expect("get url");
    assert_eq!(url.queue_url(), Some(ev.url.as_str()));
    // An injected fault on ReceiveMessage only (a `*` rule would leave SQS alone).
    env_fault(&ev.env);
    let err = ev.sqs.receive_message().queue_url(&ev.url).send().await.expect_err("injected");
    assert_eq!(aws_sdk_sqs::error::ProvideErrorMetadata::code(&err), Some("InternalError"));
}

fn env_fault(env: &Env) {
    env.sim.set_fault(ecs_sim::FaultSpec {
        remaining: Some(1),
        ..ecs_sim::FaultSpec::error("ReceiveMessage", "InternalError", 500)
    });
}

#[tokio::test]
async fn turning_events_on_changes_no_id() {
    async fn ids(env: &Env) -> Vec<String> {
        env.cluster().await;
        let td = env.fargate_td("web", "nginx:1").await;
        env.fargate_service("web", &td, 2).await;
        env.ecs.update_service().cluster(CLUSTER).service("web").desired_count(3).send().await.expect("update");
        let svc = env.after(60, "web").await;
        let tasks = env.ecs.list_tasks().cluster(CLUSTER).send().await.expect("list tasks");
        let mut out: Vec<String> = svc.deployments().iter().filter_map(|d| d.id().map(str::to_string)).collect();
        out.extend(tasks.task_arns().iter().cloned());
        out
    }
    let with = events_env(SimConfig::for_tests());
    let without = env_with(SimConfig::for_tests());
    let (a, b) = (ids(&with.env).await, ids(&without).await);
    assert_eq!(a.len(), 4, "{a:?}");
    assert_eq!(a, b);
    assert!(with.env.sim.event_stats().published > 10);
}
