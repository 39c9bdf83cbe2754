from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial

from scanner.inventory import Inventory
from scanner.lib.selectors import TrailSelectors, invalid_classic_values, undecided_classic_values
from scanner.lib.trails import own_trails
from scanner.model import BUCKET, TRAIL, Reference, Result, Scope, Unknown, unsettled
from scanner.rule import RuleContext, rule

_PLACEHOLDER = re.compile(r"\$\{[^}]*\}")
_ARN_HEAD = re.compile(r"arn:[\w-]+:s3:::")


@rule(
    id="DE005",
    name="cloudtrail-data-selector-invalid",
    title="Classic data-event selectors use values CloudTrail accepts",
    severity="medium",
    family="data-events",
    remediation="""
        Write whole-bucket S3 values with the trailing slash (`arn:aws:s3:::bucket/`), or
        `arn:aws:s3` for all buckets; use advanced selectors for any data-event type other
        than S3 objects, Lambda functions and DynamoDB tables (SageMaker endpoints included).
    """,
    terraform="""
        resource "aws_cloudtrail" "main" {
          # ...
          event_selector {
            read_write_type = "All"
            data_resource {
              type   = "AWS::S3::Object"
              values = ["${aws_s3_bucket.data.arn}/"] # the trailing slash matters
            }
          }
        }
    """,
    cloudformation="""
        Trail:
          Type: AWS::CloudTrail::Trail
          Properties:
            EventSelectors:
              - ReadWriteType: All
                DataResources:
                  - Type: AWS::S3::Object
                    Values:
                      - !Sub "${DataBucket.Arn}/"
    """,
    references=(
        "https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_DataResource.html",
        "https://github.com/hashicorp/terraform-provider-aws/issues/4043",
    ),
    compliance={"NIST-800-53-r5": ("AU-12",)},
    sources=("terraform", "cloudformation"),
    needs={TRAIL: ("selectors",)},
)
def de005(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """A classic S3 data resource written as `arn:aws:s3:::bucket` (no trailing slash) is
    rejected by PutEventSelectors, and a classic selector of any type other than
    AWS::S3::Object, AWS::Lambda::Function or AWS::DynamoDB::Table is refused too: the
    deployment fails or the intended data events are never recorded. Code only (a live
    trail cannot hold such values); one result per declared trail.
    """
    for scope in inventory.scopes:
        if scope.is_live:
            continue
        for v in own_trails(inventory, scope):
            if isinstance(v.selectors, Unknown):
                yield ctx.unknown(
                    v.resource,
                    f"Trail {v.resource.name}: its event selectors could not be "
                    f"evaluated ({v.selectors.reason}).",
                    {"selectors": v.selectors},
                )
                continue
            problems = invalid_classic_values(
                TrailSelectors(v.selectors.classic), partial(_bare_bucket_arn, inventory, scope)
            )
            undecided = undecided_classic_values(
                TrailSelectors(v.selectors.classic), partial(_bare_bucket_arn, inventory, scope)
            )
            if problems:
                yield ctx.fail(
                    v.resource,
                    f"Trail {v.resource.name} has data selectors CloudTrail rejects: {'; '.join(problems)}.",
                    {"problems": problems},
                )
            elif undecided:
                yield ctx.unknown(
                    v.resource,
                    f"Trail {v.resource.name}: whether CloudTrail accepts its data selectors is unknown "
                    f"({'; '.join(undecided)}).",
                    {"undecided": undecided},
                )
            else:
                yield ctx.passed(
                    v.resource,
                    f"Trail {v.resource.name} has no invalid classic data selector.",
                    {"classic_selectors": len(v.selectors.classic)},
                )


def _bare_bucket_arn(inventory: Inventory, scope: Scope, value: object) -> bool | Unknown:
    """A declared bucket's ARN used as the whole value, with no '/' after it. Unknown for a
    value set at deployment that names no declared bucket, or whose text is not known."""
    if not isinstance(value, Reference):
        return False
    text = value.text.strip().strip('"')
    placeholders = _PLACEHOLDER.findall(text)
    if not value.partial and placeholders and "/" in text[text.rindex(placeholders[-1]) :]:
        return False  # a '/' follows whatever is substituted: `${module.x.bucket_arn}/logs/`
    deployed = unsettled(value)
    if value.target is None and deployed is not None:  # set at deployment, from no declared bucket
        return deployed
    bucket = inventory.get(value.target, scope)
    if bucket is None or bucket.type != BUCKET:
        return Unknown(f"{value.text} does not name a declared S3 bucket")
    if value.partial:
        return Unknown(f"{value.text} is known only after apply, with or without a '/' after it")
    is_arn = (value.attribute or "").lower() == "arn"
    if not placeholders:  # the reference alone: !GetAtt Data.Arn, aws_s3_bucket.data.arn
        return is_arn
    if len(placeholders) != 1 or not text.endswith(placeholders[0]):
        return False  # something follows the bucket: a prefix
    head = text[: -len(placeholders[0])]
    return is_arn if head == "" else _ARN_HEAD.fullmatch(head) is not None  # arn:aws:s3:::${name}
