"""Scoring newsdesk on a question file: `dev.jsonl` (`sources`: file names) or `dev-news.jsonl`
(`source_ids`: article ids), with the rules of the dev sets' README.

Each line: {"id", "question", "category", "sources" | "source_ids", "evidence", "answerable"}.
Evidence is matched after normalising both sides (NFKC, lower case, straight quotes, every
character that is not a letter or digit a space, runs of space collapsed): *strict* when every
evidence string of a question is in the answer, *lenient* when any is; evidence recall is the
share of evidence strings found. A citation is correct when a cited article is a gold source.
An unanswerable question is handled when the answer is a refusal. Also: source hit@k and MRR
over the retrieved passages, quote faithfulness, answer rate, latency; overall and per category.
"""

from __future__ import annotations

import json
import re
import statistics
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.models import Answer

_QUOTED = re.compile(r"“([^”]+)”\s*((?:\[\d+\]\s*)+)")
_NOT_ALNUM = re.compile(r"[^\w]|_")
SWEEP = tuple(round(0.05 * i, 2) for i in range(1, 20))


@dataclass
class Case:
    id: str
    question: str
    sources: list[str]  # gold file names (dev.jsonl) or article ids (dev-news.jsonl)
    evidence: list[str]
    answerable: bool
    category: str = ""

    def is_gold(self, article_id: str, file: str) -> bool:
        return file in self.sources or article_id in self.sources


@dataclass
class CaseResult:
    case: Case
    answer: dict[str, Any]
    rank: int | None  # 1-based rank of the first retrieved passage from a gold source
    evidence_found: int
    quotes: int
    faithful_quotes: int
    cited_gold: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def strict(self) -> bool:
        return bool(self.case.evidence) and self.evidence_found == len(self.case.evidence)

    @property
    def lenient(self) -> bool:
        return self.evidence_found > 0


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
                    sources=list(d.get("sources") or []) + list(d.get("source_ids") or []),
                    evidence=list(d.get("evidence") or []),
                    answerable=bool(d.get("answerable", True)),
                    category=str(d.get("category", "")),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{no}: not a question record ({exc})") from None
    return cases


def normalize(text: str) -> str:
    """The dev sets' evidence normalisation (see the module docstring)."""
    t = unicodedata.normalize("NFKC", text).lower()
    t = t.translate({0x201C: '"', 0x201D: '"', 0x2018: "'", 0x2019: "'"})
    return " ".join(_NOT_ALNUM.sub(" ", t).split())


def evidence_hits(case: Case, text: str) -> list[bool]:
    """Which of the case's evidence strings `text` contains."""
    norm = normalize(text)
    return [normalize(ev) in norm for ev in case.evidence]


def score_case(
    case: Case, answer: Answer, article_text: Callable[[str], str], k: int
) -> CaseResult:
    ranks = [
        i + 1 for i, p in enumerate(answer.retrieved) if case.is_gold(p.article.id, p.article.file)
    ]
    rank = ranks[0] if ranks else None
    found = sum(evidence_hits(case, answer.text)) if not answer.refused else 0
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
    cited_gold = any(case.is_gold(c.article.id, c.article.file) for c in answer.citations)
    if case.answerable and rank is None:
        problems.append(f"no gold source in the top {len(answer.retrieved)} passages")
    if case.answerable and answer.refused:
        problems.append("refused an answerable question")
    if case.answerable and not answer.refused and not cited_gold:
        problems.append("no cited article is a gold source")
    if not case.answerable and not answer.refused:
        problems.append("answered an unanswerable question")
    return CaseResult(case, answer.to_dict(), rank, found, quotes, faithful, cited_gold, problems)


def summarize(results: Iterable[CaseResult], k: int) -> dict[str, Any]:
    results = list(results)
    answerable = [r for r in results if r.case.answerable]
    with_sources = [r for r in answerable if r.case.sources]
    with_evidence = [r for r in answerable if r.case.evidence]
    unanswerable = [r for r in results if not r.case.answerable]
    latencies = sorted(r.answer["timings_ms"].get("total", 0.0) for r in results)
    quotes = sum(r.quotes for r in results)
    answered = [r for r in answerable if not r.answer["refused"]]

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
        "evidence_strict": share(sum(1 for r in with_evidence if r.strict), len(with_evidence)),
        "evidence_lenient": share(sum(1 for r in with_evidence if r.lenient), len(with_evidence)),
        "citation_accuracy": share(sum(1 for r in answered if r.cited_gold), len(answered)),
        "quote_faithfulness": share(sum(r.faithful_quotes for r in results), quotes),
        "quotes": quotes,
        "refusal_accuracy": share(
            sum(1 for r in unanswerable if r.answer["refused"]), len(unanswerable)
        ),
        "answer_rate": share(len(answered), len(answerable)),
        "latency_ms_p50": round(_percentile(latencies, 50), 1),
        "latency_ms_p95": round(_percentile(latencies, 95), 1),
        "modes": dict(_count(r.answer["mode"] for r in results)),
    }


def by_category(results: Sequence[CaseResult], k: int) -> dict[str, dict[str, Any]]:
    """`summarize` per category, plus "all"."""
    out = {"all": summarize(results, k)}
    for cat in sorted({r.case.category for r in results if r.case.category}):
        out[cat] = summarize([r for r in results if r.case.category == cat], k)
    return out


def sweep(
    results: Sequence[CaseResult], thresholds: Sequence[float] = SWEEP
) -> list[dict[str, Any]]:
    """Answer rate, refusal accuracy and evidence recall had the refusal threshold been each
    of `thresholds` (an answer refuses when its confidence is below the threshold; answers
    refused for another reason stay refused)."""
    rows = []
    answerable = [r for r in results if r.case.answerable]
    unanswerable = [r for r in results if not r.case.answerable]
    with_evidence = [r for r in answerable if r.case.evidence]
    for t in thresholds:

        def answers(r: CaseResult, t: float = t) -> bool:
            conf = r.answer.get("confidence")
            return not r.answer["refused"] and (conf is None or conf >= t)

        rows.append(
            {
                "threshold": t,
                "answer_rate": round(sum(map(answers, answerable)) / max(len(answerable), 1), 4),
                "refusal_accuracy": round(
                    sum(not answers(r) for r in unanswerable) / max(len(unanswerable), 1), 4
                ),
                "evidence_recall": round(
                    sum(
                        r.evidence_found / len(r.case.evidence) for r in with_evidence if answers(r)
                    )
                    / max(len(with_evidence), 1),
                    4,
                ),
            }
        )
    return rows


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
