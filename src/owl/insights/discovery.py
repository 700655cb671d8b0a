"""Discovered fields (spec §5): what a field name means when no command of the query made it.

A name resolves, in order, to a system field, a Lambda platform field, the field of a JSON
message (nested keys joined by `.`, array indexes as steps, `@@` for keys that start with
`@`), a VPC flow log or Route 53 column. Each is a SQL expression over the source columns;
JSON paths are collected so that one `json_extract` per event reads every referenced path.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from owl.insights.types import Kind

# Columns of the `source` relation every compiled query reads.
SYSTEM: dict[str, tuple[str, Kind]] = {
    "@timestamp": ("__ts", "time"),
    "@ingestionTime": ("__ingest", "time"),
    "@message": ("__msg", "text"),
    "@logStream": ("__stream", "text"),
    "@log": ("__log", "text"),
}

_BLANKS = "' ' || chr(9) || chr(10) || chr(13)"
# The first JSON object of a text that starts with `{`: the text itself when it is valid JSON,
# else its shortest prefix ending in `}` that is (an object has no valid proper prefix).
# Each subexpression is bound once (a one-element list_transform), so that DuckDB cannot
# hoist one out of the CASE and split every message of the query.
_FIRST_OBJECT = (
    "list_transform([substr(__msg, strpos(__msg, chr(9) || '{') + 1)], lambda _r: "
    "CASE WHEN json_valid(_r) THEN _r ELSE list_transform([string_split(_r, '}')], "
    "lambda _p: list_filter(list_transform(range(1, len(_p)), "
    "lambda _k: array_to_string(_p[1:_k], '}') || '}'), lambda _c: json_valid(_c))[1])[1] "
    "END)[1]"
)
# The JSON document of an event: the whole message when it is an object; in Lambda groups,
# also the first JSON object after the runtime's tab-separated prefix (§5.2.2).
JSON_DOC = (
    "CASE WHEN starts_with(__msg, '{') OR (left(__msg, 1) IN (' ', chr(9), chr(10), chr(13)) "
    "AND starts_with(ltrim(__msg, " + _BLANKS + "), '{')) THEN __msg "
    f"WHEN __lambda AND contains(__msg, chr(9) || '{{') THEN {_FIRST_OBJECT} END"
)


def _report_number(label: str, scale: str = "") -> str:
    return (
        "CASE WHEN starts_with(__msg, 'REPORT RequestId: ') THEN TRY_CAST(NULLIF("
        f"regexp_extract(__msg, '\\t{label}: ([0-9.]+) [A-Za-z]+', 1), '') AS DOUBLE){scale} END"
    )


def _report_text(label: str) -> str:
    return (
        "CASE WHEN starts_with(__msg, 'REPORT RequestId: ') THEN NULLIF("
        f"regexp_extract(__msg, '\\t{label}: ([^\\t]+)', 1), '') END"
    )


LAMBDA: dict[str, tuple[str, Kind]] = {
    "@type": (
        "CASE WHEN starts_with(__msg, 'START RequestId: ') THEN 'START' "
        "WHEN starts_with(__msg, 'END RequestId: ') THEN 'END' "
        "WHEN starts_with(__msg, 'REPORT RequestId: ') THEN 'REPORT' END",
        "text",
    ),
    "@requestId": (
        "NULLIF(regexp_extract(__msg, '^(?:START|END|REPORT) RequestId: ([^\\s]+)', 1), '')",
        "text",
    ),
    "@duration": (_report_number("Duration"), "num"),
    "@billedDuration": (_report_number("Billed Duration"), "num"),
    "@memorySize": (_report_number("Memory Size", " * 1000000"), "num"),
    "@maxMemoryUsed": (_report_number("Max Memory Used", " * 1000000"), "num"),
    "@initDuration": (_report_number("Init Duration"), "num"),
    "@xrayTraceId": (_report_text("XRAY TraceId"), "text"),
    "@xraySegmentId": (_report_text("SegmentId"), "text"),
}

VPC_FIELDS = (
    "version accountId interfaceId srcAddr dstAddr srcPort dstPort protocol packets bytes "
    "startTime endTime action logStatus"
).split()
# Version 2 default format: 14 tokens, `2` first, an action and a log status last (§5.4.3).
VPC_TOKENS = (
    "CASE WHEN starts_with(__msg, '2 ') AND regexp_full_match(__msg, "
    "'2( [^ ]+){11} (ACCEPT|REJECT|-) (OK|NODATA|SKIPDATA)') THEN string_split(__msg, ' ') END"
)
ROUTE53_FIELDS = (
    "version queryTimestamp hostZoneId queryName queryType responseCode protocol edgeLocation "
    "resolverIp ednsClientSubnet"
).split()
ROUTE53_TOKENS = (
    "CASE WHEN starts_with(__msg, '1.0 ') AND regexp_full_match(__msg, "
    "'1\\.0 [0-9-]+T[^ ]+Z( [^ ]+){8}') THEN string_split(__msg, ' ') END"
)


# A document with more than 200 fields shows only the first 200 in document order (§5.2.6).
# Fields are at most the commas plus the objects and arrays (strings only add to the count),
# so only a document long and comma-rich enough for more is listed, by owl_json_fields.
_CAP = (
    f"list_transform([{JSON_DOC}], lambda _d: CASE WHEN strlen(_d) > 400 AND strlen(_d) - "
    "strlen(replace(replace(replace(_d, ',', ''), '{', ''), '[', '')) > 200 "
    "THEN owl_json_fields(_d) END)[1]"
)


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def json_path(name: str) -> str:
    """The DuckDB JSON path of a flattened name: `items.0.sku` → `$."items"[0]."sku"`."""
    out = "$"
    for step in name.split("."):
        out += f"[{step}]" if step.isdigit() and out != "$" else '."' + step + '"'
    return out


def _first(values: list[str]) -> str:
    return values[0] if len(values) == 1 else f"coalesce({', '.join(values)})"


def leaf_text(scalar: str, message: str, pattern: str | None) -> str:
    """A JSON scalar's text: strings unquoted, numbers as the document writes them (DuckDB's
    JSON re-renders a double, `1.50` as `1.5`, so its source text is looked up in the
    message with `pattern`, §4.5), booleans as `true`/`false`."""
    if pattern is None:  # an element of a nested array: no key to find its text by
        return f"owl_leaf({scalar})"
    return f"owl_leaf_text({scalar}, {message}, {_sql_text(pattern)})"


_RE2_SPECIAL = re.compile(r"[\\.^$|?*+()\[\]{}]")


def _member(key: str) -> str:
    """RE2 for `"key":` as an object member: `[{,]` before it keeps a key quoted inside a
    string (`\\"k\\":`) from matching."""
    return '[{,]\\s*"' + _RE2_SPECIAL.sub(r"\\\g<0>", key) + '"\\s*:\\s*'


def _number_at(name: str) -> str | None:
    """RE2 for what comes before the number at flattened `name` in the document: its last
    key, or that key and the first n elements of an array of scalars. The same key elsewhere
    in the document can match first; the caller checks the number it finds."""
    steps = name.split(".")
    if not steps[-1].isdigit() or len(steps) == 1:
        before = _member(steps[-1])
    elif not steps[-2].isdigit() and int(steps[-1]) < 100:
        before = _member(steps[-2]) + '\\[\\s*(?:[^\\]\\[{}",]*,\\s*){' + steps[-1] + "}"
    else:
        return None
    return before


def key_texts(key: str) -> list[str]:
    """Texts that a JSON document holding flattened `key` contains, unless it escapes a
    character of the key (and so holds a backslash): its last key and closing quote, as a
    nested key or a key with dots (`a.b` is `b"` both ways; `items.0` is `items"` or
    `items.0"`)."""
    steps = key.split(".")
    named = [s for s in steps[1:] if not s.isdigit()]
    last = named[-1] if named else steps[0]
    return list(dict.fromkeys([steps[-1] + '"', last + '"']))


@dataclass
class Discovery:
    """The discovered fields one query references, and the per-event work they need."""

    paths: list[str] = field(default_factory=list)
    # Texts a document must contain to hold one of the paths (see `key_texts`).
    needles: list[str] = field(default_factory=list)
    vpc: bool = False
    route53: bool = False
    # The names resolved so far: text, JSON value, pattern of a number's source text (SQL).
    leaves: dict[str, tuple[str, str, str | None]] = field(default_factory=dict)

    def slot(self, path: str) -> str:
        """The JSON value at `path` (objects, arrays and null count as missing: owl_leaf)."""
        if path not in self.paths:
            self.paths.append(path)
        return f"__j[{self.paths.index(path) + 1}]"

    def resolve(self, name: str) -> tuple[str, Kind, str | None, str | None]:
        """SQL for field `name` read from the event itself (never missing as an error): its
        text, kind and, for a field that may come from a JSON document, its JSON value (which
        tells a JSON number from a string, §7.1, and is read directly as a number; an object,
        array or null is a missing value, as owl_leaf says) and the leaf_text pattern."""
        if name in SYSTEM:
            return (*SYSTEM[name], None, None)
        if name in LAMBDA:
            return (*LAMBDA[name], None, None)
        if name.startswith("@") and not name.startswith("@@"):
            return "CAST(NULL AS VARCHAR)", "text", None, None
        if name in self.leaves:
            text, json, pattern = self.leaves[name]
            return text, "text", json, pattern
        key = name[1:] if name.startswith("@@") else name
        sources: list[str] = []
        texts: list[str] = []
        pattern = None
        if '"' not in key and key:
            numbers = [_number_at(key)] + ([_member(key)] if "." in key else [])
            found = [n for n in numbers if n is not None]
            pattern = "(?:" + "|".join(found) + ")(-?[0-9][0-9.eE+-]*)" if found else None
            pick = self._picker(name, key)
            self.needles += [n for n in key_texts(key) if n not in self.needles]
            sources.append(pick(lambda v: v))
            # The text is chosen among the slots' texts: a text function reading the CASE that
            # picks a slot would evaluate it again for every use of its argument.
            texts.append(pick(lambda v: leaf_text(v, "__msg", pattern)))
        for names, column in ((VPC_FIELDS, "__vpc"), (ROUTE53_FIELDS, "__r53")):
            if name in names:
                self.vpc = self.vpc or column == "__vpc"
                self.route53 = self.route53 or column == "__r53"
                token = f"NULLIF({column}[{names.index(name) + 1}], '-')"
                sources.append(f"to_json({token})")
                texts.append(token)
        if not sources:
            return "CAST(NULL AS VARCHAR)", "text", None, None
        self.leaves[name] = (_first(texts), _first(sources), pattern)
        return _first(texts), "text", _first(sources), pattern

    def _picker(self, name: str, key: str) -> Callable[[Callable[[str], str]], str]:
        """The JSON slot of `key` (or, for a dotted key, of `a.b` as nested path or as a key
        with dots, §5.2.4: the first in the document), within the 200-field cap, rendered by
        the function given."""
        nested = self.slot(json_path(key))
        allowed = f"__cap IS NULL OR list_contains(__cap, {_sql_text(name)})"
        if "." not in key:
            return lambda f: f"CASE WHEN {allowed} THEN {f(nested)} END"
        dotted = self.slot('$."' + key + '"')
        # Both present (rare): the document's top-level keys tell which comes first. They are
        # bound once, so that DuckDB cannot hoist a second parse of every event out of the CASE.
        dotted_first = (
            f"list_transform([json_keys({JSON_DOC})], lambda _k: "
            f"list_position(_k, {_sql_text(key)}) < "
            f"list_position(_k, {_sql_text(key.split('.')[0])}))[1]"
        )
        return lambda f: (
            f"CASE WHEN NOT ({allowed}) THEN NULL "
            f"WHEN owl_leaf({nested}) IS NULL THEN {f(dotted)} "
            f"WHEN owl_leaf({dotted}) IS NULL THEN {f(nested)} "
            f"WHEN {dotted_first} THEN {f(dotted)} ELSE {f(nested)} END"
        )

    def columns(self) -> list[str]:
        """Per-event columns the resolved fields read (added right after the source)."""
        cols = []
        if self.paths:
            listed = ", ".join("'" + p.replace("'", "''") + "'" for p in self.paths)
            # Most events of a query hold none of its keys: a scan for them spares the parse.
            held = " OR ".join(f"contains(__msg, {_sql_text(n)})" for n in [*self.needles, "\\"])
            read = f"TRY(json_extract({JSON_DOC}, [{listed}]))"
            cols.append(f"CASE WHEN {held} THEN {read} END AS __j")
            cols.append(f"CASE WHEN {held} THEN {_CAP} END AS __cap")
        if self.vpc:
            cols.append(f"{VPC_TOKENS} AS __vpc")
        if self.route53:
            cols.append(f"{ROUTE53_TOKENS} AS __r53")
        return cols
