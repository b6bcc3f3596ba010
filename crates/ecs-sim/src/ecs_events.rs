//! The ECS events EventBridge carries, built where the state machine changes (Amazon ECS
//! Developer Guide, "Amazon ECS events" and "Amazon ECS service deployment state change
//! events"; CloudTrail's "AWS API Call via CloudTrail" events):
//!
//! - `ECS Task State Change`: whenever a task's `version` goes up (its lastStatus, desired
//!   status or a container changed); the detail is the DescribeTasks task with ISO 8601
//!   timestamps and `updatedAt`.
//! - `ECS Deployment State Change`: SERVICE_DEPLOYMENT_IN_PROGRESS when a deployment starts
//!   (a rollback too; its `reason` says "rolling back to deploymentId ..."),
//!   SERVICE_DEPLOYMENT_COMPLETED when it reaches steady state, SERVICE_DEPLOYMENT_FAILED
//!   (ERROR) when the circuit breaker, an alarm, a hook or StopServiceDeployment fails it.
//! - `ECS Service Action`: SERVICE_STEADY_STATE, SERVICE_TASK_START_IMPAIRED (WARN, when a
//!   deployment's failed tasks reach the circuit breaker threshold) and
//!   SERVICE_DESIRED_COUNT_UPDATED (Application Auto Scaling changed desiredCount; not sent
//!   when a user does).
//! - `AWS API Call via CloudTrail`: every successful ECS write call, whoever made it.
//!
//! Every builder returns at once when events are off.

use serde_json::{Value, json};

use crate::clock::{iso8601, iso8601_ms, wall_clock_ms};
use crate::services::ServiceKey;
use crate::state::State;

/// Who changed a service's desiredCount outside the ECS API as the simulator sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// A person in the console: an UpdateService call CloudTrail records.
    Console,
    /// Application Auto Scaling: an UpdateService by its service-linked role, and
    /// SERVICE_DESIRED_COUNT_UPDATED.
    AutoScaling,
}

/// One successful ECS API call, for its CloudTrail event.
pub struct ApiCall<'a> {
    pub operation: &'a str,
    pub request: &'a Value,
    pub response: &'a Value,
    /// The assumed-role ARN whose STS credentials signed the call; None for the default user.
    pub principal: Option<&'a str>,
    pub access_key: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub request_id: Option<&'a str>,
}

/// Describe*, List* and Get* calls are reads; CloudTrail events via EventBridge are only
/// sent for writes.
pub fn is_write(operation: &str) -> bool {
    !["Describe", "List", "Get"].iter().any(|p| operation.starts_with(p))
}

/// (region, account) of an ARN.
fn arn_scope(arn: &str) -> Option<(&str, &str)> {
    let mut parts = arn.split(':');
    let (_, _, _, region, account) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    Some((region, account))
}

/// The cluster ARN in the scope of `arn` (a task's or service's).
fn cluster_arn_of(arn: &str, cluster: &str) -> String {
    match arn_scope(arn) {
        Some((region, account)) => format!("arn:aws:ecs:{region}:{account}:cluster/{cluster}"),
        None => cluster.to_string(),
    }
}

/// Task timestamps are epoch seconds in DescribeTasks and ISO strings in events.
const TASK_TIMESTAMPS: [&str; 8] = [
    "createdAt",
    "connectivityAt",
    "pullStartedAt",
    "pullStoppedAt",
    "startedAt",
    "stoppingAt",
    "executionStoppedAt",
    "stoppedAt",
];

/// CloudTrail's userIdentity for the principal that made a call.
fn user_identity(principal: Option<&str>, access_key: Option<&str>, account: &str) -> Value {
    let mut v = match principal.and_then(|p| p.strip_prefix("arn:aws:sts::")) {
        Some(rest) => {
            let (acct, resource) = rest.split_once(':').unwrap_or((account, rest));
            let mut parts = resource.trim_start_matches("assumed-role/").splitn(2, '/');
            let (role, session) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
            json!({
                "type": "AssumedRole",
                "principalId": format!("AROASIMULATOR:{session}"),
                "arn": principal,
                "accountId": acct,
                "sessionContext": {
                    "sessionIssuer": {
                        "type": "Role",
                        "principalId": "AROASIMULATOR",
                        "arn": format!("arn:aws:iam::{acct}:role/{role}"),
                        "accountId": acct,
                        "userName": role,
                    },
                    "attributes": {"mfaAuthenticated": "false"},
                },
            })
        }
        None => json!({
            "type": "IAMUser",
            "principalId": "AIDASIMULATOR",
            "arn": format!("arn:aws:iam::{account}:user/ecs-sim"),
            "accountId": account,
            "userName": "ecs-sim",
        }),
    };
    if let Some(key) = access_key {
        v["accessKeyId"] = json!(key);
    }
    v
}

impl State {
    /// An event from the account and region of `arn` (the resource it is about).
    fn publish_about(&mut self, detail_type: &str, arn: &str, detail: Value) {
        let (region, account) = match arn_scope(arn) {
            Some((r, a)) => (r.to_string(), a.to_string()),
            None => (self.ident.region.clone(), self.ident.account.clone()),
        };
        self.events.publish(detail_type, &account, &region, vec![arn.to_string()], detail);
    }

    /// ECS Task State Change for task `id` as it is now, changed at `at`.
    pub fn emit_task_change(&mut self, id: &str, at: u64) {
        if !self.events.enabled() {
            return;
        }
        let Some(task) = self.tasks.get(id) else { return };
        let arn = task.arn.clone();
        let mut detail = task.to_json(&cluster_arn_of(&task.arn, &task.cluster), false);
        if let Some(map) = detail.as_object_mut() {
            // Tags are not part of the event (the documented detail has none).
            map.remove("tags");
            for key in TASK_TIMESTAMPS {
                if let Some(secs) = map.get(key).and_then(Value::as_f64) {
                    map.insert(key.to_string(), json!(iso8601_ms((secs * 1000.0).round() as u64)));
                }
            }
            map.insert("updatedAt".to_string(), json!(iso8601_ms(at)));
        }
        self.publish_about("ECS Task State Change", &arn, detail);
    }

    /// ECS Deployment State Change for deployment `deployment_id` of a service.
    pub fn emit_deployment_change(
        &mut self,
        key: &ServiceKey,
        deployment_id: &str,
        event_name: &str,
        reason: &str,
        at: u64,
    ) {
        if !self.events.enabled() {
            return;
        }
        let Some(arn) = self.services.get(key).map(|s| s.arn.clone()) else { return };
        let event_type = if event_name == "SERVICE_DEPLOYMENT_FAILED" { "ERROR" } else { "INFO" };
        let detail = json!({
            "eventType": event_type,
            "eventName": event_name,
            "deploymentId": deployment_id,
            "updatedAt": iso8601_ms(at),
            "reason": reason,
        });
        self.publish_about("ECS Deployment State Change", &arn, detail);
    }

    /// ECS Service Action `event_name` (INFO, WARN or ERROR as `event_type`) for a service.
    pub fn emit_service_action(&mut self, key: &ServiceKey, event_type: &str, event_name: &str, at: u64) {
        if !self.events.enabled() {
            return;
        }
        let Some(arn) = self.services.get(key).map(|s| s.arn.clone()) else { return };
        let detail = json!({
            "eventType": event_type,
            "eventName": event_name,
            "clusterArn": cluster_arn_of(&arn, &key.cluster),
            "createdAt": iso8601_ms(at),
        });
        self.publish_about("ECS Service Action", &arn, detail);
    }

    /// AWS API Call via CloudTrail for a successful ECS write call, in the caller's account and
    /// signed region (`self.ident` while the call runs).
    pub fn emit_api_call(&mut self, call: &ApiCall) {
        if !self.events.enabled() || !is_write(call.operation) {
            return;
        }
        let (account, region) = (self.ident.account.clone(), self.ident.region.clone());
        let identity = user_identity(call.principal, call.access_key, &account);
        let detail = self.cloudtrail_record(call, identity, "127.0.0.1", &account, &region);
        self.events.publish("AWS API Call via CloudTrail", &account, &region, vec![], detail);
    }

    fn cloudtrail_record(
        &mut self,
        call: &ApiCall,
        identity: Value,
        source_ip: &str,
        account: &str,
        region: &str,
    ) -> Value {
        let event_id = self.events.uuid();
        let request_id = call.request_id.map_or_else(|| self.events.uuid(), str::to_string);
        json!({
            "eventVersion": "1.08",
            "userIdentity": identity,
            "eventTime": iso8601(wall_clock_ms() / 1000),
            "eventSource": "ecs.amazonaws.com",
            "eventName": call.operation,
            "awsRegion": region,
            "sourceIPAddress": source_ip,
            "userAgent": call.user_agent.unwrap_or("unknown"),
            "requestParameters": call.request,
            "responseElements": call.response,
            "requestID": request_id,
            "eventID": event_id,
            "readOnly": false,
            "eventType": "AwsApiCall",
            "managementEvent": true,
            "recipientAccountId": account,
            "eventCategory": "Management",
        })
    }

    /// desiredCount of a service changed from `old` outside the ECS API: the UpdateService
    /// CloudTrail records for it and, for Application Auto Scaling, SERVICE_DESIRED_COUNT_UPDATED.
    pub fn emit_desired_count_change(&mut self, key: &ServiceKey, desired: u32, by: Actor, at: u64) {
        if !self.events.enabled() {
            return;
        }
        let Some(svc) = self.services.get(key) else { return };
        let (arn, response) = (svc.arn.clone(), json!({"service": self.service_json(svc, false)}));
        let (region, account) = arn_scope(&arn)
            .map(|(r, a)| (r.to_string(), a.to_string()))
            .unwrap_or_else(|| (self.ident.region.clone(), self.ident.account.clone()));
        let request = json!({"cluster": key.cluster, "service": key.name, "desiredCount": desired});
        let (identity, agent) = match by {
            Actor::Console => (
                json!({
                    "type": "IAMUser",
                    "principalId": "AIDACONSOLEUSER",
                    "arn": format!("arn:aws:iam::{account}:user/console-user"),
                    "accountId": account,
                    "userName": "console-user",
                }),
                "console.amazonaws.com",
            ),
            Actor::AutoScaling => {
                let role = "AWSServiceRoleForApplicationAutoScaling_ECSService";
                (
                    json!({
                        "type": "AssumedRole",
                        "principalId": "AROASIMULATOR:AutoScaling-UpdateService",
                        "arn": format!("arn:aws:sts::{account}:assumed-role/{role}/AutoScaling-UpdateService"),
                        "accountId": account,
                        "sessionContext": {
                            "sessionIssuer": {
                                "type": "Role",
                                "principalId": "AROASIMULATOR",
                                "arn": format!("arn:aws:iam::{account}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/{role}"),
                                "accountId": account,
                                "userName": role,
                            },
                            "attributes": {"mfaAuthenticated": "false"},
                        },
                        "invokedBy": "ecs.application-autoscaling.amazonaws.com",
                    }),
                    "ecs.application-autoscaling.amazonaws.com",
                )
            }
        };
        let call = ApiCall {
            operation: "UpdateService",
            request: &request,
            response: &response,
            principal: None,
            access_key: None,
            user_agent: Some(agent),
            request_id: None,
        };
        let source_ip = if by == Actor::Console { "127.0.0.1" } else { agent };
        let detail = self.cloudtrail_record(&call, identity, source_ip, &account, &region);
        self.events.publish("AWS API Call via CloudTrail", &account, &region, vec![], detail);
        if by == Actor::AutoScaling {
            self.emit_service_action(key, "INFO", "SERVICE_DESIRED_COUNT_UPDATED", at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes() {
        for op in ["DescribeServices", "ListTasks", "GetTaskProtection"] {
            assert!(!is_write(op), "{op}");
        }
        for op in ["UpdateService", "RunTask", "TagResource", "DeleteTaskDefinitions", "PutClusterCapacityProviders"] {
            assert!(is_write(op), "{op}");
        }
    }

    #[test]
    fn identities() {
        let user = user_identity(None, Some("AKID"), "123456789012");
        assert_eq!(user["type"], "IAMUser");
        assert_eq!(user["arn"], "arn:aws:iam::123456789012:user/ecs-sim");
        assert_eq!(user["accessKeyId"], "AKID");
        let role = user_identity(Some("arn:aws:sts::210987654321:assumed-role/deployer/op-1"), None, "123456789012");
        assert_eq!(role["type"], "AssumedRole");
        assert_eq!(role["accountId"], "210987654321");
        assert_eq!(role["principalId"], "AROASIMULATOR:op-1");
        assert_eq!(role["sessionContext"]["sessionIssuer"]["arn"], "arn:aws:iam::210987654321:role/deployer");
    }

    #[test]
    fn cluster_arns_follow_the_resource() {
        let arn = "arn:aws:ecs:eu-west-1:111122223333:service/prod/web";
        assert_eq!(cluster_arn_of(arn, "prod"), "arn:aws:ecs:eu-west-1:111122223333:cluster/prod");
        assert_eq!(arn_scope(arn), Some(("eu-west-1", "111122223333")));
    }
}
