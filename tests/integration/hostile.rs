//! Hostile AWS responses: ecs-sim edits its answers on the wire (required members missing,
//! enum values newer than the SDK, huge lists, members of the wrong type). The operator must
//! not crash or stall (other objects keep reconciling, and the service recovers once the
//! answers are sane again), must never report Ready on an answer it cannot vouch for, and must
//! say what is wrong in a condition; memory and status size stay bounded.

use crate::support::{Bed, NS, WEB_SVC as SVC, WEB_TD as TD};
use ecs_operator::crd::{ECSCluster, ECSService, TaskDefinition};
use ecs_sim::Mutation;
use kube::api::Api;
use serde_json::json;

/// (status, reason, message) of a condition.
type Cond = (String, String, String);

fn find(conditions: Option<&Vec<k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition>>, t: &str) -> Option<Cond> {
    let c = conditions?.iter().find(|c| c.type_ == t)?;
    Some((c.status.clone(), c.reason.clone(), c.message.clone()))
}

fn service_condition(svc: &ECSService, t: &str) -> Option<Cond> {
    find(svc.status.as_ref()?.common.conditions.as_ref(), t)
}

async fn bed() -> Bed {
    let bed = Bed::with_prod_cluster(Default::default()).await;
    bed.apply::<TaskDefinition>(TD).await;
    bed.apply::<ECSService>(SVC).await;
    service_ready(&bed).await;
    bed
}

async fn service(bed: &Bed) -> Option<ECSService> {
    Api::<ECSService>::namespaced(bed.client.clone(), NS).get("web").await.ok()
}

async fn service_ready(bed: &Bed) {
    bed.eventually("service Ready", || async {
        let svc = service(bed).await?;
        service_condition(&svc, "Ready").filter(|c| c.0 == "True")
    })
    .await;
}

/// Waits for the service's conditions to satisfy `expected` while `operation` answers with
/// `mutations`, asserting on every observation that Ready is not True once the operator has
/// seen a hostile answer; then proves the controllers still reconcile a new object, and that
/// the service comes back to Ready when the answers are sane again.
async fn hostile_case(
    bed: &Bed,
    probe: &str,
    operation: &str,
    mutations: Vec<Mutation>,
    expected: impl Fn(&Cond, &Cond) -> bool,
) -> (Cond, Cond) {
    let seen_before = bed.calls(operation);
    bed.sim.set_response_mutations(operation, mutations).expect("mutations accepted");
    let found = bed
        .eventually(&format!("{probe}: the hostile {operation} answer reported"), || async {
            let svc = service(bed).await?;
            let (ready, synced) = (service_condition(&svc, "Ready")?, service_condition(&svc, "Synced")?);
            expected(&ready, &synced).then_some((ready, synced))
        })
        .await;
    assert!(bed.calls(operation) > seen_before, "{probe}: the operator asked again");
    assert_ne!(found.0.0, "True", "{probe}: Ready on a hostile answer: {found:?}");
    // A panic would have ended the controllers: a new object is still reconciled.
    let td = TD.replace("name: web\nspec", &format!("name: {probe}\nspec"));
    bed.apply::<TaskDefinition>(&td).await;
    bed.eventually(&format!("{probe}: another object reconciled"), || async {
        let td = Api::<TaskDefinition>::namespaced(bed.client.clone(), NS).get(probe).await.ok()?;
        find(td.status.as_ref()?.common.conditions.as_ref(), "Ready").filter(|c| c.0 == "True")
    })
    .await;
    bed.sim.clear_response_mutations();
    service_ready(bed).await;
    found
}

fn says(cond: &Cond, words: &[&str]) -> bool {
    words.iter().all(|w| cond.1.contains(w) || cond.2.contains(w))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_required_members_are_reported() {
    let bed = bed().await;
    // No deployments at all: there is nothing to be Ready on.
    let (ready, _) = hostile_case(
        &bed,
        "no-deployments",
        "DescribeServices",
        vec![Mutation::remove("services.*.deployments")],
        |ready, _| ready.0 == "False" && ready.1 == "NoDeployment",
    )
    .await;
    assert!(ready.2.contains("PRIMARY"), "{ready:?}");
    // No service status: the operator cannot tell ACTIVE from DRAINING.
    let (ready, _) =
        hostile_case(&bed, "no-status", "DescribeServices", vec![Mutation::remove("services.*.status")], |ready, _| {
            ready.0 == "False" && says(ready, &["status"])
        })
        .await;
    assert!(ready.2.contains("no status"), "{ready:?}");
    // No task definition on the service or its deployments: a broken answer, not drift to
    // correct with a write.
    let updates = bed.calls("UpdateService");
    let (_, synced) = hostile_case(
        &bed,
        "no-task-definition",
        "DescribeServices",
        vec![
            Mutation::remove("services.*.taskDefinition"),
            Mutation::remove("services.*.deployments.*.taskDefinition"),
        ],
        |_, synced| synced.0 == "False" && says(synced, &["MalformedResponse", "taskDefinition"]),
    )
    .await;
    assert!(says(&synced, &["DescribeServices"]), "{synced:?}");
    assert_eq!(bed.calls("UpdateService"), updates, "no write on a broken answer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_enum_values_are_named() {
    let bed = bed().await;
    let (ready, _) = hostile_case(
        &bed,
        "exploding",
        "DescribeServices",
        vec![Mutation::set("services.*.status", json!("EXPLODING"))],
        |ready, _| ready.0 == "False" && ready.2.contains("EXPLODING"),
    )
    .await;
    assert_eq!(ready.1, "ServiceNotActive", "{ready:?}");
    let (ready, _) = hostile_case(
        &bed,
        "weird-rollout",
        "DescribeServices",
        vec![Mutation::set("services.*.deployments.*.rolloutState", json!("WEIRD"))],
        |ready, _| ready.0 == "False" && ready.2.contains("WEIRD"),
    )
    .await;
    assert_eq!(ready.1, "UnknownRolloutState", "{ready:?}");
    // A launch type the CRD cannot express: drift cannot be judged, so the sync fails, naming
    // the field and the value, and nothing is written over it.
    let updates = bed.calls("UpdateService");
    let (_, synced) = hostile_case(
        &bed,
        "quantum",
        "DescribeServices",
        vec![Mutation::set("services.*.launchType", json!("QUANTUM"))],
        |_, synced| synced.0 == "False" && synced.2.contains("QUANTUM"),
    )
    .await;
    assert!(says(&synced, &["MalformedResponse", "spec.launchType"]), "{synced:?}");
    assert_eq!(bed.calls("UpdateService"), updates, "no write on an answer the operator cannot read");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_lists_stay_bounded() {
    let bed = bed().await;
    let rss_before = rss_mib();
    let old = json!({"id": "ecs-svc/old", "status": "ACTIVE", "taskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/web:0",
        "desiredCount": 0, "pendingCount": 0, "runningCount": 1, "failedTasks": 0, "rolloutState": "COMPLETED"});
    let event = json!({"id": "e", "createdAt": 1.0e9, "message": "(service web) has reached a steady state."});
    let (ready, _) = hostile_case(
        &bed,
        "huge-lists",
        "DescribeServices",
        vec![
            Mutation::grow("services.*.deployments", 10_000, Some(old)),
            Mutation::grow("services.*.events", 10_000, Some(event)),
        ],
        |ready, _| ready.0 == "False" && ready.1 == "Draining",
    )
    .await;
    assert!(ready.2.contains("9999 older deployment"), "{ready:?}");
    // While the lists were huge the status stayed small (it is written on every change).
    bed.sim
        .set_response_mutations(
            "DescribeServices",
            vec![Mutation::grow(
                "services.*.deployments",
                10_000,
                Some(json!({"id": "x", "status": "ACTIVE", "taskDefinition": "t", "rolloutState": "COMPLETED"})),
            )],
        )
        .expect("mutations");
    let status = bed
        .eventually("status with the huge answer", || async {
            let svc = service(&bed).await?;
            service_condition(&svc, "Ready").filter(|c| c.1 == "Draining")?;
            svc.status
        })
        .await;
    let deployments = status.deployments.as_ref().map_or(0, Vec::len);
    assert!((1..=10).contains(&deployments), "status keeps a bounded number of deployments: {deployments}");
    assert!(status.events.as_ref().map_or(0, Vec::len) <= 5);
    let size = serde_json::to_vec(&status).expect("status JSON").len();
    assert!(size < 16 * 1024, "status is {size} bytes");
    bed.sim.clear_response_mutations();
    service_ready(&bed).await;
    let grown = rss_mib().saturating_sub(rss_before);
    assert!(grown < 512, "memory grew by {grown} MiB");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_types_are_malformed_responses() {
    let bed = bed().await;
    let (_, synced) = hostile_case(
        &bed,
        "count-as-text",
        "DescribeServices",
        vec![Mutation::set("services.*.desiredCount", json!("three"))],
        |_, synced| synced.0 == "False" && says(synced, &["DescribeServices"]),
    )
    .await;
    assert!(synced.2.to_lowercase().contains("malformed"), "{synced:?}");
    let (_, synced) = hostile_case(
        &bed,
        "deployments-as-text",
        "DescribeServices",
        vec![Mutation::set("services.*.deployments", json!("many"))],
        |_, synced| synced.0 == "False" && says(synced, &["DescribeServices"]),
    )
    .await;
    assert!(synced.2.to_lowercase().contains("malformed"), "{synced:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_cluster_and_task_definition_answers() {
    let bed = bed().await;
    // A cluster whose status is newer than the SDK: the ECSCluster is not Ready and says why.
    bed.sim
        .set_response_mutation("DescribeClusters", Mutation::set("clusters.*.status", json!("MELTING")))
        .expect("mutation");
    bed.apply::<ECSCluster>(
        "apiVersion: ecs.operator.dev/v1alpha1\nkind: ECSCluster\nmetadata: {name: prod}\nspec: {adopt: true}\n",
    )
    .await;
    let ready = bed
        .eventually("ECSCluster not Ready on MELTING", || async {
            let c = Api::<ECSCluster>::namespaced(bed.client.clone(), NS).get("prod").await.ok()?;
            find(c.status.as_ref()?.common.conditions.as_ref(), "Ready").filter(|c| c.2.contains("MELTING"))
        })
        .await;
    assert_eq!(ready.0, "False", "{ready:?}");
    bed.sim.clear_response_mutations();
    // A task definition answer with a container of the wrong shape: Synced=False, named.
    bed.sim
        .set_response_mutation(
            "DescribeTaskDefinition",
            Mutation::set("taskDefinition.containerDefinitions", json!([{"name": 7}])),
        )
        .expect("mutation");
    bed.apply::<TaskDefinition>(&TD.replace("nginx:1", "nginx:2")).await;
    let synced = bed
        .eventually("TaskDefinition Synced=False", || async {
            let td = Api::<TaskDefinition>::namespaced(bed.client.clone(), NS).get("web").await.ok()?;
            find(td.status.as_ref()?.common.conditions.as_ref(), "Synced").filter(|c| c.0 == "False")
        })
        .await;
    assert!(says(&synced, &["DescribeTaskDefinition"]), "{synced:?}");
    bed.sim.clear_response_mutations();
    service_ready(&bed).await;
}

/// Resident memory of this test process (operator, kube-sim and ecs-sim all live here).
fn rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(0, |kib| kib / 1024)
}
