"""Call recording: which credentials called which AWS operation, as the emulator received the requests.

A test runs a Lambda's code against the emulator with credentials of its own, then compares the recorded
calls of that access key with the IAM policy the template gives the function: nothing missing, nothing extra.
Recording happens in the WSGI middleware, before moto sees the request, so a call moto rejects or does not
implement is recorded too (IAM would have authorised it all the same).

Each request is reduced to the access key id and signing service of its SigV4 credential scope
(``Credential=AKID/date/region/SERVICE/aws4_request`` in the Authorization header, or the ``X-Amz-Credential``
query parameter of a presigned URL) and an operation name, found by protocol:

- JSON (DynamoDB, Config, SQS, EventBridge, CloudWatch Logs, SSM, KMS, ...): the ``X-Amz-Target`` header,
  ``DynamoDB_20120810.PutItem`` -> ``PutItem``;
- query and EC2 (EC2, STS, IAM, SNS, CloudFormation, ELBv2, ...): the ``Action`` parameter, from the query
  string or the form-encoded body (the body is buffered and put back for moto);
- Smithy RPC v2 CBOR (CloudWatch in botocore 1.44): the path ``/service/NAME/operation/OPERATION``;
- REST JSON and REST XML (Lambda, S3, X-Ray, API Gateway, ...): the method and path matched against the
  ``requestUri`` of each operation in botocore's model of the service named like the signing service.

An operation none of these finds is recorded as ``UNKNOWN_OPERATION``, so a comparison with a policy fails
loudly instead of missing the call. Requests to the control path and to moto's ``/moto-api/`` are not AWS
calls and are not recorded.
"""

from __future__ import annotations

import functools
import io
import re
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import parse_qs

UNKNOWN_OPERATION = "?"

# Signing names that differ from the IAM service prefix of the same service's actions.
IAM_PREFIXES = {"monitoring": "cloudwatch", "email": "ses", "iotdata": "iot"}
# Signing names that differ from the name of botocore's model, for services with REST protocols.
_MODEL_NAMES = {"monitoring": "cloudwatch", "email": "sesv2", "execute-api": "apigateway"}

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/[^/,\s]+/[^/,\s]+/([^/,\s]+)/aws4_request")
_RPC_V2_PATH = re.compile(r"^/service/[^/]+/operation/([^/]+)$")
_NOT_AWS_PREFIXES = ("/moto-api/", "/_emulator/")


@dataclass(frozen=True)
class RecordedCall:
    """One AWS request as the emulator received it.

    ``iam_action`` is ``prefix:Operation``, the IAM action AWS authorises for most operations. Known
    exceptions, which a policy comparison has to map itself: DynamoDB transactions and batch reads are
    authorised per item action (``TransactWriteItems`` needs ``dynamodb:PutItem``, ``UpdateItem``,
    ``DeleteItem`` or ``ConditionCheckItem``), several S3 operations (``ListObjectsV2`` is
    ``s3:ListBucket``, ``HeadObject`` is ``s3:GetObject``), and ``sts:GetCallerIdentity``, which needs no
    permission at all.
    """

    access_key_id: str
    service: str
    operation: str

    @property
    def iam_action(self) -> str:
        return f"{IAM_PREFIXES.get(self.service, self.service)}:{self.operation}"

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RecordedCall:
        return cls(str(data["access_key_id"]), str(data["service"]), str(data["operation"]))


class CallRecorder:
    """The calls received so far, in order of arrival; safe to use from the server's request threads."""

    def __init__(self) -> None:
        self._calls: list[RecordedCall] = []
        self._lock = threading.Lock()

    def record(self, environ: dict[str, Any]) -> None:
        """Record the AWS request of ``environ``; control-path and moto-api requests are skipped."""
        call = recorded_call(environ)
        if call is not None:
            with self._lock:
                self._calls.append(call)

    def calls(self) -> list[RecordedCall]:
        with self._lock:
            return list(self._calls)

    def clear(self) -> int:
        """Forget every call; returns how many there were."""
        with self._lock:
            count = len(self._calls)
            self._calls.clear()
            return count


def recorded_call(environ: dict[str, Any]) -> RecordedCall | None:
    """The call a WSGI request makes, or None for a request that is not an AWS call.

    May buffer the request body (form-encoded query-protocol calls); ``wsgi.input`` is then replaced by the
    buffered bytes, so the application behind still reads the whole body.
    """
    path: str = environ.get("PATH_INFO", "") or "/"
    if path.startswith(_NOT_AWS_PREFIXES):
        return None
    access_key_id, service = credential_scope(environ)
    return RecordedCall(access_key_id, service, operation_name(environ, service) or UNKNOWN_OPERATION)


def access_key_in(authorization: str) -> str | None:
    """The access key id a SigV4 Authorization header names, whatever its shape (``LOCAL-…`` too)."""
    match = _CREDENTIAL.search(authorization)
    return match.group(1) if match is not None else None


def credential_scope(environ: Mapping[str, Any]) -> tuple[str, str]:
    """(access key id, signing service) of a SigV4 request; empty strings for an unsigned one."""
    match = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    if match is not None:
        return match.group(1), match.group(2)
    presigned = _query(environ).get("X-Amz-Credential", [""])[0].split("/")
    if len(presigned) == 5:
        return presigned[0], presigned[3]
    return "", ""


def operation_name(environ: dict[str, Any], service: str) -> str | None:
    """The operation a request calls, by protocol (see the module docstring), or None if none is found."""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return str(target).rsplit(".", 1)[-1]
    path: str = environ.get("PATH_INFO", "") or "/"
    rpc = _RPC_V2_PATH.match(path)
    if rpc is not None and environ.get("HTTP_SMITHY_PROTOCOL"):
        return rpc.group(1)
    action = _query(environ).get("Action") or _form(environ).get("Action")
    if action:
        return action[0]
    return rest_operation(service, environ)


def buffer_body(environ: dict[str, Any]) -> bytes:
    """Read the whole request body and put it back as a fresh stream, so the application can read it too."""
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    if environ.get("wsgi.input_terminated"):
        body: bytes = stream.read()
    else:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        body = stream.read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


@dataclass(frozen=True)
class _Route:
    operation: str
    method: str
    path: re.Pattern[str]
    query: tuple[tuple[str, str | None], ...]
    headers: tuple[str, ...]
    literal_length: int

    def matches(self, method: str, path: str, query: Mapping[str, list[str]], headers: frozenset[str]) -> bool:
        if method != self.method or self.path.match(path) is None:
            return False
        if not all(header in headers for header in self.headers):
            return False
        return all(key in query and (value is None or value in query[key]) for key, value in self.query)

    @property
    def specificity(self) -> tuple[int, int]:
        return len(self.query) + len(self.headers), self.literal_length


def rest_operation(service: str, environ: Mapping[str, Any]) -> str | None:
    """The operation of a REST request: the most specific operation of the service's model that matches.

    An operation matches on its method, its ``requestUri`` and the query parameters and headers it
    requires. More requirements win (``GET /{Bucket}?list-type=2`` is ListObjectsV2, not ListObjects; a PUT
    with ``x-amz-copy-source`` is CopyObject, not PutObject), then more literal characters in the path
    (``/functions/{FunctionName}/configuration`` before ``/functions/{FunctionName}``).
    """
    method = str(environ.get("REQUEST_METHOD", "GET"))
    path = str(environ.get("PATH_INFO", "") or "/")
    query = _query(environ)
    headers = frozenset(key[5:].replace("_", "-").lower() for key in environ if key.startswith("HTTP_")) | frozenset(
        key.replace("_", "-").lower() for key in ("CONTENT_TYPE", "CONTENT_LENGTH") if environ.get(key)
    )
    candidates = [route for route in _rest_routes(service) if route.matches(method, path, query, headers)]
    if not candidates:
        return None
    return max(candidates, key=lambda route: route.specificity).operation


@functools.cache
def _rest_routes(service: str) -> tuple[_Route, ...]:
    if not service:
        return ()
    import botocore.session
    from botocore.exceptions import DataNotFoundError, UnknownServiceError

    try:
        model = botocore.session.get_session().get_service_model(_MODEL_NAMES.get(service, service))
    except (UnknownServiceError, DataNotFoundError):
        return ()
    if model.protocol not in ("rest-json", "rest-xml"):
        return ()
    routes = []
    for name in model.operation_names:
        operation = model.operation_model(name)
        uri_path, _, uri_query = str(operation.http["requestUri"]).partition("?")
        pattern, literal_length = _path_pattern(uri_path)
        query: list[tuple[str, str | None]] = [
            (key, value or None) for key, _, value in (part.partition("=") for part in uri_query.split("&") if part)
        ]
        headers: list[str] = []
        shape = operation.input_shape
        for member in shape.required_members if shape is not None else ():
            location = shape.members[member].serialization
            if location.get("location") == "querystring":
                query.append((str(location.get("name", member)), None))
            elif location.get("location") == "header":
                headers.append(str(location.get("name", member)).lower())
        routes.append(
            _Route(name, str(operation.http["method"]), pattern, tuple(query), tuple(headers), literal_length)
        )
    return tuple(routes)


def _path_pattern(uri_path: str) -> tuple[re.Pattern[str], int]:
    """A regular expression for a ``requestUri`` path (``{Key+}`` spans slashes, ``{Name}`` does not)."""
    parts = []
    literal_length = 0
    for piece in re.split(r"(\{[^}]+\})", uri_path):
        if piece.startswith("{") and piece.endswith("}"):
            parts.append(".+" if piece.endswith("+}") else "[^/]+")
        else:
            parts.append(re.escape(piece))
            literal_length += len(piece)
    return re.compile("^" + "".join(parts).rstrip("/") + "/?$"), literal_length


def _query(environ: Mapping[str, Any]) -> dict[str, list[str]]:
    return parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)


def _form(environ: dict[str, Any]) -> dict[str, list[str]]:
    content_type = str(environ.get("CONTENT_TYPE", ""))
    if not content_type.startswith("application/x-www-form-urlencoded"):
        return {}
    return parse_qs(buffer_body(environ).decode("utf-8", "replace"), keep_blank_values=True)
