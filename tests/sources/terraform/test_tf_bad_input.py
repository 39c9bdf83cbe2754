"""Bad Terraform input (INTERFACE.md "IaC inputs"): a file that looks like Terraform but cannot be
parsed is a scan error naming the file (and line), never a crash; one unparseable .tf file does
not stop the rest of its module from being scanned; no traceback ever reaches the user.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from scanner.cli import main

OPSCHECK = Path(sys.executable).with_name("opscheck")

GOOD = """\
resource "aws_cloudtrail" "good" {
  name           = "good"
  s3_bucket_name = "logs"
}
"""


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


def scan(cwd: Path, target: str, monkeypatch, capsys, *extra: str) -> tuple[int, dict[str, Any], str]:
    """`opscheck scan TARGET --format json` in-process: exit code, document, stderr."""
    monkeypatch.chdir(cwd)
    out = io.StringIO()
    code = main(["scan", target, "--format", "json", "--rules", "CT002", *extra], out=out)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "internal error" not in err
    return code, json.loads(out.getvalue()), err


def ids(doc: dict[str, Any]) -> set[str]:
    return {r["resource"]["id"] for r in doc["results"]}


def errors_for(doc: dict[str, Any], path: str) -> list[dict[str, Any]]:
    return [e for e in doc["scan"]["errors"] if e.get("path") == path]


# -- syntax errors -------------------------------------------------------------------------------

BROKEN = """\
resource "aws_cloudtrail" "before" {
  name           = "before"
  s3_bucket_name = "logs"
}

resource "aws_cloudtrail" "damaged" {
  name           = "damaged"
  s3_bucket_name = = "logs"
}

resource "aws_cloudtrail" "after" {
  name           = "after"
  s3_bucket_name = "logs"
}
"""


def test_syntax_error_is_one_scan_error_with_file_and_line_and_the_rest_is_scanned(
    tmp_path, monkeypatch, capsys
):
    write(tmp_path / "mod", {"broken.tf": BROKEN, "good.tf": GOOD})
    code, doc, _ = scan(tmp_path, "mod", monkeypatch, capsys)
    [error] = errors_for(doc, "mod/broken.tf")
    assert error["kind"] == "parse"
    assert error["line"] == 8
    assert "mod/broken.tf" in error["message"]
    assert any(word in error["message"] for word in ("incomplete", "without"))
    assert ids(doc) == {"aws_cloudtrail.good", "aws_cloudtrail.before", "aws_cloudtrail.after"}
    assert code == 1  # the scan ran: single-region trails fail CT002


def test_syntax_error_in_a_local_module_names_the_module_file(tmp_path, monkeypatch, capsys):
    write(
        tmp_path / "root",
        {
            "main.tf": 'module "audit" {\n  source = "./audit"\n}\n' + GOOD,
            "audit/broken.tf": BROKEN,
        },
    )
    _, doc, _ = scan(tmp_path, "root", monkeypatch, capsys)
    [error] = errors_for(doc, "root/audit/broken.tf")
    assert error["line"] == 8
    assert ids(doc) == {
        "aws_cloudtrail.good",
        "module.audit.aws_cloudtrail.before",
        "module.audit.aws_cloudtrail.after",
    }


def test_unclosed_last_block_costs_only_that_block(tmp_path, monkeypatch, capsys):
    text = GOOD + '\nresource "aws_cloudtrail" "open" {\n  name = "open"\n'
    write(tmp_path / "mod", {"main.tf": text})
    _, doc, _ = scan(tmp_path, "mod", monkeypatch, capsys)
    [error] = errors_for(doc, "mod/main.tf")
    assert error["line"] >= 6
    assert ids(doc) == {"aws_cloudtrail.good"}


def test_unterminated_string_is_one_error_inside_the_file(tmp_path, monkeypatch, capsys):
    text = GOOD + '\nresource "aws_cloudtrail" "x" {\n  name = "unterminated\n}\n'
    write(tmp_path / "mod", {"main.tf": text})
    _, doc, _ = scan(tmp_path, "mod", monkeypatch, capsys)
    [error] = errors_for(doc, "mod/main.tf")
    assert 6 <= error["line"] <= len(text.splitlines())


def test_stray_line_between_blocks_costs_only_itself(tmp_path, monkeypatch, capsys):
    text = GOOD + "\nthis is not hcl !!\n\n" + GOOD.replace('"good"', '"second"')
    write(tmp_path / "mod", {"main.tf": text})
    _, doc, _ = scan(tmp_path, "mod", monkeypatch, capsys)
    [error] = errors_for(doc, "mod/main.tf")
    assert error["line"] == 6
    assert ids(doc) == {"aws_cloudtrail.good", "aws_cloudtrail.second"}


def test_broken_tfvars_is_a_scan_error_not_a_crash(tmp_path, monkeypatch, capsys):
    write(
        tmp_path / "mod",
        {
            "main.tf": 'variable "n" {\n  default = "d"\n}\n' + GOOD.replace('= "good"', "= var.n"),
            "terraform.tfvars": 'n = = "x"\n',
        },
    )
    _, doc, _ = scan(tmp_path, "mod", monkeypatch, capsys)
    [error] = errors_for(doc, "mod/terraform.tfvars")
    assert error["line"] == 1
    assert ids(doc) == {"aws_cloudtrail.good"}


# -- unreadable files -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "hint"),
    [
        ("binary.tf", b'resource "aws_cloudtrail" "bin" {\x00\x01\x02\xff}\n', "binary"),
        ("latin1.tf", b'resource "aws_cloudtrail" "latin" {\n  name = "caf\xe9"\n}\n', "UTF-8"),
        ("random.tf", bytes(range(256)) * 8, ""),
        ("binary.tf.json", b"\x89PNG\r\n\x1a\n\x00\x00", ""),
    ],
)
def test_unreadable_file_is_a_scan_error_naming_it_and_the_module_is_scanned(
    tmp_path, monkeypatch, capsys, name, content, hint
):
    write(tmp_path / "mod", {name: content, "good.tf": GOOD})
    code, doc, _ = scan(tmp_path, "mod", monkeypatch, capsys)
    [error] = errors_for(doc, f"mod/{name}")
    assert f"mod/{name}" in error["message"]
    assert hint in error["message"]
    assert ids(doc) == {"aws_cloudtrail.good"}
    assert code == 1


def test_utf8_with_bom_is_read(tmp_path, monkeypatch, capsys):
    write(tmp_path / "mod", {"bom.tf": b"\xef\xbb\xbf" + GOOD.encode()})
    _, doc, _ = scan(tmp_path, "mod", monkeypatch, capsys)
    assert doc["scan"]["errors"] == []
    assert ids(doc) == {"aws_cloudtrail.good"}


def test_invalid_tf_json_is_a_scan_error_and_hcl_files_are_scanned(tmp_path, monkeypatch, capsys):
    write(
        tmp_path / "mod",
        {"bad.tf.json": '{"resource": {"aws_cloudtrail": ', "good.tf": GOOD, "list.tf.json": "[1, 2]"},
    )
    _, doc, _ = scan(tmp_path, "mod", monkeypatch, capsys)
    assert len(errors_for(doc, "mod/bad.tf.json")) == 1
    assert len(errors_for(doc, "mod/list.tf.json")) == 1
    assert ids(doc) == {"aws_cloudtrail.good"}


@pytest.mark.parametrize(
    ("doc", "key"),
    [
        ({"resource": "text"}, "`resource`"),
        ({"resource": [1]}, "`resource`"),
        ({"resource": {"aws_cloudtrail": ["x"]}}, "`resource.aws_cloudtrail`"),
        ({"resource": {"aws_cloudtrail": {"odd": "text"}}}, "`resource.aws_cloudtrail.odd`"),
        ({"variable": {"x": 3}}, "`variable.x`"),
        ({"module": "m"}, "`module`"),
    ],
)
def test_tf_json_of_the_wrong_shape_is_a_scan_error_naming_the_key(tmp_path, monkeypatch, capsys, doc, key):
    write(tmp_path / "mod", {"odd.tf.json": json.dumps(doc, indent=1), "good.tf": GOOD})
    code, out, _ = scan(tmp_path, "mod", monkeypatch, capsys)
    [error] = errors_for(out, "mod/odd.tf.json")
    assert key in error["message"] and "must be an object" in error["message"]
    assert ids(out) == {"aws_cloudtrail.good"}
    assert code == 1


def test_tf_json_arrays_of_objects_at_every_label_level_are_read(tmp_path, monkeypatch, capsys):
    # The JSON syntax allows an array of objects wherever an object of labels is expected.
    trail = {"name": "x", "s3_bucket_name": "logs"}
    doc = {
        "resource": [
            {"aws_cloudtrail": {"a": {**trail, "name": "a"}}},
            {"aws_cloudtrail": [{"b": {**trail, "name": "b"}}, {"c": [{**trail, "name": "c"}]}]},
        ],
        "variable": [{"v": {"default": "d"}}],
    }
    write(tmp_path / "mod", {"arrays.tf.json": json.dumps(doc, indent=1)})
    code, out, _ = scan(tmp_path, "mod", monkeypatch, capsys)
    assert out["scan"]["errors"] == []
    assert ids(out) == {"aws_cloudtrail.a", "aws_cloudtrail.b", "aws_cloudtrail.c"}
    assert code == 1


def test_hidden_and_backup_files_are_ignored_as_terraform_ignores_them(tmp_path, monkeypatch, capsys):
    twin = GOOD.replace('"logs"', '"other"')
    write(tmp_path / "mod", {"main.tf": GOOD, ".main.tf": twin, "main.tf~": twin, "#main.tf#": twin})
    code, out, _ = scan(tmp_path, "mod", monkeypatch, capsys)
    assert out["scan"]["errors"] == []  # no duplicate reported against the hidden copies
    [result] = out["results"]
    assert result["location"]["path"] == "mod/main.tf"
    # A directory holding only hidden .tf files is no Terraform at all.
    write(tmp_path / "hidden", {".only.tf": GOOD})
    code, out, _ = scan(tmp_path, "hidden", monkeypatch, capsys)
    assert code == 2


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_among_tfvars_is_not_read(tmp_path, monkeypatch, capsys):
    write(tmp_path / "mod", {"main.tf": GOOD})
    os.mkfifo(tmp_path / "mod" / "x.auto.tfvars")
    os.mkfifo(tmp_path / "mod" / "pipe.tf")
    code, out, _ = scan(tmp_path, "mod", monkeypatch, capsys)
    assert code == 1
    assert ids(out) == {"aws_cloudtrail.good"}


def test_duplicate_resource_blocks_are_an_error_and_the_first_is_scanned(tmp_path, monkeypatch, capsys):
    twice = GOOD.replace('"good"\n', '"good"\n  is_multi_region_trail = true\n', 1)
    write(tmp_path / "mod", {"a.tf": GOOD, "b.tf": twice, "c.tf": 'variable "v" {}\nvariable "v" {}\n'})
    _, doc, _ = scan(tmp_path, "mod", monkeypatch, capsys)
    [dup] = errors_for(doc, "mod/b.tf")
    assert dup["line"] == 1
    assert "duplicate resource aws_cloudtrail.good (first declared at mod/a.tf:1)" in dup["message"]
    [var] = errors_for(doc, "mod/c.tf")
    assert 'duplicate variable "v"' in var["message"] and var["line"] == 2
    [result] = doc["results"]
    assert result["location"]["path"] == "mod/a.tf"
    assert result["status"] == "fail"  # the first block (single-region) is the one judged


def test_a_root_whose_every_file_is_broken_is_not_a_scanned_configuration(tmp_path, monkeypatch, capsys):
    write(tmp_path / "mod", {"broken.tf": 'resource "aws_cloudtrail" "t" {\n  name = = "t"\n}\n'})
    code, doc, _ = scan(tmp_path, "mod", monkeypatch, capsys)
    assert code == 2  # nothing could be scanned, as for an unparseable template
    assert doc["results"] == []
    assert [e["path"] for e in errors_for(doc, "mod/broken.tf")] == ["mod/broken.tf"]
    # Beside a readable configuration it is one scan error and the scan goes on.
    write(tmp_path / "more" / "good", {"main.tf": GOOD})
    write(tmp_path / "more" / "bad", {"main.tf": 'resource "aws_cloudtrail" "t" {\n  name = = "t"\n}\n'})
    code, doc, _ = scan(tmp_path, "more", monkeypatch, capsys)
    assert code == 1
    assert ids(doc) == {"aws_cloudtrail.good"}
    assert len(errors_for(doc, "more/bad/main.tf")) == 1


def test_a_loader_bug_costs_one_configuration_said_out_loud(tmp_path, monkeypatch, capsys):
    from scanner.sources.terraform import loader

    real = loader.RootLoader.load

    def flaky(self):
        if self.root.name == "bad":
            raise KeyError("boom")
        return real(self)

    def broken_template_loader(*args):
        raise ValueError("bang")

    monkeypatch.setattr(loader.RootLoader, "load", flaky)
    monkeypatch.setattr("scanner.scan.load_template", broken_template_loader)
    write(tmp_path / "repo" / "good", {"main.tf": GOOD})
    write(tmp_path / "repo" / "bad", {"main.tf": GOOD.replace("good", "bad")})
    write(tmp_path / "repo", {"stack.yaml": "Resources:\n  T:\n    Type: AWS::SNS::Topic\n"})
    code, doc, _ = scan(tmp_path, "repo", monkeypatch, capsys)
    assert code == 1
    assert ids(doc) == {"aws_cloudtrail.good"}
    internal = {e["path"]: e["message"] for e in doc["scan"]["errors"] if e["kind"] == "internal"}
    assert set(internal) == {"repo/bad", "repo/stack.yaml"}
    assert "KeyError" in internal["repo/bad"] and "not scanned" in internal["repo/bad"]
    assert "ValueError: bang" in internal["repo/stack.yaml"]


# -- empty files --------------------------------------------------------------------------------


@pytest.mark.parametrize("content", ["", "\n\n", "# only a comment\n// and another\n/* and a block */\n"])
def test_empty_files_are_no_error(tmp_path, monkeypatch, capsys, content):
    write(tmp_path / "mod", {"empty.tf": content, "good.tf": GOOD})
    _, doc, _ = scan(tmp_path, "mod", monkeypatch, capsys)
    assert doc["scan"]["errors"] == []
    assert ids(doc) == {"aws_cloudtrail.good"}


def test_module_of_empty_files_scans_to_nothing_without_error(tmp_path, monkeypatch, capsys):
    write(tmp_path / "mod", {"empty.tf": "", "empty.tf.json": "{}"})
    code, doc, _ = scan(tmp_path, "mod", monkeypatch, capsys)
    assert doc["scan"]["errors"] == []
    assert doc["results"] == []
    assert code == 0


# -- deep nesting ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expr",
    [
        "[" * 3000 + "1" + "]" * 3000,
        "(" * 3000 + "1" + ")" * 3000,
        "{a = " * 1000 + "1" + "}" * 1000,
        "jsonencode(" * 500 + "1" + ")" * 500,
        '"${' * 40 + '"x"' + '}"' * 40,
    ],
    ids=["tuples", "parentheses", "objects", "calls", "templates"],
)
def test_deeply_nested_expression_is_no_crash(tmp_path, monkeypatch, capsys, expr):
    text = f'resource "aws_cloudtrail" "deep" {{\n  name = "deep"\n  s3_key_prefix = {expr}\n}}\n' + GOOD
    write(tmp_path / "mod", {"main.tf": text})
    code, doc, _ = scan(tmp_path, "mod", monkeypatch, capsys)
    assert "aws_cloudtrail.good" in ids(doc)
    assert code in (0, 1)


def test_templates_nested_beyond_what_the_parser_reads_are_a_scan_error(tmp_path, monkeypatch, capsys):
    expr = '"${' * 300 + '"x"' + '}"' * 300
    write(tmp_path / "mod", {"deep.tf": f"locals {{\n  x = {expr}\n}}\n", "good.tf": GOOD})
    code, doc, _ = scan(tmp_path, "mod", monkeypatch, capsys)
    assert len(errors_for(doc, "mod/deep.tf")) == 1
    assert ids(doc) == {"aws_cloudtrail.good"}
    assert code == 1


def test_deeply_nested_blocks_are_a_scan_error_with_the_line(tmp_path, monkeypatch, capsys):
    deep = 'resource "aws_cloudtrail" "deep" {\n' + "event_selector {\n" * 200 + "}\n" * 200 + "}\n"
    write(tmp_path / "mod", {"deep.tf": deep, "good.tf": GOOD})
    _, doc, _ = scan(tmp_path, "mod", monkeypatch, capsys)
    [error] = errors_for(doc, "mod/deep.tf")
    assert error["line"] is not None
    assert "aws_cloudtrail.good" in ids(doc)


def test_deeply_nested_block_costs_only_itself(tmp_path, monkeypatch, capsys):
    deep = 'resource "aws_cloudtrail" "deep" {\n' + "event_selector {\n" * 100 + "}\n" * 100 + "}\n"
    text = GOOD + "\n" + deep + "\n" + GOOD.replace('"good"', '"last"')
    write(tmp_path / "mod", {"main.tf": text})
    _, doc, _ = scan(tmp_path, "mod", monkeypatch, capsys)
    assert ids(doc) == {"aws_cloudtrail.good", "aws_cloudtrail.last"}


def test_long_chain_of_locals_is_no_crash(tmp_path, monkeypatch, capsys):
    n = 400
    chain = "locals {\n" + "".join(f"  a{i} = local.a{i + 1}\n" for i in range(n)) + f'  a{n} = "end"\n}}\n'
    write(tmp_path / "mod", {"locals.tf": chain, "main.tf": GOOD.replace('= "good"', "= local.a0")})
    code, doc, _ = scan(tmp_path, "mod", monkeypatch, capsys)
    assert ids(doc) == {"aws_cloudtrail.good"}
    assert code in (0, 1)


def test_deeply_nested_tf_json_is_no_crash(tmp_path, monkeypatch, capsys):
    deep = '{"locals": {"x": ' + "[" * 100_000 + "]" * 100_000 + "}}"
    mid = json.dumps({"locals": {"y": json.loads("[" * 500 + "]" * 500)}})
    write(tmp_path / "mod", {"deep.tf.json": deep, "mid.tf.json": mid, "good.tf": GOOD})
    code, doc, _ = scan(tmp_path, "mod", monkeypatch, capsys)
    assert len(errors_for(doc, "mod/deep.tf.json")) == 1
    assert ids(doc) == {"aws_cloudtrail.good"}
    assert code == 1


# -- symbolic links ------------------------------------------------------------------------------


def test_symlink_loops_in_the_tree_terminate_and_scan_each_module_once(tmp_path, monkeypatch, capsys):
    root = write(tmp_path / "tree", {"mod/good.tf": GOOD})
    (root / "mod" / "up").symlink_to("..")
    (root / "self").symlink_to(".")
    (root / "mod" / "loop.tf").symlink_to("loop.tf")  # a file link pointing at itself
    (root / "mod" / "dangling.tf").symlink_to("nowhere.tf")
    code, doc, _ = scan(tmp_path, "tree", monkeypatch, capsys)
    assert [r["resource"]["id"] for r in doc["results"]] == ["aws_cloudtrail.good"]
    assert code == 1


def test_module_reached_through_a_symlinked_directory_is_followed(tmp_path, monkeypatch, capsys):
    root = write(
        tmp_path / "root",
        {"main.tf": 'module "m" {\n  source = "./linked"\n}\n', "../real/main.tf": GOOD},
    )
    (root / "linked").symlink_to(tmp_path / "real", target_is_directory=True)
    _, doc, _ = scan(tmp_path, "root", monkeypatch, capsys)
    assert ids(doc) == {"module.m.aws_cloudtrail.good"}


# -- everything at once, in a separate process ------------------------------------------------------


def test_no_traceback_from_the_command_on_a_tree_of_bad_input(tmp_path):
    root = write(
        tmp_path / "tree",
        {
            "ok/good.tf": GOOD,
            "ok/broken.tf": BROKEN,
            "ok/bin.tf": b"\x00\x01\x02",
            "ok/latin.tf": b'name = "\xe9"\n',
            "ok/empty.tf": "",
            "ok/bad.tf.json": "{",
            "ok/terraform.tfvars": "= = =\n",
            "deep/main.tf": 'resource "aws_cloudtrail" "d" {\n' + "a {\n" * 500 + "}\n" * 500 + "}\n",
            "remote/main.tf": 'module "r" {\n  source = "hashicorp/consul/aws"\n}\n',
            "missing/main.tf": 'module "m" {\n  source = "../nowhere"\n}\n',
            "cycle/main.tf": 'module "c" {\n  source = "./c"\n}\n',
            "cycle/c/main.tf": 'module "again" {\n  source = "./"\n}\n',
        },
    )
    (root / "ok" / "up").symlink_to("..")
    env = {k: v for k, v in os.environ.items() if k != "OPSCHECK_DEBUG"}
    proc = subprocess.run(
        [str(OPSCHECK), "scan", "tree", "--format", "json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert "Traceback" not in proc.stderr
    assert "internal error" not in proc.stderr
    assert proc.returncode in (0, 1), proc.stderr
    doc = json.loads(proc.stdout)
    paths = {e.get("path") for e in doc["scan"]["errors"]}
    assert {"tree/ok/broken.tf", "tree/ok/bin.tf", "tree/ok/latin.tf", "tree/ok/bad.tf.json"} <= paths
    assert {"tree/remote/main.tf", "tree/missing/main.tf", "tree/deep/main.tf"} <= paths
    assert "aws_cloudtrail.good" in ids(doc)


def test_strict_makes_a_scan_error_exit_2(tmp_path, monkeypatch, capsys):
    write(tmp_path / "mod", {"broken.tf": BROKEN})
    code, _, _ = scan(tmp_path, "mod", monkeypatch, capsys, "--strict", "--fail-on", "none")
    assert code == 2


def test_scan_errors_do_not_change_the_exit_code_without_strict(tmp_path, monkeypatch, capsys):
    write(tmp_path / "mod", {"broken.tf": BROKEN})
    code, _, _ = scan(tmp_path, "mod", monkeypatch, capsys, "--fail-on", "none")
    assert code == 0


def test_console_output_names_the_error_without_a_traceback(tmp_path, monkeypatch, capsys):
    write(tmp_path / "mod", {"broken.tf": BROKEN})
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    main(["scan", "mod", "--rules", "CT002"], out=out)
    err = capsys.readouterr().err
    assert "Traceback" not in err + out.getvalue()
    assert "mod/broken.tf" in out.getvalue() + err


def test_a_tf_file_above_the_hcl_limit_is_refused_unparsed(tmp_path, monkeypatch, capsys):
    """HCL syntax trees cost some 170 bytes of memory per byte (tests/reliability): a .tf file
    above 8 MiB is an error naming it, not gigabytes; .tf.json keeps the general 20 MiB limit."""
    big = "# " + "x" * (8 * 1024 * 1024) + "\n"
    write(tmp_path / "mod", {"big.tf": big, "good.tf": GOOD})
    code, doc, _ = scan(tmp_path, "mod", monkeypatch, capsys)
    [error] = errors_for(doc, "mod/big.tf")
    assert "above the 8,388,608-byte limit" in error["message"]
    assert ids(doc) == {"aws_cloudtrail.good"}
    assert code == 1
