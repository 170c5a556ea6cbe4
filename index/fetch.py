"""Fetching web pages and feeds safely, and turning a page into an article file.

Fetching: a clear User-Agent, a timeout per request and a deadline per download, a size cap,
conditional requests (ETag, Last-Modified), HTTP 429/503 with Retry-After reported back, and
only http(s). Every connection, redirects included, goes to an address checked at connect time:
private, loopback, link-local and other non-public addresses are refused unless allowed (the
check runs where the socket is opened, so a name that resolves differently later cannot slip
past it).

Extraction: trafilatura finds the main text and the metadata (title, site name, author, date);
the page becomes a `.md` file with YAML front matter whose name is derived from its URL.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import re
import socket
import time
import typing
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx
import yaml

from index.errors import NewsdeskError

log = logging.getLogger(__name__)

USER_AGENT = "newsdesk/0.1 (news article indexer; honours ETag, Last-Modified and Retry-After)"
MAX_REDIRECTS = 5
DEFAULT_RETRY_AFTER = 60.0  # seconds to leave a host alone after a 429 without Retry-After
HTML_TYPES = ("text/html", "application/xhtml+xml")
FEED_TYPES = ("xml", "rss", "atom", "text/plain")  # substrings of feed content types
PAGE_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"
FEED_ACCEPT = "application/rss+xml,application/atom+xml,application/xml;q=0.9,text/xml;q=0.9"
SLUG_MAX_CHARS = 60
_MAGIC = (  # sniffed when a server sends no (or a wrong) content type
    (b"%PDF", "application/pdf"),
    (b"\x89PNG", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF8", "image/gif"),
    (b"PK\x03\x04", "application/zip"),
)


class FetchError(NewsdeskError):
    """A page or feed could not be fetched or used; the message says why."""

    transient = False  # worth trying again later (network trouble, 5xx, rate limits)


class TransientFetchError(FetchError):
    transient = True


class FetchRefused(FetchError):
    """The URL is not one newsdesk fetches (scheme, or a non-public address)."""


class RateLimited(TransientFetchError):
    """The host asked us to slow down (429, or 503 with Retry-After)."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Response:
    """A completed fetch: the final URL (after redirects) and what it returned."""

    url: str
    status: int  # 200, or 304 when the validators still match
    body: bytes
    content_type: str
    etag: str | None
    last_modified: str | None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


# -- addresses --------------------------------------------------------------------------------


def check_url(url: str) -> str:
    """`url` when it is an absolute http(s) URL, else FetchRefused."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https"):
        shown = f"{parts.scheme}://" if parts.scheme else "no scheme"
        raise FetchRefused(f"only http and https links can be added ({shown} refused)")
    if not parts.hostname:
        raise FetchRefused("the link has no host name")
    return url.strip()


def is_public(address: str) -> bool:
    """Whether `address` is a globally routable unicast address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's socket backend, refusing non-public addresses unless allowed."""

    def __init__(
        self,
        *,
        allow_private: bool = False,
        allowed: typing.Callable[[str], bool] = is_public,
    ) -> None:
        self.allow_private = allow_private
        self.allowed = allowed

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host} ({exc})") from exc
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        if not self.allow_private:
            # every address, not only the first: a name that resolves to a private address
            # among public ones could be connected there by a retry
            blocked = [a for a in addresses if not self.allowed(a)]
            if blocked:
                raise FetchRefused(
                    f"{host} resolves to {blocked[0]}, a private or local address; newsdesk "
                    "fetches only from public addresses (NEWSDESK_FETCH_ALLOW_PRIVATE=true allows it)"
                )
        last: Exception | None = None
        for address in addresses:
            try:
                return super().connect_tcp(
                    address, port, timeout, local_address, socket_options=socket_options
                )
            except httpcore.ConnectError as exc:
                last = exc
        raise last or httpcore.ConnectError(f"no address for {host}")


class _GuardedTransport(httpx.HTTPTransport):
    """httpx's transport over a connection pool that connects through GuardedBackend."""

    def __init__(self, backend: GuardedBackend) -> None:
        super().__init__(trust_env=False)
        # httpx does not take a network backend; its pool is rebuilt with one (same defaults).
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=backend,
        )


# -- fetching -----------------------------------------------------------------------------------


class Fetcher:
    """An HTTP client for pages and feeds; thread-safe, use as a context manager or `close()`."""

    def __init__(
        self,
        *,
        timeout: float,
        max_bytes: int,
        allow_private: bool = False,
        backend: GuardedBackend | None = None,
        user_agent: str = USER_AGENT,
    ) -> None:
        self.timeout = timeout
        self.max_bytes = max_bytes
        guard = backend or GuardedBackend(allow_private=allow_private)
        self._client = httpx.Client(
            transport=_GuardedTransport(guard),
            timeout=httpx.Timeout(timeout),
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            headers={"User-Agent": user_agent},
            trust_env=False,
        )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = PAGE_ACCEPT,
    ) -> Response:
        """GET `url` (conditionally, when validators are given), within the size cap and
        the deadline; errors become FetchError with a message for people."""
        check_url(url)
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        deadline = time.monotonic() + 2 * self.timeout  # a trickling server cannot hold us
        host = urlsplit(url).hostname or url
        try:
            with self._client.stream("GET", url, headers=headers) as r:
                final = str(r.url)
                if r.status_code == 304:
                    return Response(final, 304, b"", "", etag, last_modified)
                _raise_for_status(r, host)
                declared = r.headers.get("Content-Length")
                if declared and declared.isdigit() and int(declared) > self.max_bytes:
                    raise FetchError(_too_large(int(declared), self.max_bytes))
                chunks: list[bytes] = []
                size = 0
                for chunk in r.iter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise FetchError(_too_large(size, self.max_bytes, more=True))
                    if time.monotonic() > deadline:
                        raise TransientFetchError(
                            f"{host} is too slow (no complete reply in {2 * self.timeout:g} s)"
                        )
                    chunks.append(chunk)
                return Response(
                    final,
                    r.status_code,
                    b"".join(chunks),
                    r.headers.get("Content-Type", ""),
                    r.headers.get("ETag"),
                    r.headers.get("Last-Modified"),
                )
        except httpx.TimeoutException:
            raise TransientFetchError(
                f"{host} did not answer in time (NEWSDESK_FETCH_TIMEOUT={self.timeout:g} s)"
            ) from None
        except httpx.TooManyRedirects:
            raise FetchError(f"too many redirects (more than {MAX_REDIRECTS})") from None
        except httpx.UnsupportedProtocol:
            raise FetchRefused("redirected to a link that is not http or https") from None
        except httpx.ConnectError as exc:
            raise TransientFetchError(f"cannot reach {host} ({_reason(exc)})") from None
        except httpx.HTTPError as exc:
            raise TransientFetchError(f"fetching from {host} failed ({_reason(exc)})") from None


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return re.sub(r"^\[Errno -?\d+\]\s*", "", text)


def _too_large(size: int, cap: int, *, more: bool = False) -> str:
    over = "over " if more else ""
    return (
        f"too large ({over}{size / 1e6:.1f} MB; the limit NEWSDESK_MAX_FILE_MB is {cap / 1e6:g} MB)"
    )


def _raise_for_status(r: httpx.Response, host: str) -> None:
    status = r.status_code
    if 200 <= status < 300:
        return
    reason = r.reason_phrase or "error"
    if status == 429 or (status == 503 and "Retry-After" in r.headers):
        wait = retry_after_seconds(r.headers.get("Retry-After"))
        raise RateLimited(
            f"{host} asks to slow down (HTTP {status}); not asking it again for {wait:.0f} s", wait
        )
    if status >= 500 or status == 408:
        raise TransientFetchError(f"{host} answered HTTP {status} {reason}")
    raise FetchError(f"the page answered HTTP {status} {reason}")


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float:
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP date)."""
    if not value:
        return DEFAULT_RETRY_AFTER
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def content_kind(response: Response) -> str:
    """The media type a response really holds: the declared one, unless the bytes say
    otherwise (a PDF sent as text/html is still a PDF)."""
    head = response.body[:8]
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    declared = response.content_type.split(";", 1)[0].strip().lower()
    return declared or "application/octet-stream"


# -- pages to articles -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Extracted:
    """A page's article: main text and metadata."""

    text: str
    title: str | None
    outlet: str | None
    author: str | None
    date: str | None
    url: str | None


def page_html(response: Response) -> str:
    """The response as HTML text, or FetchError when it is no web page (PDF, image…)."""
    kind = content_kind(response)
    if kind not in HTML_TYPES:
        raise FetchError(f"not a web page ({kind}); newsdesk adds HTML articles")
    return decode(response.body, response.content_type)


def decode(body: bytes, content_type: str = "") -> str:
    """Bytes as text, in the charset the server declared (UTF-8 otherwise)."""
    match = re.search(r"charset=([\w.-]+)", content_type, re.IGNORECASE)
    charset = match.group(1) if match else "utf-8"
    try:
        return body.decode(charset, errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def extract(html: str, url: str | None) -> Extracted:
    """The article in `html` (trafilatura), or FetchError when the page holds no text."""
    import trafilatura  # heavy; only needed here

    doc: Any = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        favor_precision=True,
        as_dict=True,
    )
    text = (doc or {}).get("text") or ""
    if not text.strip():
        raise FetchError(
            "no article text on the page (a paywall, or a page that needs JavaScript to show it?)"
        )
    return Extracted(
        text=text.strip(),
        title=_clean(doc.get("title")),
        outlet=_clean(doc.get("sitename")),
        author=_clean(doc.get("author")),
        date=_clean(doc.get("date")),
        url=url,
    )


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    s = " ".join(str(value).split())
    return s or None


def url_key(url: str) -> str:
    """A URL's identity for de-duplication: normalised, without fragment and tracking
    parameters (courlan, trafilatura's URL library)."""
    from courlan import normalize_url

    try:
        return str(normalize_url(url.strip(), strict=True))
    except (ValueError, TypeError):
        return url.strip()


def file_name_for(url: str) -> str:
    """A stable `.md` file name from a URL: host, the path's last words, a short hash."""
    key = url_key(url)
    parts = urlsplit(key)
    host = (parts.hostname or "page").removeprefix("www.")
    words = [w for w in re.split(r"[/_.\-]+", parts.path) if w and w.lower() not in _PAGE_SUFFIXES]
    slug = re.sub(r"[^a-z0-9]+", "-", "-".join(words[-6:]).lower()).strip("-")
    slug = slug[:SLUG_MAX_CHARS].rstrip("-")
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:10]
    host_part = re.sub(r"[^a-z0-9.-]+", "-", host.lower())
    return "_".join(p for p in (host_part, slug, digest) if p) + ".md"


_PAGE_SUFFIXES = {"html", "htm", "php", "aspx", "index"}


def markdown(meta: dict[str, Any], body: str) -> str:
    """An article file: YAML front matter (the fields that are known), then the text."""
    fields = {k: v for k, v in meta.items() if v not in (None, "")}
    head = yaml.safe_dump(fields, allow_unicode=True, sort_keys=False, width=1000)
    return f"---\n{head}---\n{body.strip()}\n"
