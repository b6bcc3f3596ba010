//! `ecs-operator diff`: what the operator would do with a set of manifests, before they are
//! merged. Each object goes through its controller's own steps: the same canonical form, the
//! same reads of ECS (`observe::actual`), the same pure plan functions and ownership checks
//! (through [`Planner`]), so the preview cannot drift from what the controllers then do.
//!
//! References resolve as the controller resolves them: from the files first, then from the
//! Kubernetes cluster when a kubeconfig is given. With a cluster, each object's live status is
//! read too (the hash last applied, `lastApplied`, the revisions a TaskDefinition registered),
//! so removals and corrections are judged exactly; without one, every object is judged as if
//! first applied. Nothing is written anywhere.

pub mod report;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;

use aws_sdk_ecs::types::TaskDefinitionStatus;
use k8s_openapi::NamespaceResourceScope;
use kube::api::{Api, ListParams};
use kube::{Resource, ResourceExt};
use serde::de::DeserializeOwned;

use self::report::{ObjectReport, Verdict, canonical_yaml};
use crate::aws::AwsClients;
use crate::aws::autoscaling::resource_id;
use crate::aws::ecs::revision_of;
use crate::canonical::capacity_provider::canonical_capacity_provider;
use crate::canonical::cluster::canonical_cluster;
use crate::canonical::defaults::{
    CAPACITY_PROVIDER_NOT_COMPARED, CLUSTER_NOT_COMPARED, EXPRESS_NOT_COMPARED, SERVICE_NOT_COMPARED,
};
use crate::canonical::express::canonical_express;
use crate::canonical::service::canonical_service;
use crate::canonical::spec_hash;
use crate::canonical::task_definition::{canonical_task_definition, task_definition_hash};
use crate::controller::capacity_provider as provider_controller;
use crate::controller::cluster::providers::{made_inside, without_made_inside};
use crate::controller::error::Error;
use crate::controller::ownership::owner_of;
use crate::controller::planning::{Plan, Planner};
use crate::controller::references::{cluster_name, current_revision, family_revision};
use crate::controller::{cluster as cluster_controller, express as express_controller};
use crate::controller::{service as service_controller, task_definition as td_controller};
use crate::crd::common::LocalObjectRef;
use crate::crd::{
    CapacityProvider, ECSCluster, ECSExpressService, ECSExpressServiceSpec, ECSService, ECSTask, ManagedObject,
    ManagementPolicy, TaskDefinition,
};
use crate::manifests::{Manifest, Manifests};

/// What the diff reads from: AWS, and the Kubernetes cluster when one is given.
pub struct Sources<'a> {
    pub aws: &'a AwsClients,
    pub kube: Option<kube::Client>,
    /// The operator's `--cluster-id` (its ownership tags carry it).
    pub cluster_id: &'a str,
}

/// Judges every object of `files`: TaskDefinitions first (the services' revisions follow from
/// them), then capacity providers, clusters, services, Express services and tasks.
pub async fn diff(sources: &Sources<'_>, files: &Manifests) -> Vec<ObjectReport> {
    let mut session = Session {
        sources,
        files,
        planner: Planner {
            cluster_id: sources.cluster_id,
            now: k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(k8s_openapi::jiff::Timestamp::now()),
            backoff: Default::default(),
        },
        revisions: BTreeMap::new(),
    };
    let protected = match session.protected_revisions().await {
        Ok(p) => p,
        Err(e) => {
            let verdict = Verdict::Failed(format!("listing ECSServices in the cluster: {e}"));
            return vec![ObjectReport { kind: "ECSService", key: "*".into(), verdict }];
        }
    };
    let mut reports = Vec::new();
    let order = ["TaskDefinition", "CapacityProvider", "ECSCluster", "ECSService", "ECSExpressService", "ECSTask"];
    for kind in order {
        for object in files.objects.iter().filter(|o| o.kind() == kind) {
            let verdict = match session.judge(object, &protected).await {
                Ok(verdict) => verdict,
                // The controller would wait (a reference not registered yet): not an error.
                Err(Error::Waiting(why)) => Verdict::Waiting(why),
                Err(e) => Verdict::Failed(e.to_string()),
            };
            reports.push(ObjectReport { kind: object.kind(), key: object.key(), verdict });
        }
    }
    reports
}

struct Session<'a> {
    sources: &'a Sources<'a>,
    files: &'a Manifests,
    planner: Planner<'a>,
    /// The revision each TaskDefinition of the files (`namespace/name`) gives its services:
    /// the one it has, or the one it would register (None: it would register none, Observe).
    revisions: BTreeMap<String, Option<String>>,
}

impl Session<'_> {
    async fn judge(&mut self, object: &Manifest, protected: &BTreeSet<String>) -> Result<Verdict, Error> {
        match object {
            Manifest::TaskDefinition(td) => {
                self.task_definition(&self.with_live_status(td.as_ref()).await?, protected).await
            }
            Manifest::CapacityProvider(p) => self.capacity_provider(&self.with_live_status(p.as_ref()).await?).await,
            Manifest::Cluster(c) => self.cluster(&self.with_live_status(c.as_ref()).await?).await,
            Manifest::Service(s) => self.service(&self.with_live_status(s.as_ref()).await?).await,
            Manifest::Express(e) => self.express(&self.with_live_status(e.as_ref()).await?).await,
            Manifest::Task(t) => self.task(t).await,
        }
    }

    /// The object as the files give it, with the status the cluster has for it (if any).
    async fn with_live_status<K>(&self, obj: &K) -> Result<K, Error>
    where
        K: ManagedObject
            + Resource<Scope = NamespaceResourceScope, DynamicType = ()>
            + Clone
            + DeserializeOwned
            + Debug,
    {
        let mut obj = obj.clone();
        if let Some(live) = self.live::<K>(&obj.namespace().unwrap_or_default(), &obj.name_any()).await? {
            obj.take_status_of(live);
        }
        Ok(obj)
    }

    async fn live<K>(&self, namespace: &str, name: &str) -> Result<Option<K>, Error>
    where
        K: Resource<Scope = NamespaceResourceScope, DynamicType = ()> + Clone + DeserializeOwned + Debug,
    {
        let Some(client) = &self.sources.kube else { return Ok(None) };
        let api: Api<K> = Api::namespaced(client.clone(), namespace);
        api.get_opt(name).await.map_err(|e| Error::kube(READING_LIVE, e))
    }

    /// Revisions ECSServices in the cluster run or roll to: the TaskDefinition controller never
    /// deregisters them. Without a cluster, no object has a history to prune either.
    async fn protected_revisions(&self) -> Result<BTreeSet<String>, Error> {
        let Some(client) = &self.sources.kube else { return Ok(BTreeSet::new()) };
        let api: Api<ECSService> = Api::all(client.clone());
        let services = api.list(&ListParams::default()).await.map_err(|e| Error::kube(READING_LIVE, e))?;
        Ok(td_controller::revisions_in_use(services.items.iter()))
    }

    async fn task_definition(&mut self, td: &TaskDefinition, protected: &BTreeSet<String>) -> Result<Verdict, Error> {
        let family = td_controller::family_of(td);
        let hash = task_definition_hash(&td.spec, &family).map_err(|e| Error::InvalidSpec(e.to_string()))?;
        let owner = owner_of(td);
        let desired = td_controller::desired(td, &family, &hash, self.planner.cluster_id);
        let ecs = self.sources.aws.ecs.as_ref();
        let adopt = td.spec.policies.adopt();
        let observed = td_controller::observe::observe(ecs, td.status.as_ref(), &desired, &owner, adopt).await?;
        let plan = td_controller::plan::plan(&desired, &observed, protected);
        let observe_only = td.spec.policies.management() == ManagementPolicy::Observe;
        let active = ecs.list_task_definitions(&family, TaskDefinitionStatus::Active).await?;
        let inactive = ecs.list_task_definitions(&family, TaskDefinitionStatus::Inactive).await?;
        let newest = active.iter().chain(&inactive).filter_map(|arn| revision_of(arn).map(|r| (r, arn))).max();
        let next = match newest {
            Some((n, arn)) => format!("{}:{}", arn.rsplit_once(':').map_or(arn.as_str(), |(prefix, _)| prefix), n + 1),
            None => format!("{family}:1"),
        };
        let key = format!("{}/{}", td.namespace().unwrap_or_default(), td.name_any());
        let current = observed.current.as_ref().map(|c| c.arn.clone());
        let gives = if plan.register && !observe_only { Some(next.clone()) } else { current.clone() };
        self.revisions.insert(key, gives);
        let mut actions = Vec::new();
        if !observe_only {
            if plan.register {
                actions.push(format!("register revision {}", family_revision(&next)));
            } else if let Some(arn) = &current {
                actions.extend(tag_actions(&format!("revision {}", family_revision(arn)), &plan.tag, &plan.untag));
            }
            actions.extend(plan.deregister.iter().map(|arn| format!("deregister {}", family_revision(arn))));
        }
        if actions.is_empty() {
            return Ok(nothing(&td.spec.policies, plan.drift.iter().map(|d| d.field.as_str())));
        }
        // What the family holds now: the spec's revision, else the newest ACTIVE one.
        let shown = current.or_else(|| active.first().cloned());
        let (before, before_label) = match &shown {
            Some(arn) => match ecs.describe_task_definition(arn).await? {
                Some(described) => {
                    let spec = crate::aws::convert::task_definition::task_definition_spec_from_sdk(
                        &described.task_definition,
                        &described.tags,
                    )
                    .map_err(|e| Error::Aws(crate::aws::error::AwsError::malformed("DescribeTaskDefinition", e)))?;
                    let canonical =
                        canonical_task_definition(&spec, &family).map_err(|e| Error::InvalidSpec(e.to_string()))?;
                    (
                        canonical_yaml(&canonical),
                        format!("task definition {} (in ECS, canonical)", family_revision(arn)),
                    )
                }
                None => (String::new(), format!("task definition {} (not in ECS)", family_revision(arn))),
            },
            None => (String::new(), format!("task definition family {family} (not in ECS)")),
        };
        let after = canonical_task_definition(&td.spec, &family).map_err(|e| Error::InvalidSpec(e.to_string()))?;
        Ok(Verdict::Changes { actions, before, after: canonical_yaml(&after), before_label })
    }

    async fn capacity_provider(&self, obj: &CapacityProvider) -> Result<Verdict, Error> {
        let name = obj.provider_name();
        provider_controller::check_name(obj, &name)?;
        let mut spec = obj.spec.clone();
        if let (None, Some(r)) = (&spec.cluster, spec.cluster_ref.take()) {
            spec.cluster = Some(self.cluster_named(&obj.namespace().unwrap_or_default(), &r).await?);
        }
        let desired = canonical_capacity_provider(&spec);
        let hash = provider_controller::desired_hash(&desired, &spec)?;
        let ecs = self.sources.aws.ecs.as_ref();
        let found = ecs.describe_capacity_providers(vec![name.clone()], desired.cluster.as_deref()).await;
        let existing = absent_if_no_cluster(found)?
            .unwrap_or_default()
            .into_iter()
            .find(|p| p.name() == Some(name.as_str()) && p.status().is_some_and(|s| s.as_str() != "INACTIVE"));
        let actual = existing.as_ref().map(provider_controller::observe::actual).transpose()?;
        let what = format!("capacity provider {name}");
        let planned = (&desired, hash.as_str(), CAPACITY_PROVIDER_NOT_COMPARED);
        let (plan, _) =
            self.planner.plan_object(obj, &what, planned, actual.as_ref(), provider_controller::plan::plan)?;
        let actions =
            generic_actions(&plan, &what, |fields| vec![format!("UpdateCapacityProvider ({})", fields.join(", "))]);
        Ok(verdict(obj, actions, &plan, (actual.map(|a| a.spec).as_ref(), &desired), &what))
    }

    async fn cluster(&self, cluster: &ECSCluster) -> Result<Verdict, Error> {
        let name = cluster.cluster_name();
        let mut desired = canonical_cluster(&cluster.spec);
        let hash = cluster_controller::desired_hash(&desired, &cluster.spec)?;
        let inside = self.made_inside(cluster).await?;
        without_made_inside(&mut desired.capacity_providers, &inside);
        let described = self.sources.aws.ecs.describe_clusters(vec![name.clone()]).await?;
        let existing =
            described.into_iter().find(|c| c.cluster_name() == Some(name.as_str()) && c.status() != Some("INACTIVE"));
        let mut actual = existing.as_ref().map(|c| cluster_controller::observe::actual(c, &desired)).transpose()?;
        if let Some(actual) = actual.as_mut() {
            without_made_inside(&mut actual.spec.capacity_providers, &inside);
        }
        let what = format!("ECS cluster {name}");
        let planned = (&desired, hash.as_str(), CLUSTER_NOT_COMPARED);
        let (plan, _) =
            self.planner.plan_object(cluster, &what, planned, actual.as_ref(), cluster_controller::plan::plan)?;
        // The controller's two update calls, by the fields each sets.
        let actions = generic_actions(&plan, &what, |fields| {
            let (put, update): (Vec<&str>, Vec<&str>) = fields
                .iter()
                .map(String::as_str)
                .partition(|f| cluster_controller::plan::CAPACITY_PROVIDER_FIELDS.contains(f));
            [("PutClusterCapacityProviders", put), ("UpdateCluster", update)]
                .into_iter()
                .filter(|(_, fields)| !fields.is_empty())
                .map(|(call, fields)| format!("{call} ({})", fields.join(", ")))
                .collect()
        });
        Ok(verdict(cluster, actions, &plan, (actual.map(|a| a.spec).as_ref(), &desired), &what))
    }

    async fn service(&self, svc: &ECSService) -> Result<Verdict, Error> {
        service_controller::check_inputs(&svc.spec)?;
        let namespace = svc.namespace().unwrap_or_default();
        let cluster = match (&svc.spec.cluster, &svc.spec.cluster_ref) {
            (Some(cluster), _) => cluster.clone(),
            (None, Some(r)) => self.cluster_named(&namespace, r).await?,
            (None, None) => return Err(Error::InvalidSpec("spec.cluster: set cluster or clusterRef".into())),
        };
        let held = |td: &TaskDefinition| service_controller::resolve::held_revision(svc, td);
        let (td_name, td_ref) = (svc.spec.task_definition.as_ref(), svc.spec.task_definition_ref.as_ref());
        let td = self.revision_of(&namespace, td_name, td_ref, held).await?;
        let service_name = svc.spec.service_name.clone().unwrap_or_else(|| svc.name_any());
        let scaler_owns_count = svc.spec.autoscaling.is_some();
        let desired = canonical_service(&svc.spec, Some(td.as_str()), scaler_owns_count);
        let hash = service_controller::desired_hash(&desired, &svc.spec)?;
        let ecs = self.sources.aws.ecs.as_ref();
        let described = absent_if_no_cluster(ecs.describe_services(&cluster, vec![service_name.clone()]).await)?;
        let existing = described
            .unwrap_or_default()
            .into_iter()
            .find(|s| s.service_name() == Some(service_name.as_str()) && s.status() != Some("INACTIVE"));
        let seen = svc.status.as_ref().and_then(|s| s.service_connect_namespace.as_deref());
        let actual = existing
            .as_ref()
            .map(|s| service_controller::observe::actual(s, scaler_owns_count, &desired, seen))
            .transpose()?
            .map(|(actual, _)| actual);
        let what = format!("ECS service {service_name}");
        let planned = (&desired, hash.as_str(), SERVICE_NOT_COMPARED);
        // A restart and a held rollback, as the controller judges them from the live status.
        let restart = service_controller::restart_due(svc, actual.is_some());
        let (_, rolled_back) = service_controller::rollback_to_hold(svc, existing.as_ref(), &td, &hash);
        let (plan, _) = self.planner.plan_object(svc, &what, planned, actual.as_ref(), |common| {
            service_controller::plan::plan(&service_controller::plan::PlanInput {
                common: common.clone(),
                restart,
                rolled_back,
            })
        })?;
        let observe_only = svc.policies().management() == ManagementPolicy::Observe;
        if observe_only {
            return Ok(nothing(svc.policies(), plan.drift.iter().map(|d| d.field.as_str())));
        }
        let mut actions = Vec::new();
        if let Some(field) = &plan.requires_replacement {
            actions
                .push(format!("replace: spec.{field} cannot change on an existing service (delete and recreate it)"));
        }
        match &plan.action {
            service_controller::plan::Action::Create => actions.push(format!("create {what} in cluster {cluster}")),
            service_controller::plan::Action::Update { force, fields } => {
                let mut what = fields.join(", ");
                if *force {
                    what = if what.is_empty() {
                        "forceNewDeployment".into()
                    } else {
                        format!("{what}, forceNewDeployment")
                    };
                }
                actions.push(format!("UpdateService ({what})"));
            }
            service_controller::plan::Action::None => {}
        }
        actions.extend(tag_actions(&what, &plan.tag, &plan.untag));
        if existing.is_some() {
            actions.extend(self.autoscaling(svc, &cluster, &service_name).await?);
        }
        let before = actual.map(|a| canonical_yaml(&a.spec)).unwrap_or_default();
        if actions.is_empty() {
            return Ok(nothing(svc.policies(), plan.drift.iter().map(|d| d.field.as_str())));
        }
        let before_label = match &before[..] {
            "" => format!("{what} in cluster {} (not in ECS)", cluster_name(&cluster)),
            _ => format!("{what} in cluster {} (in ECS, canonical)", cluster_name(&cluster)),
        };
        Ok(Verdict::Changes { actions, before, after: canonical_yaml(&desired), before_label })
    }

    /// The Application Auto Scaling calls `spec.autoscaling` needs (the service's own plan).
    async fn autoscaling(&self, svc: &ECSService, cluster: &str, service_name: &str) -> Result<Vec<String>, Error> {
        let api = self.sources.aws.autoscaling.as_ref();
        let id = resource_id(&cluster_name(cluster), service_name);
        let Some(spec) = &svc.spec.autoscaling else {
            let recorded = svc.status.as_ref().and_then(|s| s.scalable_target.as_deref());
            return Ok(recorded.map(|old| format!("deregister the scalable target {old}")).into_iter().collect());
        };
        let target = api.describe_target(&id).await?;
        let policies = api.describe_policies(&id).await?;
        let plan = service_controller::autoscaling::plan(spec, target, &policies);
        let mut actions = Vec::new();
        if let Some(t) = plan.register {
            actions.push(format!("register the scalable target {id} (min {}, max {})", t.min, t.max));
        }
        actions.extend(plan.put.iter().map(|p| format!("put scaling policy {}", p.name)));
        actions.extend(plan.delete.iter().map(|name| format!("delete scaling policy {name}")));
        Ok(actions)
    }

    async fn express(&self, obj: &ECSExpressService) -> Result<Verdict, Error> {
        let name = obj.service_name();
        express_controller::check_name(obj, &name)?;
        let namespace = obj.namespace().unwrap_or_default();
        let cluster = match (&obj.spec.cluster, &obj.spec.cluster_ref) {
            (Some(cluster), _) => cluster_name(cluster),
            (None, Some(r)) => self.cluster_named(&namespace, r).await?,
            (None, None) => "default".into(),
        };
        let spec = ECSExpressServiceSpec { cluster: Some(cluster.clone()), ..obj.spec.clone() };
        let desired = canonical_express(&spec).map_err(Error::InvalidSpec)?;
        let with_tags =
            ECSExpressServiceSpec { tags: obj.spec.tags.clone().filter(|t| !t.is_empty()), ..desired.clone() };
        let hash = spec_hash(&with_tags).map_err(|e| Error::InvalidSpec(format!("spec: {e}")))?;
        let ecs = self.sources.aws.ecs.as_ref();
        let services = absent_if_no_cluster(ecs.describe_services(&cluster, vec![name.clone()]).await)?;
        let service = services
            .unwrap_or_default()
            .into_iter()
            .find(|s| s.service_name() == Some(name.as_str()) && s.status() != Some("INACTIVE"));
        let arn = service.as_ref().and_then(|s| s.service_arn().map(str::to_owned));
        let existing = match &arn {
            Some(arn) => ecs.describe_express_service(arn).await?,
            None => None,
        }
        .filter(|e| express_controller::status::status_code(e) != "INACTIVE");
        let actual = existing.as_ref().map(express_controller::observe::actual).transpose()?;
        let what = format!("Express service {name}");
        let planned = (&desired, hash.as_str(), EXPRESS_NOT_COMPARED);
        // A configuration ECS rolled back is held until the spec changes, as the controller does.
        let held = express_controller::rollback_to_hold(obj, service.as_ref(), &hash).is_some();
        let (plan, _) = self
            .planner
            .plan_object(obj, &what, planned, actual.as_ref(), |input| express_controller::plan::plan(input, held))?;
        let actions = generic_actions(&plan, &what, |fields| {
            vec![format!("UpdateExpressGatewayService ({})", fields.join(", "))]
        });
        Ok(verdict(obj, actions, &plan, (actual.map(|a| a.spec).as_ref(), &desired), &what))
    }

    /// An ECSTask runs once, when it is created, and is fixed from then on.
    async fn task(&self, task: &ECSTask) -> Result<Verdict, Error> {
        let namespace = task.namespace().unwrap_or_default();
        if let Some(live) = self.live::<ECSTask>(&namespace, &task.name_any()).await? {
            let fixed = |spec: &crate::crd::ECSTaskSpec| {
                let json = serde_json::to_value(spec).unwrap_or_default();
                crate::crd::task::IMMUTABLE_FIELDS.iter().map(|f| json.get(*f).cloned()).collect::<Vec<_>>()
            };
            if fixed(&live.spec) != fixed(&task.spec) {
                return Err(Error::InvalidSpec(
                    "spec: an ECSTask is fixed once created (only backoffLimit, activeDeadlineSeconds, \
                     ttlSecondsAfterFinished and deletionPolicy change); create a new ECSTask"
                        .into(),
                ));
            }
            let note = "an ECSTask runs once, when it is created; its limits and deletionPolicy apply as they are";
            return Ok(Verdict::Nothing { note: Some(note.into()) });
        }
        let (td_name, td_ref) = (task.spec.task_definition.as_ref(), task.spec.task_definition_ref.as_ref());
        let td = self.revision_of(&namespace, td_name, td_ref, |_| None).await?;
        let count = task.spec.count.unwrap_or(1);
        let after = canonical_yaml(&task.spec);
        Ok(Verdict::Changes {
            actions: vec![format!("RunTask ({count} task(s) of {})", family_revision(&td))],
            before: String::new(),
            after,
            before_label: "tasks (none started)".into(),
        })
    }

    /// The Managed Instances providers made inside `cluster` (see `made_inside`): the
    /// CapacityProviders of its namespace in the files and, with a cluster, those live there.
    async fn made_inside(&self, cluster: &ECSCluster) -> Result<Vec<String>, Error> {
        let namespace = cluster.namespace();
        let mut names: BTreeSet<String> = self
            .files
            .capacity_providers()
            .filter(|p| p.namespace() == namespace && made_inside(p, cluster))
            .map(|p| p.provider_name())
            .collect();
        if let (Some(client), Some(namespace)) = (&self.sources.kube, &namespace) {
            let api: Api<CapacityProvider> = Api::namespaced(client.clone(), namespace);
            let live = api.list(&ListParams::default()).await.map_err(|e| Error::kube(READING_LIVE, e))?;
            names.extend(live.items.iter().filter(|p| made_inside(p, cluster)).map(|p| p.provider_name()));
        }
        Ok(names.into_iter().collect())
    }

    /// The ECS name of the ECSCluster `r` names: from the files, else from the cluster.
    async fn cluster_named(&self, namespace: &str, r: &LocalObjectRef) -> Result<String, Error> {
        if let Some(cluster) = self.files.cluster(namespace, &r.name) {
            return Ok(cluster.cluster_name());
        }
        match self.live::<ECSCluster>(namespace, &r.name).await? {
            Some(cluster) => Ok(cluster.cluster_name()),
            None => Err(Error::InvalidSpec(format!(
                "spec.clusterRef: ECSCluster {namespace}/{} is neither in the files nor in the cluster{}",
                r.name,
                self.kube_hint()
            ))),
        }
    }

    /// The revision a workload runs: an ARN as it is; a family (or family:revision) as ECS
    /// resolves it; a TaskDefinition from the files as its plan gives it, else the one its
    /// live object registered, else the revision of its family the workload last ran (`held`
    /// for the TaskDefinition), which it keeps while the TaskDefinition has not registered its
    /// spec.
    async fn revision_of(
        &self,
        namespace: &str,
        td: Option<&String>,
        td_ref: Option<&LocalObjectRef>,
        held: impl Fn(&TaskDefinition) -> Option<String>,
    ) -> Result<String, Error> {
        match (td, td_ref) {
            (Some(td), _) if td.starts_with("arn:") => Ok(td.clone()),
            (Some(td), _) => match self.sources.aws.ecs.describe_task_definition(td).await? {
                Some(d) => Ok(d.task_definition.task_definition_arn.clone().unwrap_or_else(|| td.clone())),
                None => Err(Error::InvalidSpec(format!("spec.taskDefinition: ECS has no task definition {td:?}"))),
            },
            (None, Some(r)) => {
                let key = format!("{namespace}/{}", r.name);
                let waits = || {
                    Error::Waiting(format!("TaskDefinition {key} has no revision to run (managementPolicy Observe)"))
                };
                if let Some(known) = self.revisions.get(&key) {
                    return known.clone().ok_or_else(waits);
                }
                match self.live::<TaskDefinition>(namespace, &r.name).await? {
                    Some(live) => current_revision(&live).or_else(|| held(&live)).ok_or_else(|| {
                        Error::Waiting(format!("TaskDefinition {key} has not registered its current spec yet"))
                    }),
                    None => Err(Error::InvalidSpec(format!(
                        "spec.taskDefinitionRef: TaskDefinition {key} is neither in the files nor in the cluster{}",
                        self.kube_hint()
                    ))),
                }
            }
            (None, None) => {
                Err(Error::InvalidSpec("spec.taskDefinition: set taskDefinition or taskDefinitionRef".into()))
            }
        }
    }

    fn kube_hint(&self) -> &'static str {
        if self.sources.kube.is_some() { "" } else { " (pass --kubeconfig to read it from the cluster)" }
    }
}

/// Step name for errors reading live objects.
const READING_LIVE: &str = "reading the live object";

/// No cluster in ECS means nothing in it yet: the objects that make it come first.
fn absent_if_no_cluster<T>(answer: Result<T, crate::aws::error::AwsError>) -> Result<Option<T>, Error> {
    match answer {
        Ok(found) => Ok(Some(found)),
        Err(e) if e.code == "ClusterNotFoundException" => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The calls of a plan for one named resource (see [`Plan`]); `update` names the kind's update
/// calls for the fields it would send.
fn generic_actions(plan: &Plan, what: &str, update: impl Fn(&[String]) -> Vec<String>) -> Vec<String> {
    let mut actions = Vec::new();
    if let Some(field) = plan.replace {
        actions.push(format!("replace: spec.{field} cannot change on an existing resource (delete and recreate it)"));
    }
    if plan.create {
        actions.push(format!("create {what}"));
    }
    if !plan.update.is_empty() {
        actions.extend(update(&plan.update));
    }
    actions.extend(tag_actions(what, &plan.tag, &plan.untag));
    actions
}

/// TagResource and UntagResource on `what`.
fn tag_actions(what: &str, tag: &BTreeMap<String, String>, untag: &[String]) -> Vec<String> {
    let mut actions = Vec::new();
    if !tag.is_empty() {
        let keys: Vec<&str> = tag.keys().map(String::as_str).collect();
        actions.push(format!("tag {what} ({})", keys.join(", ")));
    }
    if !untag.is_empty() {
        actions.push(format!("untag {what} ({})", untag.join(", ")));
    }
    actions
}

/// The verdict on a plan for one named resource: its calls and the canonical forms, or
/// nothing (with the differences an Observe or Report object leaves in place).
fn verdict<K: ManagedObject, S: serde::Serialize>(
    obj: &K,
    actions: Vec<String>,
    plan: &Plan,
    (actual, desired): (Option<&S>, &S),
    what: &str,
) -> Verdict {
    if actions.is_empty() {
        return nothing(obj.policies(), plan.drift.iter().map(|d| d.field.as_str()));
    }
    Verdict::Changes {
        actions,
        before: actual.map(canonical_yaml).unwrap_or_default(),
        after: canonical_yaml(desired),
        before_label: if actual.is_some() {
            format!("{what} (in ECS, canonical)")
        } else {
            format!("{what} (not in ECS)")
        },
    }
}

/// Nothing to write; the differences left in place, if any, named with the reason they stay.
fn nothing<'a>(policies: &crate::crd::Policies, drift: impl Iterator<Item = &'a str>) -> Verdict {
    let fields: Vec<&str> = drift.collect();
    let why = if policies.management() == ManagementPolicy::Observe {
        "managementPolicy Observe"
    } else if policies.drift() == crate::crd::DriftPolicy::Report {
        "driftPolicy Report"
    } else {
        "left in place and reported (see the object's status.drift and status.correction)"
    };
    let note = match (fields.is_empty(), policies.management() == ManagementPolicy::Observe) {
        (true, true) => Some(why.to_owned()),
        (true, false) => None,
        (false, _) => Some(format!("{why}; AWS differs in {}", fields.join(", "))),
    };
    Verdict::Nothing { note }
}
