"""DuckDB macros the compiled queries call: value rendering, JSON leaves, natural sort keys.

They are SQL, not Python UDFs, so they run vectorised inside DuckDB. `install` creates them
in a connection's database once (CREATE OR REPLACE is idempotent; macros in the main schema
of an in-memory database are seen by every cursor of it).
"""

from __future__ import annotations

import threading

import duckdb

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
    # JSON values (jsonParse, unnest): scalars as leaves, maps and lists as compact JSON.
    """
CREATE OR REPLACE MACRO owl_jtext(v) AS CASE
  WHEN v IS NULL THEN NULL
  WHEN left(CAST(v AS VARCHAR), 1) = '"' THEN json_extract_string(v, '$')
  WHEN CAST(v AS VARCHAR) = 'null' THEN NULL
  ELSE CAST(v AS VARCHAR) END
""",
    # Natural sort (spec §7): a value is a number when it is only digits (or reads as one);
    # other values compare chunk by chunk, digit runs by length then value. A digit run is
    # rewritten as '0' + its length (6 digits) + the run: it still compares like a digit
    # against any other character, and against another run by length first.
    """
CREATE OR REPLACE MACRO owl_isnum(s) AS
  regexp_full_match(s, '-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?')
""",
    """
CREATE OR REPLACE MACRO owl_natkey(s) AS array_to_string(list_transform(
  regexp_extract_all(s, '[0-9]+|[^0-9]+'),
  lambda c: CASE WHEN regexp_full_match(c, '[0-9]+')
    THEN '0' || lpad(CAST(length(c) AS VARCHAR), 6, '0') || c ELSE c END), '')
""",
    # Java-style remainder on doubles: the sign follows the dividend.
    """
CREATE OR REPLACE MACRO owl_mod(a, b) AS CASE WHEN b = 0 THEN NULL ELSE fmod(a, b) END
""",
]

_installed: set[int] = set()
_lock = threading.Lock()


def install(con: duckdb.DuckDBPyConnection, database_key: int) -> None:
    """Create the macros in the database `database_key` names, once per process."""
    with _lock:
        if database_key in _installed:
            return
        for sql in _MACROS:
            con.execute(sql)
        _installed.add(database_key)
