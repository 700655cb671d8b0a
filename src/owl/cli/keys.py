"""`owl keys`: create, list and delete access keys in a data directory.

Works beside a running server: the catalog is shared through SQLite, and the server looks keys
up on each request, so a new key works at once and a deleted one stops working at once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from owl.config import DEFAULT_DATA_DIR
from owl.domain.accounts import Accounts
from owl.domain.catalog import catalog_path, open_catalog
from owl.errors import NotFoundError

app = typer.Typer(help="Manage access keys.", no_args_is_help=True)

DataDir = Annotated[Path, typer.Option("--data-dir", help="Directory holding all state.")]


def _accounts(data_dir: Path) -> Accounts:
    if not catalog_path(data_dir).exists():
        typer.echo(f"owl: no catalog in {data_dir}; start `owl serve` there first.", err=True)
        raise typer.Exit(2)
    return Accounts(open_catalog(data_dir))


@app.command("create")
def create(
    data_dir: DataDir = Path(DEFAULT_DATA_DIR),
    account: Annotated[
        str | None, typer.Option(help="Account of the key (default: the first account).")
    ] = None,
    new_account: Annotated[
        bool, typer.Option("--new-account", help="Create a new account with this as root key.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Create an access key; its secret is printed this once."""
    accounts = _accounts(data_dir)
    if new_account:
        key = accounts.create_account()
    else:
        if account is None:
            existing = accounts.list_keys()
            if not existing:
                typer.echo("owl: no account yet; use --new-account.", err=True)
                raise typer.Exit(2)
            # The oldest key's account (the one made at first start); list_keys sorts by
            # account id, which is random, not by age.
            account = min(existing, key=lambda k: k.created_ms).account_id
        try:
            key = accounts.create_key(account)
        except NotFoundError as e:
            typer.echo(f"owl: {e.message}", err=True)
            raise typer.Exit(2) from None
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "AccountId": key.account_id,
                    "AccessKeyId": key.access_key_id,
                    "SecretAccessKey": key.secret_access_key,
                }
            )
        )
    else:
        typer.echo(f"account           {key.account_id}")
        typer.echo(f"access key id     {key.access_key_id}")
        typer.echo(f"secret access key {key.secret_access_key}")


@app.command("list")
def list_(
    data_dir: DataDir = Path(DEFAULT_DATA_DIR),
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List access keys (never their secrets)."""
    keys = _accounts(data_dir).list_keys()
    rows = [
        {"AccountId": k.account_id, "AccessKeyId": k.access_key_id, "Root": k.is_root} for k in keys
    ]
    if as_json:
        typer.echo(json.dumps(rows))
        return
    for r in rows:
        typer.echo(f"{r['AccountId']}  {r['AccessKeyId']}  {'root' if r['Root'] else ''}".rstrip())


@app.command("delete")
def delete(
    access_key_id: Annotated[str, typer.Argument(help="The key to delete.")],
    data_dir: DataDir = Path(DEFAULT_DATA_DIR),
) -> None:
    """Delete an access key; requests signed with it are refused from now on."""
    try:
        _accounts(data_dir).delete_key(access_key_id)
    except NotFoundError as e:
        typer.echo(f"owl: {e.message}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"deleted {access_key_id}")
