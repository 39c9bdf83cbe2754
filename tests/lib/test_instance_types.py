"""The instance-type ladder: names, sizes, the next size down, projected peaks, generations,
size limits and accelerators, from the shipped table and from DescribeInstanceTypes."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws

from scanner.lib import instance_types as it
from scanner.lib.instance_types import InstancePolicy, TypeInfo, TypeName, parse, size_rank

# ---------------------------------------------------------------------------------------
# Names


@pytest.mark.parametrize(
    ("name", "series", "generation", "attributes", "option", "size"),
    [
        ("m5d.2xlarge", "m", 5, "d", "", "2xlarge"),
        ("c6gn.16xlarge", "c", 6, "gn", "", "16xlarge"),
        ("g5.xlarge", "g", 5, "", "", "xlarge"),
        ("p4d.24xlarge", "p", 4, "d", "", "24xlarge"),
        ("inf2.48xlarge", "inf", 2, "", "", "48xlarge"),
        ("trn1.32xlarge", "trn", 1, "", "", "32xlarge"),
        ("r7iz.metal-16xl", "r", 7, "iz", "", "metal-16xl"),
        ("x2iedn.32xlarge", "x", 2, "iedn", "", "32xlarge"),
        ("is4gen.medium", "is", 4, "gen", "", "medium"),
        ("u-6tb1.112xlarge", "u", None, "", "6tb1", "112xlarge"),
        ("u7in-16tb.224xlarge", "u", 7, "in", "16tb", "224xlarge"),
        ("mac2.metal", "mac", 2, "", "", "metal"),
        ("mac2-m2pro.metal", "mac", 2, "", "m2pro", "metal"),
        ("mac-m4.metal", "mac", None, "", "m4", "metal"),
        ("m7i-flex.large", "m", 7, "i", "flex", "large"),
        ("p6-b200.48xlarge", "p", 6, "", "b200", "48xlarge"),
        ("t3.nano", "t", 3, "", "", "nano"),
    ],
)
def test_parse_ec2_names(name, series, generation, attributes, option, size):
    t = parse(name)
    assert t is not None
    assert (t.series, t.generation, t.attributes, t.option, t.size) == (
        series,
        generation,
        attributes,
        option,
        size,
    )
    assert t.prefix == ""
    assert t.family == name.split(".")[0]
    assert str(t) == name


def test_parse_service_prefixes():
    ml = parse("ml.m5.xlarge")
    assert ml and (ml.prefix, ml.family, ml.size, ml.sagemaker, ml.ec2_name) == (
        "ml",
        "m5",
        "xlarge",
        True,
        "m5.xlarge",
    )
    db = parse("db.r6g.large")
    assert db and (db.prefix, db.family, db.size, db.sagemaker) == ("db", "r6g", "large", False)
    cache = parse("cache.t4g.micro")
    assert cache and (cache.prefix, cache.family, cache.ec2_name) == ("cache", "t4g", "t4g.micro")
    # An RDS class with a processor/memory variant after its size.
    oracle = parse("db.r5.2xlarge.tpc2.mem4x")
    assert oracle and (oracle.size, oracle.variant, str(oracle)) == ("2xlarge", "tpc2.mem4x", str(oracle))
    assert str(oracle) == "db.r5.2xlarge.tpc2.mem4x"
    assert parse("ml.m5.large").metal is False and parse("m5.metal").metal is True


@pytest.mark.parametrize(
    "name",
    [
        "",
        "m5",
        "m5.",
        ".large",
        "M5.large",
        "m5.1xlarge",  # AWS writes xlarge
        "m5.02xlarge",
        "m5.huge",
        "m5.metal-xl",
        "db.serverless",  # Aurora Serverless v2 is not a sized class
        "ml.m5.large.tpc2",  # variants are RDS-only
        "ec2.m5.large",
        "${var.instance_type}",
        "m5.large ",
    ],
)
def test_parse_rejects_what_is_not_a_type(name):
    assert parse(name) is None


def test_parse_rejects_non_strings():
    assert parse(None) is None  # type: ignore[arg-type]
    assert parse(42) is None  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------
# Sizes

ORDER = [
    "nano",
    "micro",
    "small",
    "medium",
    "large",
    "xlarge",
    "2xlarge",
    "3xlarge",
    "4xlarge",
    "6xlarge",
    "8xlarge",
    "9xlarge",
    "10xlarge",
    "12xlarge",
    "16xlarge",
    "18xlarge",
    "24xlarge",
    "32xlarge",
    "48xlarge",
    "56xlarge",
    "96xlarge",
    "112xlarge",
]


def test_size_order():
    ranks = [size_rank(s) for s in ORDER]
    assert None not in ranks
    assert ranks == sorted(ranks) and len(set(ranks)) == len(ranks)


def test_metal_and_non_sizes_have_no_rank():
    for size in ("metal", "metal-24xl", "huge", "1xlarge", ""):
        assert size_rank(size) is None
    assert it.is_size("metal-24xl") and not it.is_size("huge")


# ---------------------------------------------------------------------------------------
# Next size down


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("m5.2xlarge", "m5.xlarge"),
        ("m5.large", None),  # m5 has no medium
        ("m6g.large", "m6g.medium"),  # Graviton families do
        ("t3.small", "t3.micro"),
        ("t3.nano", None),
        ("c5.12xlarge", "c5.9xlarge"),
        ("c5.9xlarge", "c5.4xlarge"),
        ("m5.12xlarge", "m5.8xlarge"),
        ("m7i.48xlarge", "m7i.24xlarge"),  # no m7i.32xlarge
        ("g5.12xlarge", "g5.8xlarge"),
        ("p4d.24xlarge", None),
        ("ml.m5.xlarge", "ml.m5.large"),
        ("ml.m5.12xlarge", "ml.m5.4xlarge"),  # SageMaker has no ml.m5.8xlarge
        ("ml.c5.18xlarge", "ml.c5.9xlarge"),
        ("ml.g5.2xlarge", "ml.g5.xlarge"),
        ("ml.m5.large", None),
        ("m5.metal", None),  # a whole host is not a size to step down from
        ("m7i.metal-24xl", None),
        ("x2iedn.32xlarge", None),  # a family the table lacks
        ("ml.c6i.4xlarge", None),  # no shipped ml.c6i ladder
        ("db.r6g.2xlarge", None),  # no shipped RDS ladder
        ("db.r5.2xlarge.tpc2.mem4x", None),
        ("not a type", None),
    ],
)
def test_next_size_down_from_the_table(name, expected):
    assert it.next_size_down(name) == expected


def test_ladder_tells_smallest_size_from_unknown_family():
    assert it.ladder("m5.large") is not None and it.ladder("m5.large")[0] == "large"
    assert it.ladder("x2iedn.32xlarge") is None
    assert it.ladder("db.r6g.large") is None
    assert it.ladder("m5.metal")[-1] == "24xlarge"  # metal left out
    assert it.ladder("ml.p4d.24xlarge") == ("24xlarge",)


def test_next_size_down_from_a_live_list():
    live = ["m5.large", "m5.2xlarge", "m5.4xlarge", "m5.metal", "c5.xlarge", "x2iedn.16xlarge"]
    assert it.next_size_down("m5.4xlarge", live) == "m5.2xlarge"
    # m5.xlarge is not offered here: the ladder skips it.
    assert it.next_size_down("m5.2xlarge", live) == "m5.large"
    assert it.next_size_down("m5.large", live) is None
    # A size not in the list itself still finds the next one below.
    assert it.next_size_down("m5.8xlarge", live) == "m5.4xlarge"
    # A family the table lacks, known live.
    assert it.next_size_down("x2iedn.32xlarge", live) == "x2iedn.16xlarge"
    # The live list is authoritative: a family missing from it has no known smaller size.
    assert it.next_size_down("r5.2xlarge", live) is None
    assert it.ladder("r5.2xlarge", live) == ()
    assert it.next_size_down("m5.2xlarge", []) is None


def test_live_lists_match_prefixes():
    ec2 = ["m5.large", "m5.xlarge"]
    assert it.next_size_down("ml.m5.xlarge", ec2) is None  # EC2 names say nothing of ml.*
    assert it.next_size_down("ml.m5.xlarge", ["ml.m5.large", "ml.m5.xlarge"]) == "ml.m5.large"
    rds = ["db.r6g.large", "db.r6g.xlarge", "db.r6g.4xlarge", "db.serverless"]
    assert it.next_size_down("db.r6g.4xlarge", rds) == "db.r6g.xlarge"
    assert it.next_size_down("cache.r6g.xlarge", rds) is None


# ---------------------------------------------------------------------------------------
# Projected peak


def test_projected_peak_scales_by_vcpus():
    assert it.projected_peak(30, "m5.2xlarge", "m5.xlarge") == 60
    assert it.projected_peak(30, "c5.18xlarge", "c5.9xlarge") == 60
    assert it.projected_peak(10, "ml.m5.4xlarge", "ml.m5.2xlarge") == 20
    assert it.projected_peak(35, "t3.small", "t3.micro") == 35  # same vCPUs, less memory


def test_projected_peak_scales_by_gpus_for_gpu_metrics():
    assert it.projected_peak(20, "g5.12xlarge", "g5.8xlarge", devices="gpu") == 80
    assert it.projected_peak(20, "g5.12xlarge", "g5.8xlarge") == 30  # 48 -> 32 vCPUs
    assert it.projected_peak(40, "ml.p3.16xlarge", "ml.p3.8xlarge", devices="gpu") == 80
    assert it.projected_peak(40, "inf2.48xlarge", "inf2.24xlarge", devices="accelerator") == 80
    assert it.projected_peak(40, "m5.2xlarge", "m5.xlarge", devices="gpu") is None


def test_projected_peak_unknown_counts():
    assert it.projected_peak(30, "x2iedn.32xlarge", "x2iedn.16xlarge") is None
    assert it.projected_peak(30, "m1.large", "m1.medium") == 60  # vCPUs known, memory not
    assert it.projected_peak(30, "nonsense", "m5.large") is None
    live = TypeInfo("x2iedn.32xlarge", 128, None, source="ec2-api")
    smaller = TypeInfo("x2iedn.16xlarge", 64, None, source="ec2-api")
    assert it.projected_peak(30, live, smaller) == 60
    assert it.projected_peak(30, live, TypeInfo("x", None, None)) is None


# ---------------------------------------------------------------------------------------
# Generations


def test_generation_from_the_lists():
    assert it.generation("m3.medium") == "previous"
    assert it.generation("db.m3.large") == "previous"
    assert it.generation("cache.m1.small") == "previous"
    assert it.generation("t2.micro") == "older"
    assert it.generation("ml.m4.xlarge") == "older"
    assert it.generation("db.r4.large") == "older"
    assert it.generation("m5.large") == "current"
    assert it.generation("m8g.large") == "current"  # in neither list
    assert it.generation("not a type") is None
    assert it.lookup("m3.large").current_generation is False
    assert it.lookup("m5.large").current_generation is None  # the table claims nothing


def test_live_current_generation_is_authoritative():
    def live(name, current):
        return TypeInfo(name, 2, 4096, current_generation=current, source="ec2-api")

    assert it.generation("m5.large", info=live("m5.large", False)) == "previous"
    assert it.generation("m3.large", info=live("m3.large", True)) == "current"
    assert it.generation("m4.large", info=live("m4.large", True)) == "older"  # policy still applies
    assert it.generation("m4.large", info=live("m4.large", False)) == "previous"
    assert it.generation("m3.large", info=live("m3.large", None)) == "previous"  # no answer: the list


def test_generation_lists_are_configurable():
    policy = InstancePolicy(previous_generation=["m3", "m5"], older_generation=[])
    assert it.generation("m5.large", policy) == "previous"
    assert it.generation("t2.micro", policy) == "current"
    assert it.generation("r3.large", policy) == "current"


# ---------------------------------------------------------------------------------------
# Accelerators


def test_accelerators_from_the_table():
    g5 = it.lookup("g5.12xlarge")
    assert g5 and (g5.accelerator, g5.gpus, g5.vcpus, g5.memory_mib) == ("gpu", 4, 48, 196608)
    inf2 = it.lookup("inf2.48xlarge")
    assert inf2 and (inf2.accelerator, inf2.accelerators, inf2.gpus) == ("inferentia", 12, 0)
    trn1 = it.lookup("trn1.32xlarge")
    assert trn1 and (trn1.accelerator, trn1.accelerators) == ("trainium", 16)
    ml = it.lookup("ml.p4d.24xlarge")
    assert ml and (ml.name, ml.gpus, ml.source) == ("ml.p4d.24xlarge", 8, "table")
    m5 = it.lookup("m5.large")
    assert m5 and (m5.accelerator, m5.gpus) == (None, 0)
    assert it.lookup("g5.3xlarge") is None  # not a g5 size
    assert it.lookup("db.r5.2xlarge.tpc2.mem4x") is None  # not the EC2 r5.2xlarge


def _api(name, **extra):
    return {
        "InstanceType": name,
        "CurrentGeneration": True,
        "VCpuInfo": {"DefaultVCpus": 8},
        "MemoryInfo": {"SizeInMiB": 32768},
        **extra,
    }


def _devices(count, name, manufacturer="AWS"):
    return [{"Count": count, "Name": name, "Manufacturer": manufacturer, "MemoryInfo": {"SizeInMiB": 1}}]


@pytest.mark.parametrize(
    ("extra", "kind", "count"),
    [
        ({}, None, 0),
        ({"GpuInfo": {"Gpus": _devices(4, "A10G", "NVIDIA")}}, "gpu", 4),
        (
            # inf2 is answered twice, as Neuron devices and as inference accelerators: once.
            {
                "NeuronInfo": {"NeuronDevices": _devices(6, "Inferentia2")},
                "InferenceAcceleratorInfo": {"Accelerators": _devices(6, "Inferentia2")},
            },
            "inferentia",
            6,
        ),
        ({"NeuronInfo": {"NeuronDevices": _devices(16, "Trainium")}}, "trainium", 16),
        ({"NeuronInfo": {"NeuronDevices": _devices(1, "Future")}}, "neuron", 1),
        (
            {"InferenceAcceleratorInfo": {"Accelerators": _devices(8, "Qualcomm AI100", "Qualcomm")}},
            "inference",
            8,
        ),
        ({"FpgaInfo": {"Fpgas": _devices(2, "Virtex UltraScale (VU9P)", "Xilinx")}}, "fpga", 2),
        ({"MediaAcceleratorInfo": {"Accelerators": _devices(1, "U30", "Xilinx")}}, "media", 1),
        ({"GpuInfo": {"Gpus": [{"Name": "H100"}]}}, "gpu", None),  # a count not given
    ],
)
def test_from_ec2_api(extra, kind, count):
    info = it.from_ec2_api(_api("x9.2xlarge", **extra))
    assert (info.name, info.vcpus, info.memory_mib, info.current_generation, info.source) == (
        "x9.2xlarge",
        8,
        32768,
        True,
        "ec2-api",
    )
    assert (info.accelerator, info.accelerators) == (kind, count)
    assert info.gpus == (count if kind == "gpu" else 0)
    assert it.is_accelerated("x9.2xlarge", info=info) is (kind is not None)
    assert it.accelerator_kind("x9.2xlarge", info=info) == kind


def test_from_ec2_api_missing_fields_are_unknown():
    info = it.from_ec2_api({"InstanceType": "m5.large"})
    assert (info.vcpus, info.memory_mib, info.current_generation, info.accelerator) == (
        None,
        None,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("name", "accelerated"),
    [
        ("p4d.24xlarge", True),
        ("g6e.xlarge", True),
        ("gr6.4xlarge", True),
        ("inf2.xlarge", True),
        ("trn1.2xlarge", True),
        ("dl1.24xlarge", True),
        ("f1.2xlarge", True),
        ("vt1.3xlarge", True),
        ("ml.g5.xlarge", True),
        ("m5.xlarge", False),
        ("c6gn.large", False),
        ("x2iedn.xlarge", False),
        ("ml.m5.large", False),
        ("nonsense", None),
    ],
)
def test_is_accelerated_by_series(name, accelerated):
    assert it.is_accelerated(name) is accelerated


def test_accelerator_kind_from_table_then_series():
    assert it.accelerator_kind("g4dn.xlarge") == "gpu"
    assert it.accelerator_kind("ml.inf1.xlarge") == "inferentia"
    assert it.accelerator_kind("trn2.48xlarge") == "trainium"  # not in the table: the series
    assert it.accelerator_kind("f2.6xlarge") == "fpga"
    assert it.accelerator_kind("m5.large") is None
    assert it.accelerator_kind("dl2q.24xlarge") is None  # dl is accelerated, its kind not known


def test_allowed_accelerated_families():
    default = InstancePolicy()
    assert it.accelerated_not_allowed("g5.xlarge", default) is True
    assert it.accelerated_not_allowed("m5.xlarge", default) is False
    assert it.accelerated_not_allowed("nonsense", default) is None
    by_series = InstancePolicy(allowed_accelerated=["g"])
    assert it.accelerated_not_allowed("g5.xlarge", by_series) is False
    assert it.accelerated_not_allowed("ml.g6.xlarge", by_series) is False
    assert it.accelerated_not_allowed("gr6.xlarge", by_series) is True  # gr is another series
    by_family = InstancePolicy(allowed_accelerated=["g5", "inf2.xlarge", "ml.p4d.24xlarge"])
    assert it.accelerated_not_allowed("ml.g5.12xlarge", by_family) is False
    assert it.accelerated_not_allowed("g6.xlarge", by_family) is True
    assert it.accelerated_not_allowed("inf2.xlarge", by_family) is False
    assert it.accelerated_not_allowed("inf2.8xlarge", by_family) is True
    assert it.accelerated_not_allowed("ml.p4d.24xlarge", by_family) is False
    no_fpga = InstancePolicy(accelerated_series=["p", "g"])
    assert it.accelerated_not_allowed("f1.2xlarge", no_fpga) is False


# ---------------------------------------------------------------------------------------
# Size limit


@pytest.mark.parametrize(
    ("name", "max_size", "over"),
    [
        ("m5.8xlarge", "8xlarge", False),
        ("m5.12xlarge", "8xlarge", True),
        ("c5.9xlarge", "8xlarge", True),
        ("t3.2xlarge", "8xlarge", False),
        ("ml.p4d.24xlarge", "8xlarge", True),
        ("db.r6g.16xlarge", "8xlarge", True),
        ("m5.4xlarge", "2xlarge", True),
        ("m5.large", "medium", True),
        ("m7i.metal-24xl", "8xlarge", True),
        ("m7i.metal-24xl", "24xlarge", False),
        ("m5.metal", "8xlarge", True),  # at least m5.24xlarge
        ("m5.metal", "24xlarge", None),  # maybe larger than the largest size: not known
        ("a1.metal", "8xlarge", None),  # family not in the table
        ("nonsense", "8xlarge", None),
    ],
)
def test_over_size_limit(name, max_size, over):
    assert it.over_size_limit(name, max_size) is over


def test_over_size_limit_defaults_and_live_ladder():
    assert it.over_size_limit("m5.16xlarge") is True
    assert it.over_size_limit("a1.metal", known_types=["a1.4xlarge", "a1.metal"]) is None
    assert it.over_size_limit("i3.metal", known_types=["i3.16xlarge", "i3.metal"]) is True
    with pytest.raises(ValueError, match="max_size"):
        it.over_size_limit("m5.large", "metal")
    with pytest.raises(ValueError, match="max_size"):
        it.over_size_limit("m5.large", "huge")


# ---------------------------------------------------------------------------------------
# Policy


def test_policy_defaults_come_from_the_table():
    policy = InstancePolicy()
    assert {"m1", "m3", "c3", "r3", "t1", "i2", "g2"} <= policy.previous_generation
    assert policy.older_generation == {"t2", "m4", "c4", "r4"}
    assert policy.max_size == "8xlarge"
    assert {"p", "g", "inf", "trn", "dl", "f", "vt"} <= policy.accelerated_series
    assert policy.allowed_accelerated == frozenset()


def test_policy_from_params():
    policy = InstancePolicy.from_params(
        {"max_size": "4xlarge", "older_generation": ["t2"], "allowed_accelerated": "g5"}
    )
    assert policy.max_size == "4xlarge"
    assert policy.older_generation == frozenset({"t2"})
    assert policy.allowed_accelerated == frozenset({"g5"})  # one name, not its letters
    assert policy.previous_generation == it.table().previous_generation
    with pytest.raises(ValueError, match="unknown instance policy parameters"):
        InstancePolicy.from_params({"max_sise": "4xlarge"})
    with pytest.raises(ValueError, match="max_size"):
        InstancePolicy(max_size="metal")


# ---------------------------------------------------------------------------------------
# The table


def test_shipped_table_loads_and_says_where_it_comes_from():
    table = it.table()
    assert table.snapshot and "documentation" in table.source
    required = [
        "t2",
        "t3",
        "t3a",
        "t4g",
        "m4",
        "m5",
        "m5a",
        "m5d",
        "m6i",
        "m6g",
        "m6a",
        "m7i",
        "m7g",
        "c4",
        "c5",
        "c5n",
        "c6i",
        "c6g",
        "c7i",
        "c7g",
        "r4",
        "r5",
        "r5d",
        "r6i",
        "r6g",
        "r7i",
        "r7g",
        "g4dn",
        "g5",
        "g6",
        "p3",
        "p3dn",
        "p4d",
        "p5",
        "inf1",
        "inf2",
        "trn1",
        "m1",
        "m2",
        "m3",
        "c1",
        "c3",
        "r3",
        "t1",
        "i2",
        "g2",
        "cc2",
        "cr1",
        "hs1",
    ]
    assert set(required) <= set(table.families)
    # ml.* types borrow EC2 numbers: each shipped ml ladder has them.
    for family, sizes in table.sagemaker.items():
        assert set(sizes) <= set(table.families[family].sizes), family
    # The table's accelerated families are exactly those of the accelerated series.
    for family in table.families.values():
        assert (family.accelerator is not None) is it.is_accelerated(f"{family.name}.large"), family.name


def test_table_rejects_a_malformed_file(tmp_path: Path):
    path = tmp_path / "types.yaml"
    head = "snapshot: x\nsource: y\n"
    path.write_text(head + "families:\n  m5:\n    sizes:\n      huge: [2, 8192]\n")
    with pytest.raises(ValueError, match="not instance sizes"):
        it.load_table(path)
    path.write_text(head + "families:\n  g5:\n    accelerator: gpu\n    sizes:\n      xlarge: [4, 16384]\n")
    with pytest.raises(ValueError, match="list of 3"):
        it.load_table(path)
    path.write_text(head + "families:\n  m5:\n    sizes:\n      large: [2, 8.5]\n")
    with pytest.raises(ValueError, match="positive integers"):
        it.load_table(path)
    path.write_text(head + "families: {}\nsagemaker:\n  m5: [large, huge]\n")
    with pytest.raises(ValueError, match="not instance sizes"):
        it.load_table(path)
    path.write_text(head + "families:\n  g5:\n    accelerator: tpu\n    sizes: {}\n")
    with pytest.raises(ValueError, match="unknown accelerator"):
        it.load_table(path)
    path.write_text("families: {}\n")
    with pytest.raises(ValueError, match="snapshot"):
        it.load_table(path)


def test_table_agrees_with_describe_instance_types():
    """Every number the table holds for a type moto's DescribeInstanceTypes data also knows
    is the number the API gives (moto's data is a recorded answer of the real API)."""
    with mock_aws():
        ec2 = boto3.client("ec2", region_name="us-east-1")
        families = [f"{name}.*" for name in it.table().families]
        pages = ec2.get_paginator("describe_instance_types").paginate(
            Filters=[{"Name": "instance-type", "Values": families}]
        )
        live = {i["InstanceType"]: it.from_ec2_api(i) for page in pages for i in page["InstanceTypes"]}
    table = it.table()
    compared = 0
    for family in table.families.values():
        for size in family.sizes:
            name = f"{family.name}.{size}"
            if name not in live:
                continue
            mine, api = table.lookup(name), live[name]
            assert mine is not None
            for attribute in ("vcpus", "memory_mib", "accelerators"):
                value = getattr(mine, attribute)
                assert value is None or value == getattr(api, attribute), (name, attribute)
            if mine.accelerator in ("gpu", "trainium", "inferentia"):
                assert api.accelerator == mine.accelerator, name
            compared += 1
    assert compared > 200  # the check is not vacuous


# ---------------------------------------------------------------------------------------
# Properties

_sizes = st.sampled_from([*ORDER, "metal", "metal-24xl", "metal-48xl"])
_names = st.builds(
    TypeName,
    series=st.from_regex(r"[a-z]{1,4}", fullmatch=True),
    generation=st.none() | st.integers(1, 99),
    attributes=st.from_regex(r"[a-z]{0,4}", fullmatch=True),
    option=st.sampled_from(["", "flex", "6tb1", "m2pro", "b200"]),
    size=_sizes,
    prefix=st.sampled_from(["", "ml", "db", "cache"]),
).filter(lambda t: t.generation is not None or not t.attributes)  # attributes follow a generation


@settings(max_examples=300, deadline=None)
@given(_names)
def test_parse_round_trips(t: TypeName):
    assert parse(str(t)) == t


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(sorted(f"{f.name}.{s}" for f in it.table().families.values() for s in f.sizes)),
    st.none()
    | st.lists(st.sampled_from(["m5", "c5", "g5", "t3"]).flatmap(lambda f: _sizes.map(f"{f}.{{}}".format))),
)
def test_next_size_down_is_smaller_and_of_the_same_family(name, known):
    smaller = it.next_size_down(name, known)
    if smaller is None:
        return
    before, after = parse(name), parse(smaller)
    assert before and after and after.family == before.family and after.prefix == before.prefix
    assert size_rank(after.size) < size_rank(before.size)  # type: ignore[operator]
    assert known is None or smaller in known
