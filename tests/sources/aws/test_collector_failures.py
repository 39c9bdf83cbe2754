"""A bug inside a collector never turns into a confident verdict: what it could not read is unknown."""

from scanner.model import Unknown
from scanner.rule import rule
from scanner.scan import scan_aws
from scanner.sources.aws.collectors.cloudtrail import CloudTrailCollector
from scanner.sources.aws.collectors.lambda_functions import LambdaFunctionCollector
from scanner.sources.aws.guard import CallGuard
from scanner.sources.aws.session import AwsOptions
from scanner.sources.aws.source import collect_account
from testkit import function, live_scan, one, results, trail


def test_crash_while_reading_a_trail_keeps_the_trail_with_unknown_facts(aws, monkeypatch):
    arn = trail(aws, "main")

    def broken(self, ctx, trail, seen_in):
        raise RuntimeError("mapping bug")

    monkeypatch.setattr(CloudTrailCollector, "_build", broken)
    outcome = live_scan(aws, "CT001", "CT003")
    assert one(outcome, "CT001").status == "unknown"  # not "no trail at all"
    assert one(outcome, "CT003", arn).status == "unknown"
    assert any(e.kind == "internal" and "mapping bug" in e.message for e in outcome.errors)


def test_crash_while_listing_functions_is_a_gap_not_an_empty_region(aws, monkeypatch):
    function(aws, "score")
    trail(aws, "main")

    def broken(self, ctx, item, region):
        raise KeyError("FunctionArn")

    monkeypatch.setattr(LambdaFunctionCollector, "to_resource", broken)
    outcome = live_scan(aws, "DE003", regions=["us-east-1"])
    statuses = sorted((r.resource.region or "", r.status.value) for r in results(outcome, "DE003"))
    assert statuses == [("", "fail"), ("us-east-1", "unknown")]  # account-wide verdict, region unknown
    assert [e.kind for e in outcome.errors] == ["internal"]


def test_facets_not_collected_are_unknown_not_defaults(aws):
    trail(aws, "main", classic=[{"IncludeManagementEvents": False}])
    collection = collect_account(
        AwsOptions(session=aws, regions=["us-east-1"]), {"AWS::CloudTrail::Trail": frozenset()}
    )
    (resource,) = collection.inventory.of_type("AWS::CloudTrail::Trail")
    for key in ("IsLogging", "EventSelectors", "AdvancedEventSelectors", "InsightSelectors"):
        assert isinstance(resource.properties[key], Unknown), key
    assert set(collection.api_calls) == {"sts:GetCallerIdentity", "cloudtrail:DescribeTrails"}


def test_insights_facet_reads_the_status_it_depends_on(aws):
    trail(aws, "main", insights=["ApiCallRateInsight"])
    collection = collect_account(
        AwsOptions(session=aws, regions=["us-east-1"]), {"AWS::CloudTrail::Trail": frozenset({"insights"})}
    )
    (resource,) = collection.inventory.of_type("AWS::CloudTrail::Trail")
    assert resource.properties["IsLogging"] is True
    assert resource.properties["InsightSelectors"] == [{"InsightType": "ApiCallRateInsight"}]


@rule(
    id="USR900",
    name="instances",
    title="t",
    severity="low",
    family="house",
    remediation="-",
    needs={"AWS::EC2::SecurityGroup": ()},
)
def _needs_an_uncollected_type(inventory, ctx):
    """Asks only for a type the live source does not collect."""
    yield from ()


@rule(
    id="USR901",
    name="colours",
    title="t",
    severity="low",
    family="house",
    remediation="-",
    needs={"AWS::CloudTrail::Trail": ("colour",), "AWS::SageMaker::EndpointConfig": ()},
)
def _needs_an_unknown_facet(inventory, ctx):
    """Asks for a facet nobody collects (and for an IaC-only type, which is fine)."""
    yield from ()


def test_rules_needing_what_is_not_collected_are_not_run_and_say_so(aws):
    outcome = scan_aws(
        AwsOptions(session=aws, regions=["us-east-1"]), [_needs_an_uncollected_type, _needs_an_unknown_facet]
    )
    messages = sorted(e.message for e in outcome.errors)
    assert [e.kind for e in outcome.errors] == ["config", "config"]
    assert "USR900 not run" in messages[0] and "AWS::EC2::SecurityGroup" in messages[0]
    assert "USR901 not run" in messages[1] and "'colour'" in messages[1]
    assert "EndpointConfig" not in messages[1]
    assert outcome.results == []


def test_refused_calls_are_scan_errors_never_sent(aws, monkeypatch):
    trail(aws, "main")
    monkeypatch.setattr(CallGuard, "allow", lambda self, ops: None)  # nothing is declared
    outcome = live_scan(aws, "CT002", regions=["us-east-1"])
    assert outcome.fatal and "refused to call sts:GetCallerIdentity" in outcome.fatal
