"""deploy/: the Kubernetes shards manifest runs N shards that together cover every account
and a merge that reads what they wrote; its shell commands are run here for real (the scan
with a stand-in `opscheck` that records its arguments, the merge with the real one)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "deploy" / "k8s" / "opscheck-org-shards.yaml"


def documents() -> dict[str, dict]:
    return {f"{d['kind']}/{d['metadata']['name']}": d for d in yaml.safe_load_all(MANIFEST.read_text())}


def container(job: dict) -> dict:
    (only,) = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    return only


def run_shell(command: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["/bin/sh", "-c", command.replace("/results", str(tmp_path))],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_indexed_job_runs_every_shard_once(tmp_path):
    shards = documents()["CronJob/opscheck-shards"]
    spec = shards["spec"]["jobTemplate"]["spec"]
    scan = container(shards)
    n = int(next(e["value"] for e in scan["env"] if e["name"] == "SHARDS"))
    assert spec["completionMode"] == "Indexed" and spec["completions"] == spec["parallelism"] == n
    # A stand-in opscheck prints its arguments: each index scans its own K/N and file.
    stub = tmp_path / "bin" / "opscheck"
    stub.parent.mkdir()
    stub.write_text('#!/bin/sh\nprintf "%s\\n" "$@"\n')
    stub.chmod(0o755)
    seen = []
    for index in range(n):
        env = {
            "JOB_COMPLETION_INDEX": str(index),
            "SHARDS": str(n),
            "PATH": f"{stub.parent}:{os.environ['PATH']}",
        }
        done = run_shell(scan["args"][0], env, tmp_path)
        assert done.returncode == 0, done.stderr
        argv = done.stdout.splitlines()
        assert argv[:3] == ["scan", "--aws", "--org"]
        assert argv[argv.index("--fail-on") + 1] == "none"  # fails are findings, not a pod to retry
        seen.append((argv[argv.index("--shard") + 1], argv[argv.index("-o") + 1]))
    assert seen == [(f"{k + 1}/{n}", f"{tmp_path}/shard-{k}.json") for k in range(n)]


def test_the_merge_job_merges_what_the_shards_wrote(tmp_path):
    for k, path in enumerate(("examples/terraform", "examples/cloudformation")):
        subprocess.run(
            [
                sys.executable,
                "-m",
                "scanner",
                "scan",
                str(ROOT / path),
                "--format",
                "json",
                "-o",
                str(tmp_path / f"shard-{k}.json"),
            ],
            cwd=ROOT,
            capture_output=True,
            timeout=300,
        )
        assert (tmp_path / f"shard-{k}.json").exists()
    merge = container(documents()["CronJob/opscheck-merge"])
    bindir = Path(sys.executable).parent  # the opscheck of this environment
    done = run_shell(merge["args"][0], {"PATH": f"{bindir}:{os.environ['PATH']}"}, tmp_path)
    assert done.returncode == 0, done.stderr
    merged = json.loads((tmp_path / "opscheck.json").read_text())
    assert {t["path"] for t in merged["scan"]["targets"]} == {"examples/terraform", "examples/cloudformation"}
    assert (tmp_path / "opscheck.sarif").stat().st_size > 0 and (
        tmp_path / "opscheck.html"
    ).stat().st_size > 0


def test_the_pods_share_one_volume_and_one_identity():
    docs = documents()
    claim = docs["PersistentVolumeClaim/opscheck-results"]
    assert "ReadWriteMany" in claim["spec"]["accessModes"]
    for name in ("CronJob/opscheck-shards", "CronJob/opscheck-merge"):
        pod = docs[name]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        assert pod["serviceAccountName"] == "opscheck" and pod["restartPolicy"] == "Never"
        assert pod["volumes"][0]["persistentVolumeClaim"]["claimName"] == "opscheck-results"


def test_the_dockerfile_copies_every_package():
    text = (ROOT / "deploy" / "Dockerfile").read_text()
    for package in ("scanner", "rules", "reports"):
        assert f"COPY {package} ./{package}" in text
