//! Auto Scaling group capacity providers: the defaults CreateCapacityProvider fills in, what
//! UpdateCapacityProvider keeps, and DeleteCapacityProvider while a cluster still uses one.

use aws_sdk_ecs::types::{
    AutoScalingGroupProvider, AutoScalingGroupProviderUpdate, CapacityProvider, ManagedDraining, ManagedScaling,
    ManagedScalingStatus, ManagedTerminationProtection,
};

use crate::harness::{CLUSTER, code, env};

const ASG: &str = "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:0:autoScalingGroupName/asg";

/// (status, targetCapacity, min step, max step, warm-up, termination protection, draining)
type Settings = (String, Option<i32>, Option<i32>, Option<i32>, Option<i32>, String, String);

fn settings(p: &CapacityProvider) -> Settings {
    let asg = p.auto_scaling_group_provider().expect("an Auto Scaling group provider");
    let s = asg.managed_scaling().expect("managedScaling filled in");
    (
        s.status().map(|x| x.as_str().to_string()).unwrap_or_default(),
        s.target_capacity(),
        s.minimum_scaling_step_size(),
        s.maximum_scaling_step_size(),
        s.instance_warmup_period(),
        asg.managed_termination_protection().map(|x| x.as_str().to_string()).unwrap_or_default(),
        asg.managed_draining().map(|x| x.as_str().to_string()).unwrap_or_default(),
    )
}

fn expect(status: &str, target: i32, min: i32, max: i32, warmup: i32, mtp: &str, draining: &str) -> Settings {
    (status.into(), Some(target), Some(min), Some(max), Some(warmup), mtp.into(), draining.into())
}

#[tokio::test]
async fn create_fills_in_managed_scaling_termination_protection_and_draining() {
    let env = env();
    let bare = AutoScalingGroupProvider::builder().auto_scaling_group_arn(ASG).build().unwrap();
    let out = env.ecs.create_capacity_provider().name("bare").auto_scaling_group_provider(bare).send().await.unwrap();
    assert_eq!(
        settings(out.capacity_provider().unwrap()),
        expect("DISABLED", 100, 1, 10000, 300, "DISABLED", "ENABLED")
    );

    let partial = AutoScalingGroupProvider::builder()
        .auto_scaling_group_arn(format!("{ASG}-2"))
        .managed_scaling(
            ManagedScaling::builder().status(ManagedScalingStatus::Enabled).minimum_scaling_step_size(2).build(),
        )
        .build()
        .unwrap();
    env.ecs.create_capacity_provider().name("partial").auto_scaling_group_provider(partial).send().await.unwrap();
    let described = env.ecs.describe_capacity_providers().capacity_providers("partial").send().await.unwrap();
    assert_eq!(
        settings(&described.capacity_providers()[0]),
        expect("ENABLED", 100, 2, 10000, 300, "DISABLED", "ENABLED"),
        "members left out of managedScaling get their defaults"
    );

    let too_high = AutoScalingGroupProvider::builder()
        .auto_scaling_group_arn(format!("{ASG}-3"))
        .managed_scaling(ManagedScaling::builder().target_capacity(101).build())
        .build()
        .unwrap();
    let err =
        env.ecs.create_capacity_provider().name("bad").auto_scaling_group_provider(too_high).send().await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"));
}

#[tokio::test]
async fn update_changes_what_it_is_sent_and_keeps_the_rest() {
    let env = env();
    let asg = AutoScalingGroupProvider::builder()
        .auto_scaling_group_arn(ASG)
        .managed_scaling(ManagedScaling::builder().status(ManagedScalingStatus::Enabled).target_capacity(80).build())
        .managed_termination_protection(ManagedTerminationProtection::Enabled)
        .build()
        .unwrap();
    env.ecs.create_capacity_provider().name("cp").auto_scaling_group_provider(asg).send().await.unwrap();
    let update = |u: AutoScalingGroupProviderUpdate| {
        env.ecs.update_capacity_provider().name("cp").auto_scaling_group_provider(u)
    };

    let out = update(AutoScalingGroupProviderUpdate::builder().managed_draining(ManagedDraining::Disabled).build())
        .send()
        .await
        .unwrap();
    assert_eq!(settings(out.capacity_provider().unwrap()), expect("ENABLED", 80, 1, 10000, 300, "ENABLED", "DISABLED"));
    let warmup = AutoScalingGroupProviderUpdate::builder()
        .managed_scaling(ManagedScaling::builder().instance_warmup_period(60).build())
        .build();
    update(warmup).send().await.unwrap();
    let described = env.ecs.describe_capacity_providers().capacity_providers("cp").send().await.unwrap();
    let cp = &described.capacity_providers()[0];
    assert_eq!(settings(cp), expect("ENABLED", 80, 1, 10000, 60, "ENABLED", "DISABLED"), "other members kept");
    assert_eq!(cp.update_status().map(|s| s.as_str()), Some("UPDATE_COMPLETE"));

    let zero = AutoScalingGroupProviderUpdate::builder()
        .managed_scaling(ManagedScaling::builder().target_capacity(0).build())
        .build();
    let err = update(zero).send().await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"));
    let err = env
        .ecs
        .update_capacity_provider()
        .name("ghost")
        .auto_scaling_group_provider(AutoScalingGroupProviderUpdate::builder().build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("ClientException"));
}

#[tokio::test]
async fn delete_while_associated_fails_in_update_status_not_as_an_error() {
    let env = env();
    env.cluster().await;
    let asg = AutoScalingGroupProvider::builder().auto_scaling_group_arn(ASG).build().unwrap();
    env.ecs.create_capacity_provider().name("cp").auto_scaling_group_provider(asg).send().await.unwrap();
    let associate = |providers: Vec<String>| {
        env.ecs
            .put_cluster_capacity_providers()
            .cluster(CLUSTER)
            .set_capacity_providers(Some(providers))
            .set_default_capacity_provider_strategy(Some(vec![]))
            .send()
    };
    associate(vec!["cp".to_string()]).await.unwrap();

    let out = env.ecs.delete_capacity_provider().capacity_provider("cp").send().await.expect("a 200, as in AWS");
    let cp = out.capacity_provider().unwrap();
    assert_eq!(cp.status().map(|s| s.as_str()), Some("ACTIVE"));
    assert_eq!(cp.update_status().map(|s| s.as_str()), Some("DELETE_FAILED"));
    assert_eq!(
        cp.update_status_reason(),
        Some(
            "The capacity provider cannot be deleted because it is associated with cluster: test. Remove the capacity provider from the cluster and try again."
        )
    );
    let described = env.ecs.describe_capacity_providers().capacity_providers("cp").send().await.unwrap();
    assert_eq!(described.capacity_providers()[0].update_status().map(|s| s.as_str()), Some("DELETE_FAILED"));

    associate(vec![]).await.unwrap();
    let out = env.ecs.delete_capacity_provider().capacity_provider("cp").send().await.unwrap();
    let cp = out.capacity_provider().unwrap();
    assert_eq!(cp.status().map(|s| s.as_str()), Some("INACTIVE"));
    assert_eq!(cp.update_status().map(|s| s.as_str()), Some("DELETE_COMPLETE"));
    assert_eq!(cp.update_status_reason(), None);
    let err = env.ecs.delete_capacity_provider().capacity_provider("cp").send().await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("ClientException"), "already deleted");
}
