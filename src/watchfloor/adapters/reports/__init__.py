"""The cell's outputs, each at its own marking: decision package, public statement, after-action."""

from watchfloor.adapters.reports.package import (
    package_view,
    render_package_html,
    render_package_pdf,
)
from watchfloor.adapters.reports.statement import (
    PUBLIC_MARKING,
    ReleaseLeakError,
    check_no_leak,
    render_public_statement,
)

__all__ = [
    "PUBLIC_MARKING",
    "ReleaseLeakError",
    "check_no_leak",
    "package_view",
    "render_package_html",
    "render_package_pdf",
    "render_public_statement",
]
