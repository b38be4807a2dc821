"""Run an exercise scenario to its decision, inject by inject, on a simulated clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from watchfloor.domain.assessment import CaseAssessment
from watchfloor.domain.case import Case
from watchfloor.domain.errors import DomainError
from watchfloor.domain.scenario import DecisionInject, EvidenceInject, LegalInject, Scenario
from watchfloor.service import cases
from watchfloor.service.ports import UnitOfWork

Progress = Callable[[int, int, str], None]


@dataclass
class ExerciseRun:
    scenario: Scenario
    case: Case
    assessment: CaseAssessment
    notes: list[str] = field(default_factory=list)


def _free_case_id(uow: UnitOfWork, base: str) -> str:
    candidate, n = base, 1
    while True:
        try:
            uow.cases.get(candidate)
        except DomainError:
            return candidate
        n += 1
        candidate = f"{base}-{n}"


def run_scenario(
    make_uow: Callable[[Callable[[], datetime]], UnitOfWork],
    scenario: Scenario,
    progress: Progress | None = None,
) -> ExerciseRun:
    """Open the scenario's case and play every inject at its time.

    Each inject is its own transaction, as it would be on the watch floor; the
    scenario was checked whole before the first one (see `adapters.scenario`).
    A legal review or decision that the case does not allow at that moment is
    not forced: it is noted and the run goes on, as an exercise should.
    """
    now = scenario.incident.detected
    clock = [now]
    total = len(scenario.injects) + 1
    notes: list[str] = []

    def tick(step: int, text: str) -> None:
        if progress:
            progress(step, total, text)

    with make_uow(lambda: clock[0]) as uow:
        case_id = _free_case_id(uow, scenario.case_id)
        analyst = scenario.analyst
        cases.open_case(
            uow,
            case_id,
            scenario.case_title,
            scenario.incident,
            scenario.marking,
            analyst,
            now,
            exercise=scenario.id,
            unknown_prior=scenario.unknown_prior,
        )
        cases.add_actors(uow, case_id, scenario.actors, analyst, now)
        cases.add_hypotheses(uow, case_id, scenario.hypotheses, analyst, now)
        tick(1, f"opened case {case_id}")

        for step, inject in enumerate(scenario.injects, start=2):
            clock[0] = inject.at
            act = inject.action
            if isinstance(act, EvidenceInject):
                cases.add_evidence(uow, case_id, [act.item], inject.by, inject.at)
                tick(step, f"evidence {act.item.id}")
            elif isinstance(act, LegalInject):
                try:
                    cases.record_review(
                        uow,
                        case_id,
                        act.option_id,
                        act.outcome,
                        act.reasons,
                        inject.by,
                        inject.at,
                        act.conditions,
                    )
                except DomainError as e:  # the domain refuses before changing anything
                    notes.append(f"legal review at {inject.at.isoformat()} not recorded: {e}")
                tick(step, f"legal review {act.option_id}")
            elif isinstance(act, DecisionInject):
                _, a = cases.get_assessment(uow, case_id, inject.at)
                cleared = uow.cases.get(case_id).cleared_options() & a.eligible
                chosen = [o for o in act.options if o in cleared]
                for o in act.options:
                    if o not in cleared:
                        notes.append(
                            f"decision at {inject.at.isoformat()}: option {o} was not both "
                            "eligible and cleared, so it could not be chosen"
                        )
                cases.record_decision(uow, case_id, chosen, act.rationale, inject.by, inject.at)
                tick(step, "decision recorded")
        case, assessment = cases.get_assessment(uow, case_id, clock[0])
    return ExerciseRun(scenario, case, assessment, notes)
