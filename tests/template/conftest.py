"""The SAM template, loaded and transformed offline once per session (the transform takes about 0.5 s), and the
member template the hub deploys to an organization."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from samtranslator.yaml_helper import yaml_parse
from template_support import ENDPOINTS_EGRESS, ORGANIZATION_PARAMETERS, PARAMETERS, REPO

from vpce_guard_local.sam.intrinsics import NO_VALUE, Resolver
from vpce_guard_local.sam.template import SamTemplate, TransformedTemplate

REGION = "us-east-1"
PSEUDO_PARAMETERS = {"AWS::Region": REGION, "AWS::Partition": "aws", "AWS::AccountId": "123456789012"}


def as_created(template: TransformedTemplate) -> TransformedTemplate:
    """The template as CloudFormation creates it from its parameter values in us-east-1: resources whose
    condition is false left out, and each ``Fn::If`` replaced by the branch its condition chooses
    (``AWS::NoValue`` drops the key or the list item). Other references stay as written."""
    resolver = Resolver(
        parameters=template.parameter_values_with_defaults(),
        pseudo_parameters=PSEUDO_PARAMETERS,
        conditions=template.document.get("Conditions", {}),
        resources={},
    )

    def choose(value: Any) -> Any:
        if isinstance(value, list):
            return [choose(item) for item in value if not dropped(item)]
        if not isinstance(value, dict):
            return value
        if set(value) == {"Fn::If"}:
            condition, when_true, when_false = value["Fn::If"]
            return choose(when_true if resolver.condition(condition) else when_false)
        return {key: choose(item) for key, item in value.items() if not dropped(item)}

    def dropped(value: Any) -> bool:
        return choose(value) == {"Ref": NO_VALUE} if isinstance(value, dict) else False

    resources = {
        logical_id: choose(resource)
        for logical_id, resource in template.document["Resources"].items()
        if "Condition" not in resource or resolver.condition(resource["Condition"])
    }
    document = {**template.document, "Resources": resources}
    return TransformedTemplate(document, template.root, template.code_dirs, template.parameter_values)


@pytest.fixture(scope="session")
def transformed(sam_template: SamTemplate) -> TransformedTemplate:
    """The transform's output as CloudFormation receives it: every condition and ``Fn::If`` still in it."""
    return sam_template.transform(PARAMETERS, region=REGION)


@pytest.fixture(scope="session")
def single_account(transformed: TransformedTemplate) -> TransformedTemplate:
    """What a single-account deployment creates (OrganizationId empty)."""
    return as_created(transformed)


@pytest.fixture(scope="session")
def hub_transformed(sam_template: SamTemplate) -> TransformedTemplate:
    return sam_template.transform(PARAMETERS | ORGANIZATION_PARAMETERS, region=REGION)


@pytest.fixture(scope="session")
def hub(hub_transformed: TransformedTemplate) -> TransformedTemplate:
    """What the hub of an organization creates."""
    return as_created(hub_transformed)


@pytest.fixture(scope="session")
def hub_without_security_hub(sam_template: SamTemplate) -> TransformedTemplate:
    """What the hub of an organization creates with EnableSecurityHub "false"."""
    parameters = PARAMETERS | ORGANIZATION_PARAMETERS | {"EnableSecurityHub": "false"}
    return as_created(sam_template.transform(parameters, region=REGION))


@pytest.fixture(scope="session")
def endpoints_only(sam_template: SamTemplate) -> TransformedTemplate:
    """What a single account creates with ApiEgress "endpoints"."""
    return as_created(sam_template.transform(PARAMETERS | ENDPOINTS_EGRESS, region=REGION))


@pytest.fixture(scope="session")
def hub_endpoints_only(sam_template: SamTemplate) -> TransformedTemplate:
    """What the hub of an organization creates with ApiEgress "endpoints" (in us-east-1, judging it alone)."""
    parameters = PARAMETERS | ORGANIZATION_PARAMETERS | ENDPOINTS_EGRESS | {"MemberRegions": REGION}
    return as_created(sam_template.transform(parameters, region=REGION))


@pytest.fixture(scope="session")
def member_template() -> Path:
    return REPO / "member" / "template.yaml"


@pytest.fixture(scope="session")
def member(member_template: Path) -> dict[str, Any]:
    """member/template.yaml as written."""
    document: dict[str, Any] = yaml_parse(member_template.read_text(encoding="utf-8"))
    return document
