"""The cell's outputs, each at its own marking: decision package, public statement, after-action."""

from watchfloor.adapters.reports._view import PackageView
from watchfloor.adapters.reports.after_action import after_action_json, render_after_action_html
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
    "PackageView",
    "ReleaseLeakError",
    "after_action_json",
    "check_no_leak",
    "package_view",
    "render_after_action_html",
    "render_package_html",
    "render_package_pdf",
    "render_public_statement",
]
