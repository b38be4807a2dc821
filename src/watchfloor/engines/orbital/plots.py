"""Self-contained SVG views for the space pages: no script, no external resource.

Each function returns one ``<svg>`` element as a string, ready to embed:
close approaches on a timeline, a ground track, and the distance over time
for one pair. Text is XML-escaped; sizes are in CSS pixels.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from xml.sax.saxutils import escape

import numpy as np

from watchfloor.engines.orbital.findings import CloseApproach

_FONT = 'font-family="sans-serif" font-size="11"'
_EARTH_RATE_RAD_S = 7.2921158553e-5


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{_attr(title)}">'
        f"<title>{escape(title)}</title>"
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>'
        + "".join(body)
        + "</svg>"
    )


def _attr(text: str) -> str:
    return escape(text, {'"': "&quot;"})


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 5, 10) if m * mag >= raw), default=mag * 10)
    start = math.ceil(lo / step) * step
    return [start + k * step for k in range(int((hi - start) / step) + 1)]


def close_approach_timeline_svg(
    approaches: Sequence[CloseApproach],
    start: datetime,
    end: datetime,
    *,
    threshold_km: float | None = None,
    victim: int | None = None,
    width: int = 720,
    height: int = 280,
) -> str:
    """Each approach as a dot at its time of closest approach, miss distance upwards.

    Dots are coloured by the other object's owner when owners are known: the
    object that is not `victim`, else `norad_b`.
    """
    if end <= start:
        raise ValueError("the timeline must end after it starts")
    left, right, top, bottom = 56, 16, 24, 36
    span_s = (end - start).total_seconds()
    top_km = threshold_km or max((a.miss_km for a in approaches), default=1.0) or 1.0
    body: list[str] = []

    def x(t: datetime) -> float:
        return left + (width - left - right) * (t - start).total_seconds() / span_s

    def y(km: float) -> float:
        return top + (height - top - bottom) * (1.0 - min(km, top_km) / top_km)

    body.append(
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" '
        'stroke="#444"/>'
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="#444"/>'
    )
    for km in _ticks(0.0, top_km, 4):
        body.append(
            f'<text x="{left - 6}" y="{y(km) + 4:.1f}" text-anchor="end" {_FONT}>{km:g}</text>'
        )
    for k in range(5):
        t = start + (end - start) * (k / 4)
        body.append(
            f'<text x="{x(t):.1f}" y="{height - bottom + 16}" text-anchor="middle" {_FONT}>'
            f"{escape(t.strftime('%m-%d %H:%M'))}</text>"
        )
    body.append(
        f'<text x="12" y="{top + (height - top - bottom) / 2:.0f}" {_FONT} '
        f'transform="rotate(-90 12 {top + (height - top - bottom) / 2:.0f})" '
        'text-anchor="middle">miss distance (km)</text>'
    )
    palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"]

    def other_owner(a: CloseApproach) -> str:
        return (a.owner_a if victim == a.norad_b else a.owner_b) or "?"

    owners = sorted({other_owner(a) for a in approaches})
    colour = {o: palette[k % len(palette)] for k, o in enumerate(owners)}
    for a in approaches:
        if not (start <= a.tca <= end):
            continue
        owner = other_owner(a)
        label = (
            f"{a.norad_a} {a.name_a} / {a.norad_b} {a.name_b} "
            f"({'owner unknown' if owner == '?' else owner}): "
            f"{a.miss_km:.3f} km at {a.tca.isoformat(timespec='seconds')}, "
            f"{a.rel_speed_km_s:.2f} km/s"
        )
        body.append(
            f'<circle cx="{x(a.tca):.1f}" cy="{y(a.miss_km):.1f}" r="4" '
            f'fill="{colour[owner]}" fill-opacity="0.8"><title>{escape(label)}</title>'
            "</circle>"
        )
    for k, owner in enumerate(owners[:7]):
        body.append(
            f'<circle cx="{width - right - 90}" cy="{top + 4 + 14 * k}" r="4" '
            f'fill="{colour[owner]}"/><text x="{width - right - 80}" y="{top + 8 + 14 * k}" '
            f"{_FONT}>{escape(owner)}</text>"
        )
    return _svg(width, height, "Close approaches", body)


def ground_track_svg(
    times: Sequence[datetime],
    positions_teme_km: np.ndarray,
    *,
    label: str = "",
    width: int = 720,
    height: int = 360,
) -> str:
    """Sub-satellite points on an equirectangular map (graticule only, no coastlines).

    TEME is turned to Earth-fixed by Greenwich mean sidereal time alone
    (polar motion and the equation of the equinoxes neglected: well under a
    kilometre on the ground, invisible at this scale); latitude is geocentric.
    """
    pos = np.asarray(positions_teme_km, dtype=np.float64)
    if pos.ndim != 2 or pos.shape[1] != 3 or pos.shape[0] != len(times):
        raise ValueError("positions must be (len(times), 3) km")
    body: list[str] = []
    for meridian in range(-180, 181, 30):
        px = (meridian + 180) / 360 * width
        body.append(f'<line x1="{px:.1f}" y1="0" x2="{px:.1f}" y2="{height}" stroke="#ddd"/>')
    for parallel in range(-90, 91, 30):
        py = (90 - parallel) / 180 * height
        body.append(f'<line x1="0" y1="{py:.1f}" x2="{width}" y2="{py:.1f}" stroke="#ddd"/>')
        body.append(f'<text x="4" y="{py - 2:.1f}" {_FONT} fill="#888">{parallel}°</text>')
    segments: list[list[tuple[float, float]]] = [[]]
    last_lon: float | None = None
    for t, r in zip(times, pos, strict=True):
        if not np.all(np.isfinite(r)):
            continue
        theta = _gmst_rad(t)
        lon = math.degrees(math.atan2(float(r[1]), float(r[0])) - theta)
        lon = (lon + 180.0) % 360.0 - 180.0
        lat = math.degrees(math.atan2(float(r[2]), math.hypot(float(r[0]), float(r[1]))))
        if last_lon is not None and abs(lon - last_lon) > 180.0:
            segments.append([])
        segments[-1].append(((lon + 180) / 360 * width, (90 - lat) / 180 * height))
        last_lon = lon
    for seg in segments:
        if len(seg) > 1:
            pts = " ".join(f"{px:.1f},{py:.1f}" for px, py in seg)
            body.append(
                f'<polyline points="{pts}" fill="none" stroke="#d62728" stroke-width="1.5"/>'
            )
    if label:
        body.append(
            f'<text x="{width - 8}" y="16" text-anchor="end" {_FONT}>{escape(label)}</text>'
        )
    return _svg(width, height, f"Ground track {label}".strip(), body)


def relative_distance_svg(
    times: Sequence[datetime],
    distance_km: Sequence[float],
    *,
    threshold_km: float | None = None,
    tca: datetime | None = None,
    label: str = "",
    width: int = 720,
    height: int = 260,
) -> str:
    """Distance between two objects over time, with the threshold and the TCA marked."""
    d = np.asarray(distance_km, dtype=np.float64)
    if d.size != len(times) or d.size < 2:
        raise ValueError("need at least two times, one distance per time")
    left, right, top, bottom = 56, 16, 24, 36
    t0, t1 = times[0], times[-1]
    span = (t1 - t0).total_seconds() or 1.0
    finite = d[np.isfinite(d)]
    hi = float(max(finite.max() if finite.size else 1.0, threshold_km or 0.0)) or 1.0

    def x(t: datetime) -> float:
        return left + (width - left - right) * (t - t0).total_seconds() / span

    def y(km: float) -> float:
        return top + (height - top - bottom) * (1.0 - km / hi)

    body = [
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" '
        'stroke="#444"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="#444"/>',
    ]
    for km in _ticks(0.0, hi, 4):
        body.append(
            f'<text x="{left - 6}" y="{y(km) + 4:.1f}" text-anchor="end" {_FONT}>{km:g}</text>'
        )
    for k in range(5):
        t = t0 + (t1 - t0) * (k / 4)
        body.append(
            f'<text x="{x(t):.1f}" y="{height - bottom + 16}" text-anchor="middle" {_FONT}>'
            f"{escape(t.strftime('%m-%d %H:%M'))}</text>"
        )
    pts = " ".join(
        f"{x(t):.1f},{y(float(v)):.1f}" for t, v in zip(times, d, strict=True) if math.isfinite(v)
    )
    body.append(f'<polyline points="{pts}" fill="none" stroke="#1f77b4" stroke-width="1.5"/>')
    if threshold_km is not None:
        body.append(
            f'<line x1="{left}" y1="{y(threshold_km):.1f}" x2="{width - right}" '
            f'y2="{y(threshold_km):.1f}" stroke="#d62728" stroke-dasharray="4 3"/>'
            f'<text x="{width - right}" y="{y(threshold_km) - 4:.1f}" text-anchor="end" '
            f'{_FONT} fill="#d62728">{threshold_km:g} km</text>'
        )
    if tca is not None and t0 <= tca <= t1:
        body.append(
            f'<line x1="{x(tca):.1f}" y1="{top}" x2="{x(tca):.1f}" y2="{height - bottom}" '
            'stroke="#2ca02c" stroke-dasharray="2 2"/>'
            f'<text x="{x(tca) + 4:.1f}" y="{top + 10}" {_FONT} fill="#2ca02c">TCA</text>'
        )
    if label:
        body.append(f'<text x="{left + 4}" y="14" {_FONT}>{escape(label)}</text>')
    return _svg(width, height, f"Distance {label}".strip(), body)


def _gmst_rad(t: datetime) -> float:
    """Greenwich mean sidereal angle (IAU 1982), radians."""
    jd = t.timestamp() / 86400.0 + 2440587.5
    tu = (jd - 2451545.0) / 36525.0
    seconds = (
        67310.54841 + (876600.0 * 3600.0 + 8640184.812866) * tu + 0.093104 * tu**2 - 6.2e-6 * tu**3
    )
    return math.radians((seconds % 86400.0) / 240.0)
