import pytest

from testkit import inject_error, live_scan, management_selector, one, trail

CI_ROLE = "arn:aws:sts::123456789012:assumed-role/ci"


def _mgmt(*conditions):
    """An advanced Management selector with extra field conditions."""
    return {
        "Name": "mgmt",
        "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}, *conditions],
    }


@pytest.mark.parametrize(
    ("kwargs", "status", "severity"),
    [
        ({}, "pass", "medium"),  # no selectors: CloudTrail's default
        ({"advanced": [management_selector("whatever the name says")]}, "pass", "medium"),
        ({"classic": [{"ReadWriteType": "All", "IncludeManagementEvents": True}]}, "pass", "medium"),
        ({"classic": [{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}]}, "fail", "medium"),
        ({"classic": [{"ReadWriteType": "ReadOnly"}, {"ReadWriteType": "WriteOnly"}]}, "pass", "medium"),
        (
            {
                "classic": [
                    {
                        "ReadWriteType": "All",
                        "IncludeManagementEvents": False,
                        "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}],
                    }
                ]
            },
            "fail",
            "medium",
        ),
        (
            {"classic": [{"ReadWriteType": "All", "ExcludeManagementEventSources": ["kms.amazonaws.com"]}]},
            "fail",
            "low",
        ),
        (
            {"advanced": [_mgmt({"Field": "eventSource", "NotEquals": ["rdsdata.amazonaws.com"]})]},
            "fail",
            "low",
        ),
        ({"advanced": [_mgmt({"Field": "userIdentity.arn", "NotStartsWith": [CI_ROLE]})]}, "fail", "medium"),
        ({"advanced": [_mgmt({"Field": "readOnly", "Equals": ["false"]})]}, "fail", "medium"),
    ],
)
def test_management_coverage(aws, kwargs, status, severity):
    arn = trail(aws, "main", **kwargs)
    result = one(live_scan(aws, "CT004"), "CT004", arn)
    assert (result.status.value, result.severity.value) == (status, severity), result.message


def test_excluded_kms_events_still_count_for_ct001(aws):
    trail(
        aws,
        "main",
        classic=[{"ReadWriteType": "All", "ExcludeManagementEventSources": ["kms.amazonaws.com"]}],
    )
    assert one(live_scan(aws, "CT001"), "CT001").status == "pass"


def test_unreadable_selectors_are_unknown(aws):
    arn = trail(aws, "main")
    inject_error(aws, "GetEventSelectors", "AccessDeniedException")
    assert one(live_scan(aws, "CT004"), "CT004", arn).status == "unknown"
