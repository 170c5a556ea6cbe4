"""Follow-up questions measured: are they resolved, and answered as well as the full question?

From each "What did X say about T?" question of a question file, three conversations are made:
- pronoun: "What did X say?", then "and what did he say about T?";
- ellipsis: "What did X say?", then "what about T?";
- topic change: "What did X say?", then another speaker's full question (must not be rewritten).
It prints how often the follow-up was rewritten to the full question, and the evidence recall
of the follow-up's answer beside that of the full question asked directly. The articles of the
file are copied to a temp directory and indexed there (offline answers, packaged model).

    python -m benchmarks.follow_ups                     # ../shared/eval/dev-news.jsonl
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from index.config import REPO_ROOT
from index.conversation import speaker_of, topic_of
from index.models import Answer

SHARED = REPO_ROOT.parent / "shared"


def _norm(q: str | None) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", (q or "").lower()).split())


def _found(answer: Answer, evidence: list[str]) -> float:
    shown = answer.text + " ".join(c.quote for c in answer.citations)
    return sum(e in shown for e in evidence) / len(evidence) if evidence else 0.0


def run(questions_file: Path, corpus: Path, limit: int | None = None) -> dict[str, Any]:
    from index.embedding import local_embedder
    from index.service import Newsdesk
    from tests.conftest import make_settings

    cases = [json.loads(line) for line in questions_file.read_text().splitlines() if line.strip()]
    cases = [c for c in cases if c.get("answerable") and speaker_of(c["question"])][:limit]
    wanted = {i for c in cases for i in c.get("source_ids", [])}
    work = Path(tempfile.mkdtemp(prefix="followups-"))
    articles = work / "articles"
    articles.mkdir()
    with corpus.open(encoding="utf-8") as src, (articles / "articles.jsonl").open("w") as out:
        for line in src:
            if json.loads(line)["id"] in wanted:
                out.write(line)
    desk = Newsdesk.open(make_settings(work / "index", articles), embedder=local_embedder())
    desk.reindex()
    rows = []
    for i, case in enumerate(cases):
        q = case["question"]
        speaker = speaker_of(q) or ""
        topic = topic_of(q, speaker) or ""
        context = desk.ask(f"What did {speaker} say?", offline=True)
        other = next(
            (
                c["question"]
                for c in cases[i + 1 :] + cases[:i]
                if speaker_of(c["question"]) != speaker
            ),
            None,
        )
        direct = desk.ask(q, offline=True)
        pronoun = desk.ask(f"and what did he say about {topic}?", offline=True, history=[context])
        ellipsis = desk.ask(f"what about {topic}?", offline=True, history=[context])
        changed = desk.ask(other, offline=True, history=[context]) if other else None
        print(f"{i + 1}/{len(cases)}", file=sys.stderr, flush=True)
        rows.append(
            {
                "question": q,
                "pronoun_rewritten": pronoun.rewritten,
                "ellipsis_rewritten": ellipsis.rewritten,
                "pronoun_exact": _norm(pronoun.rewritten) == _norm(q),
                "ellipsis_exact": _norm(ellipsis.rewritten) == _norm(q),
                "topic_change_kept": changed is None or changed.rewritten is None,
                "recall_direct": _found(direct, case["evidence"]),
                "recall_pronoun": _found(pronoun, case["evidence"]),
                "recall_ellipsis": _found(ellipsis, case["evidence"]),
            }
        )
    n = len(rows)

    def mean(key: str) -> float:
        return round(sum(float(r[key]) for r in rows) / n, 3) if n else 0.0

    summary = {
        "conversations": n,
        "pronoun_rewritten_to_the_full_question": mean("pronoun_exact"),
        "ellipsis_rewritten_to_the_full_question": mean("ellipsis_exact"),
        "topic_change_left_alone": mean("topic_change_kept"),
        "evidence_recall_direct": mean("recall_direct"),
        "evidence_recall_pronoun_follow_up": mean("recall_pronoun"),
        "evidence_recall_ellipsis_follow_up": mean("recall_ellipsis"),
    }
    return {"summary": summary, "rows": rows}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--questions", type=Path, default=SHARED / "eval" / "dev-news.jsonl")
    p.add_argument("--corpus", type=Path, default=SHARED / "corpus" / "news-2k.jsonl")
    p.add_argument("--limit", type=int, help="only the first N speaker questions")
    p.add_argument("--json", action="store_true", help="print every conversation too")
    args = p.parse_args(argv)
    result = run(args.questions, args.corpus, args.limit)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        for key, value in result["summary"].items():
            print(f"{key:>40}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
