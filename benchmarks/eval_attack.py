"""Time-disjoint evaluation of the attribution scorers on ATT&CK.

Usage (from the repository root)::

    .venv/bin/python benchmarks/eval_attack.py            # the table
    .venv/bin/python benchmarks/eval_attack.py --fit      # also: weights fitted on all sets
    .venv/bin/python benchmarks/eval_attack.py --train pseudo  # fit on pseudo-cases instead

Each set pairs an older ATT&CK Enterprise release (the knowledge base) with
evidence that first appeared in the next release (see
``../shared/data/README.md``). The profile scorer's weights are fitted leave one
set out: on the other two sets, evaluated on the third. Baselines have no fitted
parameters. Reported per set and pooled: top-1, top-5, mean reciprocal rank,
Brier score of the top hypothesis, and the hit rate of the top hypothesis in
each ICD 203 band (``ok`` when within the band's range ± 0.1; bands with fewer
than five cases are shown but not judged). Last, the pooled top-1 and MRR
differences between the profile scorer and the best baseline (by pooled top-1)
with a paired bootstrap 95 % interval over the cases, to tell a gain from noise.

``--train`` chooses what the profile scorer is fitted on for each evaluated set:
``loso`` (default) the other two sets' cases; ``pseudo`` only pseudo-cases built
from the evaluated set's own older knowledge base (``fitting.pseudo_cases``: no
dev-case label at all); ``pseudo+loso`` both.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from watchfloor.adapters.stix import read_bundle
from watchfloor.domain.confidence import LikelihoodTerm
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
from watchfloor.engines.attribution.fitting import (
    LabelledSet,
    PreparedSet,
    fit_prepared,
    fit_weights,
    prepare,
    pseudo_cases,
)

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "attack"
SETS = (("8.2", "10.1"), ("10.1", "12.1"), ("12.1", "14.1"))
TOLERANCE = 0.1
MIN_BAND_CASES = 5
PROFILE = "attack-profile"
TRAINING = {"loso": "LOSO", "pseudo": "pseudo", "pseudo+loso": "pseudo+LOSO"}
BOOTSTRAP_DRAWS = 10_000


@dataclass(frozen=True)
class EvalSet:
    name: str
    knowledge: AttackKnowledge
    cases: list[dict[str, object]]


@dataclass(frozen=True)
class Outcome:
    rank: float  # rank of the first true actor; inf when not ranked
    top_probability: float
    top_hit: bool


def load_sets(data: Path = DATA) -> list[EvalSet]:
    sets = []
    for old, new in SETS:
        bundle = read_bundle(data / f"enterprise-attack-{old}.json")
        version = KnowledgeBaseVersion("enterprise-attack", old, bundle.info.sha256)
        knowledge = AttackKnowledge.from_objects(bundle.objects, version)
        lines = (data / f"dev-cases-{old}-to-{new}.jsonl").read_text().splitlines()
        cases = [json.loads(line) for line in lines if line.strip()]
        sets.append(EvalSet(f"{old}->{new}", knowledge, cases))
    return sets


def _inputs(cases: Sequence[dict[str, object]]) -> list[tuple[list[str], list[str]]]:
    return [(list(c["techniques"]), list(c["software"])) for c in cases]  # type: ignore[call-overload]


def _actors(case: dict[str, object]) -> list[str]:
    return [str(a) for a in case["actors"]]  # type: ignore[attr-defined]


def outcome(result: AttributionResult, truth: Sequence[str]) -> Outcome:
    ranked = [actor for actor, _ in result.ranking()]
    ranks = [ranked.index(a) + 1 for a in truth if a in ranked]
    top_actor, top_p = result.top()
    return Outcome(min(ranks) if ranks else float("inf"), top_p, top_actor in truth)


def summarise(outcomes: Sequence[Outcome]) -> dict[str, float]:
    ranks = np.array([o.rank for o in outcomes])
    return {
        "n": float(len(outcomes)),
        "top1": float(np.mean(ranks <= 1)),
        "top5": float(np.mean(ranks <= 5)),
        "mrr": float(np.mean(1.0 / ranks)),
        "brier": float(np.mean([(o.top_probability - o.top_hit) ** 2 for o in outcomes])),
    }


def bands(outcomes: Sequence[Outcome]) -> list[tuple[LikelihoodTerm, int, float, str]]:
    rows = []
    for term in LikelihoodTerm:
        hits = [
            o.top_hit for o in outcomes if LikelihoodTerm.for_probability(o.top_probability) is term
        ]
        if not hits:
            continue
        rate = float(np.mean(hits))
        if len(hits) < MIN_BAND_CASES:
            verdict = "-"
        else:
            low = 0.0 if term is LikelihoodTerm.ALMOST_NO_CHANCE else term.low
            ok = low - TOLERANCE <= rate <= term.high + TOLERANCE
            verdict = "ok" if ok else "OFF"
        rows.append((term, len(hits), rate, verdict))
    return rows


def run(
    sets: Sequence[EvalSet], ridge: float, train: str = "loso"
) -> dict[str, list[list[Outcome]]]:
    factories: dict[str, Callable[[AttackKnowledge], AttributionScorer]] = {
        "jaccard": JaccardScorer,
        "tfidf-cosine": TfidfCosineScorer,
        "naive-bayes": NaiveBayesScorer,
    }
    results: dict[str, list[list[Outcome]]] = {}
    for name, factory in factories.items():
        results[name] = [
            [
                outcome(r, _actors(c))
                for r, c in zip(
                    factory(s.knowledge).score_many(_inputs(s.cases)), s.cases, strict=True
                )
            ]
            for s in sets
        ]
    profile: list[list[Outcome]] = []
    for held_out in range(len(sets)):
        training: list[PreparedSet] = []
        if "loso" in train:
            training += [prepare(labelled(s)) for i, s in enumerate(sets) if i != held_out]
        if "pseudo" in train:
            # only the evaluated set's own older release: its cases are newer
            training += pseudo_cases(sets[held_out].knowledge)
        weights = fit_prepared(training, ridge=ridge)
        scorer = AttackProfileScorer(sets[held_out].knowledge, weights)
        scored = scorer.score_many(_inputs(sets[held_out].cases))
        profile.append(
            [outcome(r, _actors(c)) for r, c in zip(scored, sets[held_out].cases, strict=True)]
        )
    results[f"{PROFILE} ({TRAINING[train]})"] = profile
    return results


def labelled(s: EvalSet) -> LabelledSet:
    scorer = AttackProfileScorer(s.knowledge)
    observations = [scorer.observe(t, sw) for t, sw in _inputs(s.cases)]
    truth = [s.knowledge.actor_index[_actors(c)[0]] for c in s.cases]
    return LabelledSet(scorer, scorer.evidence_matrix(observations), truth)


def print_table(sets: Sequence[EvalSet], results: dict[str, list[list[Outcome]]]) -> None:
    names = [s.name for s in sets] + ["pooled"]
    print(
        f"{'scorer':28s} {'set':12s} {'n':>4s} {'top1':>6s} {'top5':>6s} {'MRR':>6s} {'Brier':>6s}"
    )
    for scorer, per_set in results.items():
        for name, outs in zip(
            names, [*per_set, [o for part in per_set for o in part]], strict=True
        ):
            m = summarise(outs)
            print(
                f"{scorer:28s} {name:12s} {int(m['n']):4d} {m['top1']:6.3f} {m['top5']:6.3f} "
                f"{m['mrr']:6.3f} {m['brier']:6.3f}"
            )
    print()
    print("Hit rate of the top hypothesis per ICD 203 band, pooled (ok: within range ± 0.1)")
    for scorer, per_set in results.items():
        print(f"  {scorer}")
        for term, n, rate, verdict in bands([o for outs in per_set for o in outs]):
            print(
                f"    {term.term:22s} {term.range_text:>8s}  n={n:3d}  hit={rate:5.2f}  {verdict}"
            )


def paired_difference(
    ours: Sequence[Outcome], theirs: Sequence[Outcome], seed: int = 0
) -> dict[str, tuple[float, float, float]]:
    """Pooled top-1 and MRR of ``ours`` minus ``theirs`` (the same cases in the
    same order): the difference and a paired bootstrap 95 % interval."""
    a = np.array([o.rank for o in ours])
    b = np.array([o.rank for o in theirs])
    per_case = {"top1": (a <= 1).astype(float) - (b <= 1), "mrr": 1.0 / a - 1.0 / b}
    draws = np.random.default_rng(seed).integers(0, len(a), (BOOTSTRAP_DRAWS, len(a)))
    out = {}
    for name, diff in per_case.items():
        low, high = np.percentile(diff[draws].mean(axis=1), [2.5, 97.5])
        out[name] = (float(diff.mean()), float(low), float(high))
    return out


def print_difference(results: dict[str, list[list[Outcome]]]) -> None:
    pooled = {name: [o for part in per_set for o in part] for name, per_set in results.items()}
    ours = next(name for name in pooled if name.startswith(PROFILE))
    best = max(
        (name for name in pooled if name != ours), key=lambda n: summarise(pooled[n])["top1"]
    )
    print(f"\nProfile scorer minus the best baseline ({best}), pooled, paired bootstrap 95 %:")
    for metric, (diff, low, high) in paired_difference(pooled[ours], pooled[best]).items():
        print(f"  {metric:5s} {diff:+.3f}  [{low:+.3f}, {high:+.3f}]")
    # how far any choice among these scorers could go: an oracle that takes, for
    # each case, a scorer that ranks the true actor first
    right = {name: np.array([o.rank == 1 for o in outs]) for name, outs in pooled.items()}
    n = len(pooled[ours])
    print(
        f"Top-1 right by the profile scorer only: {int((right[ours] & ~right[best]).sum())}, "
        f"by {best} only: {int((right[best] & ~right[ours]).sum())}; an oracle choosing "
        f"between them per case: {(right[ours] | right[best]).mean():.3f}, among all scorers: "
        f"{np.logical_or.reduce(list(right.values())).mean():.3f} (n={n})"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--ridge", type=float, default=1.0)
    parser.add_argument("--fit", action="store_true", help="print weights fitted on all sets")
    parser.add_argument(
        "--train",
        choices=sorted(TRAINING),
        default="loso",
        help="what the profile scorer is fitted on",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    sets = load_sets(args.data)
    results = run(sets, args.ridge, args.train)
    print_table(sets, results)
    print_difference(results)
    if args.fit:
        print(
            "\nWeights fitted on all three sets:",
            fit_weights([labelled(s) for s in sets], ridge=args.ridge),
        )
    print(f"\n({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
