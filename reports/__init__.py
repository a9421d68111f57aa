"""reports: the Draft type, drafting from run data, revision on review findings, rendering to
Markdown, HTML and JSON."""

# Each renderer shares its name with its module, so it is bound here once (they are light): a
# lazy name would be replaced by the module as soon as anything imported the module.
from reports.render_html import render_html
from reports.render_json import render_json
from reports.render_markdown import render_markdown
from verifier.lazy import lazy_getattr

# name -> module that defines it; imported on first use, so importing the package is cheap
_EXPORTS = {
    "draft": "reports.drafting",
    "ReportError": "reports.errors",
    "Finding": "reports.findings",
    "ClaimRow": "reports.model",
    "Draft": "reports.model",
    "EmpiricalRow": "reports.model",
    "Figure": "reports.model",
    "Sentence": "reports.model",
    "revise": "reports.revision",
}

__getattr__ = lazy_getattr(__name__, _EXPORTS)

__all__ = [
    "ClaimRow", "Draft", "EmpiricalRow", "Figure", "Finding", "ReportError", "Sentence",
    "draft", "render_html", "render_json", "render_markdown", "revise",
]
