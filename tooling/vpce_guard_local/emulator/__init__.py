"""A local AWS emulator: moto's server on 127.0.0.1, with fixes that make it behave as AWS does where
vpce-guard depends on it.

Clients reach it over real HTTP, exactly as they reach AWS, so code under test needs nothing but an
endpoint URL and fake credentials (``client_environment()``). moto is an optional extra, imported only when
an emulator starts: ``import vpce_guard`` (or this package) never imports it.

The fixes, each a function whose docstring names the AWS behaviour it reproduces:

- ``fidelity``: VPC endpoints (validation, network interfaces, routes, paging, private DNS and its DNS options,
  policies);
- ``network_acls``: network ACLs (protocol numbers, port ranges only for TCP and UDP, the ``*`` rules and the
  IPv6 rules AWS makes, every subnet's association, the ``network-acl-id`` filter, AWS's errors);
- ``config_service``: AWS Config for a custom Lambda rule (PutEvaluations with a result token from
  ``result_token_for``, compliance read-back, configuration items of VPC endpoints);
- ``opscenter``: Systems Manager OpsItems (CreateOpsItem, GetOpsItem, UpdateOpsItem, DescribeOpsItems), which
  moto lacks;
- ``security_hub``: BatchImportFindings takes a finding under an account's default product only from that
  account and about it, and leaves the security team's fields (``Workflow``, ...) of an existing finding alone;
- ``trust``: AssumeRole admits only the callers a role's trust policy admits (moto admits anyone);
- ``organization``: an AWS Organization to host (``organization()``), whose memberships a reset forgets;
- ``unimplemented``: a call moto lacks fails as an AWS error (HTTP 501 ``NotImplemented``);
- ``cloudtrail``: CloudTrail's LookupEvents over events a test records (``record_cloudtrail_events``), with
  AWS's filters, paging and throttling (``throttle_lookup_events``);
- ``cloudwatch``: the endpoints' traffic as AWS PrivateLink publishes it (``publish_endpoint_traffic``), and
  GetMetricData answering as CloudWatch does (exact metrics, limits, paging);
- ``price_list``: the Price List Query API's GetProducts (moto has no ``pricing`` service), answering from the
  products a test seeds (``seed_price_list``), with AWS's filters and paging;
- ``speed``: not AWS behaviour, a moto reset without wasted work.

Every account is at hand: ``client(service, account_id=…)`` acts in any account as its root user would, to
set up members and outsiders; code under test crosses accounts through AssumeRole, as in AWS.

The emulator also records every AWS call it receives (``recorded_calls()``, see ``recording``), so a test
can hold the calls a function makes against the IAM policy it is given.

moto keeps its state in process-wide globals, so emulators in one process share state: ``reset()`` on one
wipes them all. Recorded calls are per emulator. Run one emulator per process when that matters.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import re
import shlex
import signal
import socket
import threading
import urllib.error
import urllib.request
import warnings
from collections.abc import Callable, Mapping
from datetime import datetime
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any

import boto3
import botocore.session
from botocore.config import Config

from vpce_guard_local.emulator.recording import RecordedCall
from vpce_guard_local.emulator.result_tokens import result_token_for
from vpce_guard_local.serving import ServingThread

if TYPE_CHECKING:
    from werkzeug.serving import BaseWSGIServer

    from vpce_guard_local.emulator.organization import Organization

__all__ = [
    "Emulator",
    "RecordedCall",
    "naming_account",
    "register_function_session",
    "result_token_for",
    "run_forever",
]

HOST = "127.0.0.1"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}
# moto's server acts in the account this header names, whatever the credentials.
ACCOUNT_HEADER = "x-moto-account-id"
ACCOUNT_ID = re.compile(r"^\d{12}$")
# One attempt: moto answers an unimplemented call with HTTP 500, which retries would only repeat.
CLIENT_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 1}, proxies={})
_LOOPBACK = (HOST, "localhost")
# Requests to the emulator must never go through a proxy set in the environment.
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Emulator:
    """One moto server on 127.0.0.1 (a free port unless ``port`` is given) with the fidelity fixes."""

    def __init__(self, region: str = "us-east-1", port: int = 0) -> None:
        self.region = region
        self._requested_port = port
        self._serving: ServingThread[BaseWSGIServer] | None = None
        # One session for every client: a session loads each service's model once (about 0.4 s for EC2).
        self._session: boto3.session.Session | None = None
        self._session_lock = threading.Lock()

    def start(self) -> Emulator:
        """Install the fidelity fixes, bind and serve in a background thread; a no-op if running.

        A taken port raises OSError at once (moto's own threaded server hangs instead).
        """
        if self._serving is not None:
            return self
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
        from werkzeug.serving import make_server

        from vpce_guard_local.emulator import (
            cloudtrail,
            cloudwatch,
            config_service,
            fidelity,
            network_acls,
            opscenter,
            organization,
            security_hub,
            speed,
            trust,
            unimplemented,
        )
        from vpce_guard_local.emulator.control import ControlPath

        _quiet_known_gaps()
        fidelity.install()
        network_acls.install()
        config_service.install()
        opscenter.install()
        security_hub.install()
        trust.install()
        organization.install()
        unimplemented.install()
        cloudtrail.install()
        cloudwatch.install()
        speed.install()
        app = ControlPath(DomainDispatcherApplication(create_backend_app), self.region)
        # Bound here, not by werkzeug, which exits the process when the port is taken.
        with socket.create_server((HOST, self._requested_port)) as listener:
            server = make_server(
                HOST,
                listener.getsockname()[1],
                app,
                threaded=True,
                request_handler=_quiet_handler(),
                fd=listener.fileno(),
            )
        self._serving = ServingThread(server, name=f"emulator-{server.port}")
        # moto's modules, botocore's models and the default endpoint services live as long as the process:
        # keep them out of the garbage collector's full scans, which otherwise cost seconds per test session.
        gc.freeze()
        return self

    def stop(self) -> None:
        """Stop serving and release the port; a no-op if not running."""
        serving, self._serving = self._serving, None
        if serving is not None:
            serving.stop()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._serving is None:
            raise RuntimeError("the emulator is not running: call start() first")
        return int(self._serving.server.port)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def reset(self) -> None:
        """Wipe all state: every resource of every account and region, the zone restrictions, the Config
        evaluations and the recorded calls."""
        self._post("/moto-api/reset", b"")

    def recorded_calls(self) -> list[RecordedCall]:
        """The AWS calls this emulator received since the last ``reset()`` or ``clear_recorded_calls()``, in
        order of arrival: access key id, signing service and operation (see ``recording`` for the protocols
        covered). Calls of the control path are not included."""
        body = self._request("GET", "/_emulator/calls")
        return [RecordedCall.from_dict(call) for call in body["calls"]]

    def clear_recorded_calls(self) -> None:
        """Forget the recorded calls (resources stay)."""
        self._request("DELETE", "/_emulator/calls")

    @staticmethod
    def config_result_token(config_rule_name: str) -> str:
        """The result token AWS Config would pass to the Lambda of ``config_rule_name``: PutEvaluations with
        it stores the evaluations for that rule. The same as ``result_token_for(config_rule_name)``."""
        return result_token_for(config_rule_name)

    def restrict_service_zones(self, service_name: str, zone_names: list[str], region: str | None = None) -> None:
        """Offer the endpoint service ``service_name`` (full name) only in ``zone_names``, as AWS often does.

        DescribeVpcEndpointServices then lists only those zones for it, and endpoints in other zones are
        refused. Raises ValueError for an unknown service, region or zone. Lasts until ``reset()``.
        """
        body = {"service_name": service_name, "zone_names": list(zone_names), "region": region or self.region}
        self._post("/_emulator/service-zones", json.dumps(body).encode())

    def record_cloudtrail_events(self, records: list[dict[str, Any]]) -> list[str]:
        """Keep ``records`` (CloudTrail records, as in a trail's log files) in the event history of their
        ``recipientAccountId`` and ``awsRegion``, for LookupEvents; returns their event ids. Raises ValueError
        naming the first wrong field. Lasts until ``reset()``."""
        body = self._request("POST", "/_emulator/cloudtrail-events", json.dumps({"Records": records}).encode())
        return [str(event_id) for event_id in body["eventIds"]]

    def throttle_lookup_events(self, requests: int, account_id: str | None = None, region: str | None = None) -> None:
        """Answer the next ``requests`` LookupEvents requests of ``account_id`` (default the default account)
        in ``region`` (default the emulator's) with ThrottlingException, as AWS answers those beyond 2 per
        second; 0 stops it. Lasts until ``reset()``."""
        body = {"requests": requests, "account_id": account_id, "region": region or self.region}
        self._post("/_emulator/cloudtrail-throttle", json.dumps(body).encode())

    def publish_endpoint_traffic(
        self,
        traffic: Mapping[str, Mapping[datetime, int]],
        account_id: str | None = None,
        region: str | None = None,
    ) -> int:
        """CloudWatch holds what AWS PrivateLink publishes for each interface endpoint of ``traffic`` (endpoint
        id: bytes processed, by whole minute): its AWS/PrivateLinkEndpoints BytesProcessed data points, for the
        endpoint and for each of its subnets (see ``cloudwatch``). Returns the data points written; raises
        ValueError naming what is wrong (an unknown or gateway endpoint, a time ahead or not a whole minute, no
        bytes). In ``account_id`` (default the default account) and ``region`` (default the emulator's); lasts
        until ``reset()``."""
        body = {
            "traffic": {
                endpoint_id: {at.isoformat(): value for at, value in by_minute.items()}
                for endpoint_id, by_minute in traffic.items()
            },
            "account_id": account_id,
            "region": region or self.region,
        }
        answer = self._request("POST", "/_emulator/endpoint-traffic", json.dumps(body).encode())
        return int(answer["data_points"])

    def set_endpoint_created(
        self, endpoint_id: str, created_at: datetime, account_id: str | None = None, region: str | None = None
    ) -> None:
        """The endpoint reads as created at ``created_at`` (its CreationTimestamp), as one that has run for a
        while: moto stamps endpoints with the moment they are made. Raises ValueError for an unknown endpoint or
        a time ahead of now."""
        body = {
            "endpoint_id": endpoint_id,
            "created_at": created_at.isoformat(),
            "account_id": account_id,
            "region": region or self.region,
        }
        self._post("/_emulator/endpoint-created", json.dumps(body).encode())

    def seed_price_list(self, entries: list[dict[str, Any]]) -> int:
        """GetProducts of the Price List API answers from ``entries`` too: PriceList entries as AWS shapes them
        (each a product with its terms, decoded from the JSON string AWS sends; see ``price_list``). Returns how
        many products the emulator holds; raises ValueError naming an entry that is not shaped so. Lasts until
        ``reset()``."""
        answer = self._request("POST", "/_emulator/price-list", json.dumps({"PriceList": entries}).encode())
        return int(answer["products"])

    def client_environment(self) -> dict[str, str]:
        """Environment variables that point AWS SDKs and the AWS CLI at this emulator.

        Also unset ``AWS_PROFILE``: a profile missing from the local configuration fails before any call.
        """
        current = _current_no_proxy()
        no_proxy = [*current, *(host for host in _LOOPBACK if host not in current)]
        return {
            "AWS_ENDPOINT_URL": self.url,
            **FAKE_CREDENTIALS,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            "AWS_RETRY_MODE": "standard",
            "AWS_MAX_ATTEMPTS": "1",
            "NO_PROXY": ",".join(no_proxy),
            "no_proxy": ",".join(no_proxy),
        }

    def register_function_session(self, access_key_id: str, role_arn: str) -> None:
        """Calls signed with ``access_key_id`` come from a session of the role ``role_arn`` (what Lambda gives a
        function: its execution role's session), so a role trusting that role admits them."""
        register_function_session(self.url, access_key_id, role_arn)

    def organization(self, members: int = 3) -> Organization:
        """An AWS Organization with all features: the default account (123456789012) manages it, and
        ``members`` accounts sit in its OU ``workloads``. Calling it again returns the same organization (see
        ``organization.host_organization``); ``reset()`` wipes it."""
        from vpce_guard_local.emulator.organization import host_organization

        return host_organization(self.client("organizations"), members)

    def client(self, service: str, region: str | None = None, account_id: str | None = None) -> Any:
        """A boto3 client for ``service`` talking to this emulator, whatever the caller's environment.

        With ``account_id``, the client acts in that account as its root user would (AssumeRole's trust
        checks see that account's root), whether or not the account belongs to an organization: to set up
        member accounts and accounts outside the organization. Without, it acts in the default account.
        """
        if account_id is not None and not ACCOUNT_ID.fullmatch(account_id):
            raise ValueError(f"an account id is 12 digits, not {account_id!r}")
        with self._session_lock:
            if self._session is None:
                self._session = boto3.session.Session(
                    aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                    aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
                    aws_session_token=FAKE_CREDENTIALS["AWS_SESSION_TOKEN"],
                    region_name=self.region,
                    botocore_session=_session_without_profile(),
                )
            client = self._session.client(
                service, region_name=region or self.region, endpoint_url=self.url, config=CLIENT_CONFIG
            )
        if account_id is not None:
            client.meta.events.register("before-sign", naming_account(account_id))
        return client

    def _post(self, path: str, body: bytes) -> None:
        _request(self.url, "POST", path, body)

    def _request(self, method: str, path: str, body: bytes | None = None) -> Any:
        return _request(self.url, method, path, body)


def _quiet_known_gaps() -> None:
    """moto's CloudFormation warns of each resource type it cannot create (twice: a log line and a Python
    warning). The member template's Config rule is one, which ``local up`` creates itself: not news to anyone."""
    warnings.filterwarnings("ignore", message="Tried to parse AWS::.* not supported by moto", category=UserWarning)
    logging.getLogger("moto").addFilter(_NotMotoCloudFormationGaps())


class _NotMotoCloudFormationGaps(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("No Moto CloudFormation support for")


def register_function_session(url: str, access_key_id: str, role_arn: str) -> None:
    """Tell the emulator at ``url`` that calls signed with ``access_key_id`` come from a session of the role
    ``role_arn`` (what Lambda gives a function: its execution role's session), so that a role trusting
    that role admits them. Until the next reset."""
    body = json.dumps({"access_key_id": access_key_id, "role_arn": role_arn}).encode()
    _request(url, "POST", "/_emulator/function-sessions", body)


def _request(url: str, method: str, path: str, body: bytes | None = None) -> Any:
    """Send a request to the emulator at ``url``; returns its JSON body (None if not JSON)."""
    request = urllib.request.Request(url + path, data=body, method=method, headers={"Content-Type": "application/json"})
    try:
        with _NO_PROXY.open(request, timeout=30) as response:
            payload = response.read()
    except urllib.error.HTTPError as error:
        raise ValueError(f"{path}: {_error_message(error)}") from None
    try:
        return json.loads(payload) if payload else None
    except ValueError:
        return None


def run_forever(region: str, port: int) -> None:
    """Run an emulator until Ctrl-C or SIGTERM, printing its URL and shell ``export`` lines on stdout."""
    stopping = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            emulator = Emulator(region=region, port=port).start()
        except OSError as error:
            raise SystemExit(f"vpce-guard emulator: cannot listen on {HOST}:{port}: {error.strerror}") from None
        with emulator:
            print(f"# vpce-guard emulator listening on {emulator.url} (Ctrl-C to stop)")
            for name, value in emulator.client_environment().items():
                print(f"export {name}={shlex.quote(value)}")
            print("unset AWS_PROFILE", flush=True)
            stopping.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _error_message(error: urllib.error.HTTPError) -> str:
    """The ``message`` of the control path's JSON error body, else the HTTP reason."""
    try:
        body = json.loads(error.read())
    except ValueError:
        return str(error.reason)
    return str(body["message"]) if isinstance(body, dict) and "message" in body else str(error.reason)


def naming_account(account_id: str) -> Callable[..., None]:
    """A botocore handler that sends every request of a client with the header that makes the emulator act in
    ``account_id`` (as that account's root user)."""

    def name_account(request: Any, **kwargs: Any) -> None:
        request.headers[ACCOUNT_HEADER] = account_id

    return name_account


def _current_no_proxy() -> list[str]:
    value = os.environ.get("no_proxy") or os.environ.get("NO_PROXY") or ""
    return [host.strip() for host in value.split(",") if host.strip()]


def _session_without_profile() -> Any:
    """A botocore session that ignores AWS_PROFILE, which may name a profile this machine lacks."""
    return botocore.session.Session(session_vars={"profile": (None, None, None, None)})


def _quiet_handler() -> type:
    """moto's request handler, without a log line per request."""
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    class QuietHandler(MotoRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            return

    return QuietHandler
