"""Lambda functions, per region."""

from __future__ import annotations

from scanner.model import FUNCTION
from scanner.sources.aws.collectors.listing import ListCollector, Listing


class LambdaFunctionCollector(ListCollector):
    name = "lambda"
    listing = Listing(
        resource_type=FUNCTION,
        service="lambda",
        operation="ListFunctions",
        result_key="Functions",
        arn_field="FunctionArn",
        name_field="FunctionName",
        properties={
            "FunctionName": "FunctionName",
            "Runtime": "Runtime",
            "Handler": "Handler",
            "Role": "Role",
            "MemorySize": "MemorySize",
            "Timeout": "Timeout",
            "PackageType": "PackageType",
            "Architectures": "Architectures",
        },
        observed=("LastModified", "State", "CodeSize"),
    )
