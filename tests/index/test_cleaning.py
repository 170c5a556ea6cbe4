"""Page furniture is dropped, article lines are kept unchanged."""

from __future__ import annotations

import pytest

from index.cleaning import clean
from tests.conftest import DEMO_ARTICLES


def _raw(prefix: str) -> str:
    return next(DEMO_ARTICLES.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("prefix", "furniture"),
    [
        (
            "000",
            [
                "Subscription offer",
                "Register for free",
                "read up to 5 articles each month",
                "Please Log in",
                "655cdc6885f5405cc909c793",
                "Photo: x.com/SecGenNATO",
            ],
        ),
        (
            "001",
            [
                "#Serbia",
                "#KFOR",
                "This material is distributed by Yorktown Solutions",
                "21.7K",
                "Search",
            ],
        ),
        ("002", ["Bonus video:"]),
        (
            "003",
            [
                "Read more",
                "NATO cheerleader calls for new bombing of Belgrade",
                "Leave a Reply",
                "Your email address will not be published",
                "655cdc6885f5405cc909c793",
            ],
        ),
        ("004", ["1897 views", "Photo: REUTERS", "Disclaimer: The translations", "Bonus video:"]),
    ],
)
def test_demo_page_furniture_is_removed(prefix: str, furniture: list[str]) -> None:
    text = clean(_raw(prefix)).text
    for piece in furniture:
        assert piece not in text.split("\n"), piece
        assert piece not in text, piece


def test_every_kept_line_is_verbatim_from_the_page() -> None:
    for path in DEMO_ARTICLES.glob("*.txt"):
        raw = path.read_text(encoding="utf-8")
        for line in clean(raw).text.split("\n"):
            assert line in raw, (path.name, line)


def test_article_sentences_survive_cleaning() -> None:
    kept = clean(_raw("002")).text
    assert "expects him to accept the verdict of the independent judiciary" in kept
    assert "I call on the three-member Presidency of BiH" in kept
    kept = clean(_raw("001")).text
    # The embedded post is what Rutte wrote: content, not furniture.
    assert "We discussed the critical importance of upholding regional security" in kept


def test_repeated_lead_paragraph_is_kept_once() -> None:
    kept = clean(_raw("004")).text
    assert kept.count("I was recently in Sarajevo and Pristina") == 1


@pytest.mark.parametrize(
    "line",
    [
        "He said he would read more about the case before deciding.",
        "Photos of the meeting were published on Tuesday by the presidency.",
        "The subscription offer was rejected by the regulator, the agency said.",
        "Or so the minister claimed in his statement on Monday evening.",
        "In 2025 the alliance had 32 members.",
        "COVID19 cases rose again.",
    ],
)
def test_sentences_that_mention_furniture_words_are_kept(line: str) -> None:
    assert clean(f"Headline here\n\n{line}\n").text.endswith(line)


def test_dropped_lines_name_their_rule() -> None:
    dropped = {d.text: d.rule for d in clean(_raw("003")).dropped}
    assert dropped["Read more"] == "teaser"
    assert dropped["NATO cheerleader calls for new bombing of Belgrade"] == "teaser"
    assert dropped["Leave a Reply"] == "comments"
    assert dropped["655cdc6885f5405cc909c793 Us0eb6"] == "stray-id"
