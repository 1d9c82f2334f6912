"""``vpce-guard local up``: the template's resources, created in a running emulator from the transformed template.

Everything is created from the transformed template's own properties, with its intrinsics resolved to the
local physical values, so what the tests exercise is the template, not a copy of it:

- the network the parameters name: unless given, a VPC (DNS support and hostnames on) with a private subnet
  and its own route table in each of two zones stands for the existing VPC;
- DynamoDB tables (keys, indexes, stream, encryption; TTL through UpdateTimeToLive and point-in-time
  recovery through UpdateContinuousBackups, as CloudFormation does), SQS queues and their policies, IAM roles
  with their inline policies, the layer, the functions (moto stores them; their code runs locally, see
  ``runtime``) with their asynchronous invocation settings and log groups, Lambda permissions, the Config
  rule, CloudWatch alarms, security groups and VPC endpoints;
- EventBridge rules with the template's patterns and schedules; each rule's function target is replaced by
  an SQS queue that stands for the function, since the emulator cannot invoke Lambdas (``router`` reads it);
- SNS topics, their policies and their subscriptions;
- DynamoDB stream event source mappings, recorded in the stack file and not created in the emulator: moto
  would invoke the function (in Docker) on every write to the table. ``local drain`` delivers the stream's
  records to the function instead (``streams``).

What the emulator cannot hold is listed in the stack file's ``not_created`` with the reason (AWS managed
policies, which moto does not load; resources whose condition is false).
"""

from __future__ import annotations

import io
import json
import os
import secrets
import string
import threading
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from vpce_guard.aws import CALL_ERRORS
from vpce_guard_local.sam.intrinsics import PhysicalResource, Resolver, TemplateReferenceError, references
from vpce_guard_local.sam.members import MOTO_SKIPS, deploy_member_stack_set
from vpce_guard_local.sam.stack import (
    LOOPBACK_HOSTS,
    LocalConfigRule,
    LocalEventRule,
    LocalFunction,
    LocalOrganization,
    LocalQueueSource,
    LocalRunError,
    LocalStack,
    LocalStreamSource,
)
from vpce_guard_local.sam.template import (
    DEFAULT_REGION,
    FUNCTION,
    TEMPLATE_FILE_NAME,
    SamTemplate,
    TemplateError,
    TransformedTemplate,
    get_att_target,
    load_yaml,
)

STACK_NAME = "vpce-guard-local"
LOCAL_VPC_CIDR = "10.80.0.0/16"
LOCAL_VPC_ZONES = 2
NETWORK_PARAMETERS = ("VpcId", "SubnetIds", "RouteTableIds")
INTERFACE_ENDPOINTS_PARAMETER = "CreateInterfaceEndpoints"
_PLACEHOLDER_CODE = (
    "def handler(event, context):\n"
    "    raise RuntimeError('vpce-guard runs this function locally: vpce-guard local send EVENT.json')\n"
)


def local_up(
    template: SamTemplate,
    endpoint_url: str,
    *,
    region: str | None = None,
    stack_name: str = STACK_NAME,
    parameters: Mapping[str, str] | None = None,
    create_interface_endpoints: bool | None = None,
    stack_file: Path | None = None,
    organization_members: int = 0,
) -> LocalStack:
    """Create the template's resources in the emulator at ``endpoint_url``; write and return the local stack.

    ``parameters`` are template parameter values (strings, lists comma-separated, as ``sam deploy`` takes
    them); the network parameters default to a VPC created here. With ``organization_members``, the emulator
    first hosts an organization of that many member accounts in one OU, managed by the emulator's account,
    and the stack is deployed as its hub: the member stacks go to every member (OrganizationId,
    OrganizationalUnitIds and MemberRegions default to that organization, its OU and this region, and
    RemediationEnabled to true, so that an enforced finding is fixed in the member). Raises
    LocalRunError when the emulator does not answer or the endpoint is not on this machine, TemplateError for
    a template that cannot be deployed.
    """
    require_loopback(endpoint_url)
    region = region or os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or DEFAULT_REGION
    clients = EmulatorClients(endpoint_url, region)
    account_id = clients.account_id()
    values = dict(parameters or {})
    if organization_members:
        from vpce_guard_local.emulator.organization import host_organization

        organization = host_organization(clients("organizations"), organization_members)
        values.setdefault("OrganizationId", organization.id)
        values.setdefault("OrganizationalUnitIds", organization.ou_id)
        values.setdefault("MemberRegions", region)
        # The local organization shows the whole loop, the member's fix included: its remediation role is made.
        values.setdefault("RemediationEnabled", "true")
    if create_interface_endpoints is not None:
        values[INTERFACE_ENDPOINTS_PARAMETER] = "true" if create_interface_endpoints else "false"
    values.update(_network(clients, values, region, stack_name))
    transformed = template.transform(values, region)
    source = str(template.path or template.root / TEMPLATE_FILE_NAME)
    stack = _Deployer(transformed, clients, stack_name, region, account_id, source).run()
    if stack_file is not None:
        stack.save(stack_file)
    return stack


def create_table(dynamodb: Any, name: str, properties: Mapping[str, Any]) -> dict[str, Any]:
    """A table exactly as an AWS::DynamoDB::Table declares it (TTL and point-in-time recovery are separate
    calls, as in AWS); returns its description. Tests build their tables from the template through this."""
    request: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "KeySchema": properties["KeySchema"],
        "BillingMode": properties.get("BillingMode", "PROVISIONED"),
    }
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes", "ProvisionedThroughput"):
        if key in properties:
            request[key] = properties[key]
    stream = properties.get("StreamSpecification")
    if stream:
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
    sse = properties.get("SSESpecification")
    if sse:
        request["SSESpecification"] = {
            "Enabled": _truthy(sse.get("SSEEnabled")),
            **({"SSEType": sse["SSEType"]} if "SSEType" in sse else {}),
            **({"KMSMasterKeyId": sse["KMSMasterKeyId"]} if "KMSMasterKeyId" in sse else {}),
        }
    dynamodb.create_table(**request)
    ttl = properties.get("TimeToLiveSpecification")
    if ttl and _truthy(ttl.get("Enabled")):
        dynamodb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]}
        )
    recovery = properties.get("PointInTimeRecoverySpecification")
    if recovery and _truthy(recovery.get("PointInTimeRecoveryEnabled")):
        dynamodb.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
    table: dict[str, Any] = dynamodb.describe_table(TableName=name)["Table"]
    return table


def require_loopback(endpoint_url: str) -> None:
    """The local run talks to the emulator on this machine only, never to an AWS account."""
    host = urlparse(endpoint_url).hostname or ""
    if host not in LOOPBACK_HOSTS and not host.startswith("127."):
        raise LocalRunError(
            f"{endpoint_url} is not the local emulator: the local run talks to 127.0.0.1 only. Start one with "
            "`vpce-guard emulator` and give its URL (--endpoint-url or AWS_ENDPOINT_URL)."
        )


class EmulatorClients:
    """boto3 clients for the emulator, with fake credentials whatever the caller's environment holds."""

    def __init__(
        self, endpoint_url: str, region: str, access_key_id: str = "LOCAL-deploy", account_id: str | None = None
    ) -> None:
        self.endpoint_url = endpoint_url
        self.region = region
        self._access_key_id = access_key_id
        self._account_id = account_id  # acting in another account (a member's), as its administrator would
        self._clients: dict[str, Any] = {}

    def __call__(self, service: str) -> Any:
        if service not in self._clients:
            from vpce_guard_local.emulator import CLIENT_CONFIG

            with _SESSION_LOCK:  # a boto3 session is not safe to make clients from in several threads at once
                client = _shared_session().client(
                    service,
                    region_name=self.region,
                    endpoint_url=self.endpoint_url,
                    aws_access_key_id=self._access_key_id,
                    aws_secret_access_key="local",
                    aws_session_token="local",
                    config=CLIENT_CONFIG,
                )
            if self._account_id is not None:
                from vpce_guard_local.emulator import naming_account

                client.meta.events.register("before-sign", naming_account(self._account_id))
            self._clients[service] = client
        return self._clients[service]

    def account_id(self) -> str:
        """The emulator's account; also proves it answers."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return str(self("sts").get_caller_identity()["Account"])
        except (BotoCoreError, ClientError) as error:
            raise LocalRunError(
                f"no emulator answers at {self.endpoint_url} ({error}): start one with `vpce-guard emulator` and "
                "export the AWS_ENDPOINT_URL it prints (or give --endpoint-url)"
            ) from error


_SESSION_LOCK = threading.Lock()


@cache
def _shared_session() -> Any:
    """One boto3 session for the process: a session loads each service's model once (0.1-0.4 s each). It
    ignores AWS_PROFILE, which may name a profile this machine lacks; clients get their credentials."""
    import boto3
    import botocore.session

    return boto3.session.Session(
        botocore_session=botocore.session.Session(session_vars={"profile": (None, None, None, None)})
    )


def _network(clients: EmulatorClients, values: Mapping[str, str], region: str, stack_name: str) -> dict[str, str]:
    """The network parameters: as given, or a VPC with private subnets in two zones created to stand for them."""
    given = [name for name in NETWORK_PARAMETERS if values.get(name)]
    if given and len(given) != len(NETWORK_PARAMETERS):
        missing = ", ".join(name for name in NETWORK_PARAMETERS if name not in given)
        raise LocalRunError(f"give all of {', '.join(NETWORK_PARAMETERS)} or none (missing: {missing})")
    if given:
        return {name: values[name] for name in NETWORK_PARAMETERS}
    from vpce_guard_local.estate import EstateBuilder

    vpc = EstateBuilder(clients("ec2"), region).vpc(
        LOCAL_VPC_CIDR, zones=LOCAL_VPC_ZONES, public_subnet=False, name=f"{stack_name}-vpc"
    )
    return {
        "VpcId": vpc.id,
        "SubnetIds": ",".join(vpc.private_subnet_ids),
        "RouteTableIds": ",".join(vpc.private_route_table_ids),
    }


Handler = Callable[[str, dict[str, Any], dict[str, Any]], PhysicalResource]


@dataclass
class _Deployer:
    template: TransformedTemplate
    clients: EmulatorClients
    stack_name: str
    region: str
    account_id: str
    source: str
    resources: dict[str, PhysicalResource] = field(default_factory=dict)
    not_created: dict[str, str] = field(default_factory=dict)
    functions: dict[str, LocalFunction] = field(default_factory=dict)
    event_rules: dict[str, LocalEventRule] = field(default_factory=dict)
    config_rules: dict[str, LocalConfigRule] = field(default_factory=dict)
    stream_sources: dict[str, LocalStreamSource] = field(default_factory=dict)
    queue_sources: dict[str, LocalQueueSource] = field(default_factory=dict)
    organization: LocalOrganization | None = None
    # A member stack: only these resource types (what moto's CloudFormation skipped), and the hub's functions
    # by ARN, which its Config rules name as literal ARNs.
    only_types: frozenset[str] | None = None
    hub_functions: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.suffix = "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(8))
        self.parameters = self.template.parameter_values_with_defaults()
        self.resolver = Resolver(
            parameters=self.parameters,
            pseudo_parameters={
                "AWS::AccountId": self.account_id,
                "AWS::Region": self.region,
                "AWS::Partition": "aws",
                "AWS::URLSuffix": "amazonaws.com",
                "AWS::StackName": self.stack_name,
                "AWS::StackId": f"arn:aws:cloudformation:{self.region}:{self.account_id}:stack/{self.stack_name}/local",
                "AWS::NotificationARNs": [],
            },
            conditions=self.template.document.get("Conditions", {}),
            resources=self.resources,
        )
        self.handlers: dict[str, Handler] = {
            "AWS::SQS::Queue": self._queue,
            "AWS::SQS::QueuePolicy": self._queue_policy,
            "AWS::DynamoDB::Table": self._table,
            "AWS::IAM::Role": self._role,
            "AWS::Lambda::LayerVersion": self._layer,
            "AWS::Lambda::Function": self._function,
            "AWS::Lambda::Permission": self._permission,
            "AWS::Lambda::EventInvokeConfig": self._event_invoke_config,
            "AWS::Logs::LogGroup": self._log_group,
            "AWS::Events::Rule": self._event_rule,
            "AWS::Events::EventBus": self._event_bus,
            "AWS::Events::EventBusPolicy": self._event_bus_policy,
            "AWS::CloudFormation::StackSet": self._stack_set,
            "AWS::Config::ConfigRule": self._config_rule,
            "AWS::CloudWatch::Alarm": self._alarm,
            "AWS::EC2::SecurityGroup": self._security_group,
            "AWS::EC2::SecurityGroupIngress": self._security_group_ingress,
            "AWS::EC2::SecurityGroupEgress": self._security_group_egress,
            "AWS::EC2::VPCEndpoint": self._vpc_endpoint,
            "AWS::SNS::Topic": self._topic,
            "AWS::SNS::TopicPolicy": self._topic_policy,
            "AWS::SSM::Parameter": self._parameter,
            "AWS::SNS::Subscription": self._subscription,
            "AWS::Lambda::EventSourceMapping": self._event_source_mapping,
            "AWS::KMS::Key": self._kms_key,
            "AWS::KMS::Alias": self._kms_alias,
        }

    def run(self) -> LocalStack:
        declared = self.template.resources()
        for logical_id in creation_order(declared):
            resource = declared[logical_id]
            if self.only_types is not None and resource["Type"] not in self.only_types:
                continue
            condition = resource.get("Condition")
            if condition is not None and not self.resolver.condition(condition):
                self.not_created[logical_id] = f"condition {condition} is false"
                continue
            handler = self.handlers.get(resource["Type"])
            if handler is None:
                self.not_created[logical_id] = f"the emulator has no stand-in for {resource['Type']}"
                continue
            raw = resource.get("Properties", {})
            try:
                properties = self.resolver.resolve(raw)
                self.resources[logical_id] = handler(logical_id, properties, raw)
            except TemplateReferenceError as error:
                raise TemplateError(f"{logical_id}: {error}") from error
            except CALL_ERRORS as error:
                raise LocalRunError(
                    f"creating {logical_id} ({resource['Type']}) in the emulator failed: {error}"
                ) from error
        return LocalStack(
            endpoint_url=self.clients.endpoint_url,
            region=self.region,
            account_id=self.account_id,
            stack_name=self.stack_name,
            template=self.source,
            parameters=self.parameters,
            resources=dict(self.resources),
            functions=self.functions,
            event_rules=self.event_rules,
            config_rules=self.config_rules,
            stream_sources=self.stream_sources,
            queue_sources=self.queue_sources,
            not_created=self.not_created,
            organization=self.organization,
        )

    def _name(self, logical_id: str, limit: int) -> str:
        """A physical name as CloudFormation makes one: stack, logical id and a random suffix, within limit."""
        head = f"{self.stack_name}-{logical_id}"[: limit - len(self.suffix) - 1]
        return f"{head}-{self.suffix}"

    def _arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account_id}:{resource}"

    # SQS -------------------------------------------------------------------------------------------------
    def _queue(self, logical_id: str, properties: dict[str, Any], raw: dict[str, Any]) -> PhysicalResource:
        name = str(properties.pop("QueueName", None) or self._name(logical_id, 80))
        properties.pop("Tags", None)
        attributes = {key: _attribute(value) for key, value in properties.items()}
        sqs = self.clients("sqs")
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return PhysicalResource("AWS::SQS::Queue", url, {"Arn": arn, "QueueName": name, "QueueUrl": url})

    def _queue_policy(self, logical_id: str, properties: dict[str, Any], raw: dict[str, Any]) -> PhysicalResource:
        policy = json.dumps(properties["PolicyDocument"])
        for url in properties["Queues"]:
            self.clients("sqs").set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})
        return PhysicalResource("AWS::SQS::QueuePolicy", self._name(logical_id, 128))

    # DynamoDB --------------------------------------------------------------------------------------------
    def _table(self, logical_id: str, properties: dict[str, Any], raw: dict[str, Any]) -> PhysicalResource:
        name = str(properties.get("TableName") or self._name(logical_id, 255))
        table = create_table(self.clients("dynamodb"), name, properties)
        attributes = {"Arn": table["TableArn"]}
        if "LatestStreamArn" in table:
            attributes["StreamArn"] = table["LatestStreamArn"]
        return PhysicalResource("AWS::DynamoDB::Table", name, attributes)

    # IAM and Lambda --------------------------------------------------------------------------------------
    def _role(self, logical_id: str, properties: dict[str, Any], raw: dict[str, Any]) -> PhysicalResource:
        iam = self.clients("iam")
        name = str(properties.get("RoleName") or self._name(logical_id, 64))
        role = iam.create_role(
            RoleName=name,
            Path=properties.get("Path", "/"),
            AssumeRolePolicyDocument=json.dumps(properties["AssumeRolePolicyDocument"]),
        )["Role"]
        for policy in properties.get("Policies", []):
            # SAM writes the policy of an event source's on-failure queue without a Version, which IAM reads
            # as the 2008-10-17 language and moto refuses; its statements (no policy variables) read the
            # same in 2012-10-17.
            document = {"Version": "2012-10-17", **policy["PolicyDocument"]}
            iam.put_role_policy(RoleName=name, PolicyName=policy["PolicyName"], PolicyDocument=json.dumps(document))
        managed = [str(arn) for arn in properties.get("ManagedPolicyArns", [])]
        if managed:
            self.not_created[f"{logical_id}.ManagedPolicyArns"] = (
                f"not attached, the emulator holds no AWS managed policies: {', '.join(managed)}"
            )
        return PhysicalResource("AWS::IAM::Role", name, {"Arn": role["Arn"], "RoleId": role["RoleId"]})

    def _layer(self, logical_id: str, properties: dict[str, Any], raw: dict[str, Any]) -> PhysicalResource:
        request = {
            "LayerName": str(properties.get("LayerName") or self._name(logical_id, 140)),
            "Content": {"ZipFile": _placeholder_zip()},
        }
        for key in ("Description", "CompatibleRuntimes", "CompatibleArchitectures", "LicenseInfo"):
            if key in properties:
                request[key] = properties[key]
        arn = self.clients("lambda").publish_layer_version(**request)["LayerVersionArn"]
        return PhysicalResource("AWS::Lambda::LayerVersion", arn, {"LayerVersionArn": arn})

    def _function(self, logical_id: str, properties: dict[str, Any], raw: dict[str, Any]) -> PhysicalResource:
        """Stored in the emulator with placeholder code; ``local send`` runs the real code from CodeUri."""
        spec = self.template.function(logical_id)
        if spec.code_dir is None:
            raise TemplateError(f"{logical_id}: its code is not a local directory, so it cannot run locally")
        name = str(properties.get("FunctionName") or self._name(logical_id, 64))
        environment = {
            key: _env_value(value) for key, value in properties.get("Environment", {}).get("Variables", {}).items()
        }
        request: dict[str, Any] = {
            "FunctionName": name,
            "Role": properties["Role"],
            "Code": {"ZipFile": _placeholder_zip()},
            "Environment": {"Variables": environment},
        }
        for key in (
            "Runtime", "Handler", "Description", "Timeout", "MemorySize", "Layers", "Architectures",
            "TracingConfig", "DeadLetterConfig", "VpcConfig", "LoggingConfig",
        ):  # fmt: skip
            if key in properties:
                request[key] = properties[key]
        lambda_ = self.clients("lambda")
        arn = lambda_.create_function(**request)["FunctionArn"]
        if "ReservedConcurrentExecutions" in properties:
            lambda_.put_function_concurrency(
                FunctionName=name, ReservedConcurrentExecutions=int(properties["ReservedConcurrentExecutions"])
            )
        self.functions[logical_id] = LocalFunction(
            logical_id=logical_id,
            name=name,
            arn=arn,
            handler=spec.handler,
            runtime=spec.runtime,
            timeout=spec.timeout,
            memory_size=spec.memory_size,
            code_dir=str(spec.code_dir),
            layer_dirs=tuple(str(path) for path in spec.layer_dirs),
            environment=environment,
        )
        from vpce_guard_local.emulator import register_function_session

        # Lambda runs a function with a session of its execution role: the emulator's trust checks see that role.
        register_function_session(
            self.clients.endpoint_url, self.functions[logical_id].access_key_id, str(properties["Role"])
        )
        return PhysicalResource(FUNCTION, name, {"Arn": arn})

    def _permission(self, logical_id: str, properties: dict[str, Any], raw: dict[str, Any]) -> PhysicalResource:
        request = {
            "FunctionName": properties["FunctionName"],
            "StatementId": logical_id,
            "Action": properties["Action"],
            "Principal": properties["Principal"],
        }
        for key in ("SourceArn", "SourceAccount", "EventSourceToken", "PrincipalOrgID"):
            if key in properties:
                request[key] = properties[key]
        self.clients("lambda").add_permission(**request)
        return PhysicalResource("AWS::Lambda::Permission", logical_id)

    def _event_invoke_config(
        self, logical_id: str, properties: dict[str, Any], raw: dict[str, Any]
    ) -> PhysicalResource:
        request: dict[str, Any] = {key: properties[key] for key in ("FunctionName", "Qualifier") if key in properties}
        for key in ("MaximumEventAgeInSeconds", "MaximumRetryAttempts"):
            if key in properties:
                request[key] = int(properties[key])
        self.clients("lambda").put_function_event_invoke_config(**request)
        return PhysicalResource("AWS::Lambda::EventInvokeConfig", logical_id)

    def _log_group(self, logical_id: str, properties: dict[str, Any], raw: dict[str, Any]) -> PhysicalResource:
        name = str(properties.get("LogGroupName") or f"/{self._name(logical_id, 512)}")
        logs = self.clients("logs")
        logs.create_log_group(logGroupName=name)
        if "RetentionInDays" in properties:
            logs.put_retention_policy(logGroupName=name, retentionInDays=int(properties["RetentionInDays"]))
        return PhysicalResource("AWS::Logs::LogGroup", name, {"Arn": self._arn("logs", f"log-group:{name}:*")})

    def _event_source_mapping(
        self, logical_id: str, properties: dict[str, Any], raw: dict[str, Any]
    ) -> PhysicalResource:
        """A DynamoDB stream or SQS queue mapping, kept for ``local drain``; other sources have no stand-in."""
        source_arn = str(properties["EventSourceArn"])
        function = get_att_target(raw.get("FunctionName"))
        if function not in self.functions:
            raise TemplateError(f"{logical_id}: its function is not one of the template's functions")
        if source_arn.startswith("arn:aws:sqs:"):
            self.queue_sources[logical_id] = LocalQueueSource(
                logical_id=logical_id,
                function=function,
                queue_url=self._queue_url_of(source_arn),
                queue_arn=source_arn,
                batch_size=int(properties.get("BatchSize", 10)),
                report_batch_item_failures="ReportBatchItemFailures" in properties.get("FunctionResponseTypes", []),
            )
            return PhysicalResource("AWS::Lambda::EventSourceMapping", f"local-{logical_id}")
        if ":dynamodb:" not in source_arn or "/stream/" not in source_arn:
            raise TemplateError(f"{logical_id}: only DynamoDB stream and SQS event sources run locally ({source_arn})")
        destination = properties.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        self.stream_sources[logical_id] = LocalStreamSource(
            logical_id=logical_id,
            function=function,
            stream_arn=source_arn,
            batch_size=int(properties.get("BatchSize", 100)),
            report_batch_item_failures="ReportBatchItemFailures" in properties.get("FunctionResponseTypes", []),
            bisect_on_error=_truthy(properties.get("BisectBatchOnFunctionError", False)),
            maximum_retry_attempts=int(properties.get("MaximumRetryAttempts", -1)),
            on_failure_queue_url=self._queue_url_of(str(destination)) if destination else None,
        )
        return PhysicalResource("AWS::Lambda::EventSourceMapping", f"local-{logical_id}")

    def _queue_url_of(self, queue_arn: str) -> str:
        queue = next((r for r in self.resources.values() if r.attributes.get("Arn") == queue_arn), None)
        if queue is None or queue.type != "AWS::SQS::Queue":
            raise TemplateError(f"{queue_arn} is not a queue of the template")
        return str(queue.ref)

    def _kms_key(self, logical_id: str, properties: dict[str, Any], raw: dict[str, Any]) -> PhysicalResource:
        request: dict[str, Any] = {
            key: properties[key] for key in ("Description", "KeySpec", "KeyUsage") if key in properties
        }
        if "KeyPolicy" in properties:
            request["Policy"] = json.dumps(properties["KeyPolicy"])
        key = self.clients("kms").create_key(**request)["KeyMetadata"]
        return PhysicalResource("AWS::KMS::Key", key["KeyId"], {"Arn": key["Arn"], "KeyId": key["KeyId"]})

    def _kms_alias(self, logical_id: str, properties: dict[str, Any], raw: dict[str, Any]) -> PhysicalResource:
        name = str(properties["AliasName"])
        self.clients("kms").create_alias(AliasName=name, TargetKeyId=str(properties["TargetKeyId"]))
        return PhysicalResource("AWS::KMS::Alias", name)

    # SNS -------------------------------------------------------------------------------------------------
    def _parameter(self, logical_id: str, properties: dict[str, Any], raw: dict[str, Any]) -> PhysicalResource:
        name = str(properties.get("Name") or f"/{self._name(logical_id, 1000)}")
        self.clients("ssm").put_parameter(
            Name=name, Value=str(properties["Value"]), Type=str(properties.get("Type", "String")), Overwrite=True
        )
        return PhysicalResource("AWS::SSM::Parameter", name)

    def _topic(self, logical_id: str, properties: dict[str, Any], raw: dict[str, Any]) -> PhysicalResource:
        name = str(properties.get("TopicName") or self._name(logical_id, 256))
        attributes = {key: str(properties[key]) for key in ("DisplayName", "KmsMasterKeyId") if key in properties}
        arn = str(self.clients("sns").create_topic(Name=name, Attributes=attributes)["TopicArn"])
        return PhysicalResource("AWS::SNS::Topic", arn, {"TopicArn": arn, "TopicName": name})

    def _topic_policy(self, logical_id: str, properties: dict[str, Any], raw: dict[str, Any]) -> PhysicalResource:
        policy = json.dumps(properties["PolicyDocument"])
        for topic_arn in properties["Topics"]:
            self.clients("sns").set_topic_attributes(TopicArn=topic_arn, AttributeName="Policy", AttributeValue=policy)
        return PhysicalResource("AWS::SNS::TopicPolicy", self._name(logical_id, 128))

    def _subscription(self, logical_id: str, properties: dict[str, Any], raw: dict[str, Any]) -> PhysicalResource:
        arn = self.clients("sns").subscribe(
            TopicArn=properties["TopicArn"],
            Protocol=properties["Protocol"],
            Endpoint=properties["Endpoint"],
            ReturnSubscriptionArn=True,
        )["SubscriptionArn"]
        return PhysicalResource("AWS::SNS::Subscription", str(arn))

    # EventBridge and Config ------------------------------------------------------------------------------
    def _event_rule(self, logical_id: str, properties: dict[str, Any], raw: dict[str, Any]) -> PhysicalResource:
        """The rule as declared; a function target becomes a queue standing for the function."""
        events = self.clients("events")
        name = str(properties.get("Name") or self._name(logical_id, 64))
        request: dict[str, Any] = {"Name": name, "State": properties.get("State", "ENABLED")}
        pattern = properties.get("EventPattern")
        if pattern is not None:
            request["EventPattern"] = pattern if isinstance(pattern, str) else json.dumps(pattern)
        if "ScheduleExpression" in properties:
            request["ScheduleExpression"] = properties["ScheduleExpression"]
        for key in ("Description", "EventBusName"):
            if key in properties:
                request[key] = properties[key]
        arn = events.put_rule(**request)["RuleArn"]
        targets = []
        for raw_target, target in zip(raw.get("Targets", []), properties.get("Targets", []), strict=True):
            function = get_att_target(raw_target.get("Arn"))
            if function in self.functions:
                queue = self._queue(f"{logical_id}Target", {}, {})
                target = {**target, "Arn": queue.attributes["Arn"]}
                self.event_rules[logical_id] = LocalEventRule(
                    logical_id=logical_id,
                    name=name,
                    arn=arn,
                    function=function,
                    queue_url=str(queue.ref),
                    event_pattern=json.loads(request["EventPattern"]) if "EventPattern" in request else None,
                    schedule=request.get("ScheduleExpression"),
                )
            targets.append(target)
        if targets:
            bus = {"EventBusName": request["EventBusName"]} if "EventBusName" in request else {}
            events.put_targets(Rule=name, Targets=targets, **bus)
        return PhysicalResource("AWS::Events::Rule", name, {"Arn": arn})

    def _event_bus(self, logical_id: str, properties: dict[str, Any], raw: dict[str, Any]) -> PhysicalResource:
        name = str(properties["Name"])
        arn = self.clients("events").create_event_bus(Name=name)["EventBusArn"]
        return PhysicalResource("AWS::Events::EventBus", name, {"Arn": arn, "Name": name})

    def _event_bus_policy(self, logical_id: str, properties: dict[str, Any], raw: dict[str, Any]) -> PhysicalResource:
        statement = {"Sid": properties["StatementId"], **properties["Statement"]}
        policy = {"Version": "2012-10-17", "Statement": [statement]}
        self.clients("events").put_permission(EventBusName=properties["EventBusName"], Policy=json.dumps(policy))
        return PhysicalResource("AWS::Events::EventBusPolicy", str(properties["StatementId"]))

    def _stack_set(self, logical_id: str, properties: dict[str, Any], raw: dict[str, Any]) -> PhysicalResource:
        """The member stacks through moto's CloudFormation, in every account of the target OUs and region; what
        moto's CloudFormation skips (Config rules) is created in each member here, from the same template."""
        template_path = Path(self.source).parent / str(properties["TemplateURL"])
        if not template_path.is_file():
            raise TemplateError(f"{logical_id}: TemplateURL {properties['TemplateURL']} is not a local file")
        parameters = {str(p["ParameterKey"]): str(p["ParameterValue"]) for p in properties.get("Parameters", [])}
        groups = properties.get("StackInstancesGroup", [])
        units = [unit for group in groups for unit in group["DeploymentTargets"].get("OrganizationalUnitIds", [])]
        regions = list(dict.fromkeys(region for group in groups for region in group["Regions"]))
        name = str(properties.get("StackSetName") or self._name(logical_id, 128))
        stacks = deploy_member_stack_set(
            self.clients("cloudformation"), parameters, units, regions, name=name, template=template_path
        )
        member_template = TransformedTemplate(
            load_yaml(template_path), template_path.parent, parameter_values=parameters
        )
        hub_functions = {function.arn: function.logical_id for function in self.functions.values()}
        for stack in stacks:
            member = _Deployer(
                member_template,
                EmulatorClients(self.clients.endpoint_url, stack.region, account_id=stack.account_id),
                stack_name=f"StackSet-{name}",
                region=stack.region,
                account_id=stack.account_id,
                source=str(template_path),
                only_types=MOTO_SKIPS,
                hub_functions=hub_functions,
            ).run()
            self.config_rules.update(
                {f"{stack.account_id}/{stack.region}/{key}": rule for key, rule in member.config_rules.items()}
            )
        self.organization = LocalOrganization(
            id=parameters.get("OrganizationId", ""),
            management_account_id=self.account_id,
            member_account_ids=tuple(sorted({stack.account_id for stack in stacks})),
            organizational_unit_ids=tuple(units),
            member_regions=tuple(regions),
        )
        return PhysicalResource("AWS::CloudFormation::StackSet", name, {"StackSetId": name})

    def _config_rule(self, logical_id: str, properties: dict[str, Any], raw: dict[str, Any]) -> PhysicalResource:
        config = self.clients("config")
        rule = {key: value for key, value in properties.items() if key not in ("Compliance", "EvaluationModes")}
        rule.setdefault("ConfigRuleName", self._name(logical_id, 128))
        if isinstance(rule.get("InputParameters"), dict):
            rule["InputParameters"] = json.dumps(rule["InputParameters"])
        config.put_config_rule(ConfigRule=rule)
        (described,) = config.describe_config_rules(ConfigRuleNames=[rule["ConfigRuleName"]])["ConfigRules"]
        target = get_att_target(raw.get("Source", {}).get("SourceIdentifier"))
        function = (
            target if target in self.functions else self.hub_functions.get(str(rule["Source"].get("SourceIdentifier")))
        )
        if rule.get("Source", {}).get("Owner") == "CUSTOM_LAMBDA" and function is not None:
            self.config_rules[logical_id] = LocalConfigRule(
                logical_id=logical_id,
                name=described["ConfigRuleName"],
                arn=described["ConfigRuleArn"],
                rule_id=described["ConfigRuleId"],
                function=function,
                message_types=tuple(detail["MessageType"] for detail in rule["Source"].get("SourceDetails", [])),
                resource_types=tuple(rule.get("Scope", {}).get("ComplianceResourceTypes", [])),
                account_id=self.account_id,
            )
        return PhysicalResource(
            "AWS::Config::ConfigRule",
            described["ConfigRuleName"],
            {"Arn": described["ConfigRuleArn"], "ConfigRuleId": described["ConfigRuleId"]},
        )

    def _alarm(self, logical_id: str, properties: dict[str, Any], raw: dict[str, Any]) -> PhysicalResource:
        request = dict(properties)
        request["AlarmName"] = str(request.get("AlarmName") or self._name(logical_id, 255))
        for key in ("Threshold",):
            if key in request:
                request[key] = float(request[key])
        for key in ("Period", "EvaluationPeriods", "DatapointsToAlarm"):
            if key in request:
                request[key] = int(request[key])
        self.clients("cloudwatch").put_metric_alarm(**request)
        arn = self._arn("cloudwatch", f"alarm:{request['AlarmName']}")
        return PhysicalResource("AWS::CloudWatch::Alarm", request["AlarmName"], {"Arn": arn})

    # EC2 -------------------------------------------------------------------------------------------------
    def _security_group(self, logical_id: str, properties: dict[str, Any], raw: dict[str, Any]) -> PhysicalResource:
        """As CloudFormation does: declared egress rules replace the default allow-all egress."""
        ec2 = self.clients("ec2")
        group_id = str(
            ec2.create_security_group(
                GroupName=str(properties.get("GroupName") or self._name(logical_id, 255)),
                Description=properties["GroupDescription"],
                VpcId=properties["VpcId"],
            )["GroupId"]
        )
        ingress = properties.get("SecurityGroupIngress", [])
        if ingress:
            ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=_permissions(ingress, "Source"))
        egress = properties.get("SecurityGroupEgress")
        if egress is not None:
            ec2.revoke_security_group_egress(
                GroupId=group_id, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
            )
            if egress:
                ec2.authorize_security_group_egress(GroupId=group_id, IpPermissions=_permissions(egress, "Destination"))
        return PhysicalResource(
            "AWS::EC2::SecurityGroup", group_id, {"GroupId": group_id, "VpcId": properties["VpcId"]}
        )

    def _security_group_ingress(
        self, logical_id: str, properties: dict[str, Any], raw: dict[str, Any]
    ) -> PhysicalResource:
        group_id = properties["GroupId"]
        self.clients("ec2").authorize_security_group_ingress(
            GroupId=group_id, IpPermissions=_permissions([properties], "Source")
        )
        return PhysicalResource("AWS::EC2::SecurityGroupIngress", logical_id)

    def _security_group_egress(
        self, logical_id: str, properties: dict[str, Any], raw: dict[str, Any]
    ) -> PhysicalResource:
        group_id = properties["GroupId"]
        self.clients("ec2").authorize_security_group_egress(
            GroupId=group_id, IpPermissions=_permissions([properties], "Destination")
        )
        return PhysicalResource("AWS::EC2::SecurityGroupEgress", logical_id)

    def _vpc_endpoint(self, logical_id: str, properties: dict[str, Any], raw: dict[str, Any]) -> PhysicalResource:
        request: dict[str, Any] = {
            "VpcEndpointType": properties.get("VpcEndpointType", "Gateway"),
            "VpcId": properties["VpcId"],
            "ServiceName": properties["ServiceName"],
            "TagSpecifications": [
                {
                    "ResourceType": "vpc-endpoint",
                    "Tags": [
                        {"Key": "Name", "Value": f"{self.stack_name}-{logical_id}"},
                        {"Key": "vpce-guard:local-logical-id", "Value": logical_id},
                    ],
                }
            ],
        }
        for key in ("SubnetIds", "SecurityGroupIds", "RouteTableIds", "PrivateDnsEnabled"):
            if key in properties:
                request[key] = properties[key]
        policy = properties.get("PolicyDocument")
        if policy is not None:
            request["PolicyDocument"] = policy if isinstance(policy, str) else json.dumps(policy)
        endpoint = self.clients("ec2").create_vpc_endpoint(**request)["VpcEndpoint"]
        endpoint_id = endpoint["VpcEndpointId"]
        return PhysicalResource(
            "AWS::EC2::VPCEndpoint",
            endpoint_id,
            {
                "Id": endpoint_id,
                "NetworkInterfaceIds": endpoint.get("NetworkInterfaceIds", []),
                "DnsEntries": [entry.get("DnsName", "") for entry in endpoint.get("DnsEntries", [])],
                "CreationTimestamp": str(endpoint.get("CreationTimestamp", "")),
            },
        )


def creation_order(resources: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Logical ids with every resource after the ones it refers to (Ref, GetAtt, Sub, DependsOn), otherwise in
    template order. A cycle is an error, as in CloudFormation."""
    needs: dict[str, set[str]] = {}
    for logical_id, resource in resources.items():
        depends_on = resource.get("DependsOn", [])
        named = set(references(resource.get("Properties", {}))) | set(
            [depends_on] if isinstance(depends_on, str) else depends_on
        )
        needs[logical_id] = {name for name in named if name in resources and name != logical_id}
    order: list[str] = []
    done: set[str] = set()
    while len(order) < len(resources):
        ready = [logical_id for logical_id in resources if logical_id not in done and needs[logical_id] <= done]
        if not ready:
            stuck = sorted(set(resources) - done)
            raise TemplateError(f"circular references between {', '.join(stuck)}")
        order += ready
        done.update(ready)
    return order


def _permissions(rules: Iterable[Mapping[str, Any]], direction: str) -> list[dict[str, Any]]:
    """CloudFormation security group rules as EC2 IpPermissions (``direction``: Source or Destination)."""
    permissions = []
    for rule in rules:
        permission: dict[str, Any] = {"IpProtocol": str(rule["IpProtocol"])}
        for key in ("FromPort", "ToPort"):
            if key in rule:
                permission[key] = int(rule[key])
        description = {"Description": rule["Description"]} if "Description" in rule else {}
        if "CidrIp" in rule:
            permission["IpRanges"] = [{"CidrIp": rule["CidrIp"], **description}]
        if "CidrIpv6" in rule:
            permission["Ipv6Ranges"] = [{"CidrIpv6": rule["CidrIpv6"], **description}]
        group = rule.get(f"{direction}SecurityGroupId")
        if group:
            permission["UserIdGroupPairs"] = [{"GroupId": group, **description}]
        prefix_list = rule.get(f"{direction}PrefixListId")
        if prefix_list:
            permission["PrefixListIds"] = [{"PrefixListId": prefix_list, **description}]
        permissions.append(permission)
    return permissions


def _placeholder_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", _PLACEHOLDER_CODE)
    return buffer.getvalue()


def _attribute(value: Any) -> str:
    """A queue attribute as SQS takes it: a string (JSON for policies)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def _env_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    return str(value)


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"
