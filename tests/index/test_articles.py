"""Reading an articles directory: formats, metadata, and bad files reported and skipped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.articles import read_dir
from index.errors import ConfigError
from tests.conftest import DEMO_ARTICLES

BODY = "The minister said on Monday that the talks would continue next week in Brussels.\n"


def _read(tmp_path: Path, max_file_bytes: int = 10_000_000):
    return read_dir(tmp_path, max_file_bytes=max_file_bytes)


def test_demo_corpus_reads_with_ids_files_and_inferred_metadata() -> None:
    result = read_dir(DEMO_ARTICLES, max_file_bytes=10_000_000)
    assert not result.skipped
    refs = {a.id: a.ref for a in result.articles}
    assert set(refs) == {p.stem for p in DEMO_ARTICLES.glob("*.txt")}
    bne = refs["001_622d8607e342a6b3"]
    assert bne.file == "001_622d8607e342a6b3.txt"
    assert bne.title == "Serbian president has dinner with Nato chief in Brussels"
    assert bne.author == "Tatyana Kekic"
    assert bne.date == "2025-03-20"
    assert refs["003_851c2eef16447000"].title == "Serbia pledges to improve relations with NATO"
    # A tweet's date line in 000 is not the article's publication date.
    assert refs["000_e78a3b9d1444e307"].date is None


def test_markdown_front_matter_gives_metadata(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(
        "---\ntitle: Talks resume\noutlet: Example News\nauthor: Jane Roe\n"
        "date: 2025-03-01\nurl: https://example.org/a\n---\n" + BODY,
        encoding="utf-8",
    )
    (art,) = _read(tmp_path).articles
    assert (art.ref.title, art.ref.outlet, art.ref.author, art.ref.date, art.ref.url) == (
        "Talks resume",
        "Example News",
        "Jane Roe",
        "2025-03-01",
        "https://example.org/a",
    )
    assert art.text == BODY.strip()


def test_html_page_main_text_and_metadata(tmp_path: Path) -> None:
    html = (
        "<html><head><title>Talks resume | Example News</title>"
        '<meta property="og:site_name" content="Example News">'
        '<meta name="author" content="Jane Roe">'
        '<meta property="article:published_time" content="2025-03-01T10:00:00Z">'
        "</head><body><nav>Home | World | Sport</nav><article><h1>Talks resume</h1>"
        f"<p>{BODY}</p><p>Officials from both sides confirmed the schedule late on Monday.</p>"
        "</article><footer>Subscribe now</footer></body></html>"
    )
    (tmp_path / "page.html").write_text(html, encoding="utf-8")
    (art,) = _read(tmp_path).articles
    assert "the talks would continue next week" in art.text
    assert "Home | World" not in art.text
    assert art.ref.date == "2025-03-01"
    assert art.ref.outlet == "Example News"


def test_jsonl_records_and_a_broken_line(tmp_path: Path) -> None:
    good = {
        "id": "x1",
        "title": "T",
        "outlet": "O",
        "date": "2025-01-02",
        "url": None,
        "text": BODY,
    }
    lines = [
        json.dumps(good),
        "{not json",
        json.dumps({"id": "x2"}),
        json.dumps(good | {"id": "x3"}),
    ]
    (tmp_path / "feed.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _read(tmp_path)
    assert [a.id for a in result.articles] == ["x1", "x3"]
    assert result.articles[0].ref.file == "feed.jsonl"
    reasons = {s.file: s.reason for s in result.skipped}
    assert "invalid JSON" in reasons["feed.jsonl:2"]
    assert "no 'text'" in reasons["feed.jsonl:3"]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR", "binary"),
        ("latin1.txt", "Vu\u010di\u0107 said".encode("cp1250") + b" caf\xe9", "not UTF-8"),
        ("empty.txt", b"   \n\n", "empty"),
        (
            "furniture.txt",
            b"Subscription offer\nRegister for free\nLeave a Reply\n",
            "empty article",
        ),
        ("huge.txt", b"word " * 50_000, "too large"),
        ("notes.pdf", b"%PDF-1.4", "not an article file"),
        ("bad.md", b"---\ntitle: [unclosed\n---\n" + BODY.encode(), "YAML"),
    ],
)
def test_bad_files_are_reported_and_skipped(
    tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    (tmp_path / "good.txt").write_text(BODY, encoding="utf-8")
    (tmp_path / name).write_bytes(content)
    result = _read(tmp_path, max_file_bytes=100_000)
    assert [a.id for a in result.articles] == ["good"]
    (skipped,) = result.skipped
    assert skipped.file == name
    assert reason in skipped.reason


def test_duplicate_ids_keep_the_first(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(BODY, encoding="utf-8")
    (tmp_path / "feed.jsonl").write_text(
        json.dumps({"id": "a", "text": BODY}) + "\n", encoding="utf-8"
    )
    result = _read(tmp_path)
    assert [a.ref.file for a in result.articles] == ["a.txt"]
    assert "duplicate article id" in result.skipped[0].reason


def test_missing_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        read_dir(tmp_path / "nope", max_file_bytes=1000)


def test_hash_changes_with_text_and_metadata(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(BODY, encoding="utf-8")
    h1 = _read(tmp_path).articles[0].source_hash
    (tmp_path / "a.txt").write_text(
        BODY + "Another sentence was added here later.\n", encoding="utf-8"
    )
    h2 = _read(tmp_path).articles[0].source_hash
    (tmp_path / "a.txt").write_text("---\ntitle: New\n---\n" + BODY, encoding="utf-8")
    h3 = _read(tmp_path).articles[0].source_hash
    assert len({h1, h2, h3}) == 3
