from __future__ import annotations

from collections.abc import Iterator

from rules.resilience.common import each, is_rds
from scanner.inventory import Inventory
from scanner.lib.references import refers_to
from scanner.lib.values import flag
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
        sure: list[Resource] = []  # members that are certainly created
        maybe: list[Resource] = []  # members whose creation, or membership, is not certain
        for db in inventory.of_type(DB_INSTANCE, scope):
            said = _member(db.get("DBClusterIdentifier"), cluster)
            if said is True and db.exists is True:
                sure.append(db)
            elif said is not False:
                maybe.append(db)
        evidence["instances"] = [db.id for db in sure]
        if maybe:
            evidence["uncertain"] = [db.id for db in maybe]
        certain, possible = _zones(sure), _zones(sure + maybe)
        evidence.update(certain.evidence())
        if certain.spread:
            return ctx.passed(
                cluster,
                f"{label} has instances in {certain.count} availability zones ({certain.describe()}).",
                evidence,
            )
        if len(sure) < 2 and not maybe:  # a conditional or counted member may be several
            n = len(sure)
            return ctx.fail(
                cluster,
                f"{label} has {n} instance{'' if n == 1 else 's'} declared: with fewer than two there is nothing to fail "
                "over to.",
                evidence,
            )
        if possible.spread is False:
            return ctx.fail(
                cluster,
                f"{label} has all its instances in one availability zone ({possible.describe()}).",
                evidence,
            )
        why = (
            "; ".join(possible.unknown)
            if possible.unknown
            else f"instances {', '.join(db.id for db in maybe)} may not be created, or may not belong to it"
        )
        return ctx.unknown(
            cluster,
            f"{label}: whether its instances span two availability zones is not known: {why}.",
            evidence,
        )

    yield from each(inventory, ctx, DB_CLUSTER, "RDS DB clusters", judge)


def _member(value: object, cluster: Resource) -> bool | None:
    """Does an instance's DBClusterIdentifier name this cluster? RDS identifiers are
    case-insensitive (stored in lower case)."""
    if isinstance(value, str):
        own = cluster.get("DBClusterIdentifier")
        names = {n.lower() for n in (own if isinstance(own, str) else None, cluster.name) if n}
        return value.lower() in names
    if value is None:
        return False
    return refers_to(value, cluster)


def _zones(members: list[Resource]) -> Zones:
    found = Zones()
    for db in members:
        value = db.get("AvailabilityZone")
        found = found | (
            zone(value, f"the zone of {db.name}")
            if value is not None
            else Zones(unknown=(f"{db.name} names no zone: RDS picks one",))
        )
    return found
