"""newsdesk benchmarks, measured side by side in one run, printed as a table and saved as JSON.

    python -m benchmarks.bench [--quick] [--out benchmarks/results/latest.json]

- ingest: a full reindex (read, clean, chunk, embed, write to Chroma) against the raw
  embedding model on the same chunk texts, and against LlamaIndex's default
  `VectorStoreIndex.from_documents` (default splitter, in-memory) with the same embedder;
- a reindex with nothing changed;
- query latency (`Newsdesk.ask(q, offline=True)`, model loaded) over the dev questions, at the
  demo corpus, at demo + the news corpus, and at a synthetic index of random vectors and
  generated texts written through `index.store` (so the real Chroma + BM25 path is measured);
- peak memory of a process serving the demo + news index;
- retrieval quality (hit@5, MRR on file names) with the news corpus beside the demo articles,
  newsdesk's hybrid retrieval against LlamaIndex's default dense retriever.

The distractor corpus is read from ../shared/corpus and copied only into a temp directory.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from index.articles import read_dir
from index.chunking import Chunker
from index.config import (
    DEMO_ARTICLES_DIR,
    REPO_ROOT,
    ChromaSettings,
    CoreSettings,
    OpenAISettings,
    Settings,
)
from index.embedding import make_embedder, model_key
from index.indexer import PIPELINE_VERSION, embed_text
from index.models import ArticleRef
from index.service import Newsdesk
from index.store import PAGE, ArticleRecord, ChunkRecord, Store

log = logging.getLogger("benchmarks.bench")

CORPUS = REPO_ROOT.parent / "shared" / "corpus" / "news-2k.jsonl"
DEV = REPO_ROOT.parent / "shared" / "eval" / "dev.jsonl"
DEFAULT_OUT = Path("benchmarks/results/latest.json")
TOP_K = 5  # passages per question for hit@k and MRR
SYNTH_CHUNKS_PER_ARTICLE = 10
SYNTH_WORDS_PER_CHUNK = 130  # about the 180-token chunks the indexer makes
MEMORY_QUESTIONS = 5
CORPUS_FILE_RECORDS = 2_500  # articles per JSONL file of the benchmark's corpus directory


@dataclass(frozen=True)
class Config:
    """What one run measures, and at what size."""

    corpus: Path = CORPUS
    corpus_limit: int | None = None  # first N articles of the corpus; None: all
    synthetic_chunks: int = 100_000
    query_repeats: int = 5  # passes over the dev questions (after one warm-up pass)
    llamaindex: bool = True
    memory: bool = True
    dev: Path = DEV
    quick: bool = False

    @classmethod
    def quick_run(cls) -> Config:
        return cls(corpus_limit=200, synthetic_chunks=5_000, query_repeats=2, quick=True)


@dataclass(frozen=True)
class Target:
    name: str
    op: str  # "<=" or ">="
    target: float
    unit: str
    path: tuple[str, ...]  # where the measured value sits in the results

    def check(self, results: dict[str, Any]) -> dict[str, Any]:
        value: Any = results
        for key in self.path:
            value = value.get(key) if isinstance(value, dict) else None
        ok = None
        if isinstance(value, int | float):
            ok = value <= self.target if self.op == "<=" else value >= self.target
        return {**asdict(self), "measured": value, "pass": ok}


TARGETS = (
    Target("query p50, demo + news", "<=", 50.0, "ms", ("query", "demo+news", "p50_ms")),
    Target("query p50, synthetic", "<=", 100.0, "ms", ("query", "synthetic", "p50_ms")),
    Target("ingest vs raw model", ">=", 0.85, "ratio", ("ingest", "ratio_vs_raw")),
    Target("no-change reindex", "<=", 5.0, "s", ("noop_reindex", "seconds")),
    Target("no-change reindex embeds", "<=", 0, "chunks", ("noop_reindex", "chunks_embedded")),
    Target("hit@5, demo + news", ">=", 0.95, "", ("quality", "newsdesk", "hit_at_5")),
    Target("MRR, demo + news", ">=", 0.80, "", ("quality", "newsdesk", "mrr")),
)


# -- setup ------------------------------------------------------------------------------------


def bench_settings(
    index_dir: Path, articles_dir: Path = DEMO_ARTICLES_DIR, backend: str | None = None
) -> Settings:
    """Embedded store under `index_dir`, offline answers, defaults otherwise (no .env)."""
    kw: dict[str, Any] = {"_env_file": None}
    if backend is not None:
        kw["embed_backend"] = backend
    env: dict[str, Any] = {"_env_file": None}
    return Settings(
        core=CoreSettings(index_dir=index_dir, articles_dir=articles_dir, **kw),
        openai=OpenAISettings(api_key=None, **env),
        chroma=ChromaSettings(host=None, **env),
    )


def make_corpus_dir(target: Path, corpus: Path, limit: int | None) -> int:
    """The demo articles plus the first `limit` corpus records, in a directory to index."""
    target.mkdir(parents=True)
    for path in sorted(DEMO_ARTICLES_DIR.iterdir()):
        shutil.copy(path, target / path.name)
    n = 0
    if not corpus.is_file():
        raise SystemExit(f"distractor corpus {corpus} not found (see --corpus)")
    # Files of CORPUS_FILE_RECORDS articles each, well under NEWSDESK_MAX_FILE_MB.
    dst = None
    with corpus.open(encoding="utf-8") as src:
        for line in src:
            if limit is not None and n >= limit:
                break
            if not line.strip():
                continue
            if n % CORPUS_FILE_RECORDS == 0:
                if dst is not None:
                    dst.close()
                part = n // CORPUS_FILE_RECORDS
                name = corpus.name if part == 0 else f"{corpus.stem}-{part:02d}{corpus.suffix}"
                dst = (target / name).open("w", encoding="utf-8")
            assert dst is not None
            dst.write(line)
            n += 1
    if dst is not None:
        dst.close()
    return n


def load_dev(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if values else 0.0


def say(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# -- ingest -----------------------------------------------------------------------------------


def chunk_texts(articles_dir: Path, settings: Settings) -> list[str]:
    """Exactly the texts a full reindex embeds, in the same order."""
    chunker = Chunker(settings.core.chunk_size, settings.core.chunk_overlap)
    read = read_dir(articles_dir, max_file_bytes=int(settings.core.max_file_mb * 1e6))
    return [embed_text(a.ref.title, c.text) for a in read.articles for c in chunker.chunk(a)]


class Clock:
    """Wall and process CPU seconds of a block, and the load average around it."""

    def __enter__(self) -> Clock:
        self.load_before = os.getloadavg()[0]
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self._wall
        self.cpu = time.process_time() - self._cpu
        self.load_after = os.getloadavg()[0]

    def fields(self, n: int) -> dict[str, Any]:
        """Seconds and throughput for `n` items."""
        return {
            "seconds": round(self.wall, 3),
            "cpu_seconds": round(self.cpu, 3),
            "chunks_per_s": round(n / self.wall, 1),
            "chunks_per_cpu_s": round(n / self.cpu, 1),
            "loadavg_1m": [round(self.load_before, 2), round(self.load_after, 2)],
        }


class TimedEmbedder(BaseEmbedding):
    """An embedder that adds up the seconds spent inside the model for document batches."""

    _inner: BaseEmbedding = PrivateAttr()
    _seconds: float = PrivateAttr(default=0.0)

    def __init__(self, inner: BaseEmbedding) -> None:
        super().__init__(model_name="timed", embed_batch_size=inner.embed_batch_size)
        self._inner = inner

    @property
    def seconds(self) -> float:
        return self._seconds

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._inner.get_query_embedding(query)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embeddings([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        t = time.perf_counter()
        try:
            return self._inner.get_text_embedding_batch(texts)
        finally:
            self._seconds += time.perf_counter() - t


def ingest_raw(texts: Sequence[str], batch: int = 64) -> dict[str, Any]:
    """The PyTorch sentence-transformers model alone: `encode` at the pipeline's batch size."""
    from sentence_transformers import SentenceTransformer

    from index.embedding import local_model_path

    model = SentenceTransformer(local_model_path(), device="cpu")
    model.encode(["warm up the model"] * 8, show_progress_bar=False)
    with Clock() as clock:
        model.encode(
            list(texts), batch_size=batch, normalize_embeddings=True, show_progress_bar=False
        )
    return {"chunks": len(texts), **clock.fields(len(texts)), "batch_size": batch}


def ingest_newsdesk(desk: Newsdesk, articles_dir: Path) -> dict[str, Any]:
    """A full reindex; with a `TimedEmbedder`, how much of it was spent in the model."""
    timed = desk.embedder if isinstance(desk.embedder, TimedEmbedder) else None
    in_model = timed.seconds if timed else 0.0
    with Clock() as clock:
        summary = desk.reindex(full=True, articles_dir=articles_dir)
    out = {
        "articles": summary.articles_total,
        "chunks": summary.chunks_embedded,
        **clock.fields(summary.chunks_embedded),
        "articles_per_s": round(summary.articles_total / clock.wall, 1),
    }
    if timed:
        in_model = timed.seconds - in_model
        out["seconds_in_model"] = round(in_model, 3)
        out["seconds_outside_model"] = round(clock.wall - in_model, 3)
    return out


def noop_reindex(desk: Newsdesk, articles_dir: Path) -> dict[str, Any]:
    before = desk.snapshot.name
    t = time.perf_counter()
    summary = desk.reindex(articles_dir=articles_dir)
    seconds = time.perf_counter() - t
    return {
        "seconds": round(seconds, 3),
        "chunks_embedded": summary.chunks_embedded,
        "unchanged": summary.unchanged,
        "same_generation": summary.generation == before,
    }


def llamaindex_documents(articles_dir: Path, settings: Settings) -> list[Any]:
    """The same cleaned articles as LlamaIndex documents (title embedded, file name not)."""
    from llama_index.core import Document

    read = read_dir(articles_dir, max_file_bytes=int(settings.core.max_file_mb * 1e6))
    return [
        Document(
            text=a.text,
            metadata={"file": a.ref.file, "title": a.ref.title or ""},
            excluded_embed_metadata_keys=["file"],
            excluded_llm_metadata_keys=["file"],
        )
        for a in read.articles
    ]


def ingest_llamaindex(embedder: BaseEmbedding, documents: Sequence[Any]) -> tuple[Any, dict]:
    """`VectorStoreIndex.from_documents` with its defaults, the same embedder, in memory."""
    from llama_index.core import VectorStoreIndex

    with Clock() as clock:
        vindex = VectorStoreIndex.from_documents(list(documents), embed_model=embedder)
    nodes = len(vindex.index_struct.nodes_dict)
    return vindex, {
        "articles": len(documents),
        "chunks": nodes,
        **clock.fields(nodes),
        "articles_per_s": round(len(documents) / clock.wall, 1),
        "splitter": "SentenceSplitter(chunk_size=1024, chunk_overlap=200) (default)",
    }


# -- queries ----------------------------------------------------------------------------------


def query_latency(desk: Newsdesk, questions: Sequence[str], repeats: int) -> dict[str, Any]:
    """`ask(q, offline=True)` over the questions: one warm-up pass, then `repeats` timed."""
    snap = desk.snapshot
    for q in questions:
        desk.ask(q, offline=True)
    totals: list[float] = []
    cpu: list[float] = []
    parts: dict[str, list[float]] = {}
    load = os.getloadavg()[0]
    for _ in range(repeats):
        for q in questions:
            t, c = time.perf_counter(), time.process_time()
            answer = desk.ask(q, offline=True)
            totals.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
            for key, ms in answer.timings_ms.items():
                if key not in ("total", "retrieve"):  # the parts, not their sums
                    parts.setdefault(key, []).append(ms)
    return {
        "chunks": len(snap.chunks),
        "articles": len(snap.articles),
        "queries": len(totals),
        "p50_ms": round(percentile(totals, 50), 1),
        "p95_ms": round(percentile(totals, 95), 1),
        "min_ms": round(min(totals), 1),
        "mean_ms": round(statistics.fmean(totals), 1),
        "cpu_p50_ms": round(percentile(cpu, 50), 1),  # all threads of this process
        "p50_parts_ms": {k: round(percentile(v, 50), 1) for k, v in parts.items()},
        "loadavg_1m": [round(load, 2), round(os.getloadavg()[0], 2)],
    }


def open_timed(settings: Settings, embedder: BaseEmbedding) -> tuple[Newsdesk, float]:
    t = time.perf_counter()
    desk = Newsdesk.open(settings, embedder=embedder)
    return desk, round(time.perf_counter() - t, 3)


# -- the synthetic index ----------------------------------------------------------------------


def build_synthetic(
    settings: Settings,
    demo_dir: Path,
    embedder: BaseEmbedding,
    *,
    n_chunks: int,
    vocabulary_texts: Iterable[str],
    seed: int = 7,
) -> dict[str, Any]:
    """An index of the demo articles (real vectors) plus `n_chunks` synthetic chunks.

    Synthetic texts are words drawn with the word frequencies of `vocabulary_texts` (so
    BM25's posting lists look like news); synthetic vectors are random unit vectors. Records go
    through `Store.create/add_chunks/add_articles/publish`, like a reindex's.
    """
    t0 = time.perf_counter()
    desk = Newsdesk.open(settings, embedder=embedder)
    desk.reindex(full=True, articles_dir=demo_dir)
    store = desk.store
    real = store.current()
    assert real is not None
    dim = len(embedder.get_query_embedding("dimension"))

    counts = Counter(w for text in vocabulary_texts for w in re.findall(r"[A-Za-z]+", text))
    vocab = np.array(list(counts))
    p = np.array(list(counts.values()), dtype=np.float64)
    p /= p.sum()
    rng = np.random.default_rng(seed)

    gen = store.create({**real.info, "synthetic": True})
    Store.add_chunks(gen, list(Store.iter_chunks(real, embeddings=True)))
    Store.add_articles(gen, Store.article_records(real, list(Store.article_manifest(real))))
    n_articles = max(1, -(-n_chunks // SYNTH_CHUNKS_PER_ARTICLE))
    written = 0
    chunk_page: list[ChunkRecord] = []
    article_page: list[ArticleRecord] = []
    for a in range(n_articles):
        per = min(SYNTH_CHUNKS_PER_ARTICLE, n_chunks - written)
        aid = f"synthetic-{a:06d}"
        words = vocab[rng.choice(len(vocab), size=per * SYNTH_WORDS_PER_CHUNK, p=p)]
        pieces = [
            " ".join(words[i * SYNTH_WORDS_PER_CHUNK : (i + 1) * SYNTH_WORDS_PER_CHUNK]) + "."
            for i in range(per)
        ]
        vecs = rng.standard_normal((per, dim)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        text = ""
        for i, piece in enumerate(pieces):
            start = len(text)
            text += piece + "\n\n"
            chunk_page.append(
                ChunkRecord(f"{aid}#{i}", aid, start, start + len(piece), piece, vecs[i].tolist())
            )
        mean = vecs.mean(axis=0)
        ref = ArticleRef(
            id=aid, file=f"synthetic/{aid}.txt", title=" ".join(pieces[0].split()[:8]).capitalize()
        )
        article_page.append(
            ArticleRecord(ref, text.rstrip(), aid, (mean / np.linalg.norm(mean)).tolist())
        )
        written += per
        if len(chunk_page) >= PAGE or written >= n_chunks:
            Store.add_chunks(gen, chunk_page)
            Store.add_articles(gen, article_page)
            chunk_page, article_page = [], []
        if written % 10_000 == 0:
            say(f"  synthetic: {written} chunks written")
    store.publish(gen)
    return {
        "synthetic_chunks": written,
        "real_chunks": real.chunks.count(),
        "build_seconds": round(time.perf_counter() - t0, 1),
        "note": "synthetic: random unit vectors and texts of words drawn with the "
        "corpus's word frequencies, plus the 5 demo articles with real vectors",
    }


# -- memory -----------------------------------------------------------------------------------


def _rss_mb() -> dict[str, float]:
    status = Path("/proc/self/status").read_text()
    out = {}
    for key in ("VmRSS", "VmHWM"):
        m = re.search(rf"^{key}:\s+(\d+) kB", status, re.M)
        if m:
            out[key] = round(int(m.group(1)) / 1024, 1)
    return out


def memory_child(index_dir: Path, dev: Path, backend: str | None = None) -> dict[str, Any]:
    """Run in a fresh process: load the model, open the index, answer a few questions."""
    settings = bench_settings(index_dir, backend=backend)
    start = _rss_mb()
    embedder = make_embedder(settings)
    embedder.get_query_embedding("warm up")
    model = _rss_mb()
    desk = Newsdesk.open(settings, embedder=embedder)
    opened = _rss_mb()
    for row in load_dev(dev)[:MEMORY_QUESTIONS]:
        desk.ask(row["question"], offline=True)
    answered = _rss_mb()
    return {
        "chunks": len(desk.snapshot.chunks),
        "rss_mb_at_start": start["VmRSS"],
        "rss_mb_model_loaded": model["VmRSS"],
        "rss_mb_index_loaded": opened["VmRSS"],
        "rss_mb_after_questions": answered["VmRSS"],
        # VmHWM, not getrusage's ru_maxrss: that survives fork + exec, so a child started
        # by a big parent would report the parent's size.
        "peak_rss_mb": answered["VmHWM"],
        "peak_rss_mb_loading_model": model["VmHWM"],
        "index_mb": round(opened["VmRSS"] - model["VmRSS"], 1),
        "model_runtime_mb": round(model["VmRSS"] - start["VmRSS"], 1),
        "model_runtime_share": round(
            (model["VmRSS"] - start["VmRSS"]) / max(answered["VmRSS"], 1.0), 3
        ),
    }


def measure_memory(index_dir: Path, dev: Path, backend: str | None = None) -> dict[str, Any]:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.bench",
            "--memory-child",
            str(index_dir),
            "--dev",
            str(dev),
        ]
        + (["--backend", backend] if backend else []),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    if done.returncode != 0:
        raise RuntimeError(f"memory child failed: {done.stderr[-2000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


# -- quality ----------------------------------------------------------------------------------


def rank_metrics(ranked_files: Sequence[Sequence[str]], sources: Sequence[Sequence[str]]) -> dict:
    """hit@k and MRR of the first passage from an expected file, over the questions."""
    hits, rr = [], []
    for files, want in zip(ranked_files, sources, strict=True):
        rank = next((i + 1 for i, f in enumerate(files) if f in set(want)), None)
        hits.append(1.0 if rank is not None else 0.0)
        rr.append(1.0 / rank if rank else 0.0)
    n = len(hits)
    return {
        "questions": n,
        f"hit_at_{TOP_K}": round(sum(hits) / n, 3) if n else 0.0,
        "mrr": round(sum(rr) / n, 3) if n else 0.0,
        "misses": [i for i, h in enumerate(hits) if not h],
    }


def quality(
    answerable: Sequence[dict[str, Any]], retrieve: Callable[[str], list[str]]
) -> dict[str, Any]:
    ranked = [retrieve(row["question"]) for row in answerable]
    out = rank_metrics(ranked, [row["sources"] for row in answerable])
    out["misses"] = [answerable[i]["id"] for i in out["misses"]]
    return out


# -- the run ----------------------------------------------------------------------------------


def run(cfg: Config, workdir: Path) -> dict[str, Any]:
    """Every measurement of `cfg`, with working files under `workdir`."""
    results: dict[str, Any] = {"meta": meta(cfg)}
    dev = load_dev(cfg.dev)
    questions = [row["question"] for row in dev]
    answerable = [row for row in dev if row.get("answerable")]

    corpus_dir = workdir / "articles"
    n_corpus = make_corpus_dir(corpus_dir, cfg.corpus, cfg.corpus_limit)
    label = f"demo + {n_corpus} {cfg.corpus.stem} articles"
    results["meta"]["corpus_articles"] = n_corpus
    results["meta"]["corpus_label"] = label

    say("loading the embedding model")
    big = bench_settings(workdir / "index-news", corpus_dir)
    embedder = make_embedder(big)
    embedder.get_text_embedding_batch(["warm up the model"] * 8)

    # Ingest, side by side, on the same machine, one after the other.
    say(f"ingest: raw model on the chunk texts of {label}")
    texts = chunk_texts(corpus_dir, big)
    raw = ingest_raw(texts, big.core.embed_batch_size)
    say(f"ingest: newsdesk full reindex of {label}")
    desk = Newsdesk.open(big, embedder=TimedEmbedder(embedder))
    nd = ingest_newsdesk(desk, corpus_dir)
    ingest: dict[str, Any] = {
        "corpus": label,
        "raw_model": raw,
        "newsdesk": nd,
        "ratio_vs_raw": round(nd["chunks_per_s"] / raw["chunks_per_s"], 3),
        "ratio_vs_raw_cpu": round(nd["chunks_per_cpu_s"] / raw["chunks_per_cpu_s"], 3),
        "share_in_model": round(nd["seconds_in_model"] / nd["seconds"], 3),
    }
    results["ingest"] = ingest
    say("no-change reindex")
    results["noop_reindex"] = noop_reindex(desk, corpus_dir)
    li_index = None
    if cfg.llamaindex:
        say("ingest: LlamaIndex VectorStoreIndex.from_documents")
        docs = llamaindex_documents(corpus_dir, big)
        li_index, ingest["llamaindex_default"] = ingest_llamaindex(embedder, docs)
        del docs

    say("retrieval quality")
    results["quality"] = {
        "corpus": label,
        "newsdesk": quality(
            answerable, lambda q: [p.article.file for p in desk.retrieve(q, TOP_K)]
        ),
    }
    if li_index is not None:
        retriever = li_index.as_retriever(similarity_top_k=TOP_K)
        results["quality"]["llamaindex_default"] = quality(
            answerable, lambda q: [n.node.metadata["file"] for n in retriever.retrieve(q)]
        )
        del retriever, li_index
        gc.collect()

    say("query latency")
    query: dict[str, Any] = {}
    demo_settings = bench_settings(workdir / "index-demo", DEMO_ARTICLES_DIR)
    demo_desk = Newsdesk.open(demo_settings, embedder=embedder)
    demo_desk.reindex(full=True)
    query["demo"] = query_latency(demo_desk, questions, cfg.query_repeats)
    del demo_desk
    reopened, load_s = open_timed(big, embedder)
    query["demo+news"] = {
        **query_latency(reopened, questions, cfg.query_repeats),
        "open_seconds": load_s,
    }
    del reopened
    gc.collect()

    say(f"synthetic index of {cfg.synthetic_chunks} chunks")
    synth_settings = bench_settings(workdir / "index-synthetic", DEMO_ARTICLES_DIR)
    built = build_synthetic(
        synth_settings,
        DEMO_ARTICLES_DIR,
        embedder,
        n_chunks=cfg.synthetic_chunks,
        vocabulary_texts=texts,
    )
    synth_desk, synth_load = open_timed(synth_settings, embedder)
    query["synthetic"] = {
        **query_latency(synth_desk, questions, cfg.query_repeats),
        **built,
        "open_seconds": synth_load,
    }
    results["query"] = query
    del synth_desk
    gc.collect()

    if cfg.memory:
        say("peak memory (a fresh process serving demo + news)")
        results["memory"] = {"corpus": label, **measure_memory(big.core.index_dir, cfg.dev)}

    results["targets"] = [t.check(results) for t in TARGETS]
    return results


def meta(cfg: Config) -> dict[str, Any]:
    import chromadb
    import llama_index.core
    import torch

    return {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "quick": cfg.quick,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": _cpus(),
        "torch_threads": torch.get_num_threads(),
        "chromadb": chromadb.__version__,
        "llama_index_core": llama_index.core.__version__,
        "embed_model": model_key(bench_settings(Path())),
        "pipeline": PIPELINE_VERSION,
        "config": {k: str(v) for k, v in asdict(cfg).items()},
    }


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0))


# -- output -----------------------------------------------------------------------------------


def table(results: dict[str, Any]) -> str:
    """The results as a plain-text table."""
    lines = []
    ing = results["ingest"]
    lines.append(f"Ingest ({ing['corpus']})")
    lines.append(
        f"  {'pipeline':<36} {'chunks':>7} {'seconds':>8} {'chunks/s':>9} {'chunks/CPU-s':>12}"
    )
    rows = [("raw model (encode)", ing["raw_model"]), ("newsdesk full reindex", ing["newsdesk"])]
    if "llamaindex_default" in ing:
        rows.append(("LlamaIndex from_documents (default)", ing["llamaindex_default"]))
    for name, r in rows:
        lines.append(
            f"  {name:<36} {r['chunks']:>7} {r['seconds']:>8.1f} {r['chunks_per_s']:>9.1f} "
            f"{r['chunks_per_cpu_s']:>12.1f}"
        )
    nd = ing["newsdesk"]
    lines.append(
        f"  newsdesk / raw model = {ing['ratio_vs_raw']:.2f} (wall), "
        f"{ing['ratio_vs_raw_cpu']:.2f} (CPU); newsdesk spent {nd['seconds_in_model']:.1f} s "
        f"in the model, {nd['seconds_outside_model']:.1f} s outside it"
    )
    nop = results["noop_reindex"]
    lines.append(
        f"No-change reindex: {nop['seconds']:.2f} s, {nop['chunks_embedded']} chunks embedded"
    )
    lines.append("")
    lines.append("Query latency, ask(q, offline=True), model loaded")
    lines.append(
        f"  {'index':<12} {'chunks':>7} {'p50 ms':>7} {'p95 ms':>7} {'min ms':>7}  p50 parts (ms)"
    )
    for name, q in results["query"].items():
        parts = " ".join(f"{k}={v}" for k, v in q["p50_parts_ms"].items())
        lines.append(
            f"  {name:<12} {q['chunks']:>7} {q['p50_ms']:>7.1f} {q['p95_ms']:>7.1f} "
            f"{q['min_ms']:>7.1f}  {parts}"
        )
    if "synthetic" in results["query"]:
        s = results["query"]["synthetic"]
        lines.append(f"  ({s['note']}; opening it took {s['open_seconds']} s)")
    if "memory" in results:
        m = results["memory"]
        lines.append("")
        lines.append(
            f"Memory ({m['chunks']} chunks): model loaded {m['rss_mb_model_loaded']} MB RSS, "
            f"index loaded {m['rss_mb_index_loaded']} MB, peak {m['peak_rss_mb']} MB"
        )
    lines.append("")
    qual = results["quality"]
    lines.append(f"Retrieval quality ({qual['corpus']}), answerable dev questions")
    for name in ("newsdesk", "llamaindex_default"):
        if name in qual:
            r = qual[name]
            lines.append(
                f"  {name:<20} hit@{TOP_K}={r[f'hit_at_{TOP_K}']:.3f}  MRR={r['mrr']:.3f}  "
                f"misses={','.join(r['misses']) or '-'}"
            )
    lines.append("")
    lines.append(
        "Targets"
        + (
            " (quick run: sizes are smaller than the targets assume)"
            if results["meta"]["quick"]
            else ""
        )
    )
    for t in results["targets"]:
        status = {True: "PASS", False: "MISS", None: "n/a"}[t["pass"]]
        lines.append(
            f"  {t['name']:<28} target {t['op']} {t['target']:g} {t['unit']:<6} "
            f"measured {t['measured']!s:<10} {status}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="small run for smoke testing")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the JSON")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="distractor corpus (JSONL)")
    parser.add_argument("--dev", type=Path, default=DEV, help="evaluation questions (JSONL)")
    parser.add_argument("--no-llamaindex", action="store_true", help="skip the LlamaIndex baseline")
    parser.add_argument("--memory-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--backend", help=argparse.SUPPRESS)
    parser.add_argument(
        "--backends",
        help="compare embedding backends (e.g. torch,onnx,onnx-int8): ingest against the raw "
        "PyTorch model, query latency and retrieval on both dev sets (benchmarks.backends)",
    )
    parser.add_argument(
        "--scale",
        type=Path,
        help="build, reindex, query and measure memory at the size of this corpus (JSONL), "
        "with the backend of --backend (benchmarks.backends)",
    )
    parser.add_argument("--limit", type=int, help="first N articles of the corpus")
    parser.add_argument(
        "--raw-every", type=int, default=1, help="--backends: the raw model embeds every Nth text"
    )
    parser.add_argument("--repeats", type=int, default=2, help="--backends: timed query passes")
    parser.add_argument(
        "--workdir",
        type=Path,
        help="--scale/--backends: build here (a new directory) and keep it, instead of a temp "
        "directory; its articles/ and index/ can then be served or evaluated",
    )
    parser.add_argument(
        "--serve-only",
        action="store_true",
        help="--scale with --workdir: measure serving on the build an earlier run kept there",
    )
    parser.add_argument(
        "--chart", nargs="+", type=Path, help="JSON files of --scale runs: cost against size"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("bm25s").setLevel(logging.WARNING)

    if args.memory_child:
        print(json.dumps(memory_child(args.memory_child, args.dev, args.backend)))
        return 0
    if args.backends or args.scale or args.chart:
        from benchmarks import backends

        return backends.main(args)
    base = Config.quick_run() if args.quick else Config()
    cfg = Config(
        **{
            **asdict(base),
            "corpus": args.corpus,
            "dev": args.dev,
            "llamaindex": not args.no_llamaindex,
        }
    )
    with tempfile.TemporaryDirectory(prefix="newsdesk-bench-") as tmp:
        results = run(cfg, Path(tmp))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(table(results))
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
