# Container images. The registry scans the serving repositories (ml-*) on push, whatever
# their own (deprecated) flag says; the notebook base image repository matches no rule and
# keeps mutable tags (IMG002 and IMG004 fail). The nightly backfill runs notebook-base:latest
# (IMG003 fail); the feature API is pinned by digest.

resource "aws_ecr_registry_scanning_configuration" "scanning" {
  scan_type = "BASIC"

  rule {
    scan_frequency = "SCAN_ON_PUSH"
    repository_filter {
      filter      = "ml-*"
      filter_type = "WILDCARD"
    }
  }
}

resource "aws_ecr_repository" "serving" {
  name                 = "ml-serving"
  image_tag_mutability = "IMMUTABLE"
  tags                 = local.tags
}

resource "aws_ecr_repository" "notebook_base" {
  name = "notebook-base"
  tags = local.tags
}

resource "aws_ecs_task_definition" "feature_backfill" {
  family = "${local.prefix}-feature-backfill"
  container_definitions = jsonencode([
    {
      name      = "backfill"
      image     = "${aws_ecr_repository.notebook_base.repository_url}:latest"
      memory    = 2048
      essential = true
    },
  ])
}

resource "aws_ecs_task_definition" "feature_api" {
  family                = "${local.prefix}-feature-api"
  container_definitions = <<-JSON
    [
      {
        "name": "api",
        "image": "${aws_ecr_repository.serving.repository_url}@sha256:4b1f7c0e9d2a6b3c8e5f1a0d7c4b9e2f6a3d8c1b5e0f7a2d9c6b3e8f1a4d7c0e",
        "memory": 1024,
        "essential": true
      }
    ]
  JSON
}
