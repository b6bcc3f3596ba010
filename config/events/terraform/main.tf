# The ecs-operator events source: an EventBridge rule on the default bus sends ECS events to an
# SQS queue that the operator long-polls (--events-queue-url / EVENTS_QUEUE_URL). Each event only
# makes the operator describe the resource it names again, so late, repeated or lost events are
# harmless; polling continues as a slow safety net. The same resources as
# ../cloudformation.yaml. Use one instance of this module per region the operator manages:
# EventBridge rules see only their own region's events.

resource "aws_sqs_queue" "dlq" {
  name                    = "${var.queue_name}-dlq"
  sqs_managed_sse_enabled = true
  # Kept longer than the main queue, to look at what the operator could not handle.
  message_retention_seconds = 1209600
  tags                      = var.tags
}

# Only the events queue may move messages to the dead-letter queue.
resource "aws_sqs_queue_redrive_allow_policy" "dlq" {
  queue_url = aws_sqs_queue.dlq.id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.events.arn]
  })
}

resource "aws_sqs_queue" "events" {
  name = var.queue_name
  # Server-side encryption with SQS-managed keys: EventBridge needs no KMS permissions.
  sqs_managed_sse_enabled   = true
  message_retention_seconds = var.message_retention_seconds
  # A received message stays invisible this long; the operator deletes it once handled.
  visibility_timeout_seconds = 60
  # Long polling by default, even for receivers that do not ask for it.
  receive_wait_time_seconds = 20
  # A message received 5 times without being deleted moves to the dead-letter queue.
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = 5
  })
  tags = var.tags
}

resource "aws_cloudwatch_event_rule" "ecs" {
  name           = var.rule_name
  description    = "ECS events and ECS API calls for ecs-operator"
  event_bus_name = "default"
  # ENABLED matches AWS service events and CloudTrail write (mutating) management events;
  # read-only calls (Describe*, List*) would need ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS,
  # which the operator does not want.
  state = "ENABLED"
  event_pattern = jsonencode({
    source = ["aws.ecs"]
    "$or" = [
      # Sent by ECS itself, no CloudTrail involved.
      {
        "detail-type" = [
          "ECS Service Action",
          "ECS Deployment State Change",
          "ECS Task State Change",
        ]
      },
      # ECS API calls (CreateService, UpdateService, RegisterTaskDefinition, ...), also those
      # made outside the operator, for faster drift detection. Only write (mutating) calls reach
      # a rule in state ENABLED. AWS's EventBridge user guide ("AWS service events delivered via
      # AWS CloudTrail") says events with a CloudTrail detail-type need a CloudTrail trail with
      # logging enabled: without one in this region (or a multi-region or organization trail),
      # expect only the three detail-types above. The operator does not depend on these: ECS's
      # own events and polling keep it correct.
      {
        "detail-type" = ["AWS API Call via CloudTrail"]
        detail = {
          eventSource = ["ecs.amazonaws.com"]
        }
      },
    ]
  })
  tags = var.tags
}

resource "aws_cloudwatch_event_target" "queue" {
  rule           = aws_cloudwatch_event_rule.ecs.name
  event_bus_name = aws_cloudwatch_event_rule.ecs.event_bus_name
  target_id      = "ecs-operator-events"
  arn            = aws_sqs_queue.events.arn
}

# EventBridge may send to the queue, for this rule only.
data "aws_iam_policy_document" "queue" {
  statement {
    sid       = "EventBridgeSendsEcsEvents"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.events.arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.ecs.arn]
    }
  }
}

resource "aws_sqs_queue_policy" "events" {
  queue_url = aws_sqs_queue.events.id
  policy    = data.aws_iam_policy_document.queue.json
}

# What the operator's role needs on the queue (config/iam/policy.json has the same statement,
# scoped by the default queue name). DeleteMessageBatch is authorised by sqs:DeleteMessage.
data "aws_iam_policy_document" "operator" {
  statement {
    sid    = "ReadEcsEventsQueue"
    effect = "Allow"
    actions = [
      "sqs:ReceiveMessage",
      "sqs:DeleteMessage",
      "sqs:GetQueueAttributes",
    ]
    resources = [aws_sqs_queue.events.arn]
  }
}
