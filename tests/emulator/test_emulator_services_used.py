"""What the serverless application relies on beyond VPC endpoints, checked over HTTP: the state table's
DynamoDB features, EventBridge rules delivering to SQS, endpoint network interfaces found by filters, SQS, and
S3's bucket policies."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from vpce_guard_local.emulator import Emulator

pytestmark = pytest.mark.server

REGION = "us-east-1"
TABLE = "vpce-guard-state"
CLOUDTRAIL = "AWS API Call via CloudTrail"


@pytest.fixture
def dynamodb(aws: Emulator) -> Any:
    return aws.client("dynamodb")


@pytest.fixture
def table(dynamodb: Any) -> Any:
    """A table shaped like the state table: composite key, a GSI, a stream of both images, encryption."""
    created = dynamodb.create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "status", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-status",
                "KeySchema": [
                    {"AttributeName": "status", "KeyType": "HASH"},
                    {"AttributeName": "pk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        SSESpecification={"Enabled": True},
    )
    return created["TableDescription"]


def test_the_state_table_is_created_with_index_stream_and_encryption(dynamodb: Any, table: Any) -> None:
    described = dynamodb.describe_table(TableName=TABLE)["Table"]

    assert [index["IndexName"] for index in described["GlobalSecondaryIndexes"]] == ["by-status"]
    assert described["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert described["LatestStreamArn"].startswith(described["TableArn"] + "/stream/")
    assert (described["SSEDescription"]["Status"], described["SSEDescription"]["SSEType"]) == ("ENABLED", "KMS")
    assert described["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


def test_ttl_and_point_in_time_recovery_are_turned_on(dynamodb: Any, table: Any) -> None:
    dynamodb.update_time_to_live(
        TableName=TABLE, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
    )
    dynamodb.update_continuous_backups(
        TableName=TABLE, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )

    ttl = dynamodb.describe_time_to_live(TableName=TABLE)["TimeToLiveDescription"]
    backups = dynamodb.describe_continuous_backups(TableName=TABLE)["ContinuousBackupsDescription"]

    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"


def test_a_conditional_put_that_fails_raises_conditional_check_failed(dynamodb: Any, table: Any) -> None:
    item = {"pk": {"S": "123456789012#us-east-1#vpce-1"}, "sk": {"S": "az-coverage"}, "status": {"S": "OPEN"}}
    dynamodb.put_item(TableName=TABLE, Item=item, ConditionExpression="attribute_not_exists(pk)")

    with pytest.raises(dynamodb.exceptions.ConditionalCheckFailedException) as caught:
        dynamodb.put_item(TableName=TABLE, Item=item, ConditionExpression="attribute_not_exists(pk)")

    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_the_index_finds_items_by_status(dynamodb: Any, table: Any) -> None:
    for endpoint, status in (("vpce-1", "OPEN"), ("vpce-2", "RESOLVED")):
        item = {"pk": {"S": f"123456789012#us-east-1#{endpoint}"}, "sk": {"S": "az-coverage"}, "status": {"S": status}}
        dynamodb.put_item(TableName=TABLE, Item=item)

    found = dynamodb.query(
        TableName=TABLE,
        IndexName="by-status",
        KeyConditionExpression="#status = :open",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={":open": {"S": "OPEN"}},
    )["Items"]

    assert [item["pk"]["S"] for item in found] == ["123456789012#us-east-1#vpce-1"]


def test_sqs_messages_are_sent_and_received(aws: Emulator) -> None:
    sqs = aws.client("sqs")
    queue_url = sqs.create_queue(QueueName="vpce-guard-dlq")["QueueUrl"]

    sqs.send_message(QueueUrl=queue_url, MessageBody='{"id": "1"}')
    (message,) = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)["Messages"]
    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])

    assert message["Body"] == '{"id": "1"}'
    assert sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=0).get("Messages", []) == []


def test_an_eventbridge_rule_delivers_only_matching_events_to_its_queue(aws: Emulator) -> None:
    sqs, events = aws.client("sqs"), aws.client("events")
    queue_url = sqs.create_queue(QueueName="on-change")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {
        "source": ["aws.ec2"],
        "detail-type": [CLOUDTRAIL],
        "detail": {"eventSource": ["ec2.amazonaws.com"], "eventName": ["CreateVpcEndpoint", "ModifyVpcEndpoint"]},
    }
    events.put_rule(Name="on-change", EventPattern=json.dumps(pattern))
    events.put_targets(Rule="on-change", Targets=[{"Id": "queue", "Arn": queue_arn}])

    def send(source: str, event_name: str) -> None:
        detail = {"eventSource": "ec2.amazonaws.com", "eventName": event_name}
        entry = {"Source": source, "DetailType": CLOUDTRAIL, "Detail": json.dumps(detail)}
        assert events.put_events(Entries=[entry])["FailedEntryCount"] == 0

    send("aws.ec2", "CreateVpcEndpoint")
    send("aws.ec2", "RunInstances")
    send("aws.s3", "ModifyVpcEndpoint")
    send("aws.ec2", "ModifyVpcEndpoint")
    received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)["Messages"]

    delivered = [json.loads(message["Body"]) for message in received]
    assert [event["detail"]["eventName"] for event in delivered] == ["CreateVpcEndpoint", "ModifyVpcEndpoint"]
    assert {event["detail-type"] for event in delivered} == {CLOUDTRAIL}


def test_endpoint_interfaces_are_found_by_group_and_interface_type(aws: Emulator) -> None:
    ec2 = aws.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.0.{index}.0/24", AvailabilityZone=f"{REGION}{zone}")["Subnet"][
            "SubnetId"
        ]
        for index, zone in ((1, "a"), (2, "b"))
    ]
    group_id = ec2.create_security_group(VpcId=vpc_id, GroupName="vpce", Description="vpce")["GroupId"]
    endpoint_id = ec2.create_vpc_endpoint(
        VpcId=vpc_id,
        ServiceName=f"com.amazonaws.{REGION}.sts",
        VpcEndpointType="Interface",
        SubnetIds=subnets,
        SecurityGroupIds=[group_id],
    )["VpcEndpoint"]["VpcEndpointId"]
    ec2.create_network_interface(SubnetId=subnets[0], Groups=[group_id])  # a workload's, same group

    found = ec2.describe_network_interfaces(
        Filters=[
            {"Name": "group-id", "Values": [group_id]},
            {"Name": "interface-type", "Values": ["vpc_endpoint"]},
        ]
    )["NetworkInterfaces"]

    assert sorted(eni["SubnetId"] for eni in found) == sorted(subnets)
    assert {(eni["InterfaceType"], eni["Description"]) for eni in found} == {
        ("vpc_endpoint", f"VPC Endpoint Interface {endpoint_id}")
    }


def test_a_bucket_without_a_policy_answers_no_such_bucket_policy_and_one_with_a_policy_gives_it(aws: Emulator) -> None:
    """What vpce_guard.bucket_policies relies on: AWS's GetBucketPolicy answers 404 NoSuchBucketPolicy for a
    bucket without a policy, and the policy's text for one with it."""
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="logs")
    s3.create_bucket(Bucket="data")
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*",
              "Resource": "arn:aws:s3:::data/*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}  # fmt: skip
    s3.put_bucket_policy(Bucket="data", Policy=json.dumps(policy))

    with pytest.raises(ClientError) as missing:
        s3.get_bucket_policy(Bucket="logs")

    assert missing.value.response["Error"]["Code"] == "NoSuchBucketPolicy"
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert json.loads(s3.get_bucket_policy(Bucket="data")["Policy"]) == policy
    assert sorted(bucket["Name"] for bucket in s3.list_buckets()["Buckets"]) == ["data", "logs"]
