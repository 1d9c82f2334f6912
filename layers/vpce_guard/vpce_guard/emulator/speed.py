"""Speed fixes: the same moto, without work whose result is thrown away. Not AWS behaviour.

moto's reset (``POST /moto-api/reset``, and the end of every ``mock_aws``) re-initialises every regional
backend in use and then drops them all, so the next call builds a fresh one anyway. For EC2 that
re-initialisation loads the 1,300 default AMIs with a volume and a snapshot each (about 0.1 s, and the
garbage that makes the collector run), once per reset, for nothing. ``install()`` patches the reset in this
process to drop the backends without re-initialising them; backends that define their own ``reset`` (S3,
Batch: they release files and threads) still get it called.
"""

from __future__ import annotations

from moto.core.base_backend import BackendDict, BaseBackend, backend_lock

from vpce_guard.emulator.patching import Patches


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


PATCHES = Patches(((BackendDict, "reset", classmethod(lambda cls: drop_backends())),))


def install() -> None:
    """Apply the speed fixes to moto in this process; calling it again changes nothing."""
    PATCHES.install()
