//! The events queue: the narrow [`EventQueue`] trait the events source reads through, and its
//! aws-sdk-sqs implementation.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, QueueAttributeName};
use futures::future::BoxFuture;

use super::error::AwsError;

pub type SqsResult<T> = Result<T, AwsError>;

/// One message as received: its receipt handle (to delete it) and body.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub receipt: String,
    pub body: String,
}

/// Long-polling seconds per receive: SQS's maximum, so an idle queue costs three calls a minute.
pub const WAIT_SECONDS: i32 = 20;
/// Messages per receive and per batch delete: SQS's maximum.
pub const BATCH: usize = 10;

pub trait EventQueue: Send + Sync {
    /// The queue's ARN: the start-up check that the queue exists and may be read.
    fn check(&self) -> BoxFuture<'_, SqsResult<String>>;
    /// Up to [`BATCH`] messages, waiting up to [`WAIT_SECONDS`] for the first.
    fn receive(&self) -> BoxFuture<'_, SqsResult<Vec<Message>>>;
    /// Deletes handled messages; how many SQS did not delete (they come back, and are handled
    /// again: harmless, events only trigger reads).
    fn delete(&self, receipts: Vec<String>) -> BoxFuture<'_, SqsResult<usize>>;
}

/// The queue through aws-sdk-sqs.
pub struct SdkQueue {
    client: aws_sdk_sqs::Client,
    url: String,
}

impl SdkQueue {
    /// A client for the queue at `url`, from the operator's SDK configuration. Its read timeout
    /// outlasts the long poll.
    pub fn shared(config: &aws_config::SdkConfig, url: &str) -> Arc<dyn EventQueue> {
        let timeouts = aws_config::timeout::TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(5))
            .read_timeout(Duration::from_secs(u64::from(WAIT_SECONDS.unsigned_abs()) + 10))
            .operation_timeout(Duration::from_secs(60))
            .build();
        let sqs = aws_sdk_sqs::config::Builder::from(config).timeout_config(timeouts).build();
        Arc::new(Self { client: aws_sdk_sqs::Client::from_conf(sqs), url: url.to_owned() })
    }
}

impl EventQueue for SdkQueue {
    fn check(&self) -> BoxFuture<'_, SqsResult<String>> {
        Box::pin(async move {
            let out = self
                .client
                .get_queue_attributes()
                .queue_url(&self.url)
                .attribute_names(QueueAttributeName::QueueArn)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("GetQueueAttributes", e))?;
            let arn = out.attributes.and_then(|mut a| a.remove(&QueueAttributeName::QueueArn));
            arn.ok_or_else(|| AwsError::malformed("GetQueueAttributes", "no QueueArn in the answer"))
        })
    }

    fn receive(&self) -> BoxFuture<'_, SqsResult<Vec<Message>>> {
        Box::pin(async move {
            let out = self
                .client
                .receive_message()
                .queue_url(&self.url)
                .max_number_of_messages(i32::try_from(BATCH).unwrap_or(10))
                .wait_time_seconds(WAIT_SECONDS)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("ReceiveMessage", e))?;
            Ok(out
                .messages
                .unwrap_or_default()
                .into_iter()
                .filter_map(|m| Some(Message { receipt: m.receipt_handle?, body: m.body.unwrap_or_default() }))
                .collect())
        })
    }

    fn delete(&self, receipts: Vec<String>) -> BoxFuture<'_, SqsResult<usize>> {
        Box::pin(async move {
            let mut failed = 0;
            for chunk in receipts.chunks(BATCH) {
                let entries: Vec<DeleteMessageBatchRequestEntry> = chunk
                    .iter()
                    .enumerate()
                    .filter_map(|(i, r)| {
                        DeleteMessageBatchRequestEntry::builder().id(i.to_string()).receipt_handle(r).build().ok()
                    })
                    .collect();
                let out = self
                    .client
                    .delete_message_batch()
                    .queue_url(&self.url)
                    .set_entries(Some(entries))
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("DeleteMessageBatch", e))?;
                failed += out.failed.len();
            }
            Ok(failed)
        })
    }
}
