from __future__ import annotations

from collections.abc import Iterator

from rules.rightsizing.common import metric, summary_evidence
from scanner.inventory import Inventory
from scanner.lib.instance_types import next_size_down
from scanner.model import DB_INSTANCE, Result, Unknown
from scanner.rule import RuleContext, rule


@rule(
    id="RS003",
    name="rds-overprovisioned",
    title="RDS DB instances use the CPU they pay for",
    severity="low",
    family="rightsizing",
    remediation="""
        Move the DB instance to a smaller class of its family during a maintenance window
        (Multi-AZ instances change with a failover), after checking memory (FreeableMemory)
        and connections: a database may be sized for its cache, not its CPU.
    """,
    terraform="""
        resource "aws_db_instance" "features" {
          instance_class = "db.r6g.large" # was db.r6g.xlarge: peak CPU 18% over 14 days
        }
    """,
    cloudformation="""
        Features:
          Type: AWS::RDS::DBInstance
          Properties:
            DBInstanceClass: db.r6g.large
    """,
    references=("https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ModifyInstance.html",),
    compliance={"AWS-WA": ("COST06-BP03",)},
    sources=("aws",),
    needs={DB_INSTANCE: ("metrics",)},
    params={"cpu_threshold": 40, "min_days_with_data": 7},
)
def rs003(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """A DB instance whose highest hourly-average CPU over the look-back (14 days;
    `metrics.lookback_days`) stays below
    the threshold (40%) may be larger than its work. CPU alone does not prove it (memory and
    connections matter to databases), hence severity low. No datapoints, or fewer days than
    `min_days_with_data`: unknown. One result per DB instance (DocumentDB and Neptune, which
    the same API lists, are not judged).
    """
    threshold = float(ctx.params.get("cpu_threshold", 40))
    min_days = int(ctx.params.get("min_days_with_data", 7))
    for scope in inventory.scopes:
        if not scope.is_live:
            continue
        for db in inventory.of_type(DB_INSTANCE, scope):
            engine = db.get("Engine")
            if isinstance(engine, str) and engine.startswith(("docdb", "neptune")):
                continue
            kind = db.get("DBInstanceClass")
            label = f"RDS DB instance {db.name} ({kind})"
            cpu = metric(db, "cpu", min_days)
            if isinstance(cpu, Unknown):
                yield ctx.unknown(
                    db, f"{label}: its CPU use is not known: {cpu.reason}.", {"DBInstanceClass": kind}
                )
                continue
            evidence = {"DBInstanceClass": kind, "cpu": summary_evidence(cpu, threshold)}
            peak = cpu.maximum or 0.0
            if peak >= threshold:
                yield ctx.passed(
                    db, f"{label}: CPU peaked at {peak:.0f}% over {cpu.lookback_days} days.", evidence
                )
                continue
            smaller = next_size_down(kind) if isinstance(kind, str) else None
            evidence["recommendation"] = {"DBInstanceClass": smaller} if smaller else None
            advice = f": consider {smaller}" if smaller else ": consider a smaller class of its family"
            yield ctx.fail(
                db,
                f"{label}: CPU peaked at {peak:.0f}% over {cpu.lookback_days} days (below {threshold:.0f}%){advice}.",
                evidence,
            )
        yield from ctx.gap_unknowns(inventory, scope, DB_INSTANCE, "RDS DB instances")
