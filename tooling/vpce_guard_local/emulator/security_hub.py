"""Security Hub's BatchImportFindings as AWS applies it to findings under an account's default product.

moto 5.2 imports any finding into the caller's account and overwrites every field of a finding imported again.
AWS (its BatchImportFindings reference) differs where the notifier depends on it:

- under an account's default product (``product/<account>/default``), a finding is taken only from that
  account and only about it: a finding whose ``ProductArn`` names another account's default product, or whose
  ``AwsAccountId`` is not the caller's account, fails the whole request, HTTP 403 ``AccessDeniedException``
  "... is not authorized to perform: securityhub:BatchImportFindings on resource: <product>" (AWS names the
  caller's principal; here, the caller's account). So a hub cannot import the findings of a member account;
- once a finding exists, BatchImportFindings does not change its ``Workflow``, ``Note``, ``UserDefinedFields``
  or ``VerificationState``, which belong to the security team (BatchUpdateFindings); the rest is replaced.

Findings under other products (a partner's, allow-listed by AWS) are imported as moto imports them.
``install()`` patches moto's Security Hub backend in this process.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from moto.securityhub.exceptions import SecurityHubClientError
from moto.securityhub.models import SecurityHubBackend

from vpce_guard_local.emulator.patching import Patches

# Fields of an existing finding that only its customer changes.
CUSTOMER_FIELDS = ("Workflow", "Note", "UserDefinedFields", "VerificationState")
DEFAULT_PRODUCT = re.compile(r"^arn:[\w-]+:securityhub:[\w-]+:(?P<account>\d{12}):product/(?P<owner>\d{12})/default$")


class AccessDeniedException(SecurityHubClientError):
    code = "AccessDeniedException"


def _batch_import_findings(
    self: SecurityHubBackend, findings: list[dict[str, Any]]
) -> tuple[int, int, list[dict[str, Any]]]:
    for finding in findings:
        _require_own_account(self.account_id, finding)
    existing = {finding.id: dict(finding.data) for finding in self.findings}
    result: tuple[int, int, list[dict[str, Any]]] = PATCHES.originals["SecurityHubBackend.batch_import_findings"](
        self, findings
    )
    _keep_customer_fields(self, existing)
    return result


def _require_own_account(caller: str, finding: Mapping[str, Any]) -> None:
    product = str(finding.get("ProductArn", ""))
    default = DEFAULT_PRODUCT.match(product)
    if default is None:
        return
    if {default["account"], default["owner"], str(finding.get("AwsAccountId"))} != {caller}:
        raise AccessDeniedException(
            f"Account {caller} is not authorized to perform: securityhub:BatchImportFindings on resource: {product}"
        )


def _keep_customer_fields(backend: SecurityHubBackend, before: Mapping[str, Mapping[str, Any]]) -> None:
    for finding in backend.findings:
        earlier = before.get(finding.id)
        if earlier is None:
            continue
        for field in CUSTOMER_FIELDS:
            if field in earlier:
                finding.data[field] = earlier[field]
            else:
                finding.data.pop(field, None)


PATCHES = Patches(((SecurityHubBackend, "batch_import_findings", _batch_import_findings),))


def install() -> None:
    """Apply the fixes to moto's Security Hub in this process; calling it again changes nothing."""
    PATCHES.install()
