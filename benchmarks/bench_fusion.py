"""Fusion of 10,000 evidence items over 50 hypotheses, and scenario (a) end to end.

Run: .venv/bin/python benchmarks/bench_fusion.py [--repeats 7]
Prints medians. The baseline for fusion is a plain numpy softmax over a
precomputed log-likelihood matrix of the same shape (the arithmetic floor).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from watchfloor.domain.evidence import CostToFake, EvidenceClass, EvidenceItem
from watchfloor.domain.fusion import fuse
from watchfloor.domain.grading import AdmiraltyGrade
from watchfloor.domain.hypotheses import Actor, Hypothesis, HypothesisKind
from watchfloor.domain.markings import Marking

REPO = Path(__file__).resolve().parents[1]


def _case(
    n_items: int, n_hyps: int, seed: int = 7
) -> tuple[list[Hypothesis], list[EvidenceItem], dict[str, Actor]]:
    rng = random.Random(seed)
    actors = {
        f"A{i}": Actor(f"A{i}", f"Actor {i}", f"State {i % 7}", f"UNC-{i}") for i in range(n_hyps)
    }
    hyps = [Hypothesis.unknown()] + [
        Hypothesis(f"H{i}", HypothesisKind.ACTOR, f"A{i}", f"A{i}") for i in range(n_hyps - 2)
    ]
    hyps.append(Hypothesis("HFF", HypothesisKind.FALSE_FLAG, "A0 framing A1", "A0", "A1"))
    grades = [f"{r}{c}" for r in "ABCDEF" for c in "123456"]
    items = []
    for i in range(n_items):
        named = rng.sample(sorted(actors), 3)
        items.append(
            EvidenceItem(
                id=f"E{i}",
                title=f"item {i}",
                source=f"src {i % 500}",
                grade=AdmiraltyGrade.parse(rng.choice(grades)),
                evidence_class=rng.choice(list(EvidenceClass)),
                likelihoods={a: rng.uniform(0.05, 0.9) for a in named},
                marking=Marking(),
                baseline=0.05,
                dependence_group=f"G{i % 2000}",
                cost_to_fake=rng.choice(list(CostToFake)),
            )
        )
    return hyps, items, actors


def _median(fn, repeats: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def bench_fusion(repeats: int) -> None:
    hyps, items, actors = _case(10_000, 50)
    logl = np.log(np.random.default_rng(1).uniform(0.05, 0.9, (10_000, 50)))

    def floor() -> None:
        total = logl.sum(axis=0)
        e = np.exp(total - total.max())
        e / e.sum()

    t_fuse = _median(lambda: fuse(hyps, items, actors), repeats)
    t_floor = _median(floor, repeats)
    print(
        f"fusion 10,000 items x 50 hypotheses: median {t_fuse * 1000:.1f} ms "
        f"(numpy softmax floor {t_floor * 1000:.2f} ms; ratio {t_fuse / t_floor:.0f}x)"
    )


def bench_scenario(repeats: int) -> None:
    from click.testing import CliRunner

    from watchfloor.entrypoints.cli import main

    scenario = REPO / "scenarios" / "hybrid-satcom-outage.yaml"

    def once() -> None:
        with tempfile.TemporaryDirectory() as d:
            db = f"sqlite:///{d}/wf.sqlite"
            r = CliRunner().invoke(
                main, ["--db", db, "exercise", "run", str(scenario), "--out", f"{d}/out", "--quiet"]
            )
            assert r.exit_code == 0, r.output

    t = _median(once, repeats)
    print(f"scenario (a) end to end (fresh SQLite, migrations, run, HTML+PDF): median {t:.2f} s")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    bench_fusion(args.repeats)
    bench_scenario(max(3, args.repeats // 2))
