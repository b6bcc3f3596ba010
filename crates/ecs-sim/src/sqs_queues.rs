//! The SQS store: standard queues whose messages are delayed, received, hidden for a
//! visibility timeout and deleted by receipt handle, as the SQS Developer Guide describes a
//! standard queue (at-least-once: a message not deleted in time is received again). Time is
//! real time: a consumer's long poll and visibility timeout are real-time quantities even
//! when the ECS simulation runs fast. Every operation takes `now`, so tests step through time
//! without sleeping. No HTTP and no JSON here; `sqs` speaks the protocol.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use md5::{Digest, Md5};

/// A queue's numeric attributes, with AWS's defaults and ranges (botocore sqs
/// CreateQueueRequest.Attributes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub min: u32,
    pub max: u32,
    pub default: u32,
}

pub const VISIBILITY_TIMEOUT: Limits = Limits { min: 0, max: 43_200, default: 30 };
pub const DELAY_SECONDS: Limits = Limits { min: 0, max: 900, default: 0 };
pub const RECEIVE_WAIT: Limits = Limits { min: 0, max: 20, default: 0 };
pub const RETENTION: Limits = Limits { min: 60, max: 1_209_600, default: 345_600 };
pub const MAX_MESSAGE_SIZE: Limits = Limits { min: 1_024, max: 1_048_576, default: 1_048_576 };

/// The numeric attributes by name, for parsing and answering GetQueueAttributes.
pub const NUMERIC_ATTRIBUTES: [(&str, Limits); 5] = [
    ("VisibilityTimeout", VISIBILITY_TIMEOUT),
    ("DelaySeconds", DELAY_SECONDS),
    ("ReceiveMessageWaitTimeSeconds", RECEIVE_WAIT),
    ("MessageRetentionPeriod", RETENTION),
    ("MaximumMessageSize", MAX_MESSAGE_SIZE),
];

/// Attributes a caller may set that the simulator stores and echoes without acting on them.
pub const OPAQUE_ATTRIBUTES: [&str; 6] = [
    "Policy",
    "RedrivePolicy",
    "RedriveAllowPolicy",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "SqsManagedSseEnabled",
];

/// AWS allows one PurgeQueue per queue every 60 seconds (PurgeQueueInProgress otherwise).
pub const PURGE_INTERVAL: Duration = Duration::from_secs(60);

/// Settable attributes: the numeric ones by name, and the opaque ones as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub numeric: BTreeMap<&'static str, u32>,
    pub opaque: BTreeMap<String, String>,
}

impl Default for Settings {
    fn default() -> Self {
        let numeric = NUMERIC_ATTRIBUTES.iter().map(|(name, l)| (*name, l.default)).collect();
        // SSE-SQS is on for queues created since late 2022 unless turned off.
        let opaque = BTreeMap::from([("SqsManagedSseEnabled".to_string(), "true".to_string())]);
        Settings { numeric, opaque }
    }
}

impl Settings {
    pub fn get(&self, name: &str) -> u32 {
        self.numeric.get(name).copied().unwrap_or_default()
    }

    pub fn visibility_timeout(&self) -> u32 {
        self.get("VisibilityTimeout")
    }
}

/// A message's lifecycle point, for the Approximate* counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Sent with a delay that has not passed.
    Delayed,
    Visible,
    /// Received and inside its visibility timeout.
    InFlight,
}

#[derive(Debug, Clone)]
struct Message {
    id: String,
    body: String,
    md5: String,
    sender_id: String,
    sent_ms: u64,
    sent: Instant,
    visible_at: Instant,
    receive_count: u32,
    first_receive_ms: Option<u64>,
    /// The receipt handle of the latest receive; older ones no longer act on the message.
    receipt: Option<String>,
    /// Send order, to keep equal-visibility messages first in, first out.
    seq: u64,
}

impl Message {
    fn phase(&self, now: Instant) -> Phase {
        match (self.visible_at <= now, self.receive_count) {
            (true, _) => Phase::Visible,
            (false, 0) => Phase::Delayed,
            (false, _) => Phase::InFlight,
        }
    }
}

/// A received message, as ReceiveMessage reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub id: String,
    pub receipt: String,
    pub md5: String,
    pub body: String,
    pub sender_id: String,
    pub sent_ms: u64,
    pub receive_count: u32,
    pub first_receive_ms: u64,
}

/// Why a receipt handle does not act on a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandleError {
    /// Not a receipt handle of this queue at all (ReceiptHandleIsInvalid).
    Invalid,
    /// A handle of this queue whose message is gone, or not its latest.
    Gone,
    /// ChangeMessageVisibility on a message that is not in flight (MessageNotInflight).
    NotInFlight,
}

/// The Approximate* message counts GetQueueAttributes reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub visible: usize,
    pub in_flight: usize,
    pub delayed: usize,
}

#[derive(Debug, Clone)]
pub struct Queue {
    pub name: String,
    pub settings: Settings,
    /// Epoch seconds (real time), as CreatedTimestamp and LastModifiedTimestamp report.
    pub created_s: u64,
    pub modified_s: u64,
    messages: Vec<Message>,
    seq: u64,
    last_purge: Option<Instant>,
}

/// The MD5 of a message body in lowercase hex: SendMessage's MD5OfMessageBody and
/// ReceiveMessage's MD5OfBody, which SDKs check against the body.
pub fn md5_hex(body: &str) -> String {
    Md5::digest(body.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// A receipt handle: opaque to callers, but it names its queue, message and receive so the
/// store can tell a handle it never issued from one whose message is gone.
fn encode_handle(queue: &str, message_id: &str, receive: u32, nonce: &str) -> String {
    format!("ecs-sim:{queue}:{message_id}:{receive}:{nonce}").bytes().map(|b| format!("{b:02x}")).collect()
}

/// The (queue, message id) a handle names, if it is one of ours.
fn decode_handle(handle: &str) -> Option<(String, String)> {
    if handle.is_empty() || !handle.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..handle.len())
        .step_by(2)
        .map(|i| handle.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect();
    let text = String::from_utf8(bytes?).ok()?;
    let mut parts = text.strip_prefix("ecs-sim:")?.split(':');
    let (queue, id, receive, nonce) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    receive.parse::<u32>().ok()?;
    (parts.next().is_none() && !nonce.is_empty()).then(|| (queue.to_string(), id.to_string()))
}

impl Queue {
    pub fn new(name: &str, settings: Settings, now_s: u64) -> Self {
        Queue {
            name: name.to_string(),
            settings,
            created_s: now_s,
            modified_s: now_s,
            messages: vec![],
            seq: 0,
            last_purge: None,
        }
    }

    /// Drops messages older than the retention period.
    fn expire(&mut self, now: Instant) {
        let retention = Duration::from_secs(u64::from(self.settings.get("MessageRetentionPeriod")));
        self.messages.retain(|m| now.saturating_duration_since(m.sent) < retention);
    }

    /// Enqueues a message visible after `delay`; returns its MD5.
    pub fn send(
        &mut self,
        id: String,
        body: String,
        sender_id: &str,
        delay: Duration,
        now: Instant,
        wall_ms: u64,
    ) -> String {
        self.seq += 1;
        let md5 = md5_hex(&body);
        self.messages.push(Message {
            id,
            body,
            md5: md5.clone(),
            sender_id: sender_id.to_string(),
            sent_ms: wall_ms,
            sent: now,
            visible_at: now + delay,
            receive_count: 0,
            first_receive_ms: None,
            receipt: None,
            seq: self.seq,
        });
        md5
    }

    /// Up to `max` visible messages, earliest visible first; each becomes invisible for
    /// `visibility` and gets a new receipt handle (`nonce` makes it unique).
    pub fn receive(
        &mut self,
        max: usize,
        visibility: Duration,
        now: Instant,
        wall_ms: u64,
        mut nonce: impl FnMut() -> String,
    ) -> Vec<Received> {
        self.expire(now);
        let mut visible: Vec<usize> =
            (0..self.messages.len()).filter(|&i| self.messages[i].phase(now) == Phase::Visible).collect();
        visible.sort_by_key(|&i| (self.messages[i].visible_at, self.messages[i].seq));
        let mut out = vec![];
        for i in visible.into_iter().take(max) {
            let name = self.name.clone();
            let m = &mut self.messages[i];
            m.receive_count += 1;
            let first = *m.first_receive_ms.get_or_insert(wall_ms);
            let receipt = encode_handle(&name, &m.id, m.receive_count, &nonce());
            m.receipt = Some(receipt.clone());
            m.visible_at = now + visibility;
            out.push(Received {
                id: m.id.clone(),
                receipt,
                md5: m.md5.clone(),
                body: m.body.clone(),
                sender_id: m.sender_id.clone(),
                sent_ms: m.sent_ms,
                receive_count: m.receive_count,
                first_receive_ms: first,
            });
        }
        out
    }

    /// The message a handle names: Invalid if the handle is not this queue's, Gone if its
    /// message was deleted (or expired, or purged).
    fn find(&self, handle: &str) -> Result<usize, HandleError> {
        let (queue, id) = decode_handle(handle).ok_or(HandleError::Invalid)?;
        if queue != self.name {
            return Err(HandleError::Invalid);
        }
        self.messages.iter().position(|m| m.id == id).ok_or(HandleError::Gone)
    }

    /// DeleteMessage. A handle of a message already deleted succeeds and does nothing, and so
    /// does an older handle of a message received again since: "If you use an old
    /// ReceiptHandle, the request will succeed, but the message might not be deleted"
    /// (botocore DeleteMessage). Only a handle this queue never issued is an error.
    pub fn delete(&mut self, handle: &str, now: Instant) -> Result<(), HandleError> {
        self.expire(now);
        match self.find(handle) {
            Ok(i) if self.messages[i].receipt.as_deref() == Some(handle) => {
                self.messages.remove(i);
                Ok(())
            }
            Ok(_) | Err(HandleError::Gone) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// ChangeMessageVisibility: only the latest handle of a message in flight acts on it; 0
    /// makes it visible at once.
    pub fn change_visibility(&mut self, handle: &str, timeout: Duration, now: Instant) -> Result<(), HandleError> {
        self.expire(now);
        let i = self.find(handle)?;
        let m = &mut self.messages[i];
        if m.receipt.as_deref() != Some(handle) {
            return Err(HandleError::Gone);
        }
        if m.phase(now) != Phase::InFlight {
            return Err(HandleError::NotInFlight);
        }
        m.visible_at = now + timeout;
        Ok(())
    }

    /// PurgeQueue; false if the last purge was less than [`PURGE_INTERVAL`] ago.
    pub fn purge(&mut self, now: Instant) -> bool {
        if self.last_purge.is_some_and(|t| now.saturating_duration_since(t) < PURGE_INTERVAL) {
            return false;
        }
        self.last_purge = Some(now);
        self.messages.clear();
        true
    }

    pub fn counts(&mut self, now: Instant) -> Counts {
        self.expire(now);
        let mut c = Counts::default();
        for m in &self.messages {
            match m.phase(now) {
                Phase::Visible => c.visible += 1,
                Phase::InFlight => c.in_flight += 1,
                Phase::Delayed => c.delayed += 1,
            }
        }
        c
    }

    /// When the next hidden message becomes visible, for a long poll to wake up then.
    pub fn next_visible_at(&self, now: Instant) -> Option<Instant> {
        self.messages.iter().map(|m| m.visible_at).filter(|&t| t > now).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue_with(bodies: &[&str], now: Instant) -> Queue {
        let mut q = Queue::new("q", Settings::default(), 0);
        for (i, b) in bodies.iter().enumerate() {
            q.send(format!("m{i}"), b.to_string(), "AIDA", Duration::ZERO, now, 0);
        }
        q
    }

    fn nonces() -> impl FnMut() -> String {
        let mut n = 0;
        move || {
            n += 1;
            format!("n{n}")
        }
    }

    const VIS: Duration = Duration::from_secs(30);

    #[test]
    fn md5_is_the_real_digest() {
        assert_eq!(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(md5_hex("hello"), "5d41402abc4b2a76b9719d911017c592");
    }

    #[test]
    fn a_received_message_is_hidden_then_delivered_again() {
        let t0 = Instant::now();
        let mut q = queue_with(&["a"], t0);
        let first = q.receive(10, VIS, t0, 0, nonces());
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].receive_count, 1);
        assert!(q.receive(10, VIS, t0 + Duration::from_secs(29), 0, nonces()).is_empty(), "hidden");
        assert_eq!(q.counts(t0 + Duration::from_secs(29)), Counts { visible: 0, in_flight: 1, delayed: 0 });
        let again = q.receive(10, VIS, t0 + VIS, 0, nonces());
        assert_eq!(again.len(), 1, "at-least-once: not deleted, so delivered again");
        assert_eq!((again[0].id.as_str(), again[0].receive_count), ("m0", 2));
        assert_ne!(again[0].receipt, first[0].receipt, "a receipt handle per receive");
    }

    #[test]
    fn delete_by_handle_and_what_old_or_foreign_handles_do() {
        let t0 = Instant::now();
        let mut q = queue_with(&["a", "b"], t0);
        let got = q.receive(1, Duration::ZERO, t0, 0, nonces());
        let stale = got[0].receipt.clone();
        let again = q.receive(1, VIS, t0, 0, nonces());
        assert_eq!(again[0].id, got[0].id, "visibility 0: the same message comes back first");
        assert_eq!(q.delete(&stale, t0), Ok(()), "an old handle succeeds");
        assert_eq!(q.counts(t0).in_flight, 1, "... but does not delete the message received since");
        assert_eq!(q.delete(&again[0].receipt, t0), Ok(()));
        assert_eq!(q.counts(t0), Counts { visible: 1, in_flight: 0, delayed: 0 });
        assert_eq!(q.delete(&again[0].receipt, t0), Ok(()), "deleting twice is not an error");
        assert_eq!(
            q.change_visibility(&again[0].receipt, VIS, t0),
            Err(HandleError::Gone),
            "the handle no longer acts on anything"
        );
        assert_eq!(q.delete("not-a-handle", t0), Err(HandleError::Invalid));
        let other = encode_handle("other-queue", "m1", 1, "x");
        assert_eq!(q.delete(&other, t0), Err(HandleError::Invalid), "another queue's handle");
    }

    #[test]
    fn change_visibility_hides_longer_or_releases_at_once() {
        let t0 = Instant::now();
        let mut q = queue_with(&["a"], t0);
        let got = q.receive(1, VIS, t0, 0, nonces());
        q.change_visibility(&got[0].receipt, Duration::ZERO, t0).expect("in flight");
        assert_eq!(
            q.change_visibility(&got[0].receipt, VIS, t0),
            Err(HandleError::NotInFlight),
            "visible again, so not in flight"
        );
        let got = q.receive(1, VIS, t0, 0, nonces());
        q.change_visibility(&got[0].receipt, Duration::from_secs(100), t0).expect("in flight");
        assert!(q.receive(1, VIS, t0 + Duration::from_secs(99), 0, nonces()).is_empty());
        assert_eq!(q.receive(1, VIS, t0 + Duration::from_secs(100), 0, nonces()).len(), 1);
    }

    #[test]
    fn delays_order_and_max() {
        let t0 = Instant::now();
        let mut q = Queue::new("q", Settings::default(), 0);
        q.send("late".into(), "1".into(), "A", Duration::from_secs(5), t0, 0);
        q.send("early".into(), "2".into(), "A", Duration::from_secs(1), t0, 0);
        q.send("now".into(), "3".into(), "A", Duration::ZERO, t0, 0);
        assert_eq!(q.counts(t0), Counts { visible: 1, in_flight: 0, delayed: 2 });
        assert_eq!(q.next_visible_at(t0), Some(t0 + Duration::from_secs(1)));
        let ids = |r: Vec<Received>| r.into_iter().map(|m| m.id).collect::<Vec<_>>();
        assert_eq!(ids(q.receive(10, VIS, t0 + Duration::from_secs(9), 0, nonces())), ["now", "early", "late"]);
        let mut q = queue_with(&["a", "b", "c"], t0);
        assert_eq!(q.receive(2, VIS, t0, 0, nonces()).len(), 2);
        assert_eq!(q.receive(2, VIS, t0, 0, nonces()).len(), 1);
    }

    #[test]
    fn retention_and_purge() {
        let t0 = Instant::now();
        let mut q = queue_with(&["a"], t0);
        q.settings.numeric.insert("MessageRetentionPeriod", 60);
        assert_eq!(q.counts(t0 + Duration::from_secs(60)), Counts::default(), "expired");
        let mut q = queue_with(&["a"], t0);
        assert!(q.purge(t0));
        assert_eq!(q.counts(t0), Counts::default());
        assert!(!q.purge(t0 + Duration::from_secs(59)), "one purge a minute");
        assert!(q.purge(t0 + PURGE_INTERVAL));
    }

    #[test]
    fn handles_round_trip() {
        let h = encode_handle("events", "id-1", 3, "abc");
        assert_eq!(decode_handle(&h), Some(("events".to_string(), "id-1".to_string())));
        assert_eq!(decode_handle("zz"), None);
        assert_eq!(decode_handle(""), None);
    }
}
