"""The CloudWatch Logs Insights query language (spec/logs-insights.md), front end only.

Text is read into a tree (lexer, expressions, parser, ast), checked against the static rules
of §12 (validate) and printed back (printer). The function registry (functions) and time
units (periods) are shared with the compilers to come. Knows nothing of the store, the
services or the wire; QueryError is what StartQuery turns into MalformedQueryException.
"""

from owl.insights.ast import Command, Expr, Node, Query, Span
from owl.insights.errors import QueryError
from owl.insights.functions import FUNCTIONS, Function, lookup
from owl.insights.parser import parse
from owl.insights.printer import column_name, to_text
from owl.insights.validate import validate

__all__ = [
    "FUNCTIONS",
    "Command",
    "Expr",
    "Function",
    "Node",
    "Query",
    "QueryError",
    "Span",
    "column_name",
    "lookup",
    "parse",
    "to_text",
    "validate",
]
