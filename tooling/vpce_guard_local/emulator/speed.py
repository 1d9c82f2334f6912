"""Speed fixes: the same moto, without work whose result is thrown away. Not AWS behaviour.

moto's reset (``POST /moto-api/reset``, and the end of every ``mock_aws``) re-initialises every regional
backend in use and then drops them all, so the next call builds a fresh one anyway. For EC2 that
re-initialisation loads the 1,300 default AMIs with a volume and a snapshot each (about 0.1 s, and the
garbage that makes the collector run), once per reset, for nothing. ``install()`` patches the reset in this
process to drop the backends without re-initialising them; backends that define their own ``reset`` (S3,
Batch: they release files and threads) still get it called.

moto's TransactWriteItems deep-copies every table it writes to, stream records included, to restore it if
the transaction fails: each transaction costs time in proportion to everything the table and its stream
hold (measured: 40 ms per write at 400 items, so recording 110 endpoints took 34 s). The fix keeps what the
restore needs at the cost of the transaction: the table's containers copied (the items themselves shared,
as a Put or Delete replaces an item and never changes it), a deep copy of only the items an Update of the
transaction changes in place, and the stream's record list.

moto finds the method of each request's action by listing every function of the service's response class
(``inspect.getmembers``, hundreds for EC2), and decides whether a request's host names a service by listing
its own package directory: on every request. Both are listed once.

moto's KMS generates an RSA private key (tens of milliseconds) for every key it creates, symmetric and HMAC
keys included, which never use it; the fix generates it on the key's first Sign, Verify or GetPublicKey.
"""

from __future__ import annotations

import copy
import functools
import threading
from collections import defaultdict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import SimpleNamespace
from typing import Any

from moto import backends
from moto.core import responses
from moto.core.base_backend import BackendDict, BaseBackend, backend_lock
from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.kms import models as kms_models
from moto.kms.utils import AbstractPrivateKey

from vpce_guard_local.emulator.patching import Patches

# The keys each table's Updates of the running transaction change in place (one transaction per thread).
_UPDATED_KEYS: ContextVar[Mapping[str, list[Mapping[str, Any]]]] = ContextVar("updated_keys")


def drop_backends() -> None:
    """Forget every backend of every service, account and region, as moto's reset does, but without
    re-initialising the ones that are dropped right after."""
    with backend_lock:
        for service_backends in BackendDict._instances:  # type: ignore[misc]
            for account_backends in service_backends.values():
                for regional in account_backends.values():
                    if type(regional).reset is not BaseBackend.reset:
                        regional.reset()
            service_backends.clear()
        BackendDict._instances.clear()  # type: ignore[misc]


def transaction_snapshot(table: Table) -> Table:
    """What a failed transaction restores ``table`` to, without copying the items its writes replace."""
    snapshot = copy.copy(table)
    snapshot.items = defaultdict(
        dict, {key: dict(value) if isinstance(value, dict) else value for key, value in table.items.items()}
    )
    for key in _UPDATED_KEYS.get({}).get(table.name, ()):
        hash_value = DynamoType(key[table.hash_key_attr])
        if table.range_key_attr is None:
            if hash_value in table.items:
                snapshot.items[hash_value] = copy.deepcopy(table.items[hash_value])
            continue
        range_value = DynamoType(key[table.range_key_attr])
        if range_value in table.items.get(hash_value, {}):
            snapshot.items[hash_value][range_value] = copy.deepcopy(table.items[hash_value][range_value])
    if table.stream_shard is not None:
        snapshot.stream_shard = copy.copy(table.stream_shard)
        snapshot.stream_shard.table = snapshot
        snapshot.stream_shard.items = list(table.stream_shard.items)
    return snapshot


def _deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """``copy.deepcopy`` for moto's DynamoDB models, but a transaction's snapshot for a table."""
    if isinstance(value, Table):
        return transaction_snapshot(value)
    return copy.deepcopy(value, memo)


@contextmanager
def _updating(transact_items: list[dict[str, Any]]) -> Iterator[None]:
    updated: dict[str, list[Mapping[str, Any]]] = {}
    for item in transact_items:
        if "Update" in item:
            updated.setdefault(item["Update"]["TableName"], []).append(item["Update"]["Key"])
    token = _UPDATED_KEYS.set(updated)
    try:
        yield
    finally:
        _UPDATED_KEYS.reset(token)


def transact_write_items(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    """moto's TransactWriteItems, its snapshots told which items the transaction's Updates change."""
    with _updating(transact_items):
        PATCHES.originals["DynamoDBBackend.transact_write_items"](backend, transact_items)


@functools.cache
def method_names_from_class(clazz: type) -> frozenset[str]:
    """The names of the functions of a response class, which moto's dispatch looks an action up in."""
    return frozenset(PATCHES.originals["moto.core.responses.method_names_from_class"](clazz))


@functools.cache
def moto_modules() -> tuple[str, ...]:
    """moto's service packages, which moto's server looks a request's host up in."""
    return tuple(PATCHES.originals["moto.backends.list_of_moto_modules"]())


class LazyPrivateKey(AbstractPrivateKey):
    """A KMS key's private key, generated as moto generates it, on first use."""

    def __init__(self, key_spec: str) -> None:
        self._key_spec = key_spec
        self._key: AbstractPrivateKey | None = None
        self._lock = threading.Lock()

    def _generated(self) -> AbstractPrivateKey:
        with self._lock:
            if self._key is None:
                self._key = PATCHES.originals["moto.kms.models.generate_private_key"](self._key_spec)
            return self._key

    def sign(self, message: bytes, signing_algorithm: str) -> bytes:
        return self._generated().sign(message, signing_algorithm)

    def verify(self, message: bytes, signature: bytes, signing_algorithm: str) -> bool:
        return self._generated().verify(message, signature, signing_algorithm)

    def public_key(self) -> bytes:
        return self._generated().public_key()


PATCHES = Patches(
    (
        (BackendDict, "reset", classmethod(lambda cls: drop_backends())),
        (responses, "method_names_from_class", method_names_from_class),
        (backends, "list_of_moto_modules", moto_modules),
        (kms_models, "generate_private_key", LazyPrivateKey),
        (DynamoDBBackend, "transact_write_items", transact_write_items),
        (dynamodb_models, "copy", SimpleNamespace(deepcopy=_deepcopy)),
    )
)


def install() -> None:
    """Apply the speed fixes to moto in this process; calling it again changes nothing."""
    PATCHES.install()
