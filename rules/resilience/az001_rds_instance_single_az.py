from __future__ import annotations

from collections.abc import Iterator

from rules.resilience.common import each, is_rds
from scanner.inventory import Inventory
from scanner.lib.values import flag
from scanner.model import DB_INSTANCE, Resource, Result, Scope, Unknown, show
from scanner.rule import RuleContext, rule


@rule(
    id="AZ001",
    name="rds-instance-single-az",
    title="RDS DB instances are Multi-AZ",
    severity="medium",
    family="resilience",
    remediation="""
        Make the DB instance a Multi-AZ deployment: RDS keeps a standby in another
        availability zone and fails over to it. A read replica can be made Multi-AZ too.
        Aurora instances and members of Multi-AZ DB clusters are judged with their cluster
        (AZ002).
    """,
    terraform="""
        resource "aws_db_instance" "db" {
          # ...
          multi_az = true
        }
    """,
    cloudformation="""
        Database:
          Type: AWS::RDS::DBInstance
          Properties:
            MultiAZ: true
    """,
    references=(
        "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.MultiAZSingleStandby.html",
        "https://docs.aws.amazon.com/securityhub/latest/userguide/rds-controls.html#rds-5",
    ),
    compliance={"AWS-FSBP": ("RDS.5",), "CIS-AWS-v5.0": ("2.2.4",), "AWS-WA": ("REL10-BP01",)},
    needs={DB_INSTANCE: ()},
)
def az001(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """A DB instance that is not Multi-AZ runs in one availability zone: losing it stops the
    database until it is restored elsewhere. `MultiAZ` defaults to false in the API, so an
    absent attribute is a single-AZ instance. Instances of a DB cluster (Aurora, or a
    Multi-AZ DB cluster) are skipped: MultiAZ does not apply to them (AZ002 judges the
    cluster). A read replica that is single-AZ is reported with severity low: the primary
    still holds the data. One result per DB instance.
    """

    def judge(db: Resource, scope: Scope) -> Result | None:
        cluster = db.get("DBClusterIdentifier")
        engine = db.get("Engine")
        if cluster is not None:
            return None  # set, even to a value not known here: a cluster member (AZ002)
        if (isinstance(engine, str) and engine.startswith("aurora")) or not is_rds(db):
            return None  # an Aurora instance always belongs to a cluster; DocumentDB, Neptune
        replica = db.get("SourceDBInstanceIdentifier")
        kind = "read replica" if replica is not None else "DB instance"
        label = f"RDS {kind} {db.name}"
        evidence = {
            "MultiAZ": db.get("MultiAZ"),
            "AvailabilityZone": db.get("AvailabilityZone"),
            "SecondaryAvailabilityZone": db.observed.get("SecondaryAvailabilityZone"),
            "Engine": engine,
        }
        severity = {"severity": "low"} if replica is not None else {}
        multi = flag(db.get("MultiAZ"))
        if isinstance(multi, Unknown):
            return ctx.unknown(
                db, f"{label}: whether it is Multi-AZ is not known ({show(db.get('MultiAZ'))}).", evidence
            )
        if multi:
            return ctx.passed(db, f"{label} is Multi-AZ.", evidence)
        where = db.get("AvailabilityZone")
        zone = f" in {where}" if isinstance(where, str) else ""
        return ctx.fail(
            db,
            f"{label} is single-AZ{zone}: losing that availability zone stops it.",
            evidence,
            **severity,
        )

    yield from each(inventory, ctx, DB_INSTANCE, "RDS DB instances", judge)
