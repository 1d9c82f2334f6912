"""The emulator's control path: requests under ``/_emulator/`` that set up what AWS decides, not callers,
or that read what the emulator saw.

It is a WSGI middleware in front of moto's app, so control requests reach the same process, and the same
moto state, as the AWS API calls. Every other request is recorded (``recording``) and passed to moto
untouched, but for the Price List API's, which moto lacks and ``price_list`` answers; moto's reset
(``POST /moto-api/reset``) also forgets the recorded calls and the seeded price list.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from werkzeug.wrappers import Request, Response

from vpce_guard_local.emulator import cloudtrail, cloudwatch, fidelity, price_list, services, trust
from vpce_guard_local.emulator.recording import CallRecorder

PREFIX = "/_emulator/"
SERVICE_ZONES_PATH = PREFIX + "service-zones"
CALLS_PATH = PREFIX + "calls"
FUNCTION_SESSIONS_PATH = PREFIX + "function-sessions"
CLOUDTRAIL_EVENTS_PATH = PREFIX + "cloudtrail-events"
CLOUDTRAIL_THROTTLE_PATH = PREFIX + "cloudtrail-throttle"
ENDPOINT_TRAFFIC_PATH = PREFIX + "endpoint-traffic"
ENDPOINT_CREATED_PATH = PREFIX + "endpoint-created"
PRICE_LIST_PATH = PREFIX + "price-list"
MOTO_RESET_PATH = "/moto-api/reset"


class ControlPath:
    """Answers the control requests below; records and passes every other request to ``app``.

    - ``POST /_emulator/service-zones``, body ``{"service_name": str, "zone_names": [str, ...], "region":
      str | null}`` (region defaults to the emulator's): 200 with the zones now offered, or 400 with
      ``{"message": …}``.
    - ``GET /_emulator/calls``: 200 with ``{"calls": [{"access_key_id", "service", "operation"}, ...]}``,
      the AWS requests received since the last reset or clear, in order of arrival.
    - ``DELETE /_emulator/calls``: forgets them; 200 with ``{"cleared": n}``.
    - ``POST /_emulator/function-sessions``, body ``{"access_key_id": str, "role_arn": str}``: calls signed
      with that key come from a session of that role from now on, as a Lambda function's calls come from a
      session of its execution role (``trust``); 200, or 400 with ``{"message": …}``. A reset forgets them.
    - ``POST /_emulator/cloudtrail-events``, body ``{"Records": [record, ...]}`` as in a trail's log files:
      CloudTrail's event history keeps them for LookupEvents (``cloudtrail``); 200 with ``{"eventIds": [...]}``,
      or 400 with ``{"message": …}`` naming the first wrong field. A reset forgets them.
    - ``POST /_emulator/cloudtrail-throttle``, body ``{"requests": n, "account_id": str | null, "region": str |
      null}``: the next n LookupEvents requests of that account (default 123456789012) and region (default the
      emulator's) answer ThrottlingException; 200, or 400 with ``{"message": …}``.
    - ``POST /_emulator/endpoint-traffic``, body ``{"traffic": {endpoint id: {minute (ISO 8601): bytes}},
      "account_id": str | null, "region": str | null}``: CloudWatch holds the AWS/PrivateLinkEndpoints
      BytesProcessed data points AWS PrivateLink would have published for those minutes (``cloudwatch``);
      200 with ``{"data_points": n}``, or 400 with ``{"message": …}``. A reset forgets them.
    - ``POST /_emulator/endpoint-created``, body ``{"endpoint_id": str, "created_at": ISO 8601, "account_id":
      str | null, "region": str | null}``: the endpoint reads as created then (its CreationTimestamp), as an
      endpoint made long ago does; 200, or 400 with ``{"message": …}``.
    - ``POST /_emulator/price-list``, body ``{"PriceList": [entry, ...]}``, each entry a PriceList entry as AWS
      shapes it (decoded from its string): GetProducts answers from them too (``price_list``); 200 with
      ``{"products": n}`` (all it holds), or 400 with ``{"message": …}``. A reset forgets them.
    """

    def __init__(self, app: WSGIApplication, default_region: str) -> None:
        self._app = app
        self._default_region = default_region
        self.recorder = CallRecorder()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(PREFIX):
            if path == MOTO_RESET_PATH:
                self.recorder.clear()
                trust.FUNCTION_SESSIONS.clear()
                price_list.forget_price_list()
            else:
                self.recorder.record(environ)
            if price_list.is_price_list_request(environ):
                return price_list.answer(environ)(environ, start_response)
            return self._app(environ, start_response)
        request = Request(environ)
        if path == SERVICE_ZONES_PATH:
            response = self._restrict_service_zones(request) if request.method == "POST" else _not_allowed("POST")
        elif path == CALLS_PATH:
            response = self._calls(request)
        elif path == FUNCTION_SESSIONS_PATH:
            response = self._function_session(request) if request.method == "POST" else _not_allowed("POST")
        elif path == CLOUDTRAIL_EVENTS_PATH:
            response = self._record_cloudtrail_events(request) if request.method == "POST" else _not_allowed("POST")
        elif path == CLOUDTRAIL_THROTTLE_PATH:
            response = self._throttle_lookup_events(request) if request.method == "POST" else _not_allowed("POST")
        elif path == ENDPOINT_TRAFFIC_PATH:
            response = self._publish_endpoint_traffic(request) if request.method == "POST" else _not_allowed("POST")
        elif path == ENDPOINT_CREATED_PATH:
            response = self._set_endpoint_created(request) if request.method == "POST" else _not_allowed("POST")
        elif path == PRICE_LIST_PATH:
            response = self._seed_price_list(request) if request.method == "POST" else _not_allowed("POST")
        else:
            response = _json(404, {"message": f"no control path {path}"})
        return response(environ, start_response)

    def _restrict_service_zones(self, request: Request) -> Response:
        try:
            body = json.loads(request.get_data() or b"{}")
            service_name, zone_names, region = _fields(body, self._default_region)
            zones = services.restrict_service_zones(region, service_name, zone_names)
        except ValueError as error:
            return _json(400, {"message": str(error)})
        return _json(200, {"service_name": service_name, "region": region, "zone_names": zones})

    def _function_session(self, request: Request) -> Response:
        try:
            body = json.loads(request.get_data() or b"{}")
            access_key_id, role_arn = body["access_key_id"], body["role_arn"]
            if not isinstance(access_key_id, str) or not isinstance(role_arn, str):
                raise ValueError("access_key_id and role_arn must be strings")
            trust.register_function_session(access_key_id, role_arn)
        except (ValueError, KeyError, TypeError) as error:
            return _json(400, {"message": f"expected {{access_key_id, role_arn}}: {error}"})
        return _json(200, {"access_key_id": access_key_id, "role_arn": role_arn})

    def _record_cloudtrail_events(self, request: Request) -> Response:
        try:
            event_ids = cloudtrail.record_events(json.loads(request.get_data() or b"{}"))
        except ValueError as error:
            return _json(400, {"message": str(error)})
        return _json(200, {"eventIds": event_ids})

    def _throttle_lookup_events(self, request: Request) -> Response:
        try:
            body = json.loads(request.get_data() or b"{}")
            requests = body["requests"]
            account_id = body.get("account_id") or cloudtrail.DEFAULT_ACCOUNT_ID
            region = body.get("region") or self._default_region
            if not isinstance(requests, int) or not isinstance(account_id, str) or not isinstance(region, str):
                raise ValueError("requests must be an integer, account_id and region strings")
            cloudtrail.throttle(requests, account_id, region)
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            return _json(400, {"message": f"expected {{requests, account_id, region}}: {error}"})
        return _json(200, {"requests": requests, "account_id": account_id, "region": region})

    def _publish_endpoint_traffic(self, request: Request) -> Response:
        try:
            body = json.loads(request.get_data() or b"{}")
            account_id, region = _where(body, self._default_region)
            traffic = body["traffic"]
            if not isinstance(traffic, dict) or not all(isinstance(by_minute, dict) for by_minute in traffic.values()):
                raise ValueError("traffic must map endpoint ids to {minute: bytes}")
            minutes = [
                cloudwatch.Minute(endpoint_id, datetime.fromisoformat(at), _whole(value))
                for endpoint_id, by_minute in traffic.items()
                for at, value in by_minute.items()
            ]
            written = cloudwatch.publish_endpoint_traffic(account_id, region, minutes)
        except (ValueError, KeyError, TypeError) as error:
            return _json(400, {"message": f"expected {{traffic, account_id, region}}: {error}"})
        return _json(200, {"data_points": written})

    def _set_endpoint_created(self, request: Request) -> Response:
        try:
            body = json.loads(request.get_data() or b"{}")
            account_id, region = _where(body, self._default_region)
            created_at = datetime.fromisoformat(body["created_at"])
            fidelity.set_endpoint_created(account_id, region, body["endpoint_id"], created_at)
        except (ValueError, KeyError, TypeError) as error:
            return _json(400, {"message": f"expected {{endpoint_id, created_at, account_id, region}}: {error}"})
        return _json(200, {"endpoint_id": body["endpoint_id"], "created_at": created_at.isoformat()})

    def _seed_price_list(self, request: Request) -> Response:
        try:
            body = json.loads(request.get_data() or b"{}")
            if not isinstance(body, dict) or not isinstance(body.get("PriceList"), list):
                raise ValueError('the body must be {"PriceList": [entry, ...]}')
            held = price_list.seed_price_list(body["PriceList"])
        except ValueError as error:
            return _json(400, {"message": str(error)})
        return _json(200, {"products": held})

    def _calls(self, request: Request) -> Response:
        if request.method == "GET":
            return _json(200, {"calls": [call.to_dict() for call in self.recorder.calls()]})
        if request.method == "DELETE":
            return _json(200, {"cleared": self.recorder.clear()})
        return _not_allowed("GET or DELETE")


def _fields(body: Any, default_region: str) -> tuple[str, list[str], str]:
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    service_name = body.get("service_name")
    zone_names = body.get("zone_names")
    region = body.get("region") or default_region
    if not isinstance(service_name, str) or not isinstance(region, str):
        raise ValueError("service_name and region must be strings")
    if not isinstance(zone_names, list) or not all(isinstance(zone, str) for zone in zone_names):
        raise ValueError("zone_names must be a list of zone names")
    return service_name, zone_names, region


def _where(body: Any, default_region: str) -> tuple[str, str]:
    """The account (default: moto's default account) and region (default: the emulator's) a body names."""
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    account_id = body.get("account_id") or cloudwatch.DEFAULT_ACCOUNT_ID
    region = body.get("region") or default_region
    if not isinstance(account_id, str) or not isinstance(region, str):
        raise ValueError("account_id and region must be strings")
    return account_id, region


def _whole(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"bytes are a whole number, not {value!r}")
    return value


def _not_allowed(methods: str) -> Response:
    return _json(405, {"message": f"use {methods}"})


def _json(status: int, payload: dict[str, Any]) -> Response:
    return Response(json.dumps(payload), status=status, mimetype="application/json")
