"""The process inside a local container (see ``runtime``): imports the handler once, then serves invocations.

Requests arrive as JSON lines on stdin (``event``, ``request_id``, ``deadline``, ``function_arn``); each reply
is one JSON line (``result``, or ``error`` as Lambda reports it) on the file descriptor given as the first
argument, so nothing the function prints can be mistaken for a reply. Standard library only: the function's
own imports make its cold start.

Run as ``python -P path/to/worker.py FD MODULE.FUNCTION`` with the function's directory as the working
directory (``-P``: the script's own directory stays off the path).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from typing import Any


class LambdaContext:
    """The attributes of Lambda's context object that handlers and Powertools read."""

    def __init__(self, request_id: str, deadline: float, function_arn: str) -> None:
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
        self.invoked_function_arn = function_arn
        self.aws_request_id = request_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.time()) * 1000))


def error_reply(error: BaseException, error_type: str | None = None, message: str | None = None) -> dict[str, Any]:
    """An error in the shape Lambda reports it."""
    return {
        "errorType": error_type or type(error).__name__,
        "errorMessage": message or str(error),
        "stackTrace": traceback.format_exception(error),
    }


def load_handler(spec: str) -> tuple[Any, dict[str, Any] | None]:
    """The handler named ``module.function``, or the init error Lambda would report for every invocation."""
    module_name, _, attribute = spec.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        return None, error_reply(
            error, "Runtime.ImportModuleError", f"Unable to import module '{module_name}': {error}"
        )
    except Exception as error:
        return None, error_reply(error)
    handler = getattr(module, attribute, None)
    if not callable(handler):
        return None, {
            "errorType": "Runtime.HandlerNotFound",
            "errorMessage": f"Handler '{attribute}' missing on module '{module_name}'",
        }
    return handler, None


def serve(response_fd: int, handler_spec: str) -> None:
    handler, init_error = load_handler(handler_spec)
    with os.fdopen(response_fd, "w", encoding="utf-8") as responses:
        for line in sys.stdin:
            request = json.loads(line)
            reply: dict[str, Any]
            if init_error is not None:
                reply = {"error": init_error}
            else:
                context = LambdaContext(request["request_id"], request["deadline"], request["function_arn"])
                try:
                    reply = {"result": handler(request["event"], context)}
                except Exception as error:
                    reply = {"error": error_reply(error)}
            sys.stdout.flush()
            sys.stderr.flush()
            try:
                text = json.dumps(reply)
            except (TypeError, ValueError) as error:
                text = json.dumps({"error": error_reply(error, "Runtime.MarshalError")})
            responses.write(text + "\n")
            responses.flush()


if __name__ == "__main__":
    serve(int(sys.argv[1]), sys.argv[2])
