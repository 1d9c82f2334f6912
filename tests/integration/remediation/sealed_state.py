"""The state table as the acting functions write it: change records sealed with the stack's HMAC key, made in
the emulator as template.yaml makes it (an HMAC_256 key, its alias named after the table)."""

from __future__ import annotations

from typing import Any

from vpce_guard.remediation.integrity import ChangeSeal, key_alias
from vpce_guard.state import StateStore


def create_change_record_key(kms: Any, table_name: str) -> None:
    """The stack's HMAC key for ``table_name``'s change records, found by its alias as the functions find it."""
    key = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    kms.create_alias(AliasName=key_alias(table_name), TargetKeyId=key["KeyId"])


def sealed_store(dynamodb: Any, kms: Any, table_name: str) -> StateStore:
    create_change_record_key(kms, table_name)
    return StateStore(dynamodb, table_name, ChangeSeal.for_table(kms, table_name))
