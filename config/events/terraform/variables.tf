variable "queue_name" {
  description = "Name of the queue the operator reads; the dead-letter queue is <queue_name>-dlq. If you change it, change the queue name in config/iam/policy.json (statement ReadEcsEventsQueue) too, or attach operator_policy_json instead."
  type        = string
  default     = "ecs-operator-events"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,76}$", var.queue_name))
    error_message = "queue_name: letters, digits, - and _, at most 76 characters (the dead-letter queue adds -dlq)."
  }
}

variable "rule_name" {
  description = "Name of the EventBridge rule on the default event bus."
  type        = string
  default     = "ecs-operator-events"
}

variable "message_retention_seconds" {
  description = "How long an unread event is kept. Events are only hints to re-read ECS, and the operator resyncs everything when it starts, so a day is plenty."
  type        = number
  default     = 86400

  validation {
    condition     = var.message_retention_seconds >= 60 && var.message_retention_seconds <= 1209600
    error_message = "message_retention_seconds must be between 60 and 1209600 (14 days)."
  }
}

variable "tags" {
  description = "Tags for the queues and the rule."
  type        = map(string)
  default     = {}
}
