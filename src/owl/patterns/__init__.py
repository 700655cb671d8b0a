"""The CloudWatch Logs filter-pattern language: compiled to SQL predicates over `message`.

Knows nothing of the store beyond the column name. Today: term patterns (plain terms, quoted
phrases, `-` exclusions, `?` alternatives); the JSON, space-delimited and regex kinds arrive with
the filter-pattern issue and are refused with a clear error until then.
"""

from owl.patterns.terms import CompiledPattern, PatternError, compile_pattern

__all__ = ["CompiledPattern", "PatternError", "compile_pattern"]
