"""Lambda's SQS event source, played locally: messages given the shape a function receives them in (``Records``,
one per message), handed over in batches, and deleted or left on the queue by the function's reply."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from vpce_guard.aws import CALL_ERRORS
from vpce_guard_local.sam.deploy import EmulatorClients, require_loopback
from vpce_guard_local.sam.runtime import Container, Invocation
from vpce_guard_local.sam.stack import LocalRunError, LocalStack


def lambda_sqs_event(messages: Iterable[Mapping[str, Any]], queue_arn: str) -> dict[str, Any]:
    """ReceiveMessage's messages (asked with ``AttributeNames=["All"]``) as one SQS event for a function."""
    region = queue_arn.split(":")[3]
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": dict(message.get("Attributes", {})),
                "messageAttributes": {},
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for message in messages
        ]
    }


@dataclass
class QueueDelivery:
    """What one pass over a queue did: the messages handed to the function, and those it reported failed
    (back on the queue after its visibility timeout, as Lambda's event source leaves them)."""

    delivered: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    replies: list[Any] = field(default_factory=list)


def deliver_queue(
    sqs: Any,
    queue_url: str,
    queue_arn: str,
    invoke: Callable[[dict[str, Any]], Any],
    batch_size: int = 10,
    report_batch_item_failures: bool = True,
) -> QueueDelivery:
    """Hand the queue's visible messages to ``invoke`` in batches, as Lambda's SQS event source does: with
    ReportBatchItemFailures, a batch's messages are deleted but those the reply names failed; without, all of
    them; a reply that is no reply (the function failed) leaves the whole batch on the queue."""
    delivery = QueueDelivery()
    while True:
        messages = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=min(batch_size, 10), AttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            return delivery
        reply = invoke(lambda_sqs_event(messages, queue_arn))
        delivery.replies.append(reply)
        ids = [message["MessageId"] for message in messages]
        delivery.delivered += ids
        if reply is None:
            failed = set(ids)
        elif report_batch_item_failures and isinstance(reply, Mapping):
            failed = {failure["itemIdentifier"] for failure in reply.get("batchItemFailures", [])}
        else:
            failed = set()
        delivery.failed += [message_id for message_id in ids if message_id in failed]
        done = [
            {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
            for index, message in enumerate(messages)
            if message["MessageId"] not in failed
        ]
        if done:
            sqs.delete_message_batch(QueueUrl=queue_url, Entries=done)


def drain_queues(stack: LocalStack) -> list[Invocation]:
    """Hand each SQS event source's visible messages to its function, run locally (one warm container per
    source); the invocations, in order."""
    require_loopback(stack.endpoint_url)
    sqs = EmulatorClients(stack.endpoint_url, stack.region)("sqs")
    invocations: list[Invocation] = []
    for source in stack.queue_sources.values():
        function = stack.functions.get(source.function)
        if function is None:
            raise LocalRunError(f"the local stack has no function {source.function}: run `vpce-guard local up`")
        with Container(stack, function) as container:

            def invoke(event: dict[str, Any], trigger: str = source.logical_id) -> Any:
                invocation = container.invoke(event, trigger)
                invocations.append(invocation)
                return invocation.result if invocation.ok else None

            try:
                deliver_queue(
                    sqs,
                    source.queue_url,
                    source.queue_arn,
                    invoke,
                    source.batch_size,
                    source.report_batch_item_failures,
                )
            except CALL_ERRORS as error:
                raise LocalRunError(f"reading {source.queue_url} from the emulator failed: {error}") from error
    return invocations
