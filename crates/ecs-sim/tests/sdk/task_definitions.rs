//! Task definitions: AWS's defaults on describe, revisions, Fargate rules, lifecycle,
//! listing.

use std::time::Duration;

use aws_sdk_ecs::types::{
    Compatibility, NetworkMode, SortOrder, TaskDefinitionFamilyStatus, TaskDefinitionField, TaskDefinitionStatus,
};

use crate::harness::{code, env, mk_container, tag};

fn fargate(
    env: &crate::harness::Env,
    cpu: &str,
    memory: &str,
) -> aws_sdk_ecs::operation::register_task_definition::builders::RegisterTaskDefinitionFluentBuilder {
    env.ecs
        .register_task_definition()
        .family("sized")
        .requires_compatibilities(Compatibility::Fargate)
        .network_mode(NetworkMode::Awsvpc)
        .cpu(cpu)
        .memory(memory)
        .container_definitions(mk_container("app", "nginx:1"))
}

#[tokio::test]
async fn register_fills_aws_defaults() {
    let env = env();
    let out = env
        .ecs
        .register_task_definition()
        .family("web")
        .requires_compatibilities(Compatibility::Fargate)
        .network_mode(NetworkMode::Awsvpc)
        .cpu("0.25 vCPU")
        .memory("512")
        .container_definitions(mk_container("app", "nginx:1"))
        .tags(tag("owner", "x"))
        .send()
        .await
        .unwrap();
    let td = out.task_definition().unwrap();
    assert_eq!(td.revision(), 1);
    assert_eq!(td.task_definition_arn(), Some("arn:aws:ecs:us-east-1:123456789012:task-definition/web:1"));
    assert_eq!(td.cpu(), Some("256"), "units normalised");
    assert_eq!(td.status().map(|s| s.as_str()), Some("ACTIVE"));
    assert!(td.registered_at().is_some());
    assert_eq!(td.compatibilities(), &[Compatibility::Ec2, Compatibility::Fargate]);
    assert!(td.requires_attributes().iter().any(|a| a.name() == "ecs.capability.task-eni"));
    let c = &td.container_definitions()[0];
    assert_eq!(c.essential(), Some(true));
    assert_eq!(c.cpu(), 0);
    assert_eq!(c.port_mappings()[0].host_port(), Some(80), "hostPort = containerPort under awsvpc");
    assert_eq!(c.port_mappings()[0].protocol().map(|p| p.as_str()), Some("tcp"));
    assert!(c.environment().is_empty() && c.mount_points().is_empty() && c.volumes_from().is_empty());

    let again = env.fargate_td("web", "nginx:2").await;
    assert!(again.ends_with("web:2"));
    let described = env
        .ecs
        .describe_task_definition()
        .task_definition("web:1")
        .include(TaskDefinitionField::Tags)
        .send()
        .await
        .unwrap();
    assert_eq!(described.tags()[0].key(), Some("owner"));
    let latest = env.ecs.describe_task_definition().task_definition("web").send().await.unwrap();
    assert_eq!(latest.task_definition().unwrap().revision(), 2);
}

#[tokio::test]
async fn fargate_sizes_follow_the_table() {
    let env = env();
    for (cpu, mem) in [
        ("256", "512"),
        ("1024", "8192"),
        ("8192", "16384"),
        ("8192", "61440"),
        ("16384", "122880"),
        ("16 vCPU", "32 GB"),
    ] {
        fargate(&env, cpu, mem).send().await.unwrap_or_else(|e| panic!("{cpu}/{mem}: {e:?}"));
    }
    for (cpu, mem) in [("256", "4096"), ("8192", "18432"), ("16384", "16384"), ("300", "512")] {
        let err = fargate(&env, cpu, mem).send().await.unwrap_err();
        assert_eq!(code(&err).as_deref(), Some("ClientException"), "{cpu}/{mem}");
    }
}

#[tokio::test]
async fn validation_matches_aws() {
    let env = env();
    let err = fargate(&env, "256", "512").network_mode(NetworkMode::Bridge).send().await.unwrap_err();
    assert!(err.into_service_error().is_client_exception());
    let mut too_many = env.ecs.register_task_definition().family("big").memory("512");
    for i in 0..11 {
        too_many = too_many.container_definitions(mk_container(&format!("c{i}"), "nginx"));
    }
    let err = too_many.send().await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("ClientException"));
    let err = env
        .ecs
        .register_task_definition()
        .family("dup")
        .memory("512")
        .container_definitions(mk_container("a", "nginx"))
        .container_definitions(mk_container("a", "nginx"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("ClientException"));
    let err = env
        .ecs
        .register_task_definition()
        .family("nomem")
        .container_definitions(mk_container("a", "nginx"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("ClientException"));
    let err = env.ecs.describe_task_definition().task_definition("ghost:1").send().await.unwrap_err();
    assert!(err.into_service_error().is_client_exception());
}

#[tokio::test]
async fn deregister_then_delete() {
    let env = env();
    env.fargate_td("app", "nginx:1").await;
    env.fargate_td("app", "nginx:2").await;
    let err = env.ecs.delete_task_definitions().task_definitions("app:1").send().await.unwrap();
    assert_eq!(err.failures().len(), 1, "ACTIVE revisions cannot be deleted");
    let out = env.ecs.deregister_task_definition().task_definition("app:1").send().await.unwrap();
    assert_eq!(out.task_definition().unwrap().status(), Some(&TaskDefinitionStatus::Inactive));
    let out = env.ecs.delete_task_definitions().task_definitions("app:1").send().await.unwrap();
    assert_eq!(out.task_definitions()[0].status(), Some(&TaskDefinitionStatus::DeleteInProgress));
    let listed = env.ecs.list_task_definitions().status(TaskDefinitionStatus::DeleteInProgress).send().await.unwrap();
    assert_eq!(listed.task_definition_arns().len(), 1);
    env.sim.advance(Duration::from_secs(120));
    let err = env.ecs.describe_task_definition().task_definition("app:1").send().await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("ClientException"));
    let next = env.fargate_td("app", "nginx:3").await;
    assert!(next.ends_with("app:3"), "revision numbers are never reused");
}

#[tokio::test]
async fn listing_filters_sorts_and_paginates() {
    let env = env();
    for _ in 0..5 {
        env.fargate_td("alpha", "nginx").await;
    }
    env.fargate_td("beta", "nginx").await;
    env.ecs.deregister_task_definition().task_definition("beta:1").send().await.unwrap();

    let desc = env
        .ecs
        .list_task_definitions()
        .family_prefix("alpha")
        .sort(SortOrder::Desc)
        .max_results(2)
        .send()
        .await
        .unwrap();
    assert!(desc.task_definition_arns()[0].ends_with("alpha:5"));
    let mut all = desc.task_definition_arns().to_vec();
    let mut token = desc.next_token().map(str::to_string);
    while let Some(t) = token {
        let page = env
            .ecs
            .list_task_definitions()
            .family_prefix("alpha")
            .sort(SortOrder::Desc)
            .max_results(2)
            .next_token(t)
            .send()
            .await
            .unwrap();
        all.extend(page.task_definition_arns().iter().cloned());
        token = page.next_token().map(str::to_string);
    }
    assert_eq!(all.len(), 5);

    let active = env.ecs.list_task_definition_families().send().await.unwrap();
    assert_eq!(active.families(), &["alpha".to_string()]);
    let inactive =
        env.ecs.list_task_definition_families().status(TaskDefinitionFamilyStatus::Inactive).send().await.unwrap();
    assert_eq!(inactive.families(), &["beta".to_string()]);
    let prefixed = env
        .ecs
        .list_task_definition_families()
        .family_prefix("be")
        .status(TaskDefinitionFamilyStatus::All)
        .send()
        .await
        .unwrap();
    assert_eq!(prefixed.families(), &["beta".to_string()]);
    assert_eq!(env.sim.stats().revisions_per_family.get("alpha"), Some(&5));
}
