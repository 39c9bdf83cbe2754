terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }
}

provider "aws" {
  region = var.region
}

locals {
  prefix = "acme-ml-${var.environment}"
  tags = {
    team        = "ml-platform"
    environment = var.environment
  }
}

resource "aws_s3_bucket" "trail_logs" {
  bucket = "${local.prefix}-cloudtrail"
  tags   = local.tags
}

resource "aws_s3_bucket" "training_data" {
  bucket = "${local.prefix}-training-data"
  tags   = local.tags
}

resource "aws_s3_bucket" "features" {
  for_each = toset(var.feature_buckets)
  bucket   = "${local.prefix}-features-${each.key}"
  tags     = local.tags
}

resource "aws_kms_key" "trail" {
  description         = "CloudTrail log encryption"
  enable_key_rotation = true
}

# The organisation-wide audit trail: multi-region, validated, encrypted, with data events
# for the training data (every object) and the feature stores.
module "audit" {
  source            = "./modules/audit-trail"
  name              = "${local.prefix}-audit"
  log_bucket        = aws_s3_bucket.trail_logs.id
  kms_key_arn       = aws_kms_key.trail.arn
  data_bucket_arns  = concat([aws_s3_bucket.training_data.arn], [for b in aws_s3_bucket.features : b.arn])
  lambda_data_events = true
}

# Deliberate finding: a regional trail someone created for a migration and stopped.
resource "aws_cloudtrail" "migration" {
  name                  = "${local.prefix}-migration"
  s3_bucket_name        = aws_s3_bucket.trail_logs.id
  enable_logging        = false
  is_multi_region_trail = false

  event_selector {
    read_write_type           = "WriteOnly"
    include_management_events = true

    # Deliberate finding (DE005): no trailing slash, CloudTrail rejects this value.
    data_resource {
      type   = "AWS::S3::Object"
      values = [aws_s3_bucket.training_data.arn]
    }
  }
}

resource "aws_iam_role" "sagemaker" {
  name = "${local.prefix}-sagemaker"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "sagemaker.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_sagemaker_model" "churn" {
  name               = "${local.prefix}-churn"
  execution_role_arn = aws_iam_role.sagemaker.arn
  primary_container {
    image          = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/churn:1.4.2"
    model_data_url = "s3://${aws_s3_bucket.training_data.bucket}/models/churn/model.tar.gz"
  }
}

# Deliberate finding (DE004, low): data capture is on, but no trail records the
# endpoint's invocations.
resource "aws_sagemaker_endpoint_configuration" "churn" {
  name = "${local.prefix}-churn"

  production_variants {
    variant_name           = "primary"
    model_name             = aws_sagemaker_model.churn.name
    instance_type          = "ml.m5.xlarge"
    initial_instance_count = var.inference_instance_count
  }

  data_capture_config {
    enable_capture              = true
    initial_sampling_percentage = 20
    destination_s3_uri          = "s3://${aws_s3_bucket.training_data.bucket}/capture/churn"

    capture_options {
      capture_mode = "Input"
    }
  }
}

resource "aws_sagemaker_endpoint" "churn" {
  name                 = "${local.prefix}-churn"
  endpoint_config_name = aws_sagemaker_endpoint_configuration.churn.name
}
