"""DuckDB macros the compiled queries call: value rendering, JSON leaves, natural sort keys.

They are SQL, not Python UDFs, so they run vectorised inside DuckDB. `install` creates them
in a connection's database once; every cursor of that database then sees them. Three small
Python functions (IP addresses; the field names of a JSON document too wide to be sure of in
SQL) are registered beside them.
"""

from __future__ import annotations

import ipaddress
import threading

import duckdb
import pyarrow as pa
from duckdb.func import PythonUDFType

from owl.insights.records import json_field_names

# A double as Java's Double.toString prints it (spec §4.5): plain decimal with at least one
# fractional digit for 1e-3 <= |d| < 1e7, else shortest digits as `d.dddE±n`. DuckDB's own
# cast already gives the shortest round-trip digits; only the layout is rearranged here.
_SCI = r"""
CREATE OR REPLACE MACRO owl_jsci(d) AS (
  WITH p AS (SELECT CASE WHEN d < 0 THEN '-' ELSE '' END AS sign, abs(d)::VARCHAR AS s)
  SELECT CASE
    WHEN contains(s, 'e') THEN
      sign
      || CASE WHEN contains(split_part(s, 'e', 1), '.') THEN split_part(s, 'e', 1)
              ELSE split_part(s, 'e', 1) || '.0' END
      || 'E' || CAST(CAST(split_part(s, 'e', 2) AS INTEGER) AS VARCHAR)
    WHEN starts_with(s, '0.') THEN (
      WITH q AS (SELECT substr(s, 3) AS f)
      SELECT sign
        || left(rtrim(ltrim(f, '0'), '0'), 1) || '.'
        || coalesce(nullif(substr(rtrim(ltrim(f, '0'), '0'), 2), ''), '0')
        || 'E-' || CAST(length(f) - length(ltrim(f, '0')) + 1 AS VARCHAR)
      FROM q)
    ELSE (
      WITH q AS (SELECT split_part(s, '.', 1) AS i, split_part(s, '.', 2) AS f)
      SELECT sign
        || left(i, 1) || '.'
        || coalesce(nullif(rtrim(substr(i, 2) || f, '0'), ''), '0')
        || 'E' || CAST(length(i) - 1 AS VARCHAR)
      FROM q)
  END FROM p)
"""

_MACROS = [
    _SCI,
    """
CREATE OR REPLACE MACRO owl_jd(d) AS CASE
  WHEN d IS NULL THEN NULL
  WHEN isnan(d) THEN 'NaN'
  WHEN isinf(d) THEN CASE WHEN d > 0 THEN 'Infinity' ELSE '-Infinity' END
  WHEN d = 0 THEN '0.0'
  WHEN abs(d) >= 0.001 AND abs(d) < 10000000 THEN CAST(d AS VARCHAR)
  ELSE owl_jsci(d) END
""",
    # Timestamps (epoch ms) as results show them: UTC, no T, no zone, milliseconds.
    """
CREATE OR REPLACE MACRO owl_ts(ms) AS
  strftime(make_timestamp_ms(CAST(ms AS BIGINT)), '%Y-%m-%d %H:%M:%S.%g')
""",
    # A JSON value as a field value: strings unquoted, numbers and booleans as their text;
    # null, objects and arrays are not leaves (missing).
    """
CREATE OR REPLACE MACRO owl_leaf(v) AS CASE
  WHEN v IS NULL THEN NULL
  WHEN left(CAST(v AS VARCHAR), 1) = '"' THEN json_extract_string(v, '$')
  WHEN left(CAST(v AS VARCHAR), 1) IN ('{', '[', 'n') THEN NULL
  ELSE CAST(v AS VARCHAR) END
""",
    # A JSON leaf's text as the message writes it (§4.5): DuckDB re-renders a double (1.50 as
    # 1.5, 1e3 as 1000.0), so the number after the field's key in the message (pattern p,
    # group 1) is taken instead, when it is the same number. Only doubles pay the regex.
    """
CREATE OR REPLACE MACRO owl_leaf_text(v, msg, p) AS CASE
  WHEN v IS NULL THEN NULL
  WHEN left(CAST(v AS VARCHAR), 1) = '"' THEN json_extract_string(v, '$')
  WHEN left(CAST(v AS VARCHAR), 1) IN ('{', '[', 'n') THEN NULL
  WHEN left(CAST(v AS VARCHAR), 1) IN ('t', 'f')
    OR NOT (contains(CAST(v AS VARCHAR), '.') OR contains(CAST(v AS VARCHAR), 'e'))
    THEN CAST(v AS VARCHAR)
  ELSE list_transform([regexp_extract(msg, p, 1)], lambda _r:
    CASE WHEN TRY_CAST(_r AS DOUBLE) = CAST(v AS DOUBLE) THEN _r ELSE CAST(v AS VARCHAR) END)[1]
  END
""",
    # JSON values (jsonParse, unnest): scalars as leaves, maps and lists as compact JSON.
    """
CREATE OR REPLACE MACRO owl_jtext(v) AS CASE
  WHEN v IS NULL THEN NULL
  WHEN left(CAST(v AS VARCHAR), 1) = '"' THEN json_extract_string(v, '$')
  WHEN CAST(v AS VARCHAR) = 'null' THEN NULL
  ELSE CAST(v AS VARCHAR) END
""",
    # Natural sort (spec §7): a text is a number when it is only digits (a JSON number is one
    # too: owl_jnum);
    # other values compare chunk by chunk: digit runs, letter runs, single other characters.
    # A digit run becomes '0' + its length (6 digits) + the run: against any other character
    # it still compares like a digit, against another run by length first. A letter run
    # ends with chr(1), so a run that is a prefix of another sorts first, whatever follows.
    """
CREATE OR REPLACE MACRO owl_isnum(s) AS regexp_full_match(s, '[0-9]+')
""",
    """
CREATE OR REPLACE MACRO owl_jnum(j) AS
  left(CAST(j AS VARCHAR), 1) IN ('-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9')
""",
    """
CREATE OR REPLACE MACRO owl_natkey(s) AS coalesce(array_to_string(list_transform(
  regexp_extract_all(s, '[0-9]+|\\pL+|[^0-9\\pL]'),
  lambda c: CASE WHEN regexp_full_match(c, '[0-9]+')
    THEN '0' || lpad(CAST(length(c) AS VARCHAR), 6, '0') || c
    WHEN regexp_full_match(c, '\\pL+') THEN c || chr(1) ELSE c END), ''), '')
""",
    # Java-style remainder on doubles: the sign follows the dividend. DuckDB's `%` on doubles
    # does that; its fmod() follows the divisor (fmod(-7, 3) = 2).
    """
CREATE OR REPLACE MACRO owl_mod(a, b) AS CASE WHEN b = 0 THEN NULL ELSE a % b END
""",
]


IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _address(text: str | None, version: int) -> IpAddress | None:
    """A strictly written address of `version` (0: either), else None."""
    if text is None:
        return None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    return address if version in (0, address.version) else None


def _ip_valid(texts: pa.Array, versions: pa.Array) -> pa.Array:
    # IP functions are rare in queries and have no SQL equivalent: one Python call per
    # batch (DuckDB passes Arrow vectors), a loop over its values inside.
    return pa.array(
        [
            _address(t, v or 0) is not None
            for t, v in zip(texts.to_pylist(), versions.to_pylist(), strict=True)
        ],
        pa.bool_(),
    )


def _ip_in(texts: pa.Array, cidrs: pa.Array, versions: pa.Array) -> pa.Array:
    out: list[bool] = []
    for t, c, v in zip(texts.to_pylist(), cidrs.to_pylist(), versions.to_pylist(), strict=True):
        address = _address(t, v or 0)
        try:
            network = ipaddress.ip_network(c, strict=False) if c is not None else None
        except ValueError:
            network = None
        out.append(
            address is not None
            and network is not None
            and address.version == network.version
            and address in network
        )
    return pa.array(out, pa.bool_())


def _json_fields(documents: pa.Array) -> pa.Array:
    """owl_json_fields(doc): the first 200 field names of each document (§5.2.6), for the few
    events whose document may have more (the compiled query asks only for those)."""
    return pa.array(
        [None if d is None else json_field_names(d) for d in documents.to_pylist()],
        pa.list_(pa.string()),
    )


_lock = threading.Lock()


def install(con: duckdb.DuckDBPyConnection) -> None:
    """Create the macros and functions in `con`'s database unless it has them already."""
    with _lock:
        found = con.execute(
            "SELECT count(*) FROM duckdb_functions() WHERE function_name = 'owl_ip_in'"
        ).fetchall()
        if found[0][0]:
            return
        for sql in _MACROS:
            con.execute(sql)
        con.create_function(
            "owl_ip_valid", _ip_valid, ["VARCHAR", "INTEGER"], "BOOLEAN", type=PythonUDFType.ARROW
        )
        con.create_function(
            "owl_json_fields", _json_fields, ["VARCHAR"], "VARCHAR[]", type=PythonUDFType.ARROW
        )
        con.create_function(
            "owl_ip_in",
            _ip_in,
            ["VARCHAR", "VARCHAR", "INTEGER"],
            "BOOLEAN",
            type=PythonUDFType.ARROW,
        )
