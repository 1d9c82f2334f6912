"""The speed fixes change no result: the faster reset still forgets everything, and a transaction that fails
still leaves its table and the table's stream as they were, and a KMS key whose private key is generated on
first use signs and verifies as any other."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from vpce_guard_local.emulator import Emulator

pytestmark = pytest.mark.server


def test_reset_forgets_resources_of_every_service_and_region(aws: Emulator) -> None:
    aws.client("ec2", "eu-west-1").create_vpc(CidrBlock="10.7.0.0/16")
    aws.client("s3").create_bucket(Bucket="reset-bucket")
    aws.client("sqs").create_queue(QueueName="reset-queue")

    aws.reset()

    assert [vpc["IsDefault"] for vpc in aws.client("ec2", "eu-west-1").describe_vpcs()["Vpcs"]] == [True]
    assert aws.client("s3").list_buckets()["Buckets"] == []
    assert aws.client("sqs").list_queues().get("QueueUrls", []) == []


@pytest.fixture
def table(aws: Emulator) -> str:
    """A table with a stream and one item, ``kept``, whose count is 1."""
    dynamodb = aws.client("dynamodb")
    dynamodb.create_table(
        TableName="transactions",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    dynamodb.put_item(TableName="transactions", Item={"pk": {"S": "kept"}, "sk": {"S": "1"}, "count": {"N": "1"}})
    return "transactions"


def _stream_events(aws: Emulator, table: str) -> list[str]:
    streams = aws.client("dynamodbstreams")
    arn = aws.client("dynamodb").describe_table(TableName=table)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    return [record["eventName"] for record in streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]]


def _writes(table: str, *, last: dict[str, object]) -> list[dict[str, object]]:
    """A Put of a new item and an Update of ``kept``, then ``last``."""
    return [
        {"Put": {"TableName": table, "Item": {"pk": {"S": "new"}, "sk": {"S": "1"}}}},
        {
            "Update": {
                "TableName": table,
                "Key": {"pk": {"S": "kept"}, "sk": {"S": "1"}},
                "UpdateExpression": "SET #count = #count + :one",
                "ExpressionAttributeNames": {"#count": "count"},
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        },
        last,
    ]


def _items(aws: Emulator, table: str) -> dict[str, str | None]:
    scanned = aws.client("dynamodb").scan(TableName=table)["Items"]
    return {item["pk"]["S"]: item.get("count", {}).get("N") for item in scanned}


@pytest.mark.parametrize(
    ("last", "error"),
    [
        pytest.param(
            {
                "ConditionCheck": {
                    "TableName": "transactions",
                    "Key": {"pk": {"S": "absent"}, "sk": {"S": "1"}},
                    "ConditionExpression": "attribute_exists(pk)",
                }
            },
            "TransactionCanceledException",
            id="a-condition-fails",
        ),
        pytest.param(
            {"Put": {"TableName": "transactions", "Item": {"pk": {"S": "new"}, "sk": {"S": "1"}}}},
            "ValidationException",
            id="an-item-is-written-twice",
        ),
    ],
)
def test_a_failed_transaction_leaves_the_table_and_its_stream_as_they_were(
    aws: Emulator, table: str, last: dict[str, object], error: str
) -> None:
    with pytest.raises(ClientError) as failed:
        aws.client("dynamodb").transact_write_items(TransactItems=_writes(table, last=last))

    assert failed.value.response["Error"]["Code"] == error
    assert _items(aws, table) == {"kept": "1"}
    assert _stream_events(aws, table) == ["INSERT"]


def test_a_transaction_that_succeeds_writes_every_item_and_its_stream_records(aws: Emulator, table: str) -> None:
    last = {"Put": {"TableName": table, "Item": {"pk": {"S": "other"}, "sk": {"S": "1"}}}}

    aws.client("dynamodb").transact_write_items(TransactItems=_writes(table, last=last))

    assert _items(aws, table) == {"kept": "2", "new": None, "other": None}
    assert _stream_events(aws, table) == ["INSERT", "INSERT", "MODIFY", "INSERT"]


@pytest.mark.parametrize(
    ("key_spec", "algorithm"), [("RSA_2048", "RSASSA_PSS_SHA_256"), ("ECC_NIST_P256", "ECDSA_SHA_256")]
)
def test_an_asymmetric_key_generated_on_first_use_signs_verifies_and_gives_its_public_key(
    aws: Emulator, key_spec: str, algorithm: str
) -> None:
    kms = aws.client("kms")
    key_id = kms.create_key(KeySpec=key_spec, KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]

    signature = kms.sign(KeyId=key_id, Message=b"evidence", SigningAlgorithm=algorithm)["Signature"]
    public_key = kms.get_public_key(KeyId=key_id)["PublicKey"]

    assert public_key
    assert kms.verify(KeyId=key_id, Message=b"evidence", Signature=signature, SigningAlgorithm=algorithm)[
        "SignatureValid"
    ]
    assert not kms.verify(KeyId=key_id, Message=b"other", Signature=signature, SigningAlgorithm=algorithm)[
        "SignatureValid"
    ]
