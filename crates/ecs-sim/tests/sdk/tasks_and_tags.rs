//! Tasks (list, describe, stop and replacement) and tags on every taggable resource.

use aws_sdk_ecs::error::ProvideErrorMetadata;
use aws_sdk_ecs::types::{DesiredStatus, LaunchType, ServiceField};

use crate::harness::{CLUSTER, code, env, network, tag};

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

#[tokio::test]
async fn service_tags_follow_tag_and_untag_in_describe_services() {
    let env = env();
    env.cluster().await;
    let td = env.fargate_td("web", "nginx:1").await;
    let created = env
        .ecs
        .create_service()
        .cluster(CLUSTER)
        .service_name("web")
        .task_definition(&td)
        .desired_count(0)
        .launch_type(LaunchType::Fargate)
        .network_configuration(network())
        .tags(tag("team", "a"))
        .send()
        .await
        .unwrap();
    let arn = created.service().unwrap().service_arn().unwrap().to_string();
    let described_tags = || async {
        let out = env
            .ecs
            .describe_services()
            .cluster(CLUSTER)
            .services("web")
            .include(ServiceField::Tags)
            .send()
            .await
            .unwrap();
        let mut tags: Vec<String> =
            out.services()[0].tags().iter().map(|t| format!("{}={}", t.key().unwrap(), t.value().unwrap())).collect();
        tags.sort();
        tags
    };
    assert_eq!(described_tags().await, ["team=a"]);
    let plain = env.describe("web").await;
    assert!(plain.tags().is_empty(), "tags only with include TAGS");

    env.ecs.tag_resource().resource_arn(&arn).tags(tag("team", "b")).tags(tag("env", "dev")).send().await.unwrap();
    assert_eq!(described_tags().await, ["env=dev", "team=b"], "TagResource adds and overwrites");
    env.ecs.untag_resource().resource_arn(&arn).tag_keys("team").send().await.unwrap();
    assert_eq!(described_tags().await, ["env=dev"]);
    let listed = env.ecs.list_tags_for_resource().resource_arn(&arn).send().await.unwrap();
    assert_eq!(listed.tags().len(), 1);

    let short = "arn:aws:ecs:us-east-1:123456789012:service/web";
    let err = env.ecs.tag_resource().resource_arn(short).tags(tag("a", "1")).send().await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"), "short service ARN");
    let err = env.ecs.list_tags_for_resource().resource_arn(short).send().await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"));
}

#[tokio::test]
async fn tag_calls_on_a_deleted_cluster_are_refused() {
    let env = env();
    let out = env.ecs.create_cluster().cluster_name("gone").tags(tag("a", "1")).send().await.unwrap();
    let arn = out.cluster().unwrap().cluster_arn().unwrap().to_string();
    env.ecs.delete_cluster().cluster("gone").send().await.unwrap();
    let err = env.ecs.tag_resource().resource_arn(&arn).tags(tag("b", "2")).send().await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"));
    assert_eq!(err.message(), Some("The specified cluster is inactive. Specify an active cluster and try again."));
    let err = env.ecs.list_tags_for_resource().resource_arn(&arn).send().await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"));
}
