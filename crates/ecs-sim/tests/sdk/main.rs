//! End-to-end tests: the real aws-sdk-ecs (and aws-sdk-sts, aws-sdk-sqs) clients against ecs-sim on
//! loopback. One test binary, so the SDK is linked once.

mod admin;
mod autoscaling;
mod botocore_shapes;
mod capacity_providers;
mod clusters;
mod deployment_configs;
mod deployments;
mod events;
mod express;
mod harness;
mod managed_instances;
mod protocol;
mod run_task;
mod service_deployments;
mod service_settings;
mod services;
mod sts;
mod task_definitions;
mod tasks_and_tags;
mod throttling;
