"""DE001/DE002 on the emulator: classic and advanced S3 selectors, read/write, partial coverage."""

import pytest

from testkit import (
    ACCOUNT,
    bucket,
    by_resource,
    data_selector,
    inject_error,
    live_scan,
    management_selector,
    one,
    trail,
)

S3 = "AWS::S3::Object"


def _arn(name):
    return f"arn:aws:s3:::{name}"


def _classic(values, rw="All"):
    return [
        {
            "ReadWriteType": rw,
            "IncludeManagementEvents": True,
            "DataResources": [{"Type": S3, "Values": values}],
        }
    ]


@pytest.mark.parametrize("all_buckets", ["arn:aws:s3", "arn:aws:s3:::"])
def test_all_buckets_classic_value_covers_account_and_every_bucket(aws, all_buckets):
    bucket(aws, "training-data")
    trail(aws, "main", bucket_name="trail-logs", classic=_classic([all_buckets]))
    outcome = live_scan(aws, "DE001", "DE002")
    for rule_id in ("DE001", "DE002"):
        statuses = by_resource(outcome, rule_id)
        assert statuses == {ACCOUNT: "pass", _arn("training-data"): "pass", _arn("trail-logs"): "pass"}, (
            rule_id
        )


def test_whole_bucket_classic_value_covers_that_bucket_only(aws):
    bucket(aws, "training-data")
    bucket(aws, "other-data")
    trail(aws, "main", bucket_name="trail-logs", classic=_classic(["arn:aws:s3:::training-data/"]))
    statuses = by_resource(live_scan(aws, "DE001"), "DE001")
    assert statuses[_arn("training-data")] == "pass"
    assert statuses[_arn("other-data")] == "fail"
    assert statuses[ACCOUNT] == "fail"  # not all buckets, now and later


def test_advanced_starts_with_bucket_prefix_covers_the_bucket(aws):
    bucket(aws, "training-data")
    trail(
        aws,
        "main",
        advanced=[management_selector(), data_selector(S3, arn_starts_with=["arn:aws:s3:::training-data/"])],
    )
    assert one(live_scan(aws, "DE001"), "DE001", _arn("training-data")).status == "pass"


def test_prefix_only_selector_is_partial_and_fails(aws):
    bucket(aws, "training-data")
    trail(aws, "main", classic=_classic(["arn:aws:s3:::training-data/raw/"]))
    result = one(live_scan(aws, "DE001"), "DE001", _arn("training-data"))
    assert result.status == "fail"
    assert "partially" in result.message
    assert result.evidence["coverage"] == "partial"


def test_read_only_selector_covers_reads_not_writes(aws):
    bucket(aws, "training-data")
    trail(aws, "main", classic=_classic(["arn:aws:s3"], rw="ReadOnly"))
    outcome = live_scan(aws, "DE001", "DE002")
    assert one(outcome, "DE002", _arn("training-data")).status == "pass"
    assert one(outcome, "DE001", _arn("training-data")).status == "fail"


def test_advanced_read_only_false_covers_writes_only(aws):
    bucket(aws, "training-data")
    trail(aws, "main", advanced=[data_selector(S3, read_only="false")])
    outcome = live_scan(aws, "DE001", "DE002")
    assert one(outcome, "DE001", ACCOUNT).status == "pass"
    assert one(outcome, "DE002", ACCOUNT).status == "fail"


def test_not_starts_with_excludes_a_bucket(aws):
    bucket(aws, "training-data")
    bucket(aws, "noisy-logs")
    trail(aws, "main", advanced=[data_selector(S3, arn_not_starts_with=["arn:aws:s3:::noisy-logs/"])])
    statuses = by_resource(live_scan(aws, "DE001"), "DE001")
    assert statuses[_arn("training-data")] == "pass"
    assert statuses[_arn("noisy-logs")] == "fail"
    assert statuses[ACCOUNT] == "fail"


def test_event_name_condition_makes_coverage_partial(aws):
    bucket(aws, "training-data")
    trail(aws, "main", advanced=[data_selector(S3, extra={"eventName": {"Equals": ["PutObject"]}})])
    assert one(live_scan(aws, "DE001"), "DE001", _arn("training-data")).status == "fail"


def test_stopped_or_single_region_trail_gives_no_account_coverage(aws):
    trail(aws, "stopped", logging=False, classic=_classic(["arn:aws:s3"]))
    trail(aws, "regional", multi_region=False, classic=_classic(["arn:aws:s3"]))
    assert one(live_scan(aws, "DE001"), "DE001", ACCOUNT).status == "fail"


def test_single_region_trail_covers_buckets_of_its_region(aws):
    bucket(aws, "us-data")
    bucket(aws, "eu-data", region="eu-west-1")
    trail(aws, "regional", multi_region=False, classic=_classic(["arn:aws:s3"]))
    outcome = live_scan(aws, "DE001")
    statuses = by_resource(outcome, "DE001")
    assert statuses[_arn("us-data")] == "pass"
    assert statuses[_arn("eu-data")] == "fail"
    # The emulator's ListBuckets has no BucketRegion: one GetBucketLocation per bucket.
    assert outcome.api_calls["s3:GetBucketLocation"] == 3


def test_bucket_of_unknown_region_and_single_region_trail_is_unknown(aws):
    bucket(aws, "data")
    trail(aws, "regional", multi_region=False, classic=_classic(["arn:aws:s3"]))
    inject_error(aws, "GetBucketLocation", "AccessDenied")
    result = one(live_scan(aws, "DE001"), "DE001", _arn("data"))
    assert result.status == "unknown"
    assert "region" in result.message


def test_bucket_in_a_region_that_was_not_scanned_is_unknown(aws):
    bucket(aws, "mumbai-data", region="ap-south-1")
    trail(aws, "main", classic=_classic(["arn:aws:s3:::other/"]))
    result = one(live_scan(aws, "DE001", regions=["us-east-1"]), "DE001", _arn("mumbai-data"))
    assert result.status == "unknown"
    assert "ap-south-1 was not scanned" in result.message


def test_multi_region_coverage_decides_even_for_unscanned_regions(aws):
    bucket(aws, "mumbai-data", region="ap-south-1")
    trail(aws, "main", classic=_classic(["arn:aws:s3"]))
    assert one(live_scan(aws, "DE001", regions=["us-east-1"]), "DE001", _arn("mumbai-data")).status == "pass"


def test_unreadable_selectors_are_unknown(aws):
    bucket(aws, "training-data")
    trail(aws, "main", classic=_classic(["arn:aws:s3"]))
    inject_error(aws, "GetEventSelectors", "AccessDeniedException")
    outcome = live_scan(aws, "DE001")
    assert set(by_resource(outcome, "DE001").values()) == {"unknown"}


def test_buckets_unlistable_is_unknown(aws):
    trail(aws, "main", classic=_classic(["arn:aws:s3:::some-bucket/"]))
    inject_error(aws, "ListBuckets", "AccessDenied")
    outcome = live_scan(aws, "DE001")
    statuses = sorted((r.resource.id, r.status.value) for r in outcome.results)
    # The account-wide verdict comes from the trails alone; the buckets are unknown.
    assert statuses == [(ACCOUNT, "fail"), (ACCOUNT, "unknown")]
    gap = next(r for r in outcome.results if r.status == "unknown")
    assert "could not be listed" in gap.message and "AccessDenied" in gap.message
