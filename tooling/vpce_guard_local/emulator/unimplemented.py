"""Unimplemented calls fail as an AWS error, not as moto's HTML error page.

moto raises NotImplementedError for an action it lacks (and for some options of actions it has); its server
turns that into an HTML "500 Internal Server Error" page. botocore then raises a ClientError with code
``500`` for JSON services, and for EC2 fails to parse the page at all (``ResponseParserError``), while
clients in the legacy retry mode retry the 500 for seconds.

``install()`` patches moto's response base class in this process so that the call answers HTTP 501 with the
protocol's own error shape, code ``NotImplemented``. Covers every service whose moto responses go through
``BaseResponse.call_action`` (the query, EC2 and JSON protocols, and most REST ones; not S3).
"""

from __future__ import annotations

from typing import Any

from moto.core import errors
from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult, BaseResponse

from vpce_guard_local.emulator.patching import Patches

NOT_IMPLEMENTED_STATUS = 501
ERROR_CODE = "NotImplemented"


class NotImplementedByEmulator(ServiceException):
    code = ERROR_CODE


def not_implemented_answer(response: BaseResponse, error: NotImplementedError) -> tuple[int, dict[str, Any], Any]:
    """An unimplemented call answers HTTP 501 in the protocol's error shape, code ``NotImplemented``.

    AWS answers 501 ``NotImplemented`` for a request it does not implement (S3's documented common error;
    the other protocols carry the same code in their own shape: EC2 ``<Response><Errors><Error>``, query
    ``<ErrorResponse><Error>``, JSON ``{"__type": …}``), so botocore raises a ClientError whose message
    names the operation. 501 is not retried by botocore in any retry mode.
    """
    operation = _operation(response)
    message = f"{operation} is not implemented by the vpce-guard emulator (moto): {error}"
    _, headers, body = response.serialized(ActionResult(NotImplementedByEmulator(ERROR_CODE, message)))
    headers["status"] = NOT_IMPLEMENTED_STATUS
    return NOT_IMPLEMENTED_STATUS, headers, body


def _operation(response: BaseResponse) -> str:
    try:
        return str(response._get_action()) or "The operation"
    except Exception:  # the action itself may be what cannot be determined
        return "The operation"


def _call_action(self: BaseResponse) -> Any:
    try:
        return PATCHES.originals["BaseResponse.call_action"](self)
    except NotImplementedError as error:
        return not_implemented_answer(self, error)


PATCHES = Patches(((BaseResponse, "call_action", _call_action),))


def install() -> None:
    """Apply the fix to moto in this process; calling it again changes nothing."""
    PATCHES.install()
    # A code every service may answer: moto then serialises it without warning about a missing shape.
    if ERROR_CODE not in errors.COMMON_ERROR_CODES:
        errors.COMMON_ERROR_CODES.append(ERROR_CODE)
