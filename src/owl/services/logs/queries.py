"""Logs Insights operations: StartQuery, GetQueryResults, StopQuery, DescribeQueries,
GetLogRecord, GetLogGroupFields.

StartQuery parses and compiles the query (MalformedQueryException with its location comes
from here, not from a Failed status later), resolves the groups, pins each group's store
version (the data set is fixed when the query starts) and hands the job to the executor.
The job's `source` relation is built here because only this layer knows the store: per
group, the overlapping segment files and memtable batches, cut to the time range in the scan.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from owl.domain.models import LogGroup
from owl.errors import InvalidInputError, LimitExceededError, NotFoundError
from owl.insights import QueryError, parse
from owl.insights.compiler import Plan, compile_query, sql_string
from owl.insights.executor import Job, describe
from owl.insights.records import discovered
from owl.protocol.errors import AwsError
from owl.services.base import Call, Params, Result
from owl.services.logs import LOGS
from owl.store.engine import GroupView, Store
from owl.store.events import SCHEMA

MAX_GROUPS = 50
MAX_RESULTS_PAGE = 10_000
START_WAIT_S = 0.5
_PTR = "query_record_pointer"
_RESULTS = "query_results"
_COLUMNS = (
    "stream_id AS __sid, ts AS __ts, seq AS __seq, ingest AS __ingest, message AS __msg, "
    "{gid} AS __gid, {log} AS __log, {lam} AS __lambda"
)


def malformed(e: QueryError) -> AwsError:
    return AwsError(
        "MalformedQueryException",
        e.message,
        fields={
            "queryCompileError": {
                "location": {"startCharOffset": e.start, "endCharOffset": e.end},
                "message": e.message,
            }
        },
    )


def _groups(call: Call, p: Params, has_source: bool) -> list[LogGroup]:
    given = [k for k in ("logGroupName", "logGroupNames", "logGroupIdentifiers") if k in p]
    if has_source:
        if given:
            raise InvalidInputError(
                "A query that starts with SOURCE selects its log groups itself: leave out "
                "logGroupName, logGroupNames and logGroupIdentifiers."
            )
        return []
    if len(given) != 1:
        raise InvalidInputError(
            "Exactly one of logGroupName, logGroupNames and logGroupIdentifiers must be given."
        )
    key = given[0]
    names = [p[key]] if key == "logGroupName" else list(p[key])
    if not names:
        raise InvalidInputError(f"{key} must name at least one log group.")
    if len(names) > MAX_GROUPS:
        raise InvalidInputError(f"A query can search at most {MAX_GROUPS} log groups.")
    groups: dict[int, LogGroup] = {}
    for name in names:
        if key == "logGroupIdentifiers" and name.endswith("*"):
            raise InvalidInputError("logGroupIdentifiers must not end with '*'.")
        try:
            g = (
                call.backends.groups.resolve(call.scope, name)
                if key == "logGroupIdentifiers"
                else call.backends.groups.get(call.scope, name)
            )
        except NotFoundError:
            raise NotFoundError(
                f"Log group '{name}' does not exist for account ID '{call.scope.account_id}'",
                reason="log_group_not_found",
            ) from None
        groups[g.id] = g
    return list(groups.values())


def _source_groups(call: Call, query: Any) -> list[LogGroup]:
    """Groups selected by `SOURCE logGroups(namePrefix: [...], class: [...])` (§6.11.3)."""
    prefixes: list[str] = []
    classes = ["STANDARD"]
    accounts: list[str] | None = None
    for arg in query.source.args:
        values = [getattr(v, "value", getattr(v, "text", "")) for v in arg.values.items]
        if arg.name == "namePrefix":
            prefixes = [str(v) for v in values]
        elif arg.name == "class":
            classes = [str(v) for v in values]
        else:
            accounts = [str(v) for v in values]
    if len(prefixes) > 5:
        raise InvalidInputError("SOURCE accepts at most 5 name prefixes.")
    if accounts is not None and len(accounts) > 20:
        raise InvalidInputError("SOURCE accepts at most 20 account identifiers.")
    if accounts and call.scope.account_id not in accounts:
        return []
    found: list[LogGroup] = []
    token: str | None = None
    while True:
        page = call.backends.groups.describe(call.scope, limit=50, next_token=token)
        for g in page.items:
            if g.log_group_class in classes and (
                not prefixes or any(g.name.startswith(x) for x in prefixes)
            ):
                found.append(g)
        token = page.next_token
        if not token:
            break
    if len(found) > 10_000:
        raise InvalidInputError("SOURCE selects more than 10,000 log groups.")
    return found


def _floors(groups: list[LogGroup], lo: int, now_ms: int) -> list[int]:
    """Per group, the first timestamp a query reads: events past retention are not read."""
    return [max(lo, g.retention_floor(now_ms)) for g in groups]


def _source(
    store: Store,
    groups: list[LogGroup],
    views: list[GroupView],
    los: list[int],
    hi: int,
    uses_stream: bool,
) -> tuple[str, dict[str, pa.Table]]:
    """SQL of the `source` relation and the Arrow tables (memtables, stream names) it reads."""
    parts: list[str] = []
    tables: dict[str, pa.Table] = {}
    for i, (g, view, lo) in enumerate(zip(groups, views, los, strict=True)):
        where = f"WHERE ts >= {lo} AND ts <= {hi}"
        cols = _COLUMNS.format(
            gid=g.id,
            log=sql_string(f"{g.scope.account_id}:{g.name}"),
            lam="TRUE" if g.name.startswith("/aws/lambda/") else "FALSE",
        )
        segments = [s for s in view.segments if s.rows and s.min_ts <= hi and s.max_ts >= lo]
        for source in store.sources(segments):
            parts.append(f"SELECT {cols} FROM {source} {where}")
        mem = view.mem.select(None, lo, hi)
        if mem:
            tables[f"mem{i}"] = pa.Table.from_batches(mem, schema=SCHEMA)
            parts.append(f"SELECT {cols} FROM mem{i} {where}")
    if not parts:
        tables["mem_empty"] = SCHEMA.empty_table()
        parts.append("SELECT " + _COLUMNS.format(gid=0, log="''", lam="FALSE") + " FROM mem_empty")
    union = " UNION ALL ".join(parts)
    if not uses_stream:
        return f"SELECT *, CAST(NULL AS VARCHAR) AS __stream FROM ({union})", tables
    return (
        f"SELECT e.*, n.name AS __stream FROM ({union}) e LEFT JOIN stream_names n "
        "ON n.sid = e.__sid AND n.gid = e.__gid",
        tables,
    )


def _stream_names(call: Call, groups: list[LogGroup]) -> pa.Table:
    gids: list[int] = []
    sids: list[int] = []
    names: list[str] = []
    for g in groups:
        for sid, name in call.backends.streams.select(g).items():
            gids.append(g.id)
            sids.append(sid)
            names.append(name)
    return pa.table(
        {
            "gid": pa.array(gids, pa.int64()),
            "sid": pa.array(sids, pa.int64()),
            "name": pa.array(names, pa.string()),
        }
    )


def _scanned(store: Store, views: list[GroupView], los: list[int], hi: int) -> Any:
    """recordsScanned and bytesScanned of the events in range, mostly from metadata: the
    manifest's counts for segments inside the range, Arrow compute over memtable batches,
    and a query only over segments that straddle an edge (or predate message counts)."""

    def count(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
        rows = nbytes = 0
        partial: list[tuple[str, int]] = []
        for view, lo in zip(views, los, strict=True):
            for s in view.segments:
                if not s.rows or s.min_ts > hi or s.max_ts < lo:
                    continue
                if lo <= s.min_ts and s.max_ts <= hi and s.message_bytes is not None:
                    rows += s.rows
                    nbytes += s.message_bytes
                else:
                    partial.append((store.sources([s])[0], lo))
            for batch in view.mem.select(None, lo, hi):
                ts = batch.column(1)
                kept = batch.filter(pc.and_(pc.greater_equal(ts, lo), pc.less_equal(ts, hi)))
                rows += kept.num_rows
                nbytes += int(pc.sum(pc.binary_length(kept.column(4))).as_py() or 0)
        if partial:
            found = con.sql(
                " UNION ALL ".join(
                    f"SELECT count(*), coalesce(sum(strlen(message)), 0) FROM "
                    f"{source} WHERE ts >= {lo} AND ts <= {hi}"
                    for source, lo in partial
                )
            ).fetchall()
            rows += sum(int(r[0]) for r in found)
            nbytes += sum(int(r[1]) for r in found)
        return rows, nbytes

    return count


@LOGS.operation("StartQuery")
def start_query(call: Call, p: Params) -> Result:
    language = p.get("queryLanguage", "CWLI")
    if language != "CWLI":
        raise InvalidInputError(
            f"queryLanguage {language} is not supported by this server; use CWLI."
        )
    start, end = int(p["startTime"]), int(p["endTime"])
    if end < start:
        raise InvalidInputError("endTime must be greater than or equal to startTime.")
    text = p["queryString"]
    try:
        query = parse(text)
    except QueryError as e:
        raise malformed(e) from None
    has_source = query.source is not None
    groups = _groups(call, p, has_source)  # with SOURCE: [] or the error of a group parameter
    if has_source:
        groups = _source_groups(call, query)
    for g in groups:
        call.backends.data_keys.check_readable(g)
    owner = (call.scope.account_id, call.scope.region)
    executor = call.backends.queries
    if executor.active(owner) >= executor.max_active:
        raise LimitExceededError("Account maximum query concurrency limit of [100] reached.")
    now_ms = call.backends.clock.now_ms()
    try:
        plan = compile_query(query, now_s=now_ms // 1000, row_cap=p.get("limit"))
    except QueryError as e:
        raise malformed(e) from None
    store = call.backends.store
    _check_regexes(store.cursor(), plan)
    lo, hi = start * 1000, end * 1000 + 999
    views = [store.pin(g.id) for g in groups]
    los = _floors(groups, lo, now_ms)
    source_sql, tables = _source(store, groups, views, los, hi, plan.uses_stream)
    if plan.uses_stream:
        tables["stream_names"] = _stream_names(call, groups)
    account = call.scope.account_id
    signer = call.backends.signer
    names = {g.id: g.name for g in groups}

    def make_ptr(gid: int, sid: int, ts: int, seq: int) -> str:
        return str(signer.encode(_PTR, account, [gid, names.get(gid, ""), sid, ts, seq]))

    def release() -> None:
        for view in views:
            store.unpin(view)

    job = Job(
        plan=plan,
        source_sql=source_sql,
        tables=tables,
        connect=store.cursor,
        make_ptr=make_ptr,
        release=release,
        scanned=_scanned(store, views, los, hi),
    )
    queued = executor.busy()
    record = executor.submit(owner, text, [g.name for g in groups], job, now_ms)
    # Still asynchronous, but a short query is already Complete when the client first asks
    # (clients written against in-memory fakes often do not poll); one that waits behind
    # others for a worker is answered at once.
    if not queued:
        record.done.wait(START_WAIT_S)
    return {"queryId": record.query_id}


def _check_regexes(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    """A regex DuckDB's engine cannot run is a compile error of StartQuery, not a failure."""
    try:
        for pattern, a, b in plan.regexes:
            try:
                con.execute("SELECT regexp_matches('', ?)", [pattern]).fetchall()
            except duckdb.Error as e:
                reason = str(e).split(":")[-1].strip()
                raise malformed(QueryError(f"Invalid regular expression: {reason}", a, b)) from None
    finally:
        con.close()


def _record(call: Call, query_id: str) -> Any:
    record = call.backends.queries.get(query_id, (call.scope.account_id, call.scope.region))
    if record is None:
        raise NotFoundError("The specified query could not be found.", reason="query_not_found")
    return record


@LOGS.operation("GetQueryResults")
def get_query_results(call: Call, p: Params) -> Result:
    record = _record(call, p["queryId"])
    rows = record.rows
    status = record.status
    out: dict[str, Any] = {
        "queryLanguage": "CWLI",
        "statistics": dict(record.statistics),
        "status": status,
    }
    max_items = p.get("maxItems")
    token = p.get("nextToken")
    offset = 0
    if token:
        offset = int(call.backends.signer.decode(_RESULTS, record.query_id, token))
    size = MAX_RESULTS_PAGE if max_items is None else min(max_items, MAX_RESULTS_PAGE)
    if status == "Complete" and (max_items is not None or token or len(rows) > size):
        page = rows[offset : offset + size]
        if offset + size < len(rows):
            out["nextToken"] = call.backends.signer.encode(_RESULTS, record.query_id, offset + size)
        out["results"] = page
    else:
        out["results"] = rows if status == "Complete" else []
    return out


@LOGS.operation("StopQuery")
def stop_query(call: Call, p: Params) -> Result:
    record = _record(call, p["queryId"])
    if not call.backends.queries.stop(record):
        raise InvalidInputError(
            f"Query {record.query_id} is not running (its status is {record.status})."
        )
    return {"success": True}


@LOGS.operation("DescribeQueries")
def describe_queries(call: Call, p: Params) -> Result:
    language = p.get("queryLanguage")
    records = call.backends.queries.owned((call.scope.account_id, call.scope.region))
    group = p.get("logGroupName")
    status = p.get("status")
    if language is not None and language != "CWLI":
        records = []
    if group is not None:
        records = [r for r in records if group in r.group_names]
    if status is not None:
        records = [r for r in records if r.status == status]
    limit = p.get("maxResults", 1000)
    token = p.get("nextToken")
    scope = {"g": group, "s": status}
    offset = int(call.backends.signer.decode("describe_queries", scope, token)) if token else 0
    out: dict[str, Any] = {"queries": [describe(r) for r in records[offset : offset + limit]]}
    if offset + limit < len(records):
        out["nextToken"] = call.backends.signer.encode("describe_queries", scope, offset + limit)
    return out


@LOGS.operation("GetLogRecord")
def get_log_record(call: Call, p: Params) -> Result:
    pointer = p["logRecordPointer"]
    try:
        gid, group_name, sid, ts, seq = call.backends.signer.decode(
            _PTR, call.scope.account_id, pointer
        )
    except InvalidInputError:
        raise InvalidInputError("The specified log record pointer is invalid.") from None
    try:
        group = call.backends.groups.get(call.scope, group_name)
    except NotFoundError:
        group = None
    if group is None or group.id != gid:
        raise NotFoundError("The log record no longer exists.", reason="log_record_not_found")
    call.backends.data_keys.check_readable(group)
    store = call.backends.store
    with store.view(group.id) as view:
        con = store.cursor()
        try:
            parts = []
            mem = view.mem.select(frozenset((sid,)), ts, ts)
            if mem:
                con.register("mem", pa.Table.from_batches(mem, schema=SCHEMA))
                parts.append("SELECT * FROM mem")
            segments = [
                s
                for s in view.segments
                if s.min_ts <= ts <= s.max_ts and s.min_seq <= seq <= s.max_seq
            ]
            parts.extend(f"SELECT * FROM {source}" for source in store.sources(segments))
            rows = []
            if parts:
                rows = con.execute(
                    f"SELECT ts, ingest, message FROM ({' UNION ALL '.join(parts)}) "
                    "WHERE stream_id = ? AND ts = ? AND seq = ? LIMIT 1",
                    [sid, ts, seq],
                ).fetchall()
        finally:
            con.close()
    if not rows or ts < group.retention_floor(call.backends.clock.now_ms()):
        raise NotFoundError("The log record no longer exists.", reason="log_record_not_found")
    event_ts, ingest, message = rows[0]
    stream = call.backends.streams.select(group).get(sid, "")
    record = {
        "@timestamp": str(event_ts),
        "@ingestionTime": str(ingest),
        "@message": message,
        "@logStream": stream,
        "@log": f"{group.scope.account_id}:{group.name}",
    }
    for name, value in discovered(
        message, lambda_group=group.name.startswith("/aws/lambda/")
    ).items():
        record.setdefault(name, value)
    return {"logRecord": record}


SAMPLE_EVENTS = 10_000


@LOGS.operation("GetLogGroupFields")
def get_log_group_fields(call: Call, p: Params) -> Result:
    from owl.services.logs.streams import group_of

    group = group_of(call, p)
    call.backends.data_keys.check_readable(group)
    at = p.get("time")
    now_ms = call.backends.clock.now_ms()
    if at is None:
        lo, hi = now_ms - 15 * 60_000, now_ms
    else:
        lo, hi = int(at) * 1000 - 8 * 60_000, int(at) * 1000 + 8 * 60_000
    store = call.backends.store
    with store.view(group.id) as view:
        floors = _floors([group], lo, now_ms)
        source, tables = _source(store, [group], [view], floors, hi, False)
        con = store.cursor()
        try:
            for name, table in tables.items():
                con.register(name, table)
            messages = [
                r[0]
                for r in con.sql(
                    f"SELECT __msg FROM ({source}) ORDER BY __ts DESC LIMIT {SAMPLE_EVENTS}"
                ).fetchall()
            ]
        finally:
            con.close()
    lam = group.name.startswith("/aws/lambda/")
    counts: dict[str, int] = {}
    for message in messages:
        for name in discovered(message, lambda_group=lam):
            counts[name] = counts.get(name, 0) + 1
    fields = (
        [
            {"name": n, "percent": 100}
            for n in ("@timestamp", "@message", "@logStream", "@log", "@ingestionTime")
        ]
        if messages
        else []
    )
    total = max(1, len(messages))
    fields += [
        {"name": n, "percent": round(100 * c / total)}
        for n, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return {"logGroupFields": fields}


@LOGS.operation("ListLogGroupsForQuery")
def list_log_groups_for_query(call: Call, p: Params) -> Result:
    record = _record(call, p["queryId"])
    arns = [call.scope.arn("logs", f"log-group:{name}") for name in record.group_names]
    limit = p.get("maxResults", 50)
    token = p.get("nextToken")
    offset = (
        int(call.backends.signer.decode("query_groups", record.query_id, token)) if token else 0
    )
    out: dict[str, Any] = {"logGroupIdentifiers": arns[offset : offset + limit]}
    if offset + limit < len(arns):
        out["nextToken"] = call.backends.signer.encode(
            "query_groups", record.query_id, offset + limit
        )
    return out
