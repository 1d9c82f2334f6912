"""One lifecycle for the loopback servers the project runs in the background: the emulator and the webhook receiver."""

from __future__ import annotations

import socketserver
import threading
from typing import Generic, TypeVar

ServerT = TypeVar("ServerT", bound=socketserver.BaseServer)


class ServingThread(Generic[ServerT]):
    """Serve ``server`` from a daemon thread until ``stop()``, which also releases its port."""

    def __init__(self, server: ServerT, name: str) -> None:
        self.server = server
        # A short poll keeps stop() quick: shutdown() waits for the serving loop's next poll.
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join()
