//! Clusters: include options, failures for unknown names, settings, capacity providers,
//! pagination, delete rules.

use aws_sdk_ecs::types::{
    CapacityProviderStrategyItem, ClusterConfiguration, ClusterField, ClusterServiceConnectDefaultsRequest,
    ClusterSetting, ClusterSettingName, ExecuteCommandConfiguration, ExecuteCommandLogging,
};

use crate::harness::{CLUSTER, code, env, tag};

#[tokio::test]
async fn describe_reports_includes_and_missing_clusters() {
    let env = env();
    env.ecs.create_cluster().cluster_name("prod").tags(tag("team", "a")).send().await.unwrap();
    let out = env
        .ecs
        .describe_clusters()
        .clusters("prod")
        .clusters("nope")
        .include(ClusterField::Tags)
        .include(ClusterField::Settings)
        .include(ClusterField::Statistics)
        .send()
        .await
        .unwrap();
    let c = &out.clusters()[0];
    assert_eq!(c.cluster_name(), Some("prod"));
    assert_eq!(c.status(), Some("ACTIVE"));
    assert_eq!(c.tags()[0].key(), Some("team"));
    assert_eq!(c.settings()[0].value(), Some("disabled"));
    assert!(c.statistics().iter().any(|s| s.name() == Some("runningFargateTasksCount")));
    let f = &out.failures()[0];
    assert_eq!(f.reason(), Some("MISSING"));
    assert_eq!(f.arn(), Some("arn:aws:ecs:us-east-1:123456789012:cluster/nope"));

    let plain = env.ecs.describe_clusters().clusters("prod").send().await.unwrap();
    assert!(plain.clusters()[0].tags().is_empty(), "tags only with include TAGS");
}

#[tokio::test]
async fn create_is_idempotent_and_settings_update() {
    let env = env();
    let a = env.ecs.create_cluster().cluster_name("c").send().await.unwrap();
    let b = env.ecs.create_cluster().cluster_name("c").send().await.unwrap();
    assert_eq!(a.cluster().unwrap().cluster_arn(), b.cluster().unwrap().cluster_arn());
    let setting = ClusterSetting::builder().name(ClusterSettingName::ContainerInsights).value("enabled").build();
    let out = env.ecs.update_cluster_settings().cluster("c").settings(setting).send().await.unwrap();
    assert_eq!(out.cluster().unwrap().settings()[0].value(), Some("enabled"));
    let bad = ClusterSetting::builder().name(ClusterSettingName::ContainerInsights).value("sometimes").build();
    let err = env.ecs.update_cluster().cluster("c").settings(bad).send().await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"));
    let err = env.ecs.update_cluster().cluster("missing").send().await.unwrap_err();
    assert!(err.into_service_error().is_cluster_not_found_exception());
}

#[tokio::test]
async fn capacity_providers_are_checked() {
    let env = env();
    env.cluster().await;
    let fargate = CapacityProviderStrategyItem::builder().capacity_provider("FARGATE").weight(1).build().unwrap();
    let out = env
        .ecs
        .put_cluster_capacity_providers()
        .cluster(CLUSTER)
        .capacity_providers("FARGATE")
        .capacity_providers("FARGATE_SPOT")
        .default_capacity_provider_strategy(fargate.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(out.cluster().unwrap().capacity_providers().len(), 2);
    let err = env
        .ecs
        .put_cluster_capacity_providers()
        .cluster(CLUSTER)
        .capacity_providers("NOPE")
        .set_default_capacity_provider_strategy(Some(vec![]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"));

    let asg = aws_sdk_ecs::types::AutoScalingGroupProvider::builder()
        .auto_scaling_group_arn(
            "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:x:autoScalingGroupName/asg",
        )
        .build()
        .unwrap();
    env.ecs.create_capacity_provider().name("asg-cp").auto_scaling_group_provider(asg).send().await.unwrap();
    let described = env.ecs.describe_capacity_providers().capacity_providers("asg-cp").send().await.unwrap();
    assert_eq!(described.capacity_providers()[0].status().map(|s| s.as_str()), Some("ACTIVE"));
    env.ecs.delete_capacity_provider().capacity_provider("asg-cp").send().await.unwrap();
}

#[tokio::test]
async fn list_paginates() {
    let env = env();
    for i in 0..7 {
        env.ecs.create_cluster().cluster_name(format!("c{i}")).send().await.unwrap();
    }
    let mut arns = vec![];
    let mut token = None;
    loop {
        let out = env.ecs.list_clusters().max_results(3).set_next_token(token).send().await.unwrap();
        assert!(out.cluster_arns().len() <= 3);
        arns.extend(out.cluster_arns().iter().cloned());
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(arns.len(), 7);
}

#[tokio::test]
async fn delete_refused_while_services_are_active() {
    let env = env();
    env.cluster().await;
    let td = env.fargate_td("web", "nginx:1").await;
    env.fargate_service("web", &td, 1).await;
    let err = env.ecs.delete_cluster().cluster(CLUSTER).send().await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("ClusterContainsServicesException"));
    assert!(err.into_service_error().is_cluster_contains_services_exception());

    env.ecs.delete_service().cluster(CLUSTER).service("web").force(true).send().await.unwrap();
    let err = env.ecs.delete_cluster().cluster(CLUSTER).send().await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("ClusterContainsServicesException"), "DRAINING still counts");
    env.sim.advance(std::time::Duration::from_secs(120));
    let out = env.ecs.delete_cluster().cluster(CLUSTER).send().await.unwrap();
    assert_eq!(out.cluster().unwrap().status(), Some("INACTIVE"));
    let arn = out.cluster().unwrap().cluster_arn().unwrap().to_string();
    let err = env.ecs.create_service().cluster(CLUSTER).service_name("late").task_definition(&td).send().await;
    assert!(err.unwrap_err().into_service_error().is_cluster_not_found_exception(), "INACTIVE takes no services");

    // Like AWS, a deleted cluster stays discoverable for a while: listed and described as
    // INACTIVE for a simulated hour, then forgotten.
    env.sim.advance(std::time::Duration::from_secs(3599));
    let listed = env.ecs.list_clusters().send().await.unwrap();
    assert_eq!(listed.cluster_arns(), [arn.as_str()]);
    let described = env.ecs.describe_clusters().clusters(CLUSTER).send().await.unwrap();
    assert_eq!(described.clusters()[0].status(), Some("INACTIVE"));
    env.sim.advance(std::time::Duration::from_secs(1));
    let listed = env.ecs.list_clusters().send().await.unwrap();
    assert!(listed.cluster_arns().is_empty());
    let described = env.ecs.describe_clusters().clusters(CLUSTER).send().await.unwrap();
    assert!(described.clusters().is_empty());
    assert_eq!(described.failures()[0].reason(), Some("MISSING"));
    assert_eq!(described.failures()[0].arn(), Some(arn.as_str()));
}

#[tokio::test]
async fn recreated_cluster_is_not_purged_by_an_earlier_delete() {
    let env = env();
    env.cluster().await;
    env.ecs.delete_cluster().cluster(CLUSTER).send().await.unwrap();
    env.sim.advance(std::time::Duration::from_secs(1800));
    env.cluster().await;
    env.sim.advance(std::time::Duration::from_secs(3600));
    let described = env.ecs.describe_clusters().clusters(CLUSTER).send().await.unwrap();
    assert_eq!(described.clusters()[0].status(), Some("ACTIVE"));
    assert_eq!(env.ecs.list_clusters().send().await.unwrap().cluster_arns().len(), 1);
}

#[tokio::test]
async fn configuration_and_service_connect_defaults_follow_the_model() {
    let env = env();
    let exec = ExecuteCommandConfiguration::builder().kms_key_id("alias/exec").build();
    let configuration = ClusterConfiguration::builder().execute_command_configuration(exec).build();
    env.ecs.create_cluster().cluster_name(CLUSTER).configuration(configuration).send().await.unwrap();
    let describe = || async {
        let out = env
            .ecs
            .describe_clusters()
            .clusters(CLUSTER)
            .include(ClusterField::Configurations)
            .include(ClusterField::Settings)
            .send()
            .await
            .unwrap();
        out.clusters()[0].clone()
    };
    let logging = |c: &aws_sdk_ecs::types::Cluster| {
        c.configuration()
            .and_then(|c| c.execute_command_configuration())
            .and_then(|e| e.logging())
            .map(|l| l.as_str().to_string())
    };
    let namespace =
        |c: &aws_sdk_ecs::types::Cluster| c.service_connect_defaults().and_then(|d| d.namespace()).map(str::to_string);
    let c = describe().await;
    assert_eq!(logging(&c).as_deref(), Some("DEFAULT"), "logging defaults to DEFAULT");
    assert_eq!(c.settings()[0].value(), Some("disabled"), "containerInsights defaults to disabled");
    assert_eq!(namespace(&c), None);

    let ns = |name: &str| ClusterServiceConnectDefaultsRequest::builder().namespace(name).build().unwrap();
    env.ecs.update_cluster().cluster(CLUSTER).service_connect_defaults(ns("internal")).send().await.unwrap();
    assert_eq!(namespace(&describe().await).as_deref(), Some("internal"));
    let enhanced = ClusterSetting::builder().name(ClusterSettingName::ContainerInsights).value("enhanced").build();
    env.ecs.update_cluster().cluster(CLUSTER).settings(enhanced).send().await.unwrap();
    let c = describe().await;
    assert_eq!(c.settings()[0].value(), Some("enhanced"));
    assert_eq!(namespace(&c).as_deref(), Some("internal"), "members not sent are kept");
    assert_eq!(logging(&c).as_deref(), Some("DEFAULT"));

    env.ecs.update_cluster().cluster(CLUSTER).service_connect_defaults(ns("")).send().await.unwrap();
    assert_eq!(namespace(&describe().await), None, "namespace \"\" removes the Service Connect defaults");

    let override_without_logs = ClusterConfiguration::builder()
        .execute_command_configuration(
            ExecuteCommandConfiguration::builder().logging(ExecuteCommandLogging::Override).build(),
        )
        .build();
    let err = env.ecs.update_cluster().cluster(CLUSTER).configuration(override_without_logs).send().await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"));
    assert_eq!(logging(&describe().await).as_deref(), Some("DEFAULT"), "a refused update changes nothing");
}

#[tokio::test]
async fn a_capacity_provider_with_running_tasks_cannot_be_removed() {
    let env = env();
    env.cluster().await;
    let put = |providers: &[&str]| {
        env.ecs
            .put_cluster_capacity_providers()
            .cluster(CLUSTER)
            .set_capacity_providers(Some(providers.iter().map(|p| p.to_string()).collect()))
            .set_default_capacity_provider_strategy(Some(vec![]))
    };
    put(&["FARGATE", "FARGATE_SPOT"]).send().await.unwrap();
    let td = env.fargate_td("web", "nginx:1").await;
    let spot = CapacityProviderStrategyItem::builder().capacity_provider("FARGATE_SPOT").weight(1).build().unwrap();
    env.ecs
        .create_service()
        .cluster(CLUSTER)
        .service_name("web")
        .task_definition(&td)
        .desired_count(1)
        .capacity_provider_strategy(spot)
        .network_configuration(crate::harness::network())
        .send()
        .await
        .unwrap();
    let err = put(&["FARGATE"]).send().await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("ResourceInUseException"));
    assert!(err.into_service_error().is_resource_in_use_exception());

    env.ecs.update_service().cluster(CLUSTER).service("web").desired_count(0).send().await.unwrap();
    env.sim.advance(std::time::Duration::from_secs(60));
    let out = put(&["FARGATE"]).send().await.expect("no task uses FARGATE_SPOT any more");
    assert_eq!(out.cluster().unwrap().capacity_providers(), ["FARGATE"]);

    let err = env
        .ecs
        .put_cluster_capacity_providers()
        .cluster(CLUSTER)
        .capacity_providers("FARGATE")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"), "defaultCapacityProviderStrategy is required");
}
