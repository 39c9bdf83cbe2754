# Monitoring of the inference side: the churn endpoint's server errors page the on-call, and
# log groups are declared with their retention instead of left to the services.

resource "aws_sns_topic" "oncall" {
  name = "${local.prefix}-oncall"
}

resource "aws_cloudwatch_metric_alarm" "churn_errors" {
  alarm_name          = "${local.prefix}-churn-5xx"
  namespace           = "AWS/SageMaker"
  metric_name         = "Invocation5XXErrors"
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  dimensions = {
    EndpointName = aws_sagemaker_endpoint.churn.name
    VariantName  = "primary"
  }
  alarm_actions = [aws_sns_topic.oncall.arn]
}

# Deliberate finding (MON002, low): the churn variant has a fixed instance count; no
# aws_appautoscaling_target scales it.

resource "aws_cloudwatch_log_group" "churn_endpoint" {
  name              = "/aws/sagemaker/Endpoints/${local.prefix}-churn"
  retention_in_days = 365
}

# Deliberate finding (MON003): the ingestion function's logs are kept 30 days, less than a year.
resource "aws_cloudwatch_log_group" "batch_ingest" {
  name              = "/aws/lambda/${aws_lambda_function.batch_ingest.function_name}"
  retention_in_days = 30
}
