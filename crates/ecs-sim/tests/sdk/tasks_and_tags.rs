//! Tasks (list, describe, stop and replacement) and tags on every taggable resource.

use aws_sdk_ecs::types::DesiredStatus;

use crate::harness::{CLUSTER, code, env, tag};

#[tokio::test]
async fn stopped_task_is_replaced() {
    let env = env();
    env.cluster().await;
    let td = env.fargate_td("web", "nginx:1").await;
    env.fargate_service("web", &td, 2).await;
    env.after(60, "web").await;
    let tasks = env.ecs.list_tasks().cluster(CLUSTER).service_name("web").send().await.unwrap();
    let victim = tasks.task_arns()[0].clone();
    let out = env.ecs.stop_task().cluster(CLUSTER).task(&victim).reason("testing").send().await.unwrap();
    let task = out.task().unwrap();
    assert_eq!(task.desired_status(), Some("STOPPED"));
    assert_eq!(task.stopped_reason(), Some("testing"));
    assert_eq!(task.stop_code().map(|c| c.as_str()), Some("UserInitiated"));
    let svc = env.describe("web").await;
    assert_eq!((svc.running_count(), svc.pending_count()), (1, 1), "replacement launched at once");
    let svc = env.after(60, "web").await;
    assert_eq!(svc.running_count(), 2);
    let stopped = env.ecs.list_tasks().cluster(CLUSTER).desired_status(DesiredStatus::Stopped).send().await.unwrap();
    assert_eq!(stopped.task_arns(), std::slice::from_ref(&victim));
    let d = env.ecs.describe_tasks().cluster(CLUSTER).tasks(&victim).tasks("ffff").send().await.unwrap();
    assert_eq!(d.tasks()[0].last_status(), Some("STOPPED"));
    assert_eq!(d.tasks()[0].group(), Some("service:web"));
    assert_eq!(d.failures()[0].reason(), Some("MISSING"));
    let err = env.ecs.stop_task().cluster(CLUSTER).task("nope").send().await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"));
}

#[tokio::test]
async fn tags_on_clusters_services_and_task_definitions() {
    let env = env();
    env.cluster().await;
    let td = env.fargate_td("web", "nginx:1").await;
    let svc = env.fargate_service("web", &td, 0).await;
    let cluster_arn = svc.cluster_arn().unwrap().to_string();
    for arn in [cluster_arn.as_str(), svc.service_arn().unwrap(), td.as_str()] {
        env.ecs.tag_resource().resource_arn(arn).tags(tag("a", "1")).tags(tag("b", "2")).send().await.unwrap();
        env.ecs.untag_resource().resource_arn(arn).tag_keys("a").send().await.unwrap();
        let listed = env.ecs.list_tags_for_resource().resource_arn(arn).send().await.unwrap();
        let keys: Vec<_> = listed.tags().iter().filter_map(|t| t.key()).collect();
        assert_eq!(keys, vec!["b"], "{arn}");
    }
    let err = env
        .ecs
        .tag_resource()
        .resource_arn("arn:aws:ecs:us-east-1:123456789012:cluster/ghost")
        .tags(tag("a", "1"))
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_cluster_not_found_exception());
    let err = env
        .ecs
        .list_tags_for_resource()
        .resource_arn("arn:aws:ecs:us-east-1:123456789012:service/test/ghost")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("ResourceNotFoundException"));
    let err =
        env.ecs.tag_resource().resource_arn(&cluster_arn).tags(tag("aws:reserved", "x")).send().await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"));
}
