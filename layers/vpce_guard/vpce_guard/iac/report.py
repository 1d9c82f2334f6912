"""How check-plan and check-template show what they judged: the findings as every command shows them, and
the checks not judged for want of facts known only after apply, which a clean report must not hide."""

from __future__ import annotations

import json
import textwrap
from itertools import groupby

from vpce_guard.iac.model import IacResult
from vpce_guard.render import findings_table


def iac_json(result: IacResult) -> str:
    """The findings in their JSON shape, and what was not judged."""
    return json.dumps(
        {
            "findings": [finding.to_dict() for finding in result.findings],
            "unknown": [unknown.to_dict() for unknown in result.unjudged],
        },
        indent=2,
    )


def iac_table(result: IacResult) -> str:
    """The findings' table, then each resource with the checks not judged on it and why."""
    lines = [findings_table(result.findings)]
    if not result.unjudged:
        return lines[0]
    lines += ["", "Not judged: facts known only after apply"]
    ordered = sorted(result.unjudged, key=lambda unknown: (unknown.resource_id, unknown.check_id))
    for resource_id, on_resource in groupby(ordered, key=lambda unknown: unknown.resource_id):
        lines.append(f"  {resource_id}")
        for unknown in on_resource:
            reasons = "; ".join(f"{fact}: {why}" for fact, why in unknown.unknown.items())
            wrapped = textwrap.wrap(reasons, 80) or [""]
            lines.append(f"    {unknown.check_id:<30} {wrapped[0]}")
            lines.extend(f"    {'':<30} {line}" for line in wrapped[1:])
    lines.append(f"{len(result.unjudged)} check(s) not judged")
    return "\n".join(lines)
