"""The benchmark's quick-mode functions on tiny data: the JSON has its keys and sane values.

Not a timed test: it checks that the benchmark runs and reports, not how fast newsdesk is.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import bench

pytestmark = pytest.mark.slow


def tiny_corpus(path: Path) -> Path:
    """Three made-up news records (the project's tests never read the research corpora)."""
    records = [
        {
            "id": f"tiny-{i}",
            "title": f"Harbour report number {i}",
            "outlet": "Test Wire",
            "date": "2024-01-0{i}",
            "url": None,
            "text": f"The harbour of town {i} reopened on Monday after repairs. "
            "Officials said ships would return within a week. " * 8,
        }
        for i in range(1, 4)
    ]
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return path


def tiny_dev(path: Path) -> Path:
    rows = [
        ("t1", "What did Rutte say about Dodik?", ["002_6a8378299aee2b24.txt"], True),
        ("t2", "When did the harbour reopen?", ["tiny.jsonl"], True),
        ("t3", "How many free articles can I read per month?", [], False),
    ]
    path.write_text(
        "".join(
            json.dumps({"id": i, "question": q, "sources": s, "answerable": a}) + "\n"
            for i, q, s, a in rows
        ),
        encoding="utf-8",
    )
    return path


def test_quick_run_reports_every_measurement(tmp_path: Path) -> None:
    cfg = bench.Config(
        corpus=tiny_corpus(tmp_path / "tiny.jsonl"),
        dev=tiny_dev(tmp_path / "dev.jsonl"),
        corpus_limit=2,
        synthetic_chunks=60,
        query_repeats=1,
        memory=True,
        quick=True,
    )

    results = bench.run(cfg, tmp_path / "work")
    out = json.loads(json.dumps(results))  # what --out writes

    assert set(out) == {"meta", "ingest", "noop_reindex", "quality", "query", "memory", "targets"}
    assert out["meta"]["corpus_articles"] == 2
    ingest = out["ingest"]
    assert ingest["newsdesk"]["chunks"] == ingest["raw_model"]["chunks"] > 0
    assert ingest["newsdesk"]["articles"] == 5 + 2
    assert ingest["llamaindex_default"]["chunks"] > 0
    assert 0 < ingest["ratio_vs_raw"] < 10
    assert out["noop_reindex"]["chunks_embedded"] == 0
    assert out["noop_reindex"]["same_generation"] is True
    assert set(out["query"]) == {"demo", "demo+news", "synthetic"}
    for q in out["query"].values():
        assert q["queries"] == 3
        assert 0 < q["p50_ms"] <= q["p95_ms"]
    assert out["query"]["synthetic"]["synthetic_chunks"] == 60
    assert out["query"]["synthetic"]["chunks"] == 60 + out["query"]["demo"]["chunks"]
    for name in ("newsdesk", "llamaindex_default"):
        r = out["quality"][name]
        assert r["questions"] == 2
        assert 0 <= r["mrr"] <= r["hit_at_5"] <= 1
    assert out["memory"]["peak_rss_mb"] >= out["memory"]["rss_mb_model_loaded"] > 0
    assert {t["name"] for t in out["targets"]} == {t.name for t in bench.TARGETS}
    assert all(t["measured"] is not None for t in out["targets"])
    assert "Targets" in bench.table(results)
