"""The `owl` command: one typer app, one module per command group."""

from __future__ import annotations

import typer

from owl.cli import keys, query, serve

app = typer.Typer(
    name="owl",
    help="A self-hosted log service that speaks the Amazon CloudWatch Logs API.",
    no_args_is_help=True,
    add_completion=False,
)
app.command("serve")(serve.serve)
app.command("query")(query.query)
app.add_typer(keys.app, name="keys")


def main() -> None:
    app()
