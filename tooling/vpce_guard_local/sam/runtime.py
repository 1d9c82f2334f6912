"""Runs a function's handler locally the way Lambda runs it: in its own process, warm between invocations.

A ``Container`` is one subprocess for one function: it imports ``app`` from the function's CodeUri directory
(with the layers after it on the path, as Lambda puts ``/var/task`` before ``/opt/python``: a layer's
``python`` directory when it has one, as a built layer does, else the layer's directory itself) once,
at start, and then calls ``handler(event, context)`` for each invocation, with a minimal Lambda context. Its
environment is exactly the template's environment of that function, the emulator's client environment, the
variables the Lambda runtime itself sets, and fake credentials whose access key id names the function
(``LOCAL-<LogicalId>``), so the emulator's call recording attributes every call to it. ``AWS_SAM_LOCAL``
is set, as ``sam local`` does: Powertools then leaves tracing off (there is no X-Ray daemon here).

Results come back on a pipe of their own; whatever the function prints (its logs) goes to a file that is read
after each invocation. An invocation that outlives the function's Timeout is killed, as Lambda does, and the
next one starts a fresh container.

The container side is ``worker``, run as a script (``python -P .../worker.py``: nothing of this package on the
path), which imports nothing but the standard library, so the function's own imports make its cold start. The
function's ``interpreter`` starts it when set (a built function: python3.12 without site-packages).
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import IO, Any

from vpce_guard_local.sam import worker
from vpce_guard_local.sam.stack import LocalFunction, LocalStack, client_environment

INIT_SECONDS = 10.0  # Lambda's init phase limit


@dataclass(frozen=True)
class Invocation:
    """One invocation's outcome: the handler's result, or the error as Lambda reports it."""

    function: str
    trigger: str
    request_id: str
    result: Any = None
    error: Mapping[str, Any] | None = None
    logs: str = ""
    duration_ms: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_json(self) -> dict[str, Any]:
        outcome = {"result": self.result} if self.error is None else {"error": dict(self.error)}
        return {
            "function": self.function,
            "trigger": self.trigger,
            "request_id": self.request_id,
            **outcome,
            "duration_ms": round(self.duration_ms, 1),
        }


def function_environment(stack: LocalStack, function: LocalFunction) -> dict[str, str]:
    """The process environment of the function's container (see the module docstring)."""
    log_stream = f"{time.strftime('%Y/%m/%d')}/[$LATEST]{uuid.uuid4().hex}"
    return {
        **function.environment,
        **client_environment(stack.endpoint_url, stack.region),
        "AWS_ACCESS_KEY_ID": function.access_key_id,
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_SESSION_TOKEN": "local",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_LAMBDA_FUNCTION_NAME": function.name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{function.runtime}",
        "AWS_SAM_LOCAL": "true",
        "_HANDLER": function.handler,
        "LANG": "C.UTF-8",
        "TZ": "UTC",
        "PATH": os.environ.get("PATH", os.defpath),
        "PYTHONPATH": os.pathsep.join([function.code_dir, *map(layer_path, function.layer_dirs)]),
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


class Container:
    """One warm process for one function; ``invoke`` may be called many times, ``close`` ends it."""

    def __init__(self, stack: LocalStack, function: LocalFunction) -> None:
        self.stack = stack
        self.function = function
        self._process: subprocess.Popen[bytes] | None = None
        self._responses: IO[str] | None = None
        self._logs: IO[bytes] | None = None
        self._log_offset = 0
        self._initialized = False

    def __enter__(self) -> Container:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def invoke(self, event: Mapping[str, Any], trigger: str = "") -> Invocation:
        request_id = str(uuid.uuid4())
        if not os.path.isdir(self.function.code_dir):
            return self._invocation(trigger, request_id, error=_missing_code(self.function), started=time.monotonic())
        process, responses = self._start()
        deadline = time.time() + self.function.timeout
        request = {
            "event": event,
            "request_id": request_id,
            "deadline": deadline,
            "function_arn": self.function.arn,
        }
        started = time.monotonic()
        assert process.stdin is not None
        try:
            process.stdin.write(json.dumps(request).encode() + b"\n")
            process.stdin.flush()
        except BrokenPipeError:
            return self._crashed(trigger, request_id, started)
        wait = self.function.timeout + (0.0 if self._initialized else INIT_SECONDS)
        readable, _, _ = select.select([responses], [], [], wait)
        if not readable:
            timed_out = self._invocation(
                trigger,
                request_id,
                error={
                    "errorType": "Sandbox.Timedout",
                    "errorMessage": f"Task timed out after {self.function.timeout:.2f} seconds",
                },
                started=started,
            )
            self._kill()
            return timed_out
        line = responses.readline()
        if not line:
            return self._crashed(trigger, request_id, started)
        self._initialized = True
        reply = json.loads(line)
        return self._invocation(
            trigger, request_id, result=reply.get("result"), error=reply.get("error"), started=started
        )

    def close(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            assert process.stdin is not None
            process.stdin.close()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for stream in (self._responses, self._logs):
            if stream is not None:
                stream.close()
        self._responses = self._logs = None
        self._log_offset = 0
        self._initialized = False

    def _start(self) -> tuple[subprocess.Popen[bytes], IO[str]]:
        if self._process is not None and self._responses is not None:
            return self._process, self._responses
        read_fd, write_fd = os.pipe()
        self._logs = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close(), with the container
        self._log_offset = 0
        python = self.function.interpreter or (sys.executable,)
        try:
            self._process = subprocess.Popen(
                [*python, "-P", worker.__file__, str(write_fd), self.function.handler],
                stdin=subprocess.PIPE,
                stdout=self._logs,
                stderr=subprocess.STDOUT,
                cwd=self.function.code_dir,
                env=function_environment(self.stack, self.function),
                pass_fds=(write_fd,),
            )
        finally:
            os.close(write_fd)
        self._responses = os.fdopen(read_fd, "r", encoding="utf-8")
        return self._process, self._responses

    def _kill(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()
        self.close()

    def _crashed(self, trigger: str, request_id: str, started: float) -> Invocation:
        """The process ended without answering (e.g. ``sys.exit`` in the handler or at import)."""
        code = self._process.wait() if self._process is not None else None
        error = {"errorType": "Runtime.ExitError", "errorMessage": f"the runtime exited with status {code}"}
        crashed = self._invocation(trigger, request_id, error=error, started=started)
        self.close()
        return crashed

    def _invocation(
        self,
        trigger: str,
        request_id: str,
        *,
        started: float,
        result: Any = None,
        error: Mapping[str, Any] | None = None,
    ) -> Invocation:
        return Invocation(
            function=self.function.logical_id,
            trigger=trigger,
            request_id=request_id,
            result=result,
            error=error,
            logs=self._read_logs(),
            duration_ms=(time.monotonic() - started) * 1000,
        )

    def _read_logs(self) -> str:
        if self._logs is None:
            return ""
        self._logs.seek(self._log_offset)
        data = self._logs.read()
        self._log_offset += len(data)
        return data.decode("utf-8", errors="replace")


def layer_path(layer_dir: str) -> str:
    """Where Python finds a layer's packages: its ``python`` directory, as Lambda's ``/opt/python``, when it has
    one (a built layer); else the directory itself (a layer's source, which the build puts under ``python``)."""
    python = os.path.join(layer_dir, "python")
    return python if os.path.isdir(python) else layer_dir


def _missing_code(function: LocalFunction) -> dict[str, Any]:
    return {
        "errorType": "Runtime.ImportModuleError",
        "errorMessage": f"no code for {function.logical_id}: {function.code_dir} does not exist",
    }
