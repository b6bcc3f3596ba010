//! The error policy every kind shares: how long a failed reconcile waits (per error class, with
//! per-object exponential back-off), and the span and log line each reconcile runs in.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use kube::Resource;
use kube::runtime::controller::Action;

use super::context::{Config, Context, object_key};
use super::error::Error;
use crate::aws::error::ErrorClass;

/// Delay before the next attempt (see [`retry_delay`]), counting consecutive failures per
/// object for the back-offs.
pub fn error_policy<K: Resource>(obj: Arc<K>, err: &Error, ctx: Arc<Context>) -> Action {
    let key = object_key(obj.as_ref());
    let mut attempt = None;
    let delay = retry_delay(err, &ctx.config, || *attempt.insert(ctx.count_failure(&key)), fastrand::f64());
    match attempt {
        Some(1) if err.is_stale_write() => {
            tracing::debug!(object = %key, reason = err.reason(), ?delay, "retrying with a fresh read")
        }
        Some(attempt) => {
            tracing::info!(object = %key, reason = err.reason(), attempt, ?delay, "retrying after back-off")
        }
        None => tracing::debug!(object = %key, reason = err.reason(), ?delay, "looked at again later"),
    }
    Action::requeue(delay)
}

/// How long an object whose reconcile failed with `err` waits. Terminal waits for a change,
/// with a slow recheck; a Kubernetes refusal (403, 422) backs off from a twentieth of that
/// recheck up to it, since only a change to the operator's RBAC or the CRD fixes it and no
/// watch event says when; a deletion waiting for ECS looks again at a steady pace; anything
/// else retryable backs off exponentially from `retry_base`. `attempt` counts this failure
/// and is called only for the back-offs. Pure: the jitter is passed in.
pub fn retry_delay(err: &Error, config: &Config, attempt: impl FnOnce() -> u32, jitter: f64) -> Duration {
    if err.is_kube_refusal() {
        let recheck = config.terminal_recheck;
        return backoff(recheck / 20, recheck, attempt(), jitter);
    }
    match err.class() {
        ErrorClass::Terminal => config.terminal_recheck,
        // Waiting for ECS to finish a deletion, or for a cluster to exist, is not failing: look
        // again at a steady pace
        // (watch events re-trigger it too), never backing off into minutes.
        ErrorClass::Retryable if matches!(err, Error::Draining(_) | Error::Waiting(_)) => config.rollout_poll_interval,
        ErrorClass::Retryable => backoff(config.retry_base, config.retry_max, attempt(), jitter),
    }
}

/// `base × 2^(attempt-1)`, capped at `max`, scaled by a jitter factor in [0.5, 1.0) so that
/// objects failing together (an AWS throttle) do not retry together.
pub fn backoff(base: Duration, max: Duration, attempt: u32, jitter: f64) -> Duration {
    let exp = base.saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1).min(20)));
    exp.min(max).mul_f64(0.5 + jitter.clamp(0.0, 1.0) / 2.0)
}

/// Runs one reconcile in a span naming the object, and resets its backoff on success.
pub async fn traced(
    kind: &'static str,
    key: String,
    generation: Option<i64>,
    ctx: &Context,
    reconcile: impl Future<Output = Result<Action, Error>>,
) -> Result<Action, Error> {
    // A trace id per reconcile ties together every log line (and AWS call) it caused.
    let trace_id = format!("{:016x}", fastrand::u64(..));
    let span = tracing::info_span!("reconcile", kind, object = %key, generation, trace_id);
    let timer = ctx.config.metrics.reconcile(kind);
    let result = tracing::Instrument::instrument(reconcile, span.clone()).await;
    match &result {
        Ok(_) => {
            ctx.failures().remove(&key);
        }
        Err(err) => {
            timer.failed(err.reason());
            let first_failure = !ctx.failures().contains_key(&key);
            // Logged inside the span, so the line carries the object and its trace id.
            let _entered = span.enter();
            match (err.class(), err) {
                (_, Error::Draining(_) | Error::Waiting(_)) => {
                    tracing::info!(reason = err.reason(), error = %err, "waiting for ECS")
                }
                // Another writer changed the object between our read and our write: the retry
                // reads it afresh. Only a race that repeats is worth a warning.
                _ if err.is_stale_write() && first_failure => {
                    tracing::debug!(reason = err.reason(), error = %err, "the object changed under our write; retrying")
                }
                _ if err.is_kube_refusal() => {
                    tracing::warn!(reason = err.reason(), error = %err, "Kubernetes refused the operator's request")
                }
                (ErrorClass::Terminal, _) => {
                    tracing::warn!(reason = err.reason(), error = %err, "terminal error; waiting for a change")
                }
                (ErrorClass::Retryable, _) => tracing::warn!(reason = err.reason(), error = %err, "retryable error"),
            }
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controller::error;

    fn refused(code: u16) -> Error {
        let status = kube::core::Status {
            code,
            reason: if code == 403 { "Forbidden" } else { "Invalid" }.into(),
            message: "no".into(),
            ..kube::core::Status::failure("no", "")
        };
        Error::kube(error::WRITING_STATUS, kube::Error::Api(Box::new(status)))
    }

    #[test]
    fn refusals_back_off_slowly_and_other_errors_as_before() {
        let config = Config {
            terminal_recheck: Duration::from_secs(600),
            retry_base: Duration::from_secs(1),
            retry_max: Duration::from_secs(300),
            rollout_poll_interval: Duration::from_secs(5),
            ..Default::default()
        };
        for code in [403, 422] {
            let err = refused(code);
            assert_eq!(retry_delay(&err, &config, || 1, 1.0), Duration::from_secs(30), "{code}: slow from the start");
            assert_eq!(retry_delay(&err, &config, || 3, 1.0), Duration::from_secs(120));
            assert_eq!(retry_delay(&err, &config, || 10, 1.0), Duration::from_secs(600), "capped at the recheck");
        }
        let flaky = Error::kube("writing status", kube::Error::Api(Box::new(kube::core::Status::failure("x", "y"))));
        assert!(!flaky.is_kube_refusal());
        assert_eq!(retry_delay(&flaky, &config, || 1, 1.0), Duration::from_secs(1), "fast retry");
        let terminal = Error::InvalidSpec("spec.cpu".into());
        assert_eq!(retry_delay(&terminal, &config, || panic!("no count"), 1.0), Duration::from_secs(600));
        let draining = Error::Draining("DRAINING".into());
        assert_eq!(retry_delay(&draining, &config, || panic!("no count"), 1.0), Duration::from_secs(5));
    }

    #[test]
    fn backoff_grows_caps_and_jitters() {
        let (base, max) = (Duration::from_secs(1), Duration::from_secs(60));
        assert_eq!(backoff(base, max, 1, 1.0), Duration::from_secs(1));
        assert_eq!(backoff(base, max, 3, 1.0), Duration::from_secs(4));
        assert_eq!(backoff(base, max, 30, 1.0), max);
        assert_eq!(backoff(base, max, 3, 0.0), Duration::from_secs(2));
    }
}
