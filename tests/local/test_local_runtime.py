"""The local runtime: a function's handler in a process of its own, warm within a send, as Lambda runs it.

These run small handlers written for the test (no AWS call), so each behaviour is seen on its own.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from vpce_guard_local.sam.runtime import Container, function_environment
from vpce_guard_local.sam.stack import LocalFunction, LocalStack

TEMPLATE_ENVIRONMENT = {"STATE_TABLE_NAME": "local-state", "POWERTOOLS_SERVICE_NAME": "vpce-guard"}


def stack_with(tmp_path: Path, code: str, *, timeout: int = 10) -> tuple[LocalStack, LocalFunction]:
    code_dir = tmp_path / "function"
    code_dir.mkdir()
    (code_dir / "app.py").write_text(textwrap.dedent(code))
    function = LocalFunction(
        logical_id="ProbeFunction",
        name="vpce-guard-local-ProbeFunction-TEST",
        arn="arn:aws:lambda:us-east-1:123456789012:function:vpce-guard-local-ProbeFunction-TEST",
        handler="app.handler",
        runtime="python3.12",
        timeout=timeout,
        memory_size=256,
        code_dir=str(code_dir),
        layer_dirs=(),
        environment=TEMPLATE_ENVIRONMENT,
    )
    stack = LocalStack(
        endpoint_url="http://127.0.0.1:9",
        region="us-east-1",
        account_id="123456789012",
        stack_name="vpce-guard-local",
        template="template.yaml",
        parameters={},
        resources={},
        functions={function.logical_id: function},
    )
    return stack, function


def test_the_function_sees_the_template_environment_the_emulator_and_credentials_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "someone-elses")
    monkeypatch.setenv("SECRET_OF_THE_CALLER", "x")
    stack, function = stack_with(tmp_path, "import os\ndef handler(event, context):\n    return dict(os.environ)\n")

    with Container(stack, function) as container:
        environment = container.invoke({}).result

    assert set(environment) == set(function_environment(stack, function))
    assert TEMPLATE_ENVIRONMENT.items() <= environment.items()
    assert environment["AWS_ENDPOINT_URL"] == "http://127.0.0.1:9"
    assert environment["AWS_ACCESS_KEY_ID"] == "LOCAL-ProbeFunction"
    assert environment["AWS_LAMBDA_FUNCTION_NAME"] == function.name


def test_a_container_stays_warm_for_the_invocations_of_a_send_and_the_next_starts_cold(tmp_path: Path) -> None:
    code = """
        invocations = 0
        def handler(event, context):
            global invocations
            invocations += 1
            return invocations
    """
    stack, function = stack_with(tmp_path, code)

    with Container(stack, function) as warm:
        first = [warm.invoke({}).result for _ in range(3)]
    with Container(stack, function) as fresh:
        second = fresh.invoke({}).result

    assert (first, second) == ([1, 2, 3], 1)


def test_the_handler_gets_the_event_and_a_lambda_context(tmp_path: Path) -> None:
    code = """
        def handler(event, context):
            return [event["id"], context.function_name, context.aws_request_id, context.get_remaining_time_in_millis()]
    """
    stack, function = stack_with(tmp_path, code, timeout=30)

    with Container(stack, function) as container:
        invocation = container.invoke({"id": "e-1"})

    event_id, name, request_id, remaining = invocation.result
    assert (event_id, name, request_id) == ("e-1", function.name, invocation.request_id)
    assert 25_000 < remaining <= 30_000


def test_what_the_function_prints_is_its_logs_not_its_result(tmp_path: Path) -> None:
    code = """
        import sys
        def handler(event, context):
            print("to stdout")
            print("to stderr", file=sys.stderr)
            return "result"
    """
    stack, function = stack_with(tmp_path, code)

    with Container(stack, function) as container:
        invocation = container.invoke({})

    assert invocation.result == "result"
    assert invocation.logs.splitlines() == ["to stdout", "to stderr"]


def test_a_handler_error_is_reported_as_lambda_reports_it(tmp_path: Path) -> None:
    stack, function = stack_with(tmp_path, "def handler(event, context):\n    raise KeyError('endpoint')\n")

    with Container(stack, function) as container:
        invocation = container.invoke({})

    assert not invocation.ok
    assert invocation.error is not None
    assert (invocation.error["errorType"], invocation.error["errorMessage"]) == ("KeyError", "'endpoint'")
    assert "raise KeyError" in "".join(invocation.error["stackTrace"])


def test_a_handler_that_cannot_be_imported_fails_every_invocation(tmp_path: Path) -> None:
    stack, function = stack_with(tmp_path, "import module_the_layer_lacks\ndef handler(event, context):\n    pass\n")

    with Container(stack, function) as container:
        invocations = [container.invoke({}) for _ in range(2)]

    assert [i.error["errorType"] for i in invocations if i.error] == ["Runtime.ImportModuleError"] * 2


def test_an_invocation_past_the_timeout_is_killed_and_the_next_starts_fresh(tmp_path: Path) -> None:
    code = """
        import threading
        invocations = 0
        def handler(event, context):
            global invocations
            invocations += 1
            if event.get("hang"):
                threading.Event().wait()  # never set: only the timeout ends this invocation
            return invocations
    """
    stack, function = stack_with(tmp_path, code, timeout=1)

    with Container(stack, function) as container:
        container.invoke({})
        timed_out = container.invoke({"hang": True})
        after = container.invoke({})

    assert timed_out.error is not None
    assert timed_out.error["errorMessage"] == "Task timed out after 1.00 seconds"
    assert after.result == 1


def test_a_function_whose_code_is_missing_fails_with_an_import_error(tmp_path: Path) -> None:
    stack, function = stack_with(tmp_path, "def handler(event, context):\n    pass\n")
    missing = LocalFunction(**{**function.__dict__, "code_dir": str(tmp_path / "nowhere")})

    with Container(stack, missing) as container:
        invocation = container.invoke({})

    assert invocation.error is not None
    assert invocation.error["errorType"] == "Runtime.ImportModuleError"


def test_a_function_that_exits_is_reported_and_the_next_invocation_starts_fresh(tmp_path: Path) -> None:
    code = """
        import sys
        def handler(event, context):
            print("leaving")
            sys.exit(3)
    """
    stack, function = stack_with(tmp_path, code)

    with Container(stack, function) as container:
        first, second = container.invoke({}), container.invoke({})

    assert first.error is not None
    assert first.error["errorType"] == "Runtime.ExitError"
    assert "status 3" in first.error["errorMessage"]
    assert first.logs == "leaving\n"
    assert second.error is not None
    assert second.error["errorType"] == "Runtime.ExitError"
