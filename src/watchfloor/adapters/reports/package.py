"""The decision package: HTML and PDF, at the high-water marking of the case.

The package carries everything the assessment draws on, so its marking is the
most restrictive of the case and every evidence item (`assessment.marking`),
and that banner heads and closes every page.
"""

from __future__ import annotations

from datetime import datetime

from watchfloor.adapters.reports._common import environment
from watchfloor.adapters.reports._pdf import PackagePdf
from watchfloor.adapters.reports._view import PackageView, build_view
from watchfloor.domain.assessment import CaseAssessment
from watchfloor.domain.case import Case
from watchfloor.domain.markings import PUBLIC, Marking


def banner_class(marking: Marking) -> str:
    """CSS class for the banner colour: public, or the classification level."""
    if PUBLIC in marking.releasable_to:
        return "public"
    return marking.classification.name.lower().replace("_", "-")


def package_view(case: Case, assessment: CaseAssessment, generated_at: datetime) -> PackageView:
    """The package's content as data, for renderers other than these two."""
    return build_view(case, assessment, generated_at)


def render_package_html(case: Case, assessment: CaseAssessment, generated_at: datetime) -> str:
    """A self-contained HTML page: inline CSS and SVG, no scripts, every value escaped."""
    view = build_view(case, assessment, generated_at)
    template = environment().get_template("package.html")
    return template.render(
        v=view, banner=view.banner, banner_class=banner_class(assessment.marking)
    )


def render_package_pdf(case: Case, assessment: CaseAssessment, generated_at: datetime) -> bytes:
    """The same package as a PDF; the banner heads and closes every page."""
    view = build_view(case, assessment, generated_at)
    return PackagePdf(view, assessment.marking).render(generated_at)
