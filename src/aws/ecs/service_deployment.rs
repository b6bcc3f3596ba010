//! The service deployment calls of [`SdkEcs`]: DescribeServiceDeployments for the one a
//! service runs, ContinueServiceDeployment for a paused hook and StopServiceDeployment with
//! ROLLBACK.

use aws_sdk_ecs::types::{DeploymentLifecycleHookAction, ServiceDeployment, StopServiceDeploymentStopType};

use super::{AwsResult, SdkEcs};
use crate::aws::error::AwsError;

impl SdkEcs {
    pub(super) async fn describe_service_deployment_call(&self, arn: &str) -> AwsResult<Option<ServiceDeployment>> {
        let out = self
            .client
            .describe_service_deployments()
            .service_deployment_arns(arn)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DescribeServiceDeployments", e))?;
        // An unknown ARN comes back in `failures` (reason MISSING), not as an error.
        Ok(out.service_deployments.unwrap_or_default().into_iter().find(|d| d.service_deployment_arn() == Some(arn)))
    }

    pub(super) async fn continue_service_deployment_call(
        &self,
        arn: &str,
        hook_id: &str,
        action: DeploymentLifecycleHookAction,
    ) -> AwsResult<()> {
        self.client
            .continue_service_deployment()
            .service_deployment_arn(arn)
            .hook_id(hook_id)
            .action(action)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::from_sdk("ContinueServiceDeployment", e))
    }

    pub(super) async fn stop_service_deployment_call(&self, arn: &str) -> AwsResult<()> {
        self.client
            .stop_service_deployment()
            .service_deployment_arn(arn)
            .stop_type(StopServiceDeploymentStopType::Rollback)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::from_sdk("StopServiceDeployment", e))
    }
}
