"""Write a case's outputs to a folder, each file at its own marking."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from watchfloor.adapters.reports.after_action import after_action_json, render_after_action_html
from watchfloor.adapters.reports.package import render_package_html, render_package_pdf
from watchfloor.adapters.reports.statement import render_public_statement
from watchfloor.domain.assessment import CaseAssessment
from watchfloor.domain.case import Case
from watchfloor.domain.exercise import GroundTruth


def write_outputs(
    case: Case,
    assessment: CaseAssessment,
    truth: GroundTruth | None,
    out_dir: Path,
    generated_at: datetime,
) -> list[Path]:
    """Decision package (HTML, PDF), public statement, after-action record; the paths written.

    The public statement refuses to render (raising, so nothing is written for
    it) when its leak check finds a string of a withheld item.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    html = out_dir / "decision-package.html"
    html.write_text(render_package_html(case, assessment, generated_at), encoding="utf-8")
    written.append(html)
    pdf = out_dir / "decision-package.pdf"
    pdf.write_bytes(render_package_pdf(case, assessment, generated_at))
    written.append(pdf)
    text = out_dir / "public-statement.txt"
    text.write_text(render_public_statement(case, assessment, generated_at), encoding="utf-8")
    page = out_dir / "public-statement.html"
    page.write_text(
        render_public_statement(case, assessment, generated_at, fmt="html"), encoding="utf-8"
    )
    written += [text, page]
    record = after_action_json(case, assessment, generated_at, truth)
    aa_json = out_dir / "after-action.json"
    aa_json.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    aa_html = out_dir / "after-action.html"
    aa_html.write_text(
        render_after_action_html(case, assessment, generated_at, truth), encoding="utf-8"
    )
    written += [aa_json, aa_html]
    return written
