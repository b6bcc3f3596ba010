//! The Express Mode calls of [`SdkEcs`]: Create/Update/Describe/DeleteExpressGatewayService,
//! and DescribeServiceRevisions for the resources ECS made for a revision.

use aws_sdk_ecs::operation::create_express_gateway_service::CreateExpressGatewayServiceInput;
use aws_sdk_ecs::operation::update_express_gateway_service::UpdateExpressGatewayServiceInput;
use aws_sdk_ecs::types::{EcsExpressGatewayService, ExpressGatewayServiceInclude, ServiceRevision};

use super::{AwsResult, SdkEcs, malformed};
use crate::aws::error::AwsError;

impl SdkEcs {
    pub(super) async fn create_express_call(
        &self,
        input: CreateExpressGatewayServiceInput,
    ) -> AwsResult<EcsExpressGatewayService> {
        let out = self
            .client
            .create_express_gateway_service()
            .set_service_name(input.service_name)
            .set_cluster(input.cluster)
            .set_execution_role_arn(input.execution_role_arn)
            .set_infrastructure_role_arn(input.infrastructure_role_arn)
            .set_task_role_arn(input.task_role_arn)
            .set_primary_container(input.primary_container)
            .set_cpu(input.cpu)
            .set_memory(input.memory)
            .set_health_check_path(input.health_check_path)
            .set_scaling_target(input.scaling_target)
            .set_network_configuration(input.network_configuration)
            .set_tags(input.tags)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("CreateExpressGatewayService", e))?;
        out.service.ok_or_else(|| malformed("CreateExpressGatewayService", "service"))
    }

    pub(super) async fn update_express_call(&self, input: UpdateExpressGatewayServiceInput) -> AwsResult<()> {
        self.client
            .update_express_gateway_service()
            .set_service_arn(input.service_arn)
            .set_execution_role_arn(input.execution_role_arn)
            .set_task_role_arn(input.task_role_arn)
            .set_primary_container(input.primary_container)
            .set_cpu(input.cpu)
            .set_memory(input.memory)
            .set_health_check_path(input.health_check_path)
            .set_scaling_target(input.scaling_target)
            .set_network_configuration(input.network_configuration)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::from_sdk("UpdateExpressGatewayService", e))
    }

    pub(super) async fn describe_express_call(&self, arn: &str) -> AwsResult<Option<EcsExpressGatewayService>> {
        let answer = self
            .client
            .describe_express_gateway_service()
            .service_arn(arn)
            .include(ExpressGatewayServiceInclude::Tags)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DescribeExpressGatewayService", e));
        match answer {
            Ok(out) => Ok(out.service),
            // ECS forgets a deleted Express service some time after it went INACTIVE.
            Err(e) if e.code == "ResourceNotFoundException" || e.code == "ServiceNotFoundException" => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub(super) async fn delete_express_call(&self, arn: &str) -> AwsResult<EcsExpressGatewayService> {
        let out = self
            .client
            .delete_express_gateway_service()
            .service_arn(arn)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DeleteExpressGatewayService", e))?;
        out.service.ok_or_else(|| malformed("DeleteExpressGatewayService", "service"))
    }

    pub(super) async fn describe_service_revision_call(&self, arn: &str) -> AwsResult<Option<ServiceRevision>> {
        let out = self
            .client
            .describe_service_revisions()
            .service_revision_arns(arn)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DescribeServiceRevisions", e))?;
        // An unknown ARN comes back in `failures` (reason MISSING), not as an error.
        Ok(out.service_revisions.unwrap_or_default().into_iter().find(|r| r.service_revision_arn() == Some(arn)))
    }
}
