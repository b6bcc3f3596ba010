//! The TaskDefinition, ECSService and ECSTask controllers against moto_server, a third-party ECS
//! emulator: every request they send through a full lifecycle (register, re-register on change,
//! prune, deregister on deletion; create, update, retag, delete) must be accepted by an
//! implementation nobody here wrote.

use crate::support::{Bed, Moto, NS};
use aws_sdk_ecs::types::TaskDefinitionStatus as AwsStatus;
use ecs_operator::crd::TaskDefinition;
use kube::api::{Api, DeleteParams};

const TD: &str = r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: TaskDefinition
metadata:
  name: web
spec:
  requiresCompatibilities: [FARGATE]
  networkMode: awsvpc
  cpu: "256"
  memory: "512"
  revisionHistoryLimit: 0
  tags: {team: web}
  containerDefinitions:
    - name: web
      image: nginx:1
      portMappings: [{containerPort: 80}]
      environment: [{name: MODE, value: prod}]
      logConfiguration:
        logDriver: awslogs
        options: {awslogs-group: /ecs/web, awslogs-region: us-east-1, awslogs-stream-prefix: web}
"#;

fn synced_and_ready(td: &TaskDefinition) -> Option<(bool, bool, String)> {
    let conditions = td.status.as_ref()?.common.conditions.clone()?;
    let is = |t: &str| conditions.iter().any(|c| c.type_ == t && c.status == "True");
    let message = conditions
        .iter()
        .map(|c| format!("{}={} {}: {}", c.type_, c.status, c.reason, c.message))
        .collect::<Vec<_>>()
        .join("; ");
    Some((is("Synced"), is("Ready"), message))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moto_accepts_every_request_of_a_task_definition_lifecycle() {
    let moto = Moto::start().await;
    let mut bed = Bed::start().await;
    bed.aim_at(&moto.endpoint);
    bed.start_operator().await;
    let api: Api<TaskDefinition> = Api::namespaced(bed.client.clone(), NS);

    for (image, revision) in [("nginx:1", 1), ("nginx:2", 2)] {
        bed.apply::<TaskDefinition>(&TD.replace("nginx:1", image)).await;
        let td = bed
            .eventually(&format!("revision {revision} Ready on moto"), || async {
                let td = api.get("web").await.ok()?;
                let (synced, ready, message) = synced_and_ready(&td)?;
                assert!(synced || !message.contains("Synced=False"), "moto rejected a request: {message}");
                (ready && td.status.as_ref()?.revision == Some(revision)).then_some(td)
            })
            .await;
        assert!(td.status.and_then(|s| s.task_definition_arn).is_some_and(|a| a.ends_with(&format!("web:{revision}"))));
    }
    // revisionHistoryLimit 0: revision 1 was deregistered.
    let active = bed
        .eventually("revision 1 pruned on moto", || async {
            let out =
                bed.aws.list_task_definitions().family_prefix("web").status(AwsStatus::Active).send().await.ok()?;
            let arns = out.task_definition_arns.unwrap_or_default();
            (arns.len() == 1).then_some(arns)
        })
        .await;
    assert!(active[0].ends_with("web:2"), "{active:?}");
    // Pruning (DeregisterTaskDefinition + DeleteTaskDefinitions) left the object Synced.
    let after_prune = api.get("web").await.expect("get");
    let (synced, _, message) = synced_and_ready(&after_prune).expect("conditions");
    assert!(synced, "a pruning request was rejected: {message}");

    api.delete("web", &DeleteParams::default()).await.expect("delete");
    bed.eventually("object gone", || async { api.get_opt("web").await.ok()?.is_none().then_some(()) }).await;
    let out =
        bed.aws.list_task_definitions().family_prefix("web").status(AwsStatus::Active).send().await.expect("list");
    assert!(out.task_definition_arns.unwrap_or_default().is_empty(), "deregistered on deletion");
}

const EC2_TD: &str = r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: TaskDefinition
metadata:
  name: worker
spec:
  requiresCompatibilities: [EC2]
  containerDefinitions:
    - name: worker
      image: busybox:1
      memory: 128
      portMappings: [{containerPort: 8080, hostPort: 0}]
"#;

const EC2_SVC: &str = r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: ECSService
metadata:
  name: worker
spec:
  cluster: moto
  taskDefinitionRef: {name: worker}
  desiredCount: 2
  launchType: EC2
  placementStrategy: [{type: spread, field: "attribute:ecs.availability-zone"}]
"#;

fn service_synced(svc: &ecs_operator::crd::ECSService) -> Option<(bool, String)> {
    let conditions = svc.status.as_ref()?.common.conditions.clone()?;
    let synced = conditions.iter().find(|c| c.type_ == "Synced")?;
    Some((synced.status == "True", format!("{}: {}", synced.reason, synced.message)))
}

/// moto has no deployment lifecycle, so Ready is never reached there; what counts is that
/// every create, describe, update and delete the controller sends is accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moto_accepts_every_request_of_a_service_lifecycle() {
    let moto = Moto::start().await;
    let mut bed = Bed::start().await;
    bed.aim_at(&moto.endpoint);
    bed.aws.create_cluster().cluster_name("moto").send().await.expect("cluster on moto");
    bed.start_operator().await;
    bed.apply::<TaskDefinition>(EC2_TD).await;
    bed.apply::<ecs_operator::crd::ECSService>(EC2_SVC).await;
    let api: Api<ecs_operator::crd::ECSService> = Api::namespaced(bed.client.clone(), NS);
    let arn = bed
        .eventually("service created on moto", || async {
            let svc = api.get("worker").await.ok()?;
            let (synced, message) = service_synced(&svc)?;
            assert!(synced || !message.starts_with("Terminal"), "moto rejected a request: {message}");
            svc.status?.service_arn.filter(|_| synced)
        })
        .await;
    assert!(arn.contains(":service/moto/worker"), "{arn}");
    // An update: moto must accept UpdateService with everything the controller sends.
    bed.apply::<ecs_operator::crd::ECSService>(&EC2_SVC.replace("desiredCount: 2", "desiredCount: 3")).await;
    bed.eventually("desiredCount updated on moto", || async {
        let out = bed.aws.describe_services().cluster("moto").services("worker").send().await.ok()?;
        (out.services?.first()?.desired_count() == 3).then_some(())
    })
    .await;
    // moto drops some fields on CreateService (placement among them) and keeps them only once
    // an UpdateService sends them, so the operator may correct once: it must end Synced.
    bed.eventually("Synced on moto", || async {
        let svc = api.get("worker").await.ok()?;
        let (synced, message) = service_synced(&svc)?;
        assert!(!message.starts_with("Terminal"), "moto rejected a request: {message}");
        synced.then_some(())
    })
    .await;
    // Tag edits: moto must accept TagResource and UntagResource on the service's ARN.
    let tagged = |tags: &str| EC2_SVC.replace("desiredCount: 2", &format!("desiredCount: 3\n  tags: {tags}"));
    for (tags, want) in [("{team: a}", vec![("team", "a")]), ("{tier: b}", vec![("tier", "b")])] {
        bed.apply::<ecs_operator::crd::ECSService>(&tagged(tags)).await;
        bed.eventually(&format!("tags {tags} on moto"), || async {
            let out = bed
                .aws
                .describe_services()
                .cluster("moto")
                .services("worker")
                .include(aws_sdk_ecs::types::ServiceField::Tags)
                .send()
                .await
                .ok()?;
            let found: Vec<(String, String)> = out
                .services?
                .first()?
                .tags()
                .iter()
                .filter_map(|t| Some((t.key.clone()?, t.value.clone()?)))
                .filter(|(k, _)| !k.starts_with("ecs.operator.dev/"))
                .collect();
            let want: Vec<(String, String)> = want.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            (found == want).then_some(())
        })
        .await;
        let svc = api.get("worker").await.expect("get");
        let (_, message) = service_synced(&svc).expect("conditions");
        assert!(!message.starts_with("Terminal"), "moto rejected a tag request: {message}");
    }
    api.delete("worker", &DeleteParams::default()).await.expect("delete");
    bed.eventually("service object gone", || async { api.get_opt("worker").await.ok()?.is_none().then_some(()) }).await;
}

const MIGRATE_TD: &str = r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: TaskDefinition
metadata:
  name: migrate
spec:
  requiresCompatibilities: [FARGATE]
  networkMode: awsvpc
  cpu: "256"
  memory: "512"
  containerDefinitions:
    - name: migrate
      image: busybox:1
      memory: 512
"#;

const MIGRATE: &str = r#"
apiVersion: ecs.operator.dev/v1alpha1
kind: ECSTask
metadata:
  name: migrate
spec:
  cluster: moto
  taskDefinitionRef: {name: migrate}
  launchType: FARGATE
  networkConfiguration:
    awsvpcConfiguration: {subnets: [subnet-0123456789abcdef0]}
  overrides:
    containerOverrides:
      - name: migrate
        command: [sh, -c, "echo migrating"]
        environment: [{name: STEP, value: all}]
  tags: {purpose: migration}
"#;

/// moto starts tasks RUNNING and never stops them on its own, so the run never finishes there;
/// what counts is that the RunTask, ListTasks, DescribeTasks and StopTask an ECSTask sends
/// (with its startedBy, clientToken, overrides and tags) are accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moto_accepts_every_request_of_a_one_off_task() {
    use ecs_operator::crd::task::{ECSTask, TaskPhase};
    let moto = Moto::start().await;
    let mut bed = Bed::start().await;
    bed.aim_at(&moto.endpoint);
    bed.aws.create_cluster().cluster_name("moto").send().await.expect("cluster on moto");
    // moto moves a task one lifecycle step towards STOPPED on every read of it, by default,
    // and leaves its desiredStatus RUNNING: how many polls came before the delete would decide
    // whether the task was still running to be stopped. Hold it RUNNING, as a real
    // long-running task is, so that only StopTask can stop it.
    let hold = r#"{"model_name": "ecs::task", "transition": {"progression": "manual", "times": 1000000}}"#;
    let answer = moto_request(&moto.endpoint, "/moto-api/state-manager/set-transition", "application/json", "", hold);
    assert!(
        answer.starts_with("HTTP/1.1 201") || answer.starts_with("HTTP/1.0 201"),
        "moto's set-transition: {answer}"
    );
    bed.start_operator().await;
    bed.apply::<TaskDefinition>(MIGRATE_TD).await;
    // moto checks that a task's subnets exist in its EC2 model, as AWS does (its default VPC's),
    // and fails without security groups (AWS would use the VPC's default group).
    let subnet = moto_default_id(&moto.endpoint, "DescribeSubnets", "subnetId");
    let group = moto_default_id(&moto.endpoint, "DescribeSecurityGroups", "groupId");
    let network = format!("subnets: [{subnet}], securityGroups: [{group}]");
    bed.apply::<ECSTask>(&MIGRATE.replace("subnets: [subnet-0123456789abcdef0]", &network)).await;
    let api: Api<ECSTask> = Api::namespaced(bed.client.clone(), NS);
    let arn = bed
        .eventually("the task started on moto", || async {
            let status = api.get("migrate").await.ok()?.status?;
            let synced = status.common.conditions.as_ref()?.iter().find(|c| c.type_ == "Synced")?.clone();
            assert!(synced.reason != "Terminal", "moto rejected a request: {}", synced.message);
            let task = status.tasks.as_ref()?.first()?.clone();
            (status.phase == Some(TaskPhase::Running)).then_some(task.task_arn)
        })
        .await;
    let uid = api.get("migrate").await.expect("get").metadata.uid.expect("uid");
    let listed = bed
        .aws
        .list_tasks()
        .cluster("moto")
        .started_by(format!("ecs-operator/{uid}/1"))
        .send()
        .await
        .expect("list on moto");
    assert_eq!(listed.task_arns(), std::slice::from_ref(&arn), "one task, found by its startedBy");
    api.delete("migrate", &DeleteParams::default()).await.expect("delete");
    bed.eventually("the object gone", || async { api.get_opt("migrate").await.ok()?.is_none().then_some(()) }).await;
    let out = bed.aws.describe_tasks().cluster("moto").tasks(&arn).send().await.expect("describe on moto");
    assert_eq!(out.tasks()[0].desired_status(), Some("STOPPED"), "deleting the object stopped its task");
}

/// The first `tag` id in moto's EC2 answer to `action` (query protocol): its default VPC's
/// subnets and security groups.
fn moto_default_id(endpoint: &str, action: &str, tag: &str) -> String {
    let body = format!("Action={action}&Version=2016-11-15");
    let auth = "Authorization: AWS4-HMAC-SHA256 Credential=AKIDTEST/20240101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0\r\n";
    let answer = moto_request(endpoint, "/", "application/x-www-form-urlencoded", auth, &body);
    let id = answer.split(&format!("<{tag}>")).nth(1).and_then(|rest| rest.split('<').next());
    id.filter(|id| !id.is_empty())
        .unwrap_or_else(|| panic!("no {tag} in moto's answer to {action}: {answer}"))
        .to_owned()
}

/// One plain HTTP/1.1 POST to moto (`headers` are extra header lines, each ending in CRLF): its
/// whole answer, status line first.
fn moto_request(endpoint: &str, path: &str, content_type: &str, headers: &str, body: &str) -> String {
    use std::io::{Read, Write};
    let address = endpoint.trim_start_matches("http://");
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: {content_type}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = std::net::TcpStream::connect(address).expect("connect to moto");
    stream.write_all(request.as_bytes()).expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    answer
}

/// The events source's SQS requests against moto's SQS: the start-up check, the long-polled
/// receive and the batch delete, as the operator sends them through aws-sdk-sqs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moto_accepts_every_request_of_the_events_queue() {
    use aws_sdk_sqs::types::QueueAttributeName;
    use ecs_operator::events::envelope::{self, Reading, Target};

    let moto = Moto::start().await;
    let traffic = ecs_operator::aws::traffic::Traffic::new(100, std::sync::Arc::default());
    let sdk = ecs_operator::aws::simulator_config(&moto.endpoint, "us-east-1", &traffic);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let url = sqs.create_queue().queue_name("ecs-operator-events").send().await.expect("queue").queue_url.expect("url");
    let event = serde_json::json!({
        "version": "0", "id": "7bf73129-1428-4cd3-a780-95db273d1602", "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.ecs", "account": "123456789012", "time": "2026-12-07T06:00:00Z", "region": "us-east-1",
        "resources": [],
        "detail": {"eventSource": "ecs.amazonaws.com", "eventName": "UpdateService",
                   "requestParameters": {"cluster": "prod", "service": "web", "desiredCount": 5}},
    });
    for body in [event.to_string(), "not an event".to_owned()] {
        sqs.send_message().queue_url(&url).message_body(body).send().await.expect("send");
    }

    let queue = ecs_operator::aws::sqs::SdkQueue::shared(&sdk, &url);
    let arn = ecs_operator::events::check_queue(queue.as_ref()).await.expect("GetQueueAttributes");
    assert_eq!(arn, "arn:aws:sqs:us-east-1:123456789012:ecs-operator-events");
    let mut received = Vec::new();
    while received.len() < 2 {
        let batch = queue.receive().await.expect("ReceiveMessage");
        assert!(!batch.is_empty(), "moto returned nothing after a 20 s long poll");
        received.extend(batch);
    }
    let readings: Vec<Reading> =
        received.iter().filter_map(|m| envelope::parse(&m.body).ok()).map(|e| envelope::read(&e)).collect();
    let web = Target::Service { cluster: "prod".into(), service: "web".into() };
    assert_eq!(readings, vec![Reading::Names(vec![web])], "one event, one message that is not");
    let failed = queue.delete(received.into_iter().map(|m| m.receipt).collect()).await.expect("DeleteMessageBatch");
    assert_eq!(failed, 0);
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .expect("attributes")
        .attributes
        .unwrap_or_default();
    for left in
        [QueueAttributeName::ApproximateNumberOfMessages, QueueAttributeName::ApproximateNumberOfMessagesNotVisible]
    {
        assert_eq!(attributes.get(&left).map(String::as_str), Some("0"), "{left:?}: {attributes:?}");
    }
}
