"""Feeds: pages per second for a pull of N local pages, and the time from a feed item appearing
to it being answerable.

    python -m benchmarks.feeds [--pages 200]

A news site on 127.0.0.1 (tests/fakes/news_site.py) serves an RSS feed of N article pages
with real-looking markup (navigation, related stories, comments). One `Intake.pull` over an
empty folder and index fetches every page, extracts it (trafilatura), writes the `.md` files
and indexes them (the real `Newsdesk`: local model, embedded Chroma in a temp directory); its
stages are timed apart. Then one new item appears in the feed; the time until `Newsdesk.ask`
answers a question about it with a quote from it is measured: a pull (as the bot's timer runs
it) plus the question. The bot waits up to NEWSDESK_FEED_MINUTES for its next pull on top.
The stories are generated from templates (made up; nothing from the corpus).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.fakes.news_site import NewsSite, Story

TOWNS = ["Skarvik", "Norrby", "Ekholm", "Lunden", "Tallmo", "Brevik", "Hagby", "Solvik"]
TOPICS = [
    ("a new school", "classrooms", "teachers"),
    ("the harbour wall", "storm damage", "fishermen"),
    ("a cycle path", "traffic", "commuters"),
    ("the town library", "opening hours", "readers"),
    ("a wind farm", "turbines", "landowners"),
    ("the railway station", "delays", "passengers"),
    ("a care home", "staffing", "families"),
    ("the football ground", "floodlights", "supporters"),
]
FIRST = ["Anna", "Erik", "Maja", "Lars", "Sofia", "Nils", "Karin", "Olof", "Elsa", "Henrik"]
LAST_HEAD = ["Berg", "Lind", "Ek", "Sand", "Holm", "Ny", "Sjö", "Ström", "Vik", "Dal"]
LAST_TAIL = ["gren", "qvist", "lund", "man", "sten", "by", "mark", "ell", "ander", "ros"]
NAMES = [f"{f} {h}{t}" for f in FIRST for h in LAST_HEAD for t in LAST_TAIL]


def story(n: int, rng: random.Random, speaker: str) -> tuple[Story, str]:
    """A made-up article and a question its quote answers."""
    town = rng.choice(TOWNS)
    thing, issue, people = rng.choice(TOPICS)
    cost = rng.randint(2, 90)
    day = rng.choice(["Monday", "Tuesday", "Friday"])
    paragraphs = (
        f"The council in {town} approved plans for {thing} on {day}, after months of debate "
        f"about {issue} and a budget of {cost} million crowns.",
        f'"{thing.capitalize()} is our promise to the {people}, and we intend to keep it," said '
        f"committee chair {speaker}, who led the talks with local groups.",
        f"Work is expected to start in {rng.choice(['spring', 'autumn', 'the new year'])}. "
        f"Critics said the {issue} had been ignored for too long.",
        f"The decision will be reviewed in {rng.randint(2, 9)} years, officials in {town} said.",
    )
    title = f"{town} approves {thing} after debate on {issue} ({n})"
    story = Story(title, paragraphs, author=f"Reporter {n}", date="2025-05-14")
    return story, f"What did {speaker} say about {thing}?"


def run(pages: int) -> dict[str, Any]:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from index.config import ChromaSettings, CoreSettings, OpenAISettings, Settings
    from index.feeds import Intake
    from index.service import Newsdesk

    rng = random.Random(13)
    speakers = rng.sample(NAMES, pages + 1)
    stories = [story(n, rng, speakers[n]) for n in range(pages + 1)]
    with NewsSite() as site, tempfile.TemporaryDirectory(prefix="newsdesk-feeds-") as tmp:
        items = []
        for n, (s, _) in enumerate(stories[:pages]):
            site.article(f"/news/{n}", s)
            items.append((f"/news/{n}", s.title, "Wed, 14 May 2025 08:30:00 GMT"))
        site.rss("/rss.xml", items)
        articles = Path(tmp) / "articles"
        articles.mkdir()
        no_env: dict[str, Any] = {"_env_file": None}
        settings = Settings(
            core=CoreSettings(
                **no_env,
                index_dir=Path(tmp) / "index",
                articles_dir=articles,
                feeds=[site.url("/rss.xml")],
                fetch_allow_private=True,
            ),
            openai=OpenAISettings(**no_env),
            chroma=ChromaSettings(**no_env),
        )
        desk = Newsdesk.open(settings)
        intake = Intake(desk)
        stages: dict[str, float] = {}
        last = {"t": time.perf_counter()}

        def progress(line: str) -> None:
            if line == "indexing":
                stages["fetch_extract_write_s"] = time.perf_counter() - last["t"]

        cpu0 = time.process_time()
        t0 = time.perf_counter()
        report = intake.pull(progress=progress)
        total = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
        added = len(report.written)
        assert added == pages, f"{added} of {pages} pages added: {report.lines()[:5]}"
        fetch_s = stages["fetch_extract_write_s"]
        index_s = total - fetch_s

        # A new item appears in the feed; how long until a question about it is answered?
        new, question = stories[pages]
        site.article("/news/new", new)
        site.rss("/rss.xml", [("/news/new", new.title, "Thu, 15 May 2025 08:30:00 GMT"), *items])
        t1 = time.perf_counter()
        fresh = intake.pull()
        pulled = time.perf_counter() - t1
        answer = desk.ask(question)
        answerable = time.perf_counter() - t1
        found = any(c.article.url == site.url("/news/new") for c in answer.citations)
        assert found, f"the new article was not quoted: {answer.text}"
        intake.close()
        desk.close()
        return {
            "pages": pages,
            "pull_s": round(total, 2),
            "pages_per_s": round(pages / total, 1),
            "fetch_extract_write_s": round(fetch_s, 2),
            "fetch_extract_write_pages_per_s": round(pages / fetch_s, 1),
            "index_s": round(index_s, 2),
            "chunks_embedded": report.reindex.chunks_embedded if report.reindex else None,
            "pull_cpu_s": round(cpu, 2),
            "new_item_pull_s": round(pulled, 2),
            "new_item_answerable_s": round(answerable, 2),
            "new_item_pages_fetched": len(fresh.items),
            "load_average": os.getloadavg()[0],
        }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--pages", type=int, default=200)
    args = ap.parse_args(argv)
    result = run(args.pages)
    print(json.dumps(result, indent=2))
    print(
        f"\npull of {result['pages']} local pages: {result['pages_per_s']} pages/s "
        f"({result['pull_s']} s: fetch+extract+write {result['fetch_extract_write_s']} s = "
        f"{result['fetch_extract_write_pages_per_s']} pages/s, index {result['index_s']} s)\n"
        f"new feed item to answerable: {result['new_item_answerable_s']} s after the pull starts "
        "(plus up to NEWSDESK_FEED_MINUTES until the bot's next pull)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
