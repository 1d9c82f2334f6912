"""The AWS Price List Query API's GetProducts, which moto 5.2 lacks: it has no ``pricing`` service at all (a
request fails on moto's side with an HTML 500 page, "Unable to find appropriate backend").

What AWS documents (the API reference of GetProducts and the Billing user guide's "Price List Query API"), and
the emulator reproduces:

- JSON 1.1, target ``AWSPriceListService.GetProducts``; AWS serves it at ``api.pricing.us-east-1``,
  ``eu-central-1`` and ``ap-south-1`` (``cn-northwest-1`` for China): here, on the emulator's one port;
- ``ServiceCode`` is required; each filter's ``Field`` is ``ServiceCode`` or an attribute name (``regionCode``,
  ``usagetype``, ``location``, ``productFamily``, ...), and a product is returned when it matches every filter;
  ``TERM_MATCH`` and ``EQUALS`` match the value exactly (whether AWS folds case is not documented);
- the answer is ``{"FormatVersion": "aws_v1", "PriceList": [...], "NextToken": ...}``, each PriceList entry a
  JSON document *in a string*: ``{"product": {"productFamily", "attributes", "sku"}, "serviceCode",
  "terms": {"OnDemand": {term: {"priceDimensions": {rate: {"unit", "beginRange", "endRange",
  "pricePerUnit": {"USD": "0.0100000000"}, ...}}, "effectiveDate", ...}}}, "version", "publicationDate"}``
  (AWS's example response of GetProducts shows one);
- ``MaxResults`` is 1 to 100 (here 100 when absent), ``NextToken`` continues; a token the API did not issue is
  ``InvalidNextTokenException``, a wrong parameter ``InvalidParameterException`` (HTTP 400).

The products are those a test seeds (``seed_price_list``, through the control path); a reset forgets them.
Filter types ``CONTAINS``, ``ANY_OF`` and ``NONE_OF``, and the API's other operations, answer 501
``NotImplemented``, as the emulator answers every call it lacks (``unimplemented``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from wsgiref.types import WSGIEnvironment

from werkzeug.wrappers import Request, Response

from vpce_guard_local.emulator.paging import offset_token, token_offset
from vpce_guard_local.emulator.unimplemented import ERROR_CODE, NOT_IMPLEMENTED_STATUS

TARGET_PREFIX = "AWSPriceListService."
GET_PRODUCTS = "GetProducts"
FORMAT_VERSION = "aws_v1"
MAX_RESULTS = 100
EXACT_FILTERS = ("TERM_MATCH", "EQUALS")
FILTER_TYPES = (*EXACT_FILTERS, "CONTAINS", "ANY_OF", "NONE_OF")
CONTENT_TYPE = "application/x-amz-json-1.1"

_TOKEN_PREFIX = "vpce-guard-price-list:"
_products: list[dict[str, Any]] = []
_lock = threading.Lock()


def is_price_list_request(environ: WSGIEnvironment) -> bool:
    return str(environ.get("HTTP_X_AMZ_TARGET", "")).startswith(TARGET_PREFIX)


def seed_price_list(entries: Iterable[Any]) -> int:
    """Add ``entries`` (PriceList entries as AWS shapes them, decoded) to what GetProducts answers from; returns
    how many it holds. Raises ValueError naming the first entry that lacks what every AWS entry has, adding
    none of them."""
    checked = [_checked_entry(index, entry) for index, entry in enumerate(entries)]
    with _lock:
        _products.extend(checked)
        return len(_products)


def forget_price_list() -> None:
    with _lock:
        _products.clear()


def answer(environ: WSGIEnvironment) -> Response:
    """The answer to one Price List request, in the JSON 1.1 protocol's shape."""
    operation = str(environ.get("HTTP_X_AMZ_TARGET", "")).removeprefix(TARGET_PREFIX)
    if operation != GET_PRODUCTS:
        return _error(NOT_IMPLEMENTED_STATUS, ERROR_CODE, f"{operation} is not implemented by the vpce-guard emulator")
    try:
        body = json.loads(Request(environ).get_data() or b"{}")
        if not isinstance(body, dict):
            raise InvalidParameter("the request body must be a JSON object")
        return _json(200, get_products(body))
    except ValueError as error:  # a body that is not JSON
        return _error(400, "InvalidParameterException", f"the request is not JSON: {error}")
    except InvalidParameter as error:
        return _error(400, "InvalidParameterException", str(error))
    except InvalidNextToken as error:
        return _error(400, "InvalidNextTokenException", str(error))
    except FilterNotImplemented as error:
        return _error(NOT_IMPLEMENTED_STATUS, ERROR_CODE, str(error))


class InvalidParameter(Exception):
    pass


class InvalidNextToken(Exception):
    pass


class FilterNotImplemented(Exception):
    pass


def get_products(request: Mapping[str, Any]) -> dict[str, Any]:
    """GetProducts: the seeded products of ``ServiceCode`` that match every filter, a page at a time."""
    service_code = request.get("ServiceCode")
    if not isinstance(service_code, str) or not service_code:
        raise InvalidParameter("ServiceCode is required")
    if request.get("FormatVersion", FORMAT_VERSION) != FORMAT_VERSION:
        raise InvalidParameter(f"FormatVersion must be {FORMAT_VERSION}")
    size = request.get("MaxResults", MAX_RESULTS)
    if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= MAX_RESULTS:
        raise InvalidParameter(f"MaxResults must be a whole number from 1 to {MAX_RESULTS}")
    filters = _filters(request.get("Filters", []))
    with _lock:
        matching = [entry for entry in _products if entry["serviceCode"] == service_code and _matches(entry, filters)]
    start = 0
    if "NextToken" in request:
        offset = token_offset(_TOKEN_PREFIX, str(request["NextToken"]))
        if offset is None:
            raise InvalidNextToken("the NextToken was not issued by this API")
        start = offset
    page = matching[start : start + size]
    answer: dict[str, Any] = {
        "FormatVersion": FORMAT_VERSION,
        "PriceList": [json.dumps(entry, separators=(",", ":")) for entry in page],
    }
    if start + size < len(matching):
        answer["NextToken"] = offset_token(_TOKEN_PREFIX, start + size)
    return answer


def _filters(raw: Any) -> list[tuple[str, str]]:
    """(field, value) of each filter; exact filters only."""
    if not isinstance(raw, list):
        raise InvalidParameter("Filters must be a list")
    filters = []
    for item in raw:
        if not isinstance(item, dict) or not all(isinstance(item.get(key), str) for key in ("Type", "Field", "Value")):
            raise InvalidParameter("each filter needs Type, Field and Value, all strings")
        if item["Type"] not in FILTER_TYPES:
            raise InvalidParameter(f"filter Type {item['Type']!r} is not one of {', '.join(FILTER_TYPES)}")
        if item["Type"] not in EXACT_FILTERS:
            raise FilterNotImplemented(
                f"filter Type {item['Type']} is not implemented by the vpce-guard emulator (only "
                f"{' and '.join(EXACT_FILTERS)})"
            )
        filters.append((item["Field"], item["Value"]))
    return filters


def _matches(entry: Mapping[str, Any], filters: Sequence[tuple[str, str]]) -> bool:
    product = entry["product"]
    for name, value in filters:
        found = entry["serviceCode"] if name == "ServiceCode" else product["attributes"].get(name, product.get(name))
        if found != value:
            return False
    return True


def _checked_entry(index: int, entry: Any) -> dict[str, Any]:
    where = f"entry {index}"
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: a PriceList entry is a JSON object")
    product = entry.get("product")
    if not isinstance(entry.get("serviceCode"), str) or not isinstance(product, dict):
        raise ValueError(f"{where}: needs serviceCode (a string) and product (an object)")
    if not isinstance(product.get("sku"), str) or not isinstance(product.get("attributes"), dict):
        raise ValueError(f"{where}: product needs sku (a string) and attributes (an object)")
    if not isinstance(entry.get("terms"), dict):
        raise ValueError(f"{where}: needs terms (an object), e.g. {{'OnDemand': {{...}}}}")
    copied: dict[str, Any] = json.loads(json.dumps(entry))  # a copy of its own, JSON all the way down
    return copied


def _json(status: int, payload: Mapping[str, Any]) -> Response:
    return Response(json.dumps(payload), status=status, content_type=CONTENT_TYPE)


def _error(status: int, code: str, message: str) -> Response:
    return _json(status, {"__type": code, "Message": message})
