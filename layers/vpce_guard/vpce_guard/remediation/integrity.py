"""Integrity tags on change records: a rollback acts on a record only if vpce-guard's functions wrote it.

A rollback re-applies what a change record says was there before, with an operator's strong credentials,
so a record edited in the table (its ``before`` swapped for a policy open to the world) must not be acted
on. Each record carries an HMAC-SHA256 made with the stack's KMS HMAC key (``GenerateMac``), which only the
acting functions may use; the rollback checks it with ``VerifyMac``. KMS takes messages of at most 4,096
bytes and a record with two policies is larger, so the MAC is over the SHA-256 digest of the record's
canonical JSON (keys sorted, as stored).

The key is found by its alias, named after the state table (``alias/vpce-guard/<table>``): the functions and
the command line reach the same key from the table name alone, and moving the alias to another key needs
rights on both keys.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

from botocore.exceptions import ClientError

MAC_ALGORITHM = "HMAC_SHA_256"
# What the acting functions are granted on the key; the rollback (an operator) needs kms:VerifyMac.
SEAL_PERMISSIONS = ("kms:GenerateMac",)


class IntegrityError(Exception):
    """A change record whose integrity tag is missing or does not match its content."""


def key_alias(table_name: str) -> str:
    """The alias of the HMAC key that seals the change records of ``table_name`` (template.yaml makes it)."""
    return f"alias/vpce-guard/{table_name}"


class ChangeSeal:
    """Tags change records and checks their tags, with one KMS HMAC key."""

    def __init__(self, kms: Any, key_id: str) -> None:
        self.kms = kms
        self.key_id = key_id

    @classmethod
    def for_table(cls, kms: Any, table_name: str) -> ChangeSeal:
        return cls(kms, key_alias(table_name))

    def tag(self, document: str) -> str:
        """The integrity tag of a record's canonical JSON, base64."""
        mac = self.kms.generate_mac(KeyId=self.key_id, Message=_digest(document), MacAlgorithm=MAC_ALGORITHM)["Mac"]
        return base64.b64encode(mac).decode()

    def verify(self, change_id: str, document: str | None, tag: str | None) -> None:
        """Raise IntegrityError unless ``tag`` is the tag of ``document``; AWS errors other than a wrong MAC
        (no such key, access denied) are raised as they are."""
        if document is None or not tag:
            raise IntegrityError(
                f"change {change_id} carries no integrity tag: vpce-guard's functions did not write it as it is "
                "(or the tag was removed). Nothing was changed; restore by hand from its recorded before, after "
                "checking it"
            )
        tampered = IntegrityError(
            f"change {change_id} failed its integrity check against {self.key_id}: its record was edited in the "
            "state table after vpce-guard wrote it. Nothing was changed; compare it with the table's point-in-time "
            "backups"
        )
        try:
            mac = base64.b64decode(tag, validate=True)
        except binascii.Error as error:
            raise tampered from error
        try:
            self.kms.verify_mac(KeyId=self.key_id, Message=_digest(document), MacAlgorithm=MAC_ALGORITHM, Mac=mac)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "KMSInvalidMacException":
                raise
            raise tampered from error


def _digest(document: str) -> bytes:
    return hashlib.sha256(document.encode()).digest()
