//! The capacity provider calls of [`SdkEcs`]: CreateCapacityProvider,
//! DescribeCapacityProviders (with tags, all pages), UpdateCapacityProvider and
//! DeleteCapacityProvider.

use aws_sdk_ecs::operation::create_capacity_provider::CreateCapacityProviderInput;
use aws_sdk_ecs::operation::update_capacity_provider::UpdateCapacityProviderInput;
use aws_sdk_ecs::types::{CapacityProvider, CapacityProviderField};

use super::{AwsResult, SdkEcs, malformed};
use crate::aws::error::AwsError;

impl SdkEcs {
    pub(super) async fn create_capacity_provider_call(
        &self,
        input: CreateCapacityProviderInput,
    ) -> AwsResult<CapacityProvider> {
        let out = self
            .client
            .create_capacity_provider()
            .set_name(input.name)
            .set_auto_scaling_group_provider(input.auto_scaling_group_provider)
            .set_managed_instances_provider(input.managed_instances_provider)
            .set_cluster(input.cluster)
            .set_tags(input.tags)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("CreateCapacityProvider", e))?;
        out.capacity_provider.ok_or_else(|| malformed("CreateCapacityProvider", "capacityProvider"))
    }

    pub(super) async fn describe_capacity_providers_call(
        &self,
        names: Vec<String>,
        cluster: Option<&str>,
    ) -> AwsResult<Vec<CapacityProvider>> {
        // An empty list would describe every provider in the account: never what was asked.
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let mut providers = Vec::new();
        let mut token = None;
        loop {
            let out = self
                .client
                .describe_capacity_providers()
                .set_capacity_providers(Some(names.clone()))
                .set_cluster(cluster.map(str::to_owned))
                .include(CapacityProviderField::Tags)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("DescribeCapacityProviders", e))?;
            providers.extend(out.capacity_providers.unwrap_or_default());
            token = out.next_token;
            if token.is_none() {
                return Ok(providers);
            }
        }
    }

    pub(super) async fn update_capacity_provider_call(
        &self,
        input: UpdateCapacityProviderInput,
    ) -> AwsResult<CapacityProvider> {
        let out = self
            .client
            .update_capacity_provider()
            .set_name(input.name)
            .set_auto_scaling_group_provider(input.auto_scaling_group_provider)
            .set_managed_instances_provider(input.managed_instances_provider)
            .set_cluster(input.cluster)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("UpdateCapacityProvider", e))?;
        out.capacity_provider.ok_or_else(|| malformed("UpdateCapacityProvider", "capacityProvider"))
    }

    pub(super) async fn delete_capacity_provider_call(
        &self,
        name: &str,
        cluster: Option<&str>,
    ) -> AwsResult<CapacityProvider> {
        let out = self
            .client
            .delete_capacity_provider()
            .capacity_provider(name)
            .set_cluster(cluster.map(str::to_owned))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DeleteCapacityProvider", e))?;
        out.capacity_provider.ok_or_else(|| malformed("DeleteCapacityProvider", "capacityProvider"))
    }
}
