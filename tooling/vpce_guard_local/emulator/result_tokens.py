"""Result tokens, as AWS Config hands them to a custom rule's Lambda in ``resultToken``.

In AWS the token is an opaque, encrypted string that ties a PutEvaluations call to the rule (and the
invocation) it answers. The emulator's token is opaque to callers too, but only encodes the rule name: a pure
function of it, so a test can build the event Config would send without asking the emulator. Kept free of
moto, so ``import vpce_guard_local.emulator`` stays light.
"""

from __future__ import annotations

import base64
import binascii
import json

_MARK = "vpce-guard-emulator"


def result_token_for(rule_name: str) -> str:
    """The result token Config would pass to ``rule_name``'s Lambda, as the emulator accepts it."""
    if not rule_name:
        raise ValueError("a Config rule name is required")
    payload = json.dumps({"issuer": _MARK, "configRuleName": rule_name}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode()


def rule_name_of(token: str) -> str | None:
    """The rule name a token from ``result_token_for`` encodes; None for any other string."""
    try:
        payload = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, UnicodeError, ValueError):
        return None
    if not isinstance(payload, dict) or payload.get("issuer") != _MARK:
        return None
    rule_name = payload.get("configRuleName")
    return rule_name if isinstance(rule_name, str) and rule_name else None
