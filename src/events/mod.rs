//! The optional events source: ECS events that an EventBridge rule sends to an SQS queue
//! (`--events-queue-url`). Each message is read as an EventBridge envelope ([`envelope`]); the
//! resources it names are described again at once, batched with other due reads, and their
//! objects reconciled ([`route`]). Messages are deleted only once handled. Events only trigger
//! reads, never decide state: duplicates, reordering and late delivery cost a read at most, and
//! a lost event is found by polling, which becomes the safety net (see
//! [`crate::controller::Config::with_events`]).

pub mod envelope;
pub mod route;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::jiff::Timestamp;

use self::envelope::{Reading, type_label};
use self::route::Scope;
use crate::aws::error::{AwsError, ErrorClass};
use crate::aws::sqs::EventQueue;
use crate::metrics::Metrics;

/// What one message came to, as the metric's `outcome` label says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Triggered,
    Unmatched,
    Ignored,
    Unknown,
    Invalid,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Triggered => "triggered",
            Outcome::Unmatched => "unmatched",
            Outcome::Ignored => "ignored",
            Outcome::Unknown => "unknown",
            Outcome::Invalid => "invalid",
        }
    }
}

/// Reads the queue and routes what it says to every watched scope.
pub struct EventSource {
    pub queue: Arc<dyn EventQueue>,
    pub scopes: Vec<Scope>,
    pub metrics: Arc<Metrics>,
}

/// Waits between failed receives: from 1 s, doubling, to this.
const MAX_RECEIVE_BACKOFF: Duration = Duration::from_secs(60);

impl EventSource {
    /// Long-polls until `shutdown`. A failing queue is retried with back-off and logged; it
    /// never stops the controllers, which keep polling.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let mut shutdown = std::pin::pin!(shutdown);
        let mut failures: u32 = 0;
        loop {
            let received = tokio::select! {
                () = &mut shutdown => return,
                r = self.queue.receive() => r,
            };
            match received {
                Ok(messages) => {
                    failures = 0;
                    let mut handled = Vec::with_capacity(messages.len());
                    for message in messages {
                        self.handle(&message.body).await;
                        handled.push(message.receipt);
                    }
                    if !handled.is_empty() {
                        self.delete(handled).await;
                    }
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    let wait = Duration::from_secs(1u64 << failures.min(6)).min(MAX_RECEIVE_BACKOFF);
                    tracing::warn!(error = %e, ?wait, "receiving ECS events failed; polling continues");
                    tokio::select! {
                        () = &mut shutdown => return,
                        () = tokio::time::sleep(wait) => {}
                    }
                }
            }
        }
    }

    /// Routes one message; counted by type and outcome.
    pub async fn handle(&self, body: &str) -> Outcome {
        let (type_, outcome) = match envelope::parse(body) {
            Err(e) => {
                tracing::debug!(error = %e, "a queue message is not an EventBridge event; dropped");
                ("other", Outcome::Invalid)
            }
            Ok(event) => {
                let at = event.time.as_deref().and_then(|t| t.parse::<Timestamp>().ok()).unwrap_or_else(Timestamp::now);
                let outcome = match envelope::read(&event) {
                    Reading::Unknown => Outcome::Unknown,
                    Reading::Ignored => Outcome::Ignored,
                    Reading::Names(targets) => {
                        let mut triggered = 0;
                        for target in &targets {
                            for scope in &self.scopes {
                                triggered += scope.route(target, at).await;
                            }
                        }
                        tracing::debug!(id = %event.id, detail_type = %event.detail_type, ?targets, triggered, "event");
                        if triggered > 0 { Outcome::Triggered } else { Outcome::Unmatched }
                    }
                };
                (type_label(&event.detail_type), outcome)
            }
        };
        self.metrics.event_received(type_, outcome.label());
        outcome
    }

    async fn delete(&self, receipts: Vec<String>) {
        match self.queue.delete(receipts).await {
            Ok(0) => {}
            Ok(failed) => tracing::debug!(failed, "SQS did not delete some handled messages; they will be read again"),
            Err(e) => tracing::warn!(error = %e, "deleting handled events failed; they will be read again"),
        }
    }
}

/// Retryable answers the start-up check of the queue sits out before it gives up.
const CHECK_ATTEMPTS: u32 = 5;

/// Checks at start-up that the queue exists and may be read: its ARN. A missing queue or a
/// denied permission stops the operator with the message, as a wrong region does.
pub async fn check_queue(queue: &dyn EventQueue) -> Result<String, AwsError> {
    let mut attempt = 0;
    loop {
        match queue.check().await {
            Err(e) if e.class == ErrorClass::Retryable && attempt < CHECK_ATTEMPTS => {
                attempt += 1;
                tracing::warn!(error = %e, attempt, "the events queue did not answer; trying again");
                tokio::time::sleep(Duration::from_secs(1u64 << attempt.min(4))).await;
            }
            other => return other,
        }
    }
}
