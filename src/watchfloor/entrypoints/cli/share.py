"""`watchfloor share`, `watchfloor taxii`, `watchfloor misp`: partner versions, tearlines,
TAXII polling and MISP import."""

from __future__ import annotations

from pathlib import Path

import click

from watchfloor.entrypoints.cli._common import app_from, clean_errors


def _write(out: Path | None, text: str) -> None:
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")


@click.group()
def share() -> None:
    """Partner versions (STIX 2.1) and tearlines of a case."""


@share.command("export")
@click.argument("case_id")
@click.option("--marking", required=True, help="Target, e.g. 'NU//REL TO EST//TLP:AMBER'.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.pass_context
@clean_errors
def export(ctx: click.Context, case_id: str, marking: str, out: Path | None) -> None:
    """Write the STIX 2.1 bundle of CASE_ID at a marking (nothing above it goes in)."""
    from watchfloor.adapters.stix.tlp import tlp_problems
    from watchfloor.adapters.stix.writer import export_case
    from watchfloor.domain.tearline import parse_marking
    from watchfloor.service import sharing

    app = app_from(ctx)
    target = parse_marking(marking)
    with app.uow(read_only=True) as uow:
        result = sharing.export_case(uow, case_id, target, app.clock(), export_case)
    problems = tlp_problems(result.objects)
    if problems:
        raise click.ClickException("; ".join(problems))
    _write(out, result.to_json())
    click.echo(
        f"{len(result.objects)} objects at {target.banner()}; left out: "
        f"{', '.join(result.dropped) or 'nothing'}",
        err=True,
    )


@share.command("downgrade")
@click.argument("case_id")
@click.option("--to", "to", required=True, help="Target marking, e.g. TLP:CLEAR.")
@click.option("--title", default=None, help="Title for the released version.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.pass_context
@clean_errors
def downgrade(
    ctx: click.Context, case_id: str, to: str, title: str | None, out: Path | None
) -> None:
    """Write the tearline of CASE_ID for a lower marking, refused if anything above leaks."""
    from watchfloor.domain.tearline import parse_marking
    from watchfloor.service import sharing

    app = app_from(ctx)
    with app.uow(read_only=True) as uow:
        tearline, text = sharing.downgrade_case(uow, case_id, parse_marking(to), title)
    _write(out, text)
    click.echo(f"{len(tearline.facts)} items kept, {len(tearline.dropped)} dropped", err=True)


@click.group()
def taxii() -> None:
    """TAXII 2.1 client: poll partner feeds."""


@taxii.command("poll")
@click.argument("collection_url")
@click.option("--feed", "name", required=True, help="Feed name (the checkpoint's key).")
@click.option("--user", default=None)
@click.option("--password", envvar="WATCHFLOOR_TAXII_PASSWORD", default=None)
@click.option("--token", envvar="WATCHFLOOR_TAXII_TOKEN", default=None)
@click.option("--every", type=float, default=None, help="Poll every N seconds (default: once).")
@click.option("--rounds", type=int, default=None, help="With --every: stop after N rounds.")
@click.pass_context
@clean_errors
def poll(
    ctx: click.Context,
    collection_url: str,
    name: str,
    user: str | None,
    password: str | None,
    token: str | None,
    every: float | None,
    rounds: int | None,
) -> None:
    """Poll COLLECTION_URL from where the last poll stopped, into the knowledge base."""
    from watchfloor.adapters.taxii.poller import (
        Feed,
        PollError,
        PollResult,
        TaxiiPoller,
        knowledge_base_sink,
    )

    app = app_from(ctx)
    url = collection_url if collection_url.endswith("/") else collection_url + "/"
    feed = Feed(name, url, user, password, token)

    def report(r: PollResult | PollError) -> None:
        if isinstance(r, PollError):
            click.echo(f"{name}: failed: {r}", err=True)
        else:
            click.echo(f"{name}: {r.objects} objects in {r.pages} pages, up to {r.checkpoint}")

    with TaxiiPoller(app.engine) as poller:
        sink = knowledge_base_sink(app.engine, name)
        if every is None:
            try:
                report(poller.poll(feed, sink))
            except PollError as e:
                raise click.ClickException(str(e)) from None
        else:
            poller.poll_forever([(feed, sink)], every, rounds, report=report)


@click.group()
def misp() -> None:
    """MISP JSON events."""


@misp.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--case", "case_id", required=True)
@click.option("--by", default="misp-import", help="Who is recorded in the audit trail.")
@click.pass_context
@clean_errors
def misp_import(ctx: click.Context, file: Path, case_id: str, by: str) -> None:
    """Import every event of FILE into a case, one transaction per event."""
    from watchfloor.adapters.indicators.misp import MispFormatError, read_misp_events
    from watchfloor.adapters.misp_import import misp_event_to_case_items
    from watchfloor.service import sharing

    try:
        events = read_misp_events(file)
    except MispFormatError as e:
        raise click.ClickException(str(e)) from None
    mapped = [misp_event_to_case_items(e) for e in events]
    app = app_from(ctx)
    with app.uow() as uow:
        failures = sharing.import_misp_events(
            uow, case_id, [(m.item, m.actors) for m in mapped], by, app.clock()
        )
    for f in failures:
        click.echo(f"refused: {f}", err=True)
    click.echo(f"{len(mapped) - len(failures)} of {len(mapped)} events imported into {case_id}")
    if failures:
        ctx.exit(1)
