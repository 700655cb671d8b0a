"""`owl query`: run a Logs Insights query against a server and print its rows.

A client like any other: it speaks the CloudWatch Logs API through botocore and imports nothing
of owl but its defaults, so it works the same against owl and AWS. botocore and rich are
imported inside the functions that use them, so that other commands do not pay for them.
"""

from __future__ import annotations

import configparser
import csv
import json
import re
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer

from owl.config import DEFAULT_DATA_DIR, DEFAULT_HOST, DEFAULT_PORT, DEFAULT_REGION

UNIT_SECONDS = {"s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800}
_RELATIVE = re.compile(r"(\d+)([smhdw])", re.ASCII)
_EPOCH = re.compile(r"\d+", re.ASCII)
_RUNNING = ("Scheduled", "Running")
# A --dev server accepts any signature; these only have to be well-formed.
_DEV_KEYS = {"aws_access_key_id": "OWLDEVELOPMENT", "aws_secret_access_key": "owl-dev"}


class Output(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def parse_time(text: str, now: float) -> int:
    """Epoch seconds of `now`, a duration before `now` (`30s`, `15m`, `2h`, `7d`, `1w`), epoch
    seconds, or ISO 8601 (UTC unless it carries an offset).

    StartQuery takes whole seconds, so a fraction is dropped; the server reads through the last
    millisecond of the end second, so an `--until` instant is still included. All digits mean
    epoch seconds, never ISO 8601's basic date form (`20240101`). Raises ValueError.
    """
    s = text.strip()
    if s == "now":
        return int(now // 1)
    if m := _RELATIVE.fullmatch(s):
        return int(now // 1) - int(m[1]) * UNIT_SECONDS[m[2]]
    if _EPOCH.fullmatch(s):
        return int(s)
    try:
        at = datetime.fromisoformat(s)
    except ValueError:
        raise ValueError(
            f"{text!r} is not a time: use now, 30s, 15m, 2h, 7d, 1w, epoch seconds or ISO 8601."
        ) from None
    return int(at.replace(tzinfo=at.tzinfo or UTC).timestamp() // 1)


def caret(query: str, start: int, end: int) -> str:
    """The line of `query` holding offset `start`, with carets under [start, end) on that line."""
    line_start = query.rfind("\n", 0, start) + 1
    line_end = query.find("\n", start)
    line_end = len(query) if line_end < 0 else line_end
    width = max(1, min(end, line_end) - start)
    return f"{query[line_start:line_end]}\n{' ' * (start - line_start)}{'^' * width}"


def rows_of(results: list[list[dict[str, str]]], with_ptr: bool) -> list[dict[str, str]]:
    """GetQueryResults rows as dicts; @ptr (an opaque record pointer) only when asked for."""
    return [
        {f["field"]: f.get("value", "") for f in row if with_ptr or f["field"] != "@ptr"}
        for row in results
    ]


def columns_of(rows: list[dict[str, str]]) -> list[str]:
    """The union of the rows' fields, in order of first appearance (rows may differ)."""
    return list(dict.fromkeys(name for row in rows for name in row))


def _credentials(session: Any, data_dir: Path, dev: bool) -> dict[str, str] | None:
    """Keys to pass to the client; {} lets botocore's chain sign, None means none were found.

    The chain (environment, shared files, profiles, …) comes first, as for any AWS client; then
    the root key `owl serve` wrote into its data directory; then, with --dev, dummy keys.
    """
    if session.get_credentials() is not None:
        return {}
    parser = configparser.ConfigParser()
    parser.read(data_dir / "credentials")
    if parser.has_option("default", "aws_access_key_id"):
        return {
            "aws_access_key_id": parser["default"]["aws_access_key_id"],
            "aws_secret_access_key": parser["default"].get("aws_secret_access_key", ""),
        }
    return dict(_DEV_KEYS) if dev else None


def _client(endpoint_url: str, region: str | None, data_dir: Path, dev: bool) -> Any:
    from botocore.config import Config
    from botocore.session import Session

    session = Session()
    keys = _credentials(session, data_dir, dev)
    if keys is None:
        typer.echo(
            "owl: no credentials: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or a profile, "
            f"point --data-dir at the server's data directory (no {data_dir / 'credentials'}), "
            "or pass --dev for a --dev server.",
            err=True,
        )
        raise typer.Exit(2)
    return session.create_client(
        "logs",
        region_name=region or session.get_config_variable("region") or DEFAULT_REGION,
        endpoint_url=endpoint_url,
        config=Config(retries={"mode": "standard"}),
        **keys,
    )


@contextmanager
def _ctrl_c_held() -> Iterator[None]:
    """Hold a first Ctrl-C until the block is done, then raise KeyboardInterrupt; a second one
    raises at once. Around StartQuery: a Ctrl-C before its answer would leave a query running
    with no id to stop it."""
    caught: list[int] = []

    def hold(signum: int, _frame: FrameType | None) -> None:
        if caught:
            raise KeyboardInterrupt
        caught.append(signum)

    previous = signal.signal(signal.SIGINT, hold)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt


def _wait(client: Any, query_id: str) -> dict[str, Any]:
    """Poll GetQueryResults until the query has finished, with a spinner and its statistics on
    stderr (rich draws nothing when stderr is not a terminal); then fetch the remaining pages."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    pause = 0.05
    with progress:
        task = progress.add_task("Scheduled")
        while True:
            response: dict[str, Any] = client.get_query_results(queryId=query_id)
            if response["status"] not in _RUNNING:
                break
            stats = response.get("statistics", {})
            progress.update(
                task,
                description=f"{response['status']}: {stats.get('recordsMatched', 0):,.0f} "
                f"records matched of {stats.get('recordsScanned', 0):,.0f} scanned",
            )
            time.sleep(pause)
            pause = min(1.0, pause * 1.5)  # quick answers come back at once, long ones poll less
    token = response.get("nextToken")
    while token:
        page = client.get_query_results(queryId=query_id, nextToken=token)
        response["results"] += page["results"]
        token = page.get("nextToken")
    return response


def _print(rows: list[dict[str, str]], output: Output) -> None:
    names = columns_of(rows)
    if output is Output.json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
    elif not rows:
        return  # no header either: the fields are only known from the rows
    elif output is Output.csv:
        writer = csv.DictWriter(sys.stdout, names, restval="", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    else:
        from rich import box
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        # Text, not str: a value such as "[red]" is data, not rich markup.
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
        for name in names:
            table.add_column(Text(name))
        for row in rows:
            table.add_row(*(Text(row.get(n, "")) for n in names))
        Console(soft_wrap=False).print(table)


def query(
    query_string: Annotated[str, typer.Argument(help="The Logs Insights query.")],
    group: Annotated[
        list[str] | None,
        typer.Option(
            "--group", "-g", help="Log group to search (repeat; none for a SOURCE query)."
        ),
    ] = None,
    since: Annotated[
        str, typer.Option(help="Start: 30s, 15m, 2h, 7d, 1w ago, ISO 8601 or epoch seconds.")
    ] = "1h",
    until: Annotated[
        str, typer.Option(help="End: now, a duration ago, ISO 8601 or epoch seconds.")
    ] = "now",
    limit: Annotated[
        int | None, typer.Option(min=1, help="Most rows to return (default: the server's).")
    ] = None,
    output: Annotated[Output, typer.Option("--output", "-o", help="How to print rows.")] = (
        Output.table
    ),
    with_ptr: Annotated[
        bool, typer.Option("--with-ptr", help="Keep each row's @ptr (for GetLogRecord).")
    ] = False,
    endpoint_url: Annotated[
        str, typer.Option(help="The server's URL.", envvar="OWL_ENDPOINT_URL")
    ] = f"http://{DEFAULT_HOST}:{DEFAULT_PORT}",
    region: Annotated[
        str | None, typer.Option(help=f"Region (default: the AWS config's, or {DEFAULT_REGION}).")
    ] = None,
    data_dir: Annotated[
        Path,
        typer.Option(
            "--data-dir",
            help="Data directory whose credentials file to use when no AWS credentials are set.",
            envvar="OWL_DATA_DIR",
        ),
    ] = Path(DEFAULT_DATA_DIR),
    dev: Annotated[
        bool,
        typer.Option("--dev", help="Send dummy credentials to a --dev server.", envvar="OWL_DEV"),
    ] = False,
) -> None:
    """Run a Logs Insights query and print its rows; exits 1 if it does not complete, 2 if it
    is malformed, 130 on Ctrl-C (after stopping it)."""
    from botocore.exceptions import BotoCoreError, ClientError

    now = time.time()
    try:
        start = parse_time(since, now)
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint="--since") from None
    try:
        end = parse_time(until, now)
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint="--until") from None
    params: dict[str, Any] = {"queryString": query_string, "startTime": start, "endTime": end}
    if group:
        params["logGroupNames"] = group
    if limit is not None:
        params["limit"] = limit
    client = _client(endpoint_url, region, data_dir, dev)
    query_id = None
    try:
        with _ctrl_c_held():
            query_id = client.start_query(**params)["queryId"]
        response = _wait(client, query_id)
    except KeyboardInterrupt:
        if query_id is not None:
            try:
                client.stop_query(queryId=query_id)
            except ClientError:
                pass  # it finished meanwhile
        typer.echo("owl: interrupted; query stopped.", err=True)
        raise typer.Exit(130) from None
    except ClientError as e:
        error = e.response.get("Error", {})
        typer.echo(f"owl: {error.get('Code')}: {error.get('Message')}", err=True)
        if error.get("Code") != "MalformedQueryException":
            raise typer.Exit(1) from None
        where = e.response.get("queryCompileError", {}).get("location")
        if where:
            typer.echo(
                caret(query_string, where["startCharOffset"], where["endCharOffset"]), err=True
            )
        raise typer.Exit(2) from None
    except BotoCoreError as e:
        typer.echo(f"owl: {e}", err=True)
        raise typer.Exit(1) from None
    if response["status"] != "Complete":
        typer.echo(f"owl: query {query_id} {response['status']}", err=True)
        raise typer.Exit(1)
    rows = rows_of(response["results"], with_ptr)
    _print(rows, output)
    stats = response.get("statistics", {})
    typer.echo(
        f"{len(rows):,} row{'' if len(rows) == 1 else 's'}; "
        f"{stats.get('recordsMatched', 0):,.0f} records matched of "
        f"{stats.get('recordsScanned', 0):,.0f} scanned",
        err=True,
    )
