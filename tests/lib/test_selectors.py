"""Independent tests of the CloudTrail selector matcher (scanner/lib/selectors.py).

Written from the AWS semantics (the project's AWS facts), not from the implementation:
what a trail with given classic `EventSelectors` / `AdvancedEventSelectors` records
for a resource, per direction (read / write).
"""

from __future__ import annotations

from typing import Any

import pytest

from scanner.lib.selectors import (
    Coverage,
    DirCoverage,
    Direction,
    Level,
    Target,
    TrailSelectors,
    all_lambda_functions,
    all_s3_buckets,
    all_sagemaker_endpoints,
    data_coverage,
    data_types,
    invalid_classic_values,
    lambda_function,
    management_coverage,
    s3_bucket,
    sagemaker_endpoint,
)
from scanner.model import Unknown

FULL, PARTIAL, NONE, UNKNOWN = Level.FULL, Level.PARTIAL, Level.NONE, Level.UNKNOWN

S3 = "AWS::S3::Object"
LAMBDA = "AWS::Lambda::Function"
DYNAMODB = "AWS::DynamoDB::Table"
SAGEMAKER = "AWS::SageMaker::Endpoint"

ACCOUNT = "111122223333"
FN_HELLO = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:helloworld"
FN_HELLO2 = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:helloworld2"
EP_MY = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/my-endpoint"
EP_OTHER = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/other-endpoint"


# -- builders (API / CloudFormation shape) -------------------------------------------------


def classic(
    *,
    rw: str | None = None,
    mgmt: bool | None = None,
    exclude: list[str] | None = None,
    data: list[tuple[str, list[str]]] | None = None,
) -> dict[str, Any]:
    """A classic event selector; omitted keys keep their AWS defaults."""
    sel: dict[str, Any] = {}
    if rw is not None:
        sel["ReadWriteType"] = rw
    if mgmt is not None:
        sel["IncludeManagementEvents"] = mgmt
    if exclude is not None:
        sel["ExcludeManagementEventSources"] = exclude
    if data is not None:
        sel["DataResources"] = [{"Type": t, "Values": v} for t, v in data]
    return sel


def fs(field: str, **ops: list[str]) -> dict[str, Any]:
    """One advanced field selector, e.g. fs("readOnly", Equals=["true"])."""
    return {"Field": field, **ops}


def adv(*fields: dict[str, Any], name: str | None = None) -> dict[str, Any]:
    sel: dict[str, Any] = {"FieldSelectors": list(fields)}
    if name is not None:
        sel["Name"] = name
    return sel


def adv_data(resource_type: str, *fields: dict[str, Any], name: str | None = None) -> dict[str, Any]:
    """An advanced data selector for one resource type, plus extra conditions."""
    return adv(
        fs("eventCategory", Equals=["Data"]),
        fs("resources.type", Equals=[resource_type]),
        *fields,
        name=name,
    )


def adv_mgmt(*fields: dict[str, Any], name: str | None = None) -> dict[str, Any]:
    return adv(fs("eventCategory", Equals=["Management"]), *fields, name=name)


def trail(*, classic_sel: list[dict[str, Any]] = (), advanced: list[dict[str, Any]] = ()) -> TrailSelectors:
    return TrailSelectors(classic=tuple(classic_sel), advanced=tuple(advanced))


def levels(cov: Coverage) -> tuple[Level, Level]:
    """(read level, write level)."""
    return cov.read.level, cov.write.level


def data_levels(selectors: TrailSelectors, target: Target) -> tuple[Level, Level]:
    return levels(data_coverage(selectors, target))


# -- public data types ---------------------------------------------------------------------


def test_levels_order_none_partial_unknown_full() -> None:
    assert NONE < PARTIAL < UNKNOWN < FULL


def test_coverage_get_returns_the_direction_and_level_is_the_weaker_direction() -> None:
    cov = Coverage(read=DirCoverage(FULL), write=DirCoverage(PARTIAL))
    assert cov.get(Direction.READ).level == FULL
    assert cov.get(Direction.WRITE).level == PARTIAL
    assert cov.level == PARTIAL


def test_empty_coverage_is_none_in_both_directions() -> None:
    assert levels(Coverage()) == (NONE, NONE)


# -- classic selectors: S3 ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "target", "expected"),
    [
        # arn:aws:s3 = all objects in all buckets
        ("arn:aws:s3", s3_bucket("my-bucket"), FULL),
        ("arn:aws:s3", all_s3_buckets(), FULL),
        # arn:aws:s3::: (no bucket) is accepted in practice as all buckets
        ("arn:aws:s3:::", s3_bucket("my-bucket"), FULL),
        ("arn:aws:s3:::", all_s3_buckets(), FULL),
        # bucket/ = all objects of that bucket
        ("arn:aws:s3:::my-bucket/", s3_bucket("my-bucket"), FULL),
        ("arn:aws:s3:::my-bucket/", s3_bucket("other-bucket"), NONE),
        # a bucket whose name merely starts with the selected bucket's name is another bucket
        ("arn:aws:s3:::my-bucket/", s3_bucket("my-bucket-logs"), NONE),
        ("arn:aws:s3:::my-bucket-logs/", s3_bucket("my-bucket"), NONE),
        # one bucket out of all of them
        ("arn:aws:s3:::my-bucket/", all_s3_buckets(), PARTIAL),
        # bucket/prefix = only that prefix
        ("arn:aws:s3:::my-bucket/logs/", s3_bucket("my-bucket"), PARTIAL),
        ("arn:aws:s3:::my-bucket/logs/", s3_bucket("other-bucket"), NONE),
        # bucket without the trailing slash: documented as rejected, effect on a live trail
        # undocumented, so it proves nothing about that bucket, and never covers all buckets
        ("arn:aws:s3:::my-bucket", s3_bucket("my-bucket"), Level.UNKNOWN),
        ("arn:aws:s3:::my-bucket", all_s3_buckets(), PARTIAL),
        ("arn:aws:s3:::my-bucket", s3_bucket("other-bucket"), NONE),
    ],
)
def test_classic_s3_value(value: str, target: Target, expected: Level) -> None:
    selectors = trail(classic_sel=[classic(data=[(S3, [value])])])
    assert data_levels(selectors, target) == (expected, expected)


def test_classic_s3_several_values_any_one_suffices() -> None:
    selectors = trail(
        classic_sel=[classic(data=[(S3, ["arn:aws:s3:::bucket-a/", "arn:aws:s3:::bucket-b/"])])]
    )
    assert data_levels(selectors, s3_bucket("bucket-a")) == (FULL, FULL)
    assert data_levels(selectors, s3_bucket("bucket-b")) == (FULL, FULL)
    assert data_levels(selectors, s3_bucket("bucket-c")) == (NONE, NONE)


def test_classic_s3_prefix_and_whole_bucket_values_together_are_full() -> None:
    selectors = trail(
        classic_sel=[classic(data=[(S3, ["arn:aws:s3:::my-bucket/logs/", "arn:aws:s3:::my-bucket/"])])]
    )
    assert data_levels(selectors, s3_bucket("my-bucket")) == (FULL, FULL)


@pytest.mark.parametrize(
    ("read_write_type", "expected"),
    [
        (None, (FULL, FULL)),  # default is All
        ("All", (FULL, FULL)),
        ("ReadOnly", (FULL, NONE)),
        ("WriteOnly", (NONE, FULL)),
    ],
)
def test_classic_read_write_type_applies_to_data_resources(
    read_write_type: str | None, expected: tuple[Level, Level]
) -> None:
    selectors = trail(classic_sel=[classic(rw=read_write_type, data=[(S3, ["arn:aws:s3:::my-bucket/"])])])
    assert data_levels(selectors, s3_bucket("my-bucket")) == expected


def test_classic_read_only_prefix_is_partial_read_and_no_write() -> None:
    selectors = trail(classic_sel=[classic(rw="ReadOnly", data=[(S3, ["arn:aws:s3:::my-bucket/logs/"])])])
    assert data_levels(selectors, s3_bucket("my-bucket")) == (PARTIAL, NONE)


def test_classic_read_only_and_write_only_selectors_together_cover_both_directions() -> None:
    selectors = trail(
        classic_sel=[
            classic(rw="ReadOnly", data=[(S3, ["arn:aws:s3:::my-bucket/"])]),
            classic(rw="WriteOnly", data=[(S3, ["arn:aws:s3:::my-bucket/"])]),
        ]
    )
    assert data_levels(selectors, s3_bucket("my-bucket")) == (FULL, FULL)


def test_classic_data_resources_recorded_even_without_management_events() -> None:
    selectors = trail(classic_sel=[classic(mgmt=False, data=[(S3, ["arn:aws:s3"])])])
    assert data_levels(selectors, s3_bucket("my-bucket")) == (FULL, FULL)


def test_classic_selector_without_data_resources_records_no_data_events() -> None:
    selectors = trail(classic_sel=[classic()])
    assert data_levels(selectors, s3_bucket("my-bucket")) == (NONE, NONE)
    assert data_levels(selectors, all_lambda_functions()) == (NONE, NONE)


def test_no_selectors_at_all_records_no_data_events() -> None:
    assert data_levels(trail(), s3_bucket("my-bucket")) == (NONE, NONE)
    assert data_levels(trail(), lambda_function(FN_HELLO)) == (NONE, NONE)
    assert data_levels(trail(), sagemaker_endpoint(EP_MY)) == (NONE, NONE)


@pytest.mark.parametrize(
    ("value", "target", "expected"),
    [
        ("arn:aws-us-gov:s3", s3_bucket("my-bucket", "aws-us-gov"), FULL),
        ("arn:aws-us-gov:s3", s3_bucket("my-bucket"), NONE),
        ("arn:aws-us-gov:s3", all_s3_buckets("aws-us-gov"), FULL),
        ("arn:aws-us-gov:s3", all_s3_buckets(), NONE),
        ("arn:aws:s3", s3_bucket("my-bucket", "aws-us-gov"), NONE),
        ("arn:aws:s3:::", s3_bucket("my-bucket", "aws-us-gov"), NONE),
        ("arn:aws-us-gov:s3:::my-bucket/", s3_bucket("my-bucket", "aws-us-gov"), FULL),
        ("arn:aws-us-gov:s3:::my-bucket/", s3_bucket("my-bucket"), NONE),
        ("arn:aws:s3:::my-bucket/", s3_bucket("my-bucket", "aws-us-gov"), NONE),
    ],
)
def test_classic_s3_partition_must_match(value: str, target: Target, expected: Level) -> None:
    selectors = trail(classic_sel=[classic(data=[(S3, [value])])])
    assert data_levels(selectors, target) == (expected, expected)


def test_classic_dynamodb_selector_does_not_cover_s3() -> None:
    selectors = trail(classic_sel=[classic(data=[(DYNAMODB, ["arn:aws:dynamodb"])])])
    assert data_levels(selectors, s3_bucket("my-bucket")) == (NONE, NONE)
    assert data_levels(selectors, all_s3_buckets()) == (NONE, NONE)


def test_classic_lambda_selector_does_not_cover_s3_and_vice_versa() -> None:
    lam = trail(classic_sel=[classic(data=[(LAMBDA, ["arn:aws:lambda"])])])
    s3 = trail(classic_sel=[classic(data=[(S3, ["arn:aws:s3"])])])
    assert data_levels(lam, all_s3_buckets()) == (NONE, NONE)
    assert data_levels(s3, all_lambda_functions()) == (NONE, NONE)
    assert data_levels(s3, lambda_function(FN_HELLO)) == (NONE, NONE)


# -- classic selectors: Lambda --------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "target", "expected"),
    [
        ("arn:aws:lambda", all_lambda_functions(), FULL),
        ("arn:aws:lambda", lambda_function(FN_HELLO), FULL),
        (FN_HELLO, lambda_function(FN_HELLO), FULL),
        # function ARNs are exact: helloworld does not cover helloworld2
        (FN_HELLO, lambda_function(FN_HELLO2), NONE),
        (FN_HELLO2, lambda_function(FN_HELLO), NONE),
        # one function out of all of them
        (FN_HELLO, all_lambda_functions(), PARTIAL),
        # partitions matter
        ("arn:aws:lambda", all_lambda_functions("aws-us-gov"), NONE),
        ("arn:aws-us-gov:lambda", all_lambda_functions("aws-us-gov"), FULL),
        ("arn:aws-us-gov:lambda", all_lambda_functions(), NONE),
        # Lambda function names are case-sensitive (only SageMaker compares case-insensitively)
        (FN_HELLO.replace("helloworld", "HelloWorld"), lambda_function(FN_HELLO), NONE),
    ],
)
def test_classic_lambda_value(value: str, target: Target, expected: Level) -> None:
    selectors = trail(classic_sel=[classic(data=[(LAMBDA, [value])])])
    assert data_levels(selectors, target) == (expected, expected)


def test_classic_lambda_read_only_records_only_reads() -> None:
    selectors = trail(classic_sel=[classic(rw="ReadOnly", data=[(LAMBDA, ["arn:aws:lambda"])])])
    assert data_levels(selectors, lambda_function(FN_HELLO)) == (FULL, NONE)


def test_classic_selectors_cannot_record_sagemaker_endpoints() -> None:
    selectors = trail(
        classic_sel=[classic(data=[(SAGEMAKER, [EP_MY, "arn:aws:sagemaker"])])],
    )
    assert data_levels(selectors, sagemaker_endpoint(EP_MY)) == (NONE, NONE)
    assert data_levels(selectors, all_sagemaker_endpoints()) == (NONE, NONE)


# -- invalid_classic_values -----------------------------------------------------------------


def test_invalid_classic_values_reports_bucket_without_trailing_slash() -> None:
    selectors = trail(classic_sel=[classic(data=[(S3, ["arn:aws:s3:::my-bucket"])])])
    problems = invalid_classic_values(selectors)
    assert len(problems) == 1
    assert "arn:aws:s3:::my-bucket" in problems[0]


def test_invalid_classic_values_reports_each_bad_value_among_good_ones() -> None:
    selectors = trail(
        classic_sel=[
            classic(data=[(S3, ["arn:aws:s3:::good/", "arn:aws:s3:::bad-one"])]),
            classic(data=[(S3, ["arn:aws-us-gov:s3:::bad-two"])]),
        ]
    )
    problems = invalid_classic_values(selectors)
    assert len(problems) == 2
    assert any("arn:aws:s3:::bad-one" in p for p in problems)
    assert any("arn:aws-us-gov:s3:::bad-two" in p for p in problems)
    assert not any("arn:aws:s3:::good/" in p for p in problems)


@pytest.mark.parametrize(
    ("resource_type", "value"),
    [
        (S3, "arn:aws:s3"),
        (S3, "arn:aws:s3:::"),
        (S3, "arn:aws:s3:::my-bucket/"),
        (S3, "arn:aws:s3:::my-bucket/logs/"),
        (S3, "arn:aws-us-gov:s3:::my-bucket/"),
        (LAMBDA, "arn:aws:lambda"),
        (LAMBDA, FN_HELLO),
        (DYNAMODB, "arn:aws:dynamodb"),
    ],
)
def test_invalid_classic_values_accepts_valid_values(resource_type: str, value: str) -> None:
    selectors = trail(classic_sel=[classic(data=[(resource_type, [value])])])
    assert invalid_classic_values(selectors) == []


def test_invalid_classic_values_reports_type_not_allowed_in_classic_selectors() -> None:
    selectors = trail(classic_sel=[classic(data=[(SAGEMAKER, [EP_MY])])])
    problems = invalid_classic_values(selectors)
    assert len(problems) == 1
    assert SAGEMAKER in problems[0]


def test_invalid_classic_values_ignores_advanced_selectors() -> None:
    selectors = trail(advanced=[adv_data(S3, fs("resources.ARN", StartsWith=["arn:aws:s3:::my-bucket"]))])
    assert invalid_classic_values(selectors) == []


# -- advanced selectors: S3 -----------------------------------------------------------------


def test_advanced_s3_without_arn_condition_covers_every_bucket() -> None:
    selectors = trail(advanced=[adv_data(S3)])
    assert data_levels(selectors, s3_bucket("my-bucket")) == (FULL, FULL)
    assert data_levels(selectors, all_s3_buckets()) == (FULL, FULL)


@pytest.mark.parametrize(
    ("op", "values", "target", "expected"),
    [
        # whole bucket
        ("StartsWith", ["arn:aws:s3:::my-bucket/"], s3_bucket("my-bucket"), FULL),
        ("StartsWith", ["arn:aws:s3:::my-bucket/"], s3_bucket("other-bucket"), NONE),
        ("StartsWith", ["arn:aws:s3:::my-bucket/"], s3_bucket("my-bucket-logs"), NONE),
        ("StartsWith", ["arn:aws:s3:::my-bucket/"], all_s3_buckets(), PARTIAL),
        # all buckets
        ("StartsWith", ["arn:aws:s3:::"], all_s3_buckets(), FULL),
        ("StartsWith", ["arn:aws:s3:::"], s3_bucket("my-bucket"), FULL),
        # a longer prefix inside the bucket
        ("StartsWith", ["arn:aws:s3:::my-bucket/logs/"], s3_bucket("my-bucket"), PARTIAL),
        ("StartsWith", ["arn:aws:s3:::my-bucket/logs/"], s3_bucket("other-bucket"), NONE),
        # several StartsWith values: OR
        ("StartsWith", ["arn:aws:s3:::bucket-a/", "arn:aws:s3:::bucket-b/"], s3_bucket("bucket-a"), FULL),
        ("StartsWith", ["arn:aws:s3:::bucket-a/", "arn:aws:s3:::bucket-b/"], s3_bucket("bucket-b"), FULL),
        ("StartsWith", ["arn:aws:s3:::bucket-a/", "arn:aws:s3:::bucket-b/"], s3_bucket("bucket-c"), NONE),
        (
            "StartsWith",
            ["arn:aws:s3:::bucket-a/logs/", "arn:aws:s3:::bucket-a/"],
            s3_bucket("bucket-a"),
            FULL,
        ),
        # exclusion of a bucket
        ("NotStartsWith", ["arn:aws:s3:::my-bucket/"], s3_bucket("my-bucket"), NONE),
        ("NotStartsWith", ["arn:aws:s3:::my-bucket/"], s3_bucket("other-bucket"), FULL),
        ("NotStartsWith", ["arn:aws:s3:::my-bucket/"], all_s3_buckets(), PARTIAL),
        ("NotStartsWith", ["arn:aws:s3:::my-bucket/logs/"], s3_bucket("my-bucket"), PARTIAL),
        # several NotStartsWith values: every one is excluded
        ("NotStartsWith", ["arn:aws:s3:::bucket-a/", "arn:aws:s3:::bucket-b/"], s3_bucket("bucket-a"), NONE),
        ("NotStartsWith", ["arn:aws:s3:::bucket-a/", "arn:aws:s3:::bucket-b/"], s3_bucket("bucket-b"), NONE),
        ("NotStartsWith", ["arn:aws:s3:::bucket-a/", "arn:aws:s3:::bucket-b/"], s3_bucket("bucket-c"), FULL),
        # one object only
        ("Equals", ["arn:aws:s3:::my-bucket/key.txt"], s3_bucket("my-bucket"), PARTIAL),
        ("Equals", ["arn:aws:s3:::my-bucket/key.txt"], s3_bucket("other-bucket"), NONE),
        ("NotEquals", ["arn:aws:s3:::my-bucket/key.txt"], s3_bucket("my-bucket"), PARTIAL),
        ("NotEquals", ["arn:aws:s3:::my-bucket/key.txt"], s3_bucket("other-bucket"), FULL),
        # suffixes select only some objects of any bucket
        # S3 ARNs are compared case-sensitively
        ("StartsWith", ["arn:aws:s3:::My-Bucket/"], s3_bucket("my-bucket"), NONE),
        ("EndsWith", [".jpg"], s3_bucket("my-bucket"), PARTIAL),
        ("NotEndsWith", [".tmp"], s3_bucket("my-bucket"), PARTIAL),
    ],
)
def test_advanced_s3_arn_condition(op: str, values: list[str], target: Target, expected: Level) -> None:
    selectors = trail(advanced=[adv_data(S3, fs("resources.ARN", **{op: values}))])
    assert data_levels(selectors, target) == (expected, expected)


@pytest.mark.parametrize(
    ("arn_prefix", "target", "expected"),
    [
        ("arn:aws-us-gov:s3:::my-bucket/", s3_bucket("my-bucket", "aws-us-gov"), FULL),
        ("arn:aws-us-gov:s3:::my-bucket/", s3_bucket("my-bucket"), NONE),
        ("arn:aws:s3:::my-bucket/", s3_bucket("my-bucket", "aws-us-gov"), NONE),
        ("arn:aws:s3:::", all_s3_buckets("aws-us-gov"), NONE),
        ("arn:aws-us-gov:s3:::", all_s3_buckets("aws-us-gov"), FULL),
    ],
)
def test_advanced_s3_partition_must_match(arn_prefix: str, target: Target, expected: Level) -> None:
    selectors = trail(advanced=[adv_data(S3, fs("resources.ARN", StartsWith=[arn_prefix]))])
    assert data_levels(selectors, target) == (expected, expected)


@pytest.mark.parametrize(
    ("read_only", "expected"),
    [
        (None, (FULL, FULL)),  # absent: both directions
        (["true"], (FULL, NONE)),
        (["false"], (NONE, FULL)),
    ],
)
def test_advanced_read_only_condition_selects_direction(
    read_only: list[str] | None, expected: tuple[Level, Level]
) -> None:
    extra = [fs("readOnly", Equals=read_only)] if read_only is not None else []
    selectors = trail(
        advanced=[adv_data(S3, fs("resources.ARN", StartsWith=["arn:aws:s3:::my-bucket/"]), *extra)]
    )
    assert data_levels(selectors, s3_bucket("my-bucket")) == expected


def test_advanced_read_and_write_selectors_together_cover_both_directions() -> None:
    arn = fs("resources.ARN", StartsWith=["arn:aws:s3:::my-bucket/"])
    selectors = trail(
        advanced=[
            adv_data(S3, arn, fs("readOnly", Equals=["true"])),
            adv_data(S3, arn, fs("readOnly", Equals=["false"])),
        ]
    )
    assert data_levels(selectors, s3_bucket("my-bucket")) == (FULL, FULL)


def test_advanced_selectors_are_ored_across_buckets() -> None:
    selectors = trail(
        advanced=[
            adv_data(S3, fs("resources.ARN", StartsWith=["arn:aws:s3:::bucket-a/"])),
            adv_data(S3, fs("resources.ARN", StartsWith=["arn:aws:s3:::bucket-b/"])),
        ]
    )
    assert data_levels(selectors, s3_bucket("bucket-a")) == (FULL, FULL)
    assert data_levels(selectors, s3_bucket("bucket-b")) == (FULL, FULL)
    assert data_levels(selectors, s3_bucket("bucket-c")) == (NONE, NONE)


def test_advanced_partial_selector_ored_with_full_selector_is_full() -> None:
    selectors = trail(
        advanced=[
            adv_data(S3, fs("resources.ARN", StartsWith=["arn:aws:s3:::my-bucket/logs/"])),
            adv_data(S3, fs("resources.ARN", StartsWith=["arn:aws:s3:::my-bucket/"])),
        ]
    )
    assert data_levels(selectors, s3_bucket("my-bucket")) == (FULL, FULL)


def test_advanced_conditions_are_anded_bucket_minus_a_prefix_is_partial() -> None:
    selectors = trail(
        advanced=[
            adv_data(
                S3,
                fs("resources.ARN", StartsWith=["arn:aws:s3:::my-bucket/"]),
                fs("resources.ARN", NotStartsWith=["arn:aws:s3:::my-bucket/tmp/"]),
            )
        ]
    )
    assert data_levels(selectors, s3_bucket("my-bucket")) == (PARTIAL, PARTIAL)
    assert data_levels(selectors, s3_bucket("other-bucket")) == (NONE, NONE)


def test_advanced_conditions_are_anded_two_operators_in_one_field_selector() -> None:
    selectors = trail(
        advanced=[
            adv_data(
                S3,
                fs(
                    "resources.ARN",
                    StartsWith=["arn:aws:s3:::my-bucket/"],
                    NotStartsWith=["arn:aws:s3:::my-bucket/tmp/"],
                ),
            )
        ]
    )
    assert data_levels(selectors, s3_bucket("my-bucket")) == (PARTIAL, PARTIAL)


def test_advanced_conditions_are_anded_disjoint_buckets_cover_nothing() -> None:
    selectors = trail(
        advanced=[
            adv_data(
                S3,
                fs("resources.ARN", StartsWith=["arn:aws:s3:::bucket-a/"]),
                fs("resources.ARN", StartsWith=["arn:aws:s3:::bucket-b/"]),
            )
        ]
    )
    assert data_levels(selectors, s3_bucket("bucket-a")) == (NONE, NONE)
    assert data_levels(selectors, s3_bucket("bucket-b")) == (NONE, NONE)


@pytest.mark.parametrize(
    ("first", "second", "target"),
    [
        ("arn:aws:s3:::bucket-a/", "arn:aws:s3:::bucket-b/", all_s3_buckets()),
        ("arn:aws:s3:::my-bucket/x/", "arn:aws:s3:::my-bucket/y/", s3_bucket("my-bucket")),
    ],
    ids=["two-buckets-vs-all-buckets", "two-prefixes-vs-one-bucket"],
)
def test_advanced_contradictory_arn_conditions_record_nothing(
    first: str, second: str, target: Target
) -> None:
    selectors = trail(
        advanced=[
            adv_data(
                S3,
                fs("resources.ARN", StartsWith=[first]),
                fs("resources.ARN", StartsWith=[second]),
            )
        ]
    )
    assert data_levels(selectors, target) == (NONE, NONE)


def test_advanced_exclusion_of_one_bucket_still_covers_the_others() -> None:
    selectors = trail(
        advanced=[
            adv_data(
                S3,
                fs("resources.ARN", StartsWith=["arn:aws:s3:::"]),
                fs("resources.ARN", NotStartsWith=["arn:aws:s3:::excluded-bucket/"]),
            )
        ]
    )
    assert data_levels(selectors, s3_bucket("excluded-bucket")) == (NONE, NONE)
    assert data_levels(selectors, s3_bucket("my-bucket")) == (FULL, FULL)
    assert data_levels(selectors, all_s3_buckets()) == (PARTIAL, PARTIAL)


@pytest.mark.parametrize(
    "narrowing",
    [
        fs("eventName", Equals=["PutObject"]),
        fs("eventName", NotEquals=["GetObject"]),
        fs("userIdentity.arn", NotStartsWith=[f"arn:aws:iam::{ACCOUNT}:role/batch"]),
        fs("userIdentity.arn", Equals=[f"arn:aws:iam::{ACCOUNT}:role/admin"]),
        fs("errorCode", Equals=["AccessDenied"]),
        fs("eventSource", Equals=["s3.amazonaws.com"]),
    ],
    ids=lambda f: f"{f['Field']}-{next(k for k in f if k != 'Field')}",
)
def test_advanced_data_other_narrowing_field_makes_coverage_partial(narrowing: dict[str, Any]) -> None:
    selectors = trail(
        advanced=[adv_data(S3, fs("resources.ARN", StartsWith=["arn:aws:s3:::my-bucket/"]), narrowing)]
    )
    assert data_levels(selectors, s3_bucket("my-bucket")) == (PARTIAL, PARTIAL)


def test_advanced_data_narrowing_field_does_not_raise_an_uncovered_bucket() -> None:
    selectors = trail(
        advanced=[
            adv_data(
                S3,
                fs("resources.ARN", StartsWith=["arn:aws:s3:::my-bucket/"]),
                fs("eventName", Equals=["PutObject"]),
            )
        ]
    )
    assert data_levels(selectors, s3_bucket("other-bucket")) == (NONE, NONE)


@pytest.mark.parametrize(
    "name", [None, "", "Exclude everything", "No data events", "Log nothing", "only bucket-x"]
)
def test_advanced_selector_name_never_matters_for_data(name: str | None) -> None:
    selectors = trail(advanced=[adv_data(S3, name=name)])
    assert data_levels(selectors, s3_bucket("my-bucket")) == (FULL, FULL)


@pytest.mark.parametrize("other_type", [LAMBDA, DYNAMODB, SAGEMAKER, "AWS::S3Outposts::Object"])
def test_advanced_selector_of_another_resource_type_does_not_cover_s3(other_type: str) -> None:
    selectors = trail(advanced=[adv_data(other_type)])
    assert data_levels(selectors, s3_bucket("my-bucket")) == (NONE, NONE)
    assert data_levels(selectors, all_s3_buckets()) == (NONE, NONE)


def test_advanced_management_selector_does_not_record_data_events() -> None:
    selectors = trail(advanced=[adv_mgmt()])
    assert data_levels(selectors, s3_bucket("my-bucket")) == (NONE, NONE)
    assert data_levels(selectors, all_lambda_functions()) == (NONE, NONE)


def test_advanced_data_selector_without_resources_type_is_not_full_coverage() -> None:
    # resources.type is required for data selectors; such a selector cannot log "everything".
    selectors = trail(advanced=[adv(fs("eventCategory", Equals=["Data"]))])
    cov = data_coverage(selectors, s3_bucket("my-bucket"))
    assert cov.read.level != FULL
    assert cov.write.level != FULL


def test_classic_and_advanced_data_coverage_combine() -> None:
    # CloudTrail does not allow both kinds on one trail, but if both are given neither is lost.
    selectors = trail(
        classic_sel=[classic(rw="ReadOnly", data=[(S3, ["arn:aws:s3:::my-bucket/"])])],
        advanced=[adv_data(S3, fs("readOnly", Equals=["false"]))],
    )
    assert data_levels(selectors, s3_bucket("my-bucket")) == (FULL, FULL)


# -- advanced selectors: Lambda -------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "values", "target", "expected"),
    [
        ("Equals", [FN_HELLO], lambda_function(FN_HELLO), FULL),
        ("Equals", [FN_HELLO], lambda_function(FN_HELLO2), NONE),
        ("Equals", [FN_HELLO, FN_HELLO2], lambda_function(FN_HELLO2), FULL),
        ("Equals", [FN_HELLO], all_lambda_functions(), PARTIAL),
        ("NotEquals", [FN_HELLO], lambda_function(FN_HELLO), NONE),
        ("NotEquals", [FN_HELLO], lambda_function(FN_HELLO2), FULL),
        ("NotEquals", [FN_HELLO, FN_HELLO2], lambda_function(FN_HELLO2), NONE),
        ("NotEquals", [FN_HELLO], all_lambda_functions(), PARTIAL),
        ("StartsWith", ["arn:aws:lambda"], all_lambda_functions(), FULL),
        (
            "StartsWith",
            [f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:hello"],
            lambda_function(FN_HELLO2),
            FULL,
        ),
        ("StartsWith", [f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:"], lambda_function(FN_HELLO), NONE),
        (
            "NotStartsWith",
            [f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:hello"],
            lambda_function(FN_HELLO),
            NONE,
        ),
        ("EndsWith", [":function:helloworld"], lambda_function(FN_HELLO), FULL),
        ("EndsWith", [":function:helloworld"], lambda_function(FN_HELLO2), NONE),
        ("NotEndsWith", ["helloworld"], lambda_function(FN_HELLO), NONE),
        ("NotEndsWith", ["helloworld"], lambda_function(FN_HELLO2), FULL),
    ],
)
def test_advanced_lambda_arn_condition(op: str, values: list[str], target: Target, expected: Level) -> None:
    selectors = trail(advanced=[adv_data(LAMBDA, fs("resources.ARN", **{op: values}))])
    assert data_levels(selectors, target) == (expected, expected)


def test_advanced_lambda_without_arn_condition_covers_all_functions() -> None:
    selectors = trail(advanced=[adv_data(LAMBDA)])
    assert data_levels(selectors, all_lambda_functions()) == (FULL, FULL)
    assert data_levels(selectors, lambda_function(FN_HELLO)) == (FULL, FULL)


# -- advanced selectors: SageMaker endpoints ------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "target", "expected"),
    [
        ([], sagemaker_endpoint(EP_MY), (FULL, FULL)),
        ([], all_sagemaker_endpoints(), (FULL, FULL)),
        ([fs("resources.ARN", Equals=[EP_MY])], sagemaker_endpoint(EP_MY), (FULL, FULL)),
        ([fs("resources.ARN", Equals=[EP_MY])], sagemaker_endpoint(EP_OTHER), (NONE, NONE)),
        ([fs("resources.ARN", Equals=[EP_MY])], all_sagemaker_endpoints(), (PARTIAL, PARTIAL)),
        ([fs("resources.ARN", NotEquals=[EP_MY])], sagemaker_endpoint(EP_MY), (NONE, NONE)),
        ([fs("resources.ARN", NotEquals=[EP_MY])], sagemaker_endpoint(EP_OTHER), (FULL, FULL)),
        ([fs("resources.ARN", StartsWith=["arn:aws:sagemaker:"])], all_sagemaker_endpoints(), (FULL, FULL)),
        ([fs("readOnly", Equals=["true"])], sagemaker_endpoint(EP_MY), (FULL, NONE)),
        ([fs("readOnly", Equals=["false"])], sagemaker_endpoint(EP_MY), (NONE, FULL)),
        ([fs("eventName", Equals=["InvokeEndpoint"])], sagemaker_endpoint(EP_MY), (PARTIAL, PARTIAL)),
    ],
)
def test_advanced_sagemaker_endpoint(
    fields: list[dict[str, Any]], target: Target, expected: tuple[Level, Level]
) -> None:
    selectors = trail(advanced=[adv_data(SAGEMAKER, *fields)])
    assert data_levels(selectors, target) == expected


@pytest.mark.parametrize(
    ("op", "selector_value", "endpoint_arn", "expected"),
    [
        # SageMaker lower-cases endpoint names: compare case-insensitively
        ("Equals", f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/My-Endpoint", EP_MY, FULL),
        ("Equals", EP_MY, f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/My-Endpoint", FULL),
        ("StartsWith", f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/MY-", EP_MY, FULL),
        ("NotEquals", f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/MY-ENDPOINT", EP_MY, NONE),
        ("Equals", f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/Other-Endpoint", EP_MY, NONE),
    ],
)
def test_advanced_sagemaker_arn_compared_case_insensitively(
    op: str, selector_value: str, endpoint_arn: str, expected: Level
) -> None:
    selectors = trail(advanced=[adv_data(SAGEMAKER, fs("resources.ARN", **{op: [selector_value]}))])
    assert data_levels(selectors, sagemaker_endpoint(endpoint_arn)) == (expected, expected)


def test_s3_or_lambda_selectors_do_not_cover_sagemaker_endpoints() -> None:
    selectors = trail(advanced=[adv_data(S3), adv_data(LAMBDA)])
    assert data_levels(selectors, sagemaker_endpoint(EP_MY)) == (NONE, NONE)
    assert data_levels(selectors, all_sagemaker_endpoints()) == (NONE, NONE)


def test_sagemaker_selector_does_not_cover_s3_or_lambda() -> None:
    selectors = trail(advanced=[adv_data(SAGEMAKER)])
    assert data_levels(selectors, s3_bucket("my-bucket")) == (NONE, NONE)
    assert data_levels(selectors, all_lambda_functions()) == (NONE, NONE)


# -- management events ----------------------------------------------------------------------


def test_no_selectors_is_cloudtrail_default_all_management_events() -> None:
    cov = management_coverage(trail())
    assert levels(cov) == (FULL, FULL)
    assert not cov.read.exclusion_only
    assert not cov.write.exclusion_only


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        (classic(), (FULL, FULL)),  # IncludeManagementEvents defaults to true, ReadWriteType to All
        (classic(mgmt=True), (FULL, FULL)),
        (classic(rw="All", mgmt=True), (FULL, FULL)),
        (classic(rw="ReadOnly"), (FULL, NONE)),
        (classic(rw="WriteOnly"), (NONE, FULL)),
        (classic(mgmt=False), (NONE, NONE)),
        (classic(rw="All", mgmt=False), (NONE, NONE)),
        (classic(rw="ReadOnly", mgmt=False), (NONE, NONE)),
        # a data-only classic selector still records management events by default
        (classic(data=[(S3, ["arn:aws:s3"])]), (FULL, FULL)),
        (classic(mgmt=False, data=[(S3, ["arn:aws:s3"])]), (NONE, NONE)),
        (classic(exclude=[]), (FULL, FULL)),
    ],
)
def test_classic_management_coverage(selector: dict[str, Any], expected: tuple[Level, Level]) -> None:
    assert levels(management_coverage(trail(classic_sel=[selector]))) == expected


@pytest.mark.parametrize(
    "excluded",
    [["kms.amazonaws.com"], ["rdsdata.amazonaws.com"], ["kms.amazonaws.com", "rdsdata.amazonaws.com"]],
)
def test_classic_excluded_management_sources_is_partial_exclusion_only(excluded: list[str]) -> None:
    cov = management_coverage(trail(classic_sel=[classic(exclude=excluded)]))
    assert levels(cov) == (PARTIAL, PARTIAL)
    assert cov.read.exclusion_only
    assert cov.write.exclusion_only


def test_classic_excluded_sources_with_read_only_is_partial_read_none_write() -> None:
    cov = management_coverage(trail(classic_sel=[classic(rw="ReadOnly", exclude=["kms.amazonaws.com"])]))
    assert levels(cov) == (PARTIAL, NONE)
    assert cov.read.exclusion_only


def test_classic_read_only_and_write_only_selectors_cover_all_management_events() -> None:
    cov = management_coverage(trail(classic_sel=[classic(rw="ReadOnly"), classic(rw="WriteOnly")]))
    assert levels(cov) == (FULL, FULL)
    assert cov.level == FULL


def test_classic_excluding_selector_ored_with_full_selector_is_full() -> None:
    cov = management_coverage(trail(classic_sel=[classic(exclude=["kms.amazonaws.com"]), classic(rw="All")]))
    assert levels(cov) == (FULL, FULL)


def test_classic_only_selector_without_management_then_one_with_it() -> None:
    cov = management_coverage(
        trail(classic_sel=[classic(mgmt=False, data=[(S3, ["arn:aws:s3"])]), classic(rw="WriteOnly")])
    )
    assert levels(cov) == (NONE, FULL)


@pytest.mark.parametrize(
    "name", [None, "", "Log everything except nothing", "Exclude all management events", "read only"]
)
def test_advanced_management_selector_is_full_whatever_its_name(name: str | None) -> None:
    cov = management_coverage(trail(advanced=[adv_mgmt(name=name)]))
    assert levels(cov) == (FULL, FULL)


@pytest.mark.parametrize(
    ("read_only", "expected"),
    [
        (["true"], (FULL, NONE)),
        (["false"], (NONE, FULL)),
    ],
)
def test_advanced_management_read_only_condition(read_only: list[str], expected: tuple[Level, Level]) -> None:
    cov = management_coverage(trail(advanced=[adv_mgmt(fs("readOnly", Equals=read_only))]))
    assert levels(cov) == expected


def test_advanced_management_read_and_write_selectors_cover_both() -> None:
    cov = management_coverage(
        trail(
            advanced=[
                adv_mgmt(fs("readOnly", Equals=["true"])),
                adv_mgmt(fs("readOnly", Equals=["false"])),
            ]
        )
    )
    assert levels(cov) == (FULL, FULL)


@pytest.mark.parametrize(
    "excluded",
    [["kms.amazonaws.com"], ["rdsdata.amazonaws.com"], ["kms.amazonaws.com", "rdsdata.amazonaws.com"]],
)
def test_advanced_management_excluded_event_source_is_partial_exclusion_only(excluded: list[str]) -> None:
    cov = management_coverage(trail(advanced=[adv_mgmt(fs("eventSource", NotEquals=excluded))]))
    assert levels(cov) == (PARTIAL, PARTIAL)
    assert cov.read.exclusion_only
    assert cov.write.exclusion_only


@pytest.mark.parametrize(
    "narrowing",
    [
        fs("eventName", Equals=["ConsoleLogin"]),
        fs("eventName", NotEquals=["DescribeInstances"]),
        fs("userIdentity.arn", NotStartsWith=[f"arn:aws:iam::{ACCOUNT}:role/batch"]),
        fs("userIdentity.arn", Equals=[f"arn:aws:iam::{ACCOUNT}:role/admin"]),
    ],
    ids=lambda f: f"{f['Field']}-{next(k for k in f if k != 'Field')}",
)
def test_advanced_management_narrowing_is_partial_not_exclusion_only(narrowing: dict[str, Any]) -> None:
    cov = management_coverage(trail(advanced=[adv_mgmt(narrowing)]))
    assert levels(cov) == (PARTIAL, PARTIAL)
    assert not cov.read.exclusion_only
    assert not cov.write.exclusion_only


def test_advanced_management_exclusion_plus_narrowing_is_not_exclusion_only() -> None:
    cov = management_coverage(
        trail(
            advanced=[
                adv_mgmt(
                    fs("eventSource", NotEquals=["kms.amazonaws.com"]),
                    fs("eventName", NotEquals=["ConsoleLogin"]),
                )
            ]
        )
    )
    assert levels(cov) == (PARTIAL, PARTIAL)
    assert not cov.read.exclusion_only
    assert not cov.write.exclusion_only


def test_advanced_management_read_only_with_excluded_source_is_partial_read_no_write() -> None:
    cov = management_coverage(
        trail(
            advanced=[
                adv_mgmt(fs("readOnly", Equals=["true"]), fs("eventSource", NotEquals=["kms.amazonaws.com"]))
            ]
        )
    )
    assert levels(cov) == (PARTIAL, NONE)
    assert cov.read.exclusion_only


def test_advanced_management_excluding_selector_ored_with_narrow_selector_stays_exclusion_only() -> None:
    # The union records at least "everything but kms": the only gap is still the exclusion.
    cov = management_coverage(
        trail(
            advanced=[
                adv_mgmt(fs("eventSource", NotEquals=["kms.amazonaws.com"])),
                adv_mgmt(fs("eventName", Equals=["ConsoleLogin"])),
            ]
        )
    )
    assert levels(cov) == (PARTIAL, PARTIAL)
    assert cov.read.exclusion_only
    assert cov.write.exclusion_only


def test_advanced_management_two_narrow_selectors_are_not_exclusion_only() -> None:
    cov = management_coverage(
        trail(
            advanced=[
                adv_mgmt(fs("eventName", Equals=["ConsoleLogin"])),
                adv_mgmt(fs("userIdentity.arn", StartsWith=[f"arn:aws:iam::{ACCOUNT}:role/"])),
            ]
        )
    )
    assert levels(cov) == (PARTIAL, PARTIAL)
    assert not cov.read.exclusion_only
    assert not cov.write.exclusion_only


def test_classic_management_full_selector_is_not_exclusion_only() -> None:
    cov = management_coverage(trail(classic_sel=[classic()]))
    assert levels(cov) == (FULL, FULL)
    assert not cov.read.exclusion_only


def test_classic_excluded_sources_without_management_events_records_none() -> None:
    cov = management_coverage(trail(classic_sel=[classic(mgmt=False, exclude=["kms.amazonaws.com"])]))
    assert levels(cov) == (NONE, NONE)


def test_advanced_management_full_selector_ored_with_excluding_selector_is_full() -> None:
    cov = management_coverage(
        trail(advanced=[adv_mgmt(fs("eventSource", NotEquals=["kms.amazonaws.com"])), adv_mgmt()])
    )
    assert levels(cov) == (FULL, FULL)


def test_advanced_data_only_selectors_record_no_management_events() -> None:
    cov = management_coverage(trail(advanced=[adv_data(S3), adv_data(LAMBDA)]))
    assert levels(cov) == (NONE, NONE)


def test_advanced_selector_without_event_category_is_not_management_coverage() -> None:
    # eventCategory is required; a selector without it cannot be a management selector.
    cov = management_coverage(trail(advanced=[adv(fs("readOnly", Equals=["true"]))]))
    assert cov.read.level != FULL
    assert cov.write.level != FULL


# -- from_properties ------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["EventSelectors", "AdvancedEventSelectors"])
def test_from_properties_returns_the_given_unknown(key: str) -> None:
    unknown = Unknown("AccessDenied on cloudtrail:GetEventSelectors")
    result = TrailSelectors.from_properties({key: unknown})
    assert result is unknown


def test_from_properties_unknown_with_other_list_present_is_still_unknown() -> None:
    unknown = Unknown("could not read advanced selectors")
    result = TrailSelectors.from_properties(
        {"EventSelectors": [classic()], "AdvancedEventSelectors": unknown}
    )
    assert result is unknown


def test_from_properties_without_selectors_is_the_default_trail() -> None:
    result = TrailSelectors.from_properties({"Name": "my-trail"})
    assert isinstance(result, TrailSelectors)
    assert levels(management_coverage(result)) == (FULL, FULL)
    assert data_levels(result, s3_bucket("my-bucket")) == (NONE, NONE)


def test_from_properties_reads_classic_selectors() -> None:
    props = {"EventSelectors": [classic(rw="WriteOnly", data=[(S3, ["arn:aws:s3:::my-bucket/"])])]}
    result = TrailSelectors.from_properties(props)
    assert isinstance(result, TrailSelectors)
    assert data_levels(result, s3_bucket("my-bucket")) == (NONE, FULL)
    assert levels(management_coverage(result)) == (NONE, FULL)


def test_from_properties_reads_advanced_selectors() -> None:
    props = {
        "AdvancedEventSelectors": [
            adv_mgmt(name="Management events"),
            adv_data(S3, fs("resources.ARN", StartsWith=["arn:aws:s3:::my-bucket/"])),
        ]
    }
    result = TrailSelectors.from_properties(props)
    assert isinstance(result, TrailSelectors)
    assert levels(management_coverage(result)) == (FULL, FULL)
    assert data_levels(result, s3_bucket("my-bucket")) == (FULL, FULL)
    assert data_levels(result, s3_bucket("other-bucket")) == (NONE, NONE)


# -- data_types -----------------------------------------------------------------------------


def test_data_types_empty_without_data_selectors() -> None:
    assert data_types(trail()) == []
    assert data_types(trail(classic_sel=[classic()])) == []
    assert data_types(trail(advanced=[adv_mgmt()])) == []


def test_data_types_lists_classic_types() -> None:
    selectors = trail(
        classic_sel=[
            classic(data=[(S3, ["arn:aws:s3"]), (LAMBDA, ["arn:aws:lambda"])]),
            classic(data=[(S3, ["arn:aws:s3:::my-bucket/"])]),
        ]
    )
    result = data_types(selectors)
    assert sorted(result) == [LAMBDA, S3]
    assert len(result) == len(set(result))


def test_data_types_lists_advanced_data_types_only() -> None:
    selectors = trail(advanced=[adv_mgmt(), adv_data(SAGEMAKER), adv_data(S3), adv_data(S3)])
    result = data_types(selectors)
    assert sorted(result) == [S3, SAGEMAKER]
    assert len(result) == len(set(result))


def test_data_types_lists_both_kinds_together() -> None:
    selectors = trail(
        classic_sel=[classic(data=[(DYNAMODB, ["arn:aws:dynamodb"])])],
        advanced=[adv_data(LAMBDA)],
    )
    assert sorted(data_types(selectors)) == [DYNAMODB, LAMBDA]


# -- added after review: values the matcher cannot interpret are UNKNOWN, never a guess ------


def test_unrecognised_read_write_type_is_unknown_not_silently_none():
    sel = TrailSelectors(
        classic=(
            {
                "ReadWriteType": "Sometimes",
                "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}],
            },
        )
    )
    cov = data_coverage(sel, s3_bucket("b"))
    assert (cov.read.level, cov.write.level) == (Level.UNKNOWN, Level.UNKNOWN)
    mgmt = management_coverage(sel)
    assert (mgmt.read.level, mgmt.write.level) == (Level.UNKNOWN, Level.UNKNOWN)


@pytest.mark.parametrize(
    ("flag", "level"),
    [("false", Level.NONE), ("False", Level.NONE), ("true", Level.FULL), ("maybe", Level.UNKNOWN)],
)
def test_include_management_events_spelled_as_string(flag, level):
    cov = management_coverage(TrailSelectors(classic=({"IncludeManagementEvents": flag},)))
    assert cov.read.level == level and cov.write.level == level


# -- added after review: the union of several selectors is worked out, not approximated -----

NOISY = "arn:aws:s3:::noisy/"


def _adv(name, *fields):
    return {
        "Name": name,
        "FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Data"]},
            {"Field": "resources.type", "Equals": [S3]},
            *fields,
        ],
    }


def test_two_selectors_that_together_record_every_bucket_are_full():
    sel = TrailSelectors(
        advanced=(
            _adv(
                "noisy writes",
                {"Field": "resources.ARN", "StartsWith": [NOISY]},
                {"Field": "readOnly", "Equals": ["false"]},
            ),
            _adv("all but noisy", {"Field": "resources.ARN", "NotStartsWith": [NOISY]}),
        )
    )
    cov = data_coverage(sel, all_s3_buckets())
    assert cov.write.level == Level.FULL
    assert cov.read.level == Level.PARTIAL  # reads of the noisy bucket are not recorded
    assert data_coverage(sel, s3_bucket("noisy")).write.level == Level.FULL


def test_two_prefixes_of_one_bucket_stay_partial():
    sel = TrailSelectors(
        classic=(
            {
                "DataResources": [
                    {"Type": S3, "Values": ["arn:aws:s3:::data/raw/", "arn:aws:s3:::data/curated/"]}
                ]
            },
        )
    )
    assert data_coverage(sel, s3_bucket("data")).write.level == Level.PARTIAL


def test_classic_bucket_prefixes_and_an_exclusion_can_add_up():
    sel = TrailSelectors(
        classic=({"DataResources": [{"Type": S3, "Values": [NOISY]}]},),
        advanced=(_adv("rest", {"Field": "resources.ARN", "NotStartsWith": [NOISY]}),),
    )
    assert data_coverage(sel, all_s3_buckets()).level == Level.FULL


def test_partial_selectors_whose_union_cannot_be_proven_are_unknown():
    sel = TrailSelectors(
        advanced=(
            _adv("puts", {"Field": "eventName", "Equals": ["PutObject"]}),
            _adv("the rest", {"Field": "eventName", "NotEquals": ["PutObject"]}),
        )
    )
    assert data_coverage(sel, s3_bucket("b")).write.level == Level.UNKNOWN


def test_one_narrowed_selector_alone_is_partial():
    sel = TrailSelectors(advanced=(_adv("puts", {"Field": "eventName", "Equals": ["PutObject"]}),))
    assert data_coverage(sel, s3_bucket("b")).write.level == Level.PARTIAL


@pytest.mark.parametrize(
    "selectors",
    [
        TrailSelectors(classic=({"DataResources": [{"Type": S3, "Values": Unknown("var.buckets")}]},)),
        TrailSelectors(classic=({"DataResources": {"Type": S3, "Values": ["arn:aws:s3"]}},)),
        TrailSelectors(classic=({"DataResources": [{"Type": S3, "Values": [Unknown("var.bucket")]}]},)),
        TrailSelectors(advanced=(_adv("x", {"Field": "resources.ARN", "StartsWith": Unknown("var.p")}),)),
        TrailSelectors(advanced=("not a selector",)),
    ],
    ids=["values-unknown", "data-resources-dict", "unknown-inside-list", "advanced-unknown", "advanced-str"],
)
def test_unresolved_or_malformed_selectors_are_unknown_never_a_crash(selectors):
    cov = data_coverage(selectors, s3_bucket("b"))
    assert cov.read.level == Level.UNKNOWN and cov.write.level == Level.UNKNOWN
    mgmt = management_coverage(selectors)
    if selectors.classic:  # an unresolved bucket list says nothing about management events
        assert (mgmt.read.level, mgmt.write.level) == (Level.FULL, Level.FULL)
    else:
        assert Level.UNKNOWN in (mgmt.read.level, mgmt.write.level)


def test_unresolved_management_flag_is_unknown():
    sel = TrailSelectors(classic=({"ReadWriteType": Unknown("var.rw")},))
    assert management_coverage(sel).read.level == Level.UNKNOWN
