"""The core's commands: index, ask, sources, source, eval, quotes, eval-quotes, feedback.

Settings load here, when the program starts; errors of the core are mapped to messages and
exit codes once, in `main`. Front ends add their own commands through `main(extra=...)` (the
`newsdesk` program adds `bot` in `bot.cli`); the core imports none of them.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.config import Settings
from index.errors import NewsdeskError
from index.models import Answer, Progress, ReindexSummary, SourceView

if TYPE_CHECKING:
    from index.service import Newsdesk

log = logging.getLogger(__name__)


AddCommands = Callable[[Any], None]  # given the subparsers; adds commands to them


def main(argv: list[str] | None = None, *, extra: AddCommands | None = None) -> int:
    """Run one command; `extra` adds a front end's subcommands to the parser."""
    args = _parser(extra).parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the local model never needs the hub
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        settings = Settings.load(args.env_file)
    except Exception as exc:
        print(f"newsdesk: invalid settings: {exc}", file=sys.stderr)
        return 2
    level = args.log_level or settings.core.log_level
    if (
        getattr(args, "service", False)
        and not args.log_level
        and "log_level" not in settings.core.model_fields_set
    ):
        level = "INFO"  # a long-running service says what it is doing unless told otherwise
    _configure_logging(level)
    if getattr(args, "articles", None):
        settings.core.articles_dir = Path(args.articles)
    try:
        result: int = args.func(args, settings)
        return result
    except NewsdeskError as exc:
        print(f"newsdesk: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _parser(extra: AddCommands | None = None) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="newsdesk", description=__doc__.splitlines()[0])
    p.add_argument("--env-file", default=".env", help="settings file (default: .env)")
    p.add_argument("--log-level", help="DEBUG, INFO, WARNING... (default: NEWSDESK_LOG_LEVEL)")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("index", help="index the articles (incremental; atomic)")
    s.add_argument("--articles", help="articles directory (default: NEWSDESK_ARTICLES_DIR)")
    s.add_argument("--full", action="store_true", help="rebuild everything")
    s.add_argument("--json", action="store_true", help="print the summary as JSON")
    s.set_defaults(func=cmd_index)

    s = sub.add_parser("ask", help="answer a question from the articles")
    s.add_argument("question", nargs="?", help="the question (omit with --jsonl)")
    s.add_argument("--json", action="store_true", help="print the answer object as JSON")
    s.add_argument("--jsonl", action="store_true", help="questions on stdin, one JSON a line out")
    s.add_argument("--offline", action="store_true", help="never call an LLM (extractive)")
    s.set_defaults(func=cmd_ask)

    s = sub.add_parser("sources", help="list the indexed articles")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_sources)

    s = sub.add_parser("source", help="show an article or passage by id, file or title words")
    s.add_argument("ref")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_source)

    s = sub.add_parser("eval", help="score answers on a question file (JSONL)")
    s.add_argument("file", type=Path)
    s.add_argument("--json", action="store_true")
    s.add_argument("--offline", action="store_true", help="never call an LLM (extractive)")
    s.add_argument("-k", type=int, default=5, help="k of hit@k (default 5)")
    s.add_argument(
        "--sweep",
        action="store_true",
        help="print answer rate and refusal accuracy for a range of refusal thresholds",
    )
    s.add_argument(
        "--split",
        choices=("all", "fit", "held"),
        default="all",
        help="only the questions of this half of the scorer's fixed split (default all)",
    )
    s.set_defaults(func=cmd_eval)

    s = sub.add_parser("quotes", help="what a speaker said across the articles")
    s.add_argument("speaker", nargs="?", help="a name, a surname or a role (omit with --all)")
    s.add_argument("--about", help="rank the statements by relevance to this topic")
    s.add_argument("--since", help="only articles dated on or after YYYY-MM-DD")
    s.add_argument("--json", action="store_true", help="print the result as JSON")
    s.add_argument("--jsonl", action="store_true", help="one JSON object per statement")
    s.add_argument("--all", action="store_true", help="every statement of every article")
    s.set_defaults(func=cmd_quotes)

    s = sub.add_parser("eval-quotes", help="score speaker attribution on a labelled file")
    s.add_argument("file", type=Path, help="labels, e.g. ../shared/eval/attribution-dev.jsonl")
    s.add_argument("--corpus", type=Path, help="annotate these JSONL articles, not the index")
    s.add_argument("--split", choices=("all", "dev", "held-out"), default="all")
    s.add_argument("--json", action="store_true", help="print the figures as JSON")
    s.add_argument("--errors", action="store_true", help="list the labels missed or misattributed")
    s.set_defaults(func=cmd_eval_quotes)

    s = sub.add_parser("feedback", help="what people thought of the answers (👍/👎, reasons)")
    s.add_argument("--since", help="only feedback from this date on (YYYY-MM-DD)")
    s.add_argument("--json", action="store_true", help="print counts and disliked answers as JSON")
    s.set_defaults(func=cmd_feedback)

    _add_intake_commands(sub)

    if extra is not None:
        extra(sub)
    return p


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for noisy in ("httpx", "chromadb", "sentence_transformers", "bm25s", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _open(settings: Settings, *, build_if_empty: bool = True) -> Newsdesk:
    from index.service import Newsdesk

    desk = Newsdesk.open(settings)
    if build_if_empty and desk.damaged is not None:
        raise desk.damaged
    if build_if_empty and desk.snapshot.empty:
        print(f"No index yet: indexing {settings.core.articles_dir} first.", file=sys.stderr)
        _print_summary(desk.reindex(progress=_progress_bar()), as_json=False, out=sys.stderr)
    return desk


# -- commands ---------------------------------------------------------------------------


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    desk = _open(settings, build_if_empty=False)
    summary = desk.reindex(full=args.full, progress=_progress_bar())
    _print_summary(summary, as_json=args.json, out=sys.stdout)
    return 0


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    if args.jsonl:
        desk = _open(settings)
        for line in sys.stdin:
            question = _question_from_line(line)
            if question is None:
                continue
            print(_jsonl_answer(desk, question, args.offline), flush=True)
        return 0
    if not args.question or not args.question.strip():
        print(
            'newsdesk: give a question, e.g. newsdesk ask "What did Rutte say about Dodik?"',
            file=sys.stderr,
        )
        return 2
    desk = _open(settings)
    answer = desk.ask(args.question, offline=args.offline)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(render_answer(answer))
    return 0


def _jsonl_answer(desk: Newsdesk, question: str, offline: bool) -> str:
    """One line of `ask --jsonl`: the answer, or {"question", "error"}; never raises."""
    try:
        row: dict[str, Any] = desk.ask(question, offline=offline).to_dict()
    except NewsdeskError as exc:
        row = {"question": question, "error": str(exc)}
    except Exception as exc:  # one question's failure must not end the batch
        log.exception("ask --jsonl: question failed")
        row = {"question": question, "error": f"unexpected error ({type(exc).__name__}: {exc})"}
    try:
        return json.dumps(row, ensure_ascii=False)
    except UnicodeEncodeError:
        return json.dumps(row)


def _question_from_line(line: str) -> str | None:
    """A question from a --jsonl line: a JSON string, an object with "question", or text."""
    line = line.strip()
    if not line:
        return None
    if line[0] in '{"':
        try:
            value: Any = json.loads(line)
        except json.JSONDecodeError:
            return line
        if isinstance(value, dict):
            return str(value.get("question") or "") or None
        return str(value)
    return line


def cmd_sources(args: argparse.Namespace, settings: Settings) -> int:
    desk = _open(settings)
    arts = desk.sources()
    if args.json:
        print(json.dumps([a.__dict__ for a in arts], ensure_ascii=False, indent=2))
        return 0
    for a in arts:
        print(f"{a.id}\t{a.label()}")
    print(f"{len(arts)} articles", file=sys.stderr)
    return 0


def cmd_source(args: argparse.Namespace, settings: Settings) -> int:
    desk = _open(settings)
    view = desk.source(args.ref)
    if args.json:
        out = {"article": view.article.__dict__, "text": view.text}
        if view.passage:
            out["passage"] = view.passage.to_dict()
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        print(render_source(view))
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from index.evaluate import by_category, load_cases, score_case, sweep
    from index.fit_scorer import split

    cases = load_cases(args.file)
    if args.split != "all":
        sides = split(cases)
        cases = [c for c in cases if sides[c.id] == args.split]
    if args.sweep:  # answer everything; each threshold then decides what it would refuse
        settings = dataclasses.replace(
            settings, core=settings.core.model_copy(update={"refusal_threshold": 0.0})
        )
    desk = _open(settings)
    results = []
    for case in cases:
        answer = desk.ask(case.question, offline=args.offline)
        results.append(score_case(case, answer, desk.snapshot.article_text, args.k))
    summary = by_category(results, args.k)
    if args.sweep:
        rows = sweep(results)
        if args.json:
            print(json.dumps(rows, indent=2))
            return 0
        print(
            f"{'threshold':>9}  {'answer rate':>11}  {'refusal acc.':>12}  {'evidence recall':>15}"
        )
        for row in rows:
            print(
                f"{row['threshold']:>9.2f}  {row['answer_rate']:>11.3f}  "
                f"{row['refusal_accuracy']:>12.3f}  {row['evidence_recall']:>15.3f}"
            )
        return 0
    if args.json:
        print(
            json.dumps(
                {
                    "summary": summary["all"],
                    "by_category": summary,
                    "cases": [
                        {
                            "id": r.case.id,
                            "category": r.case.category,
                            "rank": r.rank,
                            "evidence_found": r.evidence_found,
                            "cited_gold": r.cited_gold,
                            "problems": r.problems,
                            "answer": r.answer,
                        }
                        for r in results
                    ],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    for r in results:
        mark = "ok " if not r.problems else "!! "
        ev = f"{r.evidence_found}/{len(r.case.evidence)}" if r.case.evidence else "-"
        print(
            f"{mark}{r.case.id:>6}  rank={r.rank or '-'}  evidence={ev}  "
            f"{'refused' if r.answer['refused'] else 'answered'}  {r.case.question}"
        )
        for problem in r.problems:
            print(f"        {problem}")
    print()
    for key, value in summary["all"].items():
        print(f"{key:>20}: {value}")
    _print_categories(summary)
    return 0


def _print_categories(summary: dict[str, dict[str, Any]]) -> None:
    cols = (
        "questions",
        "evidence_recall",
        "evidence_strict",
        "evidence_lenient",
        "citation_accuracy",
        "answer_rate",
        "refusal_accuracy",
        "quote_faithfulness",
    )
    print()
    print(f"{'category':>14}  " + "  ".join(f"{c[:12]:>12}" for c in cols))
    for cat, m in summary.items():
        cells = ("-" if m[c] is None else str(m[c]) for c in cols)
        print(f"{cat:>14}  " + "  ".join(f"{v:>12}" for v in cells))


def cmd_quotes(args: argparse.Namespace, settings: Settings) -> int:
    from index.quotes import render_quotes, speaker_quotes_dict

    if args.since and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", args.since):
        print("newsdesk: --since takes a date as YYYY-MM-DD", file=sys.stderr)
        return 2
    desk = _open(settings)
    if args.all:
        snap = desk.snapshot
        for st in snap.quotes.all():
            print(json.dumps(st.contract(), ensure_ascii=False))
        return 0
    if not args.speaker or not args.speaker.strip():
        print(
            "newsdesk: give a speaker, e.g. newsdesk quotes Rutte (or --jsonl --all)",
            file=sys.stderr,
        )
        return 2
    result = desk.quotes(args.speaker, about=args.about, since=args.since)
    if args.jsonl:
        for h in result.hits:
            print(json.dumps(h.statement.contract(), ensure_ascii=False))
    elif args.json:
        print(json.dumps(speaker_quotes_dict(result), ensure_ascii=False, indent=2))
    else:
        print(render_quotes(result))
    return 0


def cmd_eval_quotes(args: argparse.Namespace, settings: Settings) -> int:
    from index.quote_eval import evaluate_file

    report = evaluate_file(args.file, corpus=args.corpus, split=args.split, settings=settings)
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print("\n".join(report.lines()))
    if args.errors:
        for e in report.errors:
            print(json.dumps(e, ensure_ascii=False))
    return 0


def cmd_feedback(args: argparse.Namespace, settings: Settings) -> int:
    """Counts of 👍/👎 and the disliked answers with their reasons (reads no index)."""
    from datetime import date

    from index.feedback import FeedbackStore

    since = None
    if args.since:
        try:
            since = date.fromisoformat(args.since).isoformat()
        except ValueError:
            print(
                f"newsdesk: --since wants a date like 2025-03-01, not {args.since!r}",
                file=sys.stderr,
            )
            return 2
    store = FeedbackStore(settings.core.index_dir / FeedbackStore.FILE)
    votes = store.ratings(since)
    up = sum(1 for v in votes if v.rating > 0)
    counts = {
        "answers": store.answers_count(since),
        "rated": len({v.answer_id for v in votes}),
        "up": up,
        "down": len(votes) - up,
    }
    disliked = [v for v in votes if v.rating < 0]
    if args.json:
        out = {"since": since, "counts": counts, "disliked": [v.to_dict() for v in disliked]}
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    print(
        f"{counts['answers']} answers, {counts['rated']} rated: {counts['up']} 👍, "
        f"{counts['down']} 👎" + (f" (since {since})" if since else "")
    )
    for v in disliked:
        print(f"\n👎 {v.created[:16]}  {v.question}")
        if v.answer.get("rewritten"):
            print(f"   answered as: {v.answer['rewritten']}")
        print(f"   reason: {v.reason or '(none given)'}")
        print(f"   model: {v.model or 'extractive'} · generation {v.generation or '?'}")
        for line in str(v.answer.get("answer", "")).splitlines()[:3]:
            print(f"   > {line[:160]}")
    return 0


def _add_intake_commands(sub: Any) -> None:
    s = sub.add_parser("add", help="fetch web pages (or local files) as articles, then index")
    s.add_argument("urls", nargs="+", metavar="URL", help="http(s) links, or .txt/.md/.html files")
    s.add_argument("--articles", help="articles directory (default: NEWSDESK_ARTICLES_DIR)")
    s.set_defaults(func=cmd_add)

    s = sub.add_parser("feeds", help="RSS/Atom feeds (NEWSDESK_FEEDS)")
    feeds = s.add_subparsers(dest="feeds_command", required=True)
    s = feeds.add_parser("pull", help="fetch each feed once, add the new items, then index")
    s.add_argument("--articles", help="articles directory (default: NEWSDESK_ARTICLES_DIR)")
    s.set_defaults(func=cmd_feeds_pull)


def cmd_add(args: argparse.Namespace, settings: Settings) -> int:
    from index.feeds import Intake, IntakeReport

    desk = _open(settings, build_if_empty=False)
    intake = Intake(desk)
    report = IntakeReport()
    try:
        links = [u for u in args.urls if not Path(u).is_file()]
        if links:
            report = intake.add_urls(links)
        for name in (u for u in args.urls if Path(u).is_file()):
            path = Path(name)
            part = intake.add_file(path.name, path.read_bytes())
            report.items += part.items
            report.reindex = part.reindex or report.reindex
    finally:
        intake.close()
    _print_intake(report)
    return 1 if report.failed else 0


def cmd_feeds_pull(args: argparse.Namespace, settings: Settings) -> int:
    from index.feeds import Intake

    if not settings.core.feeds:
        print(
            "newsdesk: no feeds: set NEWSDESK_FEEDS to comma-separated RSS/Atom URLs",
            file=sys.stderr,
        )
        return 2
    desk = _open(settings, build_if_empty=False)
    intake = Intake(desk)
    try:
        report = intake.pull(wait=True)
    finally:
        intake.close()
    _print_intake(report)
    return 1 if report.failed else 0


def _print_intake(report: Any) -> None:
    for line in report.lines():
        print(line)


# -- rendering for people ------------------------------------------------------------------


def render_answer(answer: Answer) -> str:
    lines = [answer.text]
    if answer.citations:
        lines += ["", "Sources:"]
        spans: dict[int, list[str]] = {}
        for c in answer.citations:
            spans.setdefault(c.n, []).append(f"{c.start}–{c.end}")
        for c in {c.n: c for c in answer.citations}.values():
            where = c.article.url or c.article.file
            places = ", ".join(spans[c.n])
            lines.append(f"[{c.n}] {c.article.label()} ({where}, characters {places})")
    if answer.verification:
        lines += ["", *(f"note: {v}" for v in answer.verification)]
    return "\n".join(lines)


def render_source(view: SourceView) -> str:
    a = view.article
    head = [a.title or a.file]
    meta = [f"id: {a.id}", f"file: {a.file}"]
    meta += [
        f"{k}: {v}"
        for k, v in (("outlet", a.outlet), ("author", a.author), ("date", a.date), ("url", a.url))
        if v
    ]
    body = view.text
    if view.passage:
        p = view.passage
        body = (
            f"passage {p.chunk_id}, characters {p.start}–{p.end} of {len(view.text)}:\n\n{p.text}"
        )
    return "\n".join([*head, *meta, "", body])


def _print_summary(summary: ReindexSummary, *, as_json: bool, out: Any) -> None:
    if as_json:
        print(json.dumps(summary.to_dict(), indent=2), file=out)
        return
    print(summary.line(), file=out)
    for s in summary.skipped:
        print(f"  skipped {s.file}: {s.reason}", file=out)


def _progress_bar() -> Callable[[Progress], None]:
    from tqdm import tqdm

    bar: dict[str, Any] = {}

    def report(p: Progress) -> None:
        if p.stage != "embedding":
            if p.stage == "done" and "bar" in bar:
                bar["bar"].close()
            return
        if "bar" not in bar:
            bar["bar"] = tqdm(
                total=p.total, unit="chunk", desc="embedding", file=sys.stderr, disable=p.total == 0
            )
        bar["bar"].update(p.done - bar["bar"].n)

    return report


if __name__ == "__main__":
    sys.exit(main())
