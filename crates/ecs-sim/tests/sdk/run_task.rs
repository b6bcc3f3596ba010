//! RunTask: standalone tasks run to completion (exit codes, scripted outcomes, the stop
//! lifecycle, retention), clientToken idempotency, StopTask, ListTasks filters and AWS's
//! checks of the request.

use std::time::Duration;

use aws_sdk_ecs::error::ProvideErrorMetadata;
use aws_sdk_ecs::operation::run_task::builders::RunTaskFluentBuilder;
use aws_sdk_ecs::types::{
    CapacityProviderStrategyItem, Compatibility, ContainerDefinition, ContainerOverride, DesiredStatus, KeyValuePair,
    LaunchType, PropagateTags, Task, TaskField, TaskOverride,
};
use ecs_sim::TaskOutcome;
use serde_json::json;

use crate::harness::{CLUSTER, Env, admin, code, env, mk_container, network, tag};

impl Env {
    /// RunTask of `td` on Fargate in the test cluster, with a network configuration.
    fn run(&self, td: &str) -> RunTaskFluentBuilder {
        self.ecs
            .run_task()
            .cluster(CLUSTER)
            .task_definition(td)
            .launch_type(LaunchType::Fargate)
            .network_configuration(network())
    }

    /// Runs one task of `td` with `started_by`; returns its ARN.
    async fn run_one(&self, td: &str, started_by: &str) -> String {
        let out = self.run(td).started_by(started_by).send().await.expect("run task");
        assert!(out.failures().is_empty(), "{:?}", out.failures());
        out.tasks()[0].task_arn().expect("task ARN").to_string()
    }

    async fn task(&self, arn: &str) -> Task {
        let out = self
            .ecs
            .describe_tasks()
            .cluster(CLUSTER)
            .tasks(arn)
            .include(TaskField::Tags)
            .send()
            .await
            .expect("describe tasks");
        out.tasks().first().unwrap_or_else(|| panic!("{arn} described: {:?}", out.failures())).clone()
    }

    /// Advances `secs` and describes the task.
    async fn task_after(&self, secs: u64, arn: &str) -> Task {
        self.sim.advance(Duration::from_secs(secs));
        self.task(arn).await
    }

    async fn list(&self, started_by: Option<&str>, status: DesiredStatus) -> Vec<String> {
        let out = self
            .ecs
            .list_tasks()
            .cluster(CLUSTER)
            .set_started_by(started_by.map(str::to_string))
            .desired_status(status)
            .send()
            .await
            .expect("list tasks");
        out.task_arns().to_vec()
    }
}

fn exit_codes(t: &Task) -> Vec<Option<i32>> {
    t.containers().iter().map(|c| c.exit_code()).collect()
}

fn status(t: &Task) -> (&str, &str) {
    (t.last_status().unwrap_or_default(), t.desired_status().unwrap_or_default())
}

#[tokio::test]
async fn a_standalone_task_runs_to_exit_0_and_stays_describable() {
    let env = env();
    env.cluster().await;
    let td = env.fargate_td("migrate", "migrate:1").await;
    let out = env.run(&td).started_by("migrate-job-1").tags(tag("job", "1")).send().await.unwrap();
    assert!(out.failures().is_empty());
    let t = &out.tasks()[0];
    let arn = t.task_arn().unwrap().to_string();
    assert_eq!(status(t), ("PROVISIONING", "RUNNING"));
    assert_eq!(t.started_by(), Some("migrate-job-1"));
    assert_eq!(t.group(), Some("family:migrate"), "RunTaskRequest.group defaults to family:<family>");
    assert_eq!(t.launch_type(), Some(&LaunchType::Fargate));
    assert_eq!(t.platform_version(), Some("1.4.0"), "LATEST resolves to 1.4.0");
    assert_eq!((t.cpu(), t.memory()), (Some("256"), Some("512")));
    let names: Vec<_> = t.overrides().unwrap().container_overrides().iter().map(|o| o.name().unwrap()).collect();
    assert_eq!(names, ["app"], "every container is named in containerOverrides");
    assert_eq!(t.tags().len(), 1);

    let t = env.task_after(30, &arn).await;
    assert_eq!(status(&t), ("RUNNING", "RUNNING"));
    assert_eq!(env.list(Some("migrate-job-1"), DesiredStatus::Running).await, std::slice::from_ref(&arn));
    let t = env.task_after(10, &arn).await;
    assert_eq!(status(&t), ("DEACTIVATING", "STOPPED"), "the essential container exited after 10 s");
    assert_eq!(t.stop_code().map(|c| c.as_str()), Some("EssentialContainerExited"));
    assert_eq!(t.stopped_reason(), Some("Essential container in task exited"));
    assert_eq!(exit_codes(&t), [Some(0)]);
    assert_eq!(t.containers()[0].last_status(), Some("STOPPED"));
    assert!(t.stopping_at().is_some() && t.stopped_at().is_none());

    let t = env.task_after(15, &arn).await;
    assert_eq!(status(&t), ("STOPPED", "STOPPED"));
    assert!(t.execution_stopped_at().is_some() && t.stopped_at().is_some());
    assert_eq!(exit_codes(&t), [Some(0)], "the exit code is kept");
    assert_eq!(env.list(Some("migrate-job-1"), DesiredStatus::Stopped).await, std::slice::from_ref(&arn));
    assert!(env.list(None, DesiredStatus::Running).await.is_empty());
    let by_family = env.ecs.list_tasks().cluster(CLUSTER).family("migrate").desired_status(DesiredStatus::Stopped);
    assert_eq!(by_family.send().await.unwrap().task_arns(), std::slice::from_ref(&arn));

    let t = env.task_after(59 * 60, &arn).await;
    assert_eq!(exit_codes(&t), [Some(0)], "still describable within the hour");
    env.sim.advance(Duration::from_secs(120));
    let d = env.ecs.describe_tasks().cluster(CLUSTER).tasks(&arn).send().await.unwrap();
    assert_eq!(d.failures()[0].reason(), Some("MISSING"), "forgotten an hour after it stopped");
}

#[tokio::test]
async fn scripted_outcomes_fail_fail_then_succeed() {
    let env = env();
    let ep = env.sim.endpoint().to_string();
    env.cluster().await;
    let td = env.fargate_td("migrate", "migrate:2").await;
    let script = json!({"image": "migrate:2", "outcomes": [
        {"exitCode": 1, "runSeconds": 5, "reason": "relation \"users\" already exists"},
        {"exitCode": 1, "runSeconds": 5},
        {"exitCode": 0, "runSeconds": 3},
    ]});
    assert_eq!(admin(&ep, "POST", "/_sim/task-outcomes", &script.to_string()).0, 200);
    let mut seen = vec![];
    for attempt in 0..4 {
        let arn = env.run_one(&td, &format!("attempt-{attempt}")).await;
        let t = env.task_after(30 + 20, &arn).await;
        assert_eq!(status(&t), ("STOPPED", "STOPPED"));
        seen.push((exit_codes(&t)[0], t.containers()[0].reason().map(str::to_string)));
    }
    let reason = Some("relation \"users\" already exists".to_string());
    assert_eq!(seen, [(Some(1), reason), (Some(1), None), (Some(0), None), (Some(0), None)], "the last repeats");

    // runSeconds: the script's 3 s, not the default 10 s.
    let arn = env.run_one(&td, "timing").await;
    let t = env.task_after(33, &arn).await;
    assert_eq!(status(&t), ("DEACTIVATING", "STOPPED"));

    assert_eq!(admin(&ep, "DELETE", "/_sim/task-outcomes", "").0, 200);
    let arn = env.run_one(&td, "default").await;
    let t = env.task_after(39, &arn).await;
    assert_eq!(status(&t), ("RUNNING", "RUNNING"), "unscripted: runs 10 s");
    let t = env.task_after(1, &arn).await;
    assert_eq!(exit_codes(&t), [Some(0)]);

    let bad = [
        json!({"image": "", "outcomes": [{"exitCode": 0}]}),
        json!({"image": "x", "outcomes": []}),
        json!({"image": "x", "outcomes": [{"exit_code": 0}]}),
    ];
    for body in bad {
        assert_eq!(admin(&ep, "POST", "/_sim/task-outcomes", &body.to_string()).0, 400, "{body}");
    }
}

#[tokio::test]
async fn the_failure_pattern_and_library_scripts_apply_to_standalone_tasks() {
    let env = env();
    env.cluster().await;
    let failing = env.fargate_td("broken", "migrate:fail").await;
    let arn = env.run_one(&failing, "pattern").await;
    let t = env.task_after(35, &arn).await;
    assert_eq!((exit_codes(&t), status(&t)), (vec![Some(1)], ("DEACTIVATING", "STOPPED")), "exits 1 after 5 s");

    env.sim.set_task_outcomes("migrate:fail", vec![TaskOutcome::exit(0, 1)]).unwrap();
    let arn = env.run_one(&failing, "scripted").await;
    let t = env.task_after(31, &arn).await;
    assert_eq!(exit_codes(&t), [Some(0)], "a script wins over the failure pattern");
    env.sim.clear_task_outcomes();
    assert!(env.sim.set_task_outcomes("x", vec![]).is_err());
}

#[tokio::test]
async fn non_essential_containers_exit_on_their_own_or_are_stopped_with_the_task() {
    let env = env();
    env.cluster().await;
    let sidecar =
        |name: &str, image: &str| ContainerDefinition::builder().name(name).image(image).essential(false).build();
    let td = env
        .ecs
        .register_task_definition()
        .family("job")
        .requires_compatibilities(Compatibility::Fargate)
        .network_mode(aws_sdk_ecs::types::NetworkMode::Awsvpc)
        .cpu("256")
        .memory("512")
        .container_definitions(mk_container("app", "job:1"))
        .container_definitions(sidecar("init", "init:1"))
        .container_definitions(sidecar("logs", "logs:1"))
        .send()
        .await
        .unwrap();
    let td = td.task_definition().unwrap().task_definition_arn().unwrap().to_string();
    env.sim.set_task_outcomes("init:1", vec![TaskOutcome::exit(2, 1)]).unwrap();
    let arn = env.run_one(&td, "sidecars").await;
    let t = env.task_after(31, &arn).await;
    assert_eq!(status(&t), ("RUNNING", "RUNNING"), "a non-essential exit does not stop the task");
    assert_eq!(exit_codes(&t), [None, Some(2), None]);
    assert_eq!(t.containers()[1].last_status(), Some("STOPPED"));
    let t = env.task_after(9 + 15, &arn).await;
    assert_eq!(status(&t), ("STOPPED", "STOPPED"));
    assert_eq!(exit_codes(&t), [Some(0), Some(2), Some(137)], "still running when the task stopped: 137");
}

#[tokio::test]
async fn client_token_makes_run_task_idempotent() {
    let env = env();
    let ep = env.sim.endpoint().to_string();
    env.cluster().await;
    let td = env.fargate_td("migrate", "migrate:1").await;
    let first = env.run(&td).count(2).started_by("job-7").client_token("job-7-attempt").send().await.unwrap();
    let arns: Vec<_> = first.tasks().iter().map(|t| t.task_arn().unwrap().to_string()).collect();
    assert_eq!(arns.len(), 2);
    env.sim.advance(Duration::from_secs(20));
    let again = env.run(&td).count(2).started_by("job-7").client_token("job-7-attempt").send().await.unwrap();
    let again_arns: Vec<_> = again.tasks().iter().map(|t| t.task_arn().unwrap().to_string()).collect();
    assert_eq!(again_arns, arns, "the same tasks, none started");
    assert_eq!(again.tasks()[0].last_status(), Some("PROVISIONING"), "the original answer");
    assert_eq!(env.list(Some("job-7"), DesiredStatus::Running).await.len(), 2);

    let err = env.run(&td).count(1).started_by("job-7").client_token("job-7-attempt").send().await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("ConflictException"));
    let err = err.into_service_error();
    assert!(err.is_conflict_exception());
    if let aws_sdk_ecs::operation::run_task::RunTaskError::ConflictException(c) = err {
        assert_eq!(c.resource_ids(), arns.as_slice(), "resourceIds: the tasks the token started");
    }

    let counts = env.sim.run_task_counts();
    assert_eq!((counts.tasks_started, counts.by_started_by["job-7"]), (2, 2));
    assert_eq!(counts.by_client_token["job-7-attempt"], 2);
    let (status, body) = admin(&ep, "GET", "/_sim/tasks", "");
    assert_eq!(status, 200);
    assert_eq!(body["byStartedBy"]["job-7"], 2);
    assert_eq!(body["byClientToken"]["job-7-attempt"], 2);

    // Tokens are scoped to the cluster, and last 24 hours.
    env.ecs.create_cluster().cluster_name("other").send().await.unwrap();
    let other = env.run(&td).cluster("other").client_token("job-7-attempt").send().await.unwrap();
    assert_ne!(other.tasks()[0].task_arn(), Some(arns[0].as_str()));
    env.sim.advance(Duration::from_secs(24 * 3600));
    let later = env.run(&td).count(1).client_token("job-7-attempt").send().await.unwrap();
    assert!(!arns.iter().any(|a| Some(a.as_str()) == later.tasks()[0].task_arn()), "a new request after 24 h");
    let err = env.run(&td).client_token("bad token").send().await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"));
}

#[tokio::test]
async fn stop_task_stops_a_running_standalone_task() {
    let env = env();
    env.cluster().await;
    let td = env.fargate_td("worker", "worker:1").await;
    env.sim.set_task_outcomes("worker:1", vec![TaskOutcome::exit(0, 3600)]).unwrap();
    let arn = env.run(&td).tags(tag("a", "1")).send().await.unwrap().tasks()[0].task_arn().unwrap().to_string();
    env.sim.advance(Duration::from_secs(40));
    let out = env.ecs.stop_task().cluster(CLUSTER).task(&arn).reason("cancelled by the operator").send().await.unwrap();
    let t = out.task().unwrap();
    assert_eq!(status(t), ("DEACTIVATING", "STOPPED"));
    assert_eq!(t.stop_code().map(|c| c.as_str()), Some("UserInitiated"));
    assert_eq!(t.stopped_reason(), Some("cancelled by the operator"));
    let t = env.task_after(15, &arn).await;
    assert_eq!(status(&t), ("STOPPED", "STOPPED"));
    assert_eq!(exit_codes(&t), [Some(137)], "stopped while running");
    assert!(t.tags().is_empty(), "StopTask deletes the task's tags");

    let arn = env.run_one(&td, "never-started").await;
    let out = env.ecs.stop_task().cluster(CLUSTER).task(&arn).send().await.unwrap();
    assert_eq!(out.task().unwrap().stopped_reason(), Some("Task stopped by user"));
    let t = env.task_after(15, &arn).await;
    assert_eq!((status(&t), exit_codes(&t)), (("STOPPED", "STOPPED"), vec![None]), "no exit code: never ran");
}

#[tokio::test]
async fn list_tasks_filters_standalone_and_service_tasks_by_started_by() {
    let env = env();
    env.cluster().await;
    let td = env.fargate_td("web", "nginx:1").await;
    let svc = env.fargate_service("web", &td, 1).await;
    let deployment = svc.deployments()[0].id().unwrap().to_string();
    let a = env.run_one(&td, "job-a").await;
    let b = env.run_one(&td, "job-b").await;
    assert_eq!(env.list(Some("job-a"), DesiredStatus::Running).await, [a]);
    assert_eq!(env.list(Some("job-b"), DesiredStatus::Running).await, [b]);
    let service_tasks = env.list(Some(&deployment), DesiredStatus::Running).await;
    assert_eq!(service_tasks.len(), 1, "a service's tasks are still found by deployment id");
    let t = env.task(&service_tasks[0]).await;
    assert_eq!((t.group(), t.started_by()), (Some("service:web"), Some(deployment.as_str())));
    assert_eq!(env.list(None, DesiredStatus::Running).await.len(), 3);
}

#[tokio::test]
async fn overrides_are_checked_and_echoed() {
    let env = env();
    env.cluster().await;
    let td = env.fargate_td("migrate", "migrate:1").await;
    let app = ContainerOverride::builder()
        .name("app")
        .command("migrate")
        .command("up")
        .environment(KeyValuePair::builder().name("DRY_RUN").value("0").build())
        .memory(400)
        .build();
    let overrides = TaskOverride::builder()
        .container_overrides(app)
        .cpu("0.5 vCPU")
        .memory("1024")
        .task_role_arn("arn:aws:iam::123456789012:role/migrate")
        .build();
    let out = env.run(&td).overrides(overrides).enable_execute_command(true).send().await.unwrap();
    let t = &out.tasks()[0];
    assert_eq!((t.cpu(), t.memory()), (Some("512"), Some("1024")), "task size overrides");
    assert!(t.enable_execute_command(), "the override's task role allows execute command");
    let o = t.overrides().unwrap();
    assert_eq!(o.task_role_arn(), Some("arn:aws:iam::123456789012:role/migrate"));
    let app = &o.container_overrides()[0];
    assert_eq!((app.name(), app.command()), (Some("app"), &["migrate".to_string(), "up".to_string()][..]));
    assert_eq!(app.environment()[0].name(), Some("DRY_RUN"));
    assert_eq!(t.containers()[0].memory(), Some("400"));

    let ghost = TaskOverride::builder().container_overrides(ContainerOverride::builder().name("ghost").build()).build();
    let err = env.run(&td).overrides(ghost).send().await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"));
    assert_eq!(err.message(), Some("Override for container named ghost is not a container in the TaskDefinition."));
    let err = env.run(&td).enable_execute_command(true).send().await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"), "execute command needs a task role");
}

#[tokio::test]
async fn run_task_checks_the_request_like_aws() {
    let env = env();
    env.cluster().await;
    let td = env.fargate_td("migrate", "migrate:1").await;
    let err = env.ecs.run_task().cluster(CLUSTER).task_definition(&td).launch_type(LaunchType::Fargate).send().await;
    let err = err.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("InvalidParameterException"));
    assert_eq!(err.message(), Some("Network Configuration must be provided when networkMode 'awsvpc' is specified."));

    let cases: Vec<(&str, RunTaskFluentBuilder, &str)> = vec![
        ("count 0", env.run(&td).count(0), "InvalidParameterException"),
        ("count 11", env.run(&td).count(11), "InvalidParameterException"),
        ("missing family", env.run("ghost"), "ClientException"),
        ("missing cluster", env.run(&td).cluster("ghost"), "ClusterNotFoundException"),
        ("both", env.run(&td).capacity_provider_strategy(spot()), "InvalidParameterException"),
        (
            "unassociated provider",
            env.ecs
                .run_task()
                .cluster(CLUSTER)
                .task_definition(&td)
                .capacity_provider_strategy(spot())
                .network_configuration(network()),
            "InvalidParameterException",
        ),
        ("propagate SERVICE", env.run(&td).propagate_tags(PropagateTags::Service), "InvalidParameterException"),
        ("startedBy with a dot", env.run(&td).started_by("job.1"), "InvalidParameterException"),
        ("EC2 only task definition on Fargate", env.run("ec2-only"), "InvalidParameterException"),
    ];
    env.ecs
        .register_task_definition()
        .family("ec2-only")
        .container_definitions(ContainerDefinition::builder().name("w").image("busybox").memory(128).build())
        .send()
        .await
        .unwrap();
    for (what, call, want) in cases {
        let err = call.send().await.unwrap_err();
        assert_eq!(code(&err).as_deref(), Some(want), "{what}: {err:?}");
    }
    env.ecs.deregister_task_definition().task_definition(&td).send().await.unwrap();
    let err = env.run(&td).send().await.unwrap_err();
    assert_eq!(
        (code(&err).as_deref(), err.message()),
        (Some("InvalidParameterException"), Some("TaskDefinition is inactive"))
    );
}

fn spot() -> CapacityProviderStrategyItem {
    CapacityProviderStrategyItem::builder().capacity_provider("FARGATE_SPOT").weight(1).build().unwrap()
}

#[tokio::test]
async fn run_task_places_like_create_service() {
    let env = env();
    env.ecs
        .create_cluster()
        .cluster_name(CLUSTER)
        .capacity_providers("FARGATE")
        .capacity_providers("FARGATE_SPOT")
        .default_capacity_provider_strategy(spot())
        .send()
        .await
        .unwrap();
    let td = env.fargate_td("migrate", "migrate:1").await;
    let out = env.ecs.run_task().cluster(CLUSTER).task_definition(&td).network_configuration(network());
    let t = out.send().await.unwrap().tasks()[0].clone();
    assert_eq!((t.launch_type(), t.capacity_provider_name()), (Some(&LaunchType::Fargate), Some("FARGATE_SPOT")));

    // EC2: the simulator has no container instances and runs EC2 tasks without capacity, as
    // it does a service's.
    let ec2 = env
        .ecs
        .register_task_definition()
        .family("ec2-job")
        .container_definitions(ContainerDefinition::builder().name("w").image("busybox").memory(128).build())
        .send()
        .await
        .unwrap();
    let ec2 = ec2.task_definition().unwrap().task_definition_arn().unwrap().to_string();
    let out = env.ecs.run_task().cluster(CLUSTER).task_definition(&ec2).launch_type(LaunchType::Ec2).send().await;
    let t = out.unwrap().tasks()[0].clone();
    assert_eq!(
        (t.launch_type(), t.platform_version(), t.group()),
        (Some(&LaunchType::Ec2), None, Some("family:ec2-job"))
    );
    let err = env.ecs.run_task().cluster(CLUSTER).task_definition(&ec2).launch_type(LaunchType::Ec2);
    let err = err.network_configuration(network()).send().await.unwrap_err();
    assert_eq!(
        err.message(),
        Some("Network Configuration is not valid for the given networkMode of this task definition.")
    );
    let t = env.task_after(40, t.task_arn().unwrap()).await;
    assert_eq!(exit_codes(&t), [Some(0)]);

    // propagateTags TASK_DEFINITION copies the task definition's tags (request tags win).
    env.ecs.tag_resource().resource_arn(&ec2).tags(tag("team", "db")).tags(tag("env", "td")).send().await.unwrap();
    let out = env.ecs.run_task().cluster(CLUSTER).task_definition(&ec2).launch_type(LaunchType::Ec2);
    let out = out.propagate_tags(PropagateTags::TaskDefinition).tags(tag("env", "run")).send().await.unwrap();
    let arn = out.tasks()[0].task_arn().unwrap().to_string();
    let listed = env.ecs.list_tags_for_resource().resource_arn(&arn).send().await.unwrap();
    let mut tags: Vec<_> =
        listed.tags().iter().map(|t| format!("{}={}", t.key().unwrap(), t.value().unwrap())).collect();
    tags.sort();
    assert_eq!(tags, ["env=run", "team=db"]);
}
