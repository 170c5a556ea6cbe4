"""The core under bad conditions: a second reindexer, dead builds, a full disk, a damaged
index, Ctrl-C, and questions it cannot serve (real Chroma, the real local model)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index.errors import ReindexFailed, ReindexInProgress, StoreDamaged
from index.service import Newsdesk
from tests.conftest import DEMO_ARTICLES, REPO, make_settings

pytestmark = pytest.mark.slow
QUESTION = "What did Rutte say about Dodik?"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    target = tmp_path / "articles"
    shutil.copytree(DEMO_ARTICLES, target)
    return target


@pytest.fixture
def desk(tmp_path: Path, corpus: Path, local_model: Any) -> Newsdesk:
    return Newsdesk.open(make_settings(tmp_path / "index", corpus), embedder=local_model)


class Interrupting:
    """The real model, except that embedding documents is interrupted (Ctrl-C)."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def get_text_embedding_batch(self, texts: list[str], **kw: Any) -> list[list[float]]:
        raise KeyboardInterrupt

    def __getattr__(self, name: str) -> Any:
        return getattr(self.model, name)


def _holder(index_dir: Path) -> subprocess.Popen[str]:
    """Another process that holds the reindex lease until its stdin closes."""
    code = (
        "import sys; from pathlib import Path; from index.lease import ReindexLease\n"
        f"with ReindexLease(Path({str(index_dir)!r})):\n"
        "    print('held', flush=True); sys.stdin.read()\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_a_reindex_in_another_process_is_waited_for_not_duplicated(
    desk: Newsdesk, tmp_path: Path
) -> None:
    desk.reindex()
    names = desk.store.generation_names()
    holder = _holder(tmp_path / "index")
    try:
        with pytest.raises(ReindexInProgress, match=f"process {holder.pid}"):
            desk.reindex(full=True)
        assert desk.store.generation_names() == names  # nothing built beside it
    finally:
        holder.communicate("", timeout=30)
    assert desk.reindex(full=True).chunks_embedded > 0  # the lease went with its process


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "pass"], check=True)
    assert done.returncode == 0
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait(timeout=30)
    return proc.pid


def test_builds_of_dead_processes_go_at_the_next_reindex_and_live_ones_stay(
    desk: Newsdesk,
) -> None:
    desk.reindex()
    store = desk.store
    dead = store.create({"model": "x"})
    dead.info["owner_pid"] = _dead_pid()
    dead.chunks.modify(metadata=dict(dead.info))
    stale = store.create({"model": "x"})
    stale.info.update(owner_host="elsewhere", heartbeat=time.time() - 3600)
    stale.chunks.modify(metadata=dict(stale.info))
    live = store.create({"model": "x"})  # this process, beating now
    half = f"{store.prefix}-g00000000000000half-chunks"  # a build that made one collection yet
    store.client.create_collection(
        half, metadata={**live.info, "heartbeat": time.time()}, embedding_function=None
    )
    (desk.settings.core.articles_dir / "new.txt").write_text(
        "A new article about the summit in Vienna next month and its agenda.\n"
    )
    desk.reindex()
    names = store.generation_names()
    assert dead.name not in names and stale.name not in names
    assert live.name in names and "g00000000000000half" in names


def test_ctrl_c_is_not_a_failure_and_leaves_no_build(
    tmp_path: Path, corpus: Path, local_model: Any
) -> None:
    desk = Newsdesk.open(
        make_settings(tmp_path / "index", corpus), embedder=Interrupting(local_model)
    )  # type: ignore[arg-type]
    with pytest.raises(KeyboardInterrupt):
        desk.reindex()
    assert desk.store.generation_names() == set()


def test_one_bad_article_does_not_stop_the_reindex(desk: Newsdesk, corpus: Path) -> None:
    (corpus / "bad.md").write_text("---\ndate: 2025-13-45\n---\nSome text about the talks.\n")
    summary = desk.reindex()
    assert summary.added == 5 and [s.file for s in summary.skipped] == ["bad.md"]


def test_nonsense_and_other_languages_are_refused_with_a_reason(demo_desk: Newsdesk) -> None:
    for question in ("xxxx", "bob"):
        answer = demo_desk.ask(question, offline=True)
        assert answer.refused and not answer.citations, question
    serbian = demo_desk.ask("Šta je Rutte rekao o Dodiku?", offline=True)
    assert serbian.refused and "in English" in serbian.text


def test_a_lone_surrogate_is_cleaned_out_of_a_question(demo_desk: Newsdesk) -> None:
    answer = demo_desk.ask("What did Rutte say about Dodik?\ud800", offline=True)
    assert not answer.refused and answer.question == QUESTION


def _mount_tmpfs(where: Path, size: str) -> bool:
    where.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True,
        check=False,
        timeout=30,
    )
    return done.returncode == 0


@pytest.mark.parametrize("room_kb", [0, 200])
def test_a_full_disk_is_named_and_the_previous_index_serves(
    tmp_path: Path, corpus: Path, local_model: Any, room_kb: int
) -> None:
    disk = tmp_path / "small-disk"
    if not _mount_tmpfs(disk, "24m"):
        pytest.skip("needs root to mount a small tmpfs")
    try:
        desk = Newsdesk.open(make_settings(disk / "index", corpus), embedder=local_model)
        desk.reindex()
        before = desk.ask(QUESTION, offline=True).text
        free = shutil.disk_usage(disk).free
        with (disk / "ballast").open("wb") as f:
            f.truncate(0)
            f.write(b"\0" * max(free - room_kb * 1024, 0))
        with pytest.raises(ReindexFailed, match=f"no space left in {disk / 'index'}"):
            desk.reindex(full=True)
        assert desk.ask(QUESTION, offline=True).text == before
        desk.close()
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False, timeout=30)


def _damaged_index(index_dir: Path) -> None:
    """An index big enough for Chroma to keep an HNSW segment on disk, then random bytes in it."""
    settings = make_settings(index_dir)
    code = (
        "import numpy as np; from pathlib import Path\n"
        "from tests.conftest import make_settings\n"
        "from index.models import ArticleRef\n"
        "from index.store import ArticleRecord, ChunkRecord, Store, connect\n"
        f"store = Store(connect(make_settings(Path({str(index_dir)!r}))))\n"
        "g = store.create({})\n"
        "v = np.random.default_rng(0).normal(size=(1500, 384)); v /= np.linalg.norm(v, axis=1)[:, None]\n"
        "Store.add_chunks(g, [ChunkRecord(f'a{i % 50}#{i}', f'a{i % 50}', 0, 9, f'word{i} text', v[i].tolist()) for i in range(1500)])\n"
        "Store.add_articles(g, [ArticleRecord(ArticleRef(f'a{j}', f'a{j}.txt'), 'some text', 'h', v[j].tolist()) for j in range(50)])\n"
        "store.publish(g)\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, timeout=300)
    segments = list((index_dir / "chroma").glob("*/*.bin"))
    assert segments, "Chroma kept no HNSW files; make the index bigger"
    rng = np.random.default_rng(1)
    for path in segments:
        path.write_bytes(rng.bytes(max(path.stat().st_size, 1024)))
    del settings


def test_a_damaged_index_says_where_and_how_to_fix_it_and_full_rebuilds(
    tmp_path: Path, corpus: Path, local_model: Any
) -> None:
    _damaged_index(tmp_path / "index")
    desk = Newsdesk.open(make_settings(tmp_path / "index", corpus), embedder=local_model)
    with pytest.raises(StoreDamaged, match=r"index in .*index is damaged.*index --full"):
        desk.ask(QUESTION, offline=True)
    with pytest.raises(StoreDamaged, match="index --full"):
        desk.reindex()  # incremental would read the damaged generation
    desk.reindex(full=True)
    assert not desk.ask(QUESTION, offline=True).refused
