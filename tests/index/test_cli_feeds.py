"""`newsdesk add` and `newsdesk feeds pull` as a person runs them (real processes)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.fakes.news_site import FERRY, GRAIN, NewsSite

pytestmark = pytest.mark.slow

RFC822 = "Wed, 14 May 2025 08:30:00 GMT"


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "index.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_add_then_feeds_pull_then_ask(tmp_path: Path) -> None:
    with NewsSite() as site:
        site.article("/world/ferries", FERRY)
        site.article("/business/grain", GRAIN)
        site.rss(
            "/rss.xml",
            [("/business/grain", GRAIN.title, RFC822), ("/world/ferries", FERRY.title, RFC822)],
        )
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("NEWSDESK_", "OPENAI_", "CHROMA_", "DISCORD_"))
        }
        env.update(
            NEWSDESK_INDEX_DIR=str(tmp_path / "index"),
            NEWSDESK_ARTICLES_DIR=str(tmp_path / "articles"),
            NEWSDESK_FETCH_ALLOW_PRIVATE="true",
            NEWSDESK_FEEDS=site.url("/rss.xml"),
            PYTHONPATH=str(REPO),
        )
        (tmp_path / "articles").mkdir()

        added = _run(["add", site.url("/world/ferries"), site.url("/nope")], tmp_path, env)
        pulled = _run(["feeds", "pull"], tmp_path, env)
        asked = _run(["ask", "What did Elin Sand say about the farmers?"], tmp_path, env)

    assert added.returncode == 1, added.stderr  # one of the two failed
    assert f"added {site.url('/world/ferries')}: {FERRY.title}" in added.stdout
    assert f"failed {site.url('/nope')}: the page answered HTTP 404" in added.stdout
    assert "1 added" in added.stdout
    assert pulled.returncode == 0, pulled.stderr
    assert f"added {site.url('/business/grain')}: {GRAIN.title}" in pulled.stdout
    assert f"unchanged {site.url('/world/ferries')}" in pulled.stdout
    assert asked.returncode == 0, asked.stderr
    assert "Right now they queue for weeks" in asked.stdout
    assert site.url("/business/grain") in asked.stdout  # the source line shows the URL


def test_feeds_pull_without_feeds_says_what_to_set(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")}
    env.update(NEWSDESK_INDEX_DIR=str(tmp_path / "index"), PYTHONPATH=str(REPO))

    done = _run(["feeds", "pull"], tmp_path, env)

    assert done.returncode == 2
    assert "NEWSDESK_FEEDS" in done.stderr
