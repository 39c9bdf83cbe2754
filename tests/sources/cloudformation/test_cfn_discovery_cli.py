"""`opscheck scan PATH...` over CloudFormation: discovery by content, scan errors, exit codes.

INTERFACE.md: directories are walked recursively; anything else under a scanned directory is
skipped silently; a file that looks like a template but cannot be parsed is a scan error, never a
crash; exit 2 when nothing at all could be scanned (or on a usage error); location.path is
relative to the directory the scan was started from and uses '/'; two scans of the same input
give byte-identical documents except for scan.id, timestamps and durations.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from scanner.cli import main

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "cloudformation"
OPSCHECK = Path(sys.executable).with_name("opscheck")

TRAIL = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  {lid}Logs:
    Type: AWS::S3::Bucket
  {lid}Trail:
    Type: AWS::CloudTrail::Trail
    Properties:
      TrailName: {name}
      IsLogging: true
      S3BucketName: !Ref {lid}Logs
"""


def trail_template(name: str = "audit") -> str:
    """A template with a trail (that fails some rules). Logical ids differ per name, so two of
    these in one scan never share a resource identity."""
    return TRAIL.format(name=name, lid="".join(c for c in name.title() if c.isalnum()))


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(textwrap.dedent(text))
    return path


def scan(cwd: Path, monkeypatch, *args: str) -> tuple[int, dict | None]:
    monkeypatch.chdir(cwd)
    out = io.StringIO()
    code = main(["scan", *args, "--format", "json"], out=out)
    text = out.getvalue()
    return code, (json.loads(text) if text.strip() else None)


def result_paths(doc: dict) -> set[str]:
    return {r["location"]["path"] for r in doc["results"] if r["location"]}


# -- walking directories ---------------------------------------------------------------------


def test_directories_are_walked_recursively(tmp_path, monkeypatch):
    write(tmp_path / "infra" / "a" / "b" / "c" / "deep.yaml", trail_template("deep"))
    write(tmp_path / "infra" / "top.template", trail_template("top"))
    write(
        tmp_path / "infra" / "json" / "stack.json",
        json.dumps({"Resources": {"T": {"Type": "AWS::SNS::Topic"}}}),
    )
    code, doc = scan(tmp_path, monkeypatch, "infra")
    assert code == 1
    assert doc["scan"]["errors"] == []
    assert result_paths(doc) == {"infra/a/b/c/deep.yaml", "infra/top.template"}
    assert doc["scan"]["stats"]["resources"] == 5  # two buckets, two trails, one topic
    assert doc["scan"]["targets"] == [{"kind": "path", "path": "infra"}]


@pytest.mark.parametrize("skipped", [".git", ".terraform", "node_modules"])
def test_tool_directories_are_not_scanned(tmp_path, monkeypatch, skipped):
    write(tmp_path / "repo" / skipped / "hooks" / "template.yaml", trail_template("hidden"))
    write(tmp_path / "repo" / "stack.yaml", trail_template("real"))
    code, doc = scan(tmp_path, monkeypatch, "repo")
    assert code == 1
    assert result_paths(doc) == {"repo/stack.yaml"}
    assert doc["scan"]["stats"]["resources"] == 2
    assert doc["scan"]["errors"] == []


def test_only_templates_in_tool_directories_means_nothing_scanned(tmp_path, monkeypatch):
    for skipped in (".git", ".terraform", "node_modules"):
        write(tmp_path / "repo" / skipped / "template.yaml", trail_template())
    code, _ = scan(tmp_path, monkeypatch, "repo")
    assert code == 2


def test_non_iac_files_are_skipped_silently(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "not_templates", repo / "deploy")
    write(
        repo / ".github" / "workflows" / "ci.yml", (FIXTURES / "not_templates" / "workflow.yml").read_text()
    )
    write(repo / "README.md", "# Resources\n\nAWSTemplateFormatVersion is documented here.\n")
    write(repo / "package.json", '{"name": "x", "Resources": ["a"]}\n')
    write(repo / "values.yaml", "Resources:\n  - cpu\n  - memory\n")
    write(repo / "notes.txt", "Resources: none\n")
    write(repo / "stack" / "template.yaml", trail_template())
    code, doc = scan(tmp_path, monkeypatch, "repo")
    assert code == 1
    assert doc["scan"]["errors"] == []
    assert result_paths(doc) == {"repo/stack/template.yaml"}
    assert doc["scan"]["stats"]["resources"] == 2


def test_directory_without_iac_exits_2(tmp_path, monkeypatch):
    shutil.copytree(FIXTURES / "not_templates", tmp_path / "repo")
    write(tmp_path / "repo" / "README.md", "nothing to see\n")
    code, _ = scan(tmp_path, monkeypatch, "repo")
    assert code == 2


def test_empty_directory_exits_2(tmp_path, monkeypatch):
    (tmp_path / "empty").mkdir()
    code, _ = scan(tmp_path, monkeypatch, "empty")
    assert code == 2


def test_path_that_does_not_exist_exits_2(tmp_path, monkeypatch, capsys):
    write(tmp_path / "stack.yaml", trail_template())
    code, doc = scan(tmp_path, monkeypatch, "stack.yaml", "no-such-dir")
    assert code == 2
    assert doc is None
    assert "no-such-dir" in capsys.readouterr().err


def test_files_and_directories_mixed(tmp_path, monkeypatch):
    write(tmp_path / "one.yaml", trail_template("one"))
    write(tmp_path / "dir" / "two.yml", trail_template("two"))
    code, doc = scan(tmp_path, monkeypatch, "one.yaml", "dir")
    assert code == 1
    assert result_paths(doc) == {"one.yaml", "dir/two.yml"}


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_directory_symlink_loop_does_not_hang(tmp_path):
    repo = tmp_path / "repo"
    write(repo / "stacks" / "audit.yaml", trail_template())
    os.symlink("..", repo / "stacks" / "up")  # repo/stacks/up -> repo
    os.symlink(repo, repo / "self")  # absolute loop
    os.symlink("missing.yaml", repo / "dangling.yaml")
    proc = subprocess.run(
        [str(OPSCHECK), "scan", "repo", "--format", "json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    # The template is scanned once, under its own path, not again through the links.
    assert result_paths(doc) == {"repo/stacks/audit.yaml"}
    assert doc["scan"]["stats"]["resources"] == 2


# -- broken files: scan errors, never a crash ------------------------------------------------


def test_malformed_template_is_one_error_and_the_others_are_still_scanned(tmp_path, monkeypatch, capsys):
    write(
        tmp_path / "repo" / "broken.yaml",
        """\
        AWSTemplateFormatVersion: "2010-09-09"
        Resources:
          A:
            Type: AWS::S3::Bucket
            Properties: {BucketName: [unclosed}
          B:
            Type: AWS::S3::Bucket
        """,
    )
    write(tmp_path / "repo" / "good.yaml", trail_template())
    code, doc = scan(tmp_path, monkeypatch, "repo")
    assert code == 1
    [error] = doc["scan"]["errors"]
    assert error["kind"] == "parse"
    assert error["path"] == "repo/broken.yaml"
    assert error["line"] == 5
    assert "repo/broken.yaml" in error["message"]
    assert result_paths(doc) == {"repo/good.yaml"}
    assert "internal error" not in capsys.readouterr().err


def test_malformed_json_template_is_an_error_with_its_line(tmp_path, monkeypatch):
    write(
        tmp_path / "repo" / "broken.json",
        '{\n  "AWSTemplateFormatVersion": "2010-09-09",\n  "Resources": {\n    "A": {"Type": "AWS::S3::Bucket" "Properties": {}}\n  }\n}\n',
    )
    write(tmp_path / "repo" / "good.yaml", trail_template())
    code, doc = scan(tmp_path, monkeypatch, "repo")
    assert code == 1
    [error] = doc["scan"]["errors"]
    assert (error["kind"], error["path"], error["line"]) == ("parse", "repo/broken.json", 4)


def test_strict_turns_the_parse_error_into_exit_2(tmp_path, monkeypatch):
    write(tmp_path / "repo" / "broken.yaml", 'AWSTemplateFormatVersion: "2010-09-09"\nResources: [\n')
    write(tmp_path / "repo" / "good.yaml", trail_template())
    code, doc = scan(tmp_path, monkeypatch, "repo", "--strict")
    assert code == 2
    assert len(doc["scan"]["errors"]) == 1


BAD_BYTES = {
    "binary": b"\x00\x01\x02Resources\x00\xff\xfe" * 20,
    "binary-claiming": b'AWSTemplateFormatVersion: "2010-09-09"\x00\nResources:\n\x00\xff',
    "latin1": "Resources:\n  Café:\n    Type: AWS::S3::Bucket\n".encode("latin-1"),
    "latin1-claiming": 'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Caf\xe9: {}\n'.encode(
        "latin-1"
    ),
    "utf16": "Resources:\n  A:\n    Type: AWS::S3::Bucket\n".encode("utf-16"),
}


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
@pytest.mark.parametrize("kind", sorted(BAD_BYTES))
def test_binary_and_non_utf8_files_never_crash(tmp_path, monkeypatch, capsys, kind, suffix):
    bad = write(tmp_path / "repo" / f"weird{suffix}", BAD_BYTES[kind])
    write(tmp_path / "repo" / "good.yaml", trail_template())
    code, doc = scan(tmp_path, monkeypatch, "repo")
    assert code == 1, capsys.readouterr().err
    assert "internal error" not in capsys.readouterr().err
    assert result_paths(doc) == {"repo/good.yaml"}
    for error in doc["scan"]["errors"]:  # an error, if any, names the file
        assert error["kind"] == "parse"
        assert error["path"] == f"repo/{bad.name}"
    if kind.endswith("claiming"):  # it says it is a template: not silently skipped
        assert len(doc["scan"]["errors"]) == 1


def test_explicit_binary_file_is_an_error_not_a_crash(tmp_path, monkeypatch, capsys):
    write(tmp_path / "weird.yaml", BAD_BYTES["binary"])
    code, doc = scan(tmp_path, monkeypatch, "weird.yaml")
    assert code == 2  # nothing could be scanned
    assert "internal error" not in capsys.readouterr().err
    assert [e.get("path") for e in doc["scan"]["errors"]] == [None, "weird.yaml"]
    assert doc["scan"]["errors"][0]["kind"] == "config"  # why nothing was scanned, in the document
    assert "could be scanned under weird.yaml" in doc["scan"]["errors"][0]["message"]


def test_deeply_nested_json_template_is_a_parse_error_not_a_crash(tmp_path, monkeypatch, capsys):
    depth = 900
    write(
        tmp_path / "repo" / "deep.json",
        '{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"A": {"Type": "AWS::S3::Bucket", '
        '"Properties": {"X": ' + "[" * depth + "]" * depth + "}}}}",
    )
    write(tmp_path / "repo" / "good.yaml", trail_template())
    code, doc = scan(tmp_path, monkeypatch, "repo")
    assert "internal error" not in capsys.readouterr().err
    assert code == 1
    assert [e["path"] for e in doc["scan"]["errors"]] == ["repo/deep.json"]
    assert result_paths(doc) == {"repo/good.yaml"}


def test_yaml_with_an_impossible_date_never_crashes_the_scan(tmp_path, monkeypatch, capsys):
    write(tmp_path / "repo" / "changelog.yaml", "Resources: added\nreleased: 2024-02-30\n")
    write(
        tmp_path / "repo" / "claims.yaml",
        'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  A:\n    Type: AWS::S3::Bucket\n'
        "    Metadata: {since: 2024-02-30}\n",
    )
    write(tmp_path / "repo" / "good.yaml", trail_template())
    code, doc = scan(tmp_path, monkeypatch, "repo")
    assert "internal error" not in capsys.readouterr().err
    assert code == 1
    assert [(e["path"], e["line"]) for e in doc["scan"]["errors"]] == [("repo/claims.yaml", 5)]
    assert result_paths(doc) == {"repo/good.yaml"}


def test_template_with_resources_after_a_long_mappings_section_is_scanned(tmp_path, monkeypatch):
    mappings = "".join(f"    region{i:05d}: {{Ami: ami-{i:017x}}}\n" for i in range(3000))
    write(
        tmp_path / "repo" / "big.yaml",
        "Mappings:\n  Amis:\n" + mappings + "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n",
    )
    assert (tmp_path / "repo" / "big.yaml").stat().st_size > 64 * 1024
    write(tmp_path / "repo" / "good.yaml", trail_template())
    _, doc = scan(tmp_path, monkeypatch, "repo")
    assert doc["scan"]["stats"]["resources"] == 3


def test_same_logical_id_in_two_templates_gives_a_result_for_each(tmp_path, monkeypatch):
    # The same logical ids (AuditLogs, AuditTrail) in both templates, as copies of one stack do.
    write(tmp_path / "repo" / "dev" / "template.yaml", TRAIL.format(name="dev", lid="Audit"))
    prod = TRAIL.format(name="prod", lid="Audit").replace("IsLogging: true", "IsLogging: false")
    write(tmp_path / "repo" / "prod" / "template.yaml", prod)
    code, doc = scan(tmp_path, monkeypatch, "repo", "--rules", "CT003")
    assert code == 1
    assert doc["scan"]["errors"] == []
    verdicts = {(r["location"]["path"], r["status"]) for r in doc["results"]}
    assert verdicts == {("repo/dev/template.yaml", "pass"), ("repo/prod/template.yaml", "fail")}
    assert len({r["fingerprint"] for r in doc["results"]}) == 2


# -- paths and determinism -------------------------------------------------------------------


def test_location_path_is_relative_to_the_working_directory(tmp_path, monkeypatch):
    write(tmp_path / "work" / "stacks" / "prod" / "audit.yaml", trail_template())
    for arg in ("stacks", str(tmp_path / "work" / "stacks"), "./stacks/prod/../prod"):
        _, doc = scan(tmp_path / "work", monkeypatch, arg)
        assert result_paths(doc) == {"stacks/prod/audit.yaml"}, arg


def test_location_path_outside_the_working_directory_uses_slashes(tmp_path, monkeypatch):
    write(tmp_path / "other" / "audit.yaml", trail_template())
    (tmp_path / "work").mkdir()
    _, doc = scan(tmp_path / "work", monkeypatch, "../other")
    assert result_paths(doc) == {"../other/audit.yaml"}


def normalized(doc: dict) -> str:
    doc = json.loads(json.dumps(doc))
    scan_part = doc["scan"]
    for key in ("id", "started_at", "finished_at"):
        scan_part.pop(key)
    scan_part["stats"].pop("duration_s")
    return json.dumps(doc, indent=2)


def build_tree(root: Path, reverse: bool) -> None:
    files = {
        "b/stack.yaml": trail_template("b"),
        "a/stack.json": json.dumps(
            {
                "Resources": {
                    "ATrail": {
                        "Type": "AWS::CloudTrail::Trail",
                        "Properties": {"TrailName": "a", "IsLogging": False, "S3BucketName": "x"},
                    },
                    "ZTrail": {
                        "Type": "AWS::CloudTrail::Trail",
                        "Properties": {"TrailName": "z", "IsLogging": True, "S3BucketName": "x"},
                    },
                }
            },
            indent=2,
        ),
        "c/broken.yaml": 'AWSTemplateFormatVersion: "2010-09-09"\nResources: {\n',
        "c/also-broken.json": '{"AWSTemplateFormatVersion": "2010-09-09", "Resources": [}',
        "sam/template.yaml": (FIXTURES / "sam_events.yaml").read_text(),
    }
    for name in sorted(files, reverse=reverse):
        write(root / name, files[name])


def test_results_are_deterministic_across_runs_and_file_creation_order(tmp_path, monkeypatch):
    build_tree(tmp_path / "first" / "repo", reverse=False)
    build_tree(tmp_path / "second" / "repo", reverse=True)
    code1, doc1 = scan(tmp_path / "first", monkeypatch, "repo")
    code2, doc2 = scan(tmp_path / "first", monkeypatch, "repo")
    code3, doc3 = scan(tmp_path / "second", monkeypatch, "repo")
    assert code1 == code2 == code3 == 1
    assert len(doc1["results"]) > 10 and len(doc1["scan"]["errors"]) == 2
    assert normalized(doc1) == normalized(doc2) == normalized(doc3)
    assert doc1["scan"]["id"] != doc2["scan"]["id"]


# -- files that are not what their name says -----------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_in_a_walked_directory_is_skipped_not_opened(tmp_path, monkeypatch):
    write(tmp_path / "repo" / "good.yaml", trail_template())
    os.mkfifo(tmp_path / "repo" / "pipe.yaml")  # opening it would block the scan forever
    code, doc = scan(tmp_path, monkeypatch, "repo")
    assert code == 1
    assert result_paths(doc) == {"repo/good.yaml"}
    assert doc["scan"]["errors"] == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_given_on_the_command_line_is_a_clear_error(tmp_path, monkeypatch):
    os.mkfifo(tmp_path / "pipe.yaml")
    code, doc = scan(tmp_path, monkeypatch, "pipe.yaml")
    assert code == 2
    assert any("not a regular file or directory" in e["message"] for e in doc["scan"]["errors"])


def test_a_broken_file_declaring_aws_resources_is_an_error_even_without_the_version_key(
    tmp_path, monkeypatch
):
    write(tmp_path / "repo" / "good.yaml", trail_template())
    write(
        tmp_path / "repo" / "broken.yaml",
        "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n    Properties: {TopicName: [unclosed\n",
    )
    write(tmp_path / "repo" / "values.yaml", "Resources: [a, b\n")  # broken, but not a template
    code, doc = scan(tmp_path, monkeypatch, "repo")
    assert code == 1
    [error] = doc["scan"]["errors"]
    assert (error["kind"], error["path"]) == ("parse", "repo/broken.yaml")
    assert error["line"] is not None


def test_a_named_yaml_template_quoting_format_version_is_a_template_not_a_plan(tmp_path, monkeypatch):
    text = trail_template() + textwrap.indent(
        textwrap.dedent(
            """\
            Reader:
              Type: AWS::Lambda::Function
              Properties:
                Runtime: python3.12
                Handler: index.handler
                Code:
                  ZipFile: |
                    def handler(plan, _):
                        return plan["format_version"]
            """
        ),
        "  ",
    )
    write(tmp_path / "stack.yaml", text)
    code, doc = scan(tmp_path, monkeypatch, "stack.yaml")
    assert doc["scan"]["errors"] == []
    assert code == 1
    assert result_paths(doc) == {"stack.yaml"}


@pytest.mark.parametrize(
    ("name", "text"),
    [
        (  # a Kubernetes ConfigMap carrying a template, in a multi-document file
            "k8s.yaml",
            "apiVersion: v1\nkind: ConfigMap\ndata:\n  stack.yaml: |\n    Resources:\n"
            "      T:\n        Type: AWS::SNS::Topic\n---\nkind: Secret\n---\n: broken\n",
        ),
        (  # an Ansible playbook with a vault tag that mentions CloudFormation types
            "play.yml",
            "- hosts: all\n  vars:\n    password: !vault |\n      $ANSIBLE_VAULT\n"
            "    Resources: {Type: 'AWS::S3::Bucket'}\n",
        ),
    ],
)
def test_other_tools_yaml_mentioning_aws_types_is_skipped_silently(tmp_path, monkeypatch, name, text):
    write(tmp_path / "repo" / "good.yaml", trail_template())
    write(tmp_path / "repo" / name, text)
    code, doc = scan(tmp_path, monkeypatch, "repo")
    assert doc["scan"]["errors"] == []
    assert code == 1
