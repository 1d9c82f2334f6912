"""CloudFormation intrinsic functions, resolved to the local stack's physical values.

The transformed template still speaks in references (``Ref``, ``Fn::GetAtt``, ``Fn::Sub``, conditions) the
way CloudFormation receives it; the local deploy resolves them as CloudFormation would, against the
parameter values, the pseudo parameters of the emulator's account and region, and the resources already
created. A reference to something not created (yet) is an error that names it: guessing a value would let a
wrong template pass.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

NO_VALUE = "AWS::NoValue"
_SUB_TOKEN = re.compile(r"\$\{([^}]*)\}")


class TemplateReferenceError(ValueError):
    """A reference the local stack cannot resolve; the message names it."""


@dataclass(frozen=True)
class PhysicalResource:
    """What a created resource answers to ``Ref`` and ``Fn::GetAtt``."""

    type: str
    ref: Any
    attributes: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "ref": self.ref, "attributes": dict(self.attributes)}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> PhysicalResource:
        return cls(raw["type"], raw["ref"], dict(raw.get("attributes", {})))


class _Removed:
    """``Ref: AWS::NoValue``: the property or list item is dropped."""


_REMOVED = _Removed()


@dataclass
class Resolver:
    parameters: Mapping[str, Any]
    pseudo_parameters: Mapping[str, Any]
    conditions: Mapping[str, Any]
    resources: Mapping[str, PhysicalResource]
    _condition_values: dict[str, bool] = field(default_factory=dict)

    def resolve(self, value: Any) -> Any:
        """``value`` with every intrinsic function replaced by its value; ``AWS::NoValue`` drops keys and items."""
        resolved = self._resolve(value)
        if isinstance(resolved, _Removed):
            raise TemplateReferenceError("a value that is only AWS::NoValue cannot stand alone")
        return resolved

    def condition(self, name: str) -> bool:
        """The value of the template's condition ``name``."""
        if name not in self._condition_values:
            if name not in self.conditions:
                raise TemplateReferenceError(f"unknown condition {name}")
            self._condition_values[name] = self._truth(self.conditions[name])
        return self._condition_values[name]

    def _resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            items = [self._resolve(item) for item in value]
            return [item for item in items if not isinstance(item, _Removed)]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref":
                return self._ref(argument)
            if key.startswith("Fn::"):
                return self._function(key, argument)
        resolved = {key: self._resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if not isinstance(item, _Removed)}

    def _function(self, name: str, argument: Any) -> Any:
        if name == "Fn::GetAtt":
            logical_id, attribute = argument.split(".", 1) if isinstance(argument, str) else argument
            return self._get_att(str(logical_id), str(self._resolve(attribute)))
        if name == "Fn::Sub":
            return self._sub(argument)
        if name == "Fn::Join":
            delimiter, items = argument
            return str(delimiter).join(str(item) for item in self._resolve(items))
        if name == "Fn::Select":
            index, items = argument
            return self._resolve(items)[int(self._resolve(index))]
        if name == "Fn::Split":
            delimiter, text = argument
            return str(self._resolve(text)).split(str(delimiter))
        if name == "Fn::If":
            condition, when_true, when_false = argument
            return self._resolve(when_true if self.condition(condition) else when_false)
        if name in ("Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or"):
            return self._truth({name: argument})
        if name == "Fn::ToJsonString":
            return json.dumps(self._resolve(argument), separators=(",", ":"))
        raise TemplateReferenceError(f"the local stack does not resolve {name}")

    def _ref(self, name: Any) -> Any:
        if name == NO_VALUE:
            return _REMOVED
        if name in self.pseudo_parameters:
            return self.pseudo_parameters[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.resources:
            return self.resources[name].ref
        raise TemplateReferenceError(f"Ref {name}: no such parameter, or the resource was not created locally")

    def _get_att(self, logical_id: str, attribute: str) -> Any:
        resource = self.resources.get(logical_id)
        if resource is None:
            raise TemplateReferenceError(f"Fn::GetAtt {logical_id}.{attribute}: the resource was not created locally")
        if attribute not in resource.attributes:
            raise TemplateReferenceError(
                f"Fn::GetAtt {logical_id}.{attribute}: the local {resource.type} has no such attribute "
                f"(it has {', '.join(sorted(resource.attributes)) or 'none'})"
            )
        return resource.attributes[attribute]

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        values = {name: self._resolve(value) for name, value in variables.items()}

        def replace(match: re.Match[str]) -> str:
            token = match.group(1)
            if token.startswith("!"):
                return "${" + token[1:] + "}"
            if token in values:
                return str(values[token])
            if "." in token and token.split(".", 1)[0] in self.resources:
                logical_id, attribute = token.split(".", 1)
                return str(self._get_att(logical_id, attribute))
            value = self._ref(token)
            if isinstance(value, list):
                raise TemplateReferenceError(f"Fn::Sub ${{{token}}}: a list cannot be substituted into a string")
            return str(value)

        return _SUB_TOKEN.sub(replace, text)

    def _truth(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, dict) and len(value) == 1:
            ((name, argument),) = value.items()
            if name == "Condition":
                return self.condition(argument)
            if name == "Fn::Equals":
                left, right = (self._resolve(item) for item in argument)
                return bool(_comparable(left) == _comparable(right))
            if name == "Fn::Not":
                return not self._truth(argument[0])
            if name == "Fn::And":
                return all(self._truth(item) for item in argument)
            if name == "Fn::Or":
                return any(self._truth(item) for item in argument)
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise TemplateReferenceError(f"not a condition: {value!r}")


def _comparable(value: Any) -> Any:
    """Fn::Equals compares strings; YAML may have read ``true`` as a boolean."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return [_comparable(item) for item in value]
    return str(value)


def references(value: Any) -> Iterator[str]:
    """The logical ids and parameter names ``value`` refers to (Ref, Fn::GetAtt and Fn::Sub), in order."""
    if isinstance(value, list):
        for item in value:
            yield from references(item)
        return
    if not isinstance(value, dict):
        return
    for key, argument in value.items():
        if key == "Ref" and isinstance(argument, str):
            yield argument
        elif key == "Fn::GetAtt":
            yield (argument.split(".", 1)[0] if isinstance(argument, str) else str(argument[0]))
        elif key == "Fn::Sub":
            text, variables = (argument, {}) if isinstance(argument, str) else argument
            for token in _SUB_TOKEN.findall(str(text)):
                if not token.startswith("!") and token not in variables:
                    yield token.split(".", 1)[0]
            yield from references(variables)
        else:
            yield from references(argument)
