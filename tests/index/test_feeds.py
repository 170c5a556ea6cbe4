"""Adding articles by link or file and pulling feeds, against a news site on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from index.feeds import STATE_FILE, Intake
from index.fetch import file_name_for
from tests.conftest import make_settings
from tests.fakes.news_site import (
    BRIDGE,
    COMMENT_TEXT,
    COOKIE_TEXT,
    FERRY,
    FOOTER_TEXT,
    GRAIN,
    LIGHTHOUSE,
    NAV_TEXT,
    PAYWALL_PAGE,
    SCRIPT_ONLY_PAGE,
    TEASER_TEXT,
    NewsSite,
    Route,
    Story,
)

pytestmark = pytest.mark.slow

RFC822 = "Wed, 14 May 2025 08:30:00 GMT"
FURNITURE = (NAV_TEXT.split()[3], TEASER_TEXT, COMMENT_TEXT, COOKIE_TEXT, FOOTER_TEXT, "Share on")


@pytest.fixture
def site() -> Iterator[NewsSite]:
    with NewsSite() as server:
        yield server


class Desk:
    """A real Newsdesk over an articles folder of its own, with an Intake over it."""

    def __init__(self, root: Path, model: Any, feeds: list[str], **core: Any) -> None:
        from index.service import Newsdesk

        self.articles = root / "articles"
        self.articles.mkdir(parents=True, exist_ok=True)
        core = {"fetch_allow_private": True, "fetch_timeout": 2.0, **core}
        settings = make_settings(root / "index", self.articles, feeds=feeds, **core)
        self.desk = Newsdesk.open(settings, embedder=model)
        self.intake = Intake(self.desk)

    def close(self) -> None:
        self.intake.close()
        self.desk.close()

    def front_matter(self, file: str) -> tuple[dict[str, Any], str]:
        raw = (self.articles / file).read_text(encoding="utf-8")
        _, head, body = raw.split("---\n", 2)
        return yaml.safe_load(head), body


@pytest.fixture
def make_desk(tmp_path: Path, local_model: Any) -> Iterator[Any]:
    made: list[Desk] = []

    def make(feeds: list[str] | None = None, **core: Any) -> Desk:
        d = Desk(tmp_path / f"d{len(made)}", local_model, feeds or [], **core)
        made.append(d)
        return d

    yield make
    for d in made:
        d.close()


def test_add_writes_the_article_without_page_furniture_indexes_it_and_cites_its_url(
    site, make_desk
):
    site.article("/world/2025/05/ferries-winter.html", FERRY)
    d = make_desk()
    url = site.url("/world/2025/05/ferries-winter.html")

    report = d.intake.add_urls([url])

    [item] = report.items
    assert item.status == "added", item.reason
    assert item.article is not None and item.article.file == file_name_for(url)
    assert (
        file_name_for(url)
        == "127.0.0.1_world-2025-05-ferries-winter_" + (file_name_for(url).rsplit("_", 1)[1])
    )
    meta, body = d.front_matter(item.article.file)
    assert meta == {
        "title": FERRY.title,
        "outlet": FERRY.outlet,
        "author": FERRY.author,
        "date": FERRY.date,
        "url": url,
    }
    for paragraph in FERRY.paragraphs:
        assert paragraph in body
    for furniture in FURNITURE:
        assert furniture not in body, furniture
    assert report.reindex is not None and report.reindex.added == 1

    answer = d.desk.ask("What did Tomas Berg say about the ferry?")
    assert answer.citations, answer.text
    cited = answer.citations[0]
    assert cited.article.url == url
    assert cited.quote in d.desk.snapshot.article_text(cited.article.id)
    assert "A ferry is not a luxury" in answer.text
    assert d.desk.source(cited.article.id).article.url == url


def test_a_pull_adds_rss_and_atom_items_once_and_a_second_pull_adds_nothing(site, make_desk):
    site.article("/a/ferries", FERRY)
    site.article("/a/lighthouse", LIGHTHOUSE)
    site.article("/b/grain", GRAIN)
    site.rss(
        "/rss.xml",
        [("/a/ferries", FERRY.title, RFC822), ("/a/lighthouse", LIGHTHOUSE.title, RFC822)],
    )
    site.atom(
        "/atom.xml",
        [
            ("/b/grain", GRAIN.title, "2025-04-28T06:00:00Z"),
            (None, "A teaser", "2025-04-28T06:00:00Z"),
        ],
    )
    d = make_desk([site.url("/rss.xml"), site.url("/atom.xml")])

    first = d.intake.pull()

    assert sorted(i.source for i in first.written) == sorted(
        site.url(p) for p in ("/a/ferries", "/a/lighthouse", "/b/grain")
    )
    [no_link] = [i for i in first.items if i.status == "failed"]
    assert "no link" in (no_link.reason or "") and "A teaser" in no_link.source
    assert [f.status for f in first.feeds] == ["ok", "ok"]
    assert {a.url for a in d.desk.sources()} == {i.source for i in first.written}
    assert len(list(d.articles.glob("*.md"))) == 3

    page_hits = site.hits("/a/ferries")
    second = d.intake.pull()

    assert second.written == []
    assert second.reindex is None  # nothing new: no reindex at all
    assert [f.status for f in second.feeds] == ["not modified", "not modified"]
    assert site.hits("/a/ferries") == page_hits
    feed_requests = [h for _, p, h in site.requests if p == "/rss.xml"]
    assert feed_requests[-1].get("If-None-Match"), "the feed's ETag is sent back"
    assert "newsdesk" in feed_requests[-1]["User-Agent"]
    assert len(list(d.articles.glob("*.md"))) == 3
    assert (d.desk.settings.core.index_dir / STATE_FILE).exists()


def test_a_changed_page_replaces_its_article(site, make_desk):
    site.article("/a/bridge", BRIDGE)
    site.rss("/rss.xml", [("/a/bridge", BRIDGE.title, RFC822)])
    d = make_desk([site.url("/rss.xml")])
    [added] = d.intake.pull().written
    assert added.article is not None
    file = added.article.file

    again = d.intake.add_urls([site.url("/a/bridge")])  # unchanged: a 304 for its validators
    assert [i.status for i in again.items] == ["unchanged"]
    assert site.requests[-1][2].get("If-None-Match")

    fixed = Story(
        BRIDGE.title,
        (*BRIDGE.paragraphs[:2], "The committee voted on Monday to close the bridge in May."),
    )
    site.article("/a/bridge", fixed)
    site.rss("/rss.xml", [("/a/bridge", BRIDGE.title, "Thu, 15 May 2025 10:00:00 GMT")])

    report = d.intake.pull()

    assert [(i.status, i.article and i.article.file) for i in report.items] == [("updated", file)]
    assert [a.file for a in d.desk.sources()] == [file]
    text = d.desk.snapshot.article_text(Path(file).stem)
    assert "close the bridge in May" in text
    assert BRIDGE.paragraphs[2] not in text


def test_an_article_already_in_the_folder_by_url_or_text_is_not_added_again(site, make_desk):
    site.article("/a/ferries", FERRY)
    site.article("/mirror/lighthouse", LIGHTHOUSE)
    site.article("/a/lighthouse", LIGHTHOUSE)
    d = make_desk()
    body = "\n\n".join(FERRY.paragraphs)
    (d.articles / "by-hand.md").write_text(
        f"---\ntitle: Ferries\nurl: {site.url('/a/ferries')}\n---\n{body}\n", encoding="utf-8"
    )
    d.desk.reindex()

    by_url = d.intake.add_urls([site.url("/a/ferries")])
    first = d.intake.add_urls([site.url("/a/lighthouse")])
    by_text = d.intake.add_urls([site.url("/mirror/lighthouse")])

    assert [i.status for i in by_url.items] == ["duplicate"]
    assert "by-hand.md" in (by_url.items[0].reason or "")
    assert [i.status for i in first.items] == ["added"]
    assert [i.status for i in by_text.items] == ["duplicate"]
    assert "same text" in (by_text.items[0].reason or "")
    assert len(d.desk.sources()) == 2


def test_each_bad_input_gets_a_clear_reason_and_the_rest_of_the_pull_goes_on(site, make_desk):
    closed = NewsSite()  # never started: a port nothing listens on once it is closed
    dead = closed.url("/story")
    closed.close()
    site.article("/ok/ferries", FERRY)
    site.route("/report.pdf", Route(b"%PDF-1.7\n" + b"0" * 500, "application/pdf"))
    site.route("/photo.png", Route(b"\x89PNG\r\n\x1a\n" + b"0" * 500, "image/png"))
    site.route("/paywall", Route(PAYWALL_PAGE))
    site.route("/app", Route(SCRIPT_ONLY_PAGE))
    site.route("/slow", Route(b"<html><body><p>late</p></body></html>", delay=4))
    site.route("/huge", Route(b"<html><body>" + b"<p>word </p>" * 20_000 + b"</body></html>"))
    site.route("/to-file", Route(status=302, headers={"Location": "file:///etc/passwd"}))
    items = [
        "/missing",
        "/report.pdf",
        "/photo.png",
        "/paywall",
        "/app",
        "/slow",
        "/huge",
        "/to-file",
        "/ok/ferries",
    ]
    rss = [(p, p, RFC822) for p in items]
    site.rss("/rss.xml", rss)
    site.route("/broken.xml", Route(b"<rss><channel><item><title>Cut off", "application/rss+xml"))
    site.route("/garbage.xml", Route(b"\x00\x01 not xml at all {", "application/xml"))
    site.route("/a-page.xml", Route(b"<html><body><p>hello</p></body></html>"))
    feeds = [
        site.url(f) for f in ("/broken.xml", "/garbage.xml", "/a-page.xml", "/rss.xml", "/gone.xml")
    ]
    d = make_desk(feeds, fetch_timeout=1.0, max_file_mb=0.1)

    report = d.intake.pull()
    reasons = {i.source.removeprefix(site.base): i.reason for i in report.items}
    d.intake.add_urls([dead, "file:///etc/passwd", "ftp://example.com/a"])
    more = d.intake.add_urls([dead, "file:///etc/passwd", "ftp://example.com/a"])

    feeds_by_url = {f.url: f for f in report.feeds}
    assert feeds_by_url[site.url("/broken.xml")].status == "malformed"
    assert "malformed feed" in (feeds_by_url[site.url("/broken.xml")].reason or "")
    assert feeds_by_url[site.url("/garbage.xml")].status == "failed"
    assert "malformed feed" in (feeds_by_url[site.url("/garbage.xml")].reason or "")
    assert "not a feed (text/html)" in (feeds_by_url[site.url("/a-page.xml")].reason or "")
    assert "404" in (feeds_by_url[site.url("/gone.xml")].reason or "")
    assert [i.source for i in report.written] == [site.url("/ok/ferries")]
    assert "HTTP 404" in reasons["/missing"]
    assert "not a web page (application/pdf)" in reasons["/report.pdf"]
    assert "not a web page (image/png)" in reasons["/photo.png"]
    assert "no article text" in reasons["/paywall"]
    assert "no article text" in reasons["/app"]
    assert "did not answer in time" in reasons["/slow"]
    assert "too large" in reasons["/huge"] and "NEWSDESK_MAX_FILE_MB" in reasons["/huge"]
    assert "not http or https" in reasons["/to-file"]
    why = [i.reason or "" for i in more.items]
    assert "cannot reach 127.0.0.1" in why[0]
    assert "file:// refused" in why[1]
    assert "ftp:// refused" in why[2]
    assert [a.url for a in d.desk.sources()] == [site.url("/ok/ferries")]
    assert {p.name for p in d.articles.iterdir()} == {file_name_for(site.url("/ok/ferries"))}


def test_a_host_that_answers_429_is_left_alone_until_retry_after(site, make_desk):
    # "localhost" is another host name than 127.0.0.1 for the rate limit, on the same server.
    busy = site.url("/busy").replace("127.0.0.1", "localhost")
    site.route(
        "/busy", Route(b"slow down", "text/plain", status=429, headers={"Retry-After": "120"})
    )
    site.article("/a/grain", GRAIN)
    site.route(
        "/rss.xml",
        Route(
            (
                '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
                f"<item><title>busy</title><link>{busy}</link></item>"
                f"<item><title>grain</title><link>{site.url('/a/grain')}</link></item>"
                "</channel></rss>"
            ).encode(),
            "application/rss+xml",
        ),
    )
    d = make_desk([site.url("/rss.xml")])

    first = d.intake.pull()
    second = d.intake.pull()

    statuses = {i.source: (i.status, i.reason) for i in first.items}
    assert statuses[busy][0] == "failed" and "HTTP 429" in (statuses[busy][1] or "")
    assert statuses[site.url("/a/grain")][0] == "added"
    assert site.hits("/busy") == 1, "not asked again before Retry-After has passed"
    [retried] = second.items  # retried at the next pull, but only locally refused
    assert retried.source == busy and "asked to slow down" in (retried.reason or "")


def test_private_and_loopback_addresses_are_refused_unless_allowed(site, make_desk):
    site.article("/a/ferries", FERRY)
    d = make_desk(fetch_allow_private=False)

    report = d.intake.add_urls([site.url("/a/ferries")])

    [item] = report.items
    assert item.status == "failed"
    assert "private or local address" in (item.reason or "")
    assert "NEWSDESK_FETCH_ALLOW_PRIVATE" in (item.reason or "")
    assert site.requests == []


def test_redirects_are_checked_too(site):
    from index.fetch import Fetcher, FetchRefused, GuardedBackend

    other = site.url("/a/ferries").replace("127.0.0.1", "127.0.0.2")
    site.route("/hop", Route(status=302, headers={"Location": other}))
    site.article("/a/ferries", FERRY)
    # Pretend 127.0.0.1 is a public address and 127.0.0.2 a private one.
    guard = GuardedBackend(allowed=lambda address: address == "127.0.0.1")
    with Fetcher(timeout=2, max_bytes=10**6, backend=guard) as fetcher:
        assert fetcher.get(site.url("/a/ferries")).status == 200
        with pytest.raises(FetchRefused, match=r"127\.0\.0\.2, a private or local address"):
            fetcher.get(site.url("/hop"))
    assert [p for _, p, _ in site.requests] == ["/a/ferries", "/hop"]


def test_an_uploaded_file_is_added_like_a_page(site, make_desk):
    from tests.fakes.news_site import article_page

    d = make_desk()
    html = article_page(GRAIN, "https://news.example/grain").encode()
    text = (
        b"---\ntitle: Ferry vote\noutlet: Island Post\n---\n" + "\n".join(FERRY.paragraphs).encode()
    )

    page = d.intake.add_file("grain story.html", html)
    notes = d.intake.add_file("ferry.md", text)
    again = d.intake.add_file("ferry-copy.txt", text)
    bad = [
        d.intake.add_file("scan.pdf", b"%PDF-1.4"),
        d.intake.add_file("empty.txt", b"   "),
        d.intake.add_file("latin1.txt", "Caf\xe9 ".encode("latin-1") * 20),
    ]

    assert [i.status for i in page.items] == ["added"]
    [grain] = page.items
    assert grain.article is not None and grain.article.url == "https://news.example/grain"
    _, body = d.front_matter(grain.article.file)
    assert GRAIN.paragraphs[1] in body and TEASER_TEXT not in body and COMMENT_TEXT not in body
    assert [(i.status, i.article and i.article.outlet) for i in notes.items] == [
        ("added", "Island Post")
    ]
    assert [i.status for i in again.items] == ["duplicate"]
    reasons = [r.items[0].reason or "" for r in bad]
    assert ".txt, .md and .html" in reasons[0]
    assert "empty" in reasons[1]
    assert "UTF-8" in reasons[2]
    assert len(d.desk.sources()) == 2


def test_one_operation_at_a_time(site, make_desk):
    from index.feeds import IntakeBusy

    site.article("/a/slow", FERRY, delay=1.5)
    site.rss("/rss.xml", [("/a/slow", FERRY.title, RFC822)])
    d = make_desk([site.url("/rss.xml")])
    other = Intake(d.desk)  # a second intake (another process would hold the same file lock)
    started = threading.Event()

    def pull() -> None:
        started.set()
        d.intake.pull()

    t = threading.Thread(target=pull)
    t.start()
    started.wait(5)
    site_wait = 0
    while site.hits("/a/slow") == 0 and site_wait < 100:
        threading.Event().wait(0.05)
        site_wait += 1
    try:
        with pytest.raises(IntakeBusy):
            other.pull(wait=False)  # another process's pull: the file lock
        with pytest.raises(IntakeBusy):
            d.intake.pull(wait=False)  # the same intake, from another thread
    finally:
        t.join(30)
        other.close()
    assert len(d.desk.sources()) == 1
