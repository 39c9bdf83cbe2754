variable "name" {
  type = string
}

variable "log_bucket" {
  type = string
}

variable "kms_key_arn" {
  type = string
}

variable "data_bucket_arns" {
  description = "Buckets whose object-level events are recorded (whole buckets)."
  type        = list(string)
  default     = []
}

variable "lambda_data_events" {
  type    = bool
  default = false
}

resource "aws_cloudwatch_log_group" "trail" {
  name              = "/aws/cloudtrail/${var.name}"
  retention_in_days = 365
}

resource "aws_cloudtrail" "this" {
  name                       = var.name
  s3_bucket_name             = var.log_bucket
  is_multi_region_trail      = true
  enable_log_file_validation = true
  kms_key_id                 = var.kms_key_arn
  cloud_watch_logs_group_arn = "${aws_cloudwatch_log_group.trail.arn}:*"
  cloud_watch_logs_role_arn  = aws_iam_role.trail_to_logs.arn

  # The name is free text; only the conditions decide what is recorded.
  advanced_event_selector {
    name = "All management events"
    field_selector {
      field  = "eventCategory"
      equals = ["Management"]
    }
  }

  advanced_event_selector {
    name = "Object-level events of the data buckets"
    field_selector {
      field  = "eventCategory"
      equals = ["Data"]
    }
    field_selector {
      field  = "resources.type"
      equals = ["AWS::S3::Object"]
    }
    field_selector {
      field       = "resources.ARN"
      starts_with = [for arn in var.data_bucket_arns : "${arn}/"]
    }
  }

  dynamic "advanced_event_selector" {
    for_each = var.lambda_data_events ? ["lambda"] : []
    content {
      name = "Lambda invocations"
      field_selector {
        field  = "eventCategory"
        equals = ["Data"]
      }
      field_selector {
        field  = "resources.type"
        equals = ["AWS::Lambda::Function"]
      }
    }
  }

  insight_selector {
    insight_type = "ApiCallRateInsight"
  }
  insight_selector {
    insight_type = "ApiErrorRateInsight"
  }
}

resource "aws_iam_role" "trail_to_logs" {
  name = "${var.name}-to-logs"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "cloudtrail.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

output "trail_arn" {
  value = aws_cloudtrail.this.arn
}
