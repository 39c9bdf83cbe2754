from __future__ import annotations

from collections.abc import Iterator

from rules.data_events.common import DATA_NEEDS, account_and_each
from scanner.inventory import Inventory
from scanner.lib.selectors import Direction, all_lambda_functions, lambda_function
from scanner.model import FUNCTION, Result
from scanner.rule import RuleContext, rule


@rule(
    id="DE003",
    name="cloudtrail-lambda-data-events",
    title="Lambda Invoke data events are recorded",
    severity="low",
    family="data-events",
    remediation="""
        Record Lambda data events on a multi-region, logging trail: a classic selector with
        `DataResources: [{Type: AWS::Lambda::Function, Values: [arn:aws:lambda]}]`, or an
        advanced selector on `resources.type = AWS::Lambda::Function`.
    """,
    terraform="""
        resource "aws_cloudtrail" "main" {
          # ... multi-region, logging
          advanced_event_selector {
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
    """,
    cloudformation="""
        Trail:
          Type: AWS::CloudTrail::Trail
          Properties:
            AdvancedEventSelectors:
              - Name: Lambda invocations
                FieldSelectors:
                  - Field: eventCategory
                    Equals: [Data]
                  - Field: resources.type
                    Equals: [AWS::Lambda::Function]
    """,
    references=("https://docs.aws.amazon.com/lambda/latest/dg/logging-using-cloudtrail.html",),
    compliance={"NIST-800-53-r5": ("AU-2", "AU-12")},
    needs={**DATA_NEEDS, FUNCTION: ()},
)
def de003(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """Lambda `Invoke` is a data event: without a selector, nobody can tell who ran a
    function (inference and feature pipelines on Lambda included). An account-wide result
    (`arn:aws:lambda` or an advanced selector without an ARN condition) and one result per
    function. Function ARNs in classic selectors are exact: `...:function:score` does not
    cover `score-v2`. Invoke events are recorded as write events (`readOnly: false`), so
    a `ReadOnly` selector does not cover them.
    """
    yield from account_and_each(
        inventory,
        ctx,
        resource_type=FUNCTION,
        noun="function",
        what="Lambda Invoke events",
        direction=Direction.WRITE,
        all_target=all_lambda_functions,
        one_target=lambda f: lambda_function(f.id),
    )
