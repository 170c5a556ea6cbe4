"""A news website on 127.0.0.1 for tests and benchmarks: article pages, RSS and Atom feeds,
and the ways real sites fail.

    with NewsSite() as site:
        site.article("/world/ferry-strike", STORY)      # a page with real-looking furniture
        site.rss("/feed.xml", ["/world/ferry-strike"])  # a feed linking to it
        site.url("/feed.xml")                           # http://127.0.0.1:PORT/feed.xml
        site.requests                                   # (method, path, headers) of each request

Pages answer conditional requests (ETag, Last-Modified) with 304 when they have not changed.
`Route` covers any other reply: a status, a content type, raw bytes, a delay, headers.
The article texts here are made up for the tests.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# Page furniture that must never end up in an article's text.
NAV_TEXT = "Home World Politics Business Sport Opinion Weather Newsletters"
TEASER_TEXT = "Celebrity chef opens floating restaurant on the river"
COMMENT_TEXT = "This council never listens to anyone who takes the ferry every day"
COOKIE_TEXT = "We use cookies to improve your experience on our website"
FOOTER_TEXT = "Copyright Harbour Herald Media Group. All rights reserved."


@dataclass(frozen=True)
class Story:
    """A made-up news article."""

    title: str
    paragraphs: tuple[str, ...]
    author: str = "Mara Lindqvist"
    date: str = "2025-05-14"
    outlet: str = "Harbour Herald"


@dataclass
class Route:
    """A scripted reply."""

    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering
    validators: bool = True  # send ETag/Last-Modified and answer 304 when they match
    last_modified: float = field(default_factory=time.time)

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'


class NewsSite:
    """The server; routes can be added and changed while it runs."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                site._answer(self)

            def handle(self) -> None:
                # the client gave up (a size cap or a timeout): that is what was tested
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    super().handle()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> NewsSite:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        if self._thread.is_alive():  # shutdown() waits for serve_forever, so only if it runs
            self._server.shutdown()
        self._server.server_close()

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def hits(self, path: str) -> int:
        """How many requests `path` got."""
        return sum(1 for _, p, _ in self.requests if p == path)

    # -- content -------------------------------------------------------------------------------

    def route(self, path: str, route: Route) -> None:
        with self._lock:
            self.routes[path] = route

    def article(self, path: str, story: Story, **kw: Any) -> None:
        self.route(path, Route(article_page(story, self.url(path)).encode("utf-8"), **kw))

    def rss(self, path: str, items: list[tuple[str | None, str, str]], **kw: Any) -> None:
        """`items`: (link path or None, title, updated date as RFC 822)."""
        body = rss_feed("Harbour Herald", self.base, items).encode("utf-8")
        self.route(path, Route(body, "application/rss+xml; charset=utf-8", **kw))

    def atom(self, path: str, items: list[tuple[str | None, str, str]], **kw: Any) -> None:
        """`items`: (link path or None, title, updated date as ISO 8601)."""
        body = atom_feed("Harbour Herald", self.base, items).encode("utf-8")
        self.route(path, Route(body, "application/atom+xml; charset=utf-8", **kw))

    # -- serving -------------------------------------------------------------------------------

    def _answer(self, h: BaseHTTPRequestHandler) -> None:
        path = h.path.split("?", 1)[0]
        with self._lock:
            self.requests.append(("GET", h.path, dict(h.headers.items())))
            route = self.routes.get(path)
        if route is None:
            route = Route(b"<html><body><h1>Page not found</h1></body></html>", status=404)
        if route.delay:
            time.sleep(route.delay)
        headers = dict(route.headers)
        status = route.status
        body = route.body
        if route.validators and status == 200:
            etag = route.etag
            modified = formatdate(route.last_modified, usegmt=True)
            headers.update({"ETag": etag, "Last-Modified": modified})
            if h.headers.get("If-None-Match") == etag or (
                "If-None-Match" not in h.headers and h.headers.get("If-Modified-Since") == modified
            ):
                status, body = 304, b""
        try:
            h.send_response(status)
            if status != 304:
                h.send_header("Content-Type", route.content_type)
            h.send_header("Content-Length", str(len(body)))
            for key, value in headers.items():
                h.send_header(key, value)
            h.end_headers()
            h.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a size cap or a timeout): that is what was tested


def article_page(story: Story, url: str) -> str:
    """A news page as sites serve them: navigation, share buttons, the article, related
    stories, comments, a cookie banner and a footer."""
    e = html.escape
    paragraphs = "\n".join(f"      <p>{e(p)}</p>" for p in story.paragraphs)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{e(story.title)} | {e(story.outlet)}</title>
  <link rel="canonical" href="{e(url)}">
  <meta property="og:title" content="{e(story.title)}">
  <meta property="og:site_name" content="{e(story.outlet)}">
  <meta property="og:type" content="article">
  <meta name="author" content="{e(story.author)}">
  <meta property="article:published_time" content="{e(story.date)}T08:30:00+00:00">
  <script>window.dataLayer = window.dataLayer || []; function gtag(){{dataLayer.push(arguments);}}</script>
</head>
<body>
  <div class="cookie-banner" id="cookies"><p>{COOKIE_TEXT}. <a href="/privacy">Accept all</a></p></div>
  <header class="site-header">
    <a class="logo" href="/">{e(story.outlet)}</a>
    <nav class="main-nav"><ul>{"".join(f'<li><a href="/{w.lower()}">{w}</a></li>' for w in NAV_TEXT.split())}</ul></nav>
    <form class="search" action="/search"><input name="q" placeholder="Search"></form>
  </header>
  <nav class="breadcrumbs"><a href="/">Home</a> &rsaquo; <a href="/world">World</a></nav>
  <main>
    <article class="story">
      <h1 class="headline">{e(story.title)}</h1>
      <div class="byline">By <a rel="author" href="/authors/x">{e(story.author)}</a>
        <time datetime="{e(story.date)}T08:30:00+00:00">{e(story.date)}</time></div>
      <div class="share"><a href="#">Share on Facebook</a> <a href="#">Share on X</a> <a href="#">Email</a></div>
      <div class="story-body">
{paragraphs}
      </div>
    </article>
    <aside class="related">
      <h2>Related stories</h2>
      <ul>
        <li><a href="/life/floating-restaurant">{TEASER_TEXT}</a></li>
        <li><a href="/sport/regatta">Rowing club wins the autumn regatta for a third year</a></li>
        <li><a href="/business/port-profits">Port operator reports record quarterly profits</a></li>
      </ul>
    </aside>
    <section class="comments" id="comments">
      <h2>Comments (2)</h2>
      <div class="comment"><p class="comment-author">ferryfan77</p><p>{COMMENT_TEXT}.</p></div>
      <div class="comment"><p class="comment-author">islander</p><p>Finally some good news for the islands, if it lasts.</p></div>
      <form class="comment-form"><textarea>Leave a comment</textarea><button>Post</button></form>
    </section>
  </main>
  <footer class="site-footer"><p>{FOOTER_TEXT}</p><a href="/about">About us</a> <a href="/contact">Contact</a></footer>
</body>
</html>
"""


def rss_feed(title: str, base: str, items: list[tuple[str | None, str, str]]) -> str:
    e = html.escape
    entries = []
    for link, item_title, updated in items:
        link_tag = f"<link>{e(base + link)}</link>" if link else ""
        guid = f"<guid>{e(base + link)}</guid>" if link else ""
        entries.append(
            f"<item><title>{e(item_title)}</title>{link_tag}{guid}"
            f"<pubDate>{e(updated)}</pubDate><description>{e(item_title)}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        f"<title>{e(title)}</title><link>{e(base)}/</link><description>News</description>"
        + "".join(entries)
        + "</channel></rss>\n"
    )


def atom_feed(title: str, base: str, items: list[tuple[str | None, str, str]]) -> str:
    e = html.escape
    entries = []
    for n, (link, item_title, updated) in enumerate(items):
        link_tag = f'<link rel="alternate" href="{e(base + link)}"/>' if link else ""
        entries.append(
            f"<entry><title>{e(item_title)}</title>{link_tag}<id>urn:item:{n}</id>"
            f"<updated>{e(updated)}</updated></entry>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{e(title)}</title><id>urn:feed</id><updated>2025-05-14T09:00:00Z</updated>"
        + "".join(entries)
        + "</feed>\n"
    )


# Made-up stories for the tests, each with a quote someone can be asked about.
FERRY = Story(
    "Island ferries to run through the winter after council vote",
    (
        "The county council voted on Tuesday to keep the island ferry service running through "
        "the winter months, reversing a plan to suspend crossings from November.",
        '"We heard the islanders loud and clear," said council leader Tomas Berg, who proposed '
        'the motion. "A ferry is not a luxury when it is the only road you have."',
        "The service will cost an extra 1.2 million crowns this year, paid for from the harbour "
        "reserve fund. Opposition councillors said the money would be better spent on a bridge.",
    ),
)
LIGHTHOUSE = Story(
    "Volunteers restore the old lighthouse on Skarvik point",
    (
        "A group of forty volunteers has finished restoring the lighthouse on Skarvik point, "
        "which had stood dark since the coastguard automated the station in 1987.",
        "Project leader Ingrid Holm said the lamp would be lit again on midsummer night. "
        '"The lighthouse belongs to everyone who grew up watching it turn," she said.',
        "The restoration was paid for by a local heritage trust and took three summers.",
    ),
    author="Jon Arvidsson",
    date="2025-06-02",
)
GRAIN = Story(
    "Harbour grain terminal to double its storage by 2027",
    (
        "The port authority approved plans on Monday for a second grain silo at the northern "
        "quay, doubling the terminal's storage to 80,000 tonnes.",
        "Harbour master Elin Sand said the expansion would let farmers ship earlier in the "
        'season. "Right now they queue for weeks after the harvest," she said.',
        "Construction is due to start next spring and will cost 240 million crowns.",
    ),
    author="Petra Nyman",
    date="2025-04-28",
)
BRIDGE = Story(
    "Engineers say the old swing bridge needs urgent repairs",
    (
        "An inspection of the swing bridge over the canal found corrosion in two of its four "
        "main bearings, engineers told the transport committee on Thursday.",
        'Chief engineer Oskar Lund said the bridge was safe for now but "cannot wait another '
        'winter" for the repairs, which would close it to traffic for six weeks.',
        "The committee will decide on the timing of the closure at its next meeting.",
    ),
    author="Lina Berg",
    date="2025-03-06",
)
STORIES = (FERRY, LIGHTHOUSE, GRAIN, BRIDGE)
PAYWALL_PAGE = b"""<!DOCTYPE html><html><head><title>Exclusive | Harbour Herald</title></head>
<body><nav><a href="/">Home</a> <a href="/world">World</a></nav><main><article>
<h1>Exclusive</h1><div class="paywall"><p>Subscribe to continue reading.</p>
<a href="/subscribe">Subscribe now</a> <a href="/login">Log in</a></div></article></main>
<footer>Copyright Harbour Herald</footer></body></html>"""
SCRIPT_ONLY_PAGE = b"""<!DOCTYPE html><html><head><title>Harbour Herald</title>
<script src="/static/app.js"></script></head><body><div id="root"></div>
<noscript>You need to enable JavaScript to run this app.</noscript></body></html>"""
