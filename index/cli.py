"""The `newsdesk` command: index, ask, sources, source, eval, bot.

Settings load here, when the program starts; errors of the core are mapped to messages and
exit codes once, in `main`.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.config import Settings
from index.errors import NewsdeskError
from index.models import Answer, Progress, ReindexSummary, SourceView

if TYPE_CHECKING:
    from collections.abc import Callable

    from index.service import Newsdesk

log = logging.getLogger(__name__)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the local model never needs the hub
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        settings = Settings.load(args.env_file)
    except Exception as exc:
        print(f"newsdesk: invalid settings: {exc}", file=sys.stderr)
        return 2
    level = args.log_level or settings.core.log_level
    if (
        args.command == "bot"
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


def _parser() -> argparse.ArgumentParser:
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
    s.set_defaults(func=cmd_eval)

    s = sub.add_parser("bot", help="run the Discord bot")
    s.set_defaults(func=cmd_bot)
    _add_intake_commands(sub)
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
            try:
                row = desk.ask(question, offline=args.offline).to_dict()
            except NewsdeskError as exc:
                row = {"question": question, "error": str(exc)}
            print(json.dumps(row, ensure_ascii=False), flush=True)
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
    from index.evaluate import load_cases, score_case, summarize

    cases = load_cases(args.file)
    desk = _open(settings)
    results = []
    for case in cases:
        answer = desk.ask(case.question, offline=args.offline)
        results.append(score_case(case, answer, desk.snapshot.article_text, args.k))
    summary = summarize(results, args.k)
    if args.json:
        print(
            json.dumps(
                {
                    "summary": summary,
                    "cases": [
                        {
                            "id": r.case.id,
                            "rank": r.rank,
                            "evidence_found": r.evidence_found,
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
    for key, value in summary.items():
        print(f"{key:>20}: {value}")
    return 0


def cmd_bot(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import run  # the Discord layer sits on top of the core, never the reverse

    run(settings)
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
        for c in answer.citations:
            where = c.article.url or c.article.file
            lines.append(f"[{c.n}] {c.article.label()} ({where}, characters {c.start}–{c.end})")
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
