"""The `newsdesk` command as a person and other tools use it (real processes)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CITATION_KEYS, DEMO_ARTICLES, REPO

pytestmark = pytest.mark.slow


def _run(
    args: list[str], cwd: Path, env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "index.cli", *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("cli")
    articles = root / "articles"
    shutil.copytree(DEMO_ARTICLES, articles)
    (articles / "broken.txt").write_bytes(b"\xff\xfe\x00\x00binary")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("NEWSDESK_", "OPENAI_", "CHROMA_", "DISCORD_"))
    }
    env.update(
        NEWSDESK_INDEX_DIR=str(root / "index"),
        NEWSDESK_ARTICLES_DIR=str(articles),
        PYTHONPATH=str(REPO),
    )
    return root, env


def test_index_reports_summary_and_skipped_file(workspace: tuple[Path, dict[str, str]]) -> None:
    root, env = workspace
    done = _run(["index", "--json"], root, env)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["added"] == 5 and summary["chunks_embedded"] > 0
    assert summary["skipped"] == [{"file": "broken.txt", "reason": summary["skipped"][0]["reason"]}]
    assert "binary" in summary["skipped"][0]["reason"]
    again = _run(["index"], root, env)
    assert "0 added, 0 updated, 0 removed, 5 unchanged, 1 skipped" in again.stdout
    assert "skipped broken.txt" in again.stdout


def test_ask_prints_quotes_and_sources(workspace: tuple[Path, dict[str, str]]) -> None:
    root, env = workspace
    done = _run(["ask", "What did Rutte say about Dodik?"], root, env)
    assert done.returncode == 0, done.stderr
    assert "\n> " in done.stdout and "expects him to accept the verdict" in done.stdout
    assert (
        "Sources:" in done.stdout
        and "[1]" in done.stdout
        and "002_6a8378299aee2b24.txt" in done.stdout
    )


def test_ask_jsonl_contract(workspace: tuple[Path, dict[str, str]]) -> None:
    root, env = workspace
    questions = (
        "What did Rutte say about Dodik?\n\n" + json.dumps({"question": "Who won the cup?"}) + "\n"
    )
    done = _run(["ask", "--jsonl"], root, env, stdin=questions)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["question"] for r in rows] == ["What did Rutte say about Dodik?", "Who won the cup?"]
    first, second = rows
    assert first["refused"] is False and first["mode"] == "extractive"
    for c in first["citations"]:
        assert set(c) >= CITATION_KEYS
        text = (DEMO_ARTICLES / c["file"]).read_text(encoding="utf-8")
        assert c["quote"] in text
    assert first["retrieved"][0]["score"] >= first["retrieved"][-1]["score"]
    assert "total" in first["timings_ms"]
    assert second["refused"] is True and second["citations"] == []


def test_sources_source_and_eval(workspace: tuple[Path, dict[str, str]]) -> None:
    root, env = workspace
    listed = _run(["sources"], root, env)
    assert listed.returncode == 0 and len(listed.stdout.strip().splitlines()) == 5
    shown = _run(["source", "pledges to improve"], root, env)
    assert shown.returncode == 0 and "Serbia pledges to improve relations with NATO" in shown.stdout
    missing = _run(["source", "zebra migration"], root, env)
    assert missing.returncode == 1 and "No indexed article matches" in missing.stderr
    scored = _run(
        ["eval", str(REPO / "tests" / "data" / "demo_questions.jsonl"), "--json"], root, env
    )
    assert scored.returncode == 0, scored.stderr
    summary = json.loads(scored.stdout)["summary"]
    assert summary["quote_faithfulness"] == 1.0 and summary["questions"] == 20


def test_bad_settings_and_empty_question_are_clear(workspace: tuple[Path, dict[str, str]]) -> None:
    root, env = workspace
    bad = _run(["sources"], root, env | {"NEWSDESK_TOP_K": "lots"})
    assert bad.returncode == 2 and "invalid settings" in bad.stderr
    empty = _run(["ask", "  "], root, env)
    assert empty.returncode == 2 and "give a question" in empty.stderr


def test_ask_jsonl_goes_on_past_a_bad_line(workspace: tuple[Path, dict[str, str]]) -> None:
    root, env = workspace
    questions = (
        '"What did Rutte say \\ud800about Dodik?"\n[1, 2]\nWhat did Rutte say about Dodik?\n'
    )
    done = _run(["ask", "--jsonl"], root, env, stdin=questions)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(rows) == 3
    assert rows[0]["question"] == "What did Rutte say about Dodik?" and not rows[0]["refused"]
    assert rows[2]["citations"] == rows[0]["citations"]


def test_a_missing_articles_folder_is_one_line(workspace: tuple[Path, dict[str, str]]) -> None:
    root, env = workspace
    done = _run(["index", "--articles", str(root / "no-such-folder")], root, env)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "NEWSDESK_ARTICLES_DIR" in done.stderr


def test_the_bot_command_lives_in_the_bot_package(workspace: tuple[Path, dict[str, str]]) -> None:
    root, env = workspace
    core = _run(["--help"], root, env)
    assert core.returncode == 0 and "bot" not in core.stdout.split("positional")[0].split("{")[1]
    done = subprocess.run(
        [sys.executable, "-m", "bot", "bot"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1 and "DISCORD_TOKEN is not set" in done.stderr
