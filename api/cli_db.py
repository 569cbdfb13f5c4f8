"""`bwledger db upgrade` / `db status`: the database schema (Alembic, ledger/migrations), for operators who
migrate before they start (or upgrade) the servers: docs/deployment.md, "Migrations"."""
from __future__ import annotations

import sys

import sqlalchemy as sa
import typer

from api import bootstrap
from api.settings import Settings, load_settings

db_app = typer.Typer(help="De database: het schema bijwerken (migraties) en tonen waar het staat.",
                     no_args_is_help=True)


def _settings() -> Settings:
    try:
        return load_settings()
    except ValueError as exc:
        print(f"fout: {exc}", file=sys.stderr)
        raise typer.Exit(2)


def where(settings: Settings) -> str:
    """The database as an operator reads it: its URL without the password, and the schema."""
    url = sa.engine.make_url(settings.database_url).render_as_string(hide_password=True)
    return url + (f" (schema {settings.database_schema})" if settings.database_schema else "")


def _migrations(n: int) -> str:
    return f"{n} migratie" if n == 1 else f"{n} migraties"


@db_app.command("upgrade")
def upgrade() -> None:
    """Migrate the database (BWLEDGER_DATABASE_URL, BWLEDGER_DATABASE_SCHEMA) to the newest schema and say
    what was done; running it again does nothing. Makes no key and no genesis entry (`bwledger ledger init`)."""
    s = _settings()
    try:
        done = bootstrap.upgrade_database(s)
    except sa.exc.SQLAlchemyError as exc:
        print(f"fout: de database {where(s)} is niet bij te werken: {exc.__class__.__name__}: "
              f"{str(getattr(exc, 'orig', exc)).strip().splitlines()[0]}", file=sys.stderr)
        raise typer.Exit(2)
    if not done.applied:
        typer.echo(f"database {where(s)} is al bijgewerkt: revisie {done.after}; niets te doen")
        return
    typer.echo(f"database {where(s)} bijgewerkt: {_migrations(len(done.applied))} uitgevoerd, van "
               f"{done.before or 'leeg'} naar {done.after}")
    for revision in done.applied:
        typer.echo(f"  {revision}")


@db_app.command("status")
def status() -> None:
    """The database's schema revision and the newest this version knows; exit 1 when it is behind."""
    from ledger.store import schema_revisions

    s = _settings()
    try:
        current = bootstrap.schema_revision(s)
    except sa.exc.SQLAlchemyError as exc:
        print(f"fout: de database {where(s)} is niet bereikbaar: {exc.__class__.__name__}", file=sys.stderr)
        raise typer.Exit(2)
    known = schema_revisions()
    behind = known[known.index(current) + 1:] if current in known else known
    if not behind:
        typer.echo(f"database {where(s)}: revisie {current}, de nieuwste")
        return
    typer.echo(f"database {where(s)}: revisie {current or 'leeg'}; {_migrations(len(behind))} te doen "
               f"({', '.join(behind)}): voer `bwledger db upgrade` uit")
    raise typer.Exit(1)
