from __future__ import annotations

from collections.abc import Iterator

from rules.resilience.common import each, flag, is_rds
from scanner.inventory import Inventory
from scanner.lib.references import refers_to
from scanner.lib.zones import Zones, zone
from scanner.model import DB_CLUSTER, DB_INSTANCE, Resource, Result, Scope, Unknown
from scanner.rule import RuleContext, rule


@rule(
    id="AZ002",
    name="rds-cluster-single-az",
    title="RDS DB clusters have instances in more than one availability zone",
    severity="medium",
    family="resilience",
    remediation="""
        Give the cluster at least two instances in different availability zones (an Aurora
        replica in another zone is promoted if the writer's zone fails), or use a Multi-AZ
        DB cluster. Name each instance's zone, so that the spread does not depend on where
        RDS happens to place it.
    """,
    terraform="""
        resource "aws_rds_cluster_instance" "db" {
          count              = 2
          cluster_identifier = aws_rds_cluster.db.id
          instance_class     = "db.r6g.large"
          engine             = aws_rds_cluster.db.engine
          availability_zone  = data.aws_availability_zones.available.names[count.index]
        }
    """,
    cloudformation="""
        Writer:
          Type: AWS::RDS::DBInstance
          Properties:
            DBClusterIdentifier: !Ref Cluster
            DBInstanceClass: db.r6g.large
            Engine: aurora-postgresql
            AvailabilityZone: !Select [0, !GetAZs ""]
        Reader:
          Type: AWS::RDS::DBInstance
          Properties:
            DBClusterIdentifier: !Ref Cluster
            DBInstanceClass: db.r6g.large
            Engine: aurora-postgresql
            AvailabilityZone: !Select [1, !GetAZs ""]
    """,
    references=(
        "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Concepts.AuroraHighAvailability.html",
        "https://docs.aws.amazon.com/securityhub/latest/userguide/rds-controls.html#rds-15",
    ),
    compliance={"AWS-FSBP": ("RDS.15",), "CIS-AWS-v5.0": ("2.2.4",), "AWS-WA": ("REL10-BP01",)},
    needs={DB_CLUSTER: (), DB_INSTANCE: ()},
)
def az002(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """A DB cluster whose instances all sit in one availability zone stops when that zone
    does. Live, the cluster's `MultiAZ` says whether its instances span zones (not
    `AvailabilityZones`, which lists where instances may be created). In IaC, the verdict
    comes from the instances declared for the cluster: fewer than two, or all in one zone,
    fails; a Multi-AZ DB cluster (DBClusterInstanceClass set: one writer and two readers in
    three zones) passes; instances whose zone RDS picks make it unknown. One result per
    DB cluster.
    """

    def judge(cluster: Resource, scope: Scope) -> Result | None:
        if not is_rds(cluster):
            return None  # DocumentDB and Neptune clusters, listed by the same API
        label = f"RDS DB cluster {cluster.name}"
        if scope.is_live:
            multi = flag(cluster.get("MultiAZ"))
            evidence = {
                "MultiAZ": cluster.get("MultiAZ"),
                "members": cluster.observed.get("DBClusterMembers"),
            }
            if isinstance(multi, Unknown):
                return ctx.unknown(
                    cluster, f"{label}: whether it is Multi-AZ is not known ({multi.reason}).", evidence
                )
            if multi:
                return ctx.passed(
                    cluster, f"{label} has instances in more than one availability zone.", evidence
                )
            return ctx.fail(cluster, f"{label} has its instances in one availability zone.", evidence)
        return _declared(cluster, scope, label)

    def _declared(cluster: Resource, scope: Scope, label: str) -> Result:
        instance_class = cluster.get("DBClusterInstanceClass")
        engine = cluster.get("Engine")
        evidence: dict = {"Engine": engine, "EngineMode": cluster.get("EngineMode")}
        if instance_class is not None and not (isinstance(engine, str) and engine.startswith("aurora")):
            evidence["DBClusterInstanceClass"] = instance_class
            return ctx.passed(
                cluster,
                f"{label} is a Multi-AZ DB cluster: RDS runs a writer and two readers in three availability zones.",
                evidence,
            )
        if cluster.get("EngineMode") == "serverless":
            return ctx.unknown(
                cluster,
                f"{label} is Aurora Serverless v1: it has no instances to count; RDS places its capacity.",
                evidence,
            )
        members = [
            db
            for db in inventory.of_type(DB_INSTANCE, scope)
            if refers_to(db.get("DBClusterIdentifier"), cluster, [str(cluster.get("DBClusterIdentifier"))])
        ]
        maybe = [
            db
            for db in inventory.of_type(DB_INSTANCE, scope)
            if db not in members
            and refers_to(db.get("DBClusterIdentifier"), cluster) is None
            and db.get("DBClusterIdentifier") is not None
        ]
        evidence["instances"] = [db.id for db in members]
        uncertain = [db.id for db in members if db.exists is not True] + [db.id for db in maybe]
        if uncertain:
            evidence["uncertain"] = uncertain
        found = Zones()
        for db in members:
            value = db.get("AvailabilityZone")
            found = found | (
                zone(value, f"the zone of {db.name}")
                if value is not None
                else Zones(unknown=(f"{db.name} names no zone: RDS picks one",))
            )
        evidence.update(found.evidence())
        if found.spread:
            return ctx.passed(
                cluster,
                f"{label} has instances in {found.count} availability zones ({found.describe()}).",
                evidence,
            )
        if len(members) < 2 and not uncertain:
            return ctx.fail(
                cluster,
                f"{label} has {len(members)} instance{'' if len(members) == 1 else 's'} declared: with fewer than two there is nothing to fail over to.",
                evidence,
            )
        if found.spread is False and not uncertain:
            return ctx.fail(
                cluster,
                f"{label} has all its instances in one availability zone ({found.describe()}).",
                evidence,
            )
        why = (
            found.describe()
            if found.unknown
            else f"instances {', '.join(uncertain)} may or may not belong to it"
        )
        return ctx.unknown(
            cluster,
            f"{label}: whether its instances span two availability zones is not known: {why}.",
            evidence,
        )

    yield from each(inventory, ctx, DB_CLUSTER, "RDS DB clusters", judge)
