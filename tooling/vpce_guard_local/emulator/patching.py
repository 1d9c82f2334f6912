"""How the emulator's fixes are wired into moto: a module lists its patches, (class or module, attribute,
replacement), and applies them once per process, keeping the originals its fixes call through to."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from types import ModuleType
from typing import Any


class Patches:
    def __init__(self, patches: Sequence[tuple[type | ModuleType, str, Any]]) -> None:
        self._patches = tuple(patches)
        self._lock = threading.Lock()
        self._installed = False
        self.originals: dict[str, Any] = {}

    def install(self) -> None:
        """Replace each attribute with its fix; calling it again changes nothing."""
        with self._lock:
            if self._installed:
                return
            for owner, name, replacement in self._patches:
                self.originals[f"{owner.__name__}.{name}"] = getattr(owner, name, None)
                setattr(owner, name, replacement)
            self._installed = True
