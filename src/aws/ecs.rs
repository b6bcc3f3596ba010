//! The narrow view of ECS the controllers use, as a trait so reconcile logic can be tested
//! against fakes, and its implementation over aws-sdk-ecs (aimed at AWS, ecs-sim or moto by
//! endpoint).

use std::sync::Arc;

use aws_sdk_ecs::operation::create_capacity_provider::CreateCapacityProviderInput;
use aws_sdk_ecs::operation::create_cluster::CreateClusterInput;
use aws_sdk_ecs::operation::create_express_gateway_service::CreateExpressGatewayServiceInput;
use aws_sdk_ecs::operation::create_service::CreateServiceInput;
use aws_sdk_ecs::operation::put_cluster_capacity_providers::PutClusterCapacityProvidersInput;
use aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionInput;
use aws_sdk_ecs::operation::run_task::RunTaskInput;
use aws_sdk_ecs::operation::update_capacity_provider::UpdateCapacityProviderInput;
use aws_sdk_ecs::operation::update_cluster::UpdateClusterInput;
use aws_sdk_ecs::operation::update_express_gateway_service::UpdateExpressGatewayServiceInput;
use aws_sdk_ecs::operation::update_service::UpdateServiceInput;
use aws_sdk_ecs::types::{
    CapacityProvider, Cluster, DeploymentLifecycleHookAction, DesiredStatus, EcsExpressGatewayService, Service,
    ServiceDeployment, ServiceField, ServiceRevision, SortOrder, Tag, Task, TaskDefinition, TaskDefinitionField,
    TaskDefinitionStatus,
};
use futures::future::BoxFuture;

use super::error::AwsError;
use crate::crd::common::Tags;

// The cluster and capacity provider calls live in their own files to keep this one readable.
mod capacity_provider;
mod cluster;
mod express;
mod service_deployment;
mod task;

pub use task::{DESCRIBE_TASKS_LIMIT, Started};

pub type AwsResult<T> = Result<T, AwsError>;

/// A task definition revision with its tags, as DescribeTaskDefinition returns them.
#[derive(Debug, Clone)]
pub struct DescribedTaskDefinition {
    pub task_definition: TaskDefinition,
    pub tags: Vec<Tag>,
}

/// The ECS operations the controllers need. Each method is one API call (list methods follow
/// pagination), so call counts in tests map to AWS traffic.
pub trait EcsApi: Send + Sync {
    /// One cheap read (ListClusters, one result) to prove the endpoint and credentials work.
    fn check_access(&self) -> BoxFuture<'_, AwsResult<()>>;

    fn register_task_definition(&self, input: RegisterTaskDefinitionInput) -> BoxFuture<'_, AwsResult<TaskDefinition>>;

    /// None when the revision does not exist (or was deleted).
    fn describe_task_definition<'a>(
        &'a self,
        arn: &'a str,
    ) -> BoxFuture<'a, AwsResult<Option<DescribedTaskDefinition>>>;

    /// ARNs of the family's revisions in `status`, newest first.
    fn list_task_definitions<'a>(
        &'a self,
        family: &'a str,
        status: TaskDefinitionStatus,
    ) -> BoxFuture<'a, AwsResult<Vec<String>>>;

    /// Every ACTIVE revision of every family in the account and region (100 a page).
    fn list_active_revisions(&self) -> BoxFuture<'_, AwsResult<Vec<String>>>;

    fn deregister_task_definition<'a>(&'a self, arn: &'a str) -> BoxFuture<'a, AwsResult<()>>;

    /// Deletes INACTIVE revisions (ECS allows up to 10 per call).
    fn delete_task_definitions(&self, arns: Vec<String>) -> BoxFuture<'_, AwsResult<()>>;

    fn tag_resource<'a>(&'a self, arn: &'a str, tags: &'a Tags) -> BoxFuture<'a, AwsResult<()>>;

    fn untag_resource<'a>(&'a self, arn: &'a str, keys: Vec<String>) -> BoxFuture<'a, AwsResult<()>>;

    fn create_service(&self, input: CreateServiceInput) -> BoxFuture<'_, AwsResult<Service>>;

    /// Up to 10 services of one cluster (with tags). Missing names are simply absent.
    fn describe_services<'a>(&'a self, cluster: &'a str, names: Vec<String>) -> BoxFuture<'a, AwsResult<Vec<Service>>>;

    fn update_service(&self, input: UpdateServiceInput) -> BoxFuture<'_, AwsResult<Service>>;

    fn delete_service<'a>(&'a self, cluster: &'a str, service: &'a str, force: bool) -> BoxFuture<'a, AwsResult<()>>;

    fn create_cluster(&self, input: CreateClusterInput) -> BoxFuture<'_, AwsResult<Cluster>>;

    /// Up to [`DESCRIBE_CLUSTERS_LIMIT`] clusters by name or ARN, with tags, settings,
    /// configuration and statistics. Unknown names are absent; deleted clusters may still be
    /// returned as INACTIVE for a while.
    fn describe_clusters(&self, names: Vec<String>) -> BoxFuture<'_, AwsResult<Vec<Cluster>>>;

    fn update_cluster(&self, input: UpdateClusterInput) -> BoxFuture<'_, AwsResult<Cluster>>;

    fn put_cluster_capacity_providers(
        &self,
        input: PutClusterCapacityProvidersInput,
    ) -> BoxFuture<'_, AwsResult<Cluster>>;

    /// The cluster as ECS answered the delete (INACTIVE, or DEPROVISIONING on the way there).
    fn delete_cluster<'a>(&'a self, cluster: &'a str) -> BoxFuture<'a, AwsResult<Cluster>>;

    /// ARNs of every service in the cluster that is not INACTIVE (all pages).
    fn list_services<'a>(&'a self, cluster: &'a str) -> BoxFuture<'a, AwsResult<Vec<String>>>;

    fn create_capacity_provider(
        &self,
        input: CreateCapacityProviderInput,
    ) -> BoxFuture<'_, AwsResult<CapacityProvider>>;

    /// Capacity providers by name or ARN, with tags (all pages), within `cluster` for Managed
    /// Instances providers (ECS describes those by their cluster). Unknown names are absent;
    /// deleted providers may still be returned as INACTIVE.
    fn describe_capacity_providers<'a>(
        &'a self,
        names: Vec<String>,
        cluster: Option<&'a str>,
    ) -> BoxFuture<'a, AwsResult<Vec<CapacityProvider>>>;

    /// Changes the managed settings (the only ones ECS lets an update change).
    fn update_capacity_provider(
        &self,
        input: UpdateCapacityProviderInput,
    ) -> BoxFuture<'_, AwsResult<CapacityProvider>>;

    /// The provider as ECS answered the delete (a Managed Instances provider within its
    /// `cluster`). ECS refuses while a cluster still uses it.
    fn delete_capacity_provider<'a>(
        &'a self,
        name: &'a str,
        cluster: Option<&'a str>,
    ) -> BoxFuture<'a, AwsResult<CapacityProvider>>;

    /// One service deployment by ARN (DescribeServiceDeployments); None when ECS does not
    /// know it.
    fn describe_service_deployment<'a>(&'a self, arn: &'a str) -> BoxFuture<'a, AwsResult<Option<ServiceDeployment>>>;

    /// Acts on a PAUSE hook awaiting action (ContinueServiceDeployment).
    fn continue_service_deployment<'a>(
        &'a self,
        arn: &'a str,
        hook_id: &'a str,
        action: DeploymentLifecycleHookAction,
    ) -> BoxFuture<'a, AwsResult<()>>;

    /// Rolls a deployment in progress back (StopServiceDeployment, stopType ROLLBACK).
    fn stop_service_deployment<'a>(&'a self, arn: &'a str) -> BoxFuture<'a, AwsResult<()>>;

    /// Starts standalone tasks (RunTask): those started, and why any could not be placed.
    fn run_task(&self, input: RunTaskInput) -> BoxFuture<'_, AwsResult<Started>>;

    /// Tasks of one cluster by ARN, with tags (100 per call). Unknown ones are absent: ECS keeps
    /// stopped tasks visible for about an hour.
    fn describe_tasks<'a>(&'a self, cluster: &'a str, arns: Vec<String>) -> BoxFuture<'a, AwsResult<Vec<Task>>>;

    /// ARNs of the cluster's tasks started with `started_by` whose desired status is `desired`
    /// (all pages).
    fn list_tasks<'a>(
        &'a self,
        cluster: &'a str,
        started_by: &'a str,
        desired: DesiredStatus,
    ) -> BoxFuture<'a, AwsResult<Vec<String>>>;

    /// Asks a task to stop; the task as ECS answered.
    fn stop_task<'a>(&'a self, cluster: &'a str, arn: &'a str, reason: &'a str) -> BoxFuture<'a, AwsResult<Task>>;

    fn create_express_service(
        &self,
        input: CreateExpressGatewayServiceInput,
    ) -> BoxFuture<'_, AwsResult<EcsExpressGatewayService>>;

    /// Changes an Express service; ECS rolls out a new revision when anything differs.
    fn update_express_service(&self, input: UpdateExpressGatewayServiceInput) -> BoxFuture<'_, AwsResult<()>>;

    /// The Express service with its tags; None once ECS no longer knows it (INACTIVE ones are
    /// still returned for a while).
    fn describe_express_service<'a>(
        &'a self,
        arn: &'a str,
    ) -> BoxFuture<'a, AwsResult<Option<EcsExpressGatewayService>>>;

    /// The service as ECS answered the delete (DRAINING on its way to INACTIVE).
    fn delete_express_service<'a>(&'a self, arn: &'a str) -> BoxFuture<'a, AwsResult<EcsExpressGatewayService>>;

    /// One service revision (DescribeServiceRevisions); None when ECS does not know it.
    fn describe_service_revision<'a>(&'a self, arn: &'a str) -> BoxFuture<'a, AwsResult<Option<ServiceRevision>>>;
}

/// ECS through aws-sdk-ecs.
#[derive(Clone)]
pub struct SdkEcs {
    client: aws_sdk_ecs::Client,
}

impl SdkEcs {
    /// The SDK client as the trait object the controllers hold.
    pub fn shared(client: aws_sdk_ecs::Client) -> Arc<dyn EcsApi> {
        Arc::new(Self { client })
    }
}

impl SdkEcs {
    /// Every page of ListTaskDefinitions (100 a page, newest first) of `family` exactly, or of
    /// every family.
    async fn list_revisions(&self, family: Option<&str>, status: TaskDefinitionStatus) -> AwsResult<Vec<String>> {
        let mut arns = Vec::new();
        let mut token = None;
        loop {
            let out = self
                .client
                .list_task_definitions()
                .set_family_prefix(family.map(str::to_owned))
                .status(status.clone())
                .sort(SortOrder::Desc)
                .max_results(100)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("ListTaskDefinitions", e))?;
            // familyPrefix matches prefixes: keep only this exact family.
            let listed = out.task_definition_arns.unwrap_or_default().into_iter();
            arns.extend(listed.filter(|a| family.is_none_or(|f| family_of(a) == Some(f))));
            token = out.next_token;
            if token.is_none() {
                return Ok(arns);
            }
        }
    }
}

/// ECS answers DescribeTaskDefinition for an unknown or deleted revision with a
/// ClientException rather than a not-found code.
fn is_missing_task_definition(err: &AwsError) -> bool {
    err.code == "ClientException" && err.message.to_ascii_lowercase().contains("unable to describe task definition")
}

impl EcsApi for SdkEcs {
    fn check_access(&self) -> BoxFuture<'_, AwsResult<()>> {
        Box::pin(async move {
            self.client
                .list_clusters()
                .max_results(1)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk("ListClusters", e))
        })
    }

    // Elastic Inference is retired by AWS and its SDK fields are deprecated; the CRD models the
    // whole request, so the field is still passed through when a user sets it.
    #[allow(deprecated)]
    fn register_task_definition(&self, input: RegisterTaskDefinitionInput) -> BoxFuture<'_, AwsResult<TaskDefinition>> {
        Box::pin(async move {
            let out = self
                .client
                .register_task_definition()
                .set_family(input.family)
                .set_task_role_arn(input.task_role_arn)
                .set_execution_role_arn(input.execution_role_arn)
                .set_network_mode(input.network_mode)
                .set_container_definitions(input.container_definitions)
                .set_volumes(input.volumes)
                .set_placement_constraints(input.placement_constraints)
                .set_requires_compatibilities(input.requires_compatibilities)
                .set_cpu(input.cpu)
                .set_memory(input.memory)
                .set_tags(input.tags)
                .set_pid_mode(input.pid_mode)
                .set_ipc_mode(input.ipc_mode)
                .set_proxy_configuration(input.proxy_configuration)
                .set_inference_accelerators(input.inference_accelerators)
                .set_ephemeral_storage(input.ephemeral_storage)
                .set_runtime_platform(input.runtime_platform)
                .set_enable_fault_injection(input.enable_fault_injection)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("RegisterTaskDefinition", e))?;
            out.task_definition.ok_or_else(|| malformed("RegisterTaskDefinition", "taskDefinition"))
        })
    }

    fn describe_task_definition<'a>(
        &'a self,
        arn: &'a str,
    ) -> BoxFuture<'a, AwsResult<Option<DescribedTaskDefinition>>> {
        Box::pin(async move {
            let result = self
                .client
                .describe_task_definition()
                .task_definition(arn)
                .include(TaskDefinitionField::Tags)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("DescribeTaskDefinition", e));
            match result {
                Ok(out) => Ok(out.task_definition.map(|task_definition| DescribedTaskDefinition {
                    task_definition,
                    tags: out.tags.unwrap_or_default(),
                })),
                Err(e) if is_missing_task_definition(&e) => Ok(None),
                Err(e) => Err(e),
            }
        })
    }

    fn list_task_definitions<'a>(
        &'a self,
        family: &'a str,
        status: TaskDefinitionStatus,
    ) -> BoxFuture<'a, AwsResult<Vec<String>>> {
        Box::pin(self.list_revisions(Some(family), status))
    }

    fn list_active_revisions(&self) -> BoxFuture<'_, AwsResult<Vec<String>>> {
        Box::pin(self.list_revisions(None, TaskDefinitionStatus::Active))
    }

    fn deregister_task_definition<'a>(&'a self, arn: &'a str) -> BoxFuture<'a, AwsResult<()>> {
        Box::pin(async move {
            self.client
                .deregister_task_definition()
                .task_definition(arn)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk("DeregisterTaskDefinition", e))
        })
    }

    fn delete_task_definitions(&self, arns: Vec<String>) -> BoxFuture<'_, AwsResult<()>> {
        Box::pin(async move {
            for chunk in arns.chunks(10) {
                let out = self
                    .client
                    .delete_task_definitions()
                    .set_task_definitions(Some(chunk.to_vec()))
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("DeleteTaskDefinitions", e))?;
                if let Some(failure) = out.failures.unwrap_or_default().into_iter().next() {
                    return Err(AwsError::classify(
                        "DeleteTaskDefinitions",
                        failure.reason.unwrap_or_else(|| "Failure".into()),
                        failure.detail.unwrap_or_default(),
                    ));
                }
            }
            Ok(())
        })
    }

    fn tag_resource<'a>(&'a self, arn: &'a str, tags: &'a Tags) -> BoxFuture<'a, AwsResult<()>> {
        Box::pin(async move {
            self.client
                .tag_resource()
                .resource_arn(arn)
                .set_tags(super::convert::tags_to_sdk(Some(tags), &Tags::new()))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk("TagResource", e))
        })
    }

    fn untag_resource<'a>(&'a self, arn: &'a str, keys: Vec<String>) -> BoxFuture<'a, AwsResult<()>> {
        Box::pin(async move {
            self.client
                .untag_resource()
                .resource_arn(arn)
                .set_tag_keys(Some(keys))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk("UntagResource", e))
        })
    }

    fn create_service(&self, input: CreateServiceInput) -> BoxFuture<'_, AwsResult<Service>> {
        Box::pin(self.create(input))
    }

    fn describe_services<'a>(&'a self, cluster: &'a str, names: Vec<String>) -> BoxFuture<'a, AwsResult<Vec<Service>>> {
        Box::pin(async move {
            let out = self
                .client
                .describe_services()
                .cluster(cluster)
                .set_services(Some(names))
                .include(ServiceField::Tags)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("DescribeServices", e))?;
            Ok(out.services.unwrap_or_default())
        })
    }

    fn update_service(&self, input: UpdateServiceInput) -> BoxFuture<'_, AwsResult<Service>> {
        Box::pin(self.update(input))
    }

    fn delete_service<'a>(&'a self, cluster: &'a str, service: &'a str, force: bool) -> BoxFuture<'a, AwsResult<()>> {
        Box::pin(async move {
            self.client
                .delete_service()
                .cluster(cluster)
                .service(service)
                .force(force)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk("DeleteService", e))
        })
    }

    fn create_cluster(&self, input: CreateClusterInput) -> BoxFuture<'_, AwsResult<Cluster>> {
        Box::pin(self.create_cluster_call(input))
    }

    fn describe_clusters(&self, names: Vec<String>) -> BoxFuture<'_, AwsResult<Vec<Cluster>>> {
        Box::pin(self.describe_clusters_call(names))
    }

    fn update_cluster(&self, input: UpdateClusterInput) -> BoxFuture<'_, AwsResult<Cluster>> {
        Box::pin(self.update_cluster_call(input))
    }

    fn put_cluster_capacity_providers(
        &self,
        input: PutClusterCapacityProvidersInput,
    ) -> BoxFuture<'_, AwsResult<Cluster>> {
        Box::pin(self.put_cluster_capacity_providers_call(input))
    }

    fn delete_cluster<'a>(&'a self, cluster: &'a str) -> BoxFuture<'a, AwsResult<Cluster>> {
        Box::pin(self.delete_cluster_call(cluster))
    }

    fn list_services<'a>(&'a self, cluster: &'a str) -> BoxFuture<'a, AwsResult<Vec<String>>> {
        Box::pin(self.list_services_call(cluster))
    }

    fn create_capacity_provider(
        &self,
        input: CreateCapacityProviderInput,
    ) -> BoxFuture<'_, AwsResult<CapacityProvider>> {
        Box::pin(self.create_capacity_provider_call(input))
    }

    fn describe_capacity_providers<'a>(
        &'a self,
        names: Vec<String>,
        cluster: Option<&'a str>,
    ) -> BoxFuture<'a, AwsResult<Vec<CapacityProvider>>> {
        Box::pin(self.describe_capacity_providers_call(names, cluster))
    }

    fn update_capacity_provider(
        &self,
        input: UpdateCapacityProviderInput,
    ) -> BoxFuture<'_, AwsResult<CapacityProvider>> {
        Box::pin(self.update_capacity_provider_call(input))
    }

    fn delete_capacity_provider<'a>(
        &'a self,
        name: &'a str,
        cluster: Option<&'a str>,
    ) -> BoxFuture<'a, AwsResult<CapacityProvider>> {
        Box::pin(self.delete_capacity_provider_call(name, cluster))
    }

    fn describe_service_deployment<'a>(&'a self, arn: &'a str) -> BoxFuture<'a, AwsResult<Option<ServiceDeployment>>> {
        Box::pin(self.describe_service_deployment_call(arn))
    }

    fn continue_service_deployment<'a>(
        &'a self,
        arn: &'a str,
        hook_id: &'a str,
        action: DeploymentLifecycleHookAction,
    ) -> BoxFuture<'a, AwsResult<()>> {
        Box::pin(self.continue_service_deployment_call(arn, hook_id, action))
    }

    fn stop_service_deployment<'a>(&'a self, arn: &'a str) -> BoxFuture<'a, AwsResult<()>> {
        Box::pin(self.stop_service_deployment_call(arn))
    }

    fn run_task(&self, input: RunTaskInput) -> BoxFuture<'_, AwsResult<Started>> {
        Box::pin(self.run_task_call(input))
    }

    fn describe_tasks<'a>(&'a self, cluster: &'a str, arns: Vec<String>) -> BoxFuture<'a, AwsResult<Vec<Task>>> {
        Box::pin(self.describe_tasks_call(cluster, arns))
    }

    fn list_tasks<'a>(
        &'a self,
        cluster: &'a str,
        started_by: &'a str,
        desired: DesiredStatus,
    ) -> BoxFuture<'a, AwsResult<Vec<String>>> {
        Box::pin(self.list_tasks_call(cluster, started_by, desired))
    }

    fn stop_task<'a>(&'a self, cluster: &'a str, arn: &'a str, reason: &'a str) -> BoxFuture<'a, AwsResult<Task>> {
        Box::pin(self.stop_task_call(cluster, arn, reason))
    }

    fn create_express_service(
        &self,
        input: CreateExpressGatewayServiceInput,
    ) -> BoxFuture<'_, AwsResult<EcsExpressGatewayService>> {
        Box::pin(self.create_express_call(input))
    }

    fn update_express_service(&self, input: UpdateExpressGatewayServiceInput) -> BoxFuture<'_, AwsResult<()>> {
        Box::pin(self.update_express_call(input))
    }

    fn describe_express_service<'a>(
        &'a self,
        arn: &'a str,
    ) -> BoxFuture<'a, AwsResult<Option<EcsExpressGatewayService>>> {
        Box::pin(self.describe_express_call(arn))
    }

    fn delete_express_service<'a>(&'a self, arn: &'a str) -> BoxFuture<'a, AwsResult<EcsExpressGatewayService>> {
        Box::pin(self.delete_express_call(arn))
    }

    fn describe_service_revision<'a>(&'a self, arn: &'a str) -> BoxFuture<'a, AwsResult<Option<ServiceRevision>>> {
        Box::pin(self.describe_service_revision_call(arn))
    }
}

/// ECS caps DescribeServices at 10 names per call.
pub const DESCRIBE_SERVICES_LIMIT: usize = 10;

/// ECS caps DescribeClusters at 100 names per call.
pub const DESCRIBE_CLUSTERS_LIMIT: usize = 100;

impl SdkEcs {
    async fn create(&self, input: CreateServiceInput) -> AwsResult<Service> {
        let out = self
            .client
            .create_service()
            .set_cluster(input.cluster)
            .set_service_name(input.service_name)
            .set_task_definition(input.task_definition)
            .set_availability_zone_rebalancing(input.availability_zone_rebalancing)
            .set_load_balancers(input.load_balancers)
            .set_service_registries(input.service_registries)
            .set_desired_count(input.desired_count)
            .set_client_token(input.client_token)
            .set_launch_type(input.launch_type)
            .set_capacity_provider_strategy(input.capacity_provider_strategy)
            .set_platform_version(input.platform_version)
            .set_role(input.role)
            .set_deployment_configuration(input.deployment_configuration)
            .set_placement_constraints(input.placement_constraints)
            .set_placement_strategy(input.placement_strategy)
            .set_network_configuration(input.network_configuration)
            .set_health_check_grace_period_seconds(input.health_check_grace_period_seconds)
            .set_scheduling_strategy(input.scheduling_strategy)
            .set_deployment_controller(input.deployment_controller)
            .set_tags(input.tags)
            .set_enable_ecs_managed_tags(input.enable_ecs_managed_tags)
            .set_propagate_tags(input.propagate_tags)
            .set_enable_execute_command(input.enable_execute_command)
            .set_service_connect_configuration(input.service_connect_configuration)
            .set_volume_configurations(input.volume_configurations)
            .set_vpc_lattice_configurations(input.vpc_lattice_configurations)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("CreateService", e))?;
        out.service.ok_or_else(|| malformed("CreateService", "service"))
    }

    async fn update(&self, input: UpdateServiceInput) -> AwsResult<Service> {
        let out = self
            .client
            .update_service()
            .set_cluster(input.cluster)
            .set_service(input.service)
            .set_desired_count(input.desired_count)
            .set_task_definition(input.task_definition)
            .set_capacity_provider_strategy(input.capacity_provider_strategy)
            .set_deployment_configuration(input.deployment_configuration)
            .set_availability_zone_rebalancing(input.availability_zone_rebalancing)
            .set_network_configuration(input.network_configuration)
            .set_placement_constraints(input.placement_constraints)
            .set_placement_strategy(input.placement_strategy)
            .set_platform_version(input.platform_version)
            .set_force_new_deployment(input.force_new_deployment)
            .set_health_check_grace_period_seconds(input.health_check_grace_period_seconds)
            .set_deployment_controller(input.deployment_controller)
            .set_enable_execute_command(input.enable_execute_command)
            .set_enable_ecs_managed_tags(input.enable_ecs_managed_tags)
            .set_load_balancers(input.load_balancers)
            .set_propagate_tags(input.propagate_tags)
            .set_service_registries(input.service_registries)
            .set_service_connect_configuration(input.service_connect_configuration)
            .set_volume_configurations(input.volume_configurations)
            .set_vpc_lattice_configurations(input.vpc_lattice_configurations)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("UpdateService", e))?;
        out.service.ok_or_else(|| malformed("UpdateService", "service"))
    }
}

fn malformed(operation: &'static str, field: &str) -> AwsError {
    AwsError::malformed(operation, format!("the response has no {field}"))
}

/// `family` of `arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>`.
pub fn family_of(arn: &str) -> Option<&str> {
    let (_, tail) = arn.rsplit_once(":task-definition/")?;
    Some(tail.rsplit_once(':').map_or(tail, |(family, _)| family))
}

/// Revision number of a task definition ARN.
pub fn revision_of(arn: &str) -> Option<i64> {
    arn.rsplit_once(':')?.1.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arn_parts() {
        let arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/web-app:12";
        assert_eq!(family_of(arn), Some("web-app"));
        assert_eq!(revision_of(arn), Some(12));
        assert_eq!(family_of("nonsense"), None);
    }
}
