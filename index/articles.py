"""Reading articles from a directory: .txt/.md (optional YAML front matter), .html, .jsonl.

Each article leaves here cleaned (see `cleaning`), with a stable id, its file name and the
metadata the file gives or the text reveals. A file that cannot be read is reported with the
reason and skipped; the rest is read.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import logging
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from index.cleaning import clean
from index.errors import ConfigError
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
_BOMS = (  # longest first: the UTF-32-LE mark begins with the UTF-16-LE one
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_TEXT_FIELDS = ("title", "outlet", "source", "sitename", "author", "url")
_FOLLOW_HINT = "set NEWSDESK_FOLLOW_LINKS=true to follow links"
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


def read_dir(directory: Path, *, max_file_bytes: int, follow_links: bool = False) -> ReadResult:
    """Read every article under `directory` (recursively), reporting what was skipped.

    Links are resolved: a file or directory whose real path is outside `directory` is skipped
    and reported unless `follow_links`; so are dangling links and anything but regular files.
    No error from one file stops the others.
    """
    if not directory.is_dir():
        raise ConfigError(
            f"the articles directory {directory} does not exist or is not a directory; "
            "set NEWSDESK_ARTICLES_DIR (or pass --articles) to a directory of articles"
        )
    result = ReadResult([], [])
    seen: dict[str, str] = {}
    for path, rel in _walk(directory, follow_links, result.skipped):
        if Path(rel).suffix.lower() not in SUPPORTED:
            result.skipped.append(
                Skipped(rel, f"not an article file; newsdesk reads {_supported()}")
            )
            continue
        try:
            for where, item in _read_file(path, rel, max_file_bytes=max_file_bytes):
                if isinstance(item, Skipped):
                    result.skipped.append(item)
                elif item.id in seen:
                    result.skipped.append(
                        Skipped(
                            where, f"duplicate article id {item.id!r} (also in {seen[item.id]})"
                        )
                    )
                else:
                    seen[item.id] = where
                    result.articles.append(item)
        except ArticleError as exc:
            result.skipped.append(Skipped(rel, str(exc)))
        except Exception as exc:  # one file's surprise must not stop the others
            log.warning("could not read %s", rel, exc_info=True)
            result.skipped.append(Skipped(rel, f"could not be read ({type(exc).__name__}: {exc})"))
    for s in result.skipped:
        log.warning("skipped %s: %s", s.file, s.reason)
    return result


def _walk(
    directory: Path, follow_links: bool, skipped: list[Skipped]
) -> Iterator[tuple[Path, str]]:
    """Regular files under `directory` as (path, path relative to it), sorted; what is not
    read (links leading out, dangling links, FIFOs, sockets, devices) goes to `skipped`."""
    root = directory.resolve()
    visited: set[Path] = {root}

    def walk(folder: Path, prefix: str) -> Iterator[tuple[Path, str]]:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            skipped.append(
                Skipped(prefix.rstrip("/") or ".", f"directory cannot be listed ({exc.strerror})")
            )
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            rel = prefix + entry.name
            path = Path(entry.path)
            try:
                real = path.resolve(strict=True)
                st = real.stat()
            except (OSError, RuntimeError):  # RuntimeError: a link loop
                if entry.is_symlink():
                    skipped.append(Skipped(rel, "dangling link: what it points to does not exist"))
                else:
                    skipped.append(Skipped(rel, "cannot be read (it vanished or access is denied)"))
                continue
            inside = real == root or real.is_relative_to(root)
            kind = "directory" if stat.S_ISDIR(st.st_mode) else "file"
            if entry.is_symlink() and not inside and not follow_links:
                skipped.append(
                    Skipped(
                        rel,
                        f"link to a {kind} outside the articles directory; not followed "
                        f"({_FOLLOW_HINT})",
                    )
                )
                continue
            if stat.S_ISDIR(st.st_mode):
                if real in visited:
                    continue  # a link back to a directory already read
                if entry.is_symlink() and inside and not follow_links:
                    skipped.append(
                        Skipped(
                            rel,
                            "link to a directory inside the articles directory; not followed "
                            "(its files are read where they are)",
                        )
                    )
                    continue
                visited.add(real)
                yield from walk(path, rel + "/")
            elif stat.S_ISREG(st.st_mode):
                yield path, rel
            else:
                skipped.append(Skipped(rel, "not a regular file (a FIFO, socket or device)"))

    yield from walk(directory, "")


def _supported() -> str:
    return ", ".join(sorted(SUPPORTED))


def _read_file(
    path: Path, rel: str, *, max_file_bytes: int
) -> Iterator[tuple[str, Article | Skipped]]:
    size = path.stat().st_size
    if size > max_file_bytes:
        raise ArticleError(
            f"too large ({size / 1e6:.1f} MB; the limit NEWSDESK_MAX_FILE_MB is {max_file_bytes / 1e6:g} MB)"
        )
    data = path.read_bytes()
    if not data.strip():
        raise ArticleError("empty file")
    raw = _decode(data)
    suffix = path.suffix.lower()
    if suffix in JSONL_SUFFIXES:
        yield from _read_jsonl(raw, rel)
    elif suffix in HTML_SUFFIXES:
        yield rel, _from_html(raw, rel)
    else:
        yield rel, _from_text(raw, rel)


def _decode(data: bytes) -> str:
    """The file's text: UTF-8, or UTF-16/32 with a byte-order mark or (UTF-16) without one."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                break  # a mark by chance: judged as bytes below
    head = data[:8192]
    if b"\x00" in head:
        wide = _utf16_without_bom(data)
        if wide is None:
            raise ArticleError("binary file (contains NUL bytes), not text")
        return wide
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ArticleError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); save it as UTF-8"
        ) from None


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text without a byte-order mark: NULs only in the high bytes of its characters."""
    if len(data) % 2:
        return None
    head = data[:8192]
    for codec, high in (("utf-16-le", head[1::2]), ("utf-16-be", head[0::2])):
        low = head[0::2] if codec == "utf-16-le" else head[1::2]
        if b"\x00" in low or high.count(0) < len(high) // 2:
            continue
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            return None
        if "\x00" not in text:
            return text
    return None


def _read_jsonl(raw: str, rel: str) -> Iterator[tuple[str, Article | Skipped]]:
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
            art_id = _safe_id(str(record.get("id") or f"{stem}-{no}"))
            yield (
                where,
                build_article(
                    art_id,
                    rel,
                    text,
                    {k: record.get(k) for k in ("title", "outlet", "author", "date", "url")},
                ),
            )
        except json.JSONDecodeError as exc:
            yield where, Skipped(where, f"invalid JSON ({exc.msg} at column {exc.colno})")
        except ArticleError as exc:
            yield where, Skipped(where, str(exc))
        except Exception as exc:  # one record's surprise must not stop the others
            log.warning("could not read %s", where, exc_info=True)
            yield where, Skipped(where, f"could not be read ({type(exc).__name__}: {exc})")


def _from_text(raw: str, rel: str) -> Article:
    meta: dict[str, Any] = {}
    body = raw
    match = _FRONT_MATTER.match(raw)
    if match:
        try:
            loaded = yaml.safe_load(match.group(1))
        except (yaml.YAMLError, ValueError) as exc:  # ValueError: a date like 2025-13-45
            reason = " ".join(str(exc).split())
            raise ArticleError(f"invalid YAML front matter: {reason}") from None
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
    return _safe_id(str(Path(rel).with_suffix("").as_posix()))


def _safe_id(art_id: str) -> str:
    """`art_id` with "#" (passage ids are "<article id>#<n>") and control characters, such as
    a newline in a file name, percent-encoded."""
    if "#" not in art_id and art_id.isprintable():
        return art_id
    return "".join(
        "".join(f"%{b:02X}" for b in c.encode()) if c == "#" or not c.isprintable() else c
        for c in art_id
    )


def _check_meta(meta: dict[str, Any]) -> None:
    """Metadata fields must be text (numbers are taken as text); dates may be dates."""
    for key in (*_TEXT_FIELDS, "date"):
        value = meta.get(key)
        if value is None or isinstance(value, str):
            continue
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            continue
        if key == "date" and isinstance(value, date):
            continue
        kind = {list: "list", dict: "mapping", bool: "true/false value"}.get(
            type(value), type(value).__name__
        )
        raise ArticleError(f"field {key!r} must be text, not a {kind}")


def build_article(art_id: str, file: str, body: str, meta: dict[str, Any]) -> Article:
    """Clean `body`, fill in missing metadata from the text, and hash what gets indexed."""
    _check_meta(meta)
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
