//! Deleting an ECSService: removes the Application Auto Scaling target the operator registered,
//! scales the ECS service to 0, deletes it, and holds the finalizer until ECS has drained it
//! (DRAINING → INACTIVE), saying so in status meanwhile.
//!
//! Whatever order objects are deleted in, this finishes: a service ECS no longer has (MISSING,
//! INACTIVE, ServiceNotFound) or whose cluster is gone (ClusterNotFound: a cluster deleted
//! while or after the service drained) is done, and so is a deregistration of a scalable
//! target that no longer exists. The service's identity comes from its status, then its spec;
//! the TaskDefinition and ECSCluster objects may be gone by now, and the task definition does
//! not matter for a deletion.

use aws_sdk_ecs::types::Service;
use kube::ResourceExt;
use kube::runtime::controller::Action;
use kube::runtime::events::EventType;
use kube::runtime::reflector::ObjectRef;

use super::observe::describe;
use super::resolve::identity_of_arn;
use crate::aws::convert::tag_map;
use crate::aws::error::AwsError;
use crate::controller::context::Context;
use crate::controller::deletion::{self, Progress, unless_gone};
use crate::controller::error::Error;
use crate::controller::ownership::{owned_by, owner_of};
use crate::controller::status::publish;
use crate::crd::service::ECSServiceStatus;
use crate::crd::{ECSCluster, ECSService};

pub async fn cleanup(svc: &ECSService, ctx: &Context) -> Result<Action, Error> {
    let mut base = svc.status.clone().unwrap_or_default();
    let result = delete(svc, ctx, &mut base).await;
    deletion::finish_from(ctx, svc, base, result).await
}

/// One pass of the deletion. `status` starts as the last one; the pass clears the scalable
/// target once it is deregistered and keeps the task counts in step with the drain.
async fn delete(svc: &ECSService, ctx: &Context, status: &mut ECSServiceStatus) -> Result<Progress, Error> {
    let cluster_arn_of = |name: &str| {
        let namespace = svc.namespace()?;
        let cluster = ctx.stores.clusters.get(&ObjectRef::<ECSCluster>::new(name).within(&namespace))?;
        cluster.status.as_ref()?.cluster_arn.clone()
    };
    // No cluster known: the reference never resolved, so nothing was created.
    let Some((cluster, name)) = identity(svc, cluster_arn_of) else { return Ok(Progress::Done) };
    // Deletion polls DRAINING: always ask ECS.
    ctx.describer.invalidate(&cluster, &name);
    let service = match describe(ctx, svc, &cluster, &name).await {
        // The describer reports a MISSING or INACTIVE service as None.
        Ok(found) => found,
        // ClusterNotFound: the cluster is gone (deleted once the service had drained), and every
        // service in it with it.
        Err(Error::Aws(e)) if e.is_gone() => None,
        Err(e) => return Err(e),
    };
    let next = step(service.as_ref(), &owner_of(svc), &name);
    if next != Step::LeaveAlone
        && let Some(target) = status.scalable_target.clone()
    {
        // Registered by this object (the status records only that); already gone is fine.
        unless_gone(ctx.autoscaling.deregister_target(&target).await)?;
        status.scalable_target = None;
    }
    if let (Some(service), Step::Wait(_) | Step::ScaleInAndDelete { .. }) = (&service, &next) {
        // `kubectl get` shows the drain, not the counts of the last rollout.
        status.desired_count = Some(service.desired_count());
        status.running_count = Some(service.running_count());
        status.pending_count = Some(service.pending_count());
    }
    match next {
        Step::LeaveAlone | Step::Gone => {
            // Nothing more to ask about: lets the cluster's sweep forget the service.
            ctx.describer.invalidate(&cluster, &name);
            Ok(Progress::Done)
        }
        Step::Wait(why) => Ok(Progress::Waiting(why)),
        Step::ScaleInAndDelete { scale_in } => scale_in_and_delete(svc, ctx, (&cluster, &name), scale_in).await,
    }
}

/// Scales the service to 0 (when it is not yet) and deletes it; ECS then drains it.
async fn scale_in_and_delete(
    svc: &ECSService,
    ctx: &Context,
    (cluster, name): (&str, &str),
    scale_in: bool,
) -> Result<Progress, Error> {
    if scale_in {
        let input = aws_sdk_ecs::operation::update_service::UpdateServiceInput::builder()
            .cluster(cluster)
            .service(name)
            .desired_count(0)
            .build()
            .map_err(|e| Error::InvalidSpec(e.to_string()))?;
        if let Some(progress) = after_write(ctx.ecs.update_service(input).await.map(|_| ()), name)? {
            return Ok(progress);
        }
    }
    // Scaled to 0 above; force covers services ECS still considers scaled (e.g. DAEMON).
    if let Some(progress) = after_write(ctx.ecs.delete_service(cluster, name, true).await, name)? {
        return Ok(progress);
    }
    ctx.describer.invalidate(cluster, name);
    let note = "scaled to 0 and deleted the ECS service; waiting for DRAINING";
    publish(ctx, svc, EventType::Normal, deletion::DELETING, note).await;
    Ok(Progress::Waiting(draining(name)))
}

/// (cluster, service name) of the ECS service this object made: the recorded ARN, else the
/// cluster it recorded or names (`clusterRef` through `cluster_arn_of`), with the spec's or
/// the object's name. None when no cluster is known.
fn identity(svc: &ECSService, cluster_arn_of: impl Fn(&str) -> Option<String>) -> Option<(String, String)> {
    let status = svc.status.as_ref();
    if let Some(identity) = status.and_then(|s| s.service_arn.as_deref()).and_then(identity_of_arn) {
        return Some(identity);
    }
    let cluster = status
        .and_then(|s| s.cluster_arn.clone())
        .or_else(|| svc.spec.cluster.clone())
        .or_else(|| svc.spec.cluster_ref.as_ref().and_then(|r| cluster_arn_of(&r.name)))?;
    Some((cluster, svc.spec.service_name.clone().unwrap_or_else(|| svc.name_any())))
}

/// What to do about the ECS service as ECS describes it now.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    /// ECS has no such service (MISSING, INACTIVE, or its cluster is gone).
    Gone,
    /// It is not ours (another owner, or never adopted): the deletion leaves it.
    LeaveAlone,
    /// Deleted and draining: wait for ECS.
    Wait(String),
    /// Ours and ACTIVE.
    ScaleInAndDelete { scale_in: bool },
}

fn step(service: Option<&Service>, owner: &str, name: &str) -> Step {
    let Some(service) = service else { return Step::Gone };
    if !owned_by(&tag_map(service.tags()), owner) {
        return Step::LeaveAlone;
    }
    match service.status() {
        Some("INACTIVE") => Step::Gone,
        Some("DRAINING") => Step::Wait(draining(name)),
        _ => Step::ScaleInAndDelete { scale_in: service.desired_count() > 0 },
    }
}

fn draining(name: &str) -> String {
    format!("waiting for ECS service {name} to finish DRAINING")
}

/// What the answer to a scale-in or delete means: carry on (None), a deletion that is done or
/// already under way (a service or cluster that is gone; a service no longer ACTIVE, which an
/// earlier attempt deleted), or a failure.
fn after_write(answer: Result<(), AwsError>, name: &str) -> Result<Option<Progress>, AwsError> {
    match answer {
        Ok(()) => Ok(None),
        Err(e) if e.is_gone() => Ok(Some(Progress::Done)),
        Err(e) if e.is_service_not_active() => Ok(Some(Progress::Waiting(draining(name)))),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service_object(spec: serde_json::Value, status: Option<ECSServiceStatus>) -> ECSService {
        let mut svc = ECSService::new("web", serde_json::from_value(spec).expect("spec"));
        svc.metadata.namespace = Some("default".into());
        svc.status = status;
        svc
    }

    fn ecs_service(status: &str, desired: i32, owner: Option<&str>) -> Service {
        let mut b = Service::builder().service_name("web").status(status).desired_count(desired);
        if let Some(owner) = owner {
            b = b.tags(aws_sdk_ecs::types::Tag::builder().key(crate::crd::common::tags::OWNER).value(owner).build());
        }
        b.build()
    }

    #[test]
    fn identity_from_status_then_spec_then_cluster_ref() {
        let none = |_: &str| None;
        let recorded = ECSServiceStatus {
            service_arn: Some("arn:aws:ecs:us-east-1:1:service/prod/web-svc".into()),
            ..Default::default()
        };
        let by_ref = serde_json::json!({"clusterRef": {"name": "prod"}, "taskDefinitionRef": {"name": "gone"}});
        let svc = service_object(by_ref.clone(), Some(recorded));
        assert_eq!(identity(&svc, none), Some(("prod".into(), "web-svc".into())));
        // Never created, and the ECSCluster object is gone (or never reported an ARN): nothing to do.
        assert_eq!(identity(&service_object(by_ref.clone(), None), none), None);
        let arn = "arn:aws:ecs:us-east-1:1:cluster/prod".to_owned();
        assert_eq!(
            identity(&service_object(by_ref, None), |n| (n == "prod").then(|| arn.clone())),
            Some((arn, "web".into()))
        );
        let by_name = serde_json::json!({"cluster": "prod", "taskDefinition": "web:1", "serviceName": "web-svc"});
        assert_eq!(identity(&service_object(by_name, None), none), Some(("prod".into(), "web-svc".into())));
    }

    #[test]
    fn steps_by_what_ecs_reports() {
        let owner = "default/web";
        assert_eq!(step(None, owner, "web"), Step::Gone, "MISSING, INACTIVE or cluster gone");
        assert_eq!(step(Some(&ecs_service("INACTIVE", 0, Some(owner))), owner, "web"), Step::Gone);
        assert_eq!(step(Some(&ecs_service("ACTIVE", 2, Some("other/web"))), owner, "web"), Step::LeaveAlone);
        assert_eq!(step(Some(&ecs_service("ACTIVE", 2, None)), owner, "web"), Step::LeaveAlone);
        assert_eq!(
            step(Some(&ecs_service("DRAINING", 0, Some(owner))), owner, "web"),
            Step::Wait("waiting for ECS service web to finish DRAINING".into())
        );
        assert_eq!(
            step(Some(&ecs_service("ACTIVE", 2, Some(owner))), owner, "web"),
            Step::ScaleInAndDelete { scale_in: true }
        );
        assert_eq!(
            step(Some(&ecs_service("ACTIVE", 0, Some(owner))), owner, "web"),
            Step::ScaleInAndDelete { scale_in: false }
        );
    }

    #[test]
    fn write_answers_during_deletion() {
        let e = |op: &'static str, code: &str| AwsError::classify(op, code.into(), String::new());
        assert_eq!(after_write(Ok(()), "web"), Ok(None));
        // The cluster was deleted after the service drained, or someone deleted the service.
        assert_eq!(after_write(Err(e("UpdateService", "ClusterNotFoundException")), "web"), Ok(Some(Progress::Done)));
        assert_eq!(after_write(Err(e("DeleteService", "ServiceNotFoundException")), "web"), Ok(Some(Progress::Done)));
        // Deleted by an earlier attempt: draining.
        assert_eq!(
            after_write(Err(e("UpdateService", "ServiceNotActiveException")), "web"),
            Ok(Some(Progress::Waiting("waiting for ECS service web to finish DRAINING".into())))
        );
        for code in ["ThrottlingException", "ServerException", "AccessDeniedException", "InvalidParameterException"] {
            assert_eq!(after_write(Err(e("DeleteService", code)), "web"), Err(e("DeleteService", code)), "{code}");
        }
    }
}
