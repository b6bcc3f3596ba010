//! Fault injection: per-operation error rates, error shapes and added latency, so tests
//! can see how a client copes with 5xx, throttling storms and slow answers. Decisions use
//! the simulator's seeded random generator, so a run is reproducible.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// One rule. `operation` is an operation name or `*` for all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultSpec {
    pub operation: String,
    /// Probability (0..=1) that a call fails with the error below.
    #[serde(default)]
    pub error_rate: f64,
    #[serde(default = "default_status")]
    pub status: u16,
    #[serde(default = "default_error_type")]
    pub error_type: String,
    #[serde(default = "default_message")]
    pub message: String,
    /// Added before the call is answered.
    #[serde(default)]
    pub latency_ms: u64,
    /// Stop injecting errors after this many (None = forever).
    #[serde(default)]
    pub remaining: Option<u64>,
    /// Probability (0..=1) that a call is throttled (`ThrottlingException`, 400) instead, drawn
    /// before `error_rate`: a throttling storm and a 5xx rate in one rule.
    #[serde(default)]
    pub throttle_rate: f64,
}

fn default_status() -> u16 {
    500
}

fn default_error_type() -> String {
    "ServerException".to_string()
}

fn default_message() -> String {
    "Injected fault".to_string()
}

impl FaultSpec {
    pub fn error(operation: &str, error_type: &str, status: u16) -> Self {
        FaultSpec {
            operation: operation.to_string(),
            error_rate: 1.0,
            status,
            error_type: error_type.to_string(),
            message: default_message(),
            latency_ms: 0,
            remaining: None,
            throttle_rate: 0.0,
        }
    }
}

/// What fault injection decided for one call.
#[derive(Debug, Default)]
pub struct FaultDecision {
    pub latency: Option<Duration>,
    pub error: Option<ApiError>,
}

#[derive(Debug, Default)]
pub struct Faults {
    rules: BTreeMap<String, FaultSpec>,
}

impl Faults {
    pub fn set(&mut self, spec: FaultSpec) {
        self.rules.insert(spec.operation.clone(), spec);
    }

    pub fn clear(&mut self) {
        self.rules.clear();
    }

    pub fn rules(&self) -> Vec<FaultSpec> {
        self.rules.values().cloned().collect()
    }

    /// The operation's own rule wins over `*`.
    pub fn decide(&mut self, op: &str, rng: &mut fastrand::Rng) -> FaultDecision {
        let key = if self.rules.contains_key(op) { op } else { "*" };
        self.decide_by(key, rng)
    }

    /// Only a rule naming `op` itself applies: SQS is another service, which a `*` rule (every
    /// ECS, Application Auto Scaling and STS operation) leaves alone.
    pub fn decide_named(&mut self, op: &str, rng: &mut fastrand::Rng) -> FaultDecision {
        if op == "*" || !self.rules.contains_key(op) {
            return FaultDecision::default();
        }
        self.decide_by(op, rng)
    }

    fn decide_by(&mut self, key: &str, rng: &mut fastrand::Rng) -> FaultDecision {
        let Some(rule) = self.rules.get_mut(key) else { return FaultDecision::default() };
        let latency = (rule.latency_ms > 0).then(|| Duration::from_millis(rule.latency_ms));
        if rule.throttle_rate > 0.0 && rng.f64() < rule.throttle_rate {
            return FaultDecision { latency, error: Some(ApiError::throttled()) };
        }
        let exhausted = rule.remaining == Some(0);
        let fires = !exhausted && rule.error_rate > 0.0 && rng.f64() < rule.error_rate;
        let error = fires.then(|| {
            if let Some(n) = rule.remaining.as_mut() {
                *n -= 1;
            }
            ApiError::custom(rule.error_type.clone(), rule.status, rule.message.clone())
        });
        FaultDecision { latency, error }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_fires_remaining_times_then_stops() {
        let mut faults = Faults::default();
        let mut spec = FaultSpec::error("CreateService", "ServerException", 500);
        spec.remaining = Some(2);
        faults.set(spec);
        let mut rng = fastrand::Rng::with_seed(1);
        let fired = (0..5).filter(|_| faults.decide("CreateService", &mut rng).error.is_some()).count();
        assert_eq!(fired, 2);
        assert!(faults.decide("DescribeServices", &mut rng).error.is_none());
    }

    #[test]
    fn a_star_rule_leaves_named_only_operations_alone() {
        let mut faults = Faults::default();
        faults.set(FaultSpec::error("*", "ServerException", 500));
        let mut rng = fastrand::Rng::with_seed(1);
        assert!(faults.decide("DescribeServices", &mut rng).error.is_some());
        assert!(faults.decide_named("ReceiveMessage", &mut rng).error.is_none());
        faults.set(FaultSpec::error("ReceiveMessage", "ServiceUnavailable", 503));
        assert_eq!(faults.decide_named("ReceiveMessage", &mut rng).error.map(|e| e.status), Some(503));
    }

    #[test]
    fn throttle_and_error_rates_combine() {
        let mut faults = Faults::default();
        faults.set(FaultSpec { throttle_rate: 0.2, error_rate: 0.02, ..FaultSpec::error("*", "ServerException", 500) });
        let mut rng = fastrand::Rng::with_seed(7);
        let (mut throttled, mut failed) = (0, 0);
        for _ in 0..10_000 {
            match faults.decide("DescribeServices", &mut rng).error {
                Some(e) if e.status == 400 => throttled += 1,
                Some(_) => failed += 1,
                None => {}
            }
        }
        assert!((1_800..2_200).contains(&throttled), "{throttled}");
        assert!((100..220).contains(&failed), "{failed}");
    }
}
