"""`watchfloor kb`: load STIX knowledge bases (e.g. ATT&CK) into the store."""

from __future__ import annotations

import time
from pathlib import Path

import click

from watchfloor.adapters.db.engine import ensure_schema, make_engine
from watchfloor.adapters.db.kb_repository import KnowledgeBaseRepository
from watchfloor.adapters.stix import StixBundleError, read_bundle
from watchfloor.entrypoints.cli.attribute import bundle_identity


@click.group()
def kb() -> None:
    """Knowledge bases: STIX bundles stored per version."""


@kb.command("load")
@click.argument("bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", default=None, help="Knowledge-base name (default: from the bundle).")
@click.option("--kb-version", "version", default=None, help="Version (default: from the bundle).")
@click.pass_context
def load(ctx: click.Context, bundle: Path, name: str | None, version: str | None) -> None:
    """Validate BUNDLE and store it whole, or report the failing objects and store nothing."""
    started = time.perf_counter()
    try:
        parsed = read_bundle(bundle)
    except StixBundleError as exc:
        raise click.ClickException(str(exc)) from exc
    default_name, default_version = bundle_identity(bundle, parsed)
    engine = make_engine(ctx.obj.get("database_url") if ctx.obj else None)
    ensure_schema(engine)
    record = KnowledgeBaseRepository(engine).add(
        parsed, name or default_name, version or default_version
    )
    click.echo(
        f"{record.name} {record.version}: {record.object_count} objects "
        f"(sha256 {(record.sha256 or '')[:12]}, id {record.id}) "
        f"in {time.perf_counter() - started:.2f} s"
    )


@kb.command("list")
@click.pass_context
def list_versions(ctx: click.Context) -> None:
    """The stored knowledge bases."""
    engine = make_engine(ctx.obj.get("database_url") if ctx.obj else None)
    ensure_schema(engine)
    for r in KnowledgeBaseRepository(engine).all():
        click.echo(
            f"{r.name}@{r.version}\t{r.object_count} objects\t{r.sha256}\t"
            f"{r.loaded_at:%Y-%m-%d %H:%M}"
        )
