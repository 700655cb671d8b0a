"""Helpers for Insights parser tests: the error a query raises, and the text it points at."""

from __future__ import annotations

import pytest

from owl.insights import Query, QueryError, parse, to_text


def rejected(query: str) -> QueryError:
    """The QueryError `query` raises; its span must lie inside the text."""
    with pytest.raises(QueryError) as caught:
        parse(query)
    err = caught.value
    assert 0 <= err.start <= err.end <= len(query)
    return err


def pointed(query: str) -> str:
    """The part of `query` its error points at."""
    err = rejected(query)
    return query[err.start : err.end]


def round_trip(query: str) -> Query:
    """Parse, check that printing parses back to the same tree, and return the tree."""
    tree = parse(query)
    assert parse(to_text(tree)) == tree
    return tree
