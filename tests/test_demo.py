"""`opscheck demo`: the emulated platform, scanned like a live account, with its reports."""

import io
import json

from scanner.cli import main


def test_demo_writes_reports_and_shows_the_deliberate_findings(tmp_path):
    out = io.StringIO()
    assert main(["demo", "--output-dir", str(tmp_path / "demo")], out=out) == 0
    doc = json.loads((tmp_path / "demo" / "opscheck.json").read_text())
    assert doc["scan"]["mode"] == "aws" and doc["scan"]["errors"] == []
    verdicts = {(r["rule_id"], r["resource"]["name"]): (r["status"], r["severity"]) for r in doc["results"]}
    # The multi-region trail with an arbitrarily named advanced management selector covers the account.
    assert verdicts[("CT001", "123456789012")] == ("pass", "high")
    assert verdicts[("CT004", "platform-audit")] == ("pass", "medium")
    # The stopped single-region trail.
    assert verdicts[("CT003", "legacy-eu-audit")] == ("fail", "high")
    assert verdicts[("CT002", "legacy-eu-audit")] == ("fail", "medium")
    # Buckets with and without data events, one covered only under a prefix.
    assert verdicts[("DE001", "acme-ml-training-data")][0] == "pass"
    assert verdicts[("DE001", "acme-ml-model-artifacts")][0] == "fail"
    assert verdicts[("DE001", "acme-ml-feature-store")][0] == "fail"
    # Lambda exact-ARN coverage.
    assert verdicts[("DE003", "score-features")][0] == "pass"
    assert verdicts[("DE003", "batch-ingest")][0] == "fail"
    # Endpoints: covered; data capture without audit (low); neither (medium).
    assert verdicts[("DE004", "churn-predictor")][0] == "pass"
    assert verdicts[("DE004", "fraud-scorer")] == ("fail", "low")
    assert verdicts[("DE004", "recsys-ranker")] == ("fail", "medium")
    assert verdicts[("CT008", "123456789012")][0] == "fail"
    # EventBridge: the default bus lets every account put events, the platform bus one partner.
    assert verdicts[("EB009", "default")] == ("fail", "high")
    assert verdicts[("EB009", "ml-events")] == ("pass", "high")
    # Function policies: scoped to the rule's ARN (on the custom bus), and with no source at all.
    assert verdicts[("EB008", "score-features")] == ("pass", "medium")
    assert verdicts[("EB008", "batch-ingest")] == ("fail", "medium")
    # Dead-letter queues, one result per (rule, target): only the nightly schedule has none.
    dlq = {
        (r["resource"]["name"], r["evidence"]["target"]["Id"]): r["status"]
        for r in doc["results"]
        if r["rule_id"] == "EB010"
    }
    assert len(dlq) == 12
    assert {k for k, status in dlq.items() if status == "fail"} == {("nightly-batch-ingest", "batch-ingest")}
    assert dlq[("feature-drift-detected", "score-features")] == "pass"
    per_target = {
        (r["rule_id"], r["evidence"]["target"]["Id"]): r["status"]
        for r in doc["results"]
        if r["rule_id"] in ("EB001", "EB002", "EB003", "EB004", "EB005", "EB006", "EB007", "EB011")
    }
    assert per_target[("EB006", "retrain-pipeline")] == "fail"  # the role trusts Scheduler
    assert per_target[("EB007", "feature-stream")] == "fail"  # the role may only read the stream
    assert per_target[("EB007", "endpoint-events-archive")] == "pass"
    assert per_target[("EB002", "model-alerts")] == "fail"  # its customer key omits EventBridge
    assert per_target[("EB003", "batch-scoring-queue")] == "fail"  # no queue policy
    assert per_target[("EB003", "training-jobs-queue")] == "pass"
    assert per_target[("EB011", "score-features-prod")] == "fail"  # a FIFO dead-letter queue
    assert per_target[("EB011", "training-jobs-queue")] == "pass"
    assert per_target[("EB001", "score-features-prod")] == "fail"  # the alias has no permission
    assert per_target[("EB004", "training-run-logs")] == "fail"  # a RoleArn on a Logs target
    assert per_target[("EB004", "audit-log")] == "pass"  # TrustEventsToStoreLogEvent covers it
    assert per_target[("EB005", "inference-audit-stream")] == "fail"  # Kinesis without a role

    # Resilience: each kind once spread over zones and once not.
    az = {
        (r["rule_id"], r["resource"]["name"]): (r["status"], r["severity"])
        for r in doc["results"]
        if r["rule_id"].startswith("AZ")
    }
    assert az == {
        ("AZ001", "feature-store-db"): ("pass", "medium"),
        ("AZ001", "experiments-db"): ("fail", "medium"),
        ("AZ001", "feature-store-reporting"): ("fail", "low"),  # a single-AZ read replica
        ("AZ002", "model-registry"): ("fail", "medium"),  # a writer only
        ("AZ003", "inference-workers"): ("pass", "medium"),
        ("AZ003", "gpu-training"): ("fail", "medium"),
        ("AZ004", "inference-api"): ("pass", "medium"),
        ("AZ004", "feature-grpc"): ("fail", "medium"),
        ("AZ005", "churn-predictor"): ("pass", "medium"),
        ("AZ005", "recsys-ranker"): ("pass", "medium"),  # one instance, autoscaled from two
        ("AZ005", "fraud-scorer"): ("fail", "medium"),
        ("AZ006", "online-features"): ("pass", "medium"),
        ("AZ006", "session-cache"): ("fail", "medium"),
        ("AZ007", "shared-notebooks"): ("pass", "low"),
        ("AZ007", "scratch"): ("fail", "low"),
        ("AZ008", "ml-private-a"): ("pass", "low"),
        ("AZ008", "ml-private-b"): ("fail", "low"),  # its NAT gateway is in zone a
    }

    # Rightsizing, from two weeks of seeded metrics.
    rs = {(r["rule_id"], r["resource"]["name"]): r for r in doc["results"] if r["rule_id"].startswith("RS")}
    assert rs[("RS001", "feature-api")]["status"] == "fail"  # idle: m5.2xlarge -> m5.xlarge
    assert rs[("RS001", "feature-api")]["evidence"]["recommendation"]["InstanceType"] == "m5.xlarge"
    assert rs[("RS001", "weekly-report")]["status"] == "pass"  # one busy hour a week is work
    assert rs[("RS001", "trainer-cpu")]["status"] == "pass"
    assert rs[("RS003", "feature-store-db")]["status"] == "fail"
    assert rs[("RS003", "experiments-db")]["status"] == "pass"
    assert rs[("RS004", "feature-index")]["status"] == "fail"  # io1 10,000 IOPS, peak 600
    assert rs[("RS005", "notebook-scratch")]["status"] == "fail"  # gp2
    assert rs[("RS005", "model-cache")]["status"] == "pass"
    assert rs[("RS006", "notebook-scratch")]["status"] == "fail"  # unattached
    assert rs[("RS008", "legacy-etl")]["status"] == "fail"  # m3
    assert rs[("RS008", "feature-api")]["status"] == "pass"
    assert rs[("RS009", "gpu-notebook")]["status"] == "fail"  # g5 not allowed
    assert rs[("RS002", "churn-predictor")]["status"] == "fail"  # 40% over 4 vCPUs: 10% each
    assert rs[("RS002", "churn-predictor")]["evidence"]["recommendation"]["InstanceType"] == "ml.m5.large"
    # ... and four instances held by an autoscaling minimum of four where two take its busiest
    # minute at the 700 a minute its target-tracking policy aims at.
    churn = rs[("RS002", "churn-predictor")]
    assert churn["evidence"]["count_recommendation"] == {
        "InstanceCount": 2,
        "projected_invocations_per_instance": 600.0,
    }
    assert "lower its scalable target's MinCapacity from 4 to 2" in churn["message"]
    assert rs[("RS002", "fraud-scorer")]["status"] == "pass"
    assert rs[("RS002", "recsys-ranker")]["status"] == "unknown"  # no datapoints
    assert rs[("RS007", "inference-api")]["status"] == "pass"  # a healthy target, 48,000 requests a day
    assert rs[("RS007", "feature-grpc")]["status"] == "fail"  # no targets at all
    # Monitoring: alarms on two endpoints (one through metric math), none on churn-predictor;
    # autoscaling on recsys-ranker and churn-predictor (held at four, RS002), not on fraud-scorer;
    # log groups forever, too short, long enough. Each log
    # group once, also those an EventBridge target names (listed, and read for their policy).
    mon = [
        (r["rule_id"], r["resource"]["name"], r["status"])
        for r in doc["results"]
        if r["rule_id"].startswith("MON")
    ]
    assert sorted(mon) == [
        ("MON001", "churn-predictor", "fail"),
        ("MON001", "fraud-scorer", "pass"),
        ("MON001", "recsys-ranker", "pass"),  # metric math: errors / invocations
        ("MON002", "churn-predictor", "pass"),
        ("MON002", "fraud-scorer", "fail"),
        ("MON002", "recsys-ranker", "pass"),
        ("MON003", "/aws/cloudtrail/platform-audit", "fail"),  # never expires
        ("MON003", "/aws/events/ml-audit", "pass"),
        ("MON003", "/aws/events/ml-training-runs", "pass"),
        ("MON003", "/aws/lambda/batch-ingest", "fail"),  # 30 days
        ("MON003", "/aws/lambda/score-features", "pass"),
        ("MON003", "/aws/sagemaker/Endpoints/fraud-scorer", "fail"),
    ]
    # Images: a mutable, unscanned repository next to an immutable one the registry's scan-on-push
    # rule covers (its own flag off); a task definition by :latest next to one by digest; the
    # models by version tag; approved AMI owners as the demo's configuration sets them.
    img = {
        (r["rule_id"], r["resource"]["name"], r["evidence"].get("container")): r["status"]
        for r in doc["results"]
        if r["rule_id"].startswith("IMG")
    }
    assert img[("IMG002", "ml-serving", None)] == "pass"
    assert img[("IMG002", "notebook-base", None)] == "fail"
    assert img[("IMG004", "ml-serving", None)] == "pass"
    assert img[("IMG004", "notebook-base", None)] == "fail"
    assert img[("IMG003", "feature-backfill", "backfill")] == "fail"
    assert img[("IMG003", "feature-api", "api")] == "pass"
    assert img[("IMG003", "feature-api", "log-router")] == "pass"
    assert img[("IMG003", "churn-predictor-model", "PrimaryContainer")] == "pass"
    assert img[("IMG001", "notebook-workers", None)] == "fail"  # an AMI the account made itself
    assert img[("IMG001", "ml-worker", None)] == "pass"
    assert img[("IMG001", "feature-api", None)] == "pass"
    calls = doc["scan"]["stats"]["api_calls_by_operation"]
    regions = len(doc["scan"]["targets"][0]["regions"])
    # Scaling policies: one read in the one region with SageMaker scalable targets.
    assert calls["application-autoscaling:DescribeScalingPolicies"] == 1
    # Target groups: one listing in the one region with ELBv2 load balancers (two of them);
    # one health read for the one group a load balancer uses.
    assert calls["elbv2:DescribeTargetGroups"] == 1
    assert calls["elbv2:DescribeTargetHealth"] == 1
    assert calls["cloudwatch:DescribeAlarms"] == calls["logs:DescribeLogGroups"] == regions
    # Images pack: one read or list per region each; one batch for the two repositories, one
    # DescribeImages for the AMIs in use, one read per task definition family and per model.
    for op in (
        "ec2:GetAllowedImagesSettings",
        "ec2:DescribeLaunchTemplateVersions",
        "ecr:GetRegistryScanningConfiguration",
        "ecr:DescribeRepositories",
        "ecs:ListTaskDefinitionFamilies",
        "sagemaker:ListModels",
    ):
        assert calls[op] == regions, op
    assert calls["ecr:BatchGetRepositoryScanningConfiguration"] == calls["ec2:DescribeImages"] == 1
    assert calls["ecs:DescribeTaskDefinition"] == 2 and calls["sagemaker:DescribeModel"] == 3
    assert calls["cloudtrail:DescribeTrails"] == regions
    assert calls["cloudtrail:GetTrailStatus"] == 2
    # Every bus described and listed once (a default bus per region, ml-events), every rule's
    # targets listed once, every function policy a target names read once.
    assert calls["events:DescribeEventBus"] == calls["events:ListRules"] == regions + 1
    assert calls["events:ListTargetsByRule"] == 8
    assert calls["lambda:GetPolicy"] == 3
    # One account-level read in us-east-1, one per log group a target names (two).
    assert calls["logs:DescribeResourcePolicies"] == 3
    assert "emulated ML platform account" in out.getvalue()
    for sub in ("", "iac/"):  # every file format, for the account and for the examples
        for fmt in ("json", "sarif", "html"):
            assert (tmp_path / "demo" / f"{sub}opscheck.{fmt}").stat().st_size > 1000
    sarif = json.loads((tmp_path / "demo" / "opscheck.sarif").read_text())
    assert sarif["runs"][0]["automationDetails"]["id"] == "opscheck/aws-123456789012/"
    iac = json.loads((tmp_path / "demo" / "iac" / "opscheck.json").read_text())
    assert iac["scan"]["mode"] == "iac" and iac["scan"]["errors"] == []
    iac_verdicts = {
        (r["rule_id"], r["location"]["path"], r["resource"]["id"]): r["status"] for r in iac["results"]
    }
    tf = "examples/terraform/ml-platform/main.tf"
    assert iac_verdicts[("CT003", tf, "aws_cloudtrail.migration")] == "fail"
    assert iac_verdicts[("DE005", tf, "aws_cloudtrail.migration")] == "fail"
    assert (
        iac_verdicts[
            (
                "CT002",
                "examples/terraform/ml-platform/modules/audit-trail/main.tf",
                "module.audit.aws_cloudtrail.this",
            )
        ]
        == "pass"
    )
    cfn = "examples/cloudformation/ml-platform.yaml"
    assert iac_verdicts[("DE004", cfn, "ChurnEndpointConfig")] == "fail"
    # Images in Terraform: the registry rule covers ml-serving; notebook-base is mutable and
    # unscanned, and the backfill runs its :latest (jsonencode); the API is pinned by digest (a
    # heredoc). In CloudFormation: a repository scanned by its own setting, immutable.
    images = "examples/terraform/ml-platform/images.tf"
    assert iac_verdicts[("IMG002", images, "aws_ecr_repository.serving")] == "pass"
    assert iac_verdicts[("IMG002", images, "aws_ecr_repository.notebook_base")] == "fail"
    assert iac_verdicts[("IMG004", images, "aws_ecr_repository.notebook_base")] == "fail"
    assert iac_verdicts[("IMG003", images, "aws_ecs_task_definition.feature_backfill")] == "fail"
    assert iac_verdicts[("IMG003", images, "aws_ecs_task_definition.feature_api")] == "pass"
    assert iac_verdicts[("IMG002", cfn, "ModelRepository")] == "pass"
    assert iac_verdicts[("IMG004", cfn, "ModelRepository")] == "pass"
    # EventBridge in Terraform: a permission scoped by source_arn and an unscoped one; the
    # nightly target has no DLQ. In CloudFormation: a scoped permission, a public bus policy.
    events = "examples/terraform/ml-platform/events.tf"
    assert iac_verdicts[("EB008", events, "aws_lambda_permission.refresh_features")] == "pass"
    assert iac_verdicts[("EB008", events, "aws_lambda_permission.batch_ingest")] == "fail"
    assert iac_verdicts[("EB008", cfn, "EndpointWatcherPermission")] == "pass"
    assert iac_verdicts[("EB009", cfn, "DefaultBusPolicy")] == "fail"
    iac_dlq = {
        (r["location"]["path"], r["resource"]["id"], r["evidence"]["target"]["Id"]): r["status"]
        for r in iac["results"]
        if r["rule_id"] == "EB010"
    }
    assert iac_dlq[(events, "aws_cloudwatch_event_rule.nightly_ingest", "batch-ingest")] == "fail"
    assert iac_dlq[(events, "aws_cloudwatch_event_rule.training_state", "refresh-features")] == "pass"
    assert iac_dlq[(events, "aws_cloudwatch_event_rule.training_state", "training-jobs")] == "pass"
    assert iac_dlq[(cfn, "EndpointStateRule", "endpoint-watcher")] == "pass"
    assert iac_dlq[(cfn, "EndpointStateRule", "endpoint-events")] == "pass"
    # Monitoring in the examples: the Terraform endpoint has an alarm, the CloudFormation one
    # none; neither variant autoscales; log groups kept a year, 30 days, forever.
    mon_iac = {
        (r["rule_id"], r["resource"]["id"]): r["status"]
        for r in iac["results"]
        if r["rule_id"].startswith("MON")
    }
    assert mon_iac == {
        ("MON001", "aws_sagemaker_endpoint_configuration.churn"): "pass",
        ("MON001", "ChurnEndpointConfig"): "fail",
        ("MON002", "aws_sagemaker_endpoint_configuration.churn"): "fail",
        ("MON002", "ChurnEndpointConfig"): "fail",
        ("MON003", "aws_cloudwatch_log_group.churn_endpoint"): "pass",
        ("MON003", "module.audit.aws_cloudwatch_log_group.trail"): "pass",
        ("MON003", "aws_cloudwatch_log_group.batch_ingest"): "fail",  # 30 days
        ("MON003", "EndpointWatcherLogs"): "fail",  # never expires
    }
    # The SAM events' implicit rules keep their findings.
    assert iac_dlq[(cfn, "IngestFunctionNightly", "IngestFunctionNightlyLambdaTarget")] == "fail"
