//! The events source end to end: ecs-sim delivers ECS events (EventBridge envelopes) to its
//! SQS queue and the operator reads them through aws-sdk-sqs. The safety-net poll is set far
//! longer than the checks wait, so what is found in seconds was found through an event.

use std::sync::Arc;
use std::time::Duration;

use ecs_operator::crd::{ECSService, TaskDefinition};
use ecs_operator::metrics::Metrics;
use kube::api::Api;

use crate::service::{SVC, TD};
use crate::support::{Bed, NS};

const CLUSTER: &str = "prod";
/// Long enough that no poll happens while a check waits for an event's effect.
const NO_POLL: Duration = Duration::from_secs(600);
/// How long a change may take to show through an event (EventBridge and SQS add seconds in
/// AWS; ecs-sim's queue adds none without faults).
const BY_EVENT: Duration = Duration::from_secs(15);

/// ecs-sim at 50× with an events queue and cluster `prod`; the operator reading the queue,
/// polling steady objects every `safety_net`.
async fn bed(faults: ecs_sim::EventFaults, safety_net: Duration) -> (Bed, Arc<Metrics>) {
    let mut sim = ecs_sim::SimConfig::for_tests();
    sim.clock = ecs_sim::ClockMode::Scaled { speed: 50.0 };
    sim.events_queue = Some("ecs-operator-events".into());
    let mut bed = Bed::start_with(sim).await;
    bed.sim.set_event_faults(faults);
    bed.aws.create_cluster().cluster_name(CLUSTER).send().await.expect("cluster");
    let metrics = Arc::new(Metrics::default());
    let mut config = Bed::operator_config().with_events();
    config.service_poll_interval = safety_net;
    config.resync_interval = safety_net;
    config.task_definition_list_interval = safety_net;
    config.rollout_poll_interval = Duration::from_millis(200);
    config.metrics = metrics.clone();
    bed.start_operator_with_events(config).await;
    (bed, metrics)
}

/// Applies the TaskDefinition and the service, whose cluster is named as `cluster` says (a name
/// or an ARN: an event names it by name either way), and waits until the service is Ready.
async fn ready(bed: &Bed, cluster: &str) -> (ECSService, TaskDefinition) {
    bed.apply::<TaskDefinition>(TD).await;
    bed.apply::<ECSService>(&SVC.replace("cluster: prod", &format!("cluster: {cluster}"))).await;
    let services: Api<ECSService> = Api::namespaced(bed.client.clone(), NS);
    let svc = bed
        .eventually("web Ready", || async {
            let svc = services.get("web").await.ok()?;
            let ready = svc
                .status
                .as_ref()?
                .common
                .conditions
                .as_ref()?
                .iter()
                .any(|c| c.type_ == "Ready" && c.status == "True");
            ready.then_some(svc)
        })
        .await;
    let tds: Api<TaskDefinition> = Api::namespaced(bed.client.clone(), NS);
    let td = tds.get("web").await.expect("task definition");
    (svc, td)
}

async fn desired_count(bed: &Bed) -> Option<i32> {
    let out = bed.aws.describe_services().cluster(CLUSTER).services("web").send().await.ok()?;
    Some(out.services().first()?.desired_count())
}

/// A sample line's value in the Prometheus text, 0 when absent.
fn metric(metrics: &Metrics, line_prefix: &str) -> f64 {
    metrics
        .encode()
        .lines()
        .find_map(|l| l.strip_prefix(line_prefix).and_then(|v| v.trim().parse().ok()))
        .unwrap_or(0.0)
}

#[tokio::test]
async fn out_of_band_changes_are_found_through_their_events() {
    let (bed, metrics) = bed(ecs_sim::EventFaults::default(), NO_POLL).await;
    let (_, td) = ready(&bed, "arn:aws:ecs:us-east-1:123456789012:cluster/prod").await;

    // An out-of-band UpdateService: its CloudTrail event makes the operator describe the
    // service at once and put the count back (driftPolicy Correct), once.
    let updates_before = bed.calls("UpdateService");
    bed.aws.update_service().cluster(CLUSTER).service("web").desired_count(5).send().await.expect("update");
    bed.eventually_within("desiredCount put back through the event", BY_EVENT, || async {
        (desired_count(&bed).await? == 3).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(bed.calls("UpdateService"), updates_before + 2, "one out-of-band update, one correction");
    let triggered = r#"ecs_operator_events_received_total{detail_type="api_call",outcome="triggered"} "#;
    assert!(metric(&metrics, triggered) >= 1.0, "{}", metrics.encode());
    assert!(metric(&metrics, r#"ecs_operator_event_lag_seconds_count{kind="ECSService"} "#) >= 1.0);

    // The revision deregistered out of band: the TaskDefinition registers it again (its
    // default driftPolicy) well before any poll would have looked.
    let revision = td.status.as_ref().and_then(|s| s.revision).expect("revision");
    let arn = td.status.as_ref().and_then(|s| s.task_definition_arn.clone()).expect("arn");
    bed.aws.deregister_task_definition().task_definition(&arn).send().await.expect("deregister");
    let tds: Api<TaskDefinition> = Api::namespaced(bed.client.clone(), NS);
    bed.eventually_within("the revision registered again through the event", BY_EVENT, || async {
        let td = tds.get("web").await.ok()?;
        (td.status?.revision? > revision).then_some(())
    })
    .await;
    let stats = bed.sim.event_stats();
    assert_eq!(stats.lost, 0);
    assert!(stats.delivered >= 2, "{stats:?}");
}

#[tokio::test]
async fn lost_events_are_found_by_the_safety_net_and_duplicates_correct_once() {
    // Every event lost: only the safety-net poll (every 3 s here) can find the change.
    let lossy = ecs_sim::EventFaults { loss: 1.0, ..Default::default() };
    let (bed, metrics) = bed(lossy, Duration::from_secs(3)).await;
    ready(&bed, CLUSTER).await;
    bed.aws.update_service().cluster(CLUSTER).service("web").desired_count(5).send().await.expect("update");
    bed.eventually("desiredCount put back by the safety-net poll", || async {
        (desired_count(&bed).await? == 3).then_some(())
    })
    .await;
    assert!(bed.sim.event_stats().lost >= 1);
    assert_eq!(
        metric(&metrics, r#"ecs_operator_events_received_total{detail_type="api_call",outcome="triggered"} "#),
        0.0
    );

    // Every event twice, out of order: the change is corrected once.
    let noisy = ecs_sim::EventFaults { duplicate: 1.0, reorder: true, reorder_window_ms: 500, ..Default::default() };
    bed.sim.set_event_faults(noisy);
    let updates_before = bed.calls("UpdateService");
    bed.aws.update_service().cluster(CLUSTER).service("web").desired_count(4).send().await.expect("update");
    bed.eventually("desiredCount put back", || async { (desired_count(&bed).await? == 3).then_some(()) }).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(bed.calls("UpdateService"), updates_before + 2, "one out-of-band update, one correction");
    assert!(bed.sim.event_stats().duplicated >= 1);
}
