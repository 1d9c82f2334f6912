"""Security Hub's BatchImportFindings and GetFindings over HTTP, as AWS applies them to findings under an
account's default product: taken only from that account and about it; imported again, replaced but for the
fields the security team owns."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from vpce_guard_local.emulator import Emulator

pytestmark = pytest.mark.server

ACCOUNT = "123456789012"
MEMBER = "210987654321"
REGION = "us-east-1"


def product(account: str = ACCOUNT) -> str:
    return f"arn:aws:securityhub:{REGION}:{account}:product/{account}/default"


def finding(finding_id: str = "vpce-guard/f1", **fields: Any) -> dict[str, Any]:
    return {
        "SchemaVersion": "2018-10-08",
        "Id": finding_id,
        "ProductArn": product(),
        "GeneratorId": "private-dns-disabled",
        "AwsAccountId": ACCOUNT,
        "CreatedAt": "2026-03-01T09:00:00.000Z",
        "UpdatedAt": "2026-03-01T09:00:00.000Z",
        "Title": "Interface endpoint has private DNS disabled",
        "Description": "Private DNS is off.",
        "Severity": {"Label": "HIGH"},
        "Resources": [{"Type": "Other", "Id": f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc-endpoint/vpce-0123456789abcdef0"}],
        **fields,
    }


def findings_of(securityhub: Any) -> dict[str, dict[str, Any]]:
    return {found["Id"]: found for found in securityhub.get_findings()["Findings"]}


def test_a_finding_of_the_callers_account_is_imported_and_found(aws: Emulator) -> None:
    securityhub = aws.client("securityhub", REGION)

    reply = securityhub.batch_import_findings(Findings=[finding()])

    assert (reply["SuccessCount"], reply["FailedCount"]) == (1, 0)
    assert findings_of(securityhub)["vpce-guard/f1"]["Title"] == "Interface endpoint has private DNS disabled"


def test_a_finding_imported_again_is_replaced_not_added(aws: Emulator) -> None:
    securityhub = aws.client("securityhub", REGION)
    securityhub.batch_import_findings(Findings=[finding()])

    securityhub.batch_import_findings(Findings=[finding(RecordState="ARCHIVED", UpdatedAt="2026-03-01T09:20:00.000Z")])

    (only,) = findings_of(securityhub).values()
    assert (only["RecordState"], only["UpdatedAt"]) == ("ARCHIVED", "2026-03-01T09:20:00.000Z")


def test_the_workflow_set_at_creation_is_not_changed_by_an_import(aws: Emulator) -> None:
    securityhub = aws.client("securityhub", REGION)
    securityhub.batch_import_findings(Findings=[finding(Workflow={"Status": "NEW"})])

    securityhub.batch_import_findings(Findings=[finding(Workflow={"Status": "SUPPRESSED"})])

    assert findings_of(securityhub)["vpce-guard/f1"]["Workflow"] == {"Status": "NEW"}


def test_a_finding_about_another_account_is_refused_with_the_whole_request(aws: Emulator) -> None:
    securityhub = aws.client("securityhub", REGION)

    with pytest.raises(ClientError) as refused:
        securityhub.batch_import_findings(Findings=[finding("vpce-guard/f2"), finding(AwsAccountId=MEMBER)])

    error = refused.value.response
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == ("AccessDeniedException", 403)
    assert f"securityhub:BatchImportFindings on resource: {product()}" in error["Error"]["Message"]
    assert findings_of(securityhub) == {}


def test_a_finding_under_another_accounts_default_product_is_refused(aws: Emulator) -> None:
    securityhub = aws.client("securityhub", REGION)

    with pytest.raises(ClientError, match="AccessDeniedException"):
        securityhub.batch_import_findings(Findings=[finding(ProductArn=product(MEMBER), AwsAccountId=MEMBER)])


def test_each_account_imports_its_own_findings_into_its_own_security_hub(aws: Emulator) -> None:
    hub = aws.client("securityhub", REGION)
    member = aws.client("securityhub", REGION, account_id=MEMBER)

    member.batch_import_findings(Findings=[finding(ProductArn=product(MEMBER), AwsAccountId=MEMBER)])

    assert list(findings_of(member)) == ["vpce-guard/f1"]
    assert findings_of(hub) == {}
