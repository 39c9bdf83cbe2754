variable "environment" {
  description = "Deployment stage, part of every name."
  type        = string
  default     = "prod"
}

variable "region" {
  type    = string
  default = "eu-west-1"
}

variable "feature_buckets" {
  description = "Feature-store buckets, one per domain."
  type        = list(string)
  default     = ["payments", "fraud"]
}

variable "inference_instance_count" {
  type    = number
  default = 1
}

variable "artifact_bucket" {
  description = "Bucket holding the Lambda deployment packages."
  type        = string
  default     = "acme-ml-build-artifacts"
}
