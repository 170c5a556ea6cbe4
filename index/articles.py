"""Reading articles from a directory: .txt/.md (optional YAML front matter), .html, .jsonl.

Each article leaves here cleaned (see `cleaning`), with a stable id, its file name and the
metadata the file gives or the text reveals. A file that cannot be read is reported with the
reason and skipped; the rest is read.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from index.cleaning import clean
from index.models import ArticleRef, Skipped

log = logging.getLogger(__name__)

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
JSONL_SUFFIXES = {".jsonl"}
SUPPORTED = TEXT_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES
MIN_TEXT_CHARS = 40  # shorter than this after cleaning is no article
TITLE_MAX_CHARS = 160

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.DOTALL)
_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December|"
    "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
_DATE_PATTERNS = (
    (re.compile(rf"\b((?:{_MONTHS})\.? \d{{1,2}}, \d{{4}})\b"), ("%B %d, %Y", "%b %d, %Y")),
    (re.compile(rf"\b(\d{{1,2}} (?:{_MONTHS})\.? \d{{4}})\b"), ("%d %B %Y", "%d %b %Y")),
    (re.compile(r"\b(\d{4}-\d{2}-\d{2})\b"), ("%Y-%m-%d",)),
)
_DATELINE = re.compile(  # "Published: 20 March 2025, 12:30", "March 20, 2025"
    rf"^(?:(?:published|updated|posted|date)d?\s*(?:on)?:?\s*)?(?:\w+day,? )?"
    rf"(?:(?:{_MONTHS})\.? \d{{1,2}}, \d{{4}}|\d{{1,2}} (?:{_MONTHS})\.? \d{{4}}|\d{{4}}-\d{{2}}-\d{{2}})"
    rf"[\s,|·-]*(?:\d{{1,2}}:\d{{2}}(?:\s*[AaPp]\.?[Mm]\.?)?)?\s*(?:[A-Z]{{2,4}})?$",
    re.IGNORECASE,
)
_BYLINE = re.compile(
    r"^By ((?:[A-Z][\w.'’-]+ ?){1,4}?)(?: in [A-Z][\w ]+?)?(?:,| \d| [A-Z][a-z]+ \d|$)"
)


class ArticleError(ValueError):
    """A file or record that cannot be read as an article; the message is the reason."""


@dataclass(frozen=True)
class Article:
    """A cleaned article and its metadata."""

    ref: ArticleRef
    text: str  # cleaned text; chunk and quote spans index into it
    source_hash: str  # changes when anything indexed about the article changes

    @property
    def id(self) -> str:
        return self.ref.id


@dataclass
class ReadResult:
    articles: list[Article]
    skipped: list[Skipped]


def read_dir(directory: Path, *, max_file_bytes: int) -> ReadResult:
    """Read every article under `directory` (recursively), reporting what was skipped."""
    if not directory.is_dir():
        raise ArticleError(f"articles directory {directory} does not exist or is not a directory")
    result = ReadResult([], [])
    seen: dict[str, str] = {}
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        rel = path.relative_to(directory).as_posix()
        if any(part.startswith(".") for part in Path(rel).parts):
            continue
        if path.suffix.lower() not in SUPPORTED:
            result.skipped.append(
                Skipped(rel, f"not an article file; newsdesk reads {_supported()}")
            )
            continue
        try:
            for item in _read_file(path, rel, max_file_bytes=max_file_bytes):
                if isinstance(item, Skipped):
                    result.skipped.append(item)
                elif item.id in seen:
                    result.skipped.append(
                        Skipped(
                            item.ref.file,
                            f"duplicate article id {item.id!r} (also in {seen[item.id]})",
                        )
                    )
                else:
                    seen[item.id] = item.ref.file
                    result.articles.append(item)
        except ArticleError as exc:
            result.skipped.append(Skipped(rel, str(exc)))
    for s in result.skipped:
        log.warning("skipped %s: %s", s.file, s.reason)
    return result


def _supported() -> str:
    return ", ".join(sorted(SUPPORTED))


def _read_file(path: Path, rel: str, *, max_file_bytes: int) -> Iterator[Article | Skipped]:
    size = path.stat().st_size
    if size > max_file_bytes:
        raise ArticleError(
            f"too large ({size / 1e6:.1f} MB; the limit NEWSDESK_MAX_FILE_MB is {max_file_bytes / 1e6:g} MB)"
        )
    data = path.read_bytes()
    if not data.strip():
        raise ArticleError("empty file")
    if b"\x00" in data[:8192]:
        raise ArticleError("binary file (contains NUL bytes), not text")
    try:
        raw = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ArticleError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); save it as UTF-8"
        ) from None
    suffix = path.suffix.lower()
    if suffix in JSONL_SUFFIXES:
        yield from _read_jsonl(raw, rel)
    elif suffix in HTML_SUFFIXES:
        yield _from_html(raw, rel)
    else:
        yield _from_text(raw, rel)


def _read_jsonl(raw: str, rel: str) -> Iterator[Article | Skipped]:
    stem = Path(rel).stem
    for no, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{rel}:{no}"
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ArticleError("line is not a JSON object")
            text = record.get("text")
            if not isinstance(text, str):
                raise ArticleError("no 'text' string")
            art_id = str(record.get("id") or f"{stem}-{no}")
            yield build_article(
                art_id,
                rel,
                text,
                {k: record.get(k) for k in ("title", "outlet", "author", "date", "url")},
            )
        except json.JSONDecodeError as exc:
            yield Skipped(where, f"invalid JSON ({exc.msg} at column {exc.colno})")
        except ArticleError as exc:
            yield Skipped(where, str(exc))


def _from_text(raw: str, rel: str) -> Article:
    meta: dict[str, Any] = {}
    body = raw
    match = _FRONT_MATTER.match(raw)
    if match:
        try:
            loaded = yaml.safe_load(match.group(1))
        except yaml.YAMLError as exc:
            raise ArticleError(f"invalid YAML front matter: {exc}") from None
        if loaded is not None and not isinstance(loaded, dict):
            raise ArticleError("YAML front matter is not a mapping of fields")
        meta = loaded or {}
        body = raw[match.end() :]
    return build_article(_file_id(rel), rel, body, meta)


def _from_html(raw: str, rel: str) -> Article:
    import trafilatura  # heavy; only needed for HTML

    doc: Any = trafilatura.bare_extraction(
        raw, with_metadata=True, include_comments=False, as_dict=True
    )
    if not doc or not doc.get("text"):
        raise ArticleError("no article text found in the HTML page")
    meta = {
        "title": doc.get("title"),
        "outlet": doc.get("sitename"),
        "author": doc.get("author"),
        "date": doc.get("date"),
        "url": doc.get("url"),
    }
    return build_article(_file_id(rel), rel, doc["text"], meta)


def _file_id(rel: str) -> str:
    """A file's article id: its path below the articles directory, without the suffix."""
    return str(Path(rel).with_suffix("").as_posix())


def build_article(art_id: str, file: str, body: str, meta: dict[str, Any]) -> Article:
    """Clean `body`, fill in missing metadata from the text, and hash what gets indexed."""
    text = clean(body).text
    if len(text) < MIN_TEXT_CHARS:
        raise ArticleError("no article text left after removing page furniture (empty article)")
    title = _str(meta.get("title")) or infer_title(text)
    ref = ArticleRef(
        id=art_id,
        file=file,
        title=title,
        outlet=_str(meta.get("outlet") or meta.get("source") or meta.get("sitename")),
        author=_str(meta.get("author")) or infer_author(text),
        date=_iso_date(meta.get("date")) or infer_date(text),
        url=_str(meta.get("url")),
    )
    return Article(ref=ref, text=text, source_hash=_hash(ref, text))


def _hash(ref: ArticleRef, text: str) -> str:
    payload = json.dumps(
        [ref.id, ref.file, ref.title, ref.outlet, ref.author, ref.date, ref.url, text]
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


def _str(value: Any) -> str | None:
    if value is None:
        return None
    s = str(value).strip()
    return s or None


def _iso_date(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return _parse_date(str(value)) or str(value)


def _parse_date(s: str) -> str | None:
    for pattern, formats in _DATE_PATTERNS:
        m = pattern.search(s)
        if not m:
            continue
        found = m.group(1).replace(".", "").replace("Sept ", "Sep ")
        for fmt in formats:
            try:
                return datetime.strptime(found, fmt).date().isoformat()
            except ValueError:
                continue
    return None


def infer_title(text: str) -> str:
    """The first line when it reads as a headline, else the first sentence, shortened."""
    first = text.split("\n", 1)[0].strip()
    if len(first.split()) >= 3 and len(first) <= TITLE_MAX_CHARS and not first.endswith((".", ":")):
        return first
    sentence = re.split(r"(?<=[.!?])\s", first, maxsplit=1)[0]
    if len(sentence) <= 100:
        return sentence
    return sentence[:100].rsplit(" ", 1)[0] + "…"


def infer_author(text: str) -> str | None:
    """A byline ("By Jane Doe in Belgrade March 20, 2025") near the top."""
    for line in text.split("\n")[:8]:
        m = _BYLINE.match(line.strip())
        if m:
            return m.group(1).strip()
    return None


def infer_date(text: str) -> str | None:
    """A publication date given in a byline or dateline near the top of the article."""
    for raw in text.split("\n")[:8]:
        line = raw.strip()
        found = _parse_date(line)
        if found and (_BYLINE.match(line) or _DATELINE.match(line)):
            return found
    return None
