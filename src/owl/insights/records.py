"""The discovered fields of one event, in Python: GetLogRecord and GetLogGroupFields.

Queries discover fields inside DuckDB (discovery.py); these two operations look at one event
(or a small sample) and need every field it has, names included, which is simpler here.
The rules are the same: JSON leaves flattened with `.` and array indexes, `@@` for keys that
start with `@`, the first 200 leaves; Lambda platform lines; VPC flow and Route 53 records.
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from typing import Any

import orjson

from owl.insights.discovery import ROUTE53_FIELDS, VPC_FIELDS

MAX_FIELDS = 200
_VPC = re.compile(r"2( [^ ]+){11} (ACCEPT|REJECT|-) (OK|NODATA|SKIPDATA)")
_ROUTE53 = re.compile(r"1\.0 [0-9-]+T[^ ]+Z( [^ ]+){8}")
_REQUEST = re.compile(r"^(START|END|REPORT) RequestId: (\S+)")
_REPORT_NUMBERS = {
    "Duration": ("@duration", 1),
    "Billed Duration": ("@billedDuration", 1),
    "Memory Size": ("@memorySize", 1_000_000),
    "Max Memory Used": ("@maxMemoryUsed", 1_000_000),
    "Init Duration": ("@initDuration", 1),
}
_REPORT_TEXTS = {"XRAY TraceId": "@xrayTraceId", "SegmentId": "@xraySegmentId"}


def java_double(d: float) -> str:
    """A double as Java's Double.toString prints it (the SQL macro owl_jd, for one value)."""
    if math.isnan(d):
        return "NaN"
    if math.isinf(d):
        return "Infinity" if d > 0 else "-Infinity"
    if d == 0:
        return "0.0"
    if 1e-3 <= abs(d) < 1e7:
        text = repr(d)
        return text if "." in text or "e" in text else text + ".0"
    _, digit_tuple, exp = Decimal(repr(abs(d))).as_tuple()
    assert isinstance(exp, int)
    digits = "".join(map(str, digit_tuple)).lstrip("0")
    power = len(digits) + exp - 1
    digits = digits.rstrip("0") or "0"
    sign = "-" if d < 0 else ""
    return f"{sign}{digits[0]}.{digits[1:] or '0'}E{power}"


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# Numbers kept as the document writes them (`1.50`, `1e3`: §4.5), as str, NaN refused.
_RAW_NUMBERS = json.JSONDecoder(parse_float=str, parse_int=str, parse_constant=_no_constant)


def _json_doc(message: str, lambda_group: bool, raw: bool = False) -> dict[str, Any] | None:
    """The JSON document of an event (§5.2); with `raw`, numbers as their source text."""
    text = message.lstrip(" \t\r\n")
    embedded = not text.startswith("{")
    if embedded:
        if not lambda_group or "\t{" not in message:
            return None
        text = message[message.index("\t{") + 1 :]
    doc: Any
    try:
        doc = _RAW_NUMBERS.decode(text) if raw else orjson.loads(text)
    except ValueError:  # orjson.JSONDecodeError is one
        if not embedded:
            return None
        # In a Lambda group, the first of several JSON objects after the prefix (§5.2.2).
        try:
            doc, _ = (_RAW_NUMBERS if raw else json.JSONDecoder()).raw_decode(text)
        except ValueError:
            return None
    return doc if isinstance(doc, dict) else None


def _flatten(value: Any, prefix: str, out: dict[str, str]) -> None:
    if len(out) >= MAX_FIELDS:
        return
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(v, f"{prefix}.{k}" if prefix else ("@" + k if k.startswith("@") else k), out)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _flatten(v, f"{prefix}.{i}", out)
    elif value is None:
        return
    elif isinstance(value, bool):
        out.setdefault(prefix, "true" if value else "false")
    elif isinstance(value, str):
        out.setdefault(prefix, value)
    else:
        out.setdefault(prefix, orjson.dumps(value).decode())


def json_field_names(document: str) -> list[str] | None:
    """The names of the fields a JSON document gives (at most the first 200, in document
    order), or None when it is not a JSON object."""
    doc = _json_doc(document, False)
    if doc is None:
        return None
    out: dict[str, str] = {}
    _flatten(doc, "", out)
    return list(out)


def discovered(message: str, *, lambda_group: bool = False) -> dict[str, str]:
    """Every field discovered in `message`, as result strings."""
    out: dict[str, str] = {}
    doc = _json_doc(message, lambda_group, raw=True)
    if doc is not None:
        _flatten(doc, "", out)
    m = _REQUEST.match(message)
    if m:
        out["@type"] = m[1]
        out["@requestId"] = m[2]
        if m[1] == "REPORT":
            for item in message.split("\t")[1:]:
                label, _, rest = item.partition(": ")
                if label in _REPORT_NUMBERS:
                    name, scale = _REPORT_NUMBERS[label]
                    try:
                        out[name] = java_double(float(rest.split(" ")[0]) * scale)
                    except ValueError:
                        pass
                elif label in _REPORT_TEXTS and rest:
                    out[_REPORT_TEXTS[label]] = rest
    if _VPC.fullmatch(message):
        for name, token in zip(VPC_FIELDS, message.split(" "), strict=True):
            if token != "-":
                out.setdefault(name, token)
    elif _ROUTE53.fullmatch(message):
        for name, token in zip(ROUTE53_FIELDS, message.split(" "), strict=True):
            if token != "-":
                out.setdefault(name, token)
    return out
