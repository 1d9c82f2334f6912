"""check-template: the checks on a CloudFormation template (YAML short or long form, JSON, SAM), its
intrinsics resolved where the template and the flags settle them, the rest reported as not judged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sarif_support import assert_code_scanning_fields, valid_sarif
from template_support import PARAMETERS, REPO

from vpce_guard.checks import CHECKS, CheckSettings
from vpce_guard.cli import main
from vpce_guard.iac import template as template_reader
from vpce_guard.iac.model import CHECK_FACTS, IacError, IacResult, judge
from vpce_guard.iac.template import read_template

ACCOUNT_ID = "123456789012"
CHECKS_BEFORE_DEPLOY = [CHECKS[check_id] for check_id in CHECK_FACTS]
# A VPC with a subnet in each of two zones (by Fn::GetAZs), and a bedrock-runtime endpoint in both.
TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  PrivateDns:
    Type: String
    Default: "true"
  Subnets:
    Type: String
    AllowedValues: [one, two]
    Default: two
Conditions:
  TwoSubnets: !Equals [!Ref Subnets, two]
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: 10.30.0.0/16
      EnableDnsSupport: true
      EnableDnsHostnames: true
  SubnetA:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: !Ref Vpc
      CidrBlock: 10.30.0.0/24
      AvailabilityZone: !Select [0, !GetAZs ""]
  SubnetB:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: !Ref Vpc
      CidrBlock: 10.30.1.0/24
      AvailabilityZone: !Select [1, !GetAZs ""]
  EndpointGroup:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: HTTPS from the VPC
      VpcId: !Ref Vpc
      SecurityGroupIngress:
        - IpProtocol: tcp
          FromPort: 443
          ToPort: 443
          CidrIp: !GetAtt Vpc.CidrBlock
  BedrockEndpoint:
    Type: AWS::EC2::VPCEndpoint
    Properties:
      VpcEndpointType: Interface
      VpcId: !Ref Vpc
      ServiceName: !Sub com.amazonaws.${AWS::Region}.bedrock-runtime
      PrivateDnsEnabled: !Ref PrivateDns
      SubnetIds: !If [TwoSubnets, [!Ref SubnetA, !Ref SubnetB], [!Ref SubnetA]]
      SecurityGroupIds: [!GetAtt EndpointGroup.GroupId]
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: "*"
            Action: [bedrock:InvokeModel, bedrock:InvokeModelWithResponseStream]
            Resource: "*"
            Condition:
              StringEquals:
                aws:PrincipalAccount: !Ref AWS::AccountId
"""


def checked(path: Path, **parameters: str) -> IacResult:
    iac = read_template(path, parameters=parameters, region="us-east-1", account_id=ACCOUNT_ID)
    return judge(iac, CheckSettings(), CHECKS_BEFORE_DEPLOY)


def written(tmp_path: Path, text: str = TEMPLATE, name: str = "template.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def found(result: IacResult) -> list[tuple[str, str]]:
    return [(finding.check_id, finding.resource_id) for finding in result.findings]


def test_vpce_guards_own_template_passes(capsys: pytest.CaptureFixture[str]) -> None:
    """Every endpoint the stack creates, as deployed with every option on: no finding. What reads the VPC,
    its subnets and route tables (given by id, not in the template) is not judged; the rest all is."""
    arguments = ["check-template", str(REPO / "template.yaml"), "--region", "us-east-1", "--account-id", ACCOUNT_ID]
    arguments += [f"--parameter={key}={value}" for key, value in PARAMETERS.items()]

    code = main([*arguments, "--format", "json", "--fail-on", "LOW"])

    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert report["findings"] == []
    judged_everywhere = {"private-dns-disabled", "policy-any-principal", "policy-wildcard-action",
                         "policy-foreign-principal", "policy-any-resource", "sg-open-to-world"}  # fmt: skip
    assert not judged_everywhere & {unknown["check_id"] for unknown in report["unknown"]}
    facts = {item["fact"] for unknown in report["unknown"] for item in unknown["unknown"]}
    assert facts <= {"VPC", "subnets", "VPC contents", "route tables"}


def test_the_member_template_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-template", str(REPO / "member" / "template.yaml"), "--format", "json", "--fail-on", "LOW"]) == 0
    assert json.loads(capsys.readouterr().out) == {"findings": [], "unknown": []}


def test_a_template_as_written_is_judged_whole(tmp_path: Path) -> None:
    result = checked(written(tmp_path))

    assert result.findings == []
    assert result.unjudged == []
    endpoint = result.iac.facts.endpoints[0]
    assert (endpoint.vpc_id, endpoint.subnet_ids, endpoint.security_group_ids) == (
        "Vpc",
        ("SubnetA", "SubnetB"),
        ("EndpointGroup",),
    )


def test_a_parameter_turns_private_dns_off(tmp_path: Path) -> None:
    assert found(checked(written(tmp_path), PrivateDns="false")) == [("private-dns-disabled", "BedrockEndpoint")]


def test_a_condition_leaving_one_subnet_in_one_zone_is_found(tmp_path: Path) -> None:
    result = checked(written(tmp_path), Subnets="one")

    assert found(result) == [("az-coverage", "BedrockEndpoint")]
    assert result.findings[0].evidence["missing_zone_ids"] == ["zone 2 of us-east-1"]


def test_a_full_access_policy_is_found(tmp_path: Path) -> None:
    text = TEMPLATE[: TEMPLATE.index("      PolicyDocument:")]

    result = checked(written(tmp_path, text))

    assert sorted(found(result)) == [
        ("policy-any-principal", "BedrockEndpoint"),
        ("policy-wildcard-action", "BedrockEndpoint"),
    ]


def test_the_long_form_in_json_reads_as_the_short_form_in_yaml(tmp_path: Path) -> None:
    long_form = template_reader._parse(TEMPLATE, tmp_path / "short.yaml")[0]
    path = written(tmp_path, json.dumps(long_form, indent=2), "template.json")

    assert found(checked(path, PrivateDns="false")) == [("private-dns-disabled", "BedrockEndpoint")]


def test_a_parameter_without_a_value_leaves_what_it_decides_unknown(tmp_path: Path) -> None:
    text = TEMPLATE.replace('    Type: String\n    Default: "true"', "    Type: String")

    result = checked(written(tmp_path))
    unknown = checked(written(tmp_path, text))

    assert result.unjudged == []
    assert {u.check_id for u in unknown.unjudged} == {
        "private-dns-disabled",
        "vpc-dns-disabled",
        "s3-interface-bypasses-gateway",
    }
    assert unknown.unjudged[0].unknown == {
        "private DNS": "parameter PrivateDns has no value: give --parameter PrivateDns=VALUE"
    }


def test_sarif_points_at_the_endpoints_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    written(tmp_path)

    main(["check-template", "template.yaml", "--region", "us-east-1", "--parameter", "PrivateDns=false",
          "--format", "sarif"])  # fmt: skip

    log = valid_sarif(capsys.readouterr().out)
    assert_code_scanning_fields(log, in_files=True)
    (result,) = [r for r in log["runs"][0]["results"] if r["ruleId"] == "private-dns-disabled"]
    location = result["locations"][0]
    assert location["physicalLocation"]["region"] == {
        "startLine": TEMPLATE.splitlines().index("  BedrockEndpoint:") + 1
    }
    assert location["logicalLocations"][0]["name"] == "BedrockEndpoint"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Description: no resources\n", "is not a CloudFormation template: it has no Resources section"),
        ("Resources: [unclosed\n", "is not valid YAML"),
        ('{"Resources": ', "is not valid JSON"),
    ],
)
def test_a_file_that_is_not_a_template_exits_2_naming_what_is_wrong(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    assert main(["check-template", str(written(tmp_path, text))]) == 2
    assert message in capsys.readouterr().err


def test_a_parameter_the_template_does_not_declare_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-template", str(written(tmp_path)), "--parameter", "Nope=1"]) == 2
    assert "declares no parameter Nope" in capsys.readouterr().err


def test_a_yaml_template_without_pyyaml_says_which_extra_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = template_reader.importlib.util.find_spec
    monkeypatch.setattr(
        template_reader.importlib.util, "find_spec", lambda name: None if name == "yaml" else real(name)
    )

    with pytest.raises(IacError, match=r"pip install 'vpce-guard\[iac\]'"):
        read_template(written(tmp_path))


# A network ACL on SubnetA denying HTTPS from anywhere: nacl-blocks-https finds it when the template says so.
ACL = """\
  EndpointAcl:
    Type: AWS::EC2::NetworkAcl
    Properties:
      VpcId: !Ref Vpc
  DenyHttps:
    Type: AWS::EC2::NetworkAclEntry
    Properties:
      NetworkAclId: !Ref EndpointAcl
      RuleNumber: 100
      Protocol: 6
      RuleAction: deny
      CidrBlock: 0.0.0.0/0
      PortRange: {From: 443, To: 443}
  AclOfSubnetA:
    Type: AWS::EC2::SubnetNetworkAclAssociation
    Properties:
      NetworkAclId: !Ref EndpointAcl
      SubnetId: !Ref SubnetA
"""
# A parameter without a value and the condition it leaves unknown.
UNSETTLED = (
    "Conditions:\n",
    '  Strict:\n    Type: String\nConditions:\n  StrictAcl: !Equals [!Ref Strict, "yes"]\n',
)


def with_acl(tmp_path: Path, *edits: tuple[str, str]) -> IacResult:
    text = TEMPLATE.replace("Resources:\n", "Resources:\n" + ACL)
    for old, new in edits:
        assert old in text
        text = text.replace(old, new)
    return checked(written(tmp_path, text))


def nacl_unjudged(result: IacResult) -> dict[str, str]:
    (unknown,) = [u for u in result.unjudged if u.check_id == "nacl-blocks-https"]
    return dict(unknown.unknown)


def test_a_network_acl_denying_https_is_found(tmp_path: Path) -> None:
    result = with_acl(tmp_path)

    assert found(result) == [("nacl-blocks-https", "BedrockEndpoint")]
    assert result.unjudged == []


def test_an_acl_entry_whose_range_is_known_only_at_deploy_leaves_the_acl_unjudged(tmp_path: Path) -> None:
    result = with_acl(tmp_path, ("CidrBlock: 0.0.0.0/0", "CidrBlock: !ImportValue SharedRange"))

    assert found(result) == []
    assert nacl_unjudged(result) == {"VPC contents": "DenyHttps: Fn::ImportValue is resolved only at deploy"}


def test_an_acl_association_whose_subnet_is_known_only_at_deploy_leaves_the_acl_unjudged(tmp_path: Path) -> None:
    result = with_acl(tmp_path, ("SubnetId: !Ref SubnetA", "SubnetId: !ImportValue SharedSubnet"))

    assert found(result) == []
    assert nacl_unjudged(result) == {"VPC contents": "AclOfSubnetA: Fn::ImportValue is resolved only at deploy"}


@pytest.mark.parametrize("resource", ["DenyHttps", "AclOfSubnetA", "EndpointAcl"])
def test_an_acl_resource_whose_condition_is_unknown_leaves_the_acl_unjudged(tmp_path: Path, resource: str) -> None:
    conditional = (f"  {resource}:\n", f"  {resource}:\n    Condition: StrictAcl\n")

    result = with_acl(tmp_path, UNSETTLED, conditional)

    assert found(result) == []
    assert nacl_unjudged(result) == {
        "VPC contents": f"whether {resource} is created is known only at deploy "
        "(parameter Strict has no value: give --parameter Strict=VALUE)"
    }


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("CidrBlock: 0.0.0.0/0", "CidrBlock: 10.0.0.0/33", "DenyHttps: '10.0.0.0/33' is not a CidrBlock"),
        ("RuleNumber: 100", "RuleNumber: first", "DenyHttps: RuleNumber 'first' is not a number"),
        ("{From: 443, To: 443}", "{From: https}", "DenyHttps: PortRange {'From': 'https'} is not From and To"),
    ],
)
def test_an_acl_entry_aws_would_refuse_exits_2_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, message: str
) -> None:
    text = TEMPLATE.replace("Resources:\n", "Resources:\n" + ACL).replace(old, new)

    assert main(["check-template", str(written(tmp_path, text)), "--region", "us-east-1"]) == 2
    assert f"network ACL entry {message}" in capsys.readouterr().err


def test_an_endpoint_whose_condition_is_unknown_has_every_check_unjudged(tmp_path: Path) -> None:
    """It may never exist: what its group, subnets or ACL would do to it is not a finding, nor a pass."""
    result = with_acl(tmp_path, UNSETTLED, ("  BedrockEndpoint:\n", "  BedrockEndpoint:\n    Condition: StrictAcl\n"))

    assert found(result) == []
    assert {u.check_id for u in result.unjudged} == {
        check_id for check_id, needs in CHECK_FACTS.items() if "Interface" in needs.endpoint_types
    }
    assert set(nacl_unjudged(result).values()) == {
        "whether BedrockEndpoint is created is known only at deploy "
        "(parameter Strict has no value: give --parameter Strict=VALUE)"
    }


def test_fail_on_unknown_fails_ci_on_a_check_it_gates_on_that_is_not_judged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = TEMPLATE.replace("Resources:\n", "Resources:\n" + ACL).replace(
        "SubnetId: !Ref SubnetA", "SubnetId: !ImportValue S"
    )
    path = str(written(tmp_path, text))
    arguments = ["check-template", path, "--region", "us-east-1", "--account-id", ACCOUNT_ID]

    assert main([*arguments, "--fail-on", "MEDIUM"]) == 0
    assert main([*arguments, "--fail-on", "MEDIUM", "--fail-on-unknown"]) == 1
    assert main([*arguments, "--fail-on", "CRITICAL", "--fail-on-unknown"]) == 0


def test_fail_on_unknown_without_fail_on_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-template", str(written(tmp_path)), "--fail-on-unknown"]) == 2
    assert "--fail-on-unknown goes with --fail-on" in capsys.readouterr().err
