"""Hostile and broken IaC, generated (never downloaded): one tree of good files every case is
scanned beside, and the cases, each a few files that break one thing.

A case names the one file its scan error must name (and the line, where one means something),
or None when the scanner must accept it without error. Everything else the scan reports must be
what a scan of the good files alone reports. The helpers at the end run a scan in-process or
as the `opscheck` command (with its peak memory) and compare.
"""

from __future__ import annotations

import ctypes
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import redirect_stderr
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner.cli import main
from scanner.sources.iac import MAX_FILE_BYTES

MIB = 1024 * 1024
OPSCHECK = Path(sys.executable).with_name("opscheck")

# -- the good files ------------------------------------------------------------------------------

GOOD_TF = """\
variable "trail_name" {
  type    = string
  default = "audit"
}

resource "aws_s3_bucket" "logs" {
  bucket = "audit-logs"
}

resource "aws_cloudtrail" "main" {
  name                          = var.trail_name
  s3_bucket_name                = aws_s3_bucket.logs.id
  is_multi_region_trail         = true
  include_global_service_events = true
  enable_log_file_validation    = true
}
"""

GOOD_TFVARS = 'trail_name = "audit-main"\n'

GOOD_TF_JSON = json.dumps(
    {"resource": {"aws_sns_topic": {"alerts": {"name": "alerts"}}}},
    indent=2,
)

GOOD_YAML = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Name:
    Type: String
    Default: stack-trail
Resources:
  Logs:
    Type: AWS::S3::Bucket
  Trail:
    Type: AWS::CloudTrail::Trail
    Properties:
      TrailName: !Ref Name
      IsLogging: true
      IsMultiRegionTrail: true
      S3BucketName: !Ref Logs
      KMSKeyId: !Sub "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:alias/trail"
"""

GOOD_JSON = json.dumps(
    {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "JsonLogs": {"Type": "AWS::S3::Bucket"},
            "JsonTrail": {
                "Type": "AWS::CloudTrail::Trail",
                "Properties": {
                    "TrailName": "json-trail",
                    "IsLogging": True,
                    "S3BucketName": {"Ref": "JsonLogs"},
                },
            },
        },
    },
    indent=2,
)


def plan_document(resources: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {
        "format_version": "1.2",
        "terraform_version": "1.9.0",
        "planned_values": {"root_module": {"resources": list(resources)}},
        "resource_changes": [
            {"address": r["address"], "change": {"actions": ["create"], "after_unknown": {}}}
            for r in resources
        ],
        "configuration": {"root_module": {}},
    }


def plan_resource(rtype: str, name: str, values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "address": f"{rtype}.{name}",
        "mode": "managed",
        "type": rtype,
        "name": name,
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "values": dict(values),
    }


GOOD_PLAN = json.dumps(
    plan_document(
        [plan_resource("aws_cloudtrail", "planned", {"name": "planned", "s3_bucket_name": "logs"})]
    ),
    indent=2,
)

GOOD: dict[str, str] = {
    "good/tf/main.tf": GOOD_TF,
    "good/tf/terraform.tfvars": GOOD_TFVARS,
    "good/tfjson/main.tf.json": GOOD_TF_JSON,
    "good/stack.yaml": GOOD_YAML,
    "good/stack.json": GOOD_JSON,
    "good/plan/plan.json": GOOD_PLAN,
}

# -- the cases -----------------------------------------------------------------------------------

MALFORMED = "IaC: malformed syntax"
TRUNCATED = "IaC: truncated file"
HUGE = "IaC: huge file"
DEEP = "IaC: very deep nesting"
BOMB = "IaC: YAML alias bomb"
DUPLICATE = "IaC: duplicate keys"
TAGS = "IaC: unknown YAML tags"
ENCODING = "IaC: non-UTF-8 and binary content"
SURROGATE = "IaC: lone surrogate escapes"
LINKS = "IaC: symlink loops and dangling links"
UNREADABLE = "IaC: unreadable files"
PATHS = "IaC: paths with spaces, unicode and odd bytes"


@dataclass(frozen=True)
class Case:
    category: str
    name: str
    files: Mapping[str, bytes]  # path under the scan root -> content
    bad: str | None  # the path the one scan error names, as reported; None: no error at all
    line: int | None = None  # the line that error gives (None: not checked)
    own: str | None = None  # a directory of the case's own (its results are not compared)
    links: Mapping[str, str] = field(default_factory=dict)  # link -> target
    locked: Sequence[str] = ()  # made unreadable (mode 000): only meaningful without DAC override
    targets: Sequence[str] = (".",)
    cli_only: bool = False  # needs the command in a process of its own (unreadable files)
    usage_error: bool = False  # the command refuses it before scanning: exit 2, said on stderr
    size: int = 0  # bytes of input, for the memory bound (0: the files' total)

    @property
    def input_bytes(self) -> int:
        return self.size or sum(len(c) for c in self.files.values())


def _b(text: str) -> bytes:
    return text.encode("utf-8")


def line_of(text: str, marker: str) -> int:
    """1-based line of the first occurrence of `marker`."""
    return text[: text.index(marker)].count("\n") + 1


TRAIL_BLOCK = """\
resource "aws_cloudtrail" "second" {
  name           = "second"
  s3_bucket_name = = "logs"
}
"""


def malformed() -> list[Case]:
    yaml_indent = GOOD_YAML.replace("      IsLogging: true", "     IsLogging: true")
    yaml_tab = GOOD_YAML.replace("      IsLogging: true", "\tIsLogging: true")
    yaml_flow = GOOD_YAML.replace("      IsLogging: true", "      IsLogging: [true, false")
    json_comma = GOOD_JSON.replace('"IsLogging": true,', '"IsLogging": true')
    plan_comma = GOOD_PLAN.replace('"terraform_version": "1.9.0",', '"terraform_version": "1.9.0"')
    comma_line = line_of(plan_comma, '"planned_values"')  # json stops at the next key
    unclosed = 'resource "aws_sns_topic" "t" {\n  name = "t"\n'
    return [
        Case(
            MALFORMED,
            "tf-syntax-in-good-module",
            {"good/tf/broken.tf": _b(TRAIL_BLOCK)},
            "good/tf/broken.tf",
            3,
        ),
        Case(
            MALFORMED, "tf-unclosed-block", {"bad/tf/main.tf": _b(unclosed)}, "bad/tf/main.tf", own="bad/tf"
        ),
        Case(
            MALFORMED,
            "tf-json-trailing-comma",
            {"bad/tfjson/main.tf.json": b'{"resource": {"aws_sns_topic": {"t": {"name": "t",}}}}'},
            "bad/tfjson/main.tf.json",
            1,
        ),
        Case(
            MALFORMED,
            "tfvars-syntax",
            {
                "bad/vars/main.tf": _b('variable "x" {\n  default = 1\n}\n'),
                "bad/vars/terraform.tfvars": b"x = = 2\n",
            },
            "bad/vars/terraform.tfvars",
            1,
            own="bad/vars",
        ),
        Case(MALFORMED, "plan-missing-comma", {"bad/plan.json": _b(plan_comma)}, "bad/plan.json", comma_line),
        Case(
            MALFORMED,
            "yaml-indentation",
            {"bad/indent.yaml": _b(yaml_indent)},
            "bad/indent.yaml",
            line_of(yaml_indent, "     IsLogging"),
        ),
        Case(MALFORMED, "yaml-tab", {"bad/tab.yaml": _b(yaml_tab)}, "bad/tab.yaml", line_of(yaml_tab, "\t")),
        Case(MALFORMED, "yaml-unclosed-flow", {"bad/flow.yaml": _b(yaml_flow)}, "bad/flow.yaml"),
        Case(
            MALFORMED,
            "json-missing-comma",
            {"bad/comma.json": _b(json_comma)},
            "bad/comma.json",
            line_of(json_comma, '"IsLogging"') + 1,
        ),
    ]


# What each good file is, where its truncated copy goes, and the path its error names.
TRUNCATABLE: dict[str, tuple[str, str]] = {
    "tf": (GOOD_TF, "bad/trunc/main.tf"),
    "tf.json": (GOOD_TF_JSON, "bad/trunc-json/main.tf.json"),
    "yaml": (GOOD_YAML, "bad/trunc.yaml"),
    "json": (GOOD_JSON, "bad/trunc.json"),
    "plan": (GOOD_PLAN, "bad/trunc-plan.json"),
}


def truncated(full: bool) -> list[Case]:
    """Each good file cut in the middle of a string (always broken: one error). The full set
    also cuts at every 7th byte, where a prefix may still be valid (then: no error)."""
    cases = []
    for kind, (text, path) in TRUNCATABLE.items():
        own = str(Path(path).parent) if kind.startswith("tf") else None
        marker = {"tf": '"audit-logs"', "tf.json": '"alerts"', "yaml": '"arn:', "json": '"json-trail"'}
        cut = text.index(marker.get(kind, '"planned"')) + 3
        cases.append(Case(TRUNCATED, f"{kind}-mid-string", {path: _b(text[:cut])}, path, own=own))
    # Cut at a line end, before its resources: valid YAML, and no template CloudFormation takes.
    cut = GOOD_YAML[: GOOD_YAML.index("Resources:")]
    cases.append(Case(TRUNCATED, "yaml-before-resources", {"bad/cut.yaml": _b(cut)}, "bad/cut.yaml"))
    return cases


def truncation_sweep(step: int) -> Iterator[tuple[str, str, str, int]]:
    """(kind, path, truncated text, offset) at every `step`-th byte of every good file."""
    for kind, (text, path) in TRUNCATABLE.items():
        for offset in range(1, len(text), step):
            yield kind, path, text[:offset], offset


def _filler_hcl(size: int) -> tuple[str, int]:
    """Unmapped resource blocks (parsed, never evaluated) up to `size` bytes, then a damaged
    block: (text, the damaged line)."""
    block = 'resource "aws_route53_record" "r{n}" {{\n  name    = "r{n}.example.com"\n  type    = "A"\n}}\n'
    parts, total, n = [], 0, 0
    while total < size:
        piece = block.format(n=n)
        parts.append(piece)
        total += len(piece)
        n += 1
    text = "".join(parts)
    bad_line = text.count("\n") + 2
    return text + 'resource "aws_sns_topic" "last" {\n  name = = "x"\n}\n', bad_line


# Peak resident memory a file may cost, per byte of it, by parser: Python's objects for JSON and
# YAML; tree-sitter's tree and parse stack for HCL, which measured 160-190 bytes per byte of a
# .tf (many blocks, or one long string alike). Above these, something blew up.
MEMORY_PER_BYTE = {"hcl": 250, "other": 50}


def huge(size: int, hcl_size: int | None = None) -> list[Case]:
    """Files of about `size` bytes (`hcl_size` for .tf, whose parse costs the most memory)
    with their one defect at the end (the line count must hold across the whole file). Above
    the loader's limit the file is refused unread, without a line."""
    hcl_size = hcl_size or size

    def line(value: int) -> int | None:
        return None if size > MAX_FILE_BYTES else value

    hcl, hcl_line = _filler_hcl(hcl_size)
    string_hcl = 'locals {\n  blob = "' + "x" * hcl_size + "\n}\n"  # a string never closed
    mappings = "\n".join(f"    k{n}:\n      v: value-{n:08d}" for n in range(size // 34))
    yaml = (
        f'AWSTemplateFormatVersion: "2010-09-09"\nMappings:\n  Big:\n{mappings}\n'
        + GOOD_YAML.split("\n", 1)[1]
    )
    yaml_line = yaml.count("\n") + 1
    yaml += "\tBroken: tab\n  Last:\n    Type: AWS::SNS::Topic\n"  # a tab cannot indent YAML
    doc = json.loads(GOOD_JSON)
    doc["Mappings"] = {"Big": {f"k{n}": {"v": f"value-{n:08d}"} for n in range(size // 40)}}
    # A missing comma (a trailing one would still be read: the YAML fallback takes it).
    json_text = json.dumps(doc, indent=1)[:-2] + '\n "Outputs": {} "Last": {}\n}\n'
    records = [plan_resource("aws_route53_record", f"r{n}", {"name": f"r{n}.x"}) for n in range(size // 330)]
    plan_text = json.dumps(plan_document(records), indent=1)[:-2] + ",\n}\n"
    tfjson = {"resource": {"aws_route53_record": {f"r{n}": {"name": f"r{n}"} for n in range(size // 40)}}}
    tfjson_text = json.dumps(tfjson, indent=1)[:-2] + ",\n}\n"

    def case(name: str, path: str, text: str, at: int | None, own: str | None = None) -> Case:
        mib = len(text) / MIB
        label = f"{mib:.0f}MiB" if mib >= 1 else f"{len(text) // 1024}KiB"
        return Case(HUGE, f"{name}-{label}", {path: _b(text)}, path, at, own=own)

    return [
        case("hcl-blocks", "bad/huge/main.tf", hcl, line(hcl_line), own="bad/huge"),
        # The end the string lacks is reported where the file ends.
        case("hcl-one-string", "bad/huge-string/main.tf", string_hcl, line(3), own="bad/huge-string"),
        case("yaml", "bad/huge.yaml", yaml, line(yaml_line)),
        case("json", "bad/huge.json", json_text, line(json_text.count("\n") - 1)),
        case("plan", "bad/huge-plan.json", plan_text, line(plan_text.count("\n"))),
        case(
            "tf-json",
            "bad/huge-tfjson/main.tf.json",
            tfjson_text,
            line(tfjson_text.count("\n")),
            own="bad/huge-tfjson",
        ),
    ]


def parser_of(case: Case) -> str:
    return "hcl" if any(p.endswith((".tf", ".tfvars")) for p in case.files) else "other"


def _nest(depth: int, open_: str, close: str, leaf: str) -> str:
    return open_ * depth + leaf + close * depth


def deeper_at(text: str, bound: int = 200) -> int:
    """1-based line of the first JSON bracket nested deeper than `bound` (strings skipped)."""
    depth, line, in_string, escaped = 0, 1, False, False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > bound:
                return line
        elif ch in "]}":
            depth -= 1
        if ch == "\n":
            line += 1
    raise ValueError("not that deep")


def deep(full: bool) -> list[Case]:
    far = 100_000 if full else 20_000
    blocks = 'resource "aws_cloudtrail" "d" {\n' + "a {\n" * 100 + "}\n" * 100 + "}\n"
    expr = 'resource "aws_cloudtrail" "e" {\n  name = ' + _nest(far, "[", "]", '"x"') + "\n}\n"
    tfvars_deep = "x = " + _nest(far, "[", "]", "1") + "\n"
    yaml_block = (
        GOOD_YAML
        + "Metadata:\n"
        + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(300))
        + "  " * 301
        + "v\n"
    )
    nested_values = {
        "name": "n",
        "s3_bucket_name": "b",
        "event_selector": json.loads(_nest(300, "[", "]", "1")),
    }
    plan_deep = json.dumps(plan_document([plan_resource("aws_cloudtrail", "n", nested_values)]), indent=1)
    far_plan = GOOD_PLAN[:-2] + ', "x": ' + _nest(far, "[", "]", "1") + "}"
    return [
        Case(DEEP, "hcl-blocks-100", {"bad/deep/main.tf": _b(blocks)}, "bad/deep/main.tf", own="bad/deep"),
        Case(
            DEEP,
            f"hcl-expression-{far}",
            {"bad/deep-expr/main.tf": _b(expr)},
            None,  # Terraform reads it; the evaluator stops at its bound: the value is unknown
            own="bad/deep-expr",
        ),
        Case(
            DEEP,
            f"tfvars-{far}",
            {
                "bad/deep-vars/main.tf": _b('variable "x" {}\n'),
                "bad/deep-vars/terraform.tfvars": _b(tfvars_deep),
            },
            None,  # likewise: the variable is unknown
            own="bad/deep-vars",
        ),
        Case(
            DEEP,
            f"tf-json-{far}",
            {"bad/deep-json/main.tf.json": _b('{"locals": {"x": ' + _nest(far, "[", "]", "1") + "}}")},
            "bad/deep-json/main.tf.json",
            1,
        ),
        Case(
            DEEP,
            "plan-values-300",
            {"bad/deep-plan.json": _b(plan_deep)},
            "bad/deep-plan.json",
            deeper_at(plan_deep),
        ),
        Case(
            DEEP, f"plan-{far}", {"bad/far-plan.json": _b(far_plan)}, "bad/far-plan.json", deeper_at(far_plan)
        ),
        Case(DEEP, "yaml-block-300", {"bad/deep.yaml": _b(yaml_block)}, "bad/deep.yaml"),
        Case(
            DEEP,
            f"yaml-flow-{far}",
            {"bad/flow.yaml": _b(GOOD_YAML + "Metadata: " + _nest(far, "[", "]", "x") + "\n")},
            "bad/flow.yaml",
        ),
        Case(
            DEEP,
            f"json-{far}",
            {"bad/deep.json": _b(GOOD_JSON[:-2] + ', "Metadata": ' + _nest(far, "[", "]", "1") + "}")},
            "bad/deep.json",
        ),
    ]


def bombs() -> list[Case]:
    laughs = ['  a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for prev, name in zip("abcdefghi", "bcdefghij", strict=True):
        laughs.append(f"  {name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    laughs_text = GOOD_YAML + "Metadata:\n" + "\n".join(laughs) + "\n"
    merge = ["  m0: &m0 {k: v}"] + [
        f"  m{i}: &m{i} {{<<: [*m{i - 1}, *m{i - 1}], k{i}: v}}" for i in range(1, 40)
    ]
    merge_text = GOOD_YAML + "Metadata:\n" + "\n".join(merge) + "\n"
    # The aliases stand where the resources are read: in a property of a trail.
    in_resource = GOOD_YAML.replace("      IsLogging: true", "      Tags: *j\n      IsLogging: true")
    in_resource = in_resource.replace("Resources:", "Metadata:\n" + "\n".join(laughs) + "\nResources:")
    return [
        Case(BOMB, "billion-laughs", {"bad/laughs.yaml": _b(laughs_text)}, "bad/laughs.yaml"),
        Case(BOMB, "merge-keys", {"bad/merge.yaml": _b(merge_text)}, "bad/merge.yaml"),
        Case(BOMB, "aliases-in-a-resource", {"bad/aliased.yaml": _b(in_resource)}, "bad/aliased.yaml"),
    ]


def duplicates() -> list[Case]:
    yaml_dup = GOOD_YAML.replace("  Trail:", "  Logs:")
    json_dup = GOOD_JSON.replace(
        '"TrailName": "json-trail",', '"TrailName": "json-trail",\n          "IsLogging": false,'
    )
    plan_dup = GOOD_PLAN.replace(
        '"format_version": "1.2",', '"format_version": "1.2",\n  "planned_values": {},'
    )
    tfjson_dup = '{\n  "resource": {"aws_sns_topic": {"a": {"name": "a"}}},\n  "resource": {"aws_sns_topic": {"b": {}}}\n}\n'
    attr_dup = (
        'resource "aws_cloudtrail" "twice" {\n  name = "a"\n  s3_bucket_name = "logs"\n  name = "b"\n}\n'
    )
    block_dup = (
        'resource "aws_sns_topic" "t" {\n  name = "a"\n}\n\nresource "aws_sns_topic" "t" {\n  name = "b"\n}\n'
    )
    return [
        Case(
            DUPLICATE,
            "yaml-logical-id",
            {"bad/dup.yaml": _b(yaml_dup)},
            "bad/dup.yaml",
            line_of(yaml_dup, "  Logs:\n    Type: AWS::CloudTrail"),
        ),
        Case(
            DUPLICATE,
            "json-property",
            {"bad/dup.json": _b(json_dup)},
            "bad/dup.json",
            line_of(json_dup, '"IsLogging": true'),
        ),
        Case(
            DUPLICATE,
            "plan-top-level-key",
            {"bad/dup-plan.json": _b(plan_dup)},
            "bad/dup-plan.json",
            line_of(plan_dup, '"planned_values": {\n'),
        ),
        Case(
            DUPLICATE,
            "tf-json-block-type",
            {"bad/dup-json/main.tf.json": _b(tfjson_dup)},
            "bad/dup-json/main.tf.json",
            3,
        ),
        Case(DUPLICATE, "hcl-attribute", {"bad/dup-attr/main.tf": _b(attr_dup)}, "bad/dup-attr/main.tf", 4),
        Case(
            DUPLICATE,
            "hcl-resource-block",
            {"bad/dup-block/main.tf": _b(block_dup)},
            "bad/dup-block/main.tf",
            5,
            own="bad/dup-block",
        ),
        Case(
            DUPLICATE,
            "tfvars-variable",
            {
                "bad/dup-vars/main.tf": _b('variable "x" {}\n'),
                "bad/dup-vars/terraform.tfvars": b"x = 1\nx = 2\n",
            },
            "bad/dup-vars/terraform.tfvars",
            2,
            own="bad/dup-vars",
        ),
    ]


def tags() -> list[Case]:
    def with_tag(name: str, tagged: str) -> Case:
        text = GOOD_YAML.replace("      S3BucketName: !Ref Logs", tagged)
        return Case(
            TAGS, name, {f"bad/{name}.yaml": _b(text)}, f"bad/{name}.yaml", line_of(text, tagged.strip())
        )

    directive = "%TAG !e! tag:example.com,2000:\n---\n" + GOOD_YAML.replace("!Ref Logs", "!e!thing Logs")
    return [
        with_tag("unknown-short-form", "      S3BucketName: !Bogus Logs"),
        with_tag("python-object", '      S3BucketName: !!python/object/apply:os.system ["true"]'),
        with_tag("verbatim", "      S3BucketName: !<tag:example.com,2000:x> Logs"),
        with_tag("on-a-key", "      !Bogus S3BucketName: Logs"),
        Case(
            TAGS,
            "tag-directive",
            {"bad/directive.yaml": _b(directive)},
            "bad/directive.yaml",
            line_of(directive, "!e!thing"),
        ),
    ]


def encodings() -> list[Case]:
    latin = GOOD_TF.replace('"audit-logs"', '"audit-logs-\xe9"').encode("latin-1")
    binary = bytes(range(256)) * 16
    yaml_nul = _b(GOOD_YAML.replace("stack-trail", "stack\x00trail"))
    plan_bad_utf8 = _b(GOOD_PLAN).replace(b'"planned"', b'"plann\xff\xfeed"')
    return [
        Case(ENCODING, "latin-1-tf", {"good/tf/latin.tf": latin}, "good/tf/latin.tf"),
        Case(ENCODING, "binary-tf", {"bad/bin/main.tf": binary}, "bad/bin/main.tf"),
        Case(
            ENCODING,
            "binary-tf-json",
            {"bad/bin-json/main.tf.json": b"\x89PNG\r\n\x1a\n" + binary},
            "bad/bin-json/main.tf.json",
        ),
        Case(ENCODING, "utf-16-template", {"bad/utf16.yaml": GOOD_YAML.encode("utf-16")}, "bad/utf16.yaml"),
        Case(
            ENCODING,
            "utf-16-plan",
            {"bad/utf16-plan.json": GOOD_PLAN.encode("utf-16")},
            "bad/utf16-plan.json",
        ),
        Case(ENCODING, "utf-32-tf", {"bad/utf32/main.tf": GOOD_TF.encode("utf-32")}, "bad/utf32/main.tf"),
        Case(ENCODING, "nul-in-template", {"bad/nul.yaml": yaml_nul}, "bad/nul.yaml"),
        Case(ENCODING, "invalid-utf8-plan", {"bad/latin-plan.json": plan_bad_utf8}, "bad/latin-plan.json"),
        Case(
            ENCODING,
            "latin-1-tfvars",
            {"bad/vars/main.tf": _b('variable "x" {}\n'), "bad/vars/terraform.tfvars": b'x = "\xe9"\n'},
            "bad/vars/terraform.tfvars",
            own="bad/vars",
        ),
    ]


def surrogates() -> list[Case]:
    """A lone UTF-16 surrogate escape is read as U+FFFD (as Terraform's Go reads it): the file is
    scanned, no error, and every report can still be written as UTF-8."""
    cfn = GOOD_JSON.replace('"json-trail"', '"json-\\ud800trail"').replace(
        '"JsonTrail"', '"JsonTrail\\udc00"'
    )
    plan = GOOD_PLAN.replace('"planned"', '"plan\\udfffned"')
    hcl = 'resource "aws_cloudtrail" "odd" {\n  name           = "odd-\\ud800-\\U00110000"\n  s3_bucket_name = "logs"\n}\n'
    tfjson = json.dumps(
        {"resource": {"aws_cloudtrail": {"odd": {"name": "x", "s3_bucket_name": "b"}}}}
    ).replace('"x"', '"\\udc00"')
    return [
        Case(SURROGATE, "cfn-json", {"bad/surrogate.json": _b(cfn)}, None, own="bad/surrogate.json"),
        Case(SURROGATE, "plan", {"bad/surrogate-plan.json": _b(plan)}, None, own="bad/surrogate-plan.json"),
        Case(SURROGATE, "hcl-escape", {"bad/surrogate/main.tf": _b(hcl)}, None, own="bad/surrogate"),
        Case(
            SURROGATE,
            "tf-json",
            {"bad/surrogate-json/main.tf.json": _b(tfjson)},
            None,
            own="bad/surrogate-json",
        ),
    ]


def links() -> list[Case]:
    caller = 'module "looped" {\n  source = "./loop"\n}\n'
    return [
        # Walks never follow links into directories: a loop is not entered, and is no error.
        Case(LINKS, "directory-loop", {}, None, links={"good/tf/up": ".."}),
        Case(LINKS, "directory-self-loop", {}, None, links={"good/self": "."}),
        Case(
            LINKS,
            "tf-self-loop",
            {"bad/links/ok.tf": b""},
            "bad/links/loop.tf",
            links={"bad/links/loop.tf": "loop.tf"},
        ),
        Case(
            LINKS,
            "tf-dangling",
            {"bad/dangle/ok.tf": b""},
            "bad/dangle/gone.tf",
            links={"bad/dangle/gone.tf": "nowhere.tf"},
        ),
        Case(
            LINKS,
            "module-into-a-loop",
            {"bad/caller/main.tf": _b(caller)},
            "bad/caller/main.tf",
            1,
            links={"bad/caller/loop": "loop"},
        ),
        Case(
            LINKS,
            "explicit-template-loop",
            {},
            "loop.yaml",
            links={"loop.yaml": "loop.yaml"},
            targets=("good", "loop.yaml"),
            usage_error=True,
        ),
    ]


def unreadable() -> list[Case]:
    caller = 'module "locked" {\n  source = "../locked-module"\n}\n'
    return [
        Case(
            UNREADABLE,
            "tf-in-good-module",
            {"good/tf/locked.tf": _b(TRAIL_BLOCK.replace("= =", "="))},
            "good/tf/locked.tf",
            locked=["good/tf/locked.tf"],
            cli_only=True,
        ),
        Case(
            UNREADABLE,
            "template",
            {"bad/locked.yaml": _b(GOOD_YAML)},
            "bad/locked.yaml",
            locked=["bad/locked.yaml"],
            cli_only=True,
        ),
        Case(
            UNREADABLE,
            "plan",
            {"bad/locked-plan.json": _b(GOOD_PLAN)},
            "bad/locked-plan.json",
            locked=["bad/locked-plan.json"],
            cli_only=True,
        ),
        Case(
            UNREADABLE,
            "tfvars",
            {"bad/vars/main.tf": _b('variable "x" {}\n'), "bad/vars/terraform.tfvars": b"x = 1\n"},
            "bad/vars/terraform.tfvars",
            own="bad/vars",
            locked=["bad/vars/terraform.tfvars"],
            cli_only=True,
        ),
        Case(
            UNREADABLE,
            "directory",
            {"bad/locked-dir/stack.yaml": _b(GOOD_YAML)},
            "bad/locked-dir",
            locked=["bad/locked-dir"],
            cli_only=True,
        ),
        Case(
            UNREADABLE,
            "local-module-directory",
            {"bad/caller/main.tf": _b(caller), "bad/locked-module/main.tf": _b(GOOD_TF)},
            "bad/locked-module",
            own="bad/caller",
            locked=["bad/locked-module"],
            cli_only=True,
        ),
    ]


ODD_NAME = os.fsdecode(b"bad/odd-\xff-name.yaml")  # not UTF-8: Python keeps the byte as a surrogate


def paths() -> list[Case]:
    broken_yaml = _b(GOOD_YAML.replace("      IsLogging: true", "      IsLogging: [true"))
    spaced = "bad/my infra/ünïcødé ☃/main.tf"
    return [
        Case(PATHS, "spaces-and-unicode-tf", {spaced: _b(TRAIL_BLOCK)}, spaced, 3, own="bad/my infra"),
        Case(
            PATHS,
            "spaces-and-unicode-template",
            {"bad/stack with spaces ✓.yaml": broken_yaml},
            "bad/stack with spaces ✓.yaml",
        ),
        Case(PATHS, "newline-in-name", {"bad/new\nline.yaml": broken_yaml}, "bad/new\nline.yaml"),
        Case(PATHS, "not-utf8-name", {ODD_NAME: broken_yaml}, "bad/odd-\\xff-name.yaml"),
        Case(
            PATHS,
            "good-module-under-unicode",
            {"bad/ünï côdé/main.tf": _b(GOOD_TF)},
            None,
            own="bad/ünï côdé",
        ),
        Case(
            PATHS,
            "good-template-not-utf8-name",
            {os.fsdecode(b"bad/\xfe.yaml"): _b(GOOD_YAML)},
            None,
            own="bad/\\xfe.yaml",
        ),
    ]


def corpus(full: bool) -> list[Case]:
    """Every case but the huge files (made on demand: they are large) and the truncation sweep."""
    return [
        *malformed(),
        *truncated(full),
        *deep(full),
        *bombs(),
        *duplicates(),
        *tags(),
        *encodings(),
        *surrogates(),
        *links(),
        *unreadable(),
        *paths(),
    ]


# -- writing a case ------------------------------------------------------------------------------


def write_good(root: Path) -> Path:
    for rel, text in GOOD.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def write_case(root: Path, case: Case) -> Path:
    """The good files and the case's under `root` (locks applied last)."""
    write_good(root)
    for rel, content in case.files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    for link, target in case.links.items():
        path = root / link
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(target)
    for rel in case.locked:
        (root / rel).chmod(0)
    return root


def unlock(root: Path) -> None:
    """Undo the locks so the tree can be removed."""
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            if not path.is_symlink():
                path.chmod(0o755)


# -- scanning and comparing ----------------------------------------------------------------------


@dataclass
class Scan:
    code: int
    doc: dict[str, Any]
    stdout: str
    stderr: str
    seconds: float
    peak_mib: float


def scan_in_process(root: Path, targets: Sequence[str] = (".",), *extra: str, trace: bool = True) -> Scan:
    """`opscheck scan TARGETS --format json` in this process, from `root`; peak memory of the
    Python heap by tracemalloc (C allocations of the parsers are not in it)."""
    previous = os.getcwd()
    out, err = io.StringIO(), io.StringIO()
    if trace:
        tracemalloc.start()
    started = time.monotonic()
    try:
        os.chdir(root)
        with redirect_stderr(err):
            code = main(["scan", *targets, "--format", "json", *extra], out=out)
    finally:
        os.chdir(previous)
        peak = tracemalloc.get_traced_memory()[1] / MIB if trace else 0.0
        if trace:
            tracemalloc.stop()
    seconds = time.monotonic() - started
    text = out.getvalue()
    text.encode("utf-8")  # what the command writes: it must be UTF-8 text
    return Scan(code, json.loads(text) if text.strip() else {}, text, err.getvalue(), seconds, peak)


def _without_dac_override() -> None:
    """In the child before exec: drop the capabilities that let root read any file (from the
    bounding set, which an exec'd root process keeps no more than), so mode 000 means
    unreadable even though the tests run as root."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def can_drop_dac_override() -> bool:
    if os.geteuid() != 0:
        return True  # not root: mode 000 is unreadable anyway
    fd, name = tempfile.mkstemp()
    try:
        os.write(fd, b"x")
        os.close(fd)
        os.chmod(name, 0)
        proc = subprocess.run(["cat", name], capture_output=True, preexec_fn=_without_dac_override)
        return proc.returncode != 0
    except OSError:
        return False
    finally:
        os.unlink(name)


# Runs the command and writes its peak resident memory to argv[1]. The figure must be its own:
# ru_maxrss counts the memory of the process it was forked from, which for a child of the test
# process would be the test process's (hundreds of MiB); forked from this small one, it is not.
FORMAT = ("--format", "json")
_MEASURE = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(str(usage.ru_maxrss))
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
"""


def scan_cli(
    root: Path, targets: Sequence[str] = (".",), *extra: str, timeout: float = 300, locked: bool = False
) -> Scan:
    """The `opscheck` command in a process of its own, with its exit code, output, time and peak
    resident memory. A hang is killed at `timeout`."""
    env = {k: v for k, v in os.environ.items() if k != "OPSCHECK_DEBUG"}
    with tempfile.TemporaryDirectory() as tmp:
        peak_file = Path(tmp) / "maxrss"
        started = time.monotonic()
        try:
            proc = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    _MEASURE,
                    str(peak_file),
                    str(OPSCHECK),
                    "scan",
                    *targets,
                    *FORMAT,
                    *extra,
                ],
                cwd=root,
                capture_output=True,
                env=env,
                timeout=timeout,
                start_new_session=True,
                preexec_fn=_without_dac_override if locked and os.geteuid() == 0 else None,
            )
        except subprocess.TimeoutExpired as exc:
            raise AssertionError(f"opscheck scan hung: killed after {timeout:.0f} s") from exc
        seconds = time.monotonic() - started
        assert proc.returncode != 128 + signal.SIGKILL, "opscheck scan was killed (out of memory?)"
        peak_mib = int(peak_file.read_text()) / 1024
    stdout, stderr = proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8", "replace")
    doc = json.loads(stdout) if stdout.strip() else {}
    return Scan(proc.returncode, doc, stdout, stderr, seconds, peak_mib)


def result_keys(
    doc: Mapping[str, Any], skip: Callable[[str], bool], strip: str = ""
) -> list[tuple[Any, ...]]:
    """The results, comparable across scans (no fingerprints: they hang on the scanned root),
    leaving out those located where `skip` says."""
    keys = []
    for r in doc.get("results", []):
        where = (r.get("location") or {}).get("path") or ""
        if strip:
            if not where.startswith(strip):
                continue
            where = where[len(strip) :]
        if skip(where):
            continue
        keys.append((r["rule_id"], r["status"], r["resource"]["id"], where, r["message"].replace(strip, "")))
    return sorted(keys)


def skips(case: Case) -> Callable[[str], bool]:
    """What of a scan is the case's own: its files, and its own directory."""
    mine = {shown_path(p) for p in case.files} | {shown_path(p) for p in case.links}
    own = shown_path(case.own) if case.own else None

    def skip(where: str) -> bool:
        return where in mine or (own is not None and (where == own or where.startswith(own + "/")))

    return skip


def shown_path(path: str) -> str:
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def fresh_dir(prefix: str) -> Path:
    """A directory any user may enter (the unreadable-file cases run the command without the
    right to bypass permissions)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


def remove(path: Path) -> None:
    unlock(path)
    shutil.rmtree(path, ignore_errors=True)
