"""Orbital findings as evidence items for the case.

Each finding (close approach, manoeuvre, proximity operation) becomes an
`EvidenceItem` of class ORBITAL whose likelihoods favour the actors sponsored
by the state that owns the object (CelesTrak owner code, mapped to the names
and ISO 3166 codes by which sponsors are written). How strongly depends on
what the finding can mean:

- a fast close approach (over 1 km/s) is almost always chance — in 2024 the
  public catalog has on the order of 10^5 approaches under 10 km a day —
  so its likelihood ratio is close to one;
- a slow approach, a manoeuvre, and above all a rendezvous (an object that
  came near and stayed) are deliberate acts of the object's operator.

The likelihoods are P(E | actor) on a common scale (only ratios matter):
`strength` for actors of the owning state, `baseline` for everyone else
(including "unknown / other"). Orbital facts are hard to fake (HIGH cost to
fake) but the owner link is only as good as the catalog's owner field; the
grading says so (B2 for the public catalog by default).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from watchfloor.domain.evidence import (
    OTHER,
    CostToFake,
    DiamondFacet,
    EvidenceClass,
    EvidenceItem,
)
from watchfloor.domain.grading import AdmiraltyGrade
from watchfloor.domain.hypotheses import Actor
from watchfloor.domain.markings import Marking
from watchfloor.engines.orbital.findings import CloseApproach, Manoeuvre, ProximityOperation

#: CelesTrak owner codes and the names / ISO 3166 alpha-3 codes a sponsor may be written as.
OWNER_STATES: Mapping[str, tuple[str, ...]] = {
    "PRC": ("CHN", "China", "People's Republic of China"),
    "CIS": ("RUS", "Russia", "Russian Federation"),
    "US": ("USA", "United States", "United States of America"),
    "UK": ("GBR", "United Kingdom"),
    "FR": ("FRA", "France"),
    "GER": ("DEU", "Germany"),
    "JPN": ("JPN", "Japan"),
    "IND": ("IND", "India"),
    "IRAN": ("IRN", "Iran"),
    "NKOR": ("PRK", "North Korea", "Democratic People's Republic of Korea"),
    "SKOR": ("KOR", "South Korea", "Republic of Korea"),
    "ISRA": ("ISR", "Israel"),
    "TURK": ("TUR", "Turkey", "Türkiye"),
    "IT": ("ITA", "Italy"),
    "SPN": ("ESP", "Spain"),
}


@dataclass(frozen=True)
class OrbitalEvidencePolicy:
    """Likelihood of each finding type under the owner's actors (others get `baseline`)."""

    fast_approach: float = 0.12
    slow_approach: float = 0.4
    manoeuvre: float = 0.5
    rendezvous: float = 0.8
    co_location: float = 0.3
    baseline: float = 0.1
    slow_below_km_s: float = 1.0


def owner_matches(
    owner: str, sponsor: str | None, extra: Mapping[str, Sequence[str]] | None = None
) -> bool:
    """Whether an object's owner code names the same state as an actor's sponsor."""
    if not owner or not sponsor:
        return False
    names = {owner, *OWNER_STATES.get(owner, ()), *(extra or {}).get(owner, ())}
    return sponsor.strip().casefold() in {n.casefold() for n in names}


def _likelihoods(
    owners: Iterable[str],
    actors: Iterable[Actor],
    strength: float,
    baseline: float,
    extra: Mapping[str, Sequence[str]],
) -> dict[str, float]:
    owned = set(owners) - {"", "UNKNOWN"}
    out = {OTHER: baseline}
    for actor in actors:
        hit = any(owner_matches(o, actor.sponsor, extra) for o in owned)
        out[actor.id] = strength if hit else baseline
    return out


def evidence_from_finding(
    finding: CloseApproach | Manoeuvre | ProximityOperation,
    *,
    actors: Sequence[Actor],
    item_id: str,
    source: str,
    marking: Marking,
    grade: AdmiraltyGrade | None = None,
    suspects: Iterable[int] | None = None,
    policy: OrbitalEvidencePolicy | None = None,
    owner_names: Mapping[str, Sequence[str]] | None = None,
) -> EvidenceItem:
    """One evidence item for one finding.

    `suspects` names the objects whose owners the finding points at (default:
    for a close approach the other object than the first, i.e. `norad_b`'s
    owner unless `norad_b` is the victim; for a proximity operation, the
    objects that manoeuvred, or both; for a manoeuvre, its object).
    """
    cfg = policy or OrbitalEvidencePolicy()
    extra = owner_names or {}
    grade = grade or AdmiraltyGrade.parse("B2")
    chosen = set(suspects) if suspects is not None else None
    if isinstance(finding, CloseApproach):
        pairs = {finding.norad_a: finding.owner_a, finding.norad_b: finding.owner_b}
        owners = [o for n, o in pairs.items() if chosen is None or n in chosen]
        if chosen is None:
            owners = [finding.owner_b]
        slow = finding.rel_speed_km_s < cfg.slow_below_km_s
        strength = cfg.slow_approach if slow else cfg.fast_approach
        title = (
            f"Close approach {finding.norad_a} / {finding.norad_b}: {finding.miss_km:.3f} km "
            f"at {finding.rel_speed_km_s:.3f} km/s"
        )
        kind, when, group = (
            "orbital-proximity",
            finding.tca,
            f"orbital:{finding.norad_a}-{finding.norad_b}",
        )
        attrs: dict[str, object] = {
            "norad_a": finding.norad_a,
            "norad_b": finding.norad_b,
            "owner_a": finding.owner_a,
            "owner_b": finding.owner_b,
            "tca_utc": finding.tca.isoformat(),
            "miss_km": finding.miss_km,
            "rel_speed_km_s": finding.rel_speed_km_s,
        }
    elif isinstance(finding, Manoeuvre):
        owners = [finding.owner]
        strength = cfg.manoeuvre
        title = (
            f"Manoeuvre of {finding.norad_id} {finding.name} ({finding.kind}, "
            f"{finding.delta_v_m_s:.2f} m/s)"
        )
        kind, when, group = "orbital-manoeuvre", finding.after_epoch, f"orbital:{finding.norad_id}"
        attrs = {
            "norad_id": finding.norad_id,
            "owner": finding.owner,
            "between_utc": [finding.before_epoch.isoformat(), finding.after_epoch.isoformat()],
            "delta_a_km": finding.delta_a_km,
            "delta_i_deg": finding.delta_i_deg,
            "delta_v_m_s": finding.delta_v_m_s,
        }
    else:
        active = chosen if chosen is not None else set(finding.manoeuvred)
        pairs = {finding.norad_a: finding.owner_a, finding.norad_b: finding.owner_b}
        owners = [o for n, o in pairs.items() if not active or n in active]
        strength = cfg.rendezvous if finding.kind == "rendezvous" else cfg.co_location
        title = (
            f"Proximity operation ({finding.kind}) {finding.norad_a} {finding.name_a} / "
            f"{finding.norad_b} {finding.name_b}: min {finding.min_distance_km:.1f} km"
        )
        kind, when = "orbital-proximity-operation", finding.start
        group = f"orbital:{finding.norad_a}-{finding.norad_b}"
        attrs = {
            "norad_a": finding.norad_a,
            "norad_b": finding.norad_b,
            "owner_a": finding.owner_a,
            "owner_b": finding.owner_b,
            "start_utc": finding.start.isoformat(),
            "end_utc": finding.end.isoformat(),
            "min_distance_km": finding.min_distance_km,
            "manoeuvred": list(finding.manoeuvred),
        }
    attrs["owners_linked"] = sorted(set(owners) - {""})
    return EvidenceItem(
        id=item_id,
        title=title,
        source=source,
        grade=grade,
        evidence_class=EvidenceClass.ORBITAL,
        likelihoods=_likelihoods(owners, actors, strength, cfg.baseline, extra),
        marking=marking,
        diamond=DiamondFacet.CAPABILITY,
        baseline=cfg.baseline,
        dependence_group=group,
        cost_to_fake=CostToFake.HIGH,
        description=title,
        kind=kind,
        observed_at=when,
        attributes=attrs,
    )
