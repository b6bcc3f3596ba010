//! EventBridge delivering ECS events to an SQS queue, as a rule with an SQS target does in
//! AWS: each event is an EventBridge envelope (`version`, `id`, `detail-type`, `source`,
//! `account`, `time`, `region`, `resources`, `detail`) put in the queue as the message body.
//! `time` is the real wall-clock time the event is sent, to the second, as EventBridge writes
//! it; the `detail` carries the simulated timestamps of the state it describes.
//!
//! Delivery is at-least-once and unordered in AWS, and faults make that visible: a delay
//! (with jitter) before a message becomes visible, duplicates (the same event, same `id`,
//! twice), losses, and reordering within a short window. Decisions use a generator seeded
//! from the simulator's seed, apart from the one ECS ids come from, so turning events on
//! never changes the ids a run produces. What builds the events is `ecs_events`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::watch;

use crate::clock::{iso8601, wall_clock_ms};
use crate::sim::Sim;
use crate::sqs::Sqs;

/// How often the background ticker catches the simulation up when the clock runs on its
/// own, so events come out on time even when nobody calls the API.
pub const TICK: Duration = Duration::from_millis(200);

/// Delivery faults. Probabilities are 0..=1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct EventFaults {
    /// Real-time delay before a delivered message becomes visible.
    pub delay_ms: u64,
    /// A random extra delay of up to this many milliseconds per message.
    pub delay_jitter_ms: u64,
    /// Probability an event is delivered twice (same envelope, same `id`).
    pub duplicate: f64,
    /// Probability an event is never delivered.
    pub loss: f64,
    /// Messages become visible in a shuffled order: each gets a random extra delay of up to
    /// `reorder_window_ms`.
    pub reorder: bool,
    pub reorder_window_ms: u64,
}

impl Default for EventFaults {
    fn default() -> Self {
        EventFaults {
            delay_ms: 0,
            delay_jitter_ms: 0,
            duplicate: 0.0,
            loss: 0.0,
            reorder: false,
            reorder_window_ms: 1_000,
        }
    }
}

impl EventFaults {
    /// Refuses probabilities outside 0..=1 (and NaN).
    pub fn validate(&self) -> Result<(), String> {
        for (name, p) in [("duplicate", self.duplicate), ("loss", self.loss)] {
            if !(0.0..=1.0).contains(&p) {
                return Err(format!("{name} must be between 0 and 1, got {p}"));
            }
        }
        Ok(())
    }

    /// Probabilities forced into 0..=1 (NaN counts as 0).
    pub fn clamped(mut self) -> Self {
        let clamp = |p: f64| if p.is_nan() { 0.0 } else { p.clamp(0.0, 1.0) };
        self.duplicate = clamp(self.duplicate);
        self.loss = clamp(self.loss);
        self
    }
}

/// What happened to the events published since start or reset.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventStats {
    /// Events ECS emitted (each counted once, whatever became of it).
    pub published: u64,
    /// Messages put in the queue: a duplicated event counts twice.
    pub delivered: u64,
    /// Events never delivered: the loss fault, or the queue gone or too small for the event.
    pub lost: u64,
    /// Events delivered twice.
    pub duplicated: u64,
    /// Published events by `detail-type`.
    pub by_detail_type: BTreeMap<String, u64>,
}

/// The event bus: where events go and how delivery misbehaves.
pub struct Events {
    /// The target queue; None: events are off and nothing is built.
    queue: Option<String>,
    sqs: Option<Arc<Sqs>>,
    rng: fastrand::Rng,
    faults: EventFaults,
    stats: EventStats,
}

impl Events {
    /// Events off.
    pub fn off() -> Self {
        Events {
            queue: None,
            sqs: None,
            rng: fastrand::Rng::with_seed(0),
            faults: EventFaults::default(),
            stats: EventStats::default(),
        }
    }

    /// Delivers to `queue` (None: off) in `sqs`.
    pub fn new(queue: Option<String>, sqs: Arc<Sqs>, seed: u64) -> Self {
        Events {
            queue,
            sqs: Some(sqs),
            rng: fastrand::Rng::with_seed(seed ^ 0xe7e7_e7e7_e7e7),
            faults: EventFaults::default(),
            stats: EventStats::default(),
        }
    }

    pub fn enabled(&self) -> bool {
        self.queue.is_some() && self.sqs.is_some()
    }

    pub fn set_faults(&mut self, faults: EventFaults) {
        self.faults = faults.clamped();
    }

    pub fn faults(&self) -> EventFaults {
        self.faults.clone()
    }

    pub fn stats(&self) -> EventStats {
        self.stats.clone()
    }

    /// An id from the events' own generator (event ids, CloudTrail eventID/requestID), so
    /// building events never draws from the one ECS ids come from.
    pub fn uuid(&mut self) -> String {
        crate::protocol::uuid_v4(&mut self.rng)
    }

    /// Extra real-time delay for one message: the fixed delay, jitter and reordering.
    fn delay(&mut self) -> Duration {
        let f = &self.faults;
        let (base, jitter, window) = (f.delay_ms, f.delay_jitter_ms, if f.reorder { f.reorder_window_ms } else { 0 });
        let extra = |rng: &mut fastrand::Rng, max: u64| if max == 0 { 0 } else { rng.u64(0..=max) };
        let ms = base + extra(&mut self.rng, jitter) + extra(&mut self.rng, window);
        Duration::from_millis(ms)
    }

    /// Sends one `aws.ecs` event from `account`/`region`, subject to the faults.
    pub fn publish(&mut self, detail_type: &str, account: &str, region: &str, resources: Vec<String>, detail: Value) {
        let (Some(queue), Some(sqs)) = (self.queue.clone(), self.sqs.clone()) else { return };
        let envelope = json!({
            "version": "0",
            "id": self.uuid(),
            "detail-type": detail_type,
            "source": "aws.ecs",
            "account": account,
            "time": iso8601(wall_clock_ms() / 1000),
            "region": region,
            "resources": resources,
            "detail": detail,
        });
        let body = envelope.to_string();
        self.stats.published += 1;
        *self.stats.by_detail_type.entry(detail_type.to_string()).or_default() += 1;
        if self.faults.loss > 0.0 && self.rng.f64() < self.faults.loss {
            self.stats.lost += 1;
            return;
        }
        let copies = if self.faults.duplicate > 0.0 && self.rng.f64() < self.faults.duplicate { 2 } else { 1 };
        let mut delivered = 0;
        for _ in 0..copies {
            let delay = self.delay();
            if sqs.deliver(&queue, body.clone(), delay) {
                delivered += 1;
            }
        }
        self.stats.delivered += delivered;
        match delivered {
            0 => self.stats.lost += 1,
            2 => self.stats.duplicated += 1,
            _ => {}
        }
    }
}

/// Catches the simulation up every [`TICK`] of real time until `shutdown` flips, so timers
/// fire (and their events go out) on a scaled clock even when no call arrives.
pub async fn run_ticker(sim: Sim, mut shutdown: watch::Receiver<bool>) {
    let mut interval = tokio::time::interval(TICK);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = interval.tick() => sim.catch_up(),
            _ = shutdown.changed() => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bus(faults: EventFaults) -> (Events, Arc<Sqs>) {
        let sqs = Arc::new(Sqs::new("us-east-1", "123456789012", 1));
        sqs.ensure_queue("events").expect("queue");
        let mut events = Events::new(Some("events".to_string()), sqs.clone(), 7);
        events.set_faults(faults);
        (events, sqs)
    }

    #[test]
    fn off_publishes_nothing() {
        let mut events = Events::off();
        events.publish("ECS Service Action", "1", "r", vec![], json!({}));
        assert_eq!(events.stats(), EventStats::default());
        assert!(!events.enabled());
    }

    #[test]
    fn loss_and_duplicates_are_counted() {
        let (mut events, _) = bus(EventFaults { loss: 1.0, ..EventFaults::default() });
        for _ in 0..3 {
            events.publish("ECS Task State Change", "1", "r", vec![], json!({}));
        }
        let s = events.stats();
        assert_eq!((s.published, s.delivered, s.lost, s.duplicated), (3, 0, 3, 0));
        assert_eq!(s.by_detail_type["ECS Task State Change"], 3);

        let (mut events, _) = bus(EventFaults { duplicate: 1.0, ..EventFaults::default() });
        events.publish("ECS Task State Change", "1", "r", vec![], json!({}));
        let s = events.stats();
        assert_eq!((s.published, s.delivered, s.lost, s.duplicated), (1, 2, 0, 1));
    }

    #[test]
    fn a_missing_queue_loses_the_event() {
        let sqs = Arc::new(Sqs::new("us-east-1", "123456789012", 1));
        let mut events = Events::new(Some("gone".to_string()), sqs, 7);
        events.publish("ECS Service Action", "1", "r", vec![], json!({}));
        assert_eq!(events.stats().lost, 1);
    }

    #[test]
    fn delays_stay_within_their_bounds_and_are_reproducible() {
        let faults = EventFaults {
            delay_ms: 100,
            delay_jitter_ms: 50,
            reorder: true,
            reorder_window_ms: 200,
            ..EventFaults::default()
        };
        let (mut a, _) = bus(faults.clone());
        let (mut b, _) = bus(faults);
        let da: Vec<Duration> = (0..50).map(|_| a.delay()).collect();
        let db: Vec<Duration> = (0..50).map(|_| b.delay()).collect();
        assert_eq!(da, db, "same seed, same delays");
        assert!(da.iter().all(|d| (100..=350).contains(&(d.as_millis() as u64))), "{da:?}");
        assert!(da.iter().any(|d| *d != da[0]), "jitter varies");
    }

    #[test]
    fn faults_are_validated_and_clamped() {
        assert!(EventFaults { loss: 1.5, ..EventFaults::default() }.validate().is_err());
        assert!(EventFaults { duplicate: f64::NAN, ..EventFaults::default() }.validate().is_err());
        let c = EventFaults { loss: 1.5, duplicate: f64::NAN, ..EventFaults::default() }.clamped();
        assert_eq!((c.loss, c.duplicate), (1.0, 0.0));
        let parsed: EventFaults =
            serde_json::from_str(r#"{"delayMs": 5, "duplicate": 0.05, "reorder": true}"#).expect("parse");
        assert_eq!(
            (parsed.delay_ms, parsed.duplicate, parsed.reorder, parsed.reorder_window_ms),
            (5, 0.05, true, 1_000)
        );
        assert!(serde_json::from_str::<EventFaults>(r#"{"lossRate": 1}"#).is_err(), "unknown members refused");
    }
}
