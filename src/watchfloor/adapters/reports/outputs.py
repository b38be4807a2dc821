"""Write a case's outputs to a folder, each file at its own marking."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from watchfloor.adapters.reports.package import render_package_html, render_package_pdf
from watchfloor.domain.assessment import CaseAssessment
from watchfloor.domain.case import Case
from watchfloor.domain.scenario import Truth


def write_outputs(
    case: Case,
    assessment: CaseAssessment,
    truth: Truth | None,
    out_dir: Path,
    generated_at: datetime,
) -> list[Path]:
    """The decision package (HTML, PDF); returns the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    html = out_dir / "decision-package.html"
    html.write_text(render_package_html(case, assessment, generated_at), encoding="utf-8")
    written.append(html)
    pdf = out_dir / "decision-package.pdf"
    pdf.write_bytes(render_package_pdf(case, assessment, generated_at))
    written.append(pdf)
    return written
