//! Application Auto Scaling of an ECS service's desiredCount, behind a narrow trait: one
//! scalable target and its target-tracking policies per service.

use std::sync::Arc;

use aws_sdk_applicationautoscaling::types::{
    MetricType, PolicyType, PredefinedMetricSpecification, ScalableDimension, ServiceNamespace,
    TargetTrackingScalingPolicyConfiguration,
};
use futures::future::BoxFuture;

use super::ecs::AwsResult;
use super::error::AwsError;

/// The scalable target's bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScalableTarget {
    pub min: i32,
    pub max: i32,
}

/// A target-tracking policy on a predefined metric.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetTracking {
    pub name: String,
    /// `ECSServiceAverageCPUUtilization`, `ECSServiceAverageMemoryUtilization` or
    /// `ALBRequestCountPerTarget`.
    pub metric: String,
    pub target_value: f64,
    pub resource_label: Option<String>,
    pub scale_in_cooldown: Option<i32>,
    pub scale_out_cooldown: Option<i32>,
    pub disable_scale_in: bool,
}

/// `service/<cluster>/<service>`, the resource id Application Auto Scaling uses for ECS.
pub fn resource_id(cluster_name: &str, service_name: &str) -> String {
    format!("service/{cluster_name}/{service_name}")
}

pub trait AutoscalingApi: Send + Sync {
    fn describe_target<'a>(&'a self, resource_id: &'a str) -> BoxFuture<'a, AwsResult<Option<ScalableTarget>>>;
    fn register_target<'a>(&'a self, resource_id: &'a str, target: ScalableTarget) -> BoxFuture<'a, AwsResult<()>>;
    /// Also removes the target's policies.
    fn deregister_target<'a>(&'a self, resource_id: &'a str) -> BoxFuture<'a, AwsResult<()>>;
    fn describe_policies<'a>(&'a self, resource_id: &'a str) -> BoxFuture<'a, AwsResult<Vec<TargetTracking>>>;
    fn put_policy<'a>(&'a self, resource_id: &'a str, policy: &'a TargetTracking) -> BoxFuture<'a, AwsResult<()>>;
    fn delete_policy<'a>(&'a self, resource_id: &'a str, name: &'a str) -> BoxFuture<'a, AwsResult<()>>;
}

pub struct SdkAutoscaling {
    client: aws_sdk_applicationautoscaling::Client,
}

impl SdkAutoscaling {
    pub fn shared(client: aws_sdk_applicationautoscaling::Client) -> Arc<dyn AutoscalingApi> {
        Arc::new(Self { client })
    }
}

fn err<E>(
    operation: &'static str,
) -> impl FnOnce(aws_sdk_applicationautoscaling::error::SdkError<E, aws_sdk_ecs::config::http::HttpResponse>) -> AwsError
where
    E: aws_sdk_ecs::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    move |e| AwsError::from_sdk(operation, e)
}

impl AutoscalingApi for SdkAutoscaling {
    fn describe_target<'a>(&'a self, resource_id: &'a str) -> BoxFuture<'a, AwsResult<Option<ScalableTarget>>> {
        Box::pin(async move {
            let out = self
                .client
                .describe_scalable_targets()
                .service_namespace(ServiceNamespace::Ecs)
                .resource_ids(resource_id)
                .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
                .send()
                .await
                .map_err(err("DescribeScalableTargets"))?;
            Ok(out
                .scalable_targets()
                .iter()
                .find(|t| t.resource_id() == resource_id)
                .map(|t| ScalableTarget { min: t.min_capacity(), max: t.max_capacity() }))
        })
    }

    fn register_target<'a>(&'a self, resource_id: &'a str, target: ScalableTarget) -> BoxFuture<'a, AwsResult<()>> {
        Box::pin(async move {
            self.client
                .register_scalable_target()
                .service_namespace(ServiceNamespace::Ecs)
                .resource_id(resource_id)
                .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
                .min_capacity(target.min)
                .max_capacity(target.max)
                .send()
                .await
                .map(|_| ())
                .map_err(err("RegisterScalableTarget"))
        })
    }

    fn deregister_target<'a>(&'a self, resource_id: &'a str) -> BoxFuture<'a, AwsResult<()>> {
        Box::pin(async move {
            self.client
                .deregister_scalable_target()
                .service_namespace(ServiceNamespace::Ecs)
                .resource_id(resource_id)
                .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
                .send()
                .await
                .map(|_| ())
                .map_err(err("DeregisterScalableTarget"))
        })
    }

    fn describe_policies<'a>(&'a self, resource_id: &'a str) -> BoxFuture<'a, AwsResult<Vec<TargetTracking>>> {
        Box::pin(async move {
            let out = self
                .client
                .describe_scaling_policies()
                .service_namespace(ServiceNamespace::Ecs)
                .resource_id(resource_id)
                .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
                .send()
                .await
                .map_err(err("DescribeScalingPolicies"))?;
            Ok(out
                .scaling_policies()
                .iter()
                .filter_map(|p| {
                    let config = p.target_tracking_scaling_policy_configuration()?;
                    let metric = config.predefined_metric_specification()?;
                    Some(TargetTracking {
                        name: p.policy_name().to_owned(),
                        metric: metric.predefined_metric_type().as_str().to_owned(),
                        target_value: config.target_value(),
                        resource_label: metric.resource_label().map(str::to_owned),
                        scale_in_cooldown: config.scale_in_cooldown(),
                        scale_out_cooldown: config.scale_out_cooldown(),
                        disable_scale_in: config.disable_scale_in().unwrap_or(false),
                    })
                })
                .collect())
        })
    }

    fn put_policy<'a>(&'a self, resource_id: &'a str, policy: &'a TargetTracking) -> BoxFuture<'a, AwsResult<()>> {
        Box::pin(async move {
            let metric = PredefinedMetricSpecification::builder()
                .predefined_metric_type(MetricType::from(policy.metric.as_str()))
                .set_resource_label(policy.resource_label.clone())
                .build()
                .map_err(|e| AwsError::classify("PutScalingPolicy", "InvalidInput".into(), e.to_string()))?;
            let config = TargetTrackingScalingPolicyConfiguration::builder()
                .target_value(policy.target_value)
                .predefined_metric_specification(metric)
                .set_scale_in_cooldown(policy.scale_in_cooldown)
                .set_scale_out_cooldown(policy.scale_out_cooldown)
                .disable_scale_in(policy.disable_scale_in)
                .build()
                .map_err(|e| AwsError::classify("PutScalingPolicy", "InvalidInput".into(), e.to_string()))?;
            self.client
                .put_scaling_policy()
                .policy_name(&policy.name)
                .service_namespace(ServiceNamespace::Ecs)
                .resource_id(resource_id)
                .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
                .policy_type(PolicyType::TargetTrackingScaling)
                .target_tracking_scaling_policy_configuration(config)
                .send()
                .await
                .map(|_| ())
                .map_err(err("PutScalingPolicy"))
        })
    }

    fn delete_policy<'a>(&'a self, resource_id: &'a str, name: &'a str) -> BoxFuture<'a, AwsResult<()>> {
        Box::pin(async move {
            self.client
                .delete_scaling_policy()
                .policy_name(name)
                .service_namespace(ServiceNamespace::Ecs)
                .resource_id(resource_id)
                .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
                .send()
                .await
                .map(|_| ())
                .map_err(err("DeleteScalingPolicy"))
        })
    }
}
