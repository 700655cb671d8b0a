"""The event engine: WAL → memtable → immutable Parquet segments, read through DuckDB.

Knows nothing of HTTP, AWS shapes or the catalog: it stores events under integer group and
stream incarnation ids.
"""
