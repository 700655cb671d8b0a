"""The CloudWatch Logs filter-pattern language (spec/filter-patterns.md).

Text is parsed into a tree (parser, ast), printed back (printer), compiled to a DuckDB
predicate over `message` (sql) and run over Arrow batches (evaluate). Knows nothing of the
store beyond the column name.
"""

from owl.patterns.ast import MetricValue, Pattern
from owl.patterns.errors import PatternError
from owl.patterns.evaluate import BatchEvaluator, match_messages
from owl.patterns.parser import parse, parse_metric_value
from owl.patterns.printer import to_text
from owl.patterns.sql import CompiledPattern, compile_ast, compile_pattern, value_sql

__all__ = [
    "BatchEvaluator",
    "CompiledPattern",
    "MetricValue",
    "Pattern",
    "PatternError",
    "compile_ast",
    "compile_pattern",
    "parse",
    "parse_metric_value",
    "match_messages",
    "to_text",
    "value_sql",
]
