"""The local tooling's commands: ``vpce-guard demo``, ``emulator``, and ``local up``, ``local send`` and
``local drain`` (the whole application on the local emulator). Each says which extra to install where moto or
the SAM translator is missing.

``local drain`` plays Lambda's polling event sources: the sweep queue's jobs to the sweep worker, then the
state table's stream to the notifier.

Exit codes: 0 done (every invocation succeeded); 1 an invocation failed (its error is in the output);
2 the local run could not go on (no emulator, no stack file, an event nothing routes, a template that cannot
be deployed), with a message saying what to do next.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path

from vpce_guard.cli import REGION, UsageError
from vpce_guard_local.sam.stack import DEFAULT_STACK_FILE, LocalRunError, LocalStack

EXIT_OK, EXIT_FAILED, EXIT_ERROR = 0, 1, 2


# What the local commands need beyond the runtime: the `local` extra's packages.
LOCAL_EXTRA = {"moto": "moto[server]", "samtranslator": "aws-sam-translator"}


def needs_local_extra(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """The command, refused with what to install where the `local` extra is missing."""

    @wraps(run)
    def checked(args: argparse.Namespace) -> int:
        missing = [package for module, package in LOCAL_EXTRA.items() if importlib.util.find_spec(module) is None]
        if missing:
            raise UsageError(
                f"this command needs the local tooling's packages ({', '.join(missing)} missing): "
                "pip install 'vpce-guard[local]'"
            )
        return run(args)

    return checked


def add_local_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``demo``, ``emulator`` and ``local up``/``send``/``drain`` to the ``vpce-guard`` command line."""
    demo = commands.add_parser("demo", help="build a sample estate on the local emulator and scan it")
    demo.set_defaults(command=run_demo)
    demo.add_argument("--format", choices=("table", "json"), default="table")
    demo.add_argument(
        "--report", type=Path, help="where to write the scan's HTML report (default: vpce-guard-report.html here)"
    )

    emulator = commands.add_parser("emulator", help="run the local AWS emulator until interrupted")
    emulator.set_defaults(command=run_emulator)
    emulator.add_argument("--region", type=REGION, default="us-east-1")
    emulator.add_argument("--port", type=_port, default=0, help="TCP port on 127.0.0.1 (default: a free one)")

    local = commands.add_parser("local", help="run the whole application on the local emulator")
    actions = local.add_subparsers(required=True, metavar="ACTION")

    up = actions.add_parser("up", help="create the template's resources in the running emulator")
    up.set_defaults(command=run_local_up)
    up.add_argument("--endpoint-url", help="the emulator's URL (default: AWS_ENDPOINT_URL)")
    up.add_argument(
        "--create-interface-endpoints",
        action="store_true",
        help="set the template's CreateInterfaceEndpoints parameter to true",
    )
    up.add_argument(
        "--org",
        action="store_true",
        help="host an organization in the emulator and deploy as its hub: the member stacks go to every member",
    )
    up.add_argument("--members", type=int, default=3, help="member accounts of the --org organization (default 3)")
    up.add_argument("--stack-file", type=Path, default=DEFAULT_STACK_FILE, help=f"default: {DEFAULT_STACK_FILE}")
    up.add_argument("--template", type=Path, help="the SAM template (default: template.yaml here or above)")
    up.add_argument("--stack-name", default="vpce-guard-local", help="prefix of the local physical names")
    up.add_argument(
        "--parameter-overrides",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        help="template parameter values, as sam deploy takes them (e.g. OrgId=o-abc123 Baseline=s3,sts); "
        "VpcId, SubnetIds and RouteTableIds default to a VPC created in the emulator",
    )

    send = actions.add_parser("send", help="route an event to the functions the way AWS would, and run them")
    send.set_defaults(command=run_local_send)
    send.add_argument("event", type=Path, metavar="EVENT.json", help="an event, e.g. one of events/*.json")
    send.add_argument("--times", type=int, default=1, help="deliveries of the event (EventBridge: at least once)")
    send.add_argument("--stack-file", type=Path, default=DEFAULT_STACK_FILE, help=f"default: {DEFAULT_STACK_FILE}")

    drain = actions.add_parser(
        "drain",
        help="deliver the queued sweep jobs to the sweep worker, then the state table's new stream records to the "
        "notifier, as Lambda would",
    )
    drain.set_defaults(command=run_local_drain)
    drain.add_argument("--stack-file", type=Path, default=DEFAULT_STACK_FILE, help=f"default: {DEFAULT_STACK_FILE}")


@needs_local_extra
def run_demo(args: argparse.Namespace) -> int:
    """The demo; its second part deploys the repository's template.yaml, so it is found before anything runs."""
    from vpce_guard_local.demo import run_demo as demo
    from vpce_guard_local.sam.template import TemplateError, find_template

    try:
        find_template()
    except TemplateError as error:
        raise UsageError(f"vpce-guard demo deploys template.yaml in its second part: {error}") from error
    return demo(output_format=args.format, report=args.report)


@needs_local_extra
def run_emulator(args: argparse.Namespace) -> int:
    from vpce_guard_local.emulator import run_forever

    run_forever(region=args.region, port=args.port)
    return EXIT_OK


@needs_local_extra
def run_local_up(args: argparse.Namespace) -> int:
    from vpce_guard_local.sam.deploy import local_up
    from vpce_guard_local.sam.template import SamTemplate, TemplateError

    endpoint_url = args.endpoint_url or os.environ.get("AWS_ENDPOINT_URL")
    try:
        if not endpoint_url:
            raise LocalRunError(
                "no emulator given: start one with `vpce-guard emulator`, then export the AWS_ENDPOINT_URL it "
                "prints or pass --endpoint-url"
            )
        if args.org and args.members < 1:
            raise LocalRunError("--members must be at least 1 with --org")
        stack = local_up(
            SamTemplate.load(args.template),
            endpoint_url,
            stack_name=args.stack_name,
            parameters=_overrides(args.parameter_overrides),
            create_interface_endpoints=True if args.create_interface_endpoints else None,
            stack_file=args.stack_file,
            organization_members=args.members if args.org else 0,
        )
    except (LocalRunError, TemplateError) as error:
        return _fail(error)
    _print_stack(stack, args.stack_file)
    return EXIT_OK


@needs_local_extra
def run_local_send(args: argparse.Namespace) -> int:
    from vpce_guard_local.sam.router import send

    try:
        stack = LocalStack.load(args.stack_file)
        event = _read_event(args.event)
        invocations = send(stack, event, times=args.times)
    except LocalRunError as error:
        return _fail(error)
    for invocation in invocations:
        if invocation.logs:
            print(invocation.logs.rstrip(), file=sys.stderr)
        outcome = "ok" if invocation.error is None else f"{invocation.error.get('errorType')}"
        _say(f"{invocation.function} via {invocation.trigger}: {outcome} in {invocation.duration_ms:.0f} ms")
    print(json.dumps([invocation.to_json() for invocation in invocations], indent=2, default=str))
    return EXIT_OK if all(invocation.ok for invocation in invocations) else EXIT_FAILED


@needs_local_extra
def run_local_drain(args: argparse.Namespace) -> int:
    from vpce_guard_local.sam.queues import drain_queues
    from vpce_guard_local.sam.streams import drain, positions_file

    try:
        stack = LocalStack.load(args.stack_file)
        jobs = drain_queues(stack)
        report = drain(stack, positions_file(args.stack_file))
    except LocalRunError as error:
        return _fail(error)
    invocations = [*jobs, *report.invocations]
    for invocation in invocations:
        if invocation.logs:
            print(invocation.logs.rstrip(), file=sys.stderr)
    failed_jobs = sum(
        1 for invocation in jobs if not invocation.ok or (invocation.result or {}).get("batchItemFailures")
    )
    _say(
        f"{len(jobs)} queue invocation(s), {failed_jobs} with failed jobs (back on the queue); "
        f"{report.records} stream record(s) in {len(report.invocations)} invocation(s); "
        f"{len(report.given_up)} batch(es) given up to the on-failure destination"
    )
    print(json.dumps([invocation.to_json() for invocation in invocations], indent=2, default=str))
    return EXIT_OK if not report.given_up and not failed_jobs else EXIT_FAILED


def _print_stack(stack: LocalStack, stack_file: Path) -> None:
    print(f"local stack {stack.stack_name} in the emulator at {stack.endpoint_url} ({stack.region})")
    print(f"  VPC {stack.vpc_id}, subnets {', '.join(stack.parameters.get('SubnetIds', []))}")
    for logical_id, resource in stack.resources.items():
        print(f"  {logical_id:<40} {resource.type:<28} {resource.ref}")
    for what, reason in stack.not_created.items():
        print(f"  not created: {what}: {reason}")
    if stack.organization is not None:
        organization = stack.organization
        print(f"  hub of organization {organization.id} (management account {organization.management_account_id})")
        for member in organization.member_account_ids:
            print(f"  member {member}: member stack in {', '.join(organization.member_regions)}")
    print(f"stack file: {stack_file}")
    state_table = stack.resources.get("StateTable")
    if state_table is not None:
        print(f"export STATE_TABLE_NAME={state_table.ref}")


def _port(value: str) -> int:
    """A TCP port, or 0 for a free one."""
    if not (value.isascii() and value.isdigit() and int(value) <= 65535):
        raise argparse.ArgumentTypeError(f"{value!r} is not a TCP port: give 1 to 65535 (0 picks a free one)")
    return int(value)


def _overrides(pairs: list[str]) -> dict[str, str]:
    values = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator or not key:
            raise LocalRunError(f"--parameter-overrides takes KEY=VALUE pairs; got {pair!r}")
        values[key] = value
    return values


def _read_event(path: Path) -> dict[str, object]:
    try:
        event = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LocalRunError(f"no event file {path}") from None
    except (OSError, ValueError) as error:
        raise LocalRunError(f"cannot read the event {path}: {error}") from error
    if not isinstance(event, dict):
        raise LocalRunError(f"{path} holds no JSON object")
    return event


def _fail(error: Exception) -> int:
    print(f"vpce-guard: error: {error}", file=sys.stderr)
    return EXIT_ERROR


def _say(message: str) -> None:
    print(f"vpce-guard: {message}", file=sys.stderr)
