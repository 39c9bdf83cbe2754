"""RDS DB instances and DB clusters, per region (AZ001, AZ002).

DescribeDBInstances and DescribeDBClusters also list Neptune and DocumentDB resources (they
share the RDS API); `Engine` tells them apart.
"""

from __future__ import annotations

from scanner.model import DB_CLUSTER, DB_INSTANCE
from scanner.sources.aws.collectors.listing import ListCollector, Listing


class DBInstanceCollector(ListCollector):
    name = "rds-instances"
    listing = Listing(
        resource_type=DB_INSTANCE,
        service="rds",
        operation="DescribeDBInstances",
        result_key="DBInstances",
        arn_field="DBInstanceArn",
        name_field="DBInstanceIdentifier",
        properties={
            "DBInstanceIdentifier": "DBInstanceIdentifier",
            "Engine": "Engine",
            "DBInstanceClass": "DBInstanceClass",
            "MultiAZ": "MultiAZ",
            "AvailabilityZone": "AvailabilityZone",
            "DBClusterIdentifier": "DBClusterIdentifier",
            # The source's identifier, or its ARN when it is in another region or account.
            "ReadReplicaSourceDBInstanceIdentifier": "SourceDBInstanceIdentifier",
        },
        observed=("SecondaryAvailabilityZone",),
    )


class DBClusterCollector(ListCollector):
    name = "rds-clusters"
    listing = Listing(
        resource_type=DB_CLUSTER,
        service="rds",
        operation="DescribeDBClusters",
        result_key="DBClusters",
        arn_field="DBClusterArn",
        name_field="DBClusterIdentifier",
        properties={
            "DBClusterIdentifier": "DBClusterIdentifier",
            "Engine": "Engine",
            "EngineMode": "EngineMode",
            "DBClusterInstanceClass": "DBClusterInstanceClass",
            # Where instances can be created, not where they are: no evidence of spread.
            "AvailabilityZones": "AvailabilityZones",
            "MultiAZ": "MultiAZ",
        },
        observed=("DBClusterMembers",),
    )
