from __future__ import annotations

from collections.abc import Iterator

from rules.data_events.common import DATA_NEEDS, verdict
from scanner.inventory import Inventory
from scanner.lib.selectors import Direction, Level, Target, sagemaker_endpoint, sagemaker_endpoint_unknown_arn
from scanner.lib.trails import (
    TrailCoverage,
    TrailListing,
    Tri,
    as_tri,
    data_event_coverage,
    deployment_region,
    trail_listing,
)
from scanner.model import ENDPOINT, ENDPOINT_CONFIG, Resource, Result, Severity, Unknown, show, unsettled
from scanner.rule import RuleContext, rule


@rule(
    id="DE004",
    name="sagemaker-endpoint-invocations-unaudited",
    title="SageMaker endpoint invocations are audited",
    severity="medium",
    family="data-events",
    remediation="""
        Record SageMaker endpoint data events on a logging trail with an advanced selector
        on `resources.type = AWS::SageMaker::Endpoint` (classic selectors cannot). Data
        capture is not a substitute: it samples payloads to S3 for model monitoring and is
        not an audit log of who invoked the endpoint.
    """,
    terraform="""
        resource "aws_cloudtrail" "main" {
          # ... multi-region, logging
          advanced_event_selector {
            name = "SageMaker endpoint invocations"
            field_selector {
              field  = "eventCategory"
              equals = ["Data"]
            }
            field_selector {
              field  = "resources.type"
              equals = ["AWS::SageMaker::Endpoint"]
            }
          }
        }
    """,
    cloudformation="""
        Trail:
          Type: AWS::CloudTrail::Trail
          Properties:
            AdvancedEventSelectors:
              - Name: SageMaker endpoint invocations
                FieldSelectors:
                  - Field: eventCategory
                    Equals: [Data]
                  - Field: resources.type
                    Equals: [AWS::SageMaker::Endpoint]
    """,
    references=(
        "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-data-events-with-cloudtrail.html",
        "https://docs.aws.amazon.com/sagemaker/latest/dg/logging-using-cloudtrail.html",
    ),
    compliance={"NIST-800-53-r5": ("AU-2", "AU-12")},
    needs={**DATA_NEEDS, ENDPOINT: ("data_capture",), ENDPOINT_CONFIG: ()},
)
def de004(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """`InvokeEndpoint` is not a management event: unless a logging trail records data
    events of type `AWS::SageMaker::Endpoint` covering the endpoint (multi-region, or
    single-region in the endpoint's region), invocations of a model leave no audit
    record. The AWS documentation disagrees on which invocation APIs the data events
    include (InvokeEndpointWithResponseStream for certain, InvokeEndpoint and
    InvokeEndpointAsync per the newer SageMaker guide), so the finding names the selector,
    not an event list. With data capture enabled but no such trail the endpoint still
    fails, at severity low: capture samples payloads and is not an audit log.
    Endpoint ARNs are compared case-insensitively (SageMaker lower-cases the name).
    In IaC the subject is the endpoint configuration (it holds DataCaptureConfig; an
    absent `EnableCapture` means enabled), and an ARN condition in a selector is
    undecidable before deployment.
    """
    for scope in inventory.scopes:
        listing = trail_listing(inventory, scope)
        if scope.is_live:
            subjects = [
                (e, sagemaker_endpoint(e.id), e.region or Unknown(f"the region of {e.name} is not known"))
                for e in inventory.of_type(ENDPOINT, scope)
            ]
        else:  # IaC: the endpoint configuration carries the capture setting; ARNs come at deploy time
            subjects = [
                (c, sagemaker_endpoint_unknown_arn(), deployment_region(c))
                for c in inventory.of_type(ENDPOINT_CONFIG, scope)
            ]
        for subject, target, region in subjects:
            capture = _capture(subject)
            cov = _coverage(listing, target, region)
            lower = capture is True and cov.level in (Level.NONE, Level.PARTIAL)
            evidence = {"data_capture": capture}
            what = "SageMaker endpoint invocations"
            if lower:
                what += " (data capture is on, but it is not an audit log)"
            kind = "Endpoint" if scope.is_live else "Endpoint configuration"
            yield verdict(
                ctx,
                subject,
                f"{kind} {subject.name}",
                what,
                cov,
                evidence,
                severity=Severity.LOW if lower else None,
            )
        if scope.is_live:
            yield from ctx.gap_unknowns(inventory, scope, ENDPOINT, "SageMaker endpoints")


def _capture(resource: Resource) -> Tri:
    """Whether data capture is on: absent config = off; EnableCapture defaults to on."""
    config = resource.get("DataCaptureConfig")
    why = unsettled(config)
    if why is not None:
        return why
    if config is None:
        return False
    if not isinstance(config, dict):
        return Unknown(f"DataCaptureConfig is not a mapping: {show(config)}")
    return as_tri(config.get("EnableCapture"), default=True, what="EnableCapture")


def _coverage(listing: TrailListing, target: Target, region: str | Unknown) -> TrailCoverage:
    """Both directions recorded: covered. Only one: whether InvokeEndpoint is logged as a
    read or a write event is not documented, so the verdict is unknown, not a fail."""
    both = data_event_coverage(listing, target, None, region=region)
    if both.level == Level.FULL:
        return both
    one_way = [
        d.value
        for d in Direction
        if data_event_coverage(listing, target, d, region=region).level == Level.FULL
    ]
    if one_way:
        reason = (
            f"the selectors record only {one_way[0]} events of the endpoint, and whether invocations are "
            "read or write events is not documented"
        )
        return TrailCoverage(Level.UNKNOWN, both.trails, [reason])
    return both
