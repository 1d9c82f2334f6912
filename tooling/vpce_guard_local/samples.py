"""The sample trigger events in ``events/``, as AWS sends them: the one loader for the tests, the demo and the
local run, which also retargets a sample at resources that exist (the samples tell a story with fixed ids).

The samples live in the repository, beside the template, not in the package: this module reads them from the
clone the local tooling runs from (``in_checkout``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from vpce_guard_local import CHECKOUT, in_checkout

EVENTS_DIR = CHECKOUT / "events"
# The ids of the samples' story (events/README.md), for retargeting at resources that exist.
SAMPLE_ACCOUNT = "111122223333"
SAMPLE_VPC = "vpc-07c11c05dff7b9c8f"
SAMPLE_SUBNETS = ("subnet-0c5f96e75c454fa23", "subnet-0d827923c76e6b5d1")
SAMPLE_NEW_SUBNET = "subnet-07fa2dd80f7a7e06d"
SAMPLE_ENDPOINT = "vpce-09a4cbd787f6c813e"
SAMPLE_GATEWAY = "vpce-0be559c854d6e2aad"
SAMPLE_GROUP = "sg-07c1c400911d31690"
SAMPLE_GATEWAY_TABLE = "rtb-09f51f7f7c0fa6316"
SAMPLE_NEW_TABLE = "rtb-039aae99aca8f3b30"
SAMPLE_NETWORK_ACL = "acl-0a3c6f1e2b9d84c57"


def load_event(name: str) -> dict[str, Any]:
    """The event ``events/<name>.json`` (``name`` without the extension), as a fresh dict each call."""
    path = in_checkout("events") / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(
            f"no sample event {name!r}: {path} does not exist (samples: {', '.join(event_names())})"
        )
    event: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return event


def event_names() -> list[str]:
    """The names of every sample event, sorted."""
    return sorted(path.stem for path in in_checkout("events").glob("*.json"))


def retarget(event: Mapping[str, Any], ids: Mapping[str, str]) -> dict[str, Any]:
    """A copy of ``event`` with ids of the samples' story (resource ids, the account) replaced by real ones,
    wherever they stand: in ARNs and in the JSON strings Config events nest, too."""
    text = json.dumps(event)
    for sample_id, real_id in ids.items():
        text = text.replace(sample_id, real_id)
    retargeted: dict[str, Any] = json.loads(text)
    return retargeted
