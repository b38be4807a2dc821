"""`watchfloor attribute`: technique/software attribution against an ATT&CK knowledge base.

`attribute batch` is a stable contract for other tools: JSON lines in, JSON
lines out, one output line per input line, in order.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import click

from watchfloor.adapters.stix import StixBundle, StixBundleError, read_bundle
from watchfloor.engines.attribution import (
    AttackKnowledge,
    AttackProfileScorer,
    AttributionResult,
    AttributionScorer,
    JaccardScorer,
    KnowledgeBaseVersion,
    NaiveBayesScorer,
    TfidfCosineScorer,
)
from watchfloor.entrypoints.cli._common import (
    CaseTarget,
    case_target_options,
    clean_errors,
)

SCORERS: dict[str, type[AttributionScorer]] = {
    "attack-profile": AttackProfileScorer,
    "naive-bayes": NaiveBayesScorer,
    "tfidf-cosine": TfidfCosineScorer,
    "jaccard": JaccardScorer,
}
_VERSIONED_NAME = re.compile(r"^(?P<name>.+?)[-_]v?(?P<version>\d+(?:\.\d+)*)$")


def bundle_identity(path: Path, bundle: StixBundle) -> tuple[str, str]:
    """Name and version of a bundle: its ``x-mitre-collection`` if any, else a
    ``name-X.Y`` file name, else the file stem and the first 12 hex digits of
    its SHA-256."""
    info = bundle.info
    match = _VERSIONED_NAME.match(path.stem)
    name = info.collection_name or (match["name"] if match else path.stem)
    version = info.collection_version or (match["version"] if match else None)
    return name, version or (info.sha256 or "")[:12]


def load_knowledge(path: Path, version: str | None = None) -> AttackKnowledge:
    """Read a STIX bundle file and build the attribution knowledge from it."""
    bundle = read_bundle(path)
    name, default_version = bundle_identity(path, bundle)
    return AttackKnowledge.from_objects(
        bundle.objects, KnowledgeBaseVersion(name, version or default_version, bundle.info.sha256)
    )


def stored_knowledge(database_url: str | None, reference: str) -> AttackKnowledge:
    """Build the knowledge from the store: ``NAME`` (latest loaded) or ``NAME@VERSION``."""
    from watchfloor.adapters.db.engine import ensure_schema, make_engine
    from watchfloor.adapters.db.kb_repository import KnowledgeBaseRepository
    from watchfloor.bootstrap import stored_knowledge as knowledge_of

    engine = make_engine(database_url)
    ensure_schema(engine)
    repository = KnowledgeBaseRepository(engine)
    record = repository.lookup(reference)
    if record is None:
        raise click.ClickException(
            f"{reference!r} is neither a bundle file nor a stored knowledge base"
        )
    return knowledge_of(repository, record)


def result_line(case_id: Any, result: AttributionResult) -> dict[str, Any]:
    obs = result.observation
    return {
        "id": case_id,
        "ranking": [{"actor": a, "probability": p} for a, p in result.ranking()],
        "unknown": result.unknown,
        "unknown_techniques": list(obs.unknown_techniques),
        "unknown_software": list(obs.unknown_software),
        "generalised": dict(obs.generalised),
        "scorer": result.scorer,
        "knowledge_base": {
            "name": result.knowledge_base.name,
            "version": result.knowledge_base.version,
            "sha256": result.knowledge_base.sha256,
        },
    }


@dataclass(frozen=True)
class _Case:
    case_id: Any
    techniques: list[str]
    software: list[str]


@dataclass(frozen=True)
class _BadCase:
    case_id: Any
    reason: str


def _parse_case(line: str, number: int) -> _Case | _BadCase:
    try:
        case = json.loads(line)
    except json.JSONDecodeError as exc:
        return _BadCase(None, f"line {number}: not JSON ({exc})")
    if not isinstance(case, dict):
        return _BadCase(None, f"line {number}: not a JSON object")
    lists: list[list[str]] = []
    for key in ("techniques", "software"):
        value = case.get(key, [])
        if value is None:
            value = []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return _BadCase(case.get("id"), f"line {number}: '{key}' must be a list of ids")
        lists.append(value)
    return _Case(case.get("id"), lists[0], lists[1])


@click.group()
def attribute() -> None:
    """Attribute observed ATT&CK techniques and software to known intrusion sets."""


@attribute.command("batch")
@click.option(
    "--kb",
    "kb_ref",
    required=True,
    help="STIX bundle file (e.g. ATT&CK Enterprise), or a stored knowledge base NAME[@VERSION].",
)
@click.option(
    "--in",
    "in_file",
    required=True,
    type=click.File("r"),
    help="Cases as JSON lines ('-' for stdin).",
)
@click.option(
    "--out",
    "out_file",
    required=True,
    type=click.File("w"),
    help="Ranked output, JSON lines ('-' for stdout).",
)
@click.option(
    "--scorer", type=click.Choice(sorted(SCORERS)), default="attack-profile", show_default=True
)
@click.option("--kb-version", default=None, help="Override the knowledge-base version recorded.")
@click.pass_context
def batch(
    ctx: click.Context,
    kb_ref: str,
    in_file: IO[str],
    out_file: IO[str],
    scorer: str,
    kb_version: str | None,
) -> None:
    """Score each case of CASES.jsonl ({"id", "techniques", "software"}) into RANKED.jsonl.

    Each output line: {"id", "ranking": [{"actor", "probability"}...], "unknown", ...};
    probabilities plus "unknown" sum to one. Ids unknown to the knowledge base are
    listed in "unknown_techniques" / "unknown_software" and otherwise ignored. A
    line that is not a valid case gives {"id", "error", "ranking": [], "unknown": 1.0}.
    """
    try:
        path = Path(kb_ref)
        if path.is_file():
            knowledge = load_knowledge(path, kb_version)
        else:
            knowledge = stored_knowledge(ctx.obj.get("database_url") if ctx.obj else None, kb_ref)
    except StixBundleError as exc:
        raise click.ClickException(str(exc)) from exc
    engine = SCORERS[scorer](knowledge)

    parsed: list[_Case | _BadCase] = []
    for number, line in enumerate(in_file, start=1):
        if line.strip():
            entry = _parse_case(line, number)
            parsed.append(entry)
            if isinstance(entry, _BadCase):
                click.echo(f"warning: {entry.reason}", err=True)

    good = [entry for entry in parsed if isinstance(entry, _Case)]
    results = iter(engine.score_many([(c.techniques, c.software) for c in good]))
    errors = 0
    for entry in parsed:
        if isinstance(entry, _Case):
            record = result_line(entry.case_id, next(results))
        else:
            errors += 1
            record = {"id": entry.case_id, "error": entry.reason, "ranking": [], "unknown": 1.0}
        out_file.write(json.dumps(record) + "\n")
    click.echo(
        f"{len(parsed)} case(s) scored against {knowledge.version} with {scorer}"
        + (f"; {errors} invalid line(s)" if errors else ""),
        err=True,
    )


@attribute.command("observe")
@click.argument("case_id")
@click.option(
    "--kb",
    "kb_ref",
    default=None,
    help="A STIX bundle file, or a stored NAME or NAME@VERSION (default: the one loaded last).",
)
@click.option("--techniques", default="", help="Technique ids, separated by commas or spaces.")
@click.option("--software", default="", help="Software ids, separated by commas or spaces.")
@click.option("--source", required=True, help="Where the observation comes from.")
@case_target_options
@click.pass_context
@clean_errors
def observe(
    ctx: click.Context,
    case_id: str,
    kb_ref: str | None,
    techniques: str,
    software: str,
    source: str,
    grade_text: str,
    marking_text: str,
    by: str | None,
) -> None:
    """Score observed techniques and software against a knowledge base and add
    the result to case CASE_ID as one evidence item, its likelihoods stated for
    the case's actors (linked by ATT&CK id, name or alias)."""
    from watchfloor.service.cyber import add_attack_observations, split_ids

    target = CaseTarget(ctx, case_id, grade_text, marking_text, by)
    if kb_ref is not None and Path(kb_ref).is_file():
        try:
            scorer = AttackProfileScorer(load_knowledge(Path(kb_ref)))
        except StixBundleError as exc:
            raise click.ClickException(str(exc)) from exc
    else:
        scorer = target.app.attack_scorer(kb_ref)
    with target.app.uow() as uow:
        added = add_attack_observations(
            uow,
            case_id,
            scorer,
            split_ids(techniques),
            split_ids(software),
            source=source,
            grade=target.grade,
            marking=target.marking,
            by=target.by,
            now=target.app.clock(),
        )
    item = added.item
    click.echo(f"added {item.id}: {item.title} ({target.grade.code}, {item.marking.banner()})")
    click.echo(item.description)
    fusion = added.assessment.fusion
    lead = max(fusion.hypotheses, key=lambda h: fusion.probability(h.id))
    click.echo(f"lead hypothesis now: {lead.label} ({fusion.probability(lead.id):.2f})")
