r"""Manoeuvres and proximity operations from element-set histories.

Manoeuvres (method). For each object, element sets are ordered by epoch and
SGP4's Brouwer mean semi-major axis a (from `no_unkozai`) and inclination i
are taken from each. Between consecutive sets, a change |da| (or |di|) is a
manoeuvre when it exceeds both a floor and `k` times the object's own noise,
sigma = 1.4826 MAD of its consecutive differences (robust, so the manoeuvres
themselves do not inflate it). A single set that jumps away and straight back
is an outlier (a bad fit or a cross-tag), not two manoeuvres. The smallest
impulsive delta-v that explains the change is reported,

    dv_in = v |da| / (2a)   (tangential burn, near-circular orbit),
    dv_out = 2 v sin(|di| / 2),

and for GEO objects the longitude drift rate before and after,
    lambda_dot = 360 (n - 1.00273791) deg/day  (n in rev/day; east positive).

Limits: a public TLE history samples the orbit every 0.3-2 days, so a
manoeuvre is placed between two epochs, never at an instant; several burns
between two sets read as one; slow continuous thrust (electric propulsion)
shows as a run of small steps that may each stay under the threshold;
changes of eccentricity alone (e.g. pure eccentricity control) are not
flagged; analyst re-fits and cross-tags can still produce false alarms.

Proximity operations (method). Each object is propagated from its latest
element set at each sample time (every 30 min by default) and a k-d tree
pairs objects within `near_km`. A pair near for at least `min_hours` in a row
is a proximity operation: a *rendezvous* when it was farther than `far_km`
earlier in the history (one approached the other), a *co-location* when it
was near from the start (station-kept clusters, docked or servicing pairs).
Limits: TLE accuracy at GEO is ~1-10 km, so distances below ~10 km are not
resolved; switching element sets adds jumps of that size; objects absent
from part of the history are compared only where both have elements.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from scipy.spatial import cKDTree

from watchfloor.engines.orbital.catalog import julian_split
from watchfloor.engines.orbital.elements import (
    EARTH_RADIUS_KM,
    MU_KM3_S2,
    ElementSet,
    SatcatEntry,
)
from watchfloor.engines.orbital.findings import Manoeuvre, ProximityOperation

SIDEREAL_REV_DAY = 1.00273791


@dataclass(frozen=True)
class ManoeuvreSettings:
    sigma_factor: float = 6.0
    floor_a_km: float = 0.2
    floor_i_deg: float = 0.005
    min_sets: int = 5


@dataclass(frozen=True)
class ProximitySettings:
    near_km: float = 50.0
    far_km: float = 200.0
    min_hours: float = 24.0
    step_s: float = 1800.0


def group_histories(elements: Iterable[ElementSet]) -> dict[int, list[ElementSet]]:
    """Element sets per object, in epoch order, without repeated epochs."""
    out: dict[int, list[ElementSet]] = defaultdict(list)
    for e in elements:
        out[e.norad_id].append(e)
    for norad, sets in out.items():
        sets.sort(key=lambda e: e.epoch)
        unique = [s for k, s in enumerate(sets) if k == 0 or s.epoch != sets[k - 1].epoch]
        out[norad] = unique
    return dict(out)


def detect_manoeuvres(
    elements: Iterable[ElementSet],
    satcat: Mapping[int, SatcatEntry] | None = None,
    settings: ManoeuvreSettings | None = None,
) -> list[Manoeuvre]:
    """Manoeuvres of every object with enough element sets, in time order."""
    cfg = settings or ManoeuvreSettings()
    if cfg.sigma_factor <= 0 or cfg.floor_a_km < 0 or cfg.floor_i_deg < 0:
        raise ValueError("manoeuvre thresholds must be positive")
    found: list[Manoeuvre] = []
    for norad, sets in group_histories(elements).items():
        if len(sets) >= cfg.min_sets:
            owner = satcat[norad].owner if satcat and norad in satcat else ""
            found.extend(_detect_one(sets, cfg, owner))
    return sorted(found, key=lambda m: (m.after_epoch, m.norad_id))


def _robust_sigma(x: np.ndarray) -> float:
    return float(1.4826 * np.median(np.abs(x - np.median(x)))) if x.size else 0.0


def _detect_one(sets: list[ElementSet], cfg: ManoeuvreSettings, owner: str) -> list[Manoeuvre]:
    sats = [s.satrec() for s in sets]
    a = np.array([s.a * EARTH_RADIUS_KM for s in sats])
    inc = np.array([s.inclination_deg for s in sets])
    n_rev = np.array([s.mean_motion_rev_day for s in sets])
    da, di = np.diff(a), np.diff(inc)
    sigma_a, sigma_i = _robust_sigma(da), _robust_sigma(di)
    limit_a = max(cfg.floor_a_km, cfg.sigma_factor * sigma_a)
    limit_i = max(cfg.floor_i_deg, cfg.sigma_factor * sigma_i)
    big_a, big_i = np.abs(da) > limit_a, np.abs(di) > limit_i
    # A set that jumps away and straight back is an outlier, not two manoeuvres.
    outlier = np.zeros(len(sets), dtype=bool)
    for k in range(1, len(sets) - 1):
        back_a = abs(a[k + 1] - a[k - 1]) <= limit_a and big_a[k - 1] and big_a[k]
        back_i = abs(inc[k + 1] - inc[k - 1]) <= limit_i and big_i[k - 1] and big_i[k]
        outlier[k] = bool(back_a or back_i)
    geo = bool(np.median(np.abs(n_rev - SIDEREAL_REV_DAY)) < 0.05)
    drift = 360.0 * (n_rev - SIDEREAL_REV_DAY)
    out: list[Manoeuvre] = []
    for k in range(len(sets) - 1):
        if not (big_a[k] or big_i[k]) or outlier[k] or outlier[k + 1]:
            continue
        r = 0.5 * (a[k] + a[k + 1])
        v = math.sqrt(MU_KM3_S2 / r)
        dv_in = v * abs(da[k]) / (2.0 * r) if big_a[k] else 0.0
        dv_out = 2.0 * v * math.sin(math.radians(abs(di[k])) / 2.0) if big_i[k] else 0.0
        kind = "+".join(
            name for name, hit in (("in-plane", big_a[k]), ("out-of-plane", big_i[k])) if hit
        )
        sig = max(
            abs(da[k]) / sigma_a if sigma_a > 0 else math.inf,
            abs(di[k]) / sigma_i if sigma_i > 0 else math.inf,
        )
        out.append(
            Manoeuvre(
                norad_id=sets[k].norad_id,
                name=sets[k].name,
                before_epoch=sets[k].epoch,
                after_epoch=sets[k + 1].epoch,
                kind=kind,
                delta_a_km=float(da[k]),
                delta_i_deg=float(di[k]),
                delta_v_m_s=1000.0 * math.hypot(dv_in, dv_out),
                drift_before_deg_day=float(drift[k]) if geo else None,
                drift_after_deg_day=float(360.0 * (n_rev[k + 1] - SIDEREAL_REV_DAY))
                if geo
                else None,
                significance=float(min(sig, 1e6)),
                owner=owner,
            )
        )
    return out


def detect_proximity_operations(
    elements: Iterable[ElementSet],
    satcat: Mapping[int, SatcatEntry] | None = None,
    manoeuvres: Iterable[Manoeuvre] = (),
    settings: ProximitySettings | None = None,
) -> list[ProximityOperation]:
    """Pairs that came near and stayed near, from the objects' element-set histories."""
    cfg = settings or ProximitySettings()
    if not (0 < cfg.near_km < cfg.far_km) or cfg.step_s <= 0 or cfg.min_hours <= 0:
        raise ValueError("need 0 < near_km < far_km and positive step and duration")
    histories = group_histories(elements)
    if len(histories) < 2:
        return []
    ids = sorted(histories)
    start = min(h[0].epoch for h in histories.values())
    end = max(h[-1].epoch for h in histories.values())
    times = np.arange(0.0, (end - start).total_seconds() + 1.0, cfg.step_s)
    pos = _piecewise_positions([histories[n] for n in ids], start, times)  # (N, T, 3)
    near_pairs: set[tuple[int, int]] = set()
    for k in range(times.size):
        ok = np.flatnonzero(np.isfinite(pos[:, k, 0]))
        if ok.size < 2:
            continue
        pairs = cKDTree(pos[ok, k]).query_pairs(cfg.near_km, output_type="ndarray")
        near_pairs.update((int(ok[i]), int(ok[j])) for i, j in pairs)
    moved: dict[int, list[datetime]] = defaultdict(list)
    for m in manoeuvres:
        moved[m.norad_id].append(m.after_epoch)
    out: list[ProximityOperation] = []
    need = max(1, math.ceil(cfg.min_hours * 3600.0 / cfg.step_s))
    for i, j in sorted(near_pairs):
        d = np.linalg.norm(pos[i] - pos[j], axis=1)
        both = np.flatnonzero(np.isfinite(d))
        if both.size == 0:
            continue
        near = np.isfinite(d) & (d <= cfg.near_km)
        run_start, run_len = _longest_run(near)
        if run_len < need:
            continue
        before = d[both[0] : run_start + 1]
        approached = bool(np.nanmax(before) > cfg.far_km) if before.size else False
        colocated = run_start <= both[0]
        if not (approached or colocated):
            continue
        run = d[run_start : run_start + run_len]
        t0 = start + timedelta(seconds=float(times[run_start]))
        t1 = start + timedelta(seconds=float(times[run_start + run_len - 1]))
        na, nb = ids[i], ids[j]
        window_from = t0 - timedelta(days=7)
        active = tuple(n for n in (na, nb) if any(window_from <= t <= t1 for t in moved[n]))
        out.append(
            ProximityOperation(
                norad_a=na,
                norad_b=nb,
                start=t0,
                end=t1,
                min_distance_km=float(run.min()),
                median_distance_km=float(np.median(run)),
                approach_from_km=float(d[both[0]]),
                kind="rendezvous" if approached and not colocated else "co-location",
                name_a=histories[na][-1].name,
                name_b=histories[nb][-1].name,
                owner_a=satcat[na].owner if satcat and na in satcat else "",
                owner_b=satcat[nb].owner if satcat and nb in satcat else "",
                manoeuvred=active,
            )
        )
    return sorted(out, key=lambda p: (p.kind != "rendezvous", p.start, p.norad_a, p.norad_b))


def _longest_run(mask: np.ndarray) -> tuple[int, int]:
    best_start, best_len, cur_start, cur_len = 0, 0, 0, 0
    for k, hit in enumerate(mask.tolist()):
        if hit:
            if cur_len == 0:
                cur_start = k
            cur_len += 1
            if cur_len > best_len:
                best_start, best_len = cur_start, cur_len
        else:
            cur_len = 0
    return best_start, best_len


def _piecewise_positions(
    histories: list[list[ElementSet]], start: datetime, times: np.ndarray
) -> np.ndarray:
    """Positions from each object's latest element set at each time (NaN before its first)."""
    jd0, fr0 = julian_split(start)
    out = np.full((len(histories), times.size, 3), np.nan)
    for row, sets in enumerate(histories):
        offsets = np.array([(s.epoch - start).total_seconds() for s in sets])
        which = np.searchsorted(offsets, times, side="right") - 1
        for k, s in enumerate(sets):
            cols = np.flatnonzero(which == k)
            if cols.size == 0:
                continue
            err, r, _ = s.satrec().sgp4_array(np.full(cols.size, jd0), fr0 + times[cols] / 86400.0)
            good = err == 0
            out[row, cols[good]] = r[good]
    return out
