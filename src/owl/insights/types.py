"""The static kinds of compiled values: how each is compared, converted and rendered.

text  VARCHAR read from an event (JSON leaf, parse capture, message); numeric-looking text
      acts as a number in numeric contexts (spec §4.2) and keeps its source text in results
num   DOUBLE computed by the query; rendered like Java's Double.toString (§4.5)
int   BIGINT with integer meaning (count, strlen, toMillis); rendered without a point
time  BIGINT epoch milliseconds; rendered `YYYY-MM-DD HH:MM:SS.mmm`
bool  BOOLEAN; rendered 1 or 0 (§4.6)
json  JSON map or list from jsonParse/unnest; scalars render as leaves, the rest as JSON
"""

from __future__ import annotations

from typing import Literal, TypeAlias

Kind: TypeAlias = Literal["text", "num", "int", "time", "bool", "json"]
NUMERIC: frozenset[str] = frozenset({"num", "int", "time", "bool"})
