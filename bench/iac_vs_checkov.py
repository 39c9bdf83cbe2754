"""opscheck against checkov on the same generated IaC corpus, in the same run.

Generates N Terraform root modules (each with a local module, variables, tfvars, locals,
for_each) and N CloudFormation templates using the resource types the rules read, runs
both tools out of process on them (checkov restricted to the overlapping checks), and
prints wall time, peak memory and their ratios, then compares the verdicts on the
overlapping checks with the ground truth the generator knows.

    .venv/bin/python bench/iac_vs_checkov.py --n 100 --n 1000

checkov comes from `make checkov` (.venv-checkov) or $OPSCHECK_CHECKOV.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OVERLAP = {  # checkov check -> (our rule, what it judges)
    "CKV_AWS_67": "CT002",
    "CKV_AWS_251": "CT003",
    "CKV_AWS_36": "CT005",
    "CKV_AWS_35": "CT006",
    "CKV2_AWS_10": "CT007",
    "CKV_AWS_157": "AZ001",
}

MODULE = """
variable "name" { type = string }
variable "bucket" { type = string }
variable "kms_key_arn" {
  type    = string
  default = null
}
variable "multi_region" {
  type    = bool
  default = true
}

resource "aws_cloudwatch_log_group" "trail" {
  name              = "/aws/cloudtrail/${var.name}"
  retention_in_days = 365
}

resource "aws_cloudtrail" "this" {
  name                       = var.name
  s3_bucket_name             = var.bucket
  is_multi_region_trail      = var.multi_region
  enable_log_file_validation = true
  kms_key_id                 = var.kms_key_arn
  cloud_watch_logs_group_arn = "${aws_cloudwatch_log_group.trail.arn}:*"
  cloud_watch_logs_role_arn  = "arn:aws:iam::123456789012:role/trail-logs"

  advanced_event_selector {
    name = "management"
    field_selector {
      field  = "eventCategory"
      equals = ["Management"]
    }
  }
}

output "arn" {
  value = aws_cloudtrail.this.arn
}
"""


def _bool(v: bool) -> str:
    return "true" if v else "false"


def terraform_root(i: int, rng: random.Random, truth: dict) -> dict[str, str]:
    """One root module; `truth` gets the expected verdict of each overlapping check."""
    env = rng.choice(["dev", "stage", "prod"])
    multi = rng.random() < 0.6
    logging = rng.random() < 0.8
    validation = rng.random() < 0.5
    kms = rng.choice(["ref", "literal", "none"])
    cw = rng.random() < 0.4
    multi_az = rng.choice(["true", "false", "absent"])
    module_multi = rng.random() < 0.7
    prefix = f"r{i}"
    legacy = [
        'resource "aws_cloudtrail" "legacy" {',
        '  name                  = "${local.prefix}-legacy"',
        "  s3_bucket_name        = aws_s3_bucket.logs.id",
        f"  is_multi_region_trail = {_bool(multi)}" if multi or rng.random() < 0.5 else "",
        f"  enable_logging        = {_bool(logging)}" if not logging or rng.random() < 0.5 else "",
        f"  enable_log_file_validation = {_bool(validation)}" if validation or rng.random() < 0.5 else "",
    ]
    if kms == "ref":
        legacy.append("  kms_key_id = aws_kms_key.trail.arn")
    elif kms == "literal":
        legacy.append(
            '  kms_key_id = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"'
        )
    if cw:
        legacy.append(
            '  cloud_watch_logs_group_arn = "arn:aws:logs:eu-west-1:123456789012:log-group:trail:*"'
        )
        legacy.append('  cloud_watch_logs_role_arn  = "arn:aws:iam::123456789012:role/trail-logs"')
    legacy += [
        "  event_selector {",
        '    read_write_type           = "All"',
        "    include_management_events = true",
        "    data_resource {",
        '      type   = "AWS::S3::Object"',
        '      values = ["${aws_s3_bucket.data["raw"].arn}/"]',
        "    }",
        "  }",
        "}",
    ]
    db = [
        'resource "aws_db_instance" "features" {',
        '  identifier          = "${local.prefix}-features"',
        '  engine              = "postgres"',
        '  instance_class      = "db.r6g.large"',
        "  allocated_storage   = 100",
        '  username            = "features"',
        "  password            = var.db_password",
        "  storage_encrypted   = true",
    ]
    if multi_az != "absent":
        db.append(f"  multi_az            = {multi_az}")
    db.append("}")
    main = "\n".join(
        [
            'variable "environment" {',
            "  type    = string",
            f'  default = "{env}"',
            "}",
            'variable "db_password" {',
            "  type      = string",
            "  sensitive = true",
            "}",
            'variable "datasets" {',
            "  type    = list(string)",
            '  default = ["raw", "curated"]',
            "}",
            "locals {",
            f'  prefix = "{prefix}-${{var.environment}}"',
            "}",
            'resource "aws_s3_bucket" "logs" {',
            '  bucket = "${local.prefix}-trail-logs"',
            "}",
            'resource "aws_s3_bucket" "data" {',
            "  for_each = toset(var.datasets)",
            '  bucket   = "${local.prefix}-${each.key}"',
            "}",
            'resource "aws_kms_key" "trail" {',
            "  enable_key_rotation = true",
            "}",
            'module "audit" {',
            '  source       = "./modules/trail"',
            '  name         = "${local.prefix}-audit"',
            "  bucket       = aws_s3_bucket.logs.id",
            "  kms_key_arn  = aws_kms_key.trail.arn",
            f"  multi_region = {_bool(module_multi)}",
            "}",
            *[line for line in legacy if line],
            *db,
            'resource "aws_lambda_function" "score" {',
            '  function_name = "${local.prefix}-score"',
            '  runtime       = "python3.12"',
            '  handler       = "app.handler"',
            '  role          = "arn:aws:iam::123456789012:role/lambda"',
            '  filename      = "score.zip"',
            "}",
            'resource "aws_sagemaker_endpoint_configuration" "churn" {',
            '  name = "${local.prefix}-churn"',
            "  production_variants {",
            '    variant_name           = "primary"',
            '    model_name             = "churn"',
            '    instance_type          = "ml.m5.large"',
            "    initial_instance_count = 1",
            "  }",
            "}",
        ]
    )
    tfvars = f'environment = "{env}"\n'
    rel = f"tf/root{i:04d}"
    legacy_addr = ("aws_cloudtrail.legacy", f"{rel}/main.tf")
    module_addr = ("module.audit.aws_cloudtrail.this", f"{rel}/modules/trail/main.tf")
    truth[("CKV_AWS_67", *legacy_addr)] = "pass" if multi else "fail"
    truth[("CKV_AWS_251", *legacy_addr)] = "pass" if logging else "fail"
    truth[("CKV_AWS_36", *legacy_addr)] = "pass" if validation else "fail"
    truth[("CKV_AWS_35", *legacy_addr)] = "fail" if kms == "none" else "pass"
    truth[("CKV2_AWS_10", *legacy_addr)] = "pass" if cw else "fail"
    truth[("CKV_AWS_67", *module_addr)] = "pass" if module_multi else "fail"
    for check in ("CKV_AWS_251", "CKV_AWS_36", "CKV_AWS_35", "CKV2_AWS_10"):
        truth[(check, *module_addr)] = "pass"
    truth[("CKV_AWS_157", "aws_db_instance.features", f"{rel}/main.tf")] = (
        "pass" if multi_az == "true" else "fail"
    )
    return {f"{rel}/main.tf": main, f"{rel}/terraform.tfvars": tfvars, f"{rel}/modules/trail/main.tf": MODULE}


def cfn_template(i: int, rng: random.Random, truth: dict) -> dict[str, str]:
    multi = rng.choice(["true", "false", "param"])
    validation = rng.random() < 0.5
    kms = rng.random() < 0.5
    logging = rng.random() < 0.85
    cw = rng.random() < 0.4
    lines = [
        'AWSTemplateFormatVersion: "2010-09-09"',
        "Parameters:",
        "  Multi:",
        "    Type: String",
        '    Default: "true"',
        "Resources:",
        "  Logs:",
        "    Type: AWS::S3::Bucket",
        "  Key:",
        "    Type: AWS::KMS::Key",
        "    Properties:",
        "      EnableKeyRotation: true",
        "  Trail:",
        "    Type: AWS::CloudTrail::Trail",
        "    Properties:",
        "      S3BucketName: !Ref Logs",
        f"      IsLogging: {_bool(logging)}",
        f"      IsMultiRegionTrail: {'!Ref Multi' if multi == 'param' else multi}",
        f"      EnableLogFileValidation: {_bool(validation)}",
    ]
    if kms:
        lines.append("      KMSKeyId: !GetAtt Key.Arn")
    if cw:
        lines.append("      CloudWatchLogsLogGroupArn: arn:aws:logs:eu-west-1:123456789012:log-group:t:*")
        lines.append("      CloudWatchLogsRoleArn: arn:aws:iam::123456789012:role/t")
    path = f"cfn/stack{i:04d}.yaml"
    trail = ("Trail", path)
    truth[("CKV_AWS_67", *trail)] = "fail" if multi == "false" else "pass"
    truth[("CKV_AWS_251", *trail)] = "pass" if logging else "fail"
    truth[("CKV_AWS_36", *trail)] = "pass" if validation else "fail"
    truth[("CKV_AWS_35", *trail)] = "pass" if kms else "fail"
    truth[("CKV2_AWS_10", *trail)] = "pass" if cw else "fail"
    return {path: "\n".join(lines) + "\n"}


def generate(n: int, where: Path, seed: int = 7) -> dict:
    rng = random.Random(seed)
    truth: dict = {}
    for i in range(n):
        for rel, text in {**terraform_root(i, rng, truth), **cfn_template(i, rng, truth)}.items():
            p = where / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text)
    return truth


# Runs the command and samples, every 100 ms, the proportional set size (PSS: shared pages
# split between the processes sharing them) summed over the whole process tree, so a tool
# that forks workers is charged for all of them, and fairly for what they share.
_WRAPPER = """
import json, os, subprocess, sys, tempfile, time

def tree(pid):
    todo, found = [pid], []
    while todo:
        p = todo.pop()
        found.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except OSError:
            pass
    return found

def pss_kb(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("Pss:"))
    except (OSError, StopIteration):
        return 0

err = tempfile.TemporaryFile(mode="w+")
t = time.perf_counter()
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=err, text=True)
peak = 0
while p.poll() is None:
    peak = max(peak, sum(pss_kb(q) for q in tree(p.pid)))
    time.sleep(0.1)
wall = time.perf_counter() - t
err.seek(0)
print(json.dumps({"wall": wall, "rss": peak / 1024, "code": p.returncode, "err": err.read()[-2000:]}))
"""


def measure(cmd: list[str], cwd: Path) -> tuple[float, float, str]:
    """Wall seconds and peak memory (MB, PSS summed over the process tree) of a command."""
    out = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *cmd], capture_output=True, text=True, cwd=cwd, check=True
    )
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return data["wall"], data["rss"], data["err"]


def opscheck_verdicts(path: Path) -> dict:
    doc = json.loads(path.read_text())
    rule_to_check = {v: k for k, v in OVERLAP.items()}
    found = {}
    for r in doc["results"]:
        check = rule_to_check.get(r["rule_id"])
        if check and r["location"]:
            found[(check, r["resource"]["id"], r["location"]["path"])] = r["status"]
    return found


def checkov_verdicts(path: Path) -> dict:
    data = json.loads(path.read_text() or "[]")
    found = {}
    for report in data if isinstance(data, list) else [data]:
        for key, status in (("failed_checks", "fail"), ("passed_checks", "pass")):
            for c in (report.get("results") or {}).get(key) or []:
                resource = c["resource"]
                rid = resource.rpartition(".")[2] if resource.startswith("AWS::") else resource
                found[(c["check_id"], rid, c["file_path"].lstrip("/"))] = status
    return found


def run(n: int, checkov: str) -> None:
    with tempfile.TemporaryDirectory(prefix=f"opscheck-bench-{n}-") as tmp:
        corpus = Path(tmp) / "corpus"
        truth = generate(n, corpus)
        tf_files = len(list(corpus.rglob("*.tf")))
        ours_out = Path(tmp) / "opscheck.json"
        ours_cmd = [str(ROOT / ".venv/bin/opscheck"), "scan", ".", "--format", "json", "-o", str(ours_out)]
        ours_wall, ours_rss, _ = measure([*ours_cmd, "--fail-on", "none"], corpus)
        # The same scan in one process: what the parallel loader buys, and what it costs.
        one_wall, one_rss, _ = measure(["env", "OPSCHECK_WORKERS=1", *ours_cmd, "--fail-on", "none"], corpus)
        ckv_out = Path(tmp) / "checkov.json"
        ckv_wall, ckv_rss, ckv_err = measure(
            [
                "sh",
                "-c",
                f"{checkov} -d . --framework terraform cloudformation --check {','.join(OVERLAP)} "
                f"-o json --skip-download --compact > {ckv_out}",
            ],
            corpus,
        )
        ours_doc = json.loads(ours_out.read_text())
        ours = opscheck_verdicts(ours_out)
        theirs = checkov_verdicts(ckv_out)
        print(
            f"\nN = {n}: {tf_files} .tf files in {n} root modules (+{n} modules), {n} CloudFormation templates, "
            f"{ours_doc['scan']['stats']['resources']} resources mapped by opscheck"
        )
        print(f"  {'tool':22} {'wall s':>8} {'peak MB':>8}   (memory: PSS summed over all processes)")
        print(f"  {'opscheck':22} {ours_wall:8.2f} {ours_rss:8.0f}")
        print(f"  {'opscheck, one process':22} {one_wall:8.2f} {one_rss:8.0f}")
        print(f"  {'checkov':22} {ckv_wall:8.2f} {ckv_rss:8.0f}")
        print(f"  speed-up {ckv_wall / ours_wall:.1f}x, memory {ours_rss / ckv_rss:.2f} of checkov's")
        print(
            f"  one process: speed-up {ckv_wall / one_wall:.1f}x, memory {one_rss / ckv_rss:.2f} of checkov's"
        )
        tally: Counter[str] = Counter()
        disagreements: Counter[tuple[str, str, str, str]] = Counter()
        for key, expected in truth.items():
            check = key[0]
            if OVERLAP[check] == "AZ001":
                tally[
                    "AZ001 (not an opscheck rule yet): checkov "
                    + ("right" if theirs.get(key) == expected else "wrong")
                ] += 1
                continue
            mine, other = ours.get(key, "missing"), theirs.get(key, "missing")
            tally[f"opscheck {'right' if mine == expected else mine}"] += 1
            tally[f"checkov {'right' if other == expected else other}"] += 1
            if mine != other:
                right = "opscheck" if mine == expected else "checkov" if other == expected else "neither"
                disagreements[
                    (check, f"expected {expected}", f"opscheck {mine}, checkov {other}", right)
                ] += 1
        print("  verdicts against the generator's ground truth:")
        for k, v in sorted(tally.items()):
            print(f"    {k}: {v}")
        print("  disagreements (check, truth, verdicts, who is right): count")
        for k, v in sorted(disagreements.items()):
            print(f"    {' | '.join(k)}: {v}")
        if ckv_err.strip() and not theirs:
            print("  checkov stderr:", ckv_err[-500:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, action="append", help="corpus sizes (default 100 and 1000)")
    args = parser.parse_args()
    from scanner.checkov import find_checkov

    checkov = find_checkov()
    for n in args.n or [100, 1000]:
        run(n, checkov)


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    print(f"\n(total {time.perf_counter() - t0:.0f} s)")
