"""`owl serve`: run the server on the embedded defaults."""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from owl.config import DEFAULT_DATA_DIR, DEFAULT_DEV_ACCOUNT, DEFAULT_HOST, DEFAULT_PORT, Settings
from owl.errors import DataDirLockedError

KEEP_ALIVE_S = 60  # an idle keep-alive connection stays open this long


def serve(
    host: Annotated[str, typer.Option(help="Address to bind.", envvar="OWL_HOST")] = DEFAULT_HOST,
    port: Annotated[
        int, typer.Option(help="TCP port for every service.", envvar="OWL_PORT")
    ] = DEFAULT_PORT,
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="Directory holding all state.", envvar="OWL_DATA_DIR")
    ] = Path(DEFAULT_DATA_DIR),
    dev: Annotated[
        bool,
        typer.Option(
            "--dev", help="Accept any credentials (local development only).", envvar="OWL_DEV"
        ),
    ] = False,
    dev_account_id: Annotated[
        str,
        typer.Option(
            "--dev-account-id",
            help="Account id of every request in --dev mode.",
            envvar="OWL_DEV_ACCOUNT_ID",
        ),
    ] = DEFAULT_DEV_ACCOUNT,
    log_level: Annotated[
        str, typer.Option(help="Level of owl's own log.", envvar="OWL_LOG_LEVEL")
    ] = "info",
    fsync: Annotated[
        bool,
        typer.Option(
            help="fsync the write-ahead log before acknowledging writes.", envvar="OWL_FSYNC"
        ),
    ] = True,
    alarm_actions: Annotated[
        str | None,
        typer.Option(
            "--alarm-actions",
            help="Alarm action ARN -> URL: a JSON object, or the path of a file holding one.",
            envvar="OWL_ALARM_ACTIONS",
        ),
    ] = None,
    test_hooks: Annotated[
        bool,
        typer.Option("--test-hooks", hidden=True, help="Serve /_owl/flush and /_owl/faults."),
    ] = False,
) -> None:
    """Start owl: CloudWatch Logs API, /health and /metrics on one port."""
    # Imported here, not at the top: every other command (`owl keys`, …) would pay for them.
    import uvicorn

    from owl.server.app import build_app
    from owl.server.state import open_state

    settings = Settings.from_env(
        host=host,
        port=port,
        data_dir=data_dir,
        dev=dev or None,
        dev_account_id=dev_account_id,
        log_level=log_level,
        fsync=fsync,
        alarm_actions=alarm_actions,
        test_hooks=test_hooks or None,
    )
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=sys.stderr,
    )
    log = logging.getLogger("owl.server")
    try:
        state = open_state(settings)
    except DataDirLockedError as e:
        typer.echo(f"owl: {e.message}", err=True)
        raise typer.Exit(2) from None
    if settings.dev:
        typer.echo(
            "WARNING: --dev mode: every request is accepted without checking its signature, "
            f"as account {settings.dev_account_id}. Never expose this server.",
            err=True,
        )
    elif state.new_root_key is not None:
        key = state.new_root_key
        typer.echo(
            "Created account "
            f"{key.account_id} with its root access key (shown once; also in "
            f"{settings.data_dir / 'credentials'}, mode 0600):\n"
            f"  aws_access_key_id = {key.access_key_id}\n"
            f"  aws_secret_access_key = {key.secret_access_key}",
            err=True,
        )
    app = build_app(state)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        access_log=False,
        lifespan="off",
        server_header=False,
        # uvicorn closes an idle connection after 5 s: a client that keeps one between
        # batches or polls (agents, SDK pools) writes its next request into a closed socket.
        timeout_keep_alive=KEEP_ALIVE_S,
    )
    log.info(
        "Listening host=%s port=%d data_dir=%s dev=%s",
        settings.host,
        settings.port,
        settings.data_dir,
        settings.dev,
    )
    server = uvicorn.Server(config)

    def stop(signum: int, _frame: FrameType | None) -> None:
        # uvicorn re-raises the signal that stopped it once it has shut down; with this handler
        # in place (it restores it), that ends here, and the process closes its state and exits
        # 0 instead of dying of SIGTERM before `state.close()`.
        log.info("Stopping signal=%s", signal.Signals(signum).name)
        server.should_exit = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stop)
    try:
        server.run()
    finally:
        state.close()
        log.info("Stopped data_dir=%s", settings.data_dir)
