from testkit import ACCOUNT, by_resource, data_selector, function, inject_error, live_scan, one, trail

LAMBDA = "AWS::Lambda::Function"


def test_exact_function_arn_covers_only_that_function(aws):
    score = function(aws, "score")
    score_v2 = function(aws, "score-v2")
    trail(
        aws,
        "main",
        classic=[{"ReadWriteType": "All", "DataResources": [{"Type": LAMBDA, "Values": [score]}]}],
    )
    statuses = by_resource(live_scan(aws, "DE003"), "DE003")
    assert statuses[score] == "pass"
    assert statuses[score_v2] == "fail"
    assert statuses[ACCOUNT] == "fail"


def test_all_functions_value_covers_every_function(aws):
    fn = function(aws, "score")
    eu = function(aws, "eu-score", region="eu-west-1")
    trail(aws, "main", classic=[{"DataResources": [{"Type": LAMBDA, "Values": ["arn:aws:lambda"]}]}])
    statuses = by_resource(live_scan(aws, "DE003"), "DE003")
    assert statuses == {ACCOUNT: "pass", fn: "pass", eu: "pass"}


def test_advanced_equals_covers_the_function(aws):
    fn = function(aws, "score")
    trail(aws, "main", advanced=[data_selector(LAMBDA, arn_equals=[fn])])
    assert one(live_scan(aws, "DE003"), "DE003", fn).status == "pass"


def test_single_region_trail_covers_functions_of_its_region_only(aws):
    home = function(aws, "score")
    eu = function(aws, "eu-score", region="eu-west-1")
    trail(aws, "regional", multi_region=False, advanced=[data_selector(LAMBDA)])
    statuses = by_resource(live_scan(aws, "DE003"), "DE003")
    assert statuses[home] == "pass"
    assert statuses[eu] == "fail"
    assert statuses[ACCOUNT] == "fail"  # account-wide coverage needs a multi-region trail


def test_read_only_selector_does_not_record_invoke(aws):
    fn = function(aws, "score")
    trail(aws, "main", advanced=[data_selector(LAMBDA, read_only="true")])
    assert one(live_scan(aws, "DE003"), "DE003", fn).status == "fail"


def test_functions_unlistable_in_a_region_is_unknown_there(aws):
    function(aws, "score")
    trail(aws, "main")
    inject_error(
        aws, "ListFunctions", "AccessDeniedException", match=lambda p: "eu-west-1" in p.get("url", "")
    )
    outcome = live_scan(aws, "DE003")
    unknown = [r for r in outcome.results if r.status == "unknown"]
    assert [(r.resource.type, r.resource.region) for r in unknown] == [("AWS::Account", "eu-west-1")]
