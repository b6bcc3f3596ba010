//! Amazon SQS over the AWS JSON 1.0 protocol (`X-Amz-Target: AmazonSQS.<Operation>`), as
//! aws-sdk-sqs and botocore send it since SQS moved off the query protocol: queues named by
//! `QueueUrl` (`<endpoint>/<account>/<name>`), errors as `{"__type", "message"}` plus the
//! `x-amzn-query-error: <code>;Sender` header the SDKs read the error code from (the model is
//! `awsQueryCompatible`). Standard queues only. ReceiveMessage long-polls in real time without
//! holding the store's lock: it waits on a `Notify` that every send, visibility change and
//! queue change wakes, or until the next delayed or hidden message becomes visible.
//!
//! The simulator's EventBridge (`events`) delivers into these queues through [`Sqs::deliver`].

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use tokio::sync::Notify;

use crate::clock::wall_clock_ms;
use crate::error::{ApiError, ErrorKind};
use crate::sqs_queues::{
    Counts, HandleError, NUMERIC_ATTRIBUTES, OPAQUE_ATTRIBUTES, Queue, RECEIVE_WAIT, Received, Settings,
    VISIBILITY_TIMEOUT,
};

/// SenderId of messages sent through the API (as STS GetCallerIdentity's UserId for the
/// default principal) and of messages EventBridge delivers.
const API_SENDER: &str = "AIDASIMULATOR";
const EVENTBRIDGE_SENDER: &str = "AIDAEVENTBRIDGE";

/// Entries per batch call and queue names, as SQS limits them.
const MAX_BATCH: usize = 10;
const MAX_QUEUE_NAME: usize = 80;

/// The message system attributes ReceiveMessage reports for a standard queue when asked.
const MESSAGE_ATTRIBUTES: [&str; 4] =
    ["SenderId", "SentTimestamp", "ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp"];

/// Read-only queue attributes GetQueueAttributes reports (besides the settable ones).
const COMPUTED_ATTRIBUTES: [&str; 6] = [
    "QueueArn",
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
];

/// FIFO queue attributes: valid names, never set on a standard queue.
const FIFO_ATTRIBUTES: [&str; 4] =
    ["FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"];

/// An SQS error answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct SqsError {
    /// `__type`: the error shape's absolute name.
    pub type_name: String,
    /// The query-protocol code of `x-amzn-query-error`, which the SDKs match typed errors on.
    pub code: String,
    pub message: String,
    pub status: u16,
}

impl SqsError {
    /// An error shape of the SQS model.
    fn modeled(shape: &str, code: &str, message: impl Into<String>) -> Self {
        SqsError {
            type_name: format!("com.amazonaws.sqs#{shape}"),
            code: code.to_string(),
            message: message.into(),
            status: 400,
        }
    }

    /// An error of the service framework rather than the model (validation, serialization).
    fn framework(name: &str, code: &str, message: impl Into<String>) -> Self {
        SqsError {
            type_name: format!("com.amazon.coral.service#{name}"),
            code: code.to_string(),
            message: message.into(),
            status: 400,
        }
    }

    pub fn queue_does_not_exist() -> Self {
        Self::modeled(
            "QueueDoesNotExist",
            "AWS.SimpleQueueService.NonExistentQueue",
            "The specified queue does not exist.",
        )
    }

    fn receipt_handle_invalid(handle: &str) -> Self {
        Self::modeled(
            "ReceiptHandleIsInvalid",
            "ReceiptHandleIsInvalid",
            format!("The input receipt handle \"{handle}\" is not a valid receipt handle."),
        )
    }

    /// AWS's wording for a parameter out of range: "Value 11 for parameter MaxNumberOfMessages
    /// is invalid. Reason: Must be between 1 and 10, if provided."
    fn invalid_value(param: &str, value: impl std::fmt::Display, reason: &str) -> Self {
        Self::framework(
            "InvalidParameterValueException",
            "InvalidParameterValue",
            format!("Value {value} for parameter {param} is invalid. Reason: {reason}"),
        )
    }

    fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::framework("InvalidParameterValueException", "InvalidParameterValue", message)
    }

    fn missing(param: &str) -> Self {
        Self::framework(
            "MissingParameterException",
            "MissingParameter",
            format!("The request must contain the parameter {param}."),
        )
    }

    fn serialization(message: impl Into<String>) -> Self {
        Self::framework("SerializationException", "SerializationException", message)
    }

    fn unsupported(message: impl Into<String>) -> Self {
        Self::modeled("UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation", message)
    }

    fn invalid_attribute_name(name: &str) -> Self {
        Self::modeled("InvalidAttributeName", "InvalidAttributeName", format!("Unknown Attribute {name}."))
    }

    fn invalid_attribute_value(name: &str) -> Self {
        Self::modeled(
            "InvalidAttributeValue",
            "InvalidAttributeValue",
            format!("Invalid value for the parameter {name}."),
        )
    }

    /// An injected fault or a throttled call, in SQS's shape (throttling is `RequestThrottled`).
    pub fn from_api(err: &ApiError) -> Self {
        if err.type_name == ErrorKind::Throttling.type_name() {
            return SqsError {
                status: err.status,
                ..Self::modeled("RequestThrottled", "RequestThrottled", &err.message)
            };
        }
        SqsError {
            type_name: format!("com.amazonaws.sqs#{}", err.type_name),
            code: err.type_name.clone(),
            message: err.message.clone(),
            status: err.status,
        }
    }

    pub fn to_json(&self) -> Value {
        json!({"__type": self.type_name, "message": self.message})
    }

    /// The `x-amzn-query-error` header: `<code>;Sender` (or `;Receiver` for a server fault).
    pub fn query_error(&self) -> String {
        format!("{};{}", self.code, if self.status >= 500 { "Receiver" } else { "Sender" })
    }
}

pub type SqsResult<T> = Result<T, SqsError>;

/// A request body with typed accessors answering in SQS's error shapes.
#[derive(Clone, Copy)]
struct Body<'a>(&'a Value);

impl<'a> Body<'a> {
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    fn opt_str(&self, key: &str) -> SqsResult<Option<&'a str>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(SqsError::serialization(format!("{key} must be a string"))),
        }
    }

    /// A required string; missing or empty is MissingParameter.
    fn str(&self, key: &str) -> SqsResult<&'a str> {
        self.opt_str(key)?.filter(|s| !s.is_empty()).ok_or_else(|| SqsError::missing(key))
    }

    fn opt_int(&self, key: &str) -> SqsResult<Option<i64>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v.as_i64().map(Some).ok_or_else(|| SqsError::serialization(format!("{key} must be an integer"))),
        }
    }

    /// An optional integer that must lie in `min..=max` ("Must be >= 0 and <= 20, if provided").
    fn opt_ranged(&self, key: &str, min: u32, max: u32, reason: &str) -> SqsResult<Option<u32>> {
        match self.opt_int(key)? {
            None => Ok(None),
            Some(n) if (i64::from(min)..=i64::from(max)).contains(&n) => Ok(Some(n as u32)),
            Some(n) => Err(SqsError::invalid_value(key, n, reason)),
        }
    }

    fn list(&self, key: &str) -> SqsResult<&'a [Value]> {
        match self.get(key) {
            None => Ok(&[]),
            Some(Value::Array(a)) => Ok(a),
            Some(_) => Err(SqsError::serialization(format!("{key} must be a list"))),
        }
    }

    fn str_list(&self, key: &str) -> SqsResult<Vec<&'a str>> {
        self.list(key)?
            .iter()
            .map(|v| v.as_str().ok_or_else(|| SqsError::serialization(format!("{key} must be a list of strings"))))
            .collect()
    }

    fn str_map(&self, key: &str) -> SqsResult<Vec<(&'a str, &'a str)>> {
        match self.get(key) {
            None => Ok(vec![]),
            Some(Value::Object(m)) => m
                .iter()
                .map(|(k, v)| {
                    v.as_str()
                        .map(|s| (k.as_str(), s))
                        .ok_or_else(|| SqsError::serialization(format!("{key} must map strings to strings")))
                })
                .collect(),
            Some(_) => Err(SqsError::serialization(format!("{key} must be a map"))),
        }
    }

    fn has(&self, key: &str) -> bool {
        match self.get(key) {
            None => false,
            Some(Value::Object(m)) => !m.is_empty(),
            Some(Value::Array(a)) => !a.is_empty(),
            Some(_) => true,
        }
    }
}

/// Every queue, behind one lock, and the ids it hands out.
struct Store {
    region: String,
    account: String,
    queues: BTreeMap<String, Queue>,
    rng: fastrand::Rng,
}

impl Store {
    fn uuid(&mut self) -> String {
        crate::protocol::uuid_v4(&mut self.rng)
    }

    fn nonce(rng: &mut fastrand::Rng) -> String {
        (0..24).map(|_| char::from_digit(rng.u32(0..16), 16).unwrap_or('0')).collect()
    }

    /// The queue a `QueueUrl` names: `<any endpoint>/<account>/<name>`, this account's.
    fn queue_name(&self, url: &str) -> SqsResult<String> {
        let path = match url.split_once("://") {
            Some((_, rest)) => rest.find('/').map_or("", |i| &rest[i..]),
            None => url,
        };
        let mut parts = path.trim_matches('/').split('/');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(account), Some(name), None) if account == self.account && self.queues.contains_key(name) => {
                Ok(name.to_string())
            }
            _ => Err(SqsError::queue_does_not_exist()),
        }
    }

    fn queue(&mut self, url: &str) -> SqsResult<&mut Queue> {
        let name = self.queue_name(url)?;
        self.queues.get_mut(&name).ok_or_else(SqsError::queue_does_not_exist)
    }

    fn arn(&self, name: &str) -> String {
        format!("arn:aws:sqs:{}:{}:{name}", self.region, self.account)
    }
}

/// The simulator's SQS: queues shared by the HTTP front end and the EventBridge delivery.
pub struct Sqs {
    store: Mutex<Store>,
    /// Woken whenever a message may have become receivable or a queue changed.
    changed: Notify,
}

/// `<endpoint>/<account>/<name>`, the QueueUrl format SQS uses.
pub fn queue_url(base: &str, account: &str, name: &str) -> String {
    format!("{}/{account}/{name}", base.trim_end_matches('/'))
}

/// SQS queue names: 1 to 80 letters, digits, hyphens and underscores (`.fifo` is FIFO only).
pub fn check_queue_name(name: &str) -> SqsResult<()> {
    if name.ends_with(".fifo") {
        return Err(SqsError::unsupported("ecs-sim supports standard queues only, not FIFO queues."));
    }
    let ok = !name.is_empty()
        && name.len() <= MAX_QUEUE_NAME
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !ok {
        return Err(SqsError::invalid_parameter(
            "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length",
        ));
    }
    Ok(())
}

/// Parses CreateQueue/SetQueueAttributes `Attributes` onto `base`; returns the names set.
fn apply_attributes(base: &mut Settings, attrs: &[(&str, &str)]) -> SqsResult<Vec<String>> {
    let mut names = vec![];
    for (name, value) in attrs {
        if let Some((key, limits)) = NUMERIC_ATTRIBUTES.iter().find(|(n, _)| n == name) {
            let n: u32 = value.parse().map_err(|_| SqsError::invalid_attribute_value(name))?;
            if !(limits.min..=limits.max).contains(&n) {
                return Err(SqsError::invalid_attribute_value(name));
            }
            base.numeric.insert(key, n);
        } else if OPAQUE_ATTRIBUTES.contains(name) {
            base.opaque.insert(name.to_string(), value.to_string());
        } else if *name == "FifoQueue" && *value == "false" {
            continue;
        } else if *name == "FifoQueue" {
            return Err(SqsError::unsupported("ecs-sim supports standard queues only, not FIFO queues."));
        } else {
            return Err(SqsError::invalid_attribute_name(name));
        }
        names.push(name.to_string());
    }
    Ok(names)
}

/// The value of one queue attribute, if the queue has it.
fn attribute(store: &Store, q: &Queue, counts: Counts, name: &str) -> Option<String> {
    let v = match name {
        "QueueArn" => store.arn(&q.name),
        "ApproximateNumberOfMessages" => counts.visible.to_string(),
        "ApproximateNumberOfMessagesNotVisible" => counts.in_flight.to_string(),
        "ApproximateNumberOfMessagesDelayed" => counts.delayed.to_string(),
        "CreatedTimestamp" => q.created_s.to_string(),
        "LastModifiedTimestamp" => q.modified_s.to_string(),
        _ => match NUMERIC_ATTRIBUTES.iter().find(|(n, _)| *n == name) {
            Some((n, _)) => q.settings.get(n).to_string(),
            None => q.settings.opaque.get(name)?.clone(),
        },
    };
    Some(v)
}

/// A message body SQS accepts: not empty, at most `max` bytes, only the XML characters
/// `#x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF`.
fn check_body(body: &str, max: u32) -> SqsResult<()> {
    if body.len() > max as usize {
        return Err(SqsError::invalid_parameter(format!(
            "One or more parameters are invalid. Reason: Message must be shorter than {max} bytes."
        )));
    }
    let allowed = |c: char| matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..);
    if !body.chars().all(allowed) {
        return Err(SqsError::modeled(
            "InvalidMessageContents",
            "InvalidMessageContents",
            "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to \
             #xFFFD | #x10000 to #x10FFFF",
        ));
    }
    Ok(())
}

/// Batch `Entries`: 1 to 10, each with a distinct valid `Id`.
fn batch_entries<'a>(body: Body<'a>, kind: &str) -> SqsResult<Vec<Body<'a>>> {
    let entries: Vec<Body> = body.list("Entries")?.iter().map(Body).collect();
    if entries.is_empty() {
        return Err(SqsError::modeled(
            "EmptyBatchRequest",
            "AWS.SimpleQueueService.EmptyBatchRequest",
            format!("There should be at least one {kind}RequestEntry in the request."),
        ));
    }
    if entries.len() > MAX_BATCH {
        return Err(SqsError::modeled(
            "TooManyEntriesInBatchRequest",
            "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
            format!("Maximum number of entries per request are {MAX_BATCH}. You have sent {}.", entries.len()),
        ));
    }
    let mut seen = BTreeSet::new();
    for e in &entries {
        let id = e.str("Id")?;
        let valid = id.len() <= 80 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid {
            return Err(SqsError::modeled(
                "InvalidBatchEntryId",
                "AWS.SimpleQueueService.InvalidBatchEntryId",
                "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at \
                 most 80 letters long.",
            ));
        }
        if !seen.insert(id) {
            return Err(SqsError::modeled(
                "BatchEntryIdsNotDistinct",
                "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
                format!("Id {id} repeated."),
            ));
        }
    }
    Ok(entries)
}

/// One failed batch entry.
fn failed(id: &str, err: &SqsError) -> Value {
    json!({"Id": id, "SenderFault": err.status < 500, "Code": err.code, "Message": err.message})
}

fn handle_error(handle: &str, err: HandleError) -> SqsError {
    match err {
        HandleError::Invalid => SqsError::receipt_handle_invalid(handle),
        HandleError::Gone => SqsError::invalid_value(
            "ReceiptHandle",
            handle,
            "Message does not exist or is not available for visibility timeout change.",
        ),
        HandleError::NotInFlight => SqsError::modeled(
            "MessageNotInflight",
            "AWS.SimpleQueueService.MessageNotInflight",
            "The message referred to isn't in flight.",
        ),
    }
}

impl Sqs {
    pub fn new(region: &str, account: &str, seed: u64) -> Self {
        let store = Store {
            region: region.to_string(),
            account: account.to_string(),
            queues: BTreeMap::new(),
            // Its own stream, so SQS traffic never shifts the ids the ECS simulation draws.
            rng: fastrand::Rng::with_seed(seed ^ 0x5153_5153),
        };
        Sqs { store: Mutex::new(store), changed: Notify::new() }
    }

    /// A panic while holding the lock leaves the queues as they were; serve on.
    fn lock(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Creates `name` with default attributes if it does not exist (the events queue).
    pub fn ensure_queue(&self, name: &str) -> SqsResult<()> {
        check_queue_name(name)?;
        let mut st = self.lock();
        let now_s = wall_clock_ms() / 1000;
        st.queues.entry(name.to_string()).or_insert_with(|| Queue::new(name, Settings::default(), now_s));
        Ok(())
    }

    /// Forgets every queue but `keep`, which is emptied (so a consumer polling it by URL goes
    /// on working after a reset).
    pub fn reset(&self, keep: Option<&str>) {
        let mut st = self.lock();
        let now_s = wall_clock_ms() / 1000;
        st.queues.clear();
        if let Some(name) = keep {
            st.queues.insert(name.to_string(), Queue::new(name, Settings::default(), now_s));
        }
        drop(st);
        self.changed.notify_waiters();
    }

    /// EventBridge puts one event into `queue`, visible after `delay`. False when the queue
    /// is gone or the event is larger than its MaximumMessageSize (EventBridge drops it).
    pub fn deliver(&self, queue: &str, body: String, delay: Duration) -> bool {
        let mut st = self.lock();
        let id = st.uuid();
        let Some(q) = st.queues.get_mut(queue) else { return false };
        if check_body(&body, q.settings.get("MaximumMessageSize")).is_err() {
            return false;
        }
        q.send(id, body, EVENTBRIDGE_SENDER, delay, Instant::now(), wall_clock_ms());
        drop(st);
        self.changed.notify_waiters();
        true
    }

    /// Runs one SQS operation; `base` is the endpoint queue URLs are built on.
    pub async fn call(&self, op: &str, body: &Value, base: &str) -> SqsResult<Value> {
        let b = Body(body);
        match op {
            "ReceiveMessage" => self.receive_message(b).await,
            _ => {
                let result = self.call_sync(op, b, base);
                if result.is_ok() && !matches!(op, "GetQueueUrl" | "GetQueueAttributes" | "ListQueues") {
                    self.changed.notify_waiters();
                }
                result
            }
        }
    }

    fn call_sync(&self, op: &str, b: Body, base: &str) -> SqsResult<Value> {
        let mut st = self.lock();
        let st = &mut *st;
        match op {
            "CreateQueue" => create_queue(st, b, base),
            "GetQueueUrl" => {
                let name = b.str("QueueName")?;
                let owner = b.opt_str("QueueOwnerAWSAccountId")?;
                if owner.is_some_and(|o| o != st.account) || !st.queues.contains_key(name) {
                    return Err(SqsError::queue_does_not_exist());
                }
                Ok(json!({"QueueUrl": queue_url(base, &st.account, name)}))
            }
            "DeleteQueue" => {
                let name = st.queue_name(b.str("QueueUrl")?)?;
                st.queues.remove(&name);
                Ok(json!({}))
            }
            "ListQueues" => list_queues(st, b, base),
            "GetQueueAttributes" => get_queue_attributes(st, b),
            "SetQueueAttributes" => {
                let attrs = b.str_map("Attributes")?;
                let q = st.queue(b.str("QueueUrl")?)?;
                let mut settings = q.settings.clone();
                apply_attributes(&mut settings, &attrs)?;
                q.settings = settings;
                q.modified_s = wall_clock_ms() / 1000;
                Ok(json!({}))
            }
            "SendMessage" => {
                let url = b.str("QueueUrl")?;
                st.queue(url)?;
                let (id, md5) = send_one(st, url, b)?;
                Ok(json!({"MessageId": id, "MD5OfMessageBody": md5}))
            }
            "SendMessageBatch" => send_message_batch(st, b),
            "DeleteMessage" => {
                let handle = b.str("ReceiptHandle")?;
                let q = st.queue(b.str("QueueUrl")?)?;
                q.delete(handle, Instant::now()).map_err(|_| SqsError::receipt_handle_invalid(handle))?;
                Ok(json!({}))
            }
            "DeleteMessageBatch" => {
                let url = b.str("QueueUrl")?;
                st.queue(url)?;
                let entries = batch_entries(b, "DeleteMessageBatch")?;
                let (mut ok, mut bad) = (vec![], vec![]);
                for e in entries {
                    let id = e.str("Id")?;
                    let outcome = e.str("ReceiptHandle").and_then(|h| {
                        let q = st.queue(url)?;
                        q.delete(h, Instant::now()).map_err(|_| SqsError::receipt_handle_invalid(h))
                    });
                    match outcome {
                        Ok(()) => ok.push(json!({"Id": id})),
                        Err(err) => bad.push(failed(id, &err)),
                    }
                }
                Ok(json!({"Successful": ok, "Failed": bad}))
            }
            "ChangeMessageVisibility" => {
                let handle = b.str("ReceiptHandle")?;
                let timeout = visibility(b)?;
                let q = st.queue(b.str("QueueUrl")?)?;
                q.change_visibility(handle, timeout, Instant::now()).map_err(|e| handle_error(handle, e))?;
                Ok(json!({}))
            }
            "ChangeMessageVisibilityBatch" => {
                let url = b.str("QueueUrl")?;
                st.queue(url)?;
                let entries = batch_entries(b, "ChangeMessageVisibilityBatch")?;
                let (mut ok, mut bad) = (vec![], vec![]);
                for e in entries {
                    let id = e.str("Id")?;
                    let outcome = e.str("ReceiptHandle").and_then(|h| {
                        let timeout = visibility(e)?;
                        let q = st.queue(url)?;
                        q.change_visibility(h, timeout, Instant::now()).map_err(|err| handle_error(h, err))
                    });
                    match outcome {
                        Ok(()) => ok.push(json!({"Id": id})),
                        Err(err) => bad.push(failed(id, &err)),
                    }
                }
                Ok(json!({"Successful": ok, "Failed": bad}))
            }
            "PurgeQueue" => {
                let q = st.queue(b.str("QueueUrl")?)?;
                if !q.purge(Instant::now()) {
                    return Err(SqsError::modeled(
                        "PurgeQueueInProgress",
                        "AWS.SimpleQueueService.PurgeQueueInProgress",
                        format!("Only one PurgeQueue operation on {} is allowed every 60 seconds.", q.name),
                    ));
                }
                Ok(json!({}))
            }
            _ => Err(SqsError {
                type_name: "com.amazon.coral.service#UnknownOperationException".to_string(),
                code: "UnknownOperationException".to_string(),
                message: format!("Unknown operation {op}"),
                status: 400,
            }),
        }
    }

    /// ReceiveMessage: returns as soon as a message is visible, else after WaitTimeSeconds
    /// (the queue's ReceiveMessageWaitTimeSeconds when not given), all in real time.
    async fn receive_message(&self, b: Body<'_>) -> SqsResult<Value> {
        let url = b.str("QueueUrl")?;
        let max = b.opt_ranged("MaxNumberOfMessages", 1, 10, "Must be between 1 and 10, if provided.")?.unwrap_or(1);
        let wait = b.opt_ranged(
            "WaitTimeSeconds",
            RECEIVE_WAIT.min,
            RECEIVE_WAIT.max,
            "Must be >= 0 and <= 20, if provided.",
        )?;
        let vis_reason = "Must be >= 0 and <= 43200, if provided.";
        let vis = b.opt_ranged("VisibilityTimeout", VISIBILITY_TIMEOUT.min, VISIBILITY_TIMEOUT.max, vis_reason)?;
        // MessageAttributeNames is accepted and answered with nothing: no message here
        // carries message attributes (SendMessage refuses them).
        let mut wanted: BTreeSet<&str> = b.str_list("AttributeNames")?.into_iter().collect();
        wanted.extend(b.str_list("MessageSystemAttributeNames")?);
        let all = wanted.contains("All");
        let attrs: Vec<&str> = MESSAGE_ATTRIBUTES.into_iter().filter(|a| all || wanted.contains(a)).collect();
        let started = Instant::now();
        let mut deadline = None;
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            // Registered before looking, so a send between the look and the wait still wakes us.
            notified.as_mut().enable();
            let now = Instant::now();
            let (got, next, until) = {
                let mut st = self.lock();
                let name = st.queue_name(url)?;
                let Store { queues, rng, .. } = &mut *st;
                let q = queues.get_mut(&name).ok_or_else(SqsError::queue_does_not_exist)?;
                let until = *deadline.get_or_insert_with(|| {
                    let secs = wait.unwrap_or_else(|| q.settings.get("ReceiveMessageWaitTimeSeconds"));
                    started + Duration::from_secs(u64::from(secs))
                });
                let timeout = Duration::from_secs(u64::from(vis.unwrap_or_else(|| q.settings.visibility_timeout())));
                let got = q.receive(max as usize, timeout, now, wall_clock_ms(), || Store::nonce(rng));
                (got, q.next_visible_at(now), until)
            };
            if !got.is_empty() {
                let messages: Vec<Value> = got.iter().map(|m| message_json(m, &attrs)).collect();
                return Ok(json!({"Messages": messages}));
            }
            if now >= until {
                return Ok(json!({}));
            }
            let wake = next.map_or(until, |n| n.min(until));
            tokio::select! {
                _ = &mut notified => {}
                _ = tokio::time::sleep_until(wake.into()) => {}
            }
        }
    }
}

fn visibility(b: Body) -> SqsResult<Duration> {
    let reason = "Must be >= 0 and <= 43200, if provided.";
    let t = b.opt_ranged("VisibilityTimeout", VISIBILITY_TIMEOUT.min, VISIBILITY_TIMEOUT.max, reason)?;
    t.map(|s| Duration::from_secs(u64::from(s))).ok_or_else(|| SqsError::missing("VisibilityTimeout"))
}

fn create_queue(st: &mut Store, b: Body, base: &str) -> SqsResult<Value> {
    let name = b.str("QueueName")?;
    check_queue_name(name)?;
    if b.has("tags") {
        return Err(SqsError::unsupported("ecs-sim does not support queue tags."));
    }
    let attrs = b.str_map("Attributes")?;
    let mut settings = Settings::default();
    let given = apply_attributes(&mut settings, &attrs)?;
    let url = queue_url(base, &st.account, name);
    if let Some(existing) = st.queues.get(name) {
        // The same name with the same attributes is the same queue; a different value is an error.
        for attr in given {
            let (mine, theirs) = match NUMERIC_ATTRIBUTES.iter().find(|(n, _)| *n == attr) {
                Some((n, _)) => (existing.settings.get(n).to_string(), settings.get(n).to_string()),
                None => (
                    existing.settings.opaque.get(&attr).cloned().unwrap_or_default(),
                    settings.opaque.get(&attr).cloned().unwrap_or_default(),
                ),
            };
            if mine != theirs {
                return Err(SqsError::modeled(
                    "QueueNameExists",
                    "QueueAlreadyExists",
                    format!("A queue already exists with the same name and a different value for attribute {attr}"),
                ));
            }
        }
        return Ok(json!({"QueueUrl": url}));
    }
    let now_s = wall_clock_ms() / 1000;
    st.queues.insert(name.to_string(), Queue::new(name, settings, now_s));
    Ok(json!({"QueueUrl": url}))
}

fn list_queues(st: &mut Store, b: Body, base: &str) -> SqsResult<Value> {
    let prefix = b.opt_str("QueueNamePrefix")?.unwrap_or("");
    let max = b.opt_ranged("MaxResults", 1, 1000, "Must be between 1 and 1000, if provided.")?;
    let names: Vec<&String> = st.queues.keys().filter(|n| n.starts_with(prefix)).collect();
    let start = match b.opt_str("NextToken")? {
        None => 0,
        Some(t) => t.parse::<usize>().map_err(|_| SqsError::invalid_parameter("Invalid NextToken value."))?,
    };
    let end = max.map_or(names.len(), |m| (start + m as usize).min(names.len()));
    let page: Vec<String> = names
        .get(start.min(names.len())..end)
        .unwrap_or_default()
        .iter()
        .map(|n| queue_url(base, &st.account, n))
        .collect();
    let mut out = Map::new();
    if !page.is_empty() {
        out.insert("QueueUrls".into(), json!(page));
    }
    if max.is_some() && end < names.len() {
        out.insert("NextToken".into(), json!(end.to_string()));
    }
    Ok(Value::Object(out))
}

fn get_queue_attributes(st: &mut Store, b: Body) -> SqsResult<Value> {
    let names = b.str_list("AttributeNames")?;
    for n in &names {
        let known = *n == "All"
            || COMPUTED_ATTRIBUTES.contains(n)
            || NUMERIC_ATTRIBUTES.iter().any(|(a, _)| a == n)
            || OPAQUE_ATTRIBUTES.contains(n)
            || FIFO_ATTRIBUTES.contains(n);
        if !known {
            return Err(SqsError::invalid_attribute_name(n));
        }
    }
    let name = st.queue_name(b.str("QueueUrl")?)?;
    let all = names.contains(&"All");
    let Some(mut q) = st.queues.get(&name).cloned() else { return Err(SqsError::queue_does_not_exist()) };
    let counts = q.counts(Instant::now());
    let every = COMPUTED_ATTRIBUTES
        .iter()
        .copied()
        .chain(NUMERIC_ATTRIBUTES.iter().map(|(n, _)| *n))
        .chain(OPAQUE_ATTRIBUTES.iter().copied());
    let mut out = Map::new();
    for attr in every.filter(|a| all || names.contains(a)) {
        if let Some(v) = attribute(st, &q, counts, attr) {
            out.insert(attr.to_string(), json!(v));
        }
    }
    Ok(if out.is_empty() { json!({}) } else { json!({"Attributes": out}) })
}

/// SendMessage's checks and the send itself, shared by SendMessageBatch entries.
fn send_one(st: &mut Store, url: &str, e: Body) -> SqsResult<(String, String)> {
    let body = e.opt_str("MessageBody")?.ok_or_else(|| SqsError::missing("MessageBody"))?;
    if body.is_empty() {
        return Err(SqsError::missing("MessageBody"));
    }
    if e.has("MessageAttributes") || e.has("MessageSystemAttributes") {
        return Err(SqsError::unsupported("ecs-sim does not support message attributes."));
    }
    for fifo_only in ["MessageGroupId", "MessageDeduplicationId"] {
        if let Some(v) = e.opt_str(fifo_only)? {
            return Err(SqsError::invalid_value(
                fifo_only,
                v,
                "The request include parameter that is not valid for this queue type",
            ));
        }
    }
    let delay = e.opt_ranged("DelaySeconds", 0, 900, "DelaySeconds must be >= 0 and <= 900.")?;
    let id = st.uuid();
    let q = st.queue(url)?;
    check_body(body, q.settings.get("MaximumMessageSize"))?;
    let delay = Duration::from_secs(u64::from(delay.unwrap_or_else(|| q.settings.get("DelaySeconds"))));
    let md5 = q.send(id.clone(), body.to_string(), API_SENDER, delay, Instant::now(), wall_clock_ms());
    Ok((id, md5))
}

fn send_message_batch(st: &mut Store, b: Body) -> SqsResult<Value> {
    let url = b.str("QueueUrl")?;
    let max = st.queue(url)?.settings.get("MaximumMessageSize") as usize;
    let entries = batch_entries(b, "SendMessageBatch")?;
    let total: usize = entries.iter().filter_map(|e| e.opt_str("MessageBody").ok().flatten()).map(str::len).sum();
    if total > max {
        return Err(SqsError::modeled(
            "BatchRequestTooLong",
            "AWS.SimpleQueueService.BatchRequestTooLong",
            format!("Batch requests cannot be longer than {max} bytes. You have sent {total} bytes."),
        ));
    }
    let (mut ok, mut bad) = (vec![], vec![]);
    for e in entries {
        let id = e.str("Id")?;
        match send_one(st, url, e) {
            Ok((message_id, md5)) => ok.push(json!({"Id": id, "MessageId": message_id, "MD5OfMessageBody": md5})),
            Err(err) => bad.push(failed(id, &err)),
        }
    }
    Ok(json!({"Successful": ok, "Failed": bad}))
}

/// One received message as ReceiveMessage answers it.
fn message_json(m: &Received, attrs: &[&str]) -> Value {
    let mut v = json!({"MessageId": m.id, "ReceiptHandle": m.receipt, "MD5OfBody": m.md5, "Body": m.body});
    if !attrs.is_empty() {
        let mut a = Map::new();
        for name in attrs {
            let value = match *name {
                "SenderId" => m.sender_id.clone(),
                "SentTimestamp" => m.sent_ms.to_string(),
                "ApproximateReceiveCount" => m.receive_count.to_string(),
                _ => m.first_receive_ms.to_string(),
            };
            a.insert(name.to_string(), json!(value));
        }
        v["Attributes"] = Value::Object(a);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "http://127.0.0.1:1";

    fn sqs_with_queue() -> (Sqs, String) {
        let sqs = Sqs::new("us-east-1", "123456789012", 1);
        let url = sqs.call_sync("CreateQueue", Body(&json!({"QueueName": "q"})), BASE).expect("create")["QueueUrl"]
            .as_str()
            .expect("url")
            .to_string();
        (sqs, url)
    }

    fn call(sqs: &Sqs, op: &str, body: Value) -> SqsResult<Value> {
        sqs.call_sync(op, Body(&body), BASE)
    }

    fn send(sqs: &Sqs, url: &str, body: &str) -> Value {
        call(sqs, "SendMessage", json!({"QueueUrl": url, "MessageBody": body})).expect("send")
    }

    async fn receive(sqs: &Sqs, body: Value) -> SqsResult<Value> {
        sqs.call("ReceiveMessage", &body, BASE).await
    }

    fn handles(v: &Value) -> Vec<String> {
        v["Messages"]
            .as_array()
            .map_or(vec![], |m| m.iter().filter_map(|x| x["ReceiptHandle"].as_str().map(str::to_string)).collect())
    }

    #[test]
    fn queue_urls_and_errors() {
        let (sqs, url) = sqs_with_queue();
        assert_eq!(url, "http://127.0.0.1:1/123456789012/q");
        let got = call(&sqs, "GetQueueUrl", json!({"QueueName": "q"})).expect("get");
        assert_eq!(got["QueueUrl"], url);
        // Another host, same path: the same queue.
        call(&sqs, "GetQueueAttributes", json!({"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/q"}))
            .expect("any host");
        let err = call(&sqs, "GetQueueAttributes", json!({"QueueUrl": "http://x/999999999999/q"})).unwrap_err();
        assert_eq!(err.type_name, "com.amazonaws.sqs#QueueDoesNotExist");
        assert_eq!(err.query_error(), "AWS.SimpleQueueService.NonExistentQueue;Sender");
        assert_eq!(
            err.to_json(),
            json!({"__type": "com.amazonaws.sqs#QueueDoesNotExist", "message": "The specified queue does not exist."})
        );
        let err =
            call(&sqs, "CreateQueue", json!({"QueueName": "q", "Attributes": {"VisibilityTimeout": "5"}})).unwrap_err();
        assert_eq!(err.code, "QueueAlreadyExists");
        call(&sqs, "CreateQueue", json!({"QueueName": "q", "Attributes": {"VisibilityTimeout": "30"}}))
            .expect("same attributes");
        let err = call(&sqs, "CreateQueue", json!({"QueueName": "bad name"})).unwrap_err();
        assert_eq!(err.code, "InvalidParameterValue");
        let err = call(&sqs, "CreateQueue", json!({"QueueName": "v", "Attributes": {"VisibilityTimeout": "43201"}}))
            .unwrap_err();
        assert_eq!(err.code, "InvalidAttributeValue");
    }

    #[test]
    fn send_reports_the_md5_of_the_body() {
        let (sqs, url) = sqs_with_queue();
        let sent = send(&sqs, &url, "hello");
        assert_eq!(sent["MD5OfMessageBody"], "5d41402abc4b2a76b9719d911017c592");
        assert_eq!(sent["MessageId"].as_str().map(str::len), Some(36));
        let err = call(&sqs, "SendMessage", json!({"QueueUrl": url, "MessageBody": "a\u{1}b"})).unwrap_err();
        assert_eq!(err.code, "InvalidMessageContents");
        let err = call(&sqs, "SendMessage", json!({"QueueUrl": url})).unwrap_err();
        assert_eq!(err.code, "MissingParameter");
    }

    #[tokio::test]
    async fn max_number_of_messages_and_wait_time_are_validated() {
        let (sqs, url) = sqs_with_queue();
        for n in [0, 11] {
            let err = receive(&sqs, json!({"QueueUrl": url, "MaxNumberOfMessages": n})).await.unwrap_err();
            assert_eq!(err.query_error(), "InvalidParameterValue;Sender");
            assert_eq!(
                err.message,
                format!(
                    "Value {n} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided."
                )
            );
        }
        let err = receive(&sqs, json!({"QueueUrl": url, "WaitTimeSeconds": 21})).await.unwrap_err();
        assert_eq!(err.code, "InvalidParameterValue");
        for i in 0..12 {
            send(&sqs, &url, &format!("m{i}"));
        }
        let got = receive(&sqs, json!({"QueueUrl": url, "MaxNumberOfMessages": 10})).await.expect("receive");
        assert_eq!(handles(&got).len(), 10);
        let got = receive(&sqs, json!({"QueueUrl": url})).await.expect("receive");
        assert_eq!(handles(&got).len(), 1, "default 1");
    }

    #[tokio::test]
    async fn visibility_timeout_redelivers_and_attributes_count_receives() {
        let (sqs, url) = sqs_with_queue();
        send(&sqs, &url, "x");
        let first = receive(&sqs, json!({"QueueUrl": url, "VisibilityTimeout": 1, "AttributeNames": ["All"]}))
            .await
            .expect("receive");
        assert_eq!(first["Messages"][0]["Attributes"]["ApproximateReceiveCount"], "1");
        assert!(first["Messages"][0]["Attributes"]["SentTimestamp"].as_str().is_some_and(|t| t.parse::<u64>().is_ok()));
        let attrs =
            call(&sqs, "GetQueueAttributes", json!({"QueueUrl": url, "AttributeNames": ["All"]})).expect("attrs");
        assert_eq!(attrs["Attributes"]["ApproximateNumberOfMessages"], "0");
        assert_eq!(attrs["Attributes"]["ApproximateNumberOfMessagesNotVisible"], "1");
        assert_eq!(attrs["Attributes"]["QueueArn"], "arn:aws:sqs:us-east-1:123456789012:q");
        assert_eq!(attrs["Attributes"]["VisibilityTimeout"], "30");
        // Hidden now; a long poll wakes when it becomes visible again, about a second later.
        let started = Instant::now();
        let again = receive(
            &sqs,
            json!({"QueueUrl": url, "WaitTimeSeconds": 5, "MessageSystemAttributeNames": ["ApproximateReceiveCount"]}),
        )
        .await
        .expect("receive");
        let waited = started.elapsed();
        assert!(waited >= Duration::from_millis(900) && waited < Duration::from_secs(4), "{waited:?}");
        assert_eq!(again["Messages"][0]["MessageId"], first["Messages"][0]["MessageId"]);
        assert_eq!(again["Messages"][0]["Attributes"], json!({"ApproximateReceiveCount": "2"}));
        assert_ne!(handles(&again), handles(&first));
    }

    #[tokio::test]
    async fn handles_after_delete_and_batch_partial_failure() {
        let (sqs, url) = sqs_with_queue();
        send(&sqs, &url, "a");
        send(&sqs, &url, "b");
        let got = receive(&sqs, json!({"QueueUrl": url, "MaxNumberOfMessages": 10})).await.expect("receive");
        let hs = handles(&got);
        assert_eq!(hs.len(), 2);
        call(&sqs, "DeleteMessage", json!({"QueueUrl": url, "ReceiptHandle": hs[0]})).expect("delete");
        // The handle acts on nothing any more: deleting again is a no-op (as in SQS), changing
        // the visibility of the deleted message fails.
        call(&sqs, "DeleteMessage", json!({"QueueUrl": url, "ReceiptHandle": hs[0]})).expect("no-op");
        let err = call(
            &sqs,
            "ChangeMessageVisibility",
            json!({"QueueUrl": url, "ReceiptHandle": hs[0], "VisibilityTimeout": 0}),
        )
        .unwrap_err();
        assert_eq!(err.code, "InvalidParameterValue");
        let err = call(&sqs, "DeleteMessage", json!({"QueueUrl": url, "ReceiptHandle": "garbage"})).unwrap_err();
        assert_eq!(err.query_error(), "ReceiptHandleIsInvalid;Sender");

        let batch = call(
            &sqs,
            "DeleteMessageBatch",
            json!({"QueueUrl": url, "Entries": [{"Id": "ok", "ReceiptHandle": hs[1]}, {"Id": "bad", "ReceiptHandle": "garbage"}]}),
        )
        .expect("batch");
        assert_eq!(batch["Successful"], json!([{"Id": "ok"}]));
        assert_eq!(batch["Failed"][0]["Id"], "bad");
        assert_eq!(batch["Failed"][0]["Code"], "ReceiptHandleIsInvalid");
        assert_eq!(batch["Failed"][0]["SenderFault"], true);
        let attrs = call(&sqs, "GetQueueAttributes", json!({"QueueUrl": url, "AttributeNames": ["ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessages"]}))
            .expect("attrs");
        assert_eq!(
            attrs["Attributes"],
            json!({"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"})
        );
        let err = call(&sqs, "DeleteMessageBatch", json!({"QueueUrl": url, "Entries": []})).unwrap_err();
        assert_eq!(err.code, "AWS.SimpleQueueService.EmptyBatchRequest");
        let dup =
            json!({"QueueUrl": url, "Entries": [{"Id": "a", "ReceiptHandle": "x"}, {"Id": "a", "ReceiptHandle": "y"}]});
        assert_eq!(
            call(&sqs, "DeleteMessageBatch", dup).unwrap_err().code,
            "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"
        );
    }

    #[tokio::test]
    async fn a_long_poll_wakes_as_soon_as_a_message_arrives() {
        let (sqs, url) = sqs_with_queue();
        let sqs = std::sync::Arc::new(sqs);
        let sender = sqs.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            assert!(sender.deliver("q", "{\"hello\":1}".to_string(), Duration::ZERO));
        });
        let started = Instant::now();
        let got = receive(&sqs, json!({"QueueUrl": url, "WaitTimeSeconds": 20})).await.expect("receive");
        let waited = started.elapsed();
        assert!(waited >= Duration::from_millis(250) && waited < Duration::from_secs(3), "{waited:?}");
        assert_eq!(got["Messages"][0]["Body"], "{\"hello\":1}");

        let started = Instant::now();
        let got = receive(&sqs, json!({"QueueUrl": url, "WaitTimeSeconds": 1})).await.expect("receive");
        assert_eq!(got, json!({}), "nothing arrived: an empty answer after the wait");
        assert!(started.elapsed() >= Duration::from_millis(950), "{:?}", started.elapsed());
    }

    #[tokio::test]
    async fn a_delayed_message_wakes_the_poll_when_due_and_purge_empties() {
        let (sqs, url) = sqs_with_queue();
        call(&sqs, "SendMessage", json!({"QueueUrl": url, "MessageBody": "later", "DelaySeconds": 1})).expect("send");
        let attrs = call(
            &sqs,
            "GetQueueAttributes",
            json!({"QueueUrl": url, "AttributeNames": ["ApproximateNumberOfMessagesDelayed"]}),
        )
        .expect("attrs");
        assert_eq!(attrs["Attributes"]["ApproximateNumberOfMessagesDelayed"], "1");
        let got = receive(&sqs, json!({"QueueUrl": url, "WaitTimeSeconds": 5})).await.expect("receive");
        assert_eq!(got["Messages"][0]["Body"], "later");
        send(&sqs, &url, "x");
        call(&sqs, "PurgeQueue", json!({"QueueUrl": url})).expect("purge");
        let got = receive(&sqs, json!({"QueueUrl": url})).await.expect("receive");
        assert_eq!(got, json!({}));
        let err = call(&sqs, "PurgeQueue", json!({"QueueUrl": url})).unwrap_err();
        assert_eq!(err.code, "AWS.SimpleQueueService.PurgeQueueInProgress");
    }

    #[test]
    fn injected_faults_take_the_sqs_shape() {
        let throttled = SqsError::from_api(&ApiError::throttled());
        assert_eq!(throttled.query_error(), "RequestThrottled;Sender");
        let server = SqsError::from_api(&ApiError::custom("InternalError", 500, "boom"));
        assert_eq!(server.query_error(), "InternalError;Receiver");
    }
}
