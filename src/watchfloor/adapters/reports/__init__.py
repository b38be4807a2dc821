"""The cell's outputs, each at its own marking: decision package, public statement, after-action."""

from watchfloor.adapters.reports.package import (
    package_view,
    render_package_html,
    render_package_pdf,
)

__all__ = [
    "package_view",
    "render_package_html",
    "render_package_pdf",
]
