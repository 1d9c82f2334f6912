"""template.yaml, transformed offline into the CloudFormation that ``sam deploy`` would send, and read back.

The transform is aws-sam-translator's own, run without AWS: the region comes from
AWS_DEFAULT_REGION, local CodeUri/ContentUri paths are first rewritten to ``s3://`` URIs as ``sam package``
would (and mapped back to the local directories afterwards), and the managed-policy loader answers with an
empty map, since the template names no managed policy (SAM's own ARNs need no lookup).

The helpers read what the local run and the template tests need from the transformed template: resources,
each function's environment and IAM policy statements, EventBridge rules, the Config rule's scope.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from vpce_guard.iac.template import parameter_value
from vpce_guard_local.sam.intrinsics import NO_VALUE, Resolver

TEMPLATE_FILE_NAME = "template.yaml"
LOCAL_CODE_BUCKET = "vpce-guard-local-code"
DEFAULT_REGION = "us-east-1"

FUNCTION = "AWS::Lambda::Function"
LAYER = "AWS::Lambda::LayerVersion"
ROLE = "AWS::IAM::Role"
EVENT_RULE = "AWS::Events::Rule"
CONFIG_RULE = "AWS::Config::ConfigRule"
_SAM_FUNCTION = "AWS::Serverless::Function"
_SAM_LAYER = "AWS::Serverless::LayerVersion"


class TemplateError(ValueError):
    """The template cannot be read or transformed; the message says what and where."""


def find_template(start: Path | None = None) -> Path:
    """template.yaml in ``start`` (default: the working directory) or the nearest directory above it."""
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        candidate = directory / TEMPLATE_FILE_NAME
        if candidate.is_file():
            return candidate
    raise TemplateError(f"no {TEMPLATE_FILE_NAME} in {here} or above it: run from the vpce-guard repository")


@dataclass(frozen=True)
class SamTemplate:
    """The SAM template as written, with the directory its CodeUri and ContentUri paths are relative to."""

    document: dict[str, Any]
    root: Path
    path: Path | None = None

    @classmethod
    def load(cls, path: Path | None = None) -> SamTemplate:
        path = (path or find_template()).resolve()
        return cls(load_yaml(path), path.parent, path)

    def copy(self) -> SamTemplate:
        """A deep copy, to change in a test without touching the original."""
        return SamTemplate(copy.deepcopy(self.document), self.root, self.path)

    @property
    def resources(self) -> dict[str, Any]:
        resources: dict[str, Any] = self.document["Resources"]
        return resources

    def transform(self, parameters: Mapping[str, str] | None = None, region: str | None = None) -> TransformedTemplate:
        """The CloudFormation template ``sam deploy`` would create, with these parameter values."""
        from samtranslator.model.exceptions import InvalidDocumentException
        from samtranslator.translator.transform import transform

        document, code_dirs = self._packaged()
        values = dict(parameters or {})
        with _region(region or os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or DEFAULT_REGION):
            try:
                transformed = transform(document, values, _NoManagedPolicies())
            except InvalidDocumentException as error:
                causes = "; ".join(cause.message for cause in error.causes)
                raise TemplateError(f"SAM transform failed: {causes}") from error
        return TransformedTemplate(transformed, self.root, _code_dirs_after_transform(transformed, code_dirs), values)

    def _packaged(self) -> tuple[dict[str, Any], dict[str, Path]]:
        """A copy with local code paths as ``s3://`` URIs (as ``sam package`` leaves them), and the map back."""
        document = copy.deepcopy(self.document)
        code_dirs: dict[str, Path] = {}
        code_keys = {_SAM_FUNCTION: "CodeUri", _SAM_LAYER: "ContentUri"}
        locations = [(document.get("Globals", {}).get("Function", {}), "CodeUri")] + [
            (resource.get("Properties", {}), code_keys[resource["Type"]])
            for resource in document["Resources"].values()
            if resource.get("Type") in code_keys
        ]
        for properties, key in locations:
            location = properties.get(key)
            if not isinstance(location, str) or location.startswith("s3://"):
                continue
            relative = PurePosixPath(Path(location).as_posix().rstrip("/"))
            uri_key = str(relative)
            properties[key] = f"s3://{LOCAL_CODE_BUCKET}/{uri_key}"
            code_dirs[uri_key] = (self.root / relative).resolve()
        return document, code_dirs


@dataclass(frozen=True)
class FunctionSpec:
    """One function of the transformed template, with where its code and layers live on this machine."""

    logical_id: str
    properties: Mapping[str, Any]
    code_dir: Path | None
    layer_dirs: tuple[Path, ...]

    @property
    def handler(self) -> str:
        return str(self.properties.get("Handler", ""))

    @property
    def runtime(self) -> str:
        return str(self.properties.get("Runtime", ""))

    @property
    def timeout(self) -> int:
        value = self.properties.get("Timeout", 3)
        return int(value) if isinstance(value, int | str) else 3

    @property
    def memory_size(self) -> int:
        value = self.properties.get("MemorySize", 128)
        return int(value) if isinstance(value, int | str) else 128

    @property
    def role_logical_id(self) -> str | None:
        return get_att_target(self.properties.get("Role"))


@dataclass(frozen=True)
class EventRuleSpec:
    """An EventBridge rule of the template that targets a function: a pattern, or a schedule."""

    logical_id: str
    function: str
    properties: Mapping[str, Any]

    @property
    def event_pattern(self) -> Any:
        return self.properties.get("EventPattern")

    @property
    def schedule(self) -> Any:
        return self.properties.get("ScheduleExpression")


@dataclass(frozen=True)
class ConfigRuleSpec:
    """A custom Lambda Config rule: which function it invokes, for which message and resource types."""

    logical_id: str
    function: str
    properties: Mapping[str, Any]

    @property
    def message_types(self) -> tuple[str, ...]:
        details = self.properties.get("Source", {}).get("SourceDetails", [])
        return tuple(str(detail.get("MessageType")) for detail in details)

    @property
    def resource_types(self) -> tuple[str, ...]:
        return tuple(self.properties.get("Scope", {}).get("ComplianceResourceTypes", []))


@dataclass(frozen=True)
class TransformedTemplate:
    document: dict[str, Any]
    root: Path
    code_dirs: Mapping[str, Path] = field(default_factory=dict)
    parameter_values: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(self.document, indent=2, sort_keys=False)

    def resources(self, resource_type: str | None = None) -> dict[str, dict[str, Any]]:
        """Resources by logical id, in template order, optionally of one type."""
        return {
            logical_id: resource
            for logical_id, resource in self.document.get("Resources", {}).items()
            if resource_type is None or resource.get("Type") == resource_type
        }

    def properties(self, logical_id: str) -> dict[str, Any]:
        resource = self.resources().get(logical_id)
        if resource is None:
            raise TemplateError(f"the transformed template has no resource {logical_id}")
        properties: dict[str, Any] = resource.get("Properties", {})
        return properties

    def functions(self) -> dict[str, FunctionSpec]:
        return {logical_id: self.function(logical_id) for logical_id in self.resources(FUNCTION)}

    def function(self, logical_id: str) -> FunctionSpec:
        properties = self.properties(logical_id)
        layer_dirs = tuple(
            self.code_dirs[layer["Ref"]]
            for layer in properties.get("Layers", [])
            if isinstance(layer, dict) and layer.get("Ref") in self.code_dirs
        )
        return FunctionSpec(logical_id, properties, self.code_dirs.get(logical_id), layer_dirs)

    def function_environment(self, logical_id: str) -> dict[str, Any]:
        """The function's environment variables as the template gives them (intrinsics unresolved)."""
        variables: dict[str, Any] = self.properties(logical_id).get("Environment", {}).get("Variables", {})
        return dict(variables)

    def policy_statements(self, function: str, *, generated: bool = False) -> list[dict[str, Any]]:
        """The IAM statements of the function's role that the template's ``Policies`` wrote (SAM names them
        ``<Role>Policy<N>``); with ``generated``, also those SAM adds itself (e.g. the dead-letter queue's
        sqs:SendMessage, which the Lambda service uses, not the function's code). A statement under
        ``Fn::If`` is the branch the parameter values given to the transform choose (none for
        ``AWS::NoValue``), as CloudFormation would create it."""
        role = self.function(function).role_logical_id
        if role is None:
            raise TemplateError(f"{function} has no role created by the template")
        statements: list[dict[str, Any]] = []
        for policy in self.properties(role).get("Policies", []):
            if not generated and not str(policy.get("PolicyName", "")).startswith(f"{role}Policy"):
                continue
            found = policy.get("PolicyDocument", {}).get("Statement", [])
            for statement in found if isinstance(found, list) else [found]:
                chosen = self._chosen(statement)
                if chosen is not None:
                    statements.append(chosen)
        return statements

    def _chosen(self, statement: dict[str, Any]) -> dict[str, Any] | None:
        branches = statement.get("Fn::If") if len(statement) == 1 else None
        if branches is None:
            return statement
        condition, when_true, when_false = branches
        resolver = Resolver(
            parameters=self.parameter_values_with_defaults(complete=False),
            pseudo_parameters={},
            conditions=self.document.get("Conditions", {}),
            resources={},
        )
        chosen = when_true if resolver.condition(condition) else when_false
        return None if chosen == {"Ref": NO_VALUE} else self._chosen(chosen)

    def policy_actions(self, function: str) -> frozenset[str]:
        """Every action an Allow statement of the template's ``Policies`` grants the function."""
        return frozenset(
            action
            for statement in self.policy_statements(function)
            if statement.get("Effect") == "Allow"
            for action in _as_list(statement.get("Action"))
        )

    def managed_policy_arns(self, function: str) -> list[Any]:
        role = self.function(function).role_logical_id
        return list(self.properties(role).get("ManagedPolicyArns", [])) if role else []

    def event_rules(self, function: str | None = None) -> list[EventRuleSpec]:
        """The EventBridge rules (patterns and schedules) whose targets are functions of the template."""
        rules = []
        for logical_id, resource in self.resources(EVENT_RULE).items():
            properties = resource.get("Properties", {})
            for target in properties.get("Targets", []):
                target_function = get_att_target(target.get("Arn"))
                if target_function in self.resources(FUNCTION) and function in (None, target_function):
                    rules.append(EventRuleSpec(logical_id, target_function, properties))
        return rules

    def event_pattern(self, function: str) -> dict[str, Any]:
        """The event pattern of the function's one pattern rule."""
        patterns = [rule.event_pattern for rule in self.event_rules(function) if rule.event_pattern is not None]
        if len(patterns) != 1:
            raise TemplateError(f"{function} has {len(patterns)} event-pattern rules; expected one")
        pattern: dict[str, Any] = patterns[0]
        return pattern

    def config_rules(self) -> list[ConfigRuleSpec]:
        """Custom Lambda Config rules whose function is in the template."""
        rules = []
        for logical_id, resource in self.resources(CONFIG_RULE).items():
            properties = resource.get("Properties", {})
            source = properties.get("Source", {})
            function = get_att_target(source.get("SourceIdentifier"))
            if source.get("Owner") == "CUSTOM_LAMBDA" and function is not None:
                rules.append(ConfigRuleSpec(logical_id, function, properties))
        return rules

    def parameter_values_with_defaults(self, *, complete: bool = True) -> dict[str, Any]:
        """Every parameter's value: the given one, else its default; list types as lists, as Ref gives them.

        Raises TemplateError naming the parameters that have neither, unless ``complete`` is False (they are
        then left out).
        """
        values: dict[str, Any] = {}
        missing = []
        for name, declaration in self.document.get("Parameters", {}).items():
            if name in self.parameter_values:
                value: Any = self.parameter_values[name]
            elif "Default" in declaration:
                value = declaration["Default"]
            else:
                missing.append(name)
                continue
            values[name] = parameter_value(declaration, value)
        if missing and complete:
            raise TemplateError(f"no value for parameter(s) {', '.join(missing)}")
        return values


class _NoManagedPolicies:
    """The managed-policy loader for an offline transform: the template names no managed policy by name."""

    def load(self) -> dict[str, str]:
        return {}


@contextmanager
def _region(region: str) -> Iterator[None]:
    """The translator reads the region from AWS_DEFAULT_REGION (AWS_REGION alone fails)."""
    previous = os.environ.get("AWS_DEFAULT_REGION")
    os.environ["AWS_DEFAULT_REGION"] = region
    try:
        yield
    finally:
        if previous is None:
            del os.environ["AWS_DEFAULT_REGION"]
        else:
            os.environ["AWS_DEFAULT_REGION"] = previous


def _code_dirs_after_transform(transformed: Mapping[str, Any], by_key: Mapping[str, Path]) -> dict[str, Path]:
    """Transformed functions and layers (layers get a hashed logical id) by logical id -> local directory."""
    code_dirs = {}
    for logical_id, resource in transformed.get("Resources", {}).items():
        properties = resource.get("Properties", {})
        location = properties.get("Code") if resource.get("Type") == FUNCTION else properties.get("Content")
        if (
            resource.get("Type") in (FUNCTION, LAYER)
            and isinstance(location, dict)
            and location.get("S3Bucket") == LOCAL_CODE_BUCKET
            and location.get("S3Key") in by_key
        ):
            code_dirs[logical_id] = by_key[location["S3Key"]]
    return code_dirs


def load_yaml(path: Path) -> dict[str, Any]:
    """A CloudFormation or SAM template file, short-form intrinsics (``!Ref``, ``!Sub``…) read as the long form."""
    from samtranslator.yaml_helper import yaml_parse

    try:
        document = yaml_parse(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise TemplateError(f"cannot read {path}: {error.strerror}") from error
    except Exception as error:  # yaml's errors have no common base worth naming here
        raise TemplateError(f"{path} is not valid YAML: {error}") from error
    if not isinstance(document, dict) or not isinstance(document.get("Resources"), dict):
        raise TemplateError(f"{path} has no Resources")
    return document


def get_att_target(value: Any) -> str | None:
    """The logical id of ``Fn::GetAtt [X, Arn]`` (or ``Ref X``); None for anything else (a literal ARN)."""
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        target = value["Fn::GetAtt"]
        return str(target.split(".", 1)[0] if isinstance(target, str) else target[0])
    if isinstance(value, dict) and isinstance(value.get("Ref"), str):
        return str(value["Ref"])
    return None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]
