"""The read-only guard refuses anything but declared reads; every call is counted."""

import pytest

from scanner.sources.aws.collectors import COLLECTORS
from scanner.sources.aws.guard import CallGuard, Operation, ReadOnlyViolation, is_read_only
from scanner.sources.aws.session import AccountSession, AwsOptions
from scanner.sources.aws.source import required_operations
from testkit import endpoint, live_scan, trail, trail_arn


@pytest.mark.parametrize(
    ("service", "operation", "expected"),
    [
        ("cloudtrail", "DescribeTrails", True),
        ("cloudtrail", "GetEventSelectors", True),
        ("lambda", "ListFunctions", True),
        ("sts", "AssumeRole", True),
        ("cloudtrail", "StopLogging", False),
        ("cloudtrail", "PutEventSelectors", False),
        ("s3", "DeleteBucket", False),
        ("sts", "GetSessionToken", False),
        ("sts", "GetFederationToken", False),
        ("iam", "CreateRole", False),
    ],
)
def test_read_only_by_name(service, operation, expected):
    assert is_read_only(service, operation) is expected


def test_every_declared_collector_operation_is_a_read():
    for collector in COLLECTORS:
        assert collector.operations, collector.name
        for op in collector.operations:
            assert is_read_only(op.service, op.name), op.key


def test_declaring_a_write_is_refused():
    with pytest.raises(ReadOnlyViolation):
        CallGuard([Operation("cloudtrail", "StopLogging")])


def test_undeclared_write_is_refused_before_it_is_sent(aws):
    trail(aws, "main")
    guard = CallGuard(required_operations({"AWS::CloudTrail::Trail": frozenset({"status"})}))
    session = AccountSession(AwsOptions(session=aws), guard)
    client = session.client("cloudtrail", "us-east-1")
    with pytest.raises(ReadOnlyViolation, match="cloudtrail:StopLogging"):
        client.stop_logging(Name="main")
    assert guard.refused == {"cloudtrail:StopLogging": 1}
    assert "cloudtrail:StopLogging" not in guard.calls
    # The emulator never saw the call: the trail is still logging.
    assert aws.client("cloudtrail", region_name="us-east-1").get_trail_status(Name="main")["IsLogging"]


def test_undeclared_read_of_another_service_is_refused(aws):
    guard = CallGuard(required_operations({"AWS::CloudTrail::Trail": frozenset()}))
    session = AccountSession(AwsOptions(session=aws), guard)
    with pytest.raises(ReadOnlyViolation, match="lambda:ListFunctions"):
        session.client("lambda", "us-east-1").list_functions()


def test_a_scan_of_only_trail_rules_never_lists_other_services(aws):
    trail(aws, "main")
    outcome = live_scan(aws, "CT002")
    assert set(outcome.api_calls) == {"sts:GetCallerIdentity", "cloudtrail:DescribeTrails"}


def test_calls_are_counted_per_operation(aws):
    trail(aws, "main", insights=["ApiCallRateInsight"])
    trail(aws, "regional", multi_region=False, region="eu-west-1")
    outcome = live_scan(aws, regions=["us-east-1", "eu-west-1", "us-west-2"])
    assert outcome.api_calls == {
        "sts:GetCallerIdentity": 1,
        "cloudtrail:DescribeTrails": 3,  # one per region
        "cloudtrail:GetTrailStatus": 2,  # one per unique trail, in its home region
        "cloudtrail:GetEventSelectors": 2,
        "cloudtrail:GetInsightSelectors": 1,  # only the multi-region logging trail counts
        "s3:ListBuckets": 1,  # global
        "s3:GetBucketLocation": 2,  # the emulator's ListBuckets lacks BucketRegion (AWS's has it)
        "lambda:ListFunctions": 3,
        "sagemaker:ListEndpoints": 3,
        "events:ListEventBuses": 3,  # one per region
        "events:DescribeEventBus": 3,  # the default bus of each region (its policy)
        "events:ListRules": 3,  # one per bus; no rules, so no targets and no follow-up reads
        # Availability-zone collectors: one list per region each.
        "rds:DescribeDBInstances": 3,
        "rds:DescribeDBClusters": 3,
        "autoscaling:DescribeAutoScalingGroups": 3,
        "elbv2:DescribeLoadBalancers": 3,
        "elb:DescribeLoadBalancers": 3,
        "elasticache:DescribeReplicationGroups": 3,
        "elasticache:DescribeCacheClusters": 3,
        "efs:DescribeFileSystems": 3,
        "ec2:DescribeSubnets": 3,
        "ec2:DescribeNatGateways": 3,
        "ec2:DescribeRouteTables": 3,
        "application-autoscaling:DescribeScalableTargets": 3,
        # Rightsizing collectors: one list per region each; no instance, so no instance types.
        "ec2:DescribeInstances": 3,
        "ec2:DescribeVolumes": 3,
        # Monitoring collectors: alarms and log groups, one list per region each.
        "cloudwatch:DescribeAlarms": 3,
        "logs:DescribeLogGroups": 3,
        # Launch templates (RS008, RS009, IMG001): every template's default and latest version.
        "ec2:DescribeLaunchTemplateVersions": 3,
        # Images pack: one read or list per region each; no instance, template or repository,
        # so no DescribeImages nor BatchGetRepositoryScanningConfiguration.
        "ec2:GetAllowedImagesSettings": 3,
        "ecr:GetRegistryScanningConfiguration": 3,
        "ecr:DescribeRepositories": 3,
        "ecs:ListTaskDefinitionFamilies": 3,
        "sagemaker:ListModels": 3,
    }
    assert trail_arn("regional", "eu-west-1") in {r.resource.id for r in outcome.results}


def test_bucket_region_from_the_listing_needs_no_extra_call(aws):
    from testkit import add_to_response, bucket

    bucket(aws, "data", region="eu-west-1")

    def with_region(parsed):
        for b in parsed["Buckets"]:
            b["BucketRegion"] = "eu-west-1"

    add_to_response(aws, "ListBuckets", with_region)
    outcome = live_scan(aws, "DE001", regions=["eu-west-1"])
    assert "s3:GetBucketLocation" not in outcome.api_calls
    (bucket_result,) = [r for r in outcome.results if r.resource.type == "AWS::S3::Bucket"]
    assert bucket_result.resource.region == "eu-west-1"


def test_enabled_regions_come_from_describe_regions_in_the_account_partition(aws):
    outcome = live_scan(aws, "CT002", regions=[])
    regions = outcome.targets[0]["regions"]
    assert outcome.api_calls["ec2:DescribeRegions"] == 1
    assert "us-east-1" in regions and "eu-west-1" in regions
    assert not [r for r in regions if r.startswith(("cn-", "us-gov-"))]
    assert outcome.api_calls["cloudtrail:DescribeTrails"] == len(regions)


def test_rs002_calls_per_region_and_endpoint(aws):
    endpoint(aws, "churn")
    endpoint(aws, "fraud")
    aws.client("application-autoscaling", region_name="us-east-1").register_scalable_target(
        ServiceNamespace="sagemaker",
        ResourceId="endpoint/churn/variant/v",
        ScalableDimension="sagemaker:variant:DesiredInstanceCount",
        MinCapacity=1,
        MaxCapacity=2,
    )
    outcome = live_scan(aws, "RS002", regions=["us-east-1", "eu-west-1"])
    assert outcome.api_calls == {
        "sts:GetCallerIdentity": 1,
        "sagemaker:ListEndpoints": 2,
        "sagemaker:DescribeEndpoint": 2,  # one per endpoint: its variants and counts
        "sagemaker:DescribeEndpointConfig": 2,  # one per endpoint: its variants' instance types
        "application-autoscaling:DescribeScalableTargets": 2,
        # Facet policies: one per region with SageMaker scalable targets, none elsewhere.
        "application-autoscaling:DescribeScalingPolicies": 1,
        "cloudwatch:GetMetricData": 1,  # every series of the region's variants in one call
    }
