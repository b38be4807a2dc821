"""What every report shares: the template environment, time formatting, PDF-safe text."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta
from functools import cache

import jinja2

from watchfloor.domain.clock import format_duration


@cache
def environment() -> jinja2.Environment:
    """Templates ship in the package; every value is escaped, a missing one is an error."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("watchfloor.adapters.reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def when(at: datetime | None) -> str:
    """A time as the cell writes it: UTC, to the minute (naive times are shown as given)."""
    if at is None:
        return "not reached"
    if at.tzinfo is None:
        return at.strftime("%Y-%m-%d %H:%M")
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%MZ")


def offset(delta: timedelta) -> str:
    """A signed duration: +3h20m after, -0h40m before."""
    text = format_duration(delta)
    return text if text.startswith("-") else "+" + text


def percent(p: float) -> str:
    return f"{p:.0%}"


# Characters outside latin-1 that reports commonly carry, and their plain spelling.
_PLAIN = {
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2212": "-",
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2026": "...",
    "\u2022": "*",
    "\u2192": "->",
    "\u2190": "<-",
    "\u2264": "<=",
    "\u2265": ">=",
    "\u2260": "!=",
    "\u2248": "~",
    "\u2009": " ",
    "\u200b": "",
    "\u2122": "(TM)",
    "\u20ac": "EUR",
    "\u0141": "L",
    "\u0142": "l",
    "\u0110": "D",
    "\u0111": "d",
    "\u0131": "i",
    "\u0152": "OE",
    "\u0153": "oe",
}


def latin1(text: str) -> str:
    """Text the PDF core fonts can draw (latin-1 only).

    Typographic punctuation is spelled plainly, accented letters outside latin-1
    lose their accent (NFKD), and anything else becomes '?', so nothing is
    silently dropped.
    """
    out = []
    for ch in text:
        if ord(ch) < 256:
            out.append(ch)
            continue
        if ch in _PLAIN:
            out.append(_PLAIN[ch])
            continue
        decomposed = unicodedata.normalize("NFKD", ch)
        base = "".join(c for c in decomposed if ord(c) < 256 and not unicodedata.combining(c))
        out.append(base or "?")
    return "".join(out)
