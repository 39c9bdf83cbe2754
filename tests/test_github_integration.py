"""The GitHub integration: the composite action (action.yml), the example workflows users copy
(examples/workflows/) and the pre-commit hook (.pre-commit-hooks.yaml).

Static checks keep the files safe to copy (no expression spliced into a shell script, actions
pinned and from an allow-list, least permissions). The action's run steps are then executed with
bash the way a runner executes them, against a copy of examples/, with a small evaluator for the
expressions the action uses: a GitHub runner is not available here, but the scripts, their
outputs and the exit code the step ends with are the real ones."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import toolchain
import yaml

from scanner.cli import build_parser

REPO = Path(__file__).resolve().parents[1]
ACTION = REPO / "action.yml"
WORKFLOWS = REPO / "examples" / "workflows"
PR_WORKFLOW = WORKFLOWS / "pull-request-iac.yml"
NIGHTLY_WORKFLOW = WORKFLOWS / "nightly-org-scan.yml"
SHARDED_WORKFLOW = WORKFLOWS / "nightly-org-sharded.yml"
HOOKS = REPO / ".pre-commit-hooks.yaml"
GITHUB_FILES = [ACTION, PR_WORKFLOW, NIGHTLY_WORKFLOW, SHARDED_WORKFLOW]
# The interpreter running the tests lives in the project's virtual environment, next to the
# `opscheck` console script the action's steps call (setup-python + pip on a runner).
VENV_BIN = Path(sys.executable).parent

EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}", re.DOTALL)
# First-party actions only, and the project's own action in the examples.
ALLOWED_OWNERS = ("actions/", "github/codeql-action/", "aws-actions/", "opscheck/opscheck")
PINNED = re.compile(r"@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$")


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def triggers(workflow: Mapping[Any, Any]) -> Any:
    # YAML 1.1 reads the bare key `on` as the boolean true.
    return workflow.get("on", workflow.get(True))


def steps_of(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """(job name, step) for every step of an action or a workflow, in order."""
    doc = load(path)
    if "runs" in doc:
        return [("action", step) for step in doc["runs"]["steps"]]
    return [(name, step) for name, job in doc["jobs"].items() for step in job.get("steps", [])]


def strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, Mapping):
        for key, value in node.items():
            yield from strings(key)
            yield from strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)


def expressions(path: Path) -> list[str]:
    return [m.group(1) for text in strings(load(path)) for m in EXPRESSION.finditer(text)]


# -- static checks ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", [*GITHUB_FILES, HOOKS], ids=lambda p: p.name)
def test_files_parse_as_yaml(path: Path) -> None:
    doc = load(path)
    assert doc, path


def test_action_shape() -> None:
    action = load(ACTION)
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) == {
        "paths",
        "aws",
        "regions",
        "fail-on",
        "baseline",
        "config",
        "rules",
        "skip-rules",
        "upload-sarif",
        "sarif-category",
        "html-artifact-name",
        "output-dir",
        "python-version",
    }
    assert action["inputs"]["upload-sarif"]["default"] == "true"
    assert action["inputs"]["aws"]["default"] == "false"
    for name, spec in action["inputs"].items():
        assert spec.get("description"), name
        # A composite action's defaults reach the scripts as strings; None would be "".
        assert isinstance(spec.get("default"), str), name
    assert set(action["outputs"]) == {"exit-code", "sarif-file", "results-file", "html-file"}
    for name, spec in action["outputs"].items():
        assert spec["value"] == f"${{{{ steps.scan.outputs.{name} }}}}", name
    # The pinned action installs its own checkout, not a package from an index.
    install = next(s for _, s in steps_of(ACTION) if s.get("id") == "install")
    assert install["env"] == {"ACTION_PATH": "${{ github.action_path }}"}
    assert 'pip install --disable-pip-version-check --quiet "$ACTION_PATH"' in install["run"]


@pytest.mark.parametrize("path", GITHUB_FILES, ids=lambda p: p.name)
def test_every_input_used_is_declared(path: Path) -> None:
    doc = load(path)
    if "runs" in doc:
        declared = set(doc["inputs"])
    else:
        dispatch = triggers(doc).get("workflow_dispatch") or {}
        declared = set(dispatch.get("inputs") or {})
    used = {m for e in expressions(path) for m in re.findall(r"\binputs\.([A-Za-z0-9_-]+)", e)}
    assert used <= declared, used - declared
    if "runs" in doc:
        # Every input does something.
        assert used == declared


@pytest.mark.parametrize("path", GITHUB_FILES, ids=lambda p: p.name)
def test_step_outputs_refer_to_earlier_steps(path: Path) -> None:
    seen: dict[str, set[str]] = {}
    for job, step in steps_of(path):
        for text in strings({k: v for k, v in step.items() if k != "id"}):
            for e in EXPRESSION.findall(text):
                for ref in re.findall(r"\bsteps\.([A-Za-z0-9_-]+)\.outputs\.", e):
                    assert ref in seen.get(job, set()), f"{path.name}: {ref} used before it runs"
        if "id" in step:
            seen.setdefault(job, set()).add(step["id"])


@pytest.mark.parametrize("path", GITHUB_FILES, ids=lambda p: p.name)
def test_no_expression_inside_run_scripts(path: Path) -> None:
    """GitHub substitutes `${{ }}` into the script text before bash reads it, so a branch name,
    a PR title or an input becomes shell code. Values reach scripts through `env:` only (which
    is stricter than banning inputs.* and github.event.*: no expression at all)."""
    runs = [(job, step) for job, step in steps_of(path) if "run" in step]
    for job, step in runs:
        assert "${{" not in step["run"], f"{path.name} {job}: {step.get('name') or step.get('id')}"
    # And the composite action's steps name their shell, as composite actions require.
    if path == ACTION:
        assert all(step.get("shell") == "bash" for _, step in runs)


@pytest.mark.parametrize("path", GITHUB_FILES, ids=lambda p: p.name)
def test_run_scripts_pass_shellcheck(path: Path) -> None:
    """shellcheck is a Debian package: .ci/run installs it; locally the test runs where it is."""
    shellcheck = shutil.which("shellcheck")
    if not shellcheck:
        if os.environ.get("CI"):
            pytest.fail("shellcheck is missing in CI: .ci/run installs it (apt-get install shellcheck)")
        pytest.skip("shellcheck is not installed (apt-get install shellcheck)")
    for job, step in steps_of(path):
        if "run" in step:
            proc = subprocess.run(
                [shellcheck, "--shell=bash", "-"],
                input=step["run"],
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert proc.returncode == 0, (
                f"{path.name} {job} {step.get('name') or step.get('id')}:\n{proc.stdout}"
            )


@pytest.mark.parametrize("path", GITHUB_FILES, ids=lambda p: p.name)
def test_uses_are_pinned_and_allowed(path: Path) -> None:
    uses = [step["uses"] for _, step in steps_of(path) if "uses" in step]
    assert uses
    for ref in uses:
        assert PINNED.search(ref), f"{ref}: pin a major version tag (@v4) or a commit SHA"
        assert ref.startswith(ALLOWED_OWNERS), f"{ref}: not an allowed action"
        if path == ACTION:
            assert not ref.startswith("opscheck/"), "the action must not call itself"


def test_permissions_are_minimal() -> None:
    pr = load(PR_WORKFLOW)
    assert pr["permissions"] == {"contents": "read", "security-events": "write"}
    assert all("permissions" not in job for job in pr["jobs"].values())

    nightly = load(NIGHTLY_WORKFLOW)
    assert nightly["permissions"] == {}
    assert nightly["jobs"]["scan"]["permissions"] == {
        "contents": "read",
        "id-token": "write",
        "security-events": "write",
        "actions": "read",
    }
    # The job holding AWS credentials cannot write issues; the one that can holds no AWS role.
    assert nightly["jobs"]["notify"]["permissions"] == {"issues": "write"}
    assert not any("aws-actions" in s.get("uses", "") for s in nightly["jobs"]["notify"]["steps"])


def test_action_uploads_also_after_a_failing_scan() -> None:
    steps = [step for _, step in steps_of(ACTION)]
    by_uses = {step.get("uses", "").split("@")[0]: step for step in steps}
    sarif = by_uses["github/codeql-action/upload-sarif"]
    assert sarif["uses"].endswith("@v3")
    assert sarif["if"] == "always() && inputs.upload-sarif == 'true' && steps.scan.outputs.sarif-file != ''"
    assert sarif["with"] == {
        "sarif_file": "${{ steps.scan.outputs.sarif-file }}",
        "category": "${{ steps.scan.outputs.sarif-category }}",
    }
    artifact = by_uses["actions/upload-artifact"]
    assert artifact["uses"].endswith("@v4")
    assert artifact["if"].startswith("always() && ")
    assert artifact["with"]["name"] == "${{ inputs.html-artifact-name }}"
    last = steps[-1]
    assert last["if"] == "always()" and "exit" in last["run"]


def test_pull_request_workflow() -> None:
    wf = load(PR_WORKFLOW)
    assert set(triggers(wf)) == {"pull_request"}
    steps = wf["jobs"]["opscheck"]["steps"]
    assert steps[0]["uses"] == "actions/checkout@v4"
    action = next(s for s in steps if s.get("uses", "").startswith("opscheck/opscheck@"))
    assert action["with"]["paths"] == "infra/"
    assert action["with"]["baseline"] == "opscheck-baseline.json"
    assert "opscheck baseline create infra/ -o opscheck-baseline.json" in PR_WORKFLOW.read_text()


def opscheck_commands(script: str) -> list[list[str]]:
    """The opscheck command lines of a script, continuation lines joined, split as bash would
    (the examples quote nothing that needs a shell to expand)."""
    joined = script.replace("\\\n", " ")
    return [
        shlex.split(line.split("|")[0].split(">")[0])
        for line in (raw.strip() for raw in joined.splitlines())
        if line.startswith("opscheck ")
    ]


def test_nightly_workflow() -> None:
    wf = load(NIGHTLY_WORKFLOW)
    on = triggers(wf)
    assert set(on) == {"schedule", "workflow_dispatch"} and on["schedule"][0]["cron"]
    scan = wf["jobs"]["scan"]["steps"]
    creds = next(s for s in scan if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@"))
    assert creds["uses"].endswith("@v4")
    assert set(creds["with"]) >= {"role-to-assume", "aws-region"}
    commands = [c for s in scan if "run" in s for c in opscheck_commands(s["run"])]
    scans = [c for c in commands if c[1] == "scan"]
    assert len(scans) == 1
    assert scans[0][1:6] == ["scan", "--aws", "--org", "--org-role", "OpscheckReadOnly"]
    assert "--output-dir" in scans[0] and scans[0][scans[0].index("--output-dir") + 1] == "out"
    assert [
        "opscheck",
        "diff",
        "previous/opscheck.json",
        "out/opscheck.json",
        "--format",
        "table",
    ] in commands
    text = NIGHTLY_WORKFLOW.read_text()
    assert "$GITHUB_STEP_SUMMARY" in text and "gh run download" in text
    uploads = [s for s in scan if s.get("uses", "").startswith("actions/upload-artifact@")]
    results = next(s for s in uploads if s["with"]["name"] == "${{ env.RESULTS_ARTIFACT }}")
    assert results["with"]["retention-days"] == 30
    assert "out/opscheck.json" in results["with"]["path"]
    assert any(s.get("uses", "").startswith("github/codeql-action/upload-sarif@") for s in scan)


def test_nightly_commands_parse_with_the_real_cli() -> None:
    """Every opscheck command line of the workflows is accepted by opscheck's own parser.
    `--org` and `--org-role` are specified in INTERFACE.md and built separately: until the
    parser has them, the commands using them are checked without them."""
    parser = build_parser()
    _, unknown = parser.parse_known_args(["scan", "--aws", "--org"])
    has_org = not unknown
    scripts = [s["run"] for _, s in steps_of(NIGHTLY_WORKFLOW) if "run" in s]
    commands = [c for script in scripts for c in opscheck_commands(script)]
    assert len(commands) >= 3
    for argv in commands:
        if not has_org and "--org" in argv:
            i = argv.index("--org-role")
            argv = [a for a in argv[:i] + argv[i + 2 :] if a != "--org"]
        parser.parse_args(argv[1:])


# -- the action's steps, executed ------------------------------------------------------------


@dataclass
class Run:
    """What one execution of the action left behind."""

    steps: list[tuple[str, int | None]] = field(default_factory=list)  # (name, rc); None: skipped
    step_outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    uses: dict[str, dict[str, str]] = field(default_factory=dict)  # action -> resolved `with`
    outputs: dict[str, str] = field(default_factory=dict)
    summary: str = ""
    log: str = ""

    @property
    def exit_code(self) -> int | None:
        return self.steps[-1][1]


def resolve(reference: str, context: Mapping[str, Any]) -> str:
    """A dotted reference (`inputs.paths`, `steps.scan.outputs.sarif-file`); the action keeps
    to these, so anything else is a test failure rather than a guess."""
    assert re.fullmatch(r"[A-Za-z_][\w-]*(\.[\w-]+)+", reference), f"unsupported expression {reference!r}"
    node: Any = context
    for part in reference.split("."):
        node = node.get(part, "") if isinstance(node, Mapping) else ""
    return "" if node is None else str(node)


def render(text: str, context: Mapping[str, Any]) -> str:
    return EXPRESSION.sub(lambda m: resolve(m.group(1), context), text)


def condition(expr: str | None, context: Mapping[str, Any], failed: bool) -> bool:
    """`if:` as the action writes it: status functions and == / != on references, joined by &&."""
    if expr is None:
        return not failed
    verdict = True
    status_given = False
    for term in (t.strip() for t in expr.split("&&")):
        if term == "always()":
            status_given = True
            continue
        if term == "success()":
            status_given, verdict = True, verdict and not failed
            continue
        m = re.fullmatch(r"([\w.-]+)\s*(==|!=)\s*'([^']*)'", term)
        assert m, f"unsupported condition {term!r}"
        equal = resolve(m.group(1), context) == m.group(3)
        verdict = verdict and (equal if m.group(2) == "==" else not equal)
    return verdict and (status_given or not failed)


def read_outputs(path: Path) -> dict[str, str]:
    """GITHUB_OUTPUT: `name=value` lines and `name<<DELIMITER` blocks."""
    outputs: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            end = lines.index(delimiter, i + 1)
            outputs[name] = "\n".join(lines[i + 1 : end])
            i = end + 1
            continue
        name, value = line.split("=", 1)
        outputs[name] = value
        i += 1
    return outputs


def run_action(workspace: Path, inputs: Mapping[str, str], bin_dirs: tuple[Path, ...] = (VENV_BIN,)) -> Run:
    """Execute action.yml's steps in order: run steps with bash as a runner does (`bash
    --noprofile --norc -eo pipefail`), `uses` steps recorded with their resolved inputs when
    their condition holds. The install step is left out: the environment already has the
    checkout installed (the test suite's own virtual environment)."""
    action = load(ACTION)
    unknown = set(inputs) - set(action["inputs"])
    assert not unknown, unknown
    runner_temp = workspace.parent / "runner-temp"
    runner_temp.mkdir(exist_ok=True)
    context: dict[str, Any] = {
        "inputs": {name: spec["default"] for name, spec in action["inputs"].items()} | dict(inputs),
        "github": {"action_path": str(REPO)},
        "steps": {},
    }
    # A fresh summary and fresh output files per execution: a test may run the action twice.
    summary = runner_temp / "step-summary.md"
    summary.write_text("")
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "RUNNER_", "INPUT_"))}
    base_env["PATH"] = os.pathsep.join([*map(str, bin_dirs), base_env.get("PATH", "")])
    run = Run()
    failed = False
    for index, step in enumerate(action["runs"]["steps"]):
        name = step.get("name") or step.get("uses") or f"step {index}"
        # The environment those two steps prepare is the test suite's own.
        prepared = step.get("id") == "install" or step.get("uses", "").startswith("actions/setup-python@")
        if prepared or not condition(step.get("if"), context, failed):
            run.steps.append((name, None))
            continue
        if "uses" in step:
            run.uses[step["uses"].split("@")[0]] = {
                k: render(str(v), context) for k, v in step.get("with", {}).items()
            }
            run.steps.append((name, 0))
            continue
        output = runner_temp / f"output-{index}"
        output.write_text("")
        env = base_env | {
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_WORKSPACE": str(workspace),
            "RUNNER_TEMP": str(runner_temp),
        }
        env |= {k: render(str(v), context) for k, v in step.get("env", {}).items()}
        script = runner_temp / f"step-{index}.sh"
        script.write_text(step["run"], encoding="utf-8")
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        run.log += proc.stdout + proc.stderr
        run.steps.append((name, proc.returncode))
        failed = failed or proc.returncode != 0
        if "id" in step:
            produced = read_outputs(output)
            run.step_outputs[step["id"]] = produced
            context["steps"][step["id"]] = {"outputs": produced}
    run.outputs = {name: render(spec["value"], context) for name, spec in action["outputs"].items()}
    run.summary = summary.read_text(encoding="utf-8")
    return run


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A repository checkout holding the bundled examples (a copy: nothing the action writes
    lands in the real tree, and no opscheck.yml of the real tree is picked up)."""
    root = tmp_path / "workspace"
    shutil.copytree(REPO / "examples", root / "examples", ignore=shutil.ignore_patterns("workflows"))
    return root


def opscheck(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"PATH": os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", "")])}
    return subprocess.run(["opscheck", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_action_scans_and_fails_on_fails(workspace: Path) -> None:
    run = run_action(workspace, {"paths": "examples/"})
    assert run.exit_code == 1, run.log
    assert run.outputs["exit-code"] == "1"
    files = {name: Path(run.outputs[name]) for name in ("sarif-file", "results-file", "html-file")}
    assert {p.name for p in files.values()} == {"opscheck.sarif", "opscheck.json", "opscheck.html"}
    assert all(p.is_file() and p.parent.parent == workspace.parent / "runner-temp" for p in files.values())

    doc = json.loads(files["results-file"].read_text())
    assert doc["scan"]["mode"] == "iac" and doc["summary"]["fail"] > 0
    assert files["html-file"].read_text().lstrip().lower().startswith("<!doctype html")
    sarif = json.loads(files["sarif-file"].read_text())
    assert sarif["runs"][0]["automationDetails"]["id"] == "opscheck/iac/"
    assert len(sarif["runs"][0]["results"]) == doc["summary"]["fail"]

    # Both uploads ran (their conditions held) with the files the scan wrote.
    assert run.uses["github/codeql-action/upload-sarif"] == {
        "sarif_file": str(files["sarif-file"]),
        "category": "opscheck/iac/",
    }
    artifact = run.uses["actions/upload-artifact"]
    assert artifact["name"] == "opscheck-report"
    assert artifact["path"].split() == [str(files["html-file"]), str(files["results-file"])]

    s = doc["summary"]
    assert f"{s['fail']} fail, {s['unknown']} unknown, {s['pass']} pass" in run.summary
    assert "Exit code 1" in run.summary
    # The console table went to the log, between stopped workflow commands.
    assert re.search(r"::stop-commands::([0-9a-f]{32})\n(.|\n)*::\1::", run.log)


def test_action_passes_with_fail_on_none_and_sets_the_category(workspace: Path) -> None:
    run = run_action(
        workspace,
        {
            "paths": "examples/terraform\nexamples/cloudformation/ml-platform.yaml",
            "fail-on": "none",
            "sarif-category": "infra/prod",
            "upload-sarif": "false",
            "html-artifact-name": "",
            "output-dir": "reports",
        },
    )
    assert run.exit_code == 0, run.log
    assert run.outputs["exit-code"] == "0"
    sarif_file = Path(run.outputs["sarif-file"])
    assert sarif_file == workspace / "reports" / "opscheck.sarif"
    sarif = json.loads(sarif_file.read_text())
    # upload-sarif leaves a run's own automationDetails alone: the category must be in the file.
    assert sarif["runs"][0]["automationDetails"]["id"] == "infra/prod/"
    assert run.step_outputs["scan"]["sarif-category"] == "infra/prod/"
    doc = json.loads(Path(run.outputs["results-file"]).read_text())
    assert {t["path"] for t in doc["scan"]["targets"]} == {
        "examples/terraform",
        "examples/cloudformation/ml-platform.yaml",
    }
    # Neither upload ran: one switched off, the other without a name.
    assert run.uses == {}
    # The rewritten file is still valid SARIF (last: skips locally without the schema).
    jsonschema.validate(sarif, json.loads(toolchain.sarif_schema().read_text()))


def test_action_with_a_baseline_fails_only_on_new_fails(workspace: Path) -> None:
    # As the pull-request example: a baseline created once and kept in the repository.
    created = opscheck("baseline", "create", "examples/", "-o", "opscheck-baseline.json", cwd=workspace)
    assert created.returncode == 0, created.stderr
    run = run_action(workspace, {"paths": "examples/", "baseline": "opscheck-baseline.json"})
    assert run.exit_code == 0, run.log
    doc = json.loads(Path(run.outputs["results-file"]).read_text())
    assert doc["summary"]["fail"] == 0 and doc["summary"]["suppressed"] > 0
    assert "Baseline:" in run.summary

    # A new fail: a second copy of a failing template under another name is new to the baseline.
    template = workspace / "examples" / "cloudformation" / "ml-platform.yaml"
    shutil.copy(template, template.with_name("ml-platform-copy.yaml"))
    run = run_action(workspace, {"paths": "examples/", "baseline": "opscheck-baseline.json"})
    assert run.exit_code == 1, run.log


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"aws": "yes"}, "aws must be true or false"),
        ({"upload-sarif": "1"}, "upload-sarif must be true or false"),
        ({"html-artifact-name": "reports/opscheck"}, "html-artifact-name may not contain"),
        ({"sarif-category": "a\nb=c"}, "output-dir and sarif-category may not contain line breaks"),
        ({"paths": " \n "}, "paths is empty"),
    ],
)
def test_action_rejects_bad_inputs_with_exit_code_2(
    workspace: Path, inputs: dict[str, str], message: str
) -> None:
    run = run_action(workspace, inputs)
    assert run.exit_code == 2
    assert f"::error title=opscheck action::{message}" in run.log
    assert run.outputs["exit-code"] == "2" and run.outputs["sarif-file"] == ""
    assert run.uses == {}


def test_opscheck_usage_errors_end_the_action_with_2(workspace: Path) -> None:
    run = run_action(workspace, {"paths": "examples/", "fail-on": "severe"})
    assert run.exit_code == 2
    assert run.outputs["sarif-file"] == "" and run.uses == {}


def test_inputs_are_never_evaluated_by_the_shell(workspace: Path) -> None:
    hostile = 'examples/ $(touch pwned1) `touch pwned2`; touch pwned3 "'
    run = run_action(workspace, {"paths": hostile, "rules": "$(touch pwned4)", "fail-on": "none"})
    assert not list(workspace.glob("pwned*"))
    # The words went to opscheck as literal paths, which do not exist: a usage error.
    assert run.exit_code == 2
    assert "no such file or directory" in run.log


@pytest.fixture
def recording_opscheck(tmp_path: Path) -> tuple[Path, Path]:
    """An `opscheck` that records its arguments, one per line, and exits 0."""
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    record = tmp_path / "argv"
    fake = bin_dir / "opscheck"
    fake.write_text(f'#!/bin/bash\nprintf "%s\\n" "$@" > {shlex.quote(str(record))}\n')
    fake.chmod(0o755)
    return bin_dir, record


def test_action_arguments_for_a_live_scan(workspace: Path, recording_opscheck: tuple[Path, Path]) -> None:
    bin_dir, record = recording_opscheck
    run = run_action(
        workspace,
        {
            "aws": "true",
            "regions": "us-east-1, eu-west-1\nap-south-1",
            "fail-on": "high",
            "config": "ci/opscheck.yml",
            "rules": "CT001,CT002",
            "skip-rules": "RS001",
        },
        bin_dirs=(bin_dir, VENV_BIN),
    )
    assert run.exit_code == 0, run.log
    argv = record.read_text().splitlines()
    out = argv[2].removeprefix("--output-dir=")
    assert argv == [
        "scan",
        "--format=console,json,sarif,html",
        f"--output-dir={out}",
        "--no-progress",
        "--fail-on=high",
        "--config=ci/opscheck.yml",
        "--rules=CT001,CT002",
        "--skip-rules=RS001",
        "--aws",
        "--region=us-east-1",
        "--region=eu-west-1",
        "--region=ap-south-1",
    ]
    # The real parser takes them (paths are left out of a live scan).
    build_parser().parse_args(argv)
    # Nothing written, nothing uploaded.
    assert run.outputs["sarif-file"] == "" and run.uses == {}


def test_action_arguments_keep_paths_as_paths(workspace: Path, recording_opscheck: tuple[Path, Path]) -> None:
    bin_dir, record = recording_opscheck
    run_action(workspace, {"paths": "-x.tf  infra/*.tf"}, bin_dirs=(bin_dir, VENV_BIN))
    argv = record.read_text().splitlines()
    # After `--` a path starting with '-' is a path, and globs are not expanded.
    assert argv[-3:] == ["--", "-x.tf", "infra/*.tf"]


# -- pre-commit --------------------------------------------------------------------------------


def test_pre_commit_hook_definition() -> None:
    (hook,) = load(HOOKS)
    assert hook["id"] == "opscheck-iac"
    assert hook["language"] == "python"
    assert hook["entry"] == "opscheck scan"
    assert hook["pass_filenames"] is False
    assert hook["args"] == ["."]
    files = re.compile(hook["files"])
    for name in ("main.tf", "infra/x.tf.json", "t.yaml", "t.yml", "plan.json", "stack.template"):
        assert files.search(name), name
    for name in ("README.md", "x.py", "main.tf.bak", "tfvars"):
        assert not files.search(name), name
    # language: python installs this repository: the entry must be one of its console scripts.
    import tomllib

    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert shlex.split(hook["entry"])[0] in scripts


def test_pre_commit_hook_runs_like_opscheck(workspace: Path) -> None:
    (hook,) = load(HOOKS)
    argv = shlex.split(hook["entry"]) + hook["args"]
    direct = opscheck("scan", "examples/", "--quiet", cwd=workspace)
    # pre-commit runs hooks from the repository root: here the root is the examples checkout.
    hooked = subprocess.run(
        argv,
        cwd=workspace / "examples",
        env=os.environ | {"PATH": os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", "")])},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert direct.returncode == 1
    assert hooked.returncode == direct.returncode, hooked.stderr
    assert direct.stdout.strip().splitlines()[-1] in hooked.stdout


# -- the nightly workflow's own scripts, executed ----------------------------------------------


def run_workflow_step(
    step_id: str,
    cwd: Path,
    context: Mapping[str, Any],
    bin_dirs: tuple[Path, ...] = (VENV_BIN,),
    workflow: Path = NIGHTLY_WORKFLOW,
    job: str = "scan",
) -> tuple[int, dict[str, str], str, str]:
    """One step of a workflow's job (the nightly's scan by default) as a runner runs a `run:`
    without `shell:` (`bash -e`): (exit code, outputs, job summary, log)."""
    wf = load(workflow)
    step = next(s for s in wf["jobs"][job]["steps"] if s.get("id") == step_id or s.get("name") == step_id)
    output, summary, script = cwd / ".output", cwd / ".summary", cwd / ".step.sh"
    output.write_text("")
    summary.write_text("")
    script.write_text(step["run"], encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "RUNNER_"))}
    env |= {
        "PATH": os.pathsep.join([*map(str, bin_dirs), os.environ.get("PATH", "")]),
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_REPOSITORY": "acme/platform",
    }
    env |= {k: render(str(v), context) for k, v in {**wf["env"], **step.get("env", {})}.items()}
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-e", str(script)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return proc.returncode, read_outputs(output), summary.read_text(), proc.stdout + proc.stderr


def test_nightly_diff_posts_new_fails_to_the_summary(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "previous").mkdir()
    examples = REPO / "examples"
    before = opscheck(
        "scan",
        str(examples),
        "--skip-rules",
        "CT005",
        "--format",
        "json",
        "-o",
        "previous/opscheck.json",
        cwd=tmp_path,
    )
    after = opscheck("scan", str(examples), "--format", "json", "-o", "out/opscheck.json", cwd=tmp_path)
    assert before.returncode == after.returncode == 1

    found = {"steps": {"previous": {"outputs": {"found": "true"}}}}
    code, outputs, summary, log = run_workflow_step("diff", tmp_path, found)
    assert code == 0, log
    assert outputs == {"new-fails": "true"}
    assert "### Changes since the previous night" in summary and "CT005" in summary
    diff_lines = (tmp_path / "out" / "diff.txt").read_text().strip().splitlines()
    assert re.match(r"[1-9]\d* new, ", diff_lines[-1]) and diff_lines[-1] in summary
    # The scan's own summary line heads the job summary.
    counts = json.loads((tmp_path / "out" / "opscheck.json").read_text())["summary"]
    assert f"{counts['fail']} fail (" in summary.split("###")[0]

    # The same results again: nothing new.
    shutil.copy(tmp_path / "out" / "opscheck.json", tmp_path / "previous" / "opscheck.json")
    code, outputs, summary, log = run_workflow_step("diff", tmp_path, found)
    assert code == 0 and outputs == {"new-fails": "false"}, log

    # First night: no previous results.
    code, outputs, summary, log = run_workflow_step(
        "diff", tmp_path, {"steps": {"previous": {"outputs": {"found": "false"}}}}
    )
    assert code == 0 and outputs == {"new-fails": "false"}, log
    assert "No previous results" in summary


@pytest.mark.parametrize(
    ("scan_exit", "new_fails", "expected"),
    [("0", "false", 0), ("0", "true", 1), ("2", "", 2), ("", "", 2)],
)
def test_nightly_job_fails_on_new_fails_or_a_failed_scan(
    tmp_path: Path, scan_exit: str, new_fails: str, expected: int
) -> None:
    context = {
        "steps": {
            "scan": {"outputs": {"exit-code": scan_exit}},
            "diff": {"outputs": {"new-fails": new_fails}},
        }
    }
    code, _, _, log = run_workflow_step("Fail on new fails or a failed scan", tmp_path, context)
    assert code == expected, log


@pytest.fixture
def fake_gh(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A `gh` that answers `gh api` with a canned artifact list and records `gh run download`,
    writing the results document where it was asked to."""
    bin_dir, canned, calls = tmp_path / "gh-bin", tmp_path / "artifacts.json", tmp_path / "gh-calls"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(
        "#!/bin/bash\n"
        f'printf "%s\\n" "$*" >> {shlex.quote(str(calls))}\n'
        'if [ "$1" = api ]; then cat ' + shlex.quote(str(canned)) + "; exit 0; fi\n"
        'dir="${@: -1}"; mkdir -p "$dir"; echo "{}" > "$dir/opscheck.json"\n'
    )
    gh.chmod(0o755)
    return bin_dir, canned, calls


def test_nightly_finds_the_newest_unexpired_results_of_the_default_branch(
    tmp_path: Path, fake_gh: tuple[Path, Path, Path]
) -> None:
    if not shutil.which("jq"):
        pytest.skip("jq (on every GitHub-hosted runner) is not installed")
    bin_dir, canned, calls = fake_gh
    work = tmp_path / "work"
    work.mkdir()
    context = {"github": {"token": "t", "event": {"repository": {"default_branch": "main"}}}}
    canned.write_text(
        json.dumps(
            {
                "artifacts": [
                    {"expired": False, "workflow_run": {"id": 41, "head_branch": "try-regions"}},
                    {"expired": False, "workflow_run": {"id": 40, "head_branch": "main"}},
                    {"expired": True, "workflow_run": {"id": 39, "head_branch": "main"}},
                ]
            }
        )
    )
    code, outputs, _, log = run_workflow_step("previous", work, context, (bin_dir, VENV_BIN))
    assert code == 0 and outputs == {"found": "true"}, log
    api, download = calls.read_text().splitlines()
    assert api == "api repos/acme/platform/actions/artifacts?name=opscheck-nightly&per_page=50"
    assert download == "run download 40 --name opscheck-nightly --dir previous"
    assert (work / "previous" / "opscheck.json").is_file()

    # Nothing kept yet (first night, or every artifact expired): found=false, nothing downloaded.
    calls.unlink()
    canned.write_text(
        json.dumps({"artifacts": [{"expired": True, "workflow_run": {"id": 39, "head_branch": "main"}}]})
    )
    code, outputs, _, log = run_workflow_step("previous", work, context, (bin_dir, VENV_BIN))
    assert code == 0 and outputs == {"found": "false"}, log
    assert calls.read_text().splitlines() == [api]


def test_nightly_results_artifact_unpacks_where_the_diff_reads_it() -> None:
    """upload-artifact stores paths below their common directory: all under out/, so that
    `gh run download --dir previous` gives previous/opscheck.json."""
    wf = load(NIGHTLY_WORKFLOW)
    upload = next(s for s in wf["jobs"]["scan"]["steps"] if s.get("name") == "Upload results")
    paths = upload["with"]["path"].split()
    assert "out/opscheck.json" in paths and all(p.startswith("out/") and "/" not in p[4:] for p in paths)


# -- the sharded nightly ---------------------------------------------------------------------


def test_sharded_workflow_shape() -> None:
    wf = load(SHARDED_WORKFLOW)
    shards = int(wf["env"]["SHARDS"])
    assert wf["jobs"]["scan"]["strategy"]["matrix"]["shard"] == list(range(1, shards + 1))
    assert wf["jobs"]["scan"]["strategy"]["fail-fast"] is False
    assert wf["permissions"] == {}
    assert wf["jobs"]["scan"]["permissions"] == {"contents": "read", "id-token": "write"}
    # The merge job holds no AWS role: it only reads the shards' artifacts.
    assert wf["jobs"]["merge"]["permissions"] == {"contents": "read", "security-events": "write"}
    assert not any("aws-actions" in s.get("uses", "") for s in wf["jobs"]["merge"]["steps"])
    assert wf["jobs"]["merge"]["needs"] == "scan" and wf["jobs"]["merge"]["if"] == "always()"
    parser = build_parser()
    for _, step in steps_of(SHARDED_WORKFLOW):
        for argv in opscheck_commands(step.get("run", "")):
            parser.parse_args([a.replace("${SHARD}/${SHARDS}", "1/4") for a in argv[1:]])


@pytest.mark.parametrize("code, step_rc", [(0, 0), (1, 0), (2, 2)])
def test_each_shard_scans_its_own_part(tmp_path: Path, code: int, step_rc: int) -> None:
    bin_dir, record = tmp_path / "bin", tmp_path / "argv"
    bin_dir.mkdir()
    (bin_dir / "opscheck").write_text(
        f'#!/bin/bash\nprintf "%s\\n" "$@" > {shlex.quote(str(record))}\nexit {code}\n'
    )
    (bin_dir / "opscheck").chmod(0o755)
    for shard in (1, 4):
        rc, _, _, log = run_workflow_step(
            "Scan this shard", tmp_path, {"matrix": {"shard": shard}}, (bin_dir,), SHARDED_WORKFLOW, "scan"
        )
        assert rc == step_rc, log
        argv = record.read_text().splitlines()
        assert argv[argv.index("--shard") + 1] == f"{shard}/4"
        assert argv[argv.index("-o") + 1] == f"shard-{shard}.json"
        assert argv[argv.index("--fail-on") + 1] == "none"


def test_the_merge_job_merges_every_shard_and_says_when_one_is_missing(tmp_path: Path) -> None:
    (tmp_path / "shards").mkdir()
    for k, path in enumerate(
        ("examples/terraform", "examples/cloudformation", "examples/terraform", "examples/cloudformation")
    ):
        subprocess.run(
            [
                str(VENV_BIN / "opscheck"),
                "scan",
                str(REPO / path),
                "--format",
                "json",
                "-o",
                str(tmp_path / "shards" / f"shard-{k + 1}.json"),
            ],
            cwd=REPO,
            capture_output=True,
            timeout=300,
        )
    rc, _, summary, log = run_workflow_step(
        "Merge the shards", tmp_path, {}, workflow=SHARDED_WORKFLOW, job="merge"
    )
    assert rc == 0, log
    merged = json.loads((tmp_path / "out" / "opscheck.json").read_text())
    assert len(merged["scan"]["merged_from"]) == 4
    assert (tmp_path / "out" / "opscheck.sarif").exists() and (tmp_path / "out" / "opscheck.html").exists()
    assert " fail" in summary
    (tmp_path / "shards" / "shard-4.json").unlink()
    rc, _, _, log = run_workflow_step(
        "Merge the shards", tmp_path, {}, workflow=SHARDED_WORKFLOW, job="merge"
    )
    assert rc != 0 and "::error::only 3 of 4 shards produced results" in log
