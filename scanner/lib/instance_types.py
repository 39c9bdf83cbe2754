"""The instance-type ladder: what an instance type name says (family, generation, size), the
next smaller size of a family, how a peak moves when the size changes, previous and older
generations, size limits and accelerated families. The rightsizing rules share it (RS001-RS003
recommend a smaller size, RS008 judges generations, RS009 sizes and accelerators), live and
IaC alike.

Two sources of facts. Live, DescribeInstanceTypes answers each EC2 type (`from_ec2_api`) and
is authoritative. Otherwise the shipped table `data/instance_types.yaml` answers: for IaC,
for SageMaker `ml.*` types (the EC2 API does not know them) and for RDS `db.*` and
ElastiCache `cache.*` classes, which borrow the numbers of the EC2 type of the same name. A
number neither source knows is None, and every answer built on it is None (unknown), never
a guess.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml

# Name prefixes of the services whose instance classes are EC2 types under another name.
SAGEMAKER, RDS, ELASTICACHE = "ml", "db", "cache"
PREFIXES = (SAGEMAKER, RDS, ELASTICACHE)

# Accelerator kinds, as TypeInfo.accelerator says them.
GPU, INFERENTIA, TRAINIUM, FPGA, MEDIA = "gpu", "inferentia", "trainium", "fpga", "media"
NEURON = "neuron"  # a Neuron device that is neither Inferentia nor Trainium by name
INFERENCE = "inference"  # another inference accelerator (dl2q: Qualcomm AI 100)
_KINDS = (None, GPU, INFERENTIA, TRAINIUM, FPGA, MEDIA, NEURON, INFERENCE)

# Series (the letters before the generation) of accelerated families: p, g, gr (GPUs), inf
# (Inferentia), trn (Trainium), dl (deep-learning accelerators), f (FPGAs), vt (video).
ACCELERATED_SERIES = frozenset({"p", "g", "gr", "inf", "trn", "dl", "f", "vt"})
# What a series alone says about its accelerator, for families the table does not list.
_SERIES_KIND = {"p": GPU, "g": GPU, "gr": GPU, "inf": INFERENTIA, "trn": TRAINIUM, "f": FPGA, "vt": MEDIA}

DEFAULT_MAX_SIZE = "8xlarge"

# ---------------------------------------------------------------------------------------
# Sizes: nano < micro < small < medium < large < xlarge < 2xlarge < ... < 112xlarge < ...

_NAMED_SIZES = ("nano", "micro", "small", "medium", "large")
# Digits without a leading zero and no "1xlarge" (AWS writes "xlarge"), so a name that parses
# prints back unchanged.
_SIZE = r"(?:nano|micro|small|medium|large|(?:[2-9]|[1-9]\d+)?xlarge|metal(?:-[1-9]\d*xl)?)"
_SIZE_RE = re.compile(_SIZE)
_METAL_XL = re.compile(r"metal-(\d+)xl")


def size_rank(size: str) -> int | None:
    """The position of a size on the ladder (larger is bigger): nano 0 .. large 4, xlarge 5,
    Nxlarge 4 + N. None for a bare-metal size (a whole host, not a rung to step from or to)
    and for anything that is not a size."""
    if not _SIZE_RE.fullmatch(size) or size.startswith("metal"):
        return None
    if size in _NAMED_SIZES:
        return _NAMED_SIZES.index(size)
    return _xlarge_rank(int(size.removesuffix("xlarge") or 1))


def _xlarge_rank(n: int) -> int:
    return len(_NAMED_SIZES) - 1 + n


def is_size(size: str) -> bool:
    return _SIZE_RE.fullmatch(size) is not None


# ---------------------------------------------------------------------------------------
# Names

_NAME_RE = re.compile(
    rf"(?:(?P<prefix>{'|'.join(PREFIXES)})\.)?"
    r"(?P<series>[a-z]+)(?P<generation>[1-9]\d*)?(?P<attributes>[a-z]*)(?:-(?P<option>[a-z0-9]+))?"
    rf"\.(?P<size>{_SIZE})"
    # RDS classes such as db.r5.2xlarge.tpc2.mem4x: a processor/memory variant of the size.
    r"(?:\.(?P<variant>[a-z0-9]+(?:\.[a-z0-9]+)*))?"
)


@dataclass(frozen=True)
class TypeName:
    """An instance type name in parts: `ml.` + `c` `6` `gn` + `.` + `2xlarge`."""

    series: str  # letters before the generation: "m", "inf", "trn", "x", "u", "mac"
    generation: int | None  # None for names without one: "u-6tb1", "mac-m4"
    attributes: str  # letters after the generation: "d", "gn", "iedn", "" for none
    option: str  # after a hyphen: "flex" (m7i-flex), "6tb1" (u-6tb1), "m2pro", "" for none
    size: str  # "xlarge", "metal", "metal-24xl"
    prefix: str = ""  # "ml" (SageMaker), "db" (RDS), "cache" (ElastiCache), "" (EC2)
    variant: str = ""  # after the size of an RDS class: "tpc2.mem4x"

    @property
    def family(self) -> str:
        generation = "" if self.generation is None else str(self.generation)
        option = f"-{self.option}" if self.option else ""
        return f"{self.series}{generation}{self.attributes}{option}"

    @property
    def sagemaker(self) -> bool:
        return self.prefix == SAGEMAKER

    @property
    def metal(self) -> bool:
        return self.size.startswith("metal")

    @property
    def ec2_name(self) -> str:
        """The EC2 type whose numbers this name borrows (itself for an EC2 type)."""
        return f"{self.family}.{self.size}"

    def with_size(self, size: str) -> TypeName:
        return replace(self, size=size, variant="")

    def __str__(self) -> str:
        prefix = f"{self.prefix}." if self.prefix else ""
        variant = f".{self.variant}" if self.variant else ""
        return f"{prefix}{self.family}.{self.size}{variant}"


def parse(type_name: str) -> TypeName | None:
    """The parts of an instance type name, or None when it is not one (a Terraform
    expression, `db.serverless`, a typo)."""
    match = _NAME_RE.fullmatch(type_name) if isinstance(type_name, str) else None
    if match is None or (match["variant"] and match["prefix"] != RDS):
        return None
    return TypeName(
        series=match["series"],
        generation=int(match["generation"]) if match["generation"] else None,
        attributes=match["attributes"],
        option=match["option"] or "",
        size=match["size"],
        prefix=match["prefix"] or "",
        variant=match["variant"] or "",
    )


# ---------------------------------------------------------------------------------------
# Facts about one type


@dataclass(frozen=True)
class TypeInfo:
    """What is known about one instance type; None where it is not known."""

    name: str
    vcpus: int | None
    memory_mib: int | None
    accelerator: str | None = None  # GPU, INFERENTIA, ...; None: no accelerator
    accelerators: int | None = 0  # devices of that kind (GPUs, Neuron devices, FPGAs)
    current_generation: bool | None = None  # the EC2 API's CurrentGeneration
    source: Literal["ec2-api", "table"] = "table"

    @property
    def gpus(self) -> int | None:
        return self.accelerators if self.accelerator == GPU else 0


# (InstanceTypeInfo key, its list of devices, the kind). inf1/inf2 appear both as Neuron
# devices and as inference accelerators: the first match wins, so devices count once.
_DEVICE_INFOS = (
    ("GpuInfo", "Gpus", GPU),
    ("NeuronInfo", "NeuronDevices", NEURON),
    ("InferenceAcceleratorInfo", "Accelerators", INFERENCE),
    ("FpgaInfo", "Fpgas", FPGA),
    ("MediaAcceleratorInfo", "Accelerators", MEDIA),
)


def _device_kind(kind: str, devices: list[Mapping[str, Any]]) -> str:
    if kind not in (NEURON, INFERENCE):
        return kind
    names = " ".join(str(d.get("Name", "")) for d in devices).lower()
    if "trainium" in names:
        return TRAINIUM
    return INFERENTIA if "inferentia" in names else kind


def from_ec2_api(item: Mapping[str, Any]) -> TypeInfo:
    """One `InstanceTypeInfo` of a DescribeInstanceTypes answer."""
    accelerator, count = None, 0
    for key, list_key, kind in _DEVICE_INFOS:
        devices = (item.get(key) or {}).get(list_key) or []
        if devices:
            counts = [d.get("Count") for d in devices]
            accelerator = _device_kind(kind, devices)
            count = sum(counts) if all(isinstance(c, int) for c in counts) else None
            break
    vcpus = (item.get("VCpuInfo") or {}).get("DefaultVCpus")
    memory = (item.get("MemoryInfo") or {}).get("SizeInMiB")
    current = item.get("CurrentGeneration")
    return TypeInfo(
        name=item["InstanceType"],
        vcpus=vcpus if isinstance(vcpus, int) else None,
        memory_mib=memory if isinstance(memory, int) else None,
        accelerator=accelerator,
        accelerators=count,
        current_generation=current if isinstance(current, bool) else None,
        source="ec2-api",
    )


# ---------------------------------------------------------------------------------------
# The shipped table

Row = tuple[int | None, int | None, int | None]  # vCPUs, memory MiB, accelerator devices


@dataclass(frozen=True)
class Family:
    name: str
    sizes: Mapping[str, Row]
    accelerator: str | None = None


@dataclass(frozen=True)
class Table:
    snapshot: str
    source: str
    families: Mapping[str, Family]
    sagemaker: Mapping[str, tuple[str, ...]]  # family -> sizes of ml.<family>.<size>
    previous_generation: frozenset[str]
    older_generation: frozenset[str]

    def lookup(self, type_name: str) -> TypeInfo | None:
        t = parse(type_name)
        family = self.families.get(t.family) if t and not t.variant else None
        if t is None or family is None or t.size not in family.sizes:
            return None
        vcpus, memory, devices = family.sizes[t.size]
        return TypeInfo(
            name=type_name,
            vcpus=vcpus,
            memory_mib=memory,
            accelerator=family.accelerator,
            accelerators=devices,
            # The table only knows which families are previous generation.
            current_generation=False if t.family in self.previous_generation else None,
            source="table",
        )

    def sizes(self, t: TypeName) -> tuple[str, ...] | None:
        """The sizes the table knows for the type's family under its prefix."""
        if t.prefix == SAGEMAKER:
            return self.sagemaker.get(t.family)
        if t.prefix:  # no ladder of RDS or ElastiCache classes is shipped
            return None
        family = self.families.get(t.family)
        return tuple(family.sizes) if family else None


def _row(where: str, value: Any, accelerated: bool) -> Row:
    width = 3 if accelerated else 2
    if not isinstance(value, list) or len(value) != width:
        raise ValueError(f"{where}: expected a list of {width} numbers or nulls, got {value!r}")
    if not all(v is None or (type(v) is int and v > 0) for v in value):
        raise ValueError(f"{where}: numbers must be positive integers or null, got {value!r}")
    return (value[0], value[1], value[2] if accelerated else 0)


def _sizes(where: str, sizes: Iterable[Any]) -> tuple[str, ...]:
    bad = [s for s in sizes if not isinstance(s, str) or not is_size(s)]
    if bad:
        raise ValueError(f"{where}: not instance sizes: {bad}")
    return tuple(sizes)


def load_table(path: Path | None = None) -> Table:
    """Read and check a table file (the shipped one by default)."""
    if path is None:
        text = (resources.files("scanner.lib") / "data" / "instance_types.yaml").read_text("utf-8")
    else:
        text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or not data.get("snapshot") or not data.get("source"):
        raise ValueError("an instance type table says its snapshot date and its source")
    families = {}
    for name, spec in (data.get("families") or {}).items():
        accelerator = spec.get("accelerator")
        if parse(f"{name}.large") is None or accelerator not in _KINDS:
            raise ValueError(f"families.{name}: not a family name, or an unknown accelerator {accelerator!r}")
        sizes = spec.get("sizes") or {}
        _sizes(f"families.{name}", sizes)
        rows = {s: _row(f"families.{name}.{s}", v, accelerator is not None) for s, v in sizes.items()}
        families[name] = Family(name, rows, accelerator)
    return Table(
        snapshot=str(data["snapshot"]),
        source=str(data["source"]),
        families=families,
        sagemaker={f: _sizes(f"sagemaker.{f}", s) for f, s in (data.get("sagemaker") or {}).items()},
        previous_generation=frozenset(data.get("previous_generation") or ()),
        older_generation=frozenset(data.get("older_generation") or ()),
    )


@cache
def table() -> Table:
    return load_table()


def lookup(type_name: str, live: Mapping[str, TypeInfo] | None = None) -> TypeInfo | None:
    """The facts about a type: the live answer when there is one, else the table."""
    if live and type_name in live:
        return live[type_name]
    return table().lookup(type_name)


# ---------------------------------------------------------------------------------------
# The ladder


def _rungs(t: TypeName, known_types: Collection[str] | None) -> list[tuple[int, str]] | None:
    """(rank, size) of the family's sizes, smallest first, bare-metal sizes left out."""
    if known_types is None:
        sizes = table().sizes(t)
    else:
        same = (parse(k) for k in known_types)
        sizes = tuple(k.size for k in same if k and k.prefix == t.prefix and k.family == t.family)
    if sizes is None:
        return None
    return sorted({(r, s) for s in sizes if (r := size_rank(s)) is not None})


def ladder(type_name: str, known_types: Collection[str] | None = None) -> tuple[str, ...] | None:
    """The sizes of the type's family, smallest first, bare-metal sizes left out. From
    `known_types` when given (live: the names DescribeInstanceTypes answered; names must carry
    the type's prefix, so `ml.*` sizes come from `ml.*` names), else from the table. None when
    the family's sizes are not known (a family the table lacks; `db.*` and `cache.*` classes
    without known_types)."""
    t = parse(type_name)
    rungs = _rungs(t, known_types) if t else None
    return None if rungs is None else tuple(s for _, s in rungs)


def next_size_down(type_name: str, known_types: Collection[str] | None = None) -> str | None:
    """The next smaller size of the same family that exists (m5.2xlarge -> m5.xlarge,
    t3.small -> t3.micro, ml.m5.xlarge -> ml.m5.large). None at the smallest size, for a
    bare-metal type, and when the family's sizes are not known: `ladder` tells these apart."""
    t = parse(type_name)
    if t is None or t.variant or (rank := size_rank(t.size)) is None:
        return None
    smaller = [s for r, s in _rungs(t, known_types) or () if r < rank]
    return str(t.with_size(smaller[-1])) if smaller else None


Devices = Literal["vcpu", "gpu", "accelerator"]


def _count(info: TypeInfo | None, devices: Devices) -> int | None:
    if info is None:
        return None
    return {"vcpu": info.vcpus, "gpu": info.gpus, "accelerator": info.accelerators}[devices]


def projected_peak(
    peak_percent: float,
    from_type: str | TypeInfo,
    to_type: str | TypeInfo,
    devices: Devices = "vcpu",
) -> float | None:
    """The peak utilization (0-100, already normalized per device) expected after moving the
    same load from one type to another: scaled by the ratio of vCPUs, or of GPUs for a GPU
    metric. None when either count is not known or is zero."""
    before = _count(lookup(from_type) if isinstance(from_type, str) else from_type, devices)
    after = _count(lookup(to_type) if isinstance(to_type, str) else to_type, devices)
    if not before or not after:
        return None
    return peak_percent * before / after


# ---------------------------------------------------------------------------------------
# Policy: generations, size limit, accelerated families


def _names(value: Iterable[str] | str) -> frozenset[str]:
    return frozenset([value] if isinstance(value, str) else value)


@dataclass(frozen=True)
class InstancePolicy:
    """What the rules judge against; defaults are the table's lists, `8xlarge` and no
    accelerated family allowed. Rules fill it from their opscheck.yml parameters."""

    # Families reported as previous generation where no live answer says otherwise.
    previous_generation: frozenset[str] = field(default_factory=lambda: table().previous_generation)
    # Families reported as older generation (lower severity), live and IaC alike.
    older_generation: frozenset[str] = field(default_factory=lambda: table().older_generation)
    # The largest size allowed; a larger one is over the limit.
    max_size: str = DEFAULT_MAX_SIZE
    # Series that count as accelerated where no live answer says (live, any GPU, Neuron,
    # inference, FPGA or media device counts, whatever the series).
    accelerated_series: frozenset[str] = ACCELERATED_SERIES
    # Accelerated types allowed anyway: a series ("g"), a family ("g5") or a type ("g5.xlarge").
    allowed_accelerated: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if size_rank(self.max_size) is None:
            raise ValueError(f"max_size: {self.max_size!r} is not an instance size below metal")
        for name in ("previous_generation", "older_generation", "accelerated_series", "allowed_accelerated"):
            object.__setattr__(self, name, _names(getattr(self, name)))

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> InstancePolicy:
        """From rule parameters of the same names; a list given replaces the default list."""
        unknown = set(params) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown instance policy parameters: {sorted(unknown)}")
        return cls(**params)

    def allows(self, type_name: str) -> bool:
        t = parse(type_name)
        if t is None:
            return False
        return bool({t.series, t.family, t.ec2_name, str(t)} & self.allowed_accelerated)


def _policy(policy: InstancePolicy | None) -> InstancePolicy:
    return policy if policy is not None else InstancePolicy()


Generation = Literal["previous", "older", "current"]


def generation(
    type_name: str, policy: InstancePolicy | None = None, info: TypeInfo | None = None
) -> Generation | None:
    """Previous, older or current generation; None when the name is not a type.

    A live answer (`info.current_generation`) is authoritative for "previous": the configured
    list only stands in where there is none (IaC, `ml.*`, `db.*`). The older list applies
    everywhere. A family in neither list counts as current."""
    t = parse(type_name)
    if t is None:
        return None
    policy = _policy(policy)
    live = info.current_generation if info is not None else None
    if live is False or (live is None and t.family in policy.previous_generation):
        return "previous"
    return "older" if t.family in policy.older_generation else "current"


def over_size_limit(
    type_name: str, max_size: str = DEFAULT_MAX_SIZE, known_types: Collection[str] | None = None
) -> bool | None:
    """Is the size above `max_size`? `metal-24xl` compares as 24xlarge. A bare `metal` type is
    the whole host, at least as large as the family's largest size: over the limit when that
    size is, else not known. None when the name is not a type."""
    limit = size_rank(max_size)
    if limit is None:
        raise ValueError(f"max_size: {max_size!r} is not an instance size below metal")
    t = parse(type_name)
    if t is None:
        return None
    if metal := _METAL_XL.fullmatch(t.size):
        return _xlarge_rank(int(metal[1])) > limit
    rank = size_rank(t.size)
    if rank is None:  # bare metal
        rungs = _rungs(t, known_types)
        return True if rungs and rungs[-1][0] > limit else None
    return rank > limit


def accelerator_kind(type_name: str, info: TypeInfo | None = None) -> str | None:
    """GPU, INFERENTIA, ...: from the live answer, else the table, else the series."""
    if info is not None and info.source == "ec2-api":
        return info.accelerator
    t = parse(type_name)
    family = table().families.get(t.family) if t else None
    if family is not None:
        return family.accelerator
    return _SERIES_KIND.get(t.series) if t else None


def is_accelerated(
    type_name: str, policy: InstancePolicy | None = None, info: TypeInfo | None = None
) -> bool | None:
    """Is the type accelerated? The live answer (any GPU, Neuron, inference, FPGA or media
    device) wins; else the series decides. None when the name is not a type."""
    if info is not None and info.source == "ec2-api":
        return info.accelerator is not None
    t = parse(type_name)
    return t.series in _policy(policy).accelerated_series if t else None


def accelerated_not_allowed(
    type_name: str, policy: InstancePolicy | None = None, info: TypeInfo | None = None
) -> bool | None:
    """RS009's second half: accelerated and not in the allowed list."""
    policy = _policy(policy)
    accelerated = is_accelerated(type_name, policy, info)
    return accelerated and not policy.allows(type_name) if accelerated is not None else None
