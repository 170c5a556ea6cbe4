"""What the quote annotation costs at ingest, measured side by side in one run.

    python -m benchmarks.quotes_ingest [--corpus ../shared/corpus/news-2k.jsonl] [--limit N]

Builds the index of the demo articles + the corpus twice with the same indexer, embedder and
chunker, once without and once with the who-said-what annotation (fresh Chroma each time, in
alternating order over `--rounds`), and prints wall and process CPU seconds of each build (the
machine is shared: CPU seconds are the figure to compare). It also times the annotation alone
over the same cleaned texts, and loading the quote index of the built generation.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.bench import Clock, bench_settings, make_corpus_dir
from index.articles import read_dir
from index.attribution import annotate
from index.chunking import Chunker
from index.embedding import make_embedder, model_key
from index.indexer import Indexer
from index.quotes import QuoteIndex, annotation_json
from index.sentences import clear_cache
from index.store import Store, connect

MAX_FILE_BYTES = 200_000_000


def build(settings: Any, embedder: Any, articles: Path, *, annotate_quotes: bool) -> dict:
    """One full build into a fresh store; wall and CPU seconds."""
    annotate.cache_clear()
    clear_cache()
    store = Store(connect(settings))
    core = settings.core
    indexer = Indexer(
        store,
        embedder,
        Chunker(core.chunk_size, core.chunk_overlap),
        {"model": model_key(settings), "chunk_size": core.chunk_size},
        annotate=annotate_quotes,
    )
    with Clock() as clock:
        summary = indexer.reindex(articles, max_file_bytes=MAX_FILE_BYTES, full=True)
    gen = store.current()
    assert gen is not None
    t = time.process_time()
    quotes = QuoteIndex(Store.article_quotes(gen))
    load_cpu = time.process_time() - t
    return {
        "annotate": annotate_quotes,
        "articles": summary.articles_total,
        "chunks": summary.chunks_embedded,
        "seconds": round(clock.wall, 2),
        "cpu_seconds": round(clock.cpu, 2),
        "statements": len(quotes),
        "speakers": len(quotes.speakers()),
        "quote_index_load_cpu_seconds": round(load_cpu, 3),
    }


def annotation_alone(articles: Path) -> dict:
    """CPU seconds of splitting + attributing + serialising every article, nothing else."""
    texts = [a.text for a in read_dir(articles, max_file_bytes=MAX_FILE_BYTES).articles]
    annotate.cache_clear()
    clear_cache()
    t, w = time.process_time(), time.perf_counter()
    size = sum(len(annotation_json(x)) for x in texts)
    return {
        "articles": len(texts),
        "cpu_seconds": round(time.process_time() - t, 2),
        "seconds": round(time.perf_counter() - w, 2),
        "stored_json_mb": round(size / 1e6, 2),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", type=Path, default=Path("../shared/corpus/news-2k.jsonl"))
    p.add_argument("--limit", type=int, help="only the first N corpus articles")
    p.add_argument("--rounds", type=int, default=1, help="builds of each kind (alternating)")
    p.add_argument("--out", type=Path, help="also write the figures as JSON here")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="nd-quotes-bench-") as tmp:
        root = Path(tmp)
        articles = root / "articles"
        n = make_corpus_dir(articles, args.corpus, args.limit)
        embedder = make_embedder(bench_settings(root / "warm"))
        embedder.get_text_embedding_batch(["warm up"])
        runs = []
        for r in range(args.rounds):
            order = (False, True) if r % 2 == 0 else (True, False)
            for flag in order:
                settings = bench_settings(root / f"index-{r}-{int(flag)}", articles)
                runs.append(build(settings, embedder, articles, annotate_quotes=flag))
                print(json.dumps(runs[-1]), file=sys.stderr, flush=True)
        alone = annotation_alone(articles)
    without = statistics.median(x["cpu_seconds"] for x in runs if not x["annotate"])
    with_ = statistics.median(x["cpu_seconds"] for x in runs if x["annotate"])
    wall_without = statistics.median(x["seconds"] for x in runs if not x["annotate"])
    wall_with = statistics.median(x["seconds"] for x in runs if x["annotate"])
    result = {
        "corpus_articles": n,
        "builds": runs,
        "annotation_alone": alone,
        "cpu_seconds_without": without,
        "cpu_seconds_with": with_,
        "cpu_overhead_pct": round(100 * (with_ - without) / without, 1),
        "annotation_alone_pct_of_build": round(100 * alone["cpu_seconds"] / without, 1),
        "wall_seconds_without": wall_without,
        "wall_seconds_with": wall_with,
    }
    print(f"index build of demo + {n} corpus articles ({runs[0]['chunks']} chunks)")
    print(f"{'':28} {'CPU s':>9} {'wall s':>9}")
    print(f"{'without annotation':28} {without:9.1f} {wall_without:9.1f}")
    print(f"{'with annotation':28} {with_:9.1f} {wall_with:9.1f}")
    print(f"{'annotation alone':28} {alone['cpu_seconds']:9.1f} {alone['seconds']:9.1f}")
    print(
        f"overhead: {result['cpu_overhead_pct']:+.1f}% CPU (builds compared), "
        f"{result['annotation_alone_pct_of_build']:.1f}% (annotation alone / build)"
    )
    print(
        f"statements {runs[-1]['statements']}, speakers {runs[-1]['speakers']}, "
        f"stored {alone['stored_json_mb']} MB JSON"
    )
    if args.out:
        args.out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
