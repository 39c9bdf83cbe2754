# EventBridge plumbing: SageMaker training-job state changes refresh the features and are
# queued for the training bookkeeping; a nightly schedule runs the batch ingestion.

resource "aws_iam_role" "lambda" {
  name = "${local.prefix}-lambda"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_lambda_function" "refresh_features" {
  function_name = "${local.prefix}-refresh-features"
  role          = aws_iam_role.lambda.arn
  runtime       = "python3.12"
  handler       = "app.handler"
  s3_bucket     = var.artifact_bucket
  s3_key        = "lambda/refresh-features.zip"
  memory_size   = 1024
  timeout       = 300
  tags          = local.tags
}

resource "aws_lambda_function" "batch_ingest" {
  function_name = "${local.prefix}-batch-ingest"
  role          = aws_iam_role.lambda.arn
  runtime       = "python3.12"
  handler       = "app.handler"
  s3_bucket     = var.artifact_bucket
  s3_key        = "lambda/batch-ingest.zip"
  memory_size   = 2048
  timeout       = 900
  tags          = local.tags
}

resource "aws_cloudwatch_event_rule" "training_state" {
  name        = "${local.prefix}-training-state"
  description = "SageMaker training jobs that finished, failed or were stopped."
  event_pattern = jsonencode({
    source        = ["aws.sagemaker"]
    "detail-type" = ["SageMaker Training Job State Change"]
    detail = {
      TrainingJobStatus = ["Completed", "Failed", "Stopped"]
    }
  })
  tags = local.tags
}

resource "aws_cloudwatch_event_target" "refresh_features" {
  rule      = aws_cloudwatch_event_rule.training_state.name
  target_id = "refresh-features"
  arn       = aws_lambda_function.refresh_features.arn

  retry_policy {
    maximum_retry_attempts       = 8
    maximum_event_age_in_seconds = 3600
  }

  dead_letter_config {
    arn = aws_sqs_queue.events_dlq.arn
  }
}

resource "aws_lambda_permission" "refresh_features" {
  statement_id  = "AllowTrainingStateRule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.refresh_features.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.training_state.arn
}

resource "aws_cloudwatch_event_target" "training_jobs" {
  rule      = aws_cloudwatch_event_rule.training_state.name
  target_id = "training-jobs"
  arn       = aws_sqs_queue.training_jobs.arn

  dead_letter_config {
    arn = aws_sqs_queue.events_dlq.arn
  }
}

resource "aws_cloudwatch_event_rule" "nightly_ingest" {
  name                = "${local.prefix}-nightly-ingest"
  description         = "Nightly batch ingestion of the feature sources."
  schedule_expression = "cron(0 2 * * ? *)"
  tags                = local.tags
}

# Deliberate finding (EB010): no dead-letter queue.
resource "aws_cloudwatch_event_target" "batch_ingest" {
  rule      = aws_cloudwatch_event_rule.nightly_ingest.name
  target_id = "batch-ingest"
  arn       = aws_lambda_function.batch_ingest.arn
}

# Deliberate finding (EB008): no source_arn, so a rule in any account may invoke it.
resource "aws_lambda_permission" "batch_ingest" {
  statement_id  = "AllowEventBridge"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.batch_ingest.function_name
  principal     = "events.amazonaws.com"
}

# The training bookkeeping queue (SSE-SQS), writable by the training-state rule only.
resource "aws_sqs_queue" "training_jobs" {
  name                       = "${local.prefix}-training-jobs"
  sqs_managed_sse_enabled    = true
  visibility_timeout_seconds = 300
  tags                       = local.tags
}

data "aws_iam_policy_document" "training_jobs" {
  statement {
    sid       = "TrainingStateEvents"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.training_jobs.arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.training_state.arn]
    }
  }
}

resource "aws_sqs_queue_policy" "training_jobs" {
  queue_url = aws_sqs_queue.training_jobs.id
  policy    = data.aws_iam_policy_document.training_jobs.json
}

# Events EventBridge could not deliver, kept for two weeks.
resource "aws_sqs_queue" "events_dlq" {
  name                      = "${local.prefix}-events-dlq"
  sqs_managed_sse_enabled   = true
  message_retention_seconds = 1209600
  tags                      = local.tags
}

data "aws_iam_policy_document" "events_dlq" {
  statement {
    sid       = "EventBridgeDeadLetters"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.events_dlq.arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.training_state.arn]
    }
  }
}

resource "aws_sqs_queue_policy" "events_dlq" {
  queue_url = aws_sqs_queue.events_dlq.id
  policy    = data.aws_iam_policy_document.events_dlq.json
}
