//! Builds an ECSExpressService's status: what ECS reports (ARN, endpoint, configurations,
//! counts, rollout, managed resources) and the four conditions. Pure: the clock is passed in.
//!
//! Ready only when the Express service is ACTIVE, one configuration is active (no change rolling
//! out), the ECS service's rollout is COMPLETED with every task running, every managed resource
//! is ACTIVE and nothing differs from the spec. A rollback of the spec's configuration is
//! Degraded (RolledBack) and remembered while the spec stays the one that failed, so the
//! configuration is not pushed again.

use aws_sdk_ecs::types::{DeploymentRolloutState, Service};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use super::observe::Found;
use crate::aws::convert::express::newest_configuration;
use crate::controller::conditions::{self, ConditionSpec, DEGRADED, PROGRESSING, READY};
use crate::controller::drift::DriftItem;
use crate::controller::outcome::{self, Conditions, active, healthy, not_ready};
use crate::controller::rollout::{assess, primary};
use crate::crd::express::{ECSExpressServiceStatus, IngressPathStatus};

/// Ready's and Degraded's reason for a rolled-back configuration.
pub const ROLLED_BACK: &str = crate::controller::drift::ROLLED_BACK;

/// Where the reconcile got to.
pub enum Stage<'a> {
    /// The Express service as ECS reports it (not INACTIVE).
    Observed(&'a Found),
    /// No Express service in ECS (not created: Observe mode, or deleted out of band under Report).
    Missing(&'a str),
}

pub type Outcome<'a> = outcome::Outcome<'a, Stage<'a>>;

pub fn build(
    previous: Option<&ECSExpressServiceStatus>,
    generation: Option<i64>,
    o: &Outcome<'_>,
    now: &Time,
) -> ECSExpressServiceStatus {
    let described = match &o.stage {
        Some(Stage::Observed(found)) => Some(from_found(found)),
        Some(Stage::Missing(_)) => Some(ECSExpressServiceStatus::default()),
        None => None,
    };
    outcome::status(previous, described, generation, o, condition_specs(o), now, |s| &mut s.spec_hash)
}

fn from_found(found: &Found) -> ECSExpressServiceStatus {
    let e = &found.express;
    let newest = newest_configuration(e);
    let ingress: Vec<IngressPathStatus> = newest
        .map(|c| c.ingress_paths())
        .unwrap_or_default()
        .iter()
        .map(|p| IngressPathStatus {
            access_type: p.access_type().as_str().to_owned(),
            endpoint: p.endpoint().to_owned(),
        })
        .collect();
    let primary = found.service.as_ref().and_then(primary);
    ECSExpressServiceStatus {
        service_arn: e.service_arn().map(str::to_owned),
        cluster_arn: e.cluster().map(str::to_owned),
        service_name: e.service_name().map(str::to_owned),
        status_code: e.status().and_then(|s| s.status_code()).map(|c| c.as_str().to_owned()),
        status_reason: e.status().and_then(|s| s.status_reason()).map(str::to_owned),
        endpoint: ingress.first().map(|p| p.endpoint.clone()),
        ingress_paths: Some(ingress).filter(|p| !p.is_empty()),
        service_revision_arn: newest.and_then(|c| c.service_revision_arn()).map(str::to_owned),
        active_configurations: i32::try_from(e.active_configurations().len()).ok(),
        current_deployment: e.current_deployment().map(str::to_owned),
        desired_count: found.service.as_ref().map(Service::desired_count),
        running_count: found.service.as_ref().map(Service::running_count),
        pending_count: found.service.as_ref().map(Service::pending_count),
        rollout_state: primary.and_then(|p| p.rollout_state()).map(|r| r.as_str().to_owned()),
        managed_resources_revision: found.resources.as_ref().map(|(revision, _)| revision.clone()),
        managed_resources: found.resources.as_ref().map(|(_, resources)| resources.clone()),
        ..Default::default()
    }
}

/// Whether ECS rolled the service back (the circuit breaker or an alarm): a deployment whose
/// rollout FAILED, or a PRIMARY deployment rolling back. What ECS said about it.
pub fn rolled_back(service: &Service) -> Option<String> {
    let failed = service.deployments().iter().find(|d| d.rollout_state() == Some(&DeploymentRolloutState::Failed));
    let rolling_back =
        primary(service).filter(|p| p.rollout_state_reason().is_some_and(|r| r.contains("rolling back")));
    failed
        .or(rolling_back)
        .map(|d| format!("the rollout was rolled back: {}", d.rollout_state_reason().unwrap_or("no reason given")))
}

/// ACTIVE, DRAINING or INACTIVE, as ECS reports it ("" when it reports none).
pub fn status_code(express: &aws_sdk_ecs::types::EcsExpressGatewayService) -> &str {
    express.status().and_then(|s| s.status_code()).map(|c| c.as_str()).unwrap_or_default()
}

fn condition_specs(o: &Outcome<'_>) -> Vec<ConditionSpec> {
    let synced = conditions::synced(o.error, o.observe_only);
    let (ready, progressing, degraded) = match &o.stage {
        Some(Stage::Observed(found)) => observed_conditions(found, o.drift),
        Some(Stage::Missing(why)) => not_ready("NotFound", why),
        None => outcome::failed(o.error),
    };
    vec![ready, synced, progressing, degraded]
}

fn observed_conditions(found: &Found, drift: &[DriftItem]) -> Conditions {
    let e = &found.express;
    let what = format!("Express service {}", e.service_name().unwrap_or_default());
    let code = status_code(e);
    if code != "ACTIVE" {
        return not_ready("NotActive", &format!("{what} is {code}"));
    }
    let degraded = |reason: &str, message: String| {
        (
            ConditionSpec::new(READY, false, reason, message.clone()),
            outcome::idle(),
            ConditionSpec::new(DEGRADED, true, reason, message),
        )
    };
    if let Some(message) = &found.rolled_back {
        return degraded(
            ROLLED_BACK,
            format!("{what}: {message}; the spec's configuration is not sent again until the spec changes"),
        );
    }
    let resources = found.resources.as_ref().map(|(_, r)| r.as_slice()).unwrap_or_default();
    if let Some(r) = resources.iter().find(|r| r.status == "FAILED") {
        let why = r.status_reason.as_deref().unwrap_or("no reason given");
        return degraded(
            "ResourceFailed",
            format!("{what}: ECS's {} {} FAILED ({why})", r.kind, r.arn.as_deref().unwrap_or_default()),
        );
    }
    let moving = |reason: &str, message: String| {
        (
            ConditionSpec::new(READY, false, reason, message.clone()),
            ConditionSpec::new(PROGRESSING, true, reason, message),
            healthy(),
        )
    };
    if found.update_pending {
        return moving("UpdatePending", format!("{what}: ECS does not report the configuration just sent yet"));
    }
    if let Some(service) = &found.service {
        let assessment = assess(service, None, service.task_definition().unwrap_or_default());
        if let Some(d) = &assessment.degraded {
            let message = format!("{what}: {}", d.message());
            // Tasks failing while ECS keeps trying still move: looked at at the rollout pace.
            let progressing = if assessment.progressing() {
                ConditionSpec::new(PROGRESSING, true, d.reason(), message.clone())
            } else {
                outcome::idle()
            };
            let (ready, _, degraded) = degraded(d.reason(), message);
            return (ready, progressing, degraded);
        }
        if let Err(not_ready) = assessment.ready {
            return moving(not_ready.reason(), format!("{what}: {}", not_ready.message()));
        }
    } else {
        return moving("NoService", format!("{what}: ECS does not describe its service yet"));
    }
    let configurations = e.active_configurations().len();
    if configurations > 1 {
        return moving(
            "RolloutInProgress",
            format!("{what}: {configurations} configurations are active while the newest rolls out"),
        );
    }
    if resources.is_empty() {
        return moving("Provisioning", format!("{what}: ECS reports no resources for its newest revision yet"));
    }
    if let Some(r) = resources.iter().find(|r| r.status != "ACTIVE") {
        return moving("Provisioning", format!("{what}: ECS's {} is {}", r.kind, r.status));
    }
    active(&what, drift)
}
