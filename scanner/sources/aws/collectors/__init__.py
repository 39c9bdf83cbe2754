"""The live collectors. Each declares the resource types it produces and the operations
it calls; the read-only guard and the IAM policy are derived from these declarations."""

from __future__ import annotations

from scanner.sources.aws.collectors.application_autoscaling import ScalableTargetCollector
from scanner.sources.aws.collectors.autoscaling import AutoScalingGroupCollector
from scanner.sources.aws.collectors.base import Collector
from scanner.sources.aws.collectors.cloudtrail import CloudTrailCollector
from scanner.sources.aws.collectors.cloudwatch_alarms import AlarmCollector
from scanner.sources.aws.collectors.ebs_volumes import VolumeCollector
from scanner.sources.aws.collectors.ec2_images import AllowedImagesCollector
from scanner.sources.aws.collectors.ec2_instances import InstanceCollector
from scanner.sources.aws.collectors.ecr import RegistryScanningCollector, RepositoryCollector
from scanner.sources.aws.collectors.ecs_task_definitions import TaskDefinitionCollector
from scanner.sources.aws.collectors.efs import FileSystemCollector
from scanner.sources.aws.collectors.elasticache import CacheClusterCollector, ReplicationGroupCollector
from scanner.sources.aws.collectors.eventbridge import EventBridgeCollector
from scanner.sources.aws.collectors.lambda_functions import LambdaFunctionCollector
from scanner.sources.aws.collectors.load_balancers import ClassicLoadBalancerCollector, LoadBalancerCollector
from scanner.sources.aws.collectors.log_groups import LogGroupCollector
from scanner.sources.aws.collectors.network import NatGatewayCollector, RouteTableCollector, SubnetCollector
from scanner.sources.aws.collectors.rds import DBClusterCollector, DBInstanceCollector
from scanner.sources.aws.collectors.s3 import S3BucketCollector
from scanner.sources.aws.collectors.sagemaker import SageMakerEndpointCollector, SageMakerModelCollector

COLLECTORS: tuple[Collector, ...] = (
    CloudTrailCollector(),
    S3BucketCollector(),
    LambdaFunctionCollector(),
    SageMakerEndpointCollector(),
    EventBridgeCollector(),
    # Availability-zone resilience (AZ rules)
    DBInstanceCollector(),
    DBClusterCollector(),
    AutoScalingGroupCollector(),
    LoadBalancerCollector(),
    ClassicLoadBalancerCollector(),
    ReplicationGroupCollector(),
    CacheClusterCollector(),
    FileSystemCollector(),
    SubnetCollector(),
    NatGatewayCollector(),
    RouteTableCollector(),
    ScalableTargetCollector(),
    # Rightsizing (RS rules): instances and their types' facts, volumes
    InstanceCollector(),
    VolumeCollector(),
    # Monitoring (MON rules): alarms, every log group (endpoints and scalable targets above)
    AlarmCollector(),
    LogGroupCollector(),
    # Images (IMG rules): instances and launch templates above (facet "image"), and these
    AllowedImagesCollector(),
    RegistryScanningCollector(),
    RepositoryCollector(),
    TaskDefinitionCollector(),
    SageMakerModelCollector(),
)


def collectors_for(resource_types: set[str] | frozenset[str]) -> list[Collector]:
    return [c for c in COLLECTORS if set(c.resource_types) & set(resource_types)]
