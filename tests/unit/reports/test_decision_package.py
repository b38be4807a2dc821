"""The decision package as a decision-maker reads it, in HTML and in PDF."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from html.parser import HTMLParser

from pypdf import PdfReader

from watchfloor.adapters.reports import render_package_html, render_package_pdf
from watchfloor.adapters.reports._common import latin1
from watchfloor.domain.assessment import CaseAssessment
from watchfloor.domain.case import Case
from watchfloor.domain.confidence import LikelihoodTerm
from watchfloor.domain.evidence import EvidenceClass

from .casebook import DETECTED, evidence, item

GENERATED = DETECTED.replace(hour=12)
Build = Callable[..., tuple[Case, CaseAssessment]]
TERMS = [t.term for t in LikelihoodTerm]


class _Blocks(HTMLParser):
    """The text of each block element (paragraph, list item, cell, SVG text) on its own."""

    BLOCKS = frozenset({"p", "li", "td", "th", "h1", "h2", "h3", "text", "title"})

    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[str] = []
        self._open: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCKS:
            self._open.append([])

    def handle_endtag(self, tag: str) -> None:
        if tag in self.BLOCKS and self._open:
            self.blocks.append(" ".join("".join(self._open.pop()).split()))

    def handle_data(self, data: str) -> None:
        if self._open:
            self._open[-1].append(data)


def blocks(html: str) -> list[str]:
    parser = _Blocks()
    parser.feed(html)
    return parser.blocks


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text) if s]


def pdf_pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def svg(html: str, svg_id: str) -> str:
    match = re.search(rf'<svg id="{svg_id}".*?</svg>', html, flags=re.S)
    assert match, f"no SVG {svg_id}"
    return match.group(0)


def test_pdf_carries_the_banner_at_top_and_bottom_of_every_page(decided: tuple) -> None:
    case, assessment = decided
    pages = pdf_pages(render_package_pdf(case, assessment, GENERATED))

    banner = assessment.marking.banner()
    assert banner == "NATO SECRET // REL TO NATO // TLP:RED"
    assert len(pages) >= 1
    for number, text in enumerate(pages, start=1):
        assert text.count(banner) >= 2, f"page {number} lacks its banner twice"


def test_a_long_package_still_carries_the_banner_on_every_page(make_case: Build) -> None:
    many = evidence() + [
        item(f"EV-extra-{i:02d}", {"ursa": 0.5, "lynx": 0.4}, title=f"Sensor report {i}")
        for i in range(40)
    ]
    case, assessment = make_case(many)

    pages = pdf_pages(render_package_pdf(case, assessment, GENERATED))

    assert len(pages) >= 5
    assert all(p.count(assessment.marking.banner()) >= 2 for p in pages)


def test_html_banner_heads_and_closes_the_page(decided: tuple) -> None:
    case, assessment = decided
    html = render_package_html(case, assessment, GENERATED)
    banner = assessment.marking.banner()

    assert re.search(rf'<div class="banner top [^"]*"[^>]*>{re.escape(banner)}</div>', html)
    assert re.search(
        rf'<div class="banner bottom [^"]*"[^>]*>{re.escape(banner)}</div>\s*</body>', html
    )


def test_the_lead_is_stated_with_its_icd_203_term_and_range(decided: tuple) -> None:
    case, assessment = decided
    lead = assessment.fusion.lead
    term = assessment.fusion.term(lead.id)

    html = render_package_html(case, assessment, GENERATED)
    pdf = " ".join(" ".join(pdf_pages(render_package_pdf(case, assessment, GENERATED))).split())

    expected = f"it is {term.term} ({term.range_text}) that Ursa Group carried out the incident"
    assert lead.id == "H-ursa"
    assert term is LikelihoodTerm.LIKELY
    assert expected in " ".join(blocks(html))
    assert expected in pdf


def test_confidence_is_never_in_the_same_sentence_as_a_likelihood_term(decided: tuple) -> None:
    case, assessment = decided
    html = render_package_html(case, assessment, GENERATED)

    stated = [s for b in blocks(html) for s in sentences(b) if "confidence" in s.lower()]

    assert f"We hold {assessment.fusion.confidence.value} confidence in this judgement." in stated
    for sentence in stated:
        found = [t for t in TERMS if re.search(rf"\b{t}\b", sentence, flags=re.I)]
        assert not found, f"{sentence!r} mixes confidence with {found}"


def test_hypothesis_chart_draws_one_bar_per_hypothesis(decided: tuple) -> None:
    case, assessment = decided
    chart = svg(render_package_html(case, assessment, GENERATED), "hypothesis-chart")

    widths = [float(w) for w in re.findall(r'<rect class="bar"[^>]*width="([\d.]+)"', chart)]

    assert len(widths) == len(case.hypotheses) == 4
    lead_index = [h.id for h in assessment.fusion.hypotheses].index("H-ursa")
    assert max(widths) == widths[lead_index]


def test_clock_timeline_runs_to_the_deadline_and_marks_it(decided: tuple) -> None:
    case, assessment = decided
    html = render_package_html(case, assessment, GENERATED)
    timeline = svg(html, "clock-timeline")

    assert 'class="deadline"' in timeline
    assert "deadline 2025-03-04 02:40Z" in timeline  # 24 h after detection, the consultation tier
    reached_instants = {at for _, at in assessment.clock.milestones if at is not None}
    assert timeline.count('<g class="milestone">') == len(reached_instants)
    assert "Decided +7h00m after detection, within the deadline" in html


def test_undecided_package_shows_the_running_clock(make_case: Build) -> None:
    case, assessment = make_case(decide=False)
    html = render_package_html(case, assessment, GENERATED)

    assert "No decision has been recorded." in html
    assert 'class="now"' in svg(html, "clock-timeline")
    assert "left to the deadline" in html


def test_options_show_eligibility_legal_status_and_the_cleared_ones(decided: tuple) -> None:
    case, assessment = decided
    html = render_package_html(case, assessment, GENERATED)
    cleared = re.search(r'<div class="cleared" id="cleared-options">.*?</div>', html, re.S)

    assert cleared is not None
    assert "Coordinated cyber defence" in cleared.group(0)
    assert "Démarche to the sponsor" in cleared.group(0)
    assert "no public disclosure of sources" in cleared.group(0)
    assert "Public attribution" not in cleared.group(0)  # eligible, but legal review pending
    assert "Targeted sanctions" not in cleared.group(0)  # blocked and rejected
    text = " ".join(blocks(html))
    assert "pending" in text
    assert "rejected (legal.ines): no legal basis yet" in text
    assert "blocked: needs tier collective defence candidate" in text


def test_threshold_explanation_gives_scores_ranges_and_the_way_up(decided: tuple) -> None:
    case, assessment = decided
    text = " ".join(blocks(render_package_html(case, assessment, GENERATED)))

    assert "Tier: consultation" in text
    assert "400,000 (range 250,000 to 1,200,000)" in text
    assert "2 (2-3)" in text  # the scale score and its range
    assert "To reach collective defence candidate" in text
    assert "Intent to coerce must score 2, now 1" in text


def test_layers_and_sensitivity_are_explained(decided: tuple) -> None:
    case, assessment = decided
    text = " ".join(blocks(render_package_html(case, assessment, GENERATED)))

    assert "state sponsor Arcadia almost certain" in text
    assert "The most influential evidence group is EV-c2" in text
    assert "The lead does not survive" in text


def test_ach_matrix_is_an_annex_with_every_item(decided: tuple) -> None:
    case, assessment = decided
    html = render_package_html(case, assessment, GENERATED)
    annex = html[html.index('id="ach"') :]

    for e in case.evidence:
        assert e.id in annex
    assert "(NS TLP:RED) EV-tasking" in annex


def test_hostile_text_is_escaped_in_html_and_drawn_in_pdf(make_case: Build) -> None:
    hostile = '<script>alert("x")</script> Ωmega → “wiper” ☢'
    items = [
        *evidence(),
        item("EV-hostile", {"ursa": 0.5}, title=hostile, evidence_class=EvidenceClass.EXTERNAL),
    ]
    case, assessment = make_case(items)

    html = render_package_html(case, assessment, GENERATED)
    pdf = " ".join(pdf_pages(render_package_pdf(case, assessment, GENERATED)))

    assert "<script" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert '<script>alert("x")</script>' in pdf
    assert "wiper" in pdf


def test_html_is_self_contained(decided: tuple) -> None:
    case, assessment = decided
    html = render_package_html(case, assessment, GENERATED)

    urls = set(re.findall(r"https?://[^\s\"'<>]+", html))
    assert urls <= {"http://www.w3.org/2000/svg"}
    for needle in ("<script", "<link", " src=", "@import", "url("):
        assert needle not in html


def test_latin1_spells_typography_plainly_and_marks_the_rest() -> None:
    assert latin1("A → B “quoted” – 5 ≥ 4…") == 'A -> B "quoted" - 5 >= 4...'
    assert latin1("Démarche, Łódź") == "Démarche, Lódz"
    assert latin1("☢") == "?"
