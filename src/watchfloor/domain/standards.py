"""Evidence standards: what each attribution layer requires before it may be stated.

A versioned policy (YAML in `policies/`) sets, per layer, how many independent
evidence groups supporting the layer's lead are needed, their minimum grade,
how many evidence classes they must span, and the minimum probability.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from watchfloor.domain.evidence import EvidenceClass
from watchfloor.domain.fusion import ConfidenceRules, FusionResult
from watchfloor.domain.grading import AdmiraltyGrade
from watchfloor.domain.hypotheses import Actor, Layer


@dataclass(frozen=True)
class LayerStandard:
    layer: Layer
    min_groups: int
    min_grade: AdmiraltyGrade
    min_classes: int
    min_probability: float
    required_classes: frozenset[EvidenceClass] = frozenset()
    description: str = ""


@dataclass(frozen=True)
class EvidenceStandardPolicy:
    version: str
    standards: tuple[LayerStandard, ...]
    confidence: ConfidenceRules = field(default_factory=ConfidenceRules)

    def for_layer(self, layer: Layer) -> LayerStandard | None:
        for s in self.standards:
            if s.layer is layer:
                return s
        return None


@dataclass(frozen=True)
class StandardCheck:
    """Whether a layer's standard is met for the layer's lead, and what is missing."""

    layer: Layer
    lead: str
    met: bool
    satisfied: tuple[str, ...]
    missing: tuple[str, ...]


def check_standards(
    policy: EvidenceStandardPolicy, result: FusionResult, actors: dict[str, Actor]
) -> tuple[StandardCheck, ...]:
    return tuple(_check(std, result, actors) for std in policy.standards)


def _check(std: LayerStandard, result: FusionResult, actors: dict[str, Actor]) -> StandardCheck:
    judgement = result.layer(std.layer)
    lead = judgement.lead
    indices = [
        i for i, h in enumerate(result.hypotheses) if h.responsible(actors, std.layer) == lead
    ]
    supporting = [g for g in result.groups if g.supports(indices)]
    strong = [g for g in supporting if g.graded_at_least(std.min_grade)]
    classes = frozenset().union(*(g.classes for g in strong)) if strong else frozenset()
    satisfied: list[str] = []
    missing: list[str] = []

    def need(ok: bool, text: str) -> None:
        (satisfied if ok else missing).append(text)

    need(
        judgement.probability >= std.min_probability,
        f"probability of {lead} {judgement.probability:.0%} "
        f"(needs at least {std.min_probability:.0%})",
    )
    need(
        len(strong) >= std.min_groups,
        f"{len(strong)} independent group(s) graded {std.min_grade} or better support {lead} "
        f"(needs {std.min_groups})",
    )
    need(
        len(classes) >= std.min_classes,
        f"those groups span {len(classes)} evidence class(es) (needs {std.min_classes})",
    )
    for cls in sorted(std.required_classes, key=lambda c: c.value):
        need(cls in classes, f"{cls.value} evidence graded {std.min_grade} or better")
    return StandardCheck(std.layer, lead, not missing, tuple(satisfied), tuple(missing))
