"""`watchfloor exercise`: run scripted scenarios to their decision package."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from watchfloor.adapters.reports.outputs import write_outputs
from watchfloor.adapters.scenario import load_scenario
from watchfloor.domain.clock import format_duration
from watchfloor.domain.hypotheses import Layer
from watchfloor.entrypoints.cli._common import app_from, clean_errors
from watchfloor.service import cases
from watchfloor.service.exercise import run_scenario


@click.group()
def exercise() -> None:
    """Exercises: scenarios with injects, planted evidence and ground truth."""


@exercise.command("check")
@click.argument("scenario", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
@clean_errors
def exercise_check(ctx: click.Context, scenario: Path) -> None:
    """Validate a scenario file against the active policies without running it."""
    app = app_from(ctx)
    with app.uow() as uow:
        policies = cases.active_policies(uow)
    sc = load_scenario(scenario, policies)
    click.echo(f"{scenario}: scenario {sc.id} is valid ({len(sc.injects)} injects)")


@exercise.command("run")
@click.argument("scenario", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for the decision package, public statement and after-action record.",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
@clean_errors
def exercise_run(ctx: click.Context, scenario: Path, out_dir: Path, quiet: bool) -> None:
    """Run SCENARIO to its decision and write its outputs to --out."""
    app = app_from(ctx)
    with app.uow() as uow:
        policies = cases.active_policies(uow)
    sc = load_scenario(scenario, policies)  # checked whole before anything is stored

    total = len(sc.injects) + 1
    stderr = sys.stderr
    with click.progressbar(length=total, label=sc.id, file=stderr, hidden=quiet) as bar:
        done = [0]

        def progress(step: int, _n: int, _text: str) -> None:
            bar.update(step - done[0])
            done[0] = step

        run = run_scenario(lambda clock: app.uow(clock), sc, progress)

    files = write_outputs(run.case, run.assessment, sc.truth, out_dir, app.clock())
    a, f = run.assessment, run.assessment.fusion
    lead_p = f.lead_probability
    cleared = sorted(a.eligible & run.case.cleared_options())
    clock = a.clock
    state = a.fusion.layer(Layer.STATE)
    summary = {
        "case": run.case.id,
        "lead": f.lead.label,
        "posterior": round(lead_p, 4),
        "icd203": str(f.term(f.lead.id)),
        "analytic_confidence": str(f.confidence),
        "state": f"{state.lead} ({state.term}, {state.probability:.0%})",
        "tier": a.thresholds.tier.label,
        "cleared_options": cleared,
        "decided": [*run.case.decision.chosen] if run.case.decision else None,
        "time_to_decision": format_duration(clock.elapsed),
        "deadline_margin": format_duration(clock.remaining),
    }
    click.echo(f"Case {run.case.id}: {run.case.title}")
    click.echo(f"  Lead hypothesis:  {f.lead.label}")
    click.echo(f"  Posterior:        {lead_p:.1%} ({f.term(f.lead.id)})")
    click.echo(f"  Analytic confidence: {f.confidence}")
    click.echo(f"  State layer:      {summary['state']}")
    click.echo(f"  Tier:             {a.thresholds.tier.label}")
    click.echo(f"  Cleared options:  {', '.join(cleared) or 'none'}")
    decided = ", ".join(run.case.decision.chosen) if run.case.decision else "not yet decided"
    click.echo(f"  Decision:         {decided}")
    margin = (
        f"overdue by {format_duration(-clock.remaining)}"
        if clock.overdue
        else f"{format_duration(clock.remaining)} before the deadline"
    )
    click.echo(f"  Clock:            {format_duration(clock.elapsed)} from detection; {margin}")
    for note in run.notes:
        click.echo(f"  Note: {note}")
    click.echo("Outputs:")
    for p in files:
        click.echo(f"  {p}")
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
