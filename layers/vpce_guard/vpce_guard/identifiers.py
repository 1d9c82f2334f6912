"""The identifiers every boundary checks: AWS account ids, organization ids and regions.

One validator per kind, shared by the command line, the configuration and the events, so a value is either
refused everywhere or accepted everywhere. Each returns the value it was given and raises ValueError with a
message that says what was expected.
"""

from __future__ import annotations

import re
from functools import cache

import boto3

ACCOUNT_ID = re.compile(r"[0-9]{12}")
ORG_ID = re.compile(r"o-[a-z0-9]{10,32}")
ENDPOINT_ID = re.compile(r"vpce-[0-9a-f]{8,17}")
# The partitions a scan may run in; the isolated partitions' regions are not ones this product serves.
PARTITIONS = ("aws", "aws-cn", "aws-us-gov")


def account_id(value: str) -> str:
    """An AWS account id: exactly twelve digits, leading zeros kept."""
    if not isinstance(value, str) or not ACCOUNT_ID.fullmatch(value):
        raise ValueError(f"{value!r} is not an AWS account id: an account id is exactly 12 digits")
    return value


def org_id(value: str) -> str:
    """An AWS Organizations id: ``o-`` and 10 to 32 lowercase letters or digits."""
    if not isinstance(value, str) or not ORG_ID.fullmatch(value):
        raise ValueError(
            f"{value!r} is not an organization id: one is o- and 10 to 32 lowercase letters or digits "
            "(aws organizations describe-organization shows yours)"
        )
    return value


def endpoint_id(value: str) -> str:
    """A VPC endpoint id: ``vpce-`` and 8 or 17 hexadecimal digits."""
    if not isinstance(value, str) or not ENDPOINT_ID.fullmatch(value):
        raise ValueError(f"{value!r} is not a VPC endpoint id (vpce- and 8 or 17 hexadecimal digits)")
    return value


def region(value: str) -> str:
    """A region of the aws, aws-cn or aws-us-gov partition, as botocore's endpoint data knows them."""
    if not isinstance(value, str) or value not in known_regions():
        raise ValueError(
            f"{value!r} is not a known AWS region (e.g. us-east-1, cn-north-1, us-gov-west-1; "
            "a region newer than this installation's botocore needs an upgrade of boto3)"
        )
    return value


@cache
def known_regions() -> frozenset[str]:
    """Every region where EC2 is offered in the partitions served."""
    session = boto3.session.Session()
    return frozenset(name for partition in PARTITIONS for name in session.get_available_regions("ec2", partition))


@cache
def partition_of(region: str) -> str:
    """The partition a region belongs to (``aws``, ``aws-cn``, ``aws-us-gov``), from botocore's endpoint data."""
    partition: str = boto3.session.Session().get_partition_for_region(region)
    return partition
