"""API calls of a live scan of the demo account, per operation, against the minimum.

The minimum is derived from what the scan found (regions, unique trails, endpoints), by
the reasoning written next to each line; the ratio is actual / minimum.

    .venv/bin/python bench/api_calls.py
"""

from __future__ import annotations

from scanner.demo import demo_scan
from scanner.lib.selectors import Level
from scanner.model import (
    ECS_TASK_DEFINITION,
    ENDPOINT,
    INSTANCE,
    LAUNCH_TEMPLATE,
    LOAD_BALANCER,
    MODEL,
    TRAIL,
    Status,
)

AZ_LISTINGS = (
    "rds:DescribeDBInstances",
    "rds:DescribeDBClusters",
    "autoscaling:DescribeAutoScalingGroups",
    "elbv2:DescribeLoadBalancers",
    "elb:DescribeLoadBalancers",
    "elasticache:DescribeReplicationGroups",
    "elasticache:DescribeCacheClusters",
    "efs:DescribeFileSystems",
    "ec2:DescribeSubnets",
    "ec2:DescribeNatGateways",
    "ec2:DescribeRouteTables",
    "application-autoscaling:DescribeScalableTargets",
)
RS_LISTINGS = ("ec2:DescribeInstances", "ec2:DescribeVolumes")
# Monitoring pack: alarms and log groups are regional and have no server-side filter by what
# the rules look for (an EndpointName dimension, a retention), so one paginated listing per
# region each is the least; the pages (100 alarms, 50 log groups) are not calls we can save.
MON_LISTINGS = {
    "cloudwatch:DescribeAlarms": "one per region (metric alarms, paginated): MON001 matches dimensions locally",
    "logs:DescribeLogGroups": "one per region (paginated): the retention comes with the listing",
}
# Images pack: one read or paginated list per region each (ListTaskDefinitionFamilies and
# ListModels 100 a page, DescribeRepositories 1,000, DescribeLaunchTemplateVersions 200: one page
# each in the demo).
IMG_PER_REGION = (
    "ec2:DescribeLaunchTemplateVersions",
    "ec2:GetAllowedImagesSettings",
    "ecr:GetRegistryScanningConfiguration",
    "ecr:DescribeRepositories",
    "ecs:ListTaskDefinitionFamilies",
    "sagemaker:ListModels",
)


def main() -> None:
    outcome = demo_scan()
    calls = outcome.api_calls or {}
    regions = len(outcome.targets[0]["regions"])
    trails = {r.resource.id for r in outcome.results if r.resource.type == TRAIL}
    multi_region_logging = {
        r.resource.id
        for r in outcome.results
        if r.rule_id == "CT002"
        and r.status == Status.PASS
        and any(
            x.rule_id == "CT003" and x.resource.id == r.resource.id and x.status == Status.PASS
            for x in outcome.results
        )
    }
    endpoints = {r.resource.id for r in outcome.results if r.resource.type == ENDPOINT}
    uncovered_endpoints = [
        r
        for r in outcome.results
        if r.rule_id == "DE004"
        and r.resource.type == ENDPOINT
        and r.evidence.get("coverage") != Level.FULL.name.lower()
    ]
    # EventBridge: every rule target appears in EB010's results (one per rule and target).
    targets = [(r.resource.id, r.evidence["target"]["Arn"]) for r in outcome.results if r.rule_id == "EB010"]
    rules = {rule for rule, _ in targets}
    custom_buses = {rule.split(":rule/")[1].split("/")[0] for rule in rules if rule.count("/") == 2}
    functions = {arn for _, arn in targets if isinstance(arn, str) and ":lambda:" in arn}
    log_groups = {arn.removesuffix(":*") for _, arn in targets if isinstance(arn, str) and ":logs:" in arn}
    log_regions = {arn.split(":")[3] for arn in log_groups}
    buses = regions + len(custom_buses)
    dlqs = {
        r.evidence["DeadLetterConfig"]["Arn"]
        for r in outcome.results
        if r.rule_id == "EB010" and isinstance(r.evidence.get("DeadLetterConfig"), dict)
    }
    account = outcome.targets[0]["account_id"]
    queues = {
        a
        for a in {arn for _, arn in targets} | dlqs
        if isinstance(a, str) and ":sqs:" in a and f":{account}:" in a
    }
    topics = {arn for _, arn in targets if isinstance(arn, str) and ":sns:" in arn}
    keys = {
        str(r.evidence["kms"].get("KmsMasterKeyId"))
        for r in outcome.results
        if r.rule_id in ("EB002", "EB003") and r.evidence.get("kms", {}).get("KmsMasterKeyId")
    }
    customer_keys = {k for k in keys if not k.split(":")[-1].startswith("alias/aws/")}
    roles = {
        r.evidence.get("role") or r.evidence.get("RoleArn") for r in outcome.results if r.rule_id == "EB006"
    }
    # Metric series the rightsizing rules read (a volume's IOPS are two: reads and writes), per
    # region: GetMetricData takes 500 queries a call.
    series: dict[str, int] = {}
    for r in outcome.results:
        if r.rule_id in ("RS001", "RS003", "RS004") and r.resource.region:
            width = 2 if r.rule_id == "RS004" else 1
            series[r.resource.region] = series.get(r.resource.region, 0) + width
    metric_calls = sum(-(-n // 500) for n in series.values())
    # Regions with SageMaker scalable targets, as the results show them: an autoscaling minimum
    # AZ005 names, or a scaling policy RS002 took a capacity from.
    scaled_regions = {
        r.resource.region
        for r in outcome.results
        if (r.rule_id == "AZ005" and "autoscaling minimum" in str(r.evidence))
        or (
            r.rule_id == "RS002"
            and isinstance(r.evidence.get("capacity_per_instance"), dict)
            and r.evidence["capacity_per_instance"].get("source") != "parameter"
        )
    }
    # EB007 evidence names what ecs:RunTask was checked on: the task definition an ECS target runs.
    task_definitions = {
        key.removeprefix("ecs:RunTask on ").strip("'")
        for r in outcome.results
        if r.rule_id == "EB007"
        for key in r.evidence
        if key.startswith("ecs:RunTask on ") and f":{account}:" in key
    }
    # Images pack: what its results were judged on. IMG003 judges every listed family's latest
    # revision and every model; IMG004 every repository; IMG001 every instance and template
    # (the demo configures approved owners).
    listed_definitions = {
        r.resource.id
        for r in outcome.results
        if r.rule_id == "IMG003" and r.resource.type == ECS_TASK_DEFINITION
    }
    models = {r.resource.id for r in outcome.results if r.rule_id == "IMG003" and r.resource.type == MODEL}
    repositories: dict[str, int] = {}
    for r in outcome.results:
        if r.rule_id == "IMG004" and r.resource.region:
            repositories[r.resource.region] = repositories.get(r.resource.region, 0) + 1
    ami_regions: dict[str, set[str]] = {}
    for r in outcome.results:
        if r.rule_id == "IMG001" and r.resource.type in (INSTANCE, LAUNCH_TEMPLATE) and r.resource.region:
            ami = r.evidence.get("ImageId")
            if isinstance(ami, str) and ami.startswith("ami-"):
                ami_regions.setdefault(r.resource.region, set()).add(ami)
    minimum = {
        "sts:GetCallerIdentity": (1, "account id and partition"),
        "ec2:DescribeRegions": (1, "the enabled regions"),
        "cloudtrail:DescribeTrails": (regions, "one per region: a single-region trail can live in any"),
        "cloudtrail:GetTrailStatus": (len(trails), "one per unique trail, by ARN in its home region"),
        "cloudtrail:GetEventSelectors": (len(trails), "one per unique trail with custom selectors"),
        "cloudtrail:GetInsightSelectors": (
            len(multi_region_logging),
            "only multi-region logging trails count",
        ),
        "s3:ListBuckets": (1, "global, paginated"),
        "s3:GetBucketLocation": (0, "AWS's ListBuckets returns BucketRegion; the emulator does not"),
        "lambda:ListFunctions": (regions, "one per region"),
        "sagemaker:ListEndpoints": (regions, "one per region"),
        "sagemaker:DescribeEndpoint": (
            len(endpoints),
            "one per endpoint: its variants (AZ005); capture state (DE004) only when uncovered "
            f"({len(uncovered_endpoints)})",
        ),
        "events:ListEventBuses": (regions, "one per region"),
        "events:DescribeEventBus": (
            buses,
            "one per bus (its policy): a default bus per region + custom buses",
        ),
        "events:ListRules": (buses, "one per bus: ListRules without a bus name lists the default bus only"),
        "events:ListTargetsByRule": (len(rules), "one per rule"),
        "lambda:GetPolicy": (len(functions), "one per function or alias a target names"),
        "sqs:GetQueueUrl": (len(queues), "one per queue a target or dead-letter config names"),
        "sqs:GetQueueAttributes": (len(queues), "one per queue (policy, key, SSE, FIFO)"),
        "sns:GetTopicAttributes": (len(topics), "one per topic a target names"),
        "kms:DescribeKey": (
            len(customer_keys),
            "one per key encrypting a target (AWS managed aliases: none)",
        ),
        "kms:GetKeyPolicy": (len(customer_keys), "one per customer managed key"),
        "iam:GetRole": (len(roles), "one per role a target names"),
        "cloudwatch:GetMetricData": (metric_calls, "500 series a call, per region with series to read"),
        "elbv2:DescribeTargetGroups": (
            len(
                {
                    r.resource.region
                    for r in outcome.results
                    if r.rule_id == "RS007" and r.resource.type == LOAD_BALANCER
                }
            ),
            "one per region with ELBv2 load balancers (RS007): its target groups, 400 a page, each "
            "naming its load balancers",
        ),
        "elbv2:DescribeTargetHealth": (calls.get("elbv2:DescribeTargetHealth", 0), "one per target group"),
        "sagemaker:DescribeEndpointConfig": (
            len({r.resource.id for r in outcome.results if r.rule_id == "RS002"}),
            "one per endpoint: the instance type of its variants (RS002)",
        ),
        "application-autoscaling:DescribeScalingPolicies": (
            len(scaled_regions) if any(r.rule_id == "RS002" for r in outcome.results) else 0,
            "one per region with SageMaker scalable targets, for RS002 (none where there is no target)",
        ),
        "ecs:DescribeTaskDefinition": (
            len(task_definitions | listed_definitions),
            "one per task definition family (its latest ACTIVE revision, IMG003) and per revision an "
            "ECS target pins; a family a target names without revision is the same read",
        ),
        "iam:ListRolePolicies": (len(roles), "one per role"),
        "iam:ListAttachedRolePolicies": (len(roles), "one per role"),
        "iam:GetRolePolicy": (calls.get("iam:GetRolePolicy", 0), "one per inline policy the roles list"),
        "iam:GetPolicy": (calls.get("iam:GetPolicy", 0), "one per distinct attached managed policy"),
        "iam:GetPolicyVersion": (calls.get("iam:GetPolicyVersion", 0), "its default version"),
        "logs:DescribeResourcePolicies": (
            len(log_regions) + len(log_groups),
            "account-level once per region with log targets, plus one per log group target",
        ),
    }
    # Availability-zone pack: one paginated list per region each, no per-resource reads.
    for op in AZ_LISTINGS:
        minimum[op] = (regions, "one per region")
    # Rightsizing pack, when its rules run: one paginated list per region each; the facts of
    # the instance types once per region with instances (all its distinct types, <= 100 a
    # call), only when a rule reads them. Instances are seen through the results judging them.
    for op in RS_LISTINGS:
        if op in calls:
            minimum[op] = (regions, "one per region")
    # Monitoring pack, when its rules run. Its endpoints, variants and scalable targets are the
    # ones the lines above already count (read once for every pack); the log groups that
    # EventBridge targets name join the listed ones: DescribeResourcePolicies stays as above.
    for op, why in MON_LISTINGS.items():
        if op in calls:
            minimum[op] = (regions, why)
    if "ec2:DescribeInstanceTypes" in calls:
        instance_regions = {
            r.resource.region for r in outcome.results if r.resource.type in (INSTANCE, LAUNCH_TEMPLATE)
        }
        minimum["ec2:DescribeInstanceTypes"] = (
            len(instance_regions),
            "once per region with instances or launch templates, their distinct types in one call",
        )
    for op in IMG_PER_REGION:
        if op in calls:
            minimum[op] = (regions, "one per region")
    if "ec2:DescribeImages" in calls:
        minimum["ec2:DescribeImages"] = (
            sum(-(-len(amis) // 200) for amis in ami_regions.values()),
            "once per region whose instances or templates use AMIs, their distinct AMIs in one call "
            "(200 a call)",
        )
    if "ecr:BatchGetRepositoryScanningConfiguration" in calls:
        minimum["ecr:BatchGetRepositoryScanningConfiguration"] = (
            sum(-(-n // 25) for n in repositories.values()),
            "the region's repositories, 25 names a call (the API's limit)",
        )
    if "sagemaker:DescribeModel" in calls:
        minimum["sagemaker:DescribeModel"] = (
            len(models),
            "one per model: its container images (no batch read)",
        )
    total_actual = sum(calls.values())
    total_min = sum(m for m, _ in minimum.values())
    print(f"{'operation':34} {'calls':>6} {'minimum':>8}  why")
    for op in sorted(set(calls) | set(minimum)):
        least, why = minimum.get(op, (0, "not expected"))
        print(f"{op:34} {calls.get(op, 0):>6} {least:>8}  {why}")
    print(f"{'total':34} {total_actual:>6} {total_min:>8}  ratio {total_actual / total_min:.2f}")


if __name__ == "__main__":
    main()
