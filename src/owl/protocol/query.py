"""The AWS query protocol: form-encoded requests in, XML results and errors out.

Requests are decoded by walking botocore's input shape into exactly the params dict the JSON
protocol would give (timestamps as epoch seconds, blobs as base64 text, non-finite doubles as
"NaN"/"Infinity"), so handlers and model validation never know which protocol was used. A
value that does not convert is passed on as its text, for validation to refuse with the
model's own message. Knows botocore shapes, never a service; imports nothing above protocol.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl
from xml.etree import ElementTree as ET

from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape
from botocore.utils import parse_timestamp

from owl.protocol.awsjson import NON_FINITE, epoch_seconds
from owl.protocol.errors import AwsError

CONTENT_TYPE = "text/xml"
FORM_TYPE = "application/x-www-form-urlencoded"


def is_form(content_type: str | None) -> bool:
    """Whether a request's Content-Type is a query-protocol form (any charset)."""
    return (content_type or "").split(";", 1)[0].strip().lower() == FORM_TYPE


@dataclass
class _Node:
    """One dotted segment of the form keys: `A.member.1.B` nests A → member → 1 → B."""

    value: str | None = None
    children: dict[str, _Node] = field(default_factory=dict)


def parse_form(body: bytes) -> tuple[str | None, dict[str, str]]:
    """(Action, the other fields) of a form body; Version is dropped (one API version)."""
    try:
        text = body.decode()
    except UnicodeDecodeError:
        raise AwsError("MalformedQueryString", "The request body is not valid UTF-8.") from None
    fields = dict(parse_qsl(text, keep_blank_values=True))
    fields.pop("Version", None)
    return fields.pop("Action", None), fields


def missing_action() -> AwsError:
    return AwsError("MissingAction", "The request must contain the parameter Action.", 400)


def invalid_action(action: str, api_version: str) -> AwsError:
    # AWS's query front end answers an Action it does not know in these words.
    return AwsError(
        "InvalidAction", f"Could not find operation {action} for version {api_version}", 400
    )


def decode_params(fields: dict[str, str], shape: StructureShape | None) -> dict[str, Any]:
    """The params of `fields` (flat form keys) as the JSON protocol would hand them over."""
    if shape is None:
        return {}
    root = _Node()
    for key, value in fields.items():
        node = root
        for part in key.split("."):
            node = node.children.setdefault(part, _Node())
        node.value = value
    decoded = _decode(shape, root)
    return decoded if isinstance(decoded, dict) else {}


def _decode(shape: Shape, node: _Node) -> Any:
    if isinstance(shape, StructureShape):
        out: dict[str, Any] = {}
        for name, member in shape.members.items():
            child = node.children.get(_member_key(member, name))
            if child is not None:
                out[name] = _decode(member, child)
        return out
    if isinstance(shape, ListShape):
        if not node.children:
            return []  # `Name=` is how an empty list is sent
        items = node if _flattened(shape) else node.children.get(_name(shape.member, "member"))
        return [_decode(shape.member, n) for n in _indexed(items)]
    if isinstance(shape, MapShape):
        entries = node if _flattened(shape) else node.children.get("entry")
        key_name, value_name = _name(shape.key, "key"), _name(shape.value, "value")
        out = {}
        for entry in _indexed(entries):
            key, value = entry.children.get(key_name), entry.children.get(value_name)
            if key is not None and key.value is not None:
                out[key.value] = None if value is None else _decode(shape.value, value)
        return out
    return _scalar(shape.type_name, node.value or "")


def _indexed(node: _Node | None) -> list[_Node]:
    """Children `1`, `2`, … in numeric order (the query protocol counts from 1)."""
    if node is None:
        return []
    numbered = [(int(k), n) for k, n in node.children.items() if k.isdigit()]
    return [n for _, n in sorted(numbered, key=lambda kn: kn[0])]


def _member_key(member: Shape, name: str) -> str:
    return str(member.serialization.get("queryName") or member.serialization.get("name") or name)


def _name(shape: Shape, default: str) -> str:
    return str(shape.serialization.get("name", default))


def _flattened(shape: Shape) -> bool:
    return bool(shape.serialization.get("flattened"))


def _scalar(kind: str, text: str) -> Any:
    """One form value as the JSON protocol types it; text it cannot convert stays text."""
    try:
        if kind in ("integer", "long"):
            return int(text)
        if kind in ("double", "float"):
            return text if text in NON_FINITE else float(text)
        if kind == "boolean":
            return {"true": True, "false": False}.get(text, text)
        if kind == "timestamp":
            return epoch_seconds(parse_timestamp(text))
    except (ValueError, TypeError, OverflowError):
        return text
    return text


def iso8601(value: Any) -> str:
    """An epoch-seconds value as ISO 8601 with milliseconds and Z, as AWS writes them."""
    if isinstance(value, str):
        return value
    when = dt.datetime.fromtimestamp(float(value), dt.UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def encode_result(
    operation: OperationModel, result: dict[str, Any] | None, request_id: str
) -> bytes:
    """`<OpResponse>` with the output inside its `resultWrapper` element, then the request id.

    botocore looks the wrapper up unconditionally, so it is written even for an empty result.
    """
    root = ET.Element(f"{operation.name}Response", xmlns=_namespace(operation))
    shape = operation.output_shape
    if shape is not None:
        wrapper = shape.serialization.get("resultWrapper")
        parent = ET.SubElement(root, wrapper) if wrapper else root
        _encode_members(parent, shape, result or {})
    metadata = ET.SubElement(root, "ResponseMetadata")
    ET.SubElement(metadata, "RequestId").text = request_id
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=False))


def encode_error(error: AwsError, request_id: str, namespace: str) -> bytes:
    """`<ErrorResponse>` with the query-era code (the model's `error.code`) and the fault side."""
    root = ET.Element("ErrorResponse", xmlns=namespace)
    body = ET.SubElement(root, "Error")
    ET.SubElement(body, "Type").text = "Sender" if error.sender_fault else "Receiver"
    ET.SubElement(body, "Code").text = error.query_code or error.code
    if error.message is not None:
        ET.SubElement(body, "Message").text = error.message
    for name, value in error.fields.items():
        if isinstance(value, str | int | float | bool):
            ET.SubElement(body, name).text = _text("", value)
    ET.SubElement(root, "RequestId").text = request_id
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=False))


def _namespace(operation: OperationModel) -> str:
    return str(operation.service_model.metadata.get("xmlNamespace", ""))


def _encode_members(parent: ET.Element, shape: StructureShape, value: dict[str, Any]) -> None:
    for name, member in shape.members.items():
        if value.get(name) is not None:
            _encode(parent, _name(member, name), member, value[name])


def _encode(parent: ET.Element, tag: str, shape: Shape, value: Any) -> None:
    if isinstance(shape, ListShape):
        if _flattened(shape):
            for item in value:
                _encode(parent, tag, shape.member, item)
            return
        node = ET.SubElement(parent, tag)
        for item in value:
            _encode(node, _name(shape.member, "member"), shape.member, item)
    elif isinstance(shape, MapShape):
        node = parent if _flattened(shape) else ET.SubElement(parent, tag)
        for key, item in value.items():
            entry = ET.SubElement(node, tag if _flattened(shape) else "entry")
            _encode(entry, _name(shape.key, "key"), shape.key, key)
            _encode(entry, _name(shape.value, "value"), shape.value, item)
    elif isinstance(shape, StructureShape):
        _encode_members(ET.SubElement(parent, tag), shape, value)
    else:
        ET.SubElement(parent, tag).text = _text(shape.type_name, value)


def _text(kind: str, value: Any) -> str:
    """A scalar's XML text, in the forms botocore's QueryParser reads back."""
    if kind == "timestamp":
        return iso8601(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(value)
    return str(value)
