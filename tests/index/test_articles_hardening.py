"""Bad input in the articles directory: links out of it, odd files, broken metadata."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from index.articles import read_dir
from index.errors import NewsdeskError

BODY = "The minister said on Monday that the talks would continue next week in Brussels.\n"


def _read(articles: Path, **kw: object):
    return read_dir(articles, max_file_bytes=10_000_000, **kw)  # type: ignore[arg-type]


def _reasons(result) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {s.file: s.reason for s in result.skipped}


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory beside the articles directory, with a text file and a folder of articles."""
    out = tmp_path / "outside"
    (out / "folder").mkdir(parents=True)
    (out / "secret.txt").write_text("root:x:0:0:root:/root:/bin/bash — a secret line here.\n")
    (out / "folder" / "b.txt").write_text(BODY, encoding="utf-8")
    return out


@pytest.fixture
def articles(tmp_path: Path) -> Path:
    arts = tmp_path / "articles"
    arts.mkdir()
    (arts / "a.txt").write_text(BODY, encoding="utf-8")
    return arts


def test_a_link_to_a_file_outside_is_skipped_and_named(articles: Path, outside: Path) -> None:
    (articles / "passwd.txt").symlink_to(outside / "secret.txt")
    result = _read(articles)
    assert [a.id for a in result.articles] == ["a"]
    reason = _reasons(result)["passwd.txt"]
    assert "outside the articles directory" in reason and "NEWSDESK_FOLLOW_LINKS" in reason


def test_a_linked_directory_and_a_dangling_link_are_reported(articles: Path, outside: Path) -> None:
    (articles / "more").symlink_to(outside / "folder", target_is_directory=True)
    (articles / "gone.txt").symlink_to(outside / "nothing-here.txt")
    result = _read(articles)
    reasons = _reasons(result)
    assert [a.id for a in result.articles] == ["a"]
    assert "link to a directory outside" in reasons["more"]
    assert "dangling link" in reasons["gone.txt"]


def test_a_fifo_is_reported_without_blocking(articles: Path) -> None:
    os.mkfifo(articles / "pipe.txt")
    result = _read(articles)
    assert "not a regular file" in _reasons(result)["pipe.txt"]


def test_links_inside_the_directory_are_read(articles: Path) -> None:
    (articles / "sub").mkdir()
    (articles / "sub" / "c.txt").write_text(BODY.replace("Monday", "Tuesday"), encoding="utf-8")
    (articles / "again.txt").symlink_to(articles / "sub" / "c.txt")
    result = _read(articles)
    assert {a.id for a in result.articles} == {"a", "again", "sub/c"}


def test_following_links_is_an_opt_in(articles: Path, outside: Path) -> None:
    (articles / "more").symlink_to(outside / "folder", target_is_directory=True)
    (articles / "passwd.txt").symlink_to(outside / "secret.txt")
    (articles / "loop").symlink_to(articles, target_is_directory=True)  # must not recurse forever
    result = _read(articles, follow_links=True)
    assert {a.id for a in result.articles} == {"a", "more/b", "passwd"}


def test_an_impossible_front_matter_date_skips_that_file_only(articles: Path) -> None:
    (articles / "bad.md").write_text("---\ndate: 2025-13-45\n---\n" + BODY, encoding="utf-8")
    result = _read(articles)
    assert [a.id for a in result.articles] == ["a"]
    assert "front matter" in _reasons(result)["bad.md"]


def test_an_unexpected_error_in_one_file_skips_that_file_only(
    articles: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import index.articles as mod

    real = mod.build_article

    def build(art_id: str, *args: object, **kw: object):  # type: ignore[no-untyped-def]
        if art_id == "boom":
            raise RuntimeError("a bug in one file's handling")
        return real(art_id, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(mod, "build_article", build)
    (articles / "boom.txt").write_text(BODY, encoding="utf-8")
    result = _read(articles)
    assert [a.id for a in result.articles] == ["a"]
    assert "a bug in one file's handling" in _reasons(result)["boom.txt"]


def test_a_missing_directory_is_a_newsdesk_error(tmp_path: Path) -> None:
    with pytest.raises(NewsdeskError, match="NEWSDESK_ARTICLES_DIR"):
        _read(tmp_path / "nope")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_text_is_read(articles: Path, encoding: str) -> None:
    (articles / "wide.txt").write_bytes(BODY.replace("Monday", "Friday").encode(encoding))
    result = _read(articles)
    assert not result.skipped
    assert "Friday" in next(a.text for a in result.articles if a.id == "wide")


def test_front_matter_fields_of_the_wrong_type_are_reported(articles: Path) -> None:
    (articles / "t.md").write_text("---\ntitle: [1, 2, 3]\n---\n" + BODY, encoding="utf-8")
    (articles / "n.md").write_text("---\ntitle: 1984\n---\n" + BODY, encoding="utf-8")
    result = _read(articles)
    assert "'title' must be text, not a list" in _reasons(result)["t.md"]
    assert next(a for a in result.articles if a.id == "n").ref.title == "1984"


def test_a_duplicate_id_names_both_lines(articles: Path) -> None:
    rows = [{"id": "x", "text": BODY}, {"id": "y", "text": BODY}, {"id": "x", "text": BODY}]
    (articles / "feed.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    reasons = _reasons(_read(articles))
    assert reasons == {"feed.jsonl:3": "duplicate article id 'x' (also in feed.jsonl:1)"}


def test_an_id_with_a_hash_cannot_pass_for_a_passage_id(articles: Path) -> None:
    (articles / "a#0.txt").write_text(BODY.replace("Monday", "Sunday"), encoding="utf-8")
    result = _read(articles)
    ids = {a.id for a in result.articles}
    assert len(ids) == 2 and not any("#" in i for i in ids)


def test_a_file_name_with_a_newline_gets_a_one_line_id(articles: Path) -> None:
    (articles / "two\nlines.txt").write_text(BODY.replace("Monday", "Sunday"), encoding="utf-8")
    result = _read(articles)
    art = next(a for a in result.articles if a.id != "a")
    assert "\n" not in art.id and art.ref.file == "two\nlines.txt"
    assert "\n" not in art.ref.label()
