"""Scoring newsdesk on a question file (the format of `shared/eval/dev.jsonl`).

Each line: {"id", "question", "sources": [file names], "evidence": [exact strings],
"answerable": bool}. Metrics: source hit@k and MRR over the retrieved passages, evidence
recall (share of the gold evidence strings the answer contains), quote faithfulness (share of
shown quotes found verbatim in the article they cite), refusal accuracy on unanswerable
questions, answer rate on answerable ones, and latency percentiles.
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.lexical import fold
from index.models import Answer

_QUOTED = re.compile(r"“([^”]+)”\s*((?:\[\d+\]\s*)+)")


@dataclass
class Case:
    id: str
    question: str
    sources: list[str]
    evidence: list[str]
    answerable: bool
    category: str = ""


@dataclass
class CaseResult:
    case: Case
    answer: dict[str, Any]
    rank: int | None  # 1-based rank of the first retrieved passage from a gold source
    evidence_found: int
    quotes: int
    faithful_quotes: int
    problems: list[str] = field(default_factory=list)


def load_cases(path: Path) -> list[Case]:
    cases = []
    for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            cases.append(
                Case(
                    id=str(d.get("id", no)),
                    question=d["question"],
                    sources=list(d.get("sources") or []),
                    evidence=list(d.get("evidence") or []),
                    answerable=bool(d.get("answerable", True)),
                    category=str(d.get("category", "")),
                )
            )
        except (json.JSONDecodeError, KeyError) as exc:
            raise ValueError(f"{path}:{no}: not a question record ({exc})") from None
    return cases


def normalize(text: str) -> str:
    """Compare text ignoring case, diacritics, typographic quotes and spacing."""
    t = fold(text).replace("“", '"').replace("”", '"').replace("‘", "'")
    t = re.sub(r"[–—]", "-", t)
    return " ".join(t.split())


def score_case(
    case: Case, answer: Answer, article_text: Callable[[str], str], k: int
) -> CaseResult:
    files = [p.article.file for p in answer.retrieved]
    rank = next((i + 1 for i, f in enumerate(files) if f in case.sources), None)
    text = normalize(answer.text)
    found = sum(1 for ev in case.evidence if normalize(ev) in text)
    problems: list[str] = []
    quotes = faithful = 0
    by_n = {c.n: c for c in answer.citations}
    for c in answer.citations:
        quotes += 1
        article = article_text(c.article.id)
        if article[c.start : c.end] == c.quote and c.quote:
            faithful += 1
        else:
            problems.append(f"citation [{c.n}] quote is not at its span in {c.article.file}")
    # Quotes written in the answer text must stand in the article of the citation after them.
    for m in _QUOTED.finditer(answer.text):
        for n in map(int, re.findall(r"\d+", m.group(2))):
            quotes += 1
            cited = by_n.get(n)
            if cited is not None and normalize(m.group(1)) in normalize(
                article_text(cited.article.id)
            ):
                faithful += 1
            else:
                problems.append(f"quote before [{n}] not found in the cited article")
    if case.answerable and rank is None:
        problems.append(f"no gold source in the top {len(files)} passages")
    if case.answerable and answer.refused:
        problems.append("refused an answerable question")
    if not case.answerable and not answer.refused:
        problems.append("answered an unanswerable question")
    return CaseResult(case, answer.to_dict(), rank, found, quotes, faithful, problems)


def summarize(results: Iterable[CaseResult], k: int) -> dict[str, Any]:
    results = list(results)
    answerable = [r for r in results if r.case.answerable]
    with_sources = [r for r in answerable if r.case.sources]
    with_evidence = [r for r in answerable if r.case.evidence]
    unanswerable = [r for r in results if not r.case.answerable]
    latencies = sorted(r.answer["timings_ms"].get("total", 0.0) for r in results)
    quotes = sum(r.quotes for r in results)

    def share(n: float, d: int) -> float | None:
        return round(n / d, 4) if d else None

    return {
        "questions": len(results),
        "k": k,
        f"hit@{k}": share(
            sum(1 for r in with_sources if r.rank and r.rank <= k), len(with_sources)
        ),
        "mrr": share(sum(1 / r.rank for r in with_sources if r.rank), len(with_sources)),
        "evidence_recall": share(
            sum(r.evidence_found / len(r.case.evidence) for r in with_evidence), len(with_evidence)
        ),
        "quote_faithfulness": share(sum(r.faithful_quotes for r in results), quotes),
        "quotes": quotes,
        "refusal_accuracy": share(
            sum(1 for r in unanswerable if r.answer["refused"]), len(unanswerable)
        ),
        "answer_rate": share(
            sum(1 for r in answerable if not r.answer["refused"]), len(answerable)
        ),
        "latency_ms_p50": round(_percentile(latencies, 50), 1),
        "latency_ms_p95": round(_percentile(latencies, 95), 1),
        "modes": dict(_count(r.answer["mode"] for r in results)),
    }


def _percentile(values: list[float], p: int) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def _count(items: Iterable[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for it in items:
        out[it] = out.get(it, 0) + 1
    return out
