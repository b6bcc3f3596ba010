output "queue_url" {
  description = "The operator's --events-queue-url (EVENTS_QUEUE_URL; Helm value events.queueUrl)."
  value       = aws_sqs_queue.events.url
}

output "queue_arn" {
  description = "Queue ARN, the Resource of the operator's SQS statement."
  value       = aws_sqs_queue.events.arn
}

output "dead_letter_queue_url" {
  description = "Messages the operator received 5 times without deleting them."
  value       = aws_sqs_queue.dlq.url
}

output "rule_arn" {
  description = "The EventBridge rule that feeds the queue."
  value       = aws_cloudwatch_event_rule.ecs.arn
}

output "operator_policy_json" {
  description = "IAM policy granting the operator sqs:ReceiveMessage, sqs:DeleteMessage and sqs:GetQueueAttributes on the queue; attach it to the operator's role (aws_iam_role_policy) or merge it into config/iam/policy.json."
  value       = data.aws_iam_policy_document.operator.json
}
