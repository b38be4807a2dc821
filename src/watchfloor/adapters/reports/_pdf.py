"""The decision package drawn with fpdf2: banner on every page, charts drawn with rectangles.

fpdf2's core fonts are latin-1 only; every string goes through `latin1()` first
(typographic punctuation spelled plainly, anything else replaced visibly).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from watchfloor.adapters.reports._common import latin1
from watchfloor.adapters.reports._view import PackageView
from watchfloor.domain.markings import PUBLIC, Classification, Marking

_BANNER_RGB = {
    Classification.UNCLASSIFIED: (29, 79, 42),
    Classification.RESTRICTED: (31, 63, 143),
    Classification.CONFIDENTIAL: (31, 63, 143),
    Classification.SECRET: (161, 29, 29),
    Classification.COSMIC_TOP_SECRET: (161, 29, 29),
}
_FONT = "Helvetica"
_HEADINGS = FontFace(emphasis="BOLD", fill_color=(225, 225, 225))
_LEAD_RGB = (31, 63, 143)
_OTHER_RGB = (138, 155, 184)
_DEADLINE_RGB = (161, 29, 29)


class PackagePdf(FPDF):
    """An A4 document whose header and footer carry the classification banner."""

    def __init__(self, view: PackageView, marking: Marking) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.view = view
        self.banner_text = latin1(marking.banner())
        self.banner_rgb = (
            (61, 61, 61) if PUBLIC in marking.releasable_to else _BANNER_RGB[marking.classification]
        )
        self.set_margins(15, 20, 15)
        self.set_auto_page_break(True, margin=22)

    # -- every page --------------------------------------------------------------------------

    def header(self) -> None:
        self._banner(6)
        self.set_y(20)

    def footer(self) -> None:
        self._banner(self.h - 15)
        self.set_y(self.h - 8)
        self.set_font(_FONT, "", 7)
        self.set_text_color(90, 90, 90)
        self.cell(
            0,
            4,
            latin1(f"Decision package {self.view.case_id} - page {self.page_no()} of {{nb}}"),
            align="C",
        )

    def _banner(self, y: float) -> None:
        self.set_xy(self.l_margin, y)
        self.set_fill_color(*self.banner_rgb)
        self.set_text_color(255, 255, 255)
        self.set_font(_FONT, "B", 9)
        self.cell(self.epw, 7, self.banner_text, align="C", fill=True)
        self.set_text_color(0, 0, 0)

    # -- building blocks ---------------------------------------------------------------------

    def heading(self, text: str, level: int = 1) -> None:
        if self.will_page_break(22):
            self.add_page()
        self.ln(3 if level == 1 else 1)
        self.set_font(_FONT, "B", 13 if level == 1 else 10.5)
        self.multi_cell(0, 6.5, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if level == 1:
            self.set_draw_color(60, 60, 60)
            self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
            self.ln(1.5)

    def para(self, text: str, style: str = "", size: float = 9.5) -> None:
        self.set_font(_FONT, style, size)
        self.multi_cell(0, 5, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(0.8)

    def bullets(self, items: Sequence[str]) -> None:
        self.set_font(_FONT, "", 9.5)
        for item in items:
            self.multi_cell(0, 5, latin1(f"- {item}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def grid(
        self, rows: Sequence[Sequence[str]], widths: tuple[float, ...], size: float = 8.5
    ) -> None:
        """A table whose first row is the heading; long cells wrap, pages break cleanly."""
        self.set_font(_FONT, "", size)
        self.set_fill_color(255, 255, 255)
        self.set_text_color(0, 0, 0)
        self.set_draw_color(120, 120, 120)
        with self.table(
            col_widths=widths,
            text_align="LEFT",
            line_height=4.4,
            first_row_as_headings=True,
            width=self.epw,
            headings_style=_HEADINGS,
            cell_fill_mode="NONE",
            borders_layout="SINGLE_TOP_LINE",
        ) as table:
            for r in rows:
                row = table.row()
                for text in r:
                    row.cell(latin1(text))
        self.ln(2)

    # -- the document ------------------------------------------------------------------------

    def render(self, generated_at: datetime) -> bytes:
        v = self.view
        self.set_title(latin1(f"Decision package {v.case_id}: {v.title}"))
        self.set_subject(self.banner_text)
        self.set_creator("Watchfloor")
        if generated_at.tzinfo is not None:
            self.set_creation_date(generated_at)
        self.add_page()
        self.set_font(_FONT, "B", 16)
        self.multi_cell(
            0, 8, latin1(f"Decision package: {v.title}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        meta = f"Case {v.case_id} - generated {v.generated} - marking {v.banner}"
        if v.exercise:
            meta = f"EXERCISE {v.exercise} - " + meta
        self.para(meta, size=8.5)
        self._incident()
        self._attribution()
        self._thresholds()
        self._options()
        self._clock()
        self._decision()
        self._ach()
        return bytes(self.output())

    def _incident(self) -> None:
        v = self.view
        self.heading("1. What happened")
        self.heading(v.incident_title, level=2)
        self.para(v.incident_summary)
        self.grid([("Fact", "Value"), *((f.label, f.value) for f in v.incident_facts)], (1, 3))

    def _attribution(self) -> None:
        v = self.view
        self.heading("2. Who did it, and how sure we are")
        self.para(v.judgement, style="B", size=10.5)
        self.para(v.probability_note)
        self.para(v.confidence)
        self.bullets([f"Basis: {r}." for r in v.confidence_basis])
        self.heading("Competing hypotheses", level=2)
        self._hypothesis_chart()
        self.heading("Attribution layers", level=2)
        rows = [("Layer", "Lead", "Likelihood", "Evidence standard", "What is missing")]
        for layer in v.layers:
            missing = (
                "; ".join(layer.missing) if layer.missing else ("nothing" if layer.met else "-")
            )
            rows.append(
                (
                    layer.layer,
                    layer.lead,
                    f"{layer.term} ({layer.term_range}); {layer.probability}",
                    layer.standard,
                    missing,
                )
            )
        self.grid(rows, (1.1, 1.3, 1.5, 1.0, 3.0))
        self.heading("Sensitivity", level=2)
        for s in v.sensitivity.sentences:
            self.para(s)
        if v.sensitivity.shifts:
            self.grid(
                [
                    ("Evidence group removed", "Change of the lead", "Lead without it"),
                    *v.sensitivity.shifts,
                ],
                (2, 1, 2),
            )

    def _hypothesis_chart(self) -> None:
        bars = self.view.bars
        row, label_w, bar_w = 7.0, 62.0, 80.0
        if self.will_page_break(row * len(bars) + 4):
            self.add_page()
        top = self.get_y() + 1
        self.set_font(_FONT, "", 8.5)
        for i, b in enumerate(bars):
            y = top + i * row
            label = b.label if len(b.label) <= 40 else b.label[:37] + "..."
            self.set_text_color(0, 0, 0)
            self.text(self.l_margin, y + 4, latin1(label))
            self.set_fill_color(*(_LEAD_RGB if b.lead else _OTHER_RGB))
            x = self.l_margin + label_w
            self.rect(x, y, max(bar_w * b.probability, 0.3), row - 2, style="F")
            suffix = " (lead)" if b.lead else ""
            self.text(x + bar_w * b.probability + 2, y + 4, latin1(f"{b.percent} {b.term}{suffix}"))
        self.set_y(top + len(bars) * row + 2)

    def _thresholds(self) -> None:
        t = self.view.thresholds
        self.heading("3. Which threshold it meets")
        self.para(
            f"Tier: {t.tier} (total score {t.total}; policy {t.policy_version}; decision "
            f"deadline {t.deadline_hours} h from detection).",
            style="B",
        )
        self.para(f"Within the uncertainty of the estimates: {t.tier_range}.")
        self.grid(
            [
                ("Criterion", "Measure", "Estimate (range)", "Score (range)"),
                *((c.label, c.measure, c.estimate, c.score) for c in t.criteria),
            ],
            (2, 2, 1.3, 1),
        )
        if t.next_tier:
            self.para(f"To reach {t.next_tier}:")
            self.bullets(list(t.to_next_tier))
        else:
            self.para("This is the highest tier of the policy.")

    def _options(self) -> None:
        v = self.view
        self.heading("4. Response options")
        self.heading("Cleared for decision", level=2)
        if v.cleared:
            self.bullets(
                [
                    f"{o.title} ({o.category}) - legal: {o.legal_status}"
                    + (f"; conditions: {o.legal_conditions}" if o.legal_conditions else "")
                    for o in v.cleared
                ]
            )
        else:
            self.para("No option is both eligible and cleared by legal review yet.")
        self.ln(1)
        rows = [("Option", "Eligibility", "Legal review", "Basis, risk, time")]
        for o in v.options:
            legal = o.legal_status + (f" ({o.reviewer})" if o.reviewer else "")
            if o.legal_reasons:
                legal += f": {o.legal_reasons}"
            if o.legal_conditions:
                legal += f". Conditions: {o.legal_conditions}"
            rows.append(
                (
                    f"{o.title} ({o.category})",
                    ("eligible: " if o.eligible else "blocked: ") + "; ".join(o.eligibility),
                    legal,
                    f"{o.legal_basis}; escalation risk {o.escalation_risk}; "
                    f"{o.time_to_execute} to execute",
                )
            )
        self.grid(rows, (1.3, 2, 1.8, 1.6))

    def _clock(self) -> None:
        tl = self.view.timeline
        self.heading("5. The decision clock")
        self.para(f"{tl.status} Deadline: {tl.deadline}.")
        height = 42.0
        if self.will_page_break(height):
            self.add_page()
        top = self.get_y()
        x0, w = self.l_margin + 5, self.epw - 10
        axis_y = top + 27
        self.set_draw_color(40, 40, 40)
        self.set_line_width(0.5)
        self.line(x0, axis_y, x0 + w, axis_y)
        self.set_line_width(0.2)
        self.set_font(_FONT, "", 7)
        dx = x0 + tl.deadline_fraction * w
        self.set_draw_color(*_DEADLINE_RGB)
        self.set_text_color(*_DEADLINE_RGB)
        with self.local_context():
            self.set_dash_pattern(dash=1.5, gap=1)
            self.set_line_width(0.5)
            self.line(dx, top + 2, dx, axis_y + 5)
        label = latin1(f"deadline {tl.deadline}")
        self.text(max(x0, dx - self.get_string_width(label)), axis_y + 8, label)
        if tl.now_fraction is not None:
            nx = x0 + tl.now_fraction * w
            self.set_draw_color(*_LEAD_RGB)
            self.set_text_color(*_LEAD_RGB)
            self.set_line_width(0.8)
            self.line(nx, axis_y - 3, nx, axis_y + 3)
            self.set_line_width(0.2)
            self.text(nx - 2, axis_y + 12, "now")
        self.set_text_color(0, 0, 0)
        self.set_draw_color(150, 150, 150)
        for m in tl.marks:
            px = x0 + m.fraction * w
            ly = axis_y - 6 - m.lane * 5
            self.line(px, ly + 1, px, axis_y)
            self.set_fill_color(29, 79, 42)
            self.rect(px - 1.2, axis_y - 1.2, 2.4, 2.4, style="F")
            text = latin1(m.label)
            tw = self.get_string_width(text)
            self.text(px if m.fraction < 0.5 else px - tw, ly, text)
        self.text(x0, axis_y + 12, latin1(tl.start))
        self.set_y(top + height)
        self.grid(
            [
                ("Milestone", "Time", "From detection"),
                *((p.label, p.at, p.offset) for p in tl.points),
            ],
            (2, 2, 1),
        )

    def _decision(self) -> None:
        d = self.view.decision
        self.heading("6. Decision")
        if d is None:
            self.para("No decision has been recorded.")
            return
        chosen = ", ".join(d.chosen) or "no option taken"
        self.para(f"Decided {d.at} by {d.by}: {chosen}.")
        self.para(f"Rationale: {d.rationale}")

    def _ach(self) -> None:
        v = self.view
        self.add_page(orientation="L")
        self.heading("Annex A. Analysis of competing hypotheses")
        self.para(
            "Consistency of each item with each hypothesis (CC, C: consistent; N: neutral; "
            "I, II: inconsistent), with the weighted log-likelihood score relative to the "
            "item's mean."
        )
        if not v.ach:
            self.para("No evidence recorded.")
            return
        n = len(v.ach_hypotheses)
        rows = [("Evidence", "Grade", *v.ach_hypotheses)]
        for r in v.ach:
            rows.append(
                (
                    f"({r.portion}) {r.evidence_id}: {r.title}",
                    r.grade,
                    *(f"{rating} {score}" for rating, score in r.cells),
                )
            )
        self.grid(rows, (4.0, 0.8, *([1.5] * n)), size=7.5)
