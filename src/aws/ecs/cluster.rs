//! The cluster calls of [`SdkEcs`]: CreateCluster, DescribeClusters, UpdateCluster,
//! PutClusterCapacityProviders, DeleteCluster and ListServices (to know whether a cluster still
//! holds services before deleting it).

use aws_sdk_ecs::operation::create_cluster::CreateClusterInput;
use aws_sdk_ecs::operation::put_cluster_capacity_providers::PutClusterCapacityProvidersInput;
use aws_sdk_ecs::operation::update_cluster::UpdateClusterInput;
use aws_sdk_ecs::types::{Cluster, ClusterField};

use super::{AwsResult, DESCRIBE_CLUSTERS_LIMIT, SdkEcs, malformed};
use crate::aws::error::AwsError;

impl SdkEcs {
    pub(super) async fn create_cluster_call(&self, input: CreateClusterInput) -> AwsResult<Cluster> {
        let out = self
            .client
            .create_cluster()
            .set_cluster_name(input.cluster_name)
            .set_tags(input.tags)
            .set_settings(input.settings)
            .set_configuration(input.configuration)
            .set_capacity_providers(input.capacity_providers)
            .set_default_capacity_provider_strategy(input.default_capacity_provider_strategy)
            .set_service_connect_defaults(input.service_connect_defaults)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("CreateCluster", e))?;
        out.cluster.ok_or_else(|| malformed("CreateCluster", "cluster"))
    }

    pub(super) async fn describe_clusters_call(&self, names: Vec<String>) -> AwsResult<Vec<Cluster>> {
        let mut clusters = Vec::new();
        // An empty list would describe the account's `default` cluster: never what was asked.
        for chunk in names.chunks(DESCRIBE_CLUSTERS_LIMIT) {
            let out = self
                .client
                .describe_clusters()
                .set_clusters(Some(chunk.to_vec()))
                // The counts the status shows are top-level fields; STATISTICS and ATTACHMENTS
                // feed no decision, so they are not asked for.
                .include(ClusterField::Tags)
                .include(ClusterField::Settings)
                .include(ClusterField::Configurations)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("DescribeClusters", e))?;
            clusters.extend(out.clusters.unwrap_or_default());
        }
        Ok(clusters)
    }

    pub(super) async fn update_cluster_call(&self, input: UpdateClusterInput) -> AwsResult<Cluster> {
        let out = self
            .client
            .update_cluster()
            .set_cluster(input.cluster)
            .set_settings(input.settings)
            .set_configuration(input.configuration)
            .set_service_connect_defaults(input.service_connect_defaults)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("UpdateCluster", e))?;
        out.cluster.ok_or_else(|| malformed("UpdateCluster", "cluster"))
    }

    pub(super) async fn put_cluster_capacity_providers_call(
        &self,
        input: PutClusterCapacityProvidersInput,
    ) -> AwsResult<Cluster> {
        let out = self
            .client
            .put_cluster_capacity_providers()
            .set_cluster(input.cluster)
            .set_capacity_providers(input.capacity_providers)
            .set_default_capacity_provider_strategy(input.default_capacity_provider_strategy)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("PutClusterCapacityProviders", e))?;
        out.cluster.ok_or_else(|| malformed("PutClusterCapacityProviders", "cluster"))
    }

    pub(super) async fn delete_cluster_call(&self, cluster: &str) -> AwsResult<Cluster> {
        let out = self
            .client
            .delete_cluster()
            .cluster(cluster)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DeleteCluster", e))?;
        out.cluster.ok_or_else(|| malformed("DeleteCluster", "cluster"))
    }

    pub(super) async fn list_services_call(&self, cluster: &str) -> AwsResult<Vec<String>> {
        let mut arns = Vec::new();
        let mut token = None;
        loop {
            let out = self
                .client
                .list_services()
                .cluster(cluster)
                .max_results(100)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("ListServices", e))?;
            arns.extend(out.service_arns.unwrap_or_default());
            token = out.next_token;
            if token.is_none() {
                return Ok(arns);
            }
        }
    }
}
