"""The `opscheck` command line (INTERFACE.md)."""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from scanner import __version__, engine
from scanner import config as configuration
from scanner.baseline import Baseline
from scanner.checkov import CheckovUnavailable, find_checkov
from scanner.model import Severity
from scanner.progress import Progress, ProgressLine
from scanner.results import ScanOutcome, exit_code
from scanner.rule import Rule
from scanner.scan import LiveSettings, OrgOptions, scan_aws, scan_iac, scan_org
from scanner.sources.aws.organization import DEFAULT_ROLE, Shard
from scanner.sources.aws.session import AwsOptions, ConfigurationError
from scanner.sources.aws.source import invalid_regions

FORMATS = ("console", "json", "sarif", "html")
FAIL_ON = (*(s.value for s in Severity), "none")
FILE_NAMES = {"json": "opscheck.json", "sarif": "opscheck.sarif", "html": "opscheck.html"}
BASELINE_FILE = "opscheck-baseline.json"
ACCOUNT_ID = re.compile(r"^\d{12}$")


class UsageError(Exception):
    """Bad arguments or configuration: exit code 2."""


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="opscheck",
        description="Checks AWS accounts and infrastructure-as-code for audit coverage, event "
        "delivery, resilience and sizing of ML platforms.",
    )
    parser.add_argument("--version", action="version", version=f"opscheck {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    scan = sub.add_parser("scan", help="scan IaC paths or a live AWS account")
    _scan_arguments(scan)

    baseline = sub.add_parser(
        "baseline", help="accept the current results: later scans fail only on new ones"
    )
    baseline_sub = baseline.add_subparsers(dest="baseline_command", metavar="ACTION", required=True)
    create = baseline_sub.add_parser(
        "create", help=f"scan like `scan` and write the results document as a baseline ({BASELINE_FILE})"
    )
    _scan_arguments(create)

    rules = sub.add_parser("rules", help="list the rules")
    rules.add_argument("--format", choices=("table", "json", "markdown"), default="table")
    rules.add_argument("--rules-dir", action="append", default=[], metavar="DIR")

    explain = sub.add_parser("explain", help="explain one rule")
    explain.add_argument("rule_id", metavar="RULE_ID")
    explain.add_argument("--rules-dir", action="append", default=[], metavar="DIR")

    report = sub.add_parser("report", help="render a results document (JSON, or an HTML report) again")
    report.add_argument("document", metavar="RESULTS.json")
    report.add_argument("--format", choices=FORMATS, required=True)
    report.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    report.add_argument("--verbose", action="store_true", help="console: also show passing results")
    _sarif_anchor(report)

    diff = sub.add_parser("diff", help="compare two results documents: new, fixed and changed fails")
    diff.add_argument("before", metavar="BEFORE.json")
    diff.add_argument("after", metavar="AFTER.json")
    diff.add_argument("--format", choices=("table", "json"), default="table")
    diff.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    diff.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        default="low",
        help="exit code 1 when a new unsuppressed fail, or a fail whose severity rose, is at least "
        "this severe (default: low)",
    )
    diff.add_argument("--verbose", action="store_true", help="also list unchanged fails")

    policy = sub.add_parser(
        "iam-policy", help="print the least-privilege read-only IAM policy a live scan of these rules needs"
    )
    policy.add_argument("--rules", type=_csv, default=[], metavar="ID,...", help="only these rules")
    policy.add_argument("--skip-rules", type=_csv, default=[], metavar="ID,...", help="not these rules")
    policy.add_argument("--rules-dir", action="append", default=[], metavar="DIR", help="extra rule modules")
    policy.add_argument(
        "--config", metavar="FILE", help=f"configuration file (default: {configuration.DEFAULT_NAME})"
    )
    policy.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")

    init = sub.add_parser("init", help=f"write a commented starter {configuration.DEFAULT_NAME}")
    init.add_argument("path", nargs="?", default=configuration.DEFAULT_NAME, metavar="FILE")
    init.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    init.add_argument("--rules-dir", action="append", default=[], metavar="DIR")

    merge = sub.add_parser(
        "merge", help="merge results documents (e.g. the shards of an --org scan) into one"
    )
    merge.add_argument("documents", nargs="+", metavar="RESULTS.json")
    merge.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")

    demo = sub.add_parser("demo", help="scan an emulated ML platform account (no AWS account needed)")
    demo.add_argument("--output-dir", default="opscheck-demo", metavar="DIR")
    demo.add_argument("--no-progress", action="store_true")
    demo.add_argument("--verbose", action="store_true")
    return parser


def _scan_arguments(p: argparse.ArgumentParser) -> None:
    """What `scan` (and `baseline create`, which scans the same way) accepts."""
    p.add_argument("paths", nargs="*", metavar="PATH", help="IaC files or directories")
    iac = p.add_argument_group("IaC options")
    iac.add_argument(
        "--checkov",
        action="store_true",
        help="also run checkov's curated AWS checks, out of process (`make checkov` installs it)",
    )
    iac.add_argument(
        "--var-file",
        action="append",
        default=[],
        metavar="FILE",
        help="Terraform variable values (repeatable, after terraform.tfvars and *.auto.tfvars)",
    )
    aws = p.add_argument_group("AWS options")
    aws.add_argument("--aws", action="store_true", help="scan a live AWS account")
    aws.add_argument("--profile", help="AWS profile from the shared config files")
    aws.add_argument(
        "--region",
        action="append",
        default=[],
        metavar="REGION",
        help="region to scan (repeatable; default: every region enabled for the account)",
    )
    aws.add_argument("--role-arn", help="assume this role first")
    aws.add_argument("--external-id", help="external id for --role-arn")
    aws.add_argument("--endpoint-url", help="AWS endpoint (local emulators); also AWS_ENDPOINT_URL")
    aws.add_argument(
        "--max-workers",
        type=int,
        default=None,
        metavar="N",
        help="concurrent API calls per account (default 8)",
    )
    org = p.add_argument_group("AWS Organizations")
    org.add_argument("--org", action="store_true", help="scan every active account of the organization")
    org.add_argument(
        "--org-role",
        metavar="NAME",
        help="role entered in each member account (default OrganizationAccountAccessRole, or scan.org_role)",
    )
    org.add_argument("--accounts", type=_csv, default=[], metavar="ID,...", help="only these accounts")
    org.add_argument(
        "--shard", metavar="K/N", help="scan only shard K of N of the accounts (split across machines)"
    )
    org.add_argument(
        "--max-accounts", type=int, default=None, metavar="N", help="accounts scanned at once (default 4)"
    )
    _common_options(p)


def _common_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("output and selection")
    g.add_argument(
        "--format",
        default="console",
        metavar="FMT[,FMT...]",
        help="console, json, sarif, html (default: console on stdout)",
    )
    g.add_argument("-o", "--output", metavar="FILE", help="write the (single) format to FILE")
    g.add_argument("--output-dir", metavar="DIR", help="write every file format into DIR")
    g.add_argument("--rules", type=_csv, default=[], metavar="ID,...", help="run only these rules")
    g.add_argument("--skip-rules", type=_csv, default=[], metavar="ID,...", help="do not run these rules")
    g.add_argument("--rules-dir", action="append", default=[], metavar="DIR", help="extra rule modules")
    g.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        default=None,
        help="lowest severity of a fail that makes the exit code 1 (default: low, or scan.fail_on)",
    )
    g.add_argument(
        "--baseline",
        metavar="RESULTS.json",
        help="results accepted before (a results document, e.g. from `opscheck baseline create`): "
        "only new fails fail the build",
    )
    g.add_argument(
        "--config",
        metavar="FILE",
        help=f"configuration file (default: {configuration.DEFAULT_NAME} here, when present)",
    )
    g.add_argument("--strict", action="store_true", help="any scan error makes the exit code 2")
    g.add_argument("--quiet", action="store_true", help="print only the summary line")
    g.add_argument("--verbose", action="store_true", help="also show passing results")
    g.add_argument("--no-progress", action="store_true", help="no progress display")
    _sarif_anchor(p)


def _sarif_anchor(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--sarif-anchor",
        metavar="PATH",
        help="SARIF: the file results without a file of their own (live resources) point at "
        "(default: opscheck.yml)",
    )


# -- commands --------------------------------------------------------------------------------


def cmd_scan(args: argparse.Namespace, out: TextIO) -> int:
    formats = _formats(args.format)
    outcome = run_scan(args, formats, read_baseline(args.baseline))
    write_outputs(outcome, formats, args, out)
    return exit_code(outcome, args.fail_on, args.strict)


def cmd_baseline(args: argparse.Namespace, out: TextIO) -> int:
    """`baseline create`: scan exactly as `scan` does and write the results document, whose
    fails and unknowns later scans given `--baseline FILE` accept."""
    if args.baseline:
        raise UsageError("--baseline does not apply to `baseline create`")
    if args.output_dir or _formats(args.format) not in (["console"], ["json"]):
        raise UsageError(
            "`baseline create` writes one JSON document: give -o FILE (default opscheck-baseline.json)"
        )
    args.format, args.output = "json", args.output or BASELINE_FILE
    outcome = run_scan(args, ["json"], None)
    write_outputs(outcome, ["json"], args, out)
    if outcome.fatal:
        print(f"opscheck: nothing could be scanned: {outcome.fatal}", file=sys.stderr)
        return 2
    accepted = sum(1 for r in outcome.results if r.status.value in ("fail", "unknown"))
    out.write(
        f"wrote {args.output}: {accepted} results (fail or unknown) accepted; scans given "
        f"--baseline {args.output} fail only on new ones\n"
    )
    return 2 if args.strict and outcome.errors else 0


def read_baseline(path: str | None) -> Baseline | None:
    """The baseline is read before anything is scanned: a bad file costs no scan."""
    if not path:
        return None
    from reports.document import DocumentError, load

    try:
        doc, _ = load(Path(path))
    except DocumentError as exc:
        raise UsageError(f"--baseline: {exc}") from exc
    return Baseline.from_document(doc, path)


def run_scan(args: argparse.Namespace, formats: list[str], baseline: Baseline | None) -> ScanOutcome:
    """The scan the arguments (and the configuration) ask for, outputs checked first. Live
    scans show their progress on a terminal (not with --no-progress or --quiet)."""
    config = read_config(args.config)
    args.fail_on = args.fail_on or config.scan.fail_on or "low"
    if args.paths and args.aws:
        raise UsageError("give either PATH... (IaC) or --aws, not both")
    if args.checkov and not args.paths:
        raise UsageError("--checkov applies to IaC paths, not to --aws scans")
    if args.var_file and not args.paths:
        raise UsageError("--var-file applies to Terraform paths, not to --aws scans")
    if args.paths:
        return _scan_paths(args, formats, config, baseline)
    if not args.aws:
        raise UsageError("nothing to scan: give IaC paths or --aws")
    org_flags = [
        f
        for f, v in (
            ("--org-role", args.org_role),
            ("--accounts", args.accounts),
            ("--shard", args.shard),
            ("--max-accounts", args.max_accounts),
        )
        if v
    ]
    if org_flags and not args.org:
        raise UsageError(f"{', '.join(org_flags)} only apply with --org")
    regions = args.region or list(config.scan.regions)
    bad = invalid_regions(regions)
    if bad:
        where = "" if args.region else f" ({config.where('scan', 'regions')})"
        raise UsageError(f"not a region name: {', '.join(bad)}{where}")
    if args.external_id and not (args.role_arn or args.org):
        raise UsageError("--external-id needs --role-arn or --org")
    workers = args.max_workers if args.max_workers is not None else config.scan.max_workers or 8
    if workers < 1:
        raise UsageError("--max-workers must be at least 1")
    rules, load_errors = load_rules(args.rules_dir, args.rules, args.skip_rules, config)
    rules = for_sources(rules, {"aws"}, "live AWS scans")
    options = AwsOptions(
        profile=args.profile,
        role_arn=args.role_arn,
        external_id=args.external_id,
        endpoint_url=args.endpoint_url,
        regions=regions,
        max_workers=workers,
    )
    org = _org_options(args, config) if args.org else None
    check_outputs(formats, args)
    progress = Progress(log=sys.stderr if args.verbose else None)
    settings = LiveSettings(config.metrics, config, baseline, progress)
    shown = sys.stderr.isatty() and not args.no_progress and not args.quiet
    try:
        with ProgressLine(progress, sys.stderr) if shown else contextlib.nullcontext():
            if org is not None:
                return scan_org(options, org, rules, load_errors, settings)
            return scan_aws(options, rules, load_errors, settings)
    except ConfigurationError as exc:
        raise UsageError(str(exc)) from exc


def _org_options(args: argparse.Namespace, config: configuration.Config) -> OrgOptions:
    bad = [a for a in args.accounts if not ACCOUNT_ID.match(a)]
    if bad:
        raise UsageError(f"--accounts: not a 12-digit account id: {', '.join(bad)}")
    try:
        shard = Shard.parse(args.shard) if args.shard else None
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    most = args.max_accounts if args.max_accounts is not None else config.scan.max_accounts or 4
    if most < 1:
        raise UsageError("--max-accounts must be at least 1")
    return OrgOptions(
        role=args.org_role or config.scan.org_role or DEFAULT_ROLE,
        external_id=args.external_id,
        accounts=tuple(dict.fromkeys(args.accounts)),
        shard=shard,
        max_accounts=most,
    )


def _scan_paths(
    args: argparse.Namespace, formats: list[str], config: configuration.Config, baseline: Baseline | None
) -> ScanOutcome:
    aws_only = [
        flag
        for flag, value in (
            ("--profile", args.profile),
            ("--region", args.region),
            ("--role-arn", args.role_arn),
            ("--endpoint-url", args.endpoint_url),
            ("--max-workers", args.max_workers),
            ("--org", args.org),
            ("--org-role", args.org_role),
            ("--accounts", args.accounts),
            ("--shard", args.shard),
            ("--max-accounts", args.max_accounts),
        )
        if value
    ]
    if aws_only:
        raise UsageError(f"{', '.join(aws_only)} only apply to --aws scans")
    missing = [p for p in [*args.paths, *args.var_file] if not Path(p).exists()]
    if missing:
        raise UsageError(f"no such file or directory: {', '.join(missing)}")
    rules, load_errors = load_rules(args.rules_dir, args.rules, args.skip_rules, config)
    rules = for_sources(rules, {"terraform", "cloudformation"}, "infrastructure-as-code")
    check_outputs(formats, args)
    if args.checkov:
        try:
            find_checkov()
        except CheckovUnavailable as exc:
            raise UsageError(str(exc)) from exc
    return scan_iac(
        [Path(p) for p in args.paths],
        rules,
        Path.cwd(),
        load_errors,
        [Path(v) for v in args.var_file],
        checkov=args.checkov,
        config=config,
        baseline=baseline,
    )


def for_sources(rules: list[Rule], sources: set[str], what: str) -> list[Rule]:
    """The rules that apply to this kind of scan (RULES.md's sources column)."""
    chosen = [r for r in rules if sources & set(r.meta.sources)]
    if not chosen:
        raise UsageError(f"none of the selected rules applies to {what}")
    return chosen


def read_config(explicit: str | None) -> configuration.Config:
    """`--config FILE`, else ./opscheck.yml when present, else the defaults."""
    found = configuration.find(explicit, Path.cwd())
    if found is None:
        return configuration.Config()
    try:
        return configuration.load(found, explicit or configuration.DEFAULT_NAME)
    except configuration.ConfigError as exc:
        raise UsageError(_problems(exc)) from exc


def _problems(exc: configuration.ConfigError) -> str:
    if len(exc.problems) == 1:
        return exc.problems[0]
    return f"{len(exc.problems)} problems in the configuration:\n  " + "\n  ".join(exc.problems)


def load_rules(
    rules_dirs: Sequence[str],
    include: Sequence[str],
    skip: Sequence[str],
    config: configuration.Config | None = None,
):
    """Rules to run, with the configuration's severities and parameters. A problem in the
    user's own --rules-dir or configuration is a configuration error (exit 2); a broken
    installed plugin pack is a scan error and the other packs still run. A selection on the
    command line (--rules or --skip-rules) replaces the configuration's select and skip."""
    config = config or configuration.Config()
    ruleset = engine.discover(rules_dirs)
    user_errors = [e for e in ruleset.errors if e.path is not None]
    if user_errors:
        raise UsageError("; ".join(_located(e) for e in user_errors))
    try:
        config.check(ruleset.rules)
    except configuration.ConfigError as exc:
        raise UsageError(_problems(exc)) from exc
    if not include and not skip:
        include, skip = config.select, config.skip
    try:
        chosen = engine.select(ruleset.rules, include, skip)
    except engine.RuleSelectionError as exc:
        raise UsageError(str(exc)) from exc
    if not chosen:
        raise UsageError("no rules selected")
    return config.apply(chosen), [e for e in ruleset.errors if e.path is None]


def _located(e) -> str:
    where = f"{e.path}:{e.line}: " if e.line else f"{e.path}: " if e.path else ""
    return where + e.message


def _formats(value: str) -> list[str]:
    formats = _csv(value) or ["console"]
    for f in formats:
        if f not in FORMATS:
            raise UsageError(f"unknown format {f!r}; choose from {', '.join(FORMATS)}")
    return list(dict.fromkeys(formats))


def check_outputs(formats: list[str], args: argparse.Namespace) -> None:
    """Output options are checked before a scan starts, not after it has run (a live scan
    of many regions is not thrown away because its report cannot be written)."""
    if args.output and args.output_dir:
        raise UsageError("give -o/--output (one format) or --output-dir (every format), not both")
    if args.output and len(formats) != 1:
        raise UsageError("-o/--output takes exactly one format; use --output-dir for several")
    if len(formats) > 1 and not args.output_dir:
        raise UsageError("several formats on stdout: use --output-dir (or -o with one format)")
    if args.output:
        check_output_file(Path(args.output), "-o/--output")
    if args.output_dir:
        check_output_dir(Path(args.output_dir), "--output-dir")


def check_output_dir(directory: Path, option: str) -> None:
    """The directory exists or can be made: its nearest existing ancestor is a writable directory."""
    here = directory
    while not here.exists() and here.parent != here:
        here = here.parent
    if not here.is_dir():
        raise UsageError(f"{option} {directory}: {here} is not a directory")
    if not os.access(here, os.W_OK | os.X_OK):
        raise UsageError(f"{option} {directory}: {here} is not writable")


def check_output_file(target: Path, option: str) -> None:
    if target.is_dir():
        raise UsageError(f"{option} {target} is a directory; give a file name")
    if target.exists() and not os.access(target, os.W_OK):
        raise UsageError(f"{option} {target} is not writable")
    check_output_dir(target.parent, option)


def write_outputs(outcome: ScanOutcome, formats: list[str], args: argparse.Namespace, out: TextIO) -> None:
    from reports import console
    from reports.formats import render_outcome

    rendered = render_outcome(outcome, formats, anchor=_anchor(args.sarif_anchor))
    for fmt, text in rendered.texts.items():
        if args.output_dir:
            _write_file(Path(args.output_dir) / FILE_NAMES[fmt], text)
        elif args.output:
            _write_file(Path(args.output), text)
        else:
            out.write(text)
    if "console" in formats:
        if args.output and formats == ["console"]:
            with _open_output(Path(args.output)) as fh:
                console.render_document(rendered.doc, fh, verbose=args.verbose, fatal=outcome.fatal)
        elif args.quiet:
            out.write(console.summary_line(rendered.doc) + "\n")
        else:
            console.render_document(rendered.doc, out, verbose=args.verbose, fatal=outcome.fatal)


def _write_file(target: Path, text: str) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror or exc}") from exc


def cmd_rules(args: argparse.Namespace, out: TextIO) -> int:
    ruleset = engine.discover(args.rules_dir)
    _report_load_errors(ruleset.errors)
    from reports import rules_doc

    out.write(rules_doc.render(ruleset.rules, args.format))
    return 0


def cmd_explain(args: argparse.Namespace, out: TextIO) -> int:
    ruleset = engine.discover(args.rules_dir)
    _report_load_errors(ruleset.errors)
    found: dict[str, Rule] = {r.id: r for r in ruleset.rules}
    found.update({r.meta.name: r for r in ruleset.rules})
    rule = found.get(args.rule_id.upper()) or found.get(args.rule_id)
    if rule is None:
        raise UsageError(f"no rule {args.rule_id!r} (see `opscheck rules`)")
    from reports import rules_doc

    out.write(rules_doc.explain(rule.meta))
    return 0


def _anchor(path: str | None) -> str | None:
    """The SARIF anchor relative to where opscheck runs (the writer makes it repository-relative)."""
    if path and os.path.isabs(path):
        return Path(os.path.relpath(path)).as_posix()
    return path


def cmd_report(args: argparse.Namespace, out: TextIO) -> int:
    """Render a results document again (JSON, or the copy an HTML report embeds)."""
    from reports import console
    from reports.document import DocumentError, load
    from reports.formats import render_document

    if args.output:
        check_output_file(Path(args.output), "-o/--output")
    try:
        doc, text = load(Path(args.document))
    except DocumentError as exc:
        raise UsageError(str(exc)) from exc
    if args.format == "console":
        if args.output:
            with _open_output(Path(args.output)) as fh:
                console.render_document(doc, fh, verbose=args.verbose)
        else:
            console.render_document(doc, out, verbose=args.verbose)
        return 0
    if args.format == "sarif":
        from reports import sarif

        report = sarif.render(doc, anchor=_anchor(args.sarif_anchor))
        for problem in report.problems:  # the document is what it is: say it, still write the file
            print(f"opscheck: warning: {problem}", file=sys.stderr)
        rendered = report.text
    else:
        rendered = render_document(doc, text, args.format)
    if args.output:
        _write_file(Path(args.output), rendered)
    else:
        out.write(rendered)
    return 0


def cmd_diff(args: argparse.Namespace, out: TextIO) -> int:
    from reports import diff as diff_report
    from reports.document import DocumentError, load

    if args.output:
        check_output_file(Path(args.output), "-o/--output")
    try:
        before, _ = load(Path(args.before))
        after, _ = load(Path(args.after))
    except DocumentError as exc:
        raise UsageError(str(exc)) from exc
    result = diff_report.compare(before, after)
    for warning in result.warnings:
        print(f"opscheck: warning: {warning}", file=sys.stderr)
    if args.format == "json":
        text = diff_report.render_json(result)
        if args.output:
            _write_file(Path(args.output), text)
        else:
            out.write(text)
    elif args.output:
        with _open_output(Path(args.output)) as fh:
            diff_report.render_table(result, fh, show_unchanged=args.verbose)
    else:
        diff_report.render_table(result, out, show_unchanged=args.verbose)
    return 1 if result.new_failing(args.fail_on) else 0


def cmd_merge(args: argparse.Namespace, out: TextIO) -> int:
    """One results document from several (shards of an organization scan, other accounts)."""
    from reports.document import DocumentError, load
    from reports.json import dumps
    from reports.merge import MergeError, merge

    if args.output:
        check_output_file(Path(args.output), "-o/--output")
    docs = []
    for name in args.documents:
        try:
            docs.append((name, load(Path(name))[0]))
        except DocumentError as exc:
            raise UsageError(str(exc)) from exc
    try:
        doc, warnings = merge(docs)
    except MergeError as exc:
        raise UsageError(str(exc)) from exc
    for warning in warnings:
        print(f"opscheck: warning: {warning}", file=sys.stderr)
    text = dumps(doc)
    if args.output:
        _write_file(Path(args.output), text)
    else:
        out.write(text)
    return 0


def _open_output(target: Path) -> TextIO:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        return open(target, "w", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror or exc}") from exc


def cmd_iam_policy(args: argparse.Namespace, out: TextIO) -> int:
    """The policy for the rules a live scan would run with these options and configuration."""
    import json

    from scanner.sources.aws.permissions import read_only_policy
    from scanner.sources.aws.source import unsupported_needs

    if args.output:
        check_output_file(Path(args.output), "-o/--output")
    config = read_config(args.config)
    rules, _ = load_rules(args.rules_dir, args.rules, args.skip_rules, config)
    rules = [r for r in for_sources(rules, {"aws"}, "live AWS scans") if not unsupported_needs(r.meta.needs)]
    text = json.dumps(read_only_policy(engine.needs(rules)), indent=2) + "\n"
    if args.output:
        _write_file(Path(args.output), text)
    else:
        out.write(text)
    return 0


def cmd_init(args: argparse.Namespace, out: TextIO) -> int:
    """Write a starter configuration: every setting commented out, with its default."""
    from scanner.config_starter import starter

    target = Path(args.path)
    if target.exists() and not args.force:
        raise UsageError(f"{target} exists; give --force to overwrite it")
    check_output_file(target, "FILE")
    ruleset = engine.discover(args.rules_dir)
    _report_load_errors(ruleset.errors)
    _write_file(target, starter(ruleset.rules))
    out.write(f"wrote {target}: every setting is commented out and shows its default\n")
    return 0


def cmd_demo(args: argparse.Namespace, out: TextIO) -> int:
    try:
        from scanner.demo import run_demo
    except ImportError as exc:  # moto is an extra
        raise UsageError(f"the demo needs the AWS emulator: pip install 'opscheck[demo]' ({exc})") from exc
    check_output_dir(Path(args.output_dir), "--output-dir")
    return run_demo(Path(args.output_dir), out, verbose=args.verbose)


def _report_load_errors(errors) -> None:
    for e in errors:
        print(f"opscheck: warning: {e.message}", file=sys.stderr)


COMMANDS = {
    "scan": cmd_scan,
    "baseline": cmd_baseline,
    "rules": cmd_rules,
    "explain": cmd_explain,
    "report": cmd_report,
    "diff": cmd_diff,
    "merge": cmd_merge,
    "iam-policy": cmd_iam_policy,
    "init": cmd_init,
    "demo": cmd_demo,
}


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed the usage error
        return 2 if exc.code not in (0, None) else 0
    if not args.command:
        parser.print_help(out)
        return 2
    try:
        return COMMANDS[args.command](args, out)
    except UsageError as exc:
        print(f"opscheck: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("opscheck: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # never a bare traceback for users; OPSCHECK_DEBUG=1 shows it
        if os.environ.get("OPSCHECK_DEBUG"):
            traceback.print_exc()
        print(
            f"opscheck: internal error: {type(exc).__name__}: {exc} (set OPSCHECK_DEBUG=1 for details; "
            "please report it)",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
