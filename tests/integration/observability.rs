//! What an SRE reads: metric names and values after real reconciles, AWS request outcomes under
//! throttling, and per-object AWS targets (another region, an assumed role) as ecs-sim sees them.

use std::sync::Arc;

use crate::support::{Bed, NS, WEB_SVC as SVC, WEB_TD as TD};
use ecs_operator::crd::{ECSService, TaskDefinition};
use ecs_operator::metrics::Metrics;
use kube::api::Api;

/// The value of one sample line (`name{labels} value`) in the exposition text.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.trim().parse().ok())
}

async fn ready(bed: &Bed, name: &str) {
    let services: Api<ECSService> = Api::namespaced(bed.client.clone(), NS);
    bed.eventually("service Ready", || async {
        let svc = services.get(name).await.ok()?;
        let ready = svc.status?.common.conditions?.into_iter().find(|c| c.type_ == "Ready")?;
        (ready.status == "True").then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_after_reconciles_and_drift() {
    let metrics = Arc::new(Metrics::default());
    let bed = Bed::with_prod_cluster(metrics.clone()).await;
    bed.apply::<TaskDefinition>(TD).await;
    bed.apply::<ECSService>(SVC).await;
    ready(&bed, "web").await;
    let text = bed
        .eventually("gauges refreshed", || async {
            let text = metrics.encode();
            let series = r#"ecs_operator_objects{kind="ECSService",condition="Ready",status="True"}"#;
            (sample(&text, series) == Some(1.0)).then_some(text)
        })
        .await;
    assert!(metrics.is_ready(), "ready after the caches synced");
    let expect = |series: &str, check: &dyn Fn(f64) -> bool| {
        let value = sample(&text, series);
        assert!(value.is_some_and(check), "{series} = {value:?}\n{text}");
    };
    expect(
        r#"ecs_operator_aws_requests_total{service="ecs",operation="RegisterTaskDefinition",outcome="success"}"#,
        &|v| v == 1.0,
    );
    expect(r#"ecs_operator_aws_requests_total{service="ecs",operation="CreateService",outcome="success"}"#, &|v| {
        v == 1.0
    });
    expect(r#"ecs_operator_aws_requests_total{service="ecs",operation="DescribeServices",outcome="success"}"#, &|v| {
        v >= 1.0
    });
    expect(r#"ecs_operator_reconciles_total{kind="ECSService"}"#, &|v| v >= 1.0);
    expect(r#"ecs_operator_reconcile_duration_seconds_count{kind="TaskDefinition"}"#, &|v| v >= 1.0);
    expect(r#"ecs_operator_status_writes_total{kind="ECSService"}"#, &|v| v >= 1.0);
    expect(r#"ecs_operator_objects{kind="TaskDefinition",condition="Ready",status="True"}"#, &|v| v == 1.0);
    expect(r#"ecs_operator_objects{kind="ECSService",condition="Degraded",status="True"}"#, &|v| v == 0.0);
    expect(r#"ecs_operator_queue_depth{kind="ECSService"}"#, &|v| v >= 0.0);
    expect(r#"ecs_operator_leader"#, &|v| v == 0.0);

    // Out-of-band scale: detected and corrected once each.
    bed.sim.set_desired_count("prod", "web", 5).expect("out-of-band change");
    bed.eventually("drift corrected and counted", || async {
        let text = metrics.encode();
        let corrected = sample(&text, r#"ecs_operator_drift_corrected_total{kind="ECSService"}"#)?;
        let detected = sample(&text, r#"ecs_operator_drift_detected_total{kind="ECSService"}"#)?;
        (corrected == 1.0 && detected == 1.0).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_requests_are_counted_and_retried() {
    let metrics = Arc::new(Metrics::default());
    let bed = Bed::with_prod_cluster(metrics.clone()).await;
    // A burst of throttling on RegisterTaskDefinition: the operator backs off and gets through,
    // and the throttles are visible by operation.
    bed.sim.set_fault(ecs_sim::FaultSpec {
        operation: "RegisterTaskDefinition".into(),
        error_rate: 1.0,
        status: 400,
        error_type: "ThrottlingException".into(),
        message: "Rate exceeded".into(),
        latency_ms: 0,
        remaining: Some(4),
        throttle_rate: 0.0,
    });
    for i in 0..6 {
        bed.apply::<TaskDefinition>(&TD.replace("name: web\nspec", &format!("name: web{i}\nspec"))).await;
    }
    let tds: Api<TaskDefinition> = Api::namespaced(bed.client.clone(), NS);
    bed.eventually("every TaskDefinition registered despite throttling", || async {
        let all = tds.list(&Default::default()).await.ok()?;
        all.items.iter().all(|td| td.status.as_ref().is_some_and(|s| s.task_definition_arn.is_some())).then_some(())
    })
    .await;
    let text = metrics.encode();
    let throttled =
        r#"ecs_operator_aws_requests_total{service="ecs",operation="RegisterTaskDefinition",outcome="throttled"}"#;
    let succeeded =
        r#"ecs_operator_aws_requests_total{service="ecs",operation="RegisterTaskDefinition",outcome="success"}"#;
    assert!(sample(&text, throttled).is_some_and(|v| v >= 1.0), "{text}");
    assert_eq!(sample(&text, succeeded), Some(6.0), "one registration per object: {text}");
    // ecs-sim saw exactly what the counters say.
    let stats = bed.sim.stats();
    let op = &stats.operations["RegisterTaskDefinition"];
    assert_eq!(op.injected_errors as f64, sample(&text, throttled).unwrap_or_default());
    assert_eq!(stats.revisions_per_family.values().sum::<u32>(), 6, "no duplicate revisions");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_object_region_and_role_are_used() {
    let metrics = Arc::new(Metrics::default());
    let bed = Bed::with_prod_cluster(metrics.clone()).await;
    let role = "arn:aws:iam::222222222222:role/deployer";
    let target = format!("  aws:\n    region: eu-west-1\n    roleArn: {role}\n  requiresCompatibilities");
    bed.apply::<TaskDefinition>(&TD.replace("  requiresCompatibilities", &target)).await;
    let other = TD.replace("name: web\nspec", "name: other\nspec").replace("  requiresCompatibilities", &target);
    bed.apply::<TaskDefinition>(&other).await;
    bed.apply::<TaskDefinition>(&TD.replace("name: web\nspec", "name: home\nspec")).await;
    let tds: Api<TaskDefinition> = Api::namespaced(bed.client.clone(), NS);
    let arns = bed
        .eventually("all three registered", || async {
            let mut arns = Vec::new();
            for name in ["web", "other", "home"] {
                arns.push(tds.get(name).await.ok()?.status?.task_definition_arn?);
            }
            Some(arns)
        })
        .await;
    assert!(arns[0].starts_with("arn:aws:ecs:eu-west-1:222222222222:task-definition/"), "{arns:?}");
    assert!(arns[1].starts_with("arn:aws:ecs:eu-west-1:222222222222:task-definition/"), "{arns:?}");
    assert!(arns[2].starts_with("arn:aws:ecs:us-east-1:"), "the default target stays: {arns:?}");
    let stats = bed.sim.stats();
    let assumed = "arn:aws:sts::222222222222:assumed-role/deployer/ecs-operator";
    let calls = stats.callers.get(assumed).unwrap_or_else(|| panic!("no calls as {assumed}: {:?}", stats.callers));
    assert_eq!(calls.get("eu-west-1/RegisterTaskDefinition"), Some(&2), "{calls:?}");
    assert!(calls.keys().all(|k| k.starts_with("eu-west-1/")), "{calls:?}");
    assert_eq!(stats.callers["default"].get("us-east-1/RegisterTaskDefinition"), Some(&1), "{:?}", stats.callers);
    // Credentials are cached: one AssumeRole for both objects.
    let text = metrics.encode();
    assert_eq!(
        sample(&text, r#"ecs_operator_aws_requests_total{service="sts",operation="AssumeRole",outcome="success"}"#),
        Some(1.0),
        "{text}"
    );
}
