"""reports: the Draft type, drafting from run data, revision on review findings, rendering to
Markdown, HTML and JSON."""

from reports.drafting import draft
from reports.errors import ReportError
from reports.findings import Finding
from reports.model import ClaimRow, Draft, EmpiricalRow, Figure, Sentence
from reports.render_html import render_html
from reports.render_json import render_json
from reports.render_markdown import render_markdown
from reports.revision import revise

__all__ = [
    "ClaimRow", "Draft", "EmpiricalRow", "Figure", "Finding", "ReportError", "Sentence",
    "draft", "render_html", "render_json", "render_markdown", "revise",
]
