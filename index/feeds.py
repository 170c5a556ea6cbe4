"""Adding articles by link or file, and pulling RSS/Atom feeds, into the articles folder.

`Intake` fetches pages (`index.fetch`), writes each article as a `.md` file with YAML front
matter, remembers what it wrote and the HTTP validators in a small JSON state file in the index
folder, and then reindexes incrementally. An article already in the folder (same URL, or the
same text) is not added again; one added earlier whose page now says something else is
replaced. One operation at a time, across processes too (a lock file beside the state).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from index.articles import ArticleError, build_article, read_dir
from index.errors import NewsdeskError, ReindexInProgress
from index.fetch import (
    FEED_ACCEPT,
    FEED_TYPES,
    Extracted,
    Fetcher,
    FetchError,
    RateLimited,
    Response,
    check_url,
    content_kind,
    extract,
    file_name_for,
    markdown,
    page_html,
    url_key,
)
from index.models import ArticleRef, ReindexSummary

log = logging.getLogger(__name__)

STATE_FILE = "intake.json"
LOCK_FILE = "intake.lock"
FETCH_WORKERS = 4  # pages fetched at once
LOCK_WAIT_SECONDS = 300.0  # an add waits this long for a running pull to finish
UPLOAD_SUFFIXES = {".txt", ".md", ".html", ".htm"}

Status = Literal["added", "updated", "unchanged", "duplicate", "failed"]


class IntakeBusy(NewsdeskError):
    """Another add or feed pull is running."""

    def __init__(self) -> None:
        super().__init__("Another add or feed pull is running; try again when it has finished.")


@dataclass
class Item:
    """What happened to one link, feed item or file."""

    source: str  # the URL or file name asked for
    status: Status
    reason: str | None = None  # why not (failed, duplicate)
    article: ArticleRef | None = None  # what was written (added, updated, unchanged)
    feed: str | None = None

    @property
    def written(self) -> bool:
        return self.status in ("added", "updated")

    def line(self) -> str:
        """One line for people."""
        if self.article is not None and self.status != "failed":
            what = f"{self.article.label()} ({self.article.file})"
            return f"{self.status} {self.source}: {what}"
        return f"{self.status} {self.source}: {self.reason}"


@dataclass
class FeedResult:
    url: str
    status: Literal["ok", "not modified", "failed", "malformed", "waiting"]
    reason: str | None = None
    entries: int = 0

    def line(self) -> str:
        if self.status == "ok":
            return f"feed {self.url}: {self.entries} items"
        return f"feed {self.url}: {self.status}" + (f" ({self.reason})" if self.reason else "")


@dataclass
class IntakeReport:
    items: list[Item] = field(default_factory=list)
    feeds: list[FeedResult] = field(default_factory=list)
    reindex: ReindexSummary | None = None
    index_note: str | None = None  # why the new files are not indexed yet

    @property
    def written(self) -> list[Item]:
        return [i for i in self.items if i.written]

    @property
    def failed(self) -> bool:
        return any(i.status == "failed" for i in self.items) or any(
            f.status in ("failed", "malformed") for f in self.feeds
        )

    def lines(self) -> list[str]:
        out = [f.line() for f in self.feeds]
        out += [i.line() for i in self.items]
        if self.reindex is not None:
            out.append(self.reindex.line())
        if self.index_note:
            out.append(self.index_note)
        return out


# -- state --------------------------------------------------------------------------------------


@dataclass
class State:
    """What the intake wrote and what the servers said last time, by URL key."""

    pages: dict[str, dict[str, Any]] = field(default_factory=dict)  # url key -> page record
    feeds: dict[str, dict[str, Any]] = field(default_factory=dict)  # feed url -> validators
    hosts: dict[str, float] = field(default_factory=dict)  # host -> not before (epoch seconds)

    @classmethod
    def load(cls, path: Path) -> State:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable intake state %s: %s", path, exc)
            return cls()
        return cls(data.get("pages", {}), data.get("feeds", {}), data.get("hosts", {}))

    def save(self, path: Path) -> None:
        now = time.time()
        self.hosts = {h: t for h, t in self.hosts.items() if t > now}
        data = {"version": 1, "pages": self.pages, "feeds": self.feeds, "hosts": self.hosts}
        _write_atomic(path, json.dumps(data, indent=1, sort_keys=True))

    def page(self, *urls: str) -> dict[str, Any] | None:
        for u in urls:
            if (record := self.pages.get(url_key(u))) is not None:
                return record
        return None


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def text_hash(text: str) -> str:
    """The content hash of an article's cleaned text (whitespace-insensitive)."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()[:32]


class _Known:
    """The articles already in the folder, by URL key and by text hash (from the index),
    plus what this run has written."""

    def __init__(self, desk: Any) -> None:
        snap = desk.snapshot
        self.by_url: dict[str, str] = {}
        self.by_hash: dict[str, str] = {}
        for art in snap.articles.values():
            if art.url:
                self.by_url[url_key(art.url)] = art.file
            self.by_hash[text_hash(snap.article_text(art.id))] = art.file

    def add(self, url: str | None, digest: str, file: str) -> None:
        if url:
            self.by_url[url_key(url)] = file
        self.by_hash[digest] = file


# -- the intake ---------------------------------------------------------------------------------


@dataclass
class _Fetched:
    """A page fetched and extracted in a worker thread (or why not)."""

    source: str
    response: Response | None = None
    extracted: Extracted | None = None
    error: FetchError | None = None


class Intake:
    """Adds links, files and feed items to the articles folder of `desk`, then reindexes."""

    def __init__(self, desk: Any, *, fetcher: Fetcher | None = None) -> None:
        self.desk = desk
        core = desk.settings.core
        self.articles_dir: Path = Path(core.articles_dir)
        self.index_dir: Path = Path(core.index_dir)
        self.max_bytes = int(core.max_file_mb * 1_000_000)
        self.feeds: list[str] = list(core.feeds)
        self._fetcher = fetcher or Fetcher(
            timeout=core.fetch_timeout,
            max_bytes=self.max_bytes,
            allow_private=core.fetch_allow_private,
        )
        self._busy = threading.Lock()  # one operation per process; the file lock across them
        self._hosts_lock = threading.Lock()

    def close(self) -> None:
        self._fetcher.close()

    @property
    def busy(self) -> bool:
        return self._busy.locked()

    # -- entry points ------------------------------------------------------------------------

    def add_urls(
        self, urls: list[str], *, progress: Callable[[str], None] | None = None
    ) -> IntakeReport:
        """Fetch each link, add or update its article, and reindex."""
        with self._exclusive(wait=True) as state:
            report = IntakeReport()
            known = _Known(self.desk)
            jobs: list[tuple[str, str | None]] = []
            for url in urls:
                try:
                    jobs.append((check_url(url), None))
                except FetchError as exc:
                    report.items.append(Item(url, "failed", str(exc)))
            self._fetch_all(jobs, state, known, report, progress=progress, feed=None)
            order = {u.strip(): n for n, u in reversed(list(enumerate(urls)))}
            report.items.sort(key=lambda i: order.get(i.source, len(order)))  # as asked
            self._finish(state, report, progress)
            return report

    def add_file(
        self, name: str, data: bytes, *, progress: Callable[[str], None] | None = None
    ) -> IntakeReport:
        """Add an uploaded `.txt`, `.md` or `.html` file as an article, and reindex."""
        with self._exclusive(wait=True) as state:
            report = IntakeReport()
            item = self._add_file(name, data, state, _Known(self.desk))
            report.items.append(item)
            self._finish(state, report, progress)
            return report

    def pull(
        self, *, wait: bool = False, progress: Callable[[str], None] | None = None
    ) -> IntakeReport:
        """Fetch every feed once, add its new (and updated) items, and reindex."""
        with self._exclusive(wait=wait) as state:
            report = IntakeReport()
            known = _Known(self.desk)
            for feed_url in self.feeds:
                links = self._read_feed(feed_url, state, report)
                self._fetch_all(links, state, known, report, progress=progress, feed=feed_url)
            self._finish(state, report, progress)
            return report

    # -- locking and finishing ------------------------------------------------------------------

    @contextlib.contextmanager
    def _exclusive(self, *, wait: bool) -> Iterator[State]:
        deadline = time.monotonic() + (LOCK_WAIT_SECONDS if wait else 0)
        taken = self._busy.acquire(timeout=LOCK_WAIT_SECONDS) if wait else self._busy.acquire(False)
        if not taken:
            raise IntakeBusy()
        try:
            self.index_dir.mkdir(parents=True, exist_ok=True)
            with (self.index_dir / LOCK_FILE).open("a") as lock:
                while True:
                    try:
                        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        if time.monotonic() >= deadline:
                            raise IntakeBusy() from None
                        time.sleep(0.2)
                try:
                    path = self.index_dir / STATE_FILE
                    state = State.load(path)
                    try:
                        yield state
                    finally:
                        state.save(path)
                finally:
                    fcntl.flock(lock, fcntl.LOCK_UN)
        finally:
            self._busy.release()

    def _finish(
        self, state: State, report: IntakeReport, progress: Callable[[str], None] | None
    ) -> None:
        """Reindex when something was written, or something written earlier is not yet in
        the index (a reindex was running then)."""
        if not report.written and not self._pending(state):
            return
        if progress:
            progress("indexing")
        try:
            report.reindex = self.desk.reindex()
        except ReindexInProgress:
            report.index_note = (
                "a reindex is running; the new articles are indexed by it or at the next pull"
            )
            return
        arts = self.desk.snapshot.articles
        for item in report.written:
            if item.article is not None and item.article.id not in arts:
                item.status = "failed"
                item.reason = "written, but the index skipped it (see the skipped files)"

    def _pending(self, state: State) -> bool:
        snap = self.desk.snapshot
        for record in state.pages.values():
            file = record.get("file")
            if not file or not (self.articles_dir / file).exists():
                continue
            art_id = Path(file).with_suffix("").as_posix()
            if art_id not in snap.articles:
                return True
            if text_hash(snap.article_text(art_id)) != record.get("hash"):
                return True
        return False

    # -- feeds ----------------------------------------------------------------------------------

    def _read_feed(
        self, feed_url: str, state: State, report: IntakeReport
    ) -> list[tuple[str, str | None]]:
        """The links of a feed's items worth fetching: new ones, ones the feed marks updated,
        and ones that failed for a passing reason last time."""
        import feedparser

        record = state.feeds.setdefault(feed_url, {})
        retry: list[tuple[str, str | None]] = [(str(u), None) for u in record.get("retry", [])]
        try:
            check_url(feed_url)
            self._wait_for_host(feed_url, state)
            response = self._fetcher.get(
                feed_url,
                etag=record.get("etag"),
                last_modified=record.get("last_modified"),
                accept=FEED_ACCEPT,
            )
        except RateLimited as exc:
            self._rate_limited(feed_url, exc, state)
            report.feeds.append(FeedResult(feed_url, "waiting", str(exc)))
            return retry
        except FetchError as exc:
            report.feeds.append(FeedResult(feed_url, "failed", str(exc)))
            return retry
        if response.not_modified:
            report.feeds.append(FeedResult(feed_url, "not modified"))
            return retry
        kind = content_kind(response)
        head = response.body[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
        looks_xml = head.startswith((b"<?xml", b"<rss", b"<feed", b"<rdf"))
        if not looks_xml and ("html" in kind or not any(t in kind for t in FEED_TYPES)):
            report.feeds.append(FeedResult(feed_url, "failed", f"not a feed ({kind})"))
            return retry
        parsed = feedparser.parse(
            response.body,
            response_headers={"content-location": response.url, "content-type": kind},
        )
        problem = None
        if parsed.bozo and not isinstance(
            parsed.get("bozo_exception"), feedparser.CharacterEncodingOverride
        ):
            problem = f"malformed feed ({parsed.get('bozo_exception') or 'unreadable'})"
            if not parsed.entries:
                report.feeds.append(FeedResult(feed_url, "failed", problem))
                return retry
        links = list(retry)
        for n, entry in enumerate(parsed.entries, start=1):
            link = (entry.get("link") or "").strip()
            title = " ".join(str(entry.get("title") or f"item {n}").split())
            if link and link == entry.get("id") and not link.startswith(("http:", "https:")):
                link = ""  # feedparser offers an Atom entry's id as its link when it has none
            if not link:
                report.items.append(Item(f"{feed_url} item {title!r}", "failed", "no link"))
                continue
            stamp = entry.get("updated") or entry.get("published")
            page = state.page(link)
            unchanged = page is not None and (stamp is None or page.get("stamp") == stamp)
            if unchanged and (self.articles_dir / str(page and page.get("file"))).exists():
                continue  # added before and not marked updated since
            links.append((link, stamp))
        if problem:  # what the lenient parser recovered is used, and the feed reported
            n = len(parsed.entries)
            report.feeds.append(FeedResult(feed_url, "malformed", f"{problem}; read {n} items"))
        else:
            report.feeds.append(FeedResult(feed_url, "ok", entries=len(parsed.entries)))
        record.update(etag=response.etag, last_modified=response.last_modified)
        return links  # repeated links are fetched once (`_fetch_all`)

    # -- pages ----------------------------------------------------------------------------------

    def _fetch_all(
        self,
        links: list[tuple[str, str | None]],
        state: State,
        known: _Known,
        report: IntakeReport,
        *,
        progress: Callable[[str], None] | None,
        feed: str | None,
    ) -> None:
        if not links:
            return
        retry: list[str] = []

        stamps = dict(links)  # a link once, with its latest stamp

        def fetch(link: str) -> _Fetched:
            return self._fetch_page(link, state.page(link), state)

        with ThreadPoolExecutor(FETCH_WORKERS, thread_name_prefix="newsdesk-fetch") as pool:
            for n, fetched in enumerate(pool.map(fetch, stamps), start=1):
                if progress:
                    progress(f"fetched {n}/{len(stamps)}")
                try:
                    item = self._store(fetched, state, known, stamps[fetched.source])
                except OSError as exc:  # e.g. the articles folder is not writable
                    item = Item(fetched.source, "failed", f"could not write the article ({exc})")
                item.feed = feed
                report.items.append(item)
                if fetched.error is not None and fetched.error.transient and feed:
                    retry.append(fetched.source)
        if feed is not None:
            state.feeds.setdefault(feed, {})["retry"] = retry

    def _fetch_page(self, link: str, record: dict[str, Any] | None, state: State) -> _Fetched:
        """Fetch and extract one page (runs in a worker thread; of the state it touches only
        the host waits, under a lock)."""
        have_file = record is not None and (self.articles_dir / str(record.get("file"))).exists()
        try:
            self._wait_for_host(link, state)
            response = self._fetcher.get(
                link,
                etag=record.get("etag") if record and have_file else None,
                last_modified=record.get("last_modified") if record and have_file else None,
            )
            if response.not_modified:
                return _Fetched(link, response)
            return _Fetched(link, response, extract(page_html(response), response.url))
        except RateLimited as exc:
            self._rate_limited(link, exc, state)
            return _Fetched(link, error=exc)
        except FetchError as exc:
            return _Fetched(link, error=exc)
        except Exception as exc:  # one odd page must not stop the rest of the pull
            log.exception("unexpected error fetching %s", link)
            return _Fetched(link, error=FetchError(f"unexpected error ({type(exc).__name__})"))

    def _wait_for_host(self, url: str, state: State) -> None:
        """RateLimited while the host's Retry-After has not passed."""
        host = urlsplit(url).hostname or ""
        with self._hosts_lock:
            left = state.hosts.get(host, 0.0) - time.time()
        if left > 0:
            raise RateLimited(
                f"{host} asked to slow down; not asking it again for {left:.0f} s", left
            )

    def _rate_limited(self, url: str, exc: RateLimited, state: State) -> None:
        host = urlsplit(url).hostname or ""
        with self._hosts_lock:
            until = time.time() + exc.retry_after
            state.hosts[host] = max(state.hosts.get(host, 0.0), until)

    def _store(
        self, fetched: _Fetched, state: State, known: _Known, stamp: str | None = None
    ) -> Item:
        """Decide what a fetched page becomes, and write it (main thread)."""
        link = fetched.source
        if fetched.error is not None:
            return Item(link, "failed", str(fetched.error))
        response = fetched.response
        assert response is not None
        record = state.page(link, response.url)
        if response.not_modified:
            if record is None:  # a 304 to a request without validators
                return Item(link, "failed", "the server answered 304 Not Modified to a plain GET")
            return Item(link, "unchanged", article=_ref_of(record))
        ex = fetched.extracted
        assert ex is not None
        url = response.url
        ours = record is not None and (self.articles_dir / str(record.get("file"))).exists()
        file = str(record["file"]) if record is not None and ours else file_name_for(url)
        meta = {
            "title": ex.title,
            "outlet": ex.outlet,
            "author": ex.author,
            "date": ex.date,
            "url": url,
        }
        try:
            article = build_article(Path(file).stem, file, ex.text, meta)
        except ArticleError as exc:
            return Item(link, "failed", f"{exc} (a paywall, or a page that needs JavaScript?)")
        digest = text_hash(article.text)
        status: Status = "added"
        if ours:
            assert record is not None
            if record.get("hash") == digest:
                self._remember(
                    state,
                    link,
                    file=file,
                    digest=digest,
                    response=response,
                    ref=article.ref,
                    stamp=stamp,
                )
                return Item(link, "unchanged", article=article.ref)
            status = "updated"
        else:
            for key in {url_key(link), url_key(url)}:
                if key in known.by_url:
                    return Item(link, "duplicate", f"already in the folder as {known.by_url[key]}")
            if digest in known.by_hash:
                return Item(link, "duplicate", f"same text as {known.by_hash[digest]}")
        _write_atomic(self.articles_dir / file, markdown(meta, ex.text))
        known.add(url, digest, file)
        self._remember(
            state, link, file=file, digest=digest, response=response, ref=article.ref, stamp=stamp
        )
        return Item(link, status, article=article.ref)

    @staticmethod
    def _remember(
        state: State,
        link: str,
        *,
        file: str,
        digest: str,
        response: Response,
        ref: ArticleRef,
        stamp: str | None,
    ) -> None:
        url = response.url
        record = {
            "file": file,
            "hash": digest,
            "url": url,
            "etag": response.etag,
            "last_modified": response.last_modified,
            "stamp": stamp,
            "title": ref.title,
            "outlet": ref.outlet,
            "date": ref.date,
        }
        for key in {url_key(link), url_key(url)}:
            state.pages[key] = record

    # -- files ----------------------------------------------------------------------------------

    def _add_file(self, name: str, data: bytes, state: State, known: _Known) -> Item:
        suffix = Path(name).suffix.lower()
        if suffix not in UPLOAD_SUFFIXES:
            return Item(name, "failed", "not an article file; /add takes .txt, .md and .html")
        if len(data) > self.max_bytes:
            size = len(data) / 1e6
            return Item(
                name,
                "failed",
                f"too large ({size:.1f} MB; the limit NEWSDESK_MAX_FILE_MB is "
                f"{self.max_bytes / 1e6:g} MB)",
            )
        # Read it exactly as the indexer will, so a file the index would skip is refused now.
        with tempfile.TemporaryDirectory(prefix="newsdesk-upload-") as tmp:
            probe = Path(tmp) / f"upload{suffix}"
            probe.write_bytes(data)
            if suffix in (".html", ".htm"):
                try:
                    ex = extract(probe.read_text(encoding="utf-8", errors="replace"), None)
                except FetchError as exc:
                    return Item(name, "failed", str(exc))
                probe = probe.with_suffix(".md")
                meta = {"title": ex.title, "outlet": ex.outlet, "author": ex.author}
                probe.write_text(markdown({**meta, "date": ex.date}, ex.text), encoding="utf-8")
            result = read_dir(Path(tmp), max_file_bytes=self.max_bytes)
            if not result.articles:
                reason = result.skipped[0].reason if result.skipped else "no article in the file"
                return Item(name, "failed", reason)
            article = result.articles[0]
            content = probe.read_bytes()
        ref = article.ref
        url = ref.url
        if url:
            file = file_name_for(url)
        else:
            stem = file_name_for("upload://file/" + Path(name).stem).split("_")
            file = "upload_" + "_".join(stem[1:])  # upload_<slug>_<hash of the name>.md
        digest = text_hash(article.text)
        exists = (self.articles_dir / file).exists()
        if exists and (record := state.pages.get(f"file:{file}")) and record["hash"] == digest:
            return Item(name, "unchanged", article=_with_file(ref, file))
        if not exists:
            if url and url_key(url) in known.by_url:
                return Item(
                    name, "duplicate", f"already in the folder as {known.by_url[url_key(url)]}"
                )
            if digest in known.by_hash:
                return Item(name, "duplicate", f"same text as {known.by_hash[digest]}")
        _write_atomic(self.articles_dir / file, content.decode("utf-8"))
        known.add(url, digest, file)
        state.pages[f"file:{file}"] = {"file": file, "hash": digest, "title": ref.title}
        return Item(name, "updated" if exists else "added", article=_with_file(ref, file))


def _with_file(ref: ArticleRef, file: str) -> ArticleRef:
    return ArticleRef(Path(file).stem, file, ref.title, ref.outlet, ref.author, ref.date, ref.url)


def _ref_of(record: dict[str, Any]) -> ArticleRef:
    file = str(record["file"])
    return ArticleRef(
        Path(file).stem,
        file,
        record.get("title"),
        record.get("outlet"),
        None,
        record.get("date"),
        record.get("url"),
    )
