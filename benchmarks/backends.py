"""Embedding backends side by side, and one backend at a corpus's size.

    python -m benchmarks.bench --backends torch,onnx,onnx-int8 [--corpus C] [--limit N]
    python -m benchmarks.bench --scale ../shared/corpus/news-17k.jsonl --backend onnx-int8

`--backends`: on demo + the corpus, the raw PyTorch sentence-transformers model embeds the
chunk texts of a full reindex; then, per backend, a full reindex (CPU and wall seconds, the
share in the model), a no-change reindex, the query embedding alone, `ask(q, offline=True)`
latency, and retrieval and answer quality on dev.jsonl and dev-news.jsonl (scored by article
id: dev.jsonl names files, dev-news.jsonl names `news-2k.jsonl` ids).

`--scale`: one backend at the size of a corpus: build, RSS and peak RSS of the building
process, a no-change reindex, query latency, dev-news retrieval, and the memory of a fresh
serving process with the model runtime's share.

CPU seconds count every thread of this process. The load average around each stage is kept,
since the machine may be shared.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import re
import time
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.bench import (
    DEV,
    REPO_ROOT,
    TOP_K,
    Clock,
    TimedEmbedder,
    _rss_mb,
    bench_settings,
    chunk_texts,
    ingest_newsdesk,
    ingest_raw,
    load_dev,
    make_corpus_dir,
    measure_memory,
    noop_reindex,
    percentile,
    query_latency,
    say,
)
from index.embedding import make_embedder, model_key
from index.service import Newsdesk

DEV_NEWS = REPO_ROOT.parent / "shared" / "eval" / "dev-news.jsonl"
NEWS_2K = REPO_ROOT.parent / "shared" / "corpus" / "news-2k.jsonl"
QUERY_REPEATS = 2  # timed passes over the questions, after the scored pass


# -- scoring ----------------------------------------------------------------------------------


def norm(text: str) -> str:
    """The dev sets' normalisation: NFKC, lower case, straight quotes, alphanumerics only."""
    t = unicodedata.normalize("NFKC", text).lower()
    t = t.replace("“", '"').replace("”", '"').replace("‘", "'").replace("’", "'")
    return " ".join(re.sub(r"[^\w]|_", " ", t).split())


def gold_ids(row: dict[str, Any]) -> list[str]:
    """The article ids that answer a question (`source_ids`, or `sources` file stems)."""
    if row.get("source_ids"):
        return list(row["source_ids"])
    return [Path(f).with_suffix("").as_posix() for f in row.get("sources") or []]


def score(desk: Newsdesk, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Retrieval (hit@5, MRR over `retrieve`) and offline answers, one pass over `rows`."""
    snap = desk.snapshot
    hits = ev_any = ev_all = cited_ok = answered = refused_ok = 0
    rr = 0.0
    quotes = faithful = 0
    answerable = [r for r in rows if r.get("answerable")]
    misses = []
    for row in rows:
        gold = set(gold_ids(row))
        if row.get("answerable"):
            ids = [p.article.id for p in desk.retrieve(row["question"], TOP_K)]
            rank = next((i + 1 for i, a in enumerate(ids) if a in gold), None)
            hits += rank is not None
            rr += 1 / rank if rank else 0
            if rank is None:
                misses.append(row["id"])
        answer = desk.ask(row["question"], offline=True)
        for c in answer.citations:
            quotes += 1
            faithful += (
                bool(c.quote) and snap.article_text(c.article.id)[c.start : c.end] == c.quote
            )
        if not row.get("answerable"):
            refused_ok += answer.refused
            continue
        if answer.refused:
            continue
        answered += 1
        text = norm(answer.text + " " + " ".join(c.quote for c in answer.citations))
        found = [norm(e) in text for e in row.get("evidence") or []]
        ev_any += any(found)
        ev_all += bool(found) and all(found)
        cited_ok += any(c.article.id in gold for c in answer.citations)
    n, u = len(answerable), len(rows) - len(answerable)
    return {
        "questions": len(rows),
        "answerable": n,
        f"hit_at_{TOP_K}": round(hits / n, 4) if n else None,
        "mrr": round(rr / n, 4) if n else None,
        "evidence_any": round(ev_any / n, 4) if n else None,
        "evidence_all": round(ev_all / n, 4) if n else None,
        "cited_gold": round(cited_ok / n, 4) if n else None,
        "answer_rate": round(answered / n, 4) if n else None,
        "refusal_accuracy": round(refused_ok / u, 4) if u else None,
        "quote_faithfulness": round(faithful / quotes, 4) if quotes else None,
        "retrieval_misses": misses,
    }


def query_embedding(embedder: Any, questions: Sequence[str], repeats: int) -> dict[str, Any]:
    """The query embedding alone: wall and CPU milliseconds per question."""
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(repeats):
        for q in questions:
            t, c = time.perf_counter(), time.process_time()
            embedder.get_query_embedding(q)
            wall.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
    return {
        "p50_ms": round(percentile(wall, 50), 2),
        "p95_ms": round(percentile(wall, 95), 2),
        "cpu_p50_ms": round(percentile(cpu, 50), 2),
    }


# -- the runs ---------------------------------------------------------------------------------


def run_backends(
    backends: Sequence[str],
    corpus: Path,
    limit: int | None,
    workdir: Path,
    *,
    raw_every: int = 1,
    repeats: int = QUERY_REPEATS,
) -> dict[str, Any]:
    dev = load_dev(DEV)
    dev_news = load_dev(DEV_NEWS)
    questions = [r["question"] for r in dev + dev_news]
    corpus_dir = workdir / "articles"
    n = make_corpus_dir(corpus_dir, corpus, limit)
    label = f"demo + {n} {corpus.stem} articles"
    results: dict[str, Any] = {"corpus": label, "backends": {}}

    texts = chunk_texts(corpus_dir, bench_settings(workdir / "unused", corpus_dir))[::raw_every]
    say(f"raw PyTorch model on {len(texts)} chunk texts of {label} (every {raw_every})")
    raw = ingest_raw(texts)
    raw["every"] = raw_every
    results["raw_model"] = raw
    gc.collect()

    for backend in backends:
        say(f"{backend}: full reindex of {label}")
        settings = bench_settings(workdir / f"index-{backend}", corpus_dir, backend)
        t = time.perf_counter()
        embedder = make_embedder(settings)
        load_s = time.perf_counter() - t
        desk = Newsdesk.open(settings, embedder=TimedEmbedder(embedder))
        ingest = ingest_newsdesk(desk, corpus_dir)
        # Throughput ratios: the raw model may have embedded a sample of the same texts.
        ingest["ratio_vs_raw_wall"] = round(ingest["chunks_per_s"] / raw["chunks_per_s"], 3)
        ingest["ratio_vs_raw_cpu"] = round(ingest["chunks_per_cpu_s"] / raw["chunks_per_cpu_s"], 3)
        ingest["model_load_seconds"] = round(load_s, 2)
        say(f"{backend}: no-change reindex, quality, latency")
        out: dict[str, Any] = {
            "model_key": model_key(settings),
            "ingest": ingest,
            "noop_reindex": noop_reindex(desk, corpus_dir),
            "quality": {"dev": score(desk, dev), "dev-news": score(desk, dev_news)},
            "query_embedding": query_embedding(embedder, questions, repeats),
            "query": query_latency(desk, questions, repeats),
        }
        results["backends"][backend] = out
        say(f"{backend}: done: {json.dumps(out)}")
        del desk, embedder
        gc.collect()
    return results


def run_scale(
    corpus: Path, limit: int | None, backend: str, workdir: Path, *, serve_only: bool = False
) -> dict[str, Any]:
    """Build demo + `corpus` in `workdir`, then measure serving. With `serve_only`, the build
    of an earlier run kept in `workdir` is reused and its build figures are carried over."""
    dev_news = load_dev(DEV_NEWS)
    questions = [r["question"] for r in load_dev(DEV) + dev_news]
    corpus_dir = workdir / "articles"
    settings = bench_settings(workdir / "index", corpus_dir, backend)
    earlier: dict[str, Any] = {}
    if serve_only:
        earlier = json.loads((workdir / "build.json").read_text(encoding="utf-8"))
        n, label, build = earlier["n"], earlier["label"], earlier["build"]
        desk = Newsdesk.open(settings)
    else:
        n = make_corpus_dir(corpus_dir, corpus, limit)
        label = f"demo + {n} {corpus.stem} articles"
        start = _rss_mb()
        embedder = make_embedder(settings)
        desk = Newsdesk.open(settings, embedder=TimedEmbedder(embedder))
        model = _rss_mb()
        say(f"{backend}: full build of {label}")
        with Clock() as clock:
            build = ingest_newsdesk(desk, corpus_dir)
        built = _rss_mb()
        build |= {
            "rss_mb_before": start["VmRSS"],
            "rss_mb_model_loaded": model["VmRSS"],
            "rss_mb_after_build": built["VmRSS"],
            "peak_rss_mb": built["VmHWM"],
        }
        (workdir / "build.json").write_text(
            json.dumps({"n": n, "label": label, "build": build}), encoding="utf-8"
        )
        say(f"{backend}: built in {clock.wall:.0f} s")
    if serve_only and "noop_reindex" in earlier:  # an index of an older annotation version
        noop = earlier["noop_reindex"] | {"carried_over": True}  # would be rebuilt, not reused
    else:
        say(f"{backend}: no-change reindex")
        noop = noop_reindex(desk, corpus_dir)
    say(f"{backend}: queries")
    quality = score(desk, dev_news)
    query = query_latency(desk, questions, QUERY_REPEATS)
    del desk
    gc.collect()
    say(f"{backend}: memory of a fresh serving process")
    memory = measure_memory(settings.core.index_dir, DEV, backend)
    return {
        "corpus": label,
        "articles": n + 5,
        "backend": backend,
        "build": build,
        "serve_only": serve_only,
        "noop_reindex": noop,
        "quality_dev_news": quality,
        "query": query,
        "serving_memory": memory,
        "loadavg": os.getloadavg(),
    }


# -- output -----------------------------------------------------------------------------------


def backends_table(r: dict[str, Any]) -> str:
    raw = r["raw_model"]
    lines = [
        f"Backends ({r['corpus']}); raw PyTorch model: {raw['chunks']} chunks, "
        f"{raw['seconds']:.1f} s wall, {raw['cpu_seconds']:.1f} CPU-s, "
        f"{raw['chunks_per_s']} chunks/s, {raw['chunks_per_cpu_s']} chunks/CPU-s",
        f"  {'backend':<10} {'wall s':>7} {'CPU-s':>7} {'x raw wall':>10} {'x raw CPU':>9} "
        f"{'in model s':>10} {'no-op s':>7} {'q-emb ms':>8} {'p50 ms':>6} {'p95 ms':>6}  "
        "dev hit@5/MRR  dev-news hit@5/MRR  dev-news evidence",
    ]
    for name, b in r["backends"].items():
        i, d, dn = b["ingest"], b["quality"]["dev"], b["quality"]["dev-news"]
        lines.append(
            f"  {name:<10} {i['seconds']:>7.1f} {i['cpu_seconds']:>7.1f} "
            f"{i['ratio_vs_raw_wall']:>10.2f} {i['ratio_vs_raw_cpu']:>9.2f} "
            f"{i['seconds_in_model']:>10.1f} {b['noop_reindex']['seconds']:>7.2f} "
            f"{b['query_embedding']['p50_ms']:>8.2f} {b['query']['p50_ms']:>6.1f} "
            f"{b['query']['p95_ms']:>6.1f}  {d['hit_at_5']:.3f}/{d['mrr']:.3f}    "
            f"{dn['hit_at_5']:.3f}/{dn['mrr']:.3f}         {dn['evidence_any']:.3f}"
        )
    return "\n".join(lines)


def scale_table(r: dict[str, Any]) -> str:
    b, m, q = r["build"], r["serving_memory"], r["query"]
    return "\n".join(
        [
            f"Scale ({r['corpus']}, {r['backend']})",
            f"  build: {b['chunks']} chunks, {b['seconds']:.0f} s wall, {b['cpu_seconds']:.0f} "
            f"CPU-s, {b['seconds_in_model']:.0f} s in the model; peak RSS {b['peak_rss_mb']} MB",
            f"  no-change reindex: {r['noop_reindex']['seconds']:.2f} s",
            f"  query p50 {q['p50_ms']} ms, p95 {q['p95_ms']} ms ({q['p50_parts_ms']})",
            f"  serving: {m['rss_mb_after_questions']} MB RSS, peak {m['peak_rss_mb']} MB, "
            f"model runtime {m['model_runtime_mb']} MB ({m['model_runtime_share']:.0%})",
            f"  dev-news: hit@5 {r['quality_dev_news']['hit_at_5']}, "
            f"MRR {r['quality_dev_news']['mrr']}",
        ]
    )


def growth_chart(runs: Sequence[dict[str, Any]], width: int = 40) -> str:
    """Build CPU-seconds, query p50 and serving RSS of `--scale` runs against corpus size."""
    runs = sorted(runs, key=lambda r: r["articles"])
    rows = [
        ("build CPU-s", lambda r: r["build"]["cpu_seconds"]),
        ("build wall s", lambda r: r["build"]["seconds"]),
        ("query p50 ms", lambda r: r["query"]["p50_ms"]),
        ("serving RSS MB", lambda r: r["serving_memory"]["rss_mb_after_questions"]),
        ("no-change reindex s", lambda r: r["noop_reindex"]["seconds"]),
    ]
    lines = []
    for title, get in rows:
        top = max(get(r) for r in runs) or 1.0
        lines.append(f"{title} (one █ = {top / width:.3g})")
        for r in runs:
            value = get(r)
            bar = "█" * max(1, round(value / top * width))
            lines.append(
                f"  {r['articles']:>6,} articles {r['build']['chunks']:>7,} chunks  {bar} {value:g}"
            )
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    import tempfile

    if args.chart:
        runs = [json.loads(Path(p).read_text(encoding="utf-8")) for p in args.chart]
        print(growth_chart(runs))
        return 0
    out: Path = args.out
    with contextlib.ExitStack() as stack:
        if args.workdir is not None:
            args.workdir.mkdir(parents=True, exist_ok=args.serve_only)
            tmp = str(args.workdir)
        else:
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="newsdesk-bench-"))
        if args.scale:
            results = run_scale(
                args.scale,
                args.limit,
                args.backend or "onnx",
                Path(tmp),
                serve_only=args.serve_only,
            )
            text = scale_table(results)
        else:
            corpus = args.corpus if args.corpus != DEFAULT_CORPUS else NEWS_2K
            results = run_backends(
                args.backends.split(","),
                corpus,
                args.limit,
                Path(tmp),
                raw_every=args.raw_every,
                repeats=args.repeats,
            )
            text = backends_table(results)
    results["when"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(text)
    print(f"\nwrote {out}")
    return 0


DEFAULT_CORPUS = NEWS_2K
