//! The admin API under `/_sim/`: plain JSON over GET/POST on the simulator's port, for
//! tests and humans. It reads and steers the simulation (stats, faults, throttling,
//! clock, task failures, scripted outcomes of standalone tasks and how many RunTask started,
//! out-of-band scaling, service fields ECS keeps, Lambda hook outcomes, CloudWatch alarm
//! states, event delivery faults and statistics, reset); it is not part of any AWS API.

use std::time::Duration;

use hyper::Method;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::events::EventFaults;
use crate::faults::FaultSpec;
use crate::hostile::Mutation;
use crate::http::{HttpResponse, response};
use crate::sim::Sim;
use crate::task_outcomes::TaskOutcome;
use crate::throttle::ThrottleConfig;

#[derive(Deserialize)]
struct Advance {
    seconds: f64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TaskFailure {
    image_pattern: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DesiredCount {
    cluster: String,
    service: String,
    desired_count: u32,
}

/// A service field UpdateService keeps (`value` set) or applies again (no `value`).
#[derive(Deserialize)]
struct KeptField {
    cluster: String,
    service: String,
    field: String,
    value: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Scale {
    resource_id: String,
    desired_count: u32,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LambdaHook {
    hook_target_arn: String,
    outcome: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AlarmState {
    alarm_name: String,
    state: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResponseMutations {
    operation: String,
    mutations: Vec<Mutation>,
}

/// Scripted outcomes of standalone tasks running `image`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskOutcomes {
    image: String,
    outcomes: Vec<TaskOutcome>,
}

/// One fault or a list of them.
#[derive(Deserialize)]
#[serde(untagged)]
enum Faults {
    One(FaultSpec),
    Many(Vec<FaultSpec>),
}

type AdminResult = Result<Value, (u16, String)>;

fn bad_request(msg: impl std::fmt::Display) -> (u16, String) {
    (400, msg.to_string())
}

fn parse<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, (u16, String)> {
    serde_json::from_slice(body).map_err(|e| bad_request(format!("invalid request body: {e}")))
}

pub fn handle(sim: &Sim, method: &Method, path: &str, body: &[u8], rid: &str) -> HttpResponse {
    let result = route(sim, method, path.trim_end_matches('/'), body);
    match result {
        Ok(v) => response(200, "application/json", v.to_string(), rid),
        Err((status, msg)) => response(status, "application/json", json!({"error": msg}).to_string(), rid),
    }
}

fn route(sim: &Sim, method: &Method, path: &str, body: &[u8]) -> AdminResult {
    match (method.as_str(), path) {
        ("GET", "/_sim/health") => Ok(json!({"ok": true})),
        ("GET", "/_sim/stats") => serde_json::to_value(sim.stats()).map_err(bad_request),
        ("GET", "/_sim/clock") => Ok(json!({"nowMs": sim.now_ms()})),
        ("POST", "/_sim/clock/advance") => advance(sim, body),
        ("GET", "/_sim/faults") => serde_json::to_value(sim.faults()).map_err(bad_request),
        ("POST", "/_sim/faults") => set_faults(sim, body),
        ("DELETE", "/_sim/faults") | ("POST", "/_sim/faults/clear") => {
            sim.clear_faults();
            Ok(json!({}))
        }
        ("GET", "/_sim/response-mutations") => serde_json::to_value(sim.response_mutations()).map_err(bad_request),
        ("POST", "/_sim/response-mutations") => {
            let req: ResponseMutations = parse(body)?;
            for m in &req.mutations {
                m.validate().map_err(bad_request)?;
            }
            sim.set_response_mutations(&req.operation, req.mutations);
            Ok(json!({}))
        }
        ("DELETE", "/_sim/response-mutations") => {
            sim.clear_response_mutations();
            Ok(json!({}))
        }
        ("GET", "/_sim/throttle") => serde_json::to_value(sim.throttle()).map_err(bad_request),
        ("POST", "/_sim/throttle") => {
            sim.set_throttle(parse::<ThrottleConfig>(body)?);
            Ok(json!({}))
        }
        ("POST", "/_sim/task-failure") => {
            let req: TaskFailure = parse(body)?;
            sim.set_task_failure_pattern(&req.image_pattern).map_err(bad_request)?;
            Ok(json!({}))
        }
        ("POST", "/_sim/task-outcomes") => {
            let req: TaskOutcomes = parse(body)?;
            sim.set_task_outcomes(&req.image, req.outcomes).map_err(bad_request)?;
            Ok(json!({}))
        }
        ("DELETE", "/_sim/task-outcomes") => {
            sim.clear_task_outcomes();
            Ok(json!({}))
        }
        ("GET", "/_sim/tasks") => serde_json::to_value(sim.stats().run_tasks).map_err(bad_request),
        ("POST", "/_sim/reset") => {
            sim.reset().map_err(|e| (500, e.to_string()))?;
            Ok(json!({}))
        }
        ("POST", "/_sim/services/desired-count") => {
            let req: DesiredCount = parse(body)?;
            sim.set_desired_count(&req.cluster, &req.service, req.desired_count).map_err(bad_request)?;
            Ok(json!({}))
        }
        ("POST", "/_sim/services/keep-field") => {
            let req: KeptField = parse(body)?;
            let value = req.value.ok_or_else(|| bad_request("value is required"))?;
            sim.keep_service_field(&req.cluster, &req.service, &req.field, value).map_err(bad_request)?;
            Ok(json!({}))
        }
        ("POST", "/_sim/services/release-field") => {
            let req: KeptField = parse(body)?;
            sim.release_service_field(&req.cluster, &req.service, &req.field);
            Ok(json!({}))
        }
        ("POST", "/_sim/lambda-hooks") => {
            let req: LambdaHook = parse(body)?;
            sim.set_lambda_hook_outcome(&req.hook_target_arn, &req.outcome).map_err(bad_request)?;
            Ok(json!({}))
        }
        ("DELETE", "/_sim/lambda-hooks") => {
            sim.clear_lambda_hook_outcomes();
            Ok(json!({}))
        }
        ("POST", "/_sim/alarms") => {
            let req: AlarmState = parse(body)?;
            sim.set_alarm_state(&req.alarm_name, &req.state).map_err(bad_request)?;
            Ok(json!({}))
        }
        ("DELETE", "/_sim/alarms") => {
            sim.clear_alarms();
            Ok(json!({}))
        }
        ("GET", "/_sim/events/stats") => serde_json::to_value(sim.event_stats()).map_err(bad_request),
        ("GET", "/_sim/events/faults") => serde_json::to_value(sim.event_faults()).map_err(bad_request),
        ("POST", "/_sim/events/faults") => {
            let faults: EventFaults = parse(body)?;
            faults.validate().map_err(bad_request)?;
            sim.set_event_faults(faults);
            Ok(json!({}))
        }
        ("POST", "/_sim/autoscaling/scale") => {
            let req: Scale = parse(body)?;
            let applied = sim.scale(&req.resource_id, req.desired_count).map_err(bad_request)?;
            Ok(json!({"desiredCount": applied}))
        }
        (_, p) if p.starts_with("/_sim/") => Err((404, format!("no admin route {method} {p}"))),
        _ => Err((404, "not found".to_string())),
    }
}

fn advance(sim: &Sim, body: &[u8]) -> AdminResult {
    let req: Advance = parse(body)?;
    if !req.seconds.is_finite() || req.seconds < 0.0 {
        return Err(bad_request("seconds must be a non-negative number"));
    }
    sim.advance(Duration::from_secs_f64(req.seconds));
    Ok(json!({"nowMs": sim.now_ms()}))
}

fn set_faults(sim: &Sim, body: &[u8]) -> AdminResult {
    let specs = match parse::<Faults>(body)? {
        Faults::One(f) => vec![f],
        Faults::Many(list) => list,
    };
    for spec in specs {
        if !(0.0..=1.0).contains(&spec.error_rate) {
            return Err(bad_request("errorRate must be between 0 and 1"));
        }
        sim.set_fault(spec);
    }
    Ok(json!({}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_mutations_are_set_listed_refused_and_cleared() {
        let sim = Sim::new(crate::config::SimConfig::for_tests()).expect("sim");
        let path = "/_sim/response-mutations";
        let body = br#"{"operation":"DescribeServices","mutations":[{"kind":"remove","path":"services.*.status"}]}"#;
        route(&sim, &Method::POST, path, body).expect("set");
        let listed = route(&sim, &Method::GET, path, b"").expect("list");
        assert_eq!(listed["DescribeServices"][0], json!({"kind": "remove", "path": "services.*.status"}));
        let huge = br#"{"operation":"X","mutations":[{"kind":"grow","path":"a","count":100000000}]}"#;
        assert_eq!(route(&sim, &Method::POST, path, huge).map_err(|e| e.0), Err(400));
        route(&sim, &Method::DELETE, path, b"").expect("clear");
        assert_eq!(route(&sim, &Method::GET, path, b"").expect("list"), json!({}));
    }

    #[test]
    fn event_faults_are_set_validated_and_reported() {
        let sim = Sim::new(crate::config::SimConfig::for_tests()).expect("sim");
        let path = "/_sim/events/faults";
        let body = br#"{"delayMs": 50, "delayJitterMs": 10, "duplicate": 0.05, "loss": 0.05, "reorder": true}"#;
        route(&sim, &Method::POST, path, body).expect("set");
        let got = route(&sim, &Method::GET, path, b"").expect("get");
        assert_eq!(
            (got["delayMs"].as_u64(), got["loss"].as_f64(), got["reorder"].as_bool()),
            (Some(50), Some(0.05), Some(true))
        );
        assert_eq!(route(&sim, &Method::POST, path, br#"{"loss": 2}"#).map_err(|e| e.0), Err(400));
        assert_eq!(route(&sim, &Method::POST, path, br#"{"lost": 0.5}"#).map_err(|e| e.0), Err(400), "unknown member");
        let stats = route(&sim, &Method::GET, "/_sim/events/stats", b"").expect("stats");
        assert_eq!(stats, json!({"published": 0, "delivered": 0, "lost": 0, "duplicated": 0, "byDetailType": {}}));
    }
}
