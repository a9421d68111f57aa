"""A researcher's own file -> plain text, title, abstract, authors and any arXiv id it names.

Reads PDFs (pypdf, the text layer only), plain text, Markdown and LaTeX sources. Markdown and
LaTeX headings become numbered heading lines ("2 Evaluation", "2.1 Setup") so the passage
splitter finds the sections of every kind of file the same way. A file that cannot be read
raises `UnreadableFile`, whose message names the problem and what to do about it.
"""

from __future__ import annotations

import io
import logging
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from kernel.errors import RetrievalError
from kernel.retrieval.arxiv_ids import BadArxivId, split_id

PDF_SUFFIXES = (".pdf",)
TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".tex")
SUFFIXES = PDF_SUFFIXES + TEXT_SUFFIXES
MIN_TEXT_CHARS = 100  # less than this from a PDF: no text layer worth reading
MAX_ABSTRACT_CHARS = 3000
MAX_TITLE_CHARS = 300

# A new-style id: YYMM.NNNN(N), month 01-12; not preceded or followed by another digit or dot-digit.
# A new-style id: YYMM.NNNN(N) with month 01-12, then an optional version.
_ID = r"(\d{2}(?:0[1-9]|1[0-2])\.\d{4,5})(v\d+)?(?!\d)"
_OLD_ID = r"([a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7})(v\d+)?"
_NAME_ID_RE = re.compile(r"(?<![\d.])" + _ID)
# "arXiv:2410.17954v2", "arXiv.2410.17954" (the DOI 10.48550/arXiv.2410.17954), old-style ids.
_STAMP_RE = re.compile(rf"arxiv\s*[:./]\s*(?:{_ID}|{_OLD_ID})", re.I)
# arXiv's own margin stamp: "arXiv:2410.17954v2  [cs.DC]  23 Oct 2024".
_MARGIN_RE = re.compile(rf"arxiv:\s*(?:{_ID}|{_OLD_ID})\s*\[[a-z\-]+(?:\.[A-Za-z\-]+)?\]", re.I)
FIRST_PAGE_CHARS = 1500  # where a bare "arXiv:<id>" is taken as the paper's own
_ABSTRACT_RE = re.compile(r"^[ \t]*abstract\b[ \t]*[:.\u2014\u2013-]?[ \t]*", re.I | re.M)
_ABSTRACT_END_RE = re.compile(
    r"^[ \t]*(?:(?:\d+|[IVX]+)\.?[ \t]+[A-Z][^\n]{0,60}$|(?:keywords|index terms|ccs concepts|"
    r"introduction)\b)",
    re.M | re.I,
)
_JUNK_TITLES = re.compile(r"^(?:untitled|microsoft word|document\d*|paper|main|article)\b", re.I)


class UnreadableFile(RetrievalError):
    """A file whose text cannot be read; the message says why and what to do (the caller names
    the file)."""


@dataclass
class Document:
    """What one file gives: its text and what could be told about the paper from it."""

    text: str
    title: str
    abstract: str = ""
    authors: list[str] = field(default_factory=list)
    arxiv_id: str | None = None  # versionless
    version: str | None = None
    id_from: str | None = None  # "file name" | "PDF metadata" | "first page"


def arxiv_id_in_name(name: str) -> tuple[str, str | None] | None:
    """(id, version) when a file name carries an arXiv id: ``2410.17954v2.pdf``,
    ``arXiv-2410.17954 ExpertFlow.pdf``, ``hep-th_9901001v1.pdf``."""
    stem = Path(name).stem
    try:
        return split_id(stem.replace("_", "/", 1) if "_" in stem else stem)
    except BadArxivId:
        pass
    match = _NAME_ID_RE.search(stem)
    return (match[1], match[2]) if match else None


def _stamp(text: str, head: int | None = None) -> tuple[str, str | None] | None:
    """The paper's own arXiv id in `text`: arXiv's margin stamp anywhere ("arXiv:2410.17954v2
    [cs.DC]"), else the first ``arXiv:<id>`` within `head` characters (later ones are more
    likely citations)."""
    match = _MARGIN_RE.search(text) or _STAMP_RE.search(text[:head] if head else text)
    if match is None:
        return None
    return (match[1], match[2]) if match[1] else (match[3], match[4])


@contextmanager
def _quiet_pypdf():
    """pypdf logs a warning per oddity of a damaged file; the caller reports one line instead."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _pdf(data: bytes) -> tuple[str, str, dict[str, str]]:
    """(full text, first page text, metadata) of a PDF; raises UnreadableFile."""
    if not data.lstrip()[:5].startswith(b"%PDF"):
        head = data[:8].decode("latin-1", "replace").strip() or "nothing"
        raise UnreadableFile(
            f"not a PDF (it starts with {head!r}); rename it to its real type or "
            "export it as PDF"
        )
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PyPdfError

    with _quiet_pypdf():
        try:
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted and not reader.decrypt(""):
                raise FileNotDecryptedError("needs a password")
            meta = {k.lstrip("/"): str(v) for k, v in (reader.metadata or {}).items() if v}
            pages = [(page.extract_text() or "").strip() for page in reader.pages]
        except FileNotDecryptedError as exc:
            raise UnreadableFile(
                "encrypted PDF (it needs a password); decrypt it first, e.g. "
                "`qpdf --decrypt --password=PASSWORD in.pdf out.pdf`, and add the decrypted copy"
            ) from exc
        except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError,
                RecursionError, OSError) as exc:
            raise UnreadableFile(
                f"damaged or truncated PDF ({type(exc).__name__}: "
                f"{' '.join(str(exc).split())[:120]}); download or export it again"
            ) from exc
    text = "\n\n".join(p for p in pages if p).replace("\x00", "")
    if len(text.strip()) < MIN_TEXT_CHARS:
        raise UnreadableFile(
            f"no text layer ({len(reader.pages)} page{'s' * (len(reader.pages) != 1)}, "
            f"{len(text.strip())} characters of text; a scanned PDF?); run OCR first, "
            "e.g. `ocrmypdf in.pdf out.pdf`, and add the result"
        )
    return text, pages[0] if pages else "", meta


def _decode(data: bytes) -> str:
    if b"\x00" in data[:4096]:
        raise UnreadableFile("binary data, not text; give the PDF or the text itself")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")  # older editors' default on Windows
    if not text.strip():
        raise UnreadableFile("the file is empty; nothing to add")
    return text.replace("\r\n", "\n")


_UNNUMBERED = ("abstract", "references", "bibliography", "acknowledgments", "acknowledgements")


def _numbered(levels: list[tuple[int, str]]) -> list[str]:
    """Heading names with section numbers ("2 Evaluation", "2.1 Setup") by nesting level; a
    name already numbered, or one the splitter knows alone (Abstract, References), is kept."""
    counters: list[int] = []
    out = []
    for level, name in levels:
        if re.match(r"^\d+(?:\.\d+)*\.?\s", name) or name.lower().strip(" .:") in _UNNUMBERED:
            out.append(name)
            continue
        counters = counters[:level] + [0] * (level - len(counters))
        counters[level - 1] += 1
        out.append(".".join(str(c) for c in counters[:level]) + " " + name)
    return out


def _markdown(text: str) -> tuple[str, str | None]:
    """(text with numbered heading lines, title from a leading '# ' heading)."""
    lines = text.split("\n")
    title = None
    heads: list[tuple[int, int, str]] = []  # (line no, level, name)
    for i, line in enumerate(lines):
        match = re.match(r"^(#{1,6})\s+(.+?)\s*#*\s*$", line)
        if not match:
            continue
        level, name = len(match[1]), match[2].strip()
        if level == 1 and title is None and not heads:
            title = name
            lines[i] = name
            continue
        heads.append((i, level, name))
    if heads:
        top = min(level for _, level, _ in heads)
        names = _numbered([(lvl - top + 1, n) for _, lvl, n in heads])
        for (i, _, _), name in zip(heads, names):
            lines[i] = name
    return "\n".join(lines), title


def _latex_arg(src: str, command: str) -> str | None:
    """The braced argument of the first ``\\command{...}`` (nested braces kept)."""
    match = re.search(rf"\\{command}\*?(?:\[[^\]]*\])?\s*{{", src)
    if not match:
        return None
    depth, pos = 1, match.end()
    while pos < len(src) and depth:
        depth += {"{": 1, "}": -1}.get(src[pos], 0)
        pos += 1
    return src[match.end() : pos - 1]


def _latex_plain(src: str) -> str:
    """LaTeX markup removed from a fragment: commands dropped, their text arguments kept, table
    cells separated by " | "."""
    src = src.replace("\\\\", "\n").replace("\\%", "%").replace("\\&", "\x01")
    src = src.replace("&", " | ").replace("\x01", "&").replace("~", " ")
    src = re.sub(r"\\(La)?TeX\b(?:{})?", lambda m: (m[1] or "") + "TeX", src)
    src = re.sub(r"\\(?:cite|ref|label|eqref|cref|Cref|footnote|url)\*?(?:\[[^\]]*\])?{[^}]*}", "", src)
    src = re.sub(r"\\(?:begin|end){[^}]*}(?:\[[^\]]*\])?(?:{[^}]*})?", "\n", src)
    src = re.sub(r"\\[a-zA-Z]+\*?(?:\[[^\]]*\])?", "", src)
    src = re.sub(r"[{}$]", "", src)
    return "\n".join(" ".join(line.split()) for line in src.split("\n"))


def _latex(src: str) -> tuple[str, str | None, list[str], str]:
    """(plain text with numbered heading lines, title, authors, abstract) of a LaTeX source."""
    src = re.sub(r"(?<!\\)%.*", "", src)  # comments
    title = _latex_arg(src, "title")
    author = _latex_arg(src, "author")
    abstract = re.search(r"\\begin{abstract}(.*?)\\end{abstract}", src, re.S)
    body = src.split("\\begin{document}", 1)[-1].split("\\end{document}", 1)[0]
    body = re.sub(r"\\begin{abstract}.*?\\end{abstract}", "\n", body, flags=re.S)
    body = re.sub(r"\\(?:maketitle|title|author)\*?(?:\[[^\]]*\])?({(?:[^{}]|{[^{}]*})*})?", "", body)
    levels = {"section": 1, "subsection": 2, "subsubsection": 3}
    found = list(re.finditer(r"\\(section|subsection|subsubsection)\*?{([^}]*)}", body))
    names = _numbered([(levels[m[1]], _latex_plain(m[2]).strip()) for m in found])
    for m, name in zip(reversed(found), reversed(names)):
        body = body[: m.start()] + f"\n\n{name}\n" + body[m.end() :]
    abstract_text = " ".join(_latex_plain(abstract[1]).split()) if abstract else ""
    plain = re.sub(r"\n{3,}", "\n\n", _latex_plain(body)).strip()
    head = "\n\n".join(x for x in (_latex_plain(title or "").strip(),
                                   f"Abstract\n{abstract_text}" if abstract_text else "") if x)
    authors = [a for raw in re.split(r"\\and\b|,", author or "")
               if (a := " ".join(_latex_plain(raw).split()))]
    return f"{head}\n\n{plain}".strip(), _latex_plain(title).strip() if title else None, authors, abstract_text


def abstract_of(text: str) -> str:
    """The text under an "Abstract" heading (or after "Abstract—" at a line start), up to the
    first section heading, keywords or a blank-line gap; empty when there is none."""
    match = _ABSTRACT_RE.search(text[:20000])
    if not match:
        return ""
    rest = text[match.end() : match.end() + MAX_ABSTRACT_CHARS + 500]
    end = _ABSTRACT_END_RE.search(rest)
    body = rest[: end.start()] if end else rest
    gap = re.search(r"\n[ \t]*\n[ \t]*\n", body)
    body = body[: gap.start()] if gap else body
    return " ".join(body.split())[:MAX_ABSTRACT_CHARS]


def _first_line(text: str) -> str:
    for line in text.split("\n"):
        line = " ".join(line.split())
        if len(line) >= 3 and not _STAMP_RE.match(line) and line.lower() != "abstract":
            return line[:MAX_TITLE_CHARS]
    return ""


def _authors(raw: str) -> list[str]:
    return [a.strip() for a in re.split(r";|,| and ", raw) if a.strip()]


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UnreadableFile(
            f"cannot be read ({exc.strerror or type(exc).__name__}); check the file's "
            "permissions, or copy it somewhere readable"
        ) from exc


def read_document(path: Path, data: bytes | None = None) -> Document:
    """Read `path` (a PDF, .txt, .md or .tex file; `data`: its bytes, when already read);
    raises UnreadableFile."""
    name = path.name
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise UnreadableFile(
            f"unsupported file type {suffix or '(no extension)'!r}; give a PDF or a "
            f"text source ({', '.join(TEXT_SUFFIXES)})"
        )
    if data is None:
        data = read_bytes(path)
    named = arxiv_id_in_name(name)
    authors: list[str] = []
    abstract = ""
    meta: dict[str, str] = {}
    if suffix in PDF_SUFFIXES:
        text, first_page, meta = _pdf(data)
        title = meta.get("Title", "").strip()
        if len(title) < 4 or _JUNK_TITLES.match(title) or title.lower().endswith((".pdf", ".tex", ".dvi")):
            title = _first_line(first_page)
        authors = _authors(meta.get("Author", ""))
        stamped = _stamp(" ".join(meta.values()))
        id_from = "PDF metadata"
        if stamped is None:
            stamped, id_from = _stamp(first_page, FIRST_PAGE_CHARS), "first page"
    else:
        text = _decode(data)
        title = None
        if suffix == ".tex":
            text, title, authors, abstract = _latex(text)
        elif suffix in (".md", ".markdown"):
            text, title = _markdown(text)
        title = title or _first_line(text)
        stamped, id_from = _stamp(text[:20000], FIRST_PAGE_CHARS), "first page"
    if named is not None:
        stamped, id_from = named, "file name"
    doc = Document(text=text, title=title or path.stem, authors=authors,
                   abstract=abstract or abstract_of(text))
    if stamped is not None:
        doc.arxiv_id, doc.version, doc.id_from = stamped[0], stamped[1], id_from
    return doc
