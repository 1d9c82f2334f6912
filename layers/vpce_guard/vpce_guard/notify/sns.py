"""SNS: a short subject and a plain-text body per announced state change, for e-mail subscribers and AWS
Chatbot. Message attributes carry the check, severity and status, so a subscription's filter policy can
choose (e.g. only HIGH findings to a pager)."""

from __future__ import annotations

from typing import Any

from vpce_guard.notify.events import StateChange
from vpce_guard.notify.messages import message, plain_text

# SNS subjects: at most 100 characters, printable ASCII, no line breaks.
SUBJECT_LIMIT = 100


class SnsAnnouncer:
    name = "sns"

    def __init__(self, sns: Any, topic_arn: str) -> None:
        self._sns = sns
        self._topic_arn = topic_arn

    def announce(self, change: StateChange) -> None:
        self._sns.publish(
            TopicArn=self._topic_arn,
            Subject=subject(change),
            Message=plain_text(change),
            MessageAttributes={
                name: {"DataType": "String", "StringValue": value}
                for name, value in (
                    ("check_id", change.check_id),
                    ("severity", change.severity),
                    ("status", change.new_status),
                )
            },
        )


def subject(change: StateChange) -> str:
    text = f"vpce-guard: {message(change).headline}"
    printable = "".join(character if " " <= character <= "~" else "?" for character in text)
    return printable if len(printable) <= SUBJECT_LIMIT else printable[: SUBJECT_LIMIT - 3] + "..."
