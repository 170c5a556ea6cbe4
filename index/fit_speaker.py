"""Fit the speaker check (`index/weights/speaker_model.json`) on labelled articles.

    python -m index.fit_speaker ../shared/eval/attribution-dev.jsonl \
        --corpus ../shared/corpus/news-2k.jsonl [--split dev] \
        [--questions ../shared/eval/dev-news.jsonl]

Each labelled statement the rules find is one group: its candidates (`speaker_model.candidates`)
with the ones sharing the label's surname as positives. Only the articles of `--split` are read,
so the other split stays unseen for measuring. `--questions` adds the evidence of speaker
questions ("What did X say about ...", and role questions whose notes name the speaker) from
articles the labelled file does not hold: statements the rules were not written against. Leave-one-article-out, the fit also reports how
often the model's first candidate is right, and the rules' speaker, with and without the check.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from index.articles import build_article
from index.attribution import Annotation, annotate_rules
from index.fit_scorer import _fit_ranking
from index.quote_eval import locate, read_labels, split_of, surname
from index.speaker_model import FEATURES, WEIGHTS_FILE, Model, candidates

WEIGHTS_PATH = Path(__file__).parent / "weights" / WEIGHTS_FILE
L2 = 1.0  # ridge on standardised features: the groups number in the low hundreds
RATIOS = (0.0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0)  # candidates for the keep ratio

Group = tuple[str, np.ndarray, np.ndarray, int]  # article, features, positives, rules' pick


def groups(
    labels_path: Path, corpus: Path, split: str, questions: Path | None = None
) -> list[Group]:
    """One group per labelled statement that the rules found, in the split's articles."""
    labels = read_labels(labels_path)
    labelled = {r["article_id"] for r in labels}
    want = {a for a in labelled if split == "all" or split_of(a) == split}
    if questions is not None:
        extra = [r for r in question_labels(questions) if r["article_id"] not in labelled]
        labels += extra
        want |= {r["article_id"] for r in extra}
    out: list[Group] = []
    for line in corpus.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line) if line.strip() else {}
        if rec.get("id") not in want:
            continue
        art = build_article(rec["id"], corpus.name, rec["text"], {})
        ann = annotate_rules(art.text)
        mine = [r for r in labels if r["article_id"] == art.id]
        out += _article_groups(art.id, art.text, ann, mine)
    return out


_ASKED = re.compile(
    r"^(?:what did|how did|why did|what does|how does) (.+?) (?:say|describe|call)", re.I
)
_NOTED = re.compile(r"Speaker: ([^.,(]+)")


def question_labels(path: Path) -> list[dict[str, Any]]:
    """Labels from speaker questions: each evidence string, said by the asked-about person."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        q = json.loads(line) if line.strip() else {}
        if q.get("category") not in ("speaker_quote", "describe", "role_speaker"):
            continue
        m = _NOTED.search(q.get("notes", "")) if q["category"] == "role_speaker" else None
        m = m or (_ASKED.match(q["question"]) if q["category"] != "role_speaker" else None)
        if m is None:
            continue
        for aid in q.get("source_ids", []):
            for ev in q.get("evidence", []):
                out.append({"article_id": aid, "quote": ev, "speaker": m.group(1), "start": 0})
    return out


def _article_groups(
    aid: str, text: str, ann: Annotation, labels: Sequence[dict[str, Any]]
) -> list[Group]:
    out: list[Group] = []
    for r in labels:
        span = locate(text, r["quote"], int(r["start"]))
        if span is None:
            continue
        ga, gb = span
        overlaps = [
            (min(gb, f.end) - max(ga, f.start), k)
            for k, f in enumerate(ann.statements)
            if f.speaker is not None and min(gb, f.end) > max(ga, f.start)
        ]
        if not overlaps:
            continue
        k = max(overlaps)[1]
        names, x = candidates(ann, text, k)
        if len(names) < 2:
            continue
        y = np.asarray([surname(n) == surname(r["speaker"]) for n in names], dtype=np.float64)
        said = ann.statements[k].speaker
        pick = names.index(said) if said is not None and said in names else -1
        out.append((aid, x, y, pick))
    return out


def fit_model(gs: Sequence[Group], info: dict[str, Any], ratio: float = 1.0) -> Model:
    w, mean, scale = _fit_ranking([(x, y) for _a, x, y, _p in gs if y.sum() > 0], l2=L2)
    return Model(w, mean, scale, ratio, info)


def cross_check(gs: Sequence[Group]) -> dict[str, Any]:
    """Leave one article out: the model's first choice, the rules' speaker, and for each keep
    ratio how many speakers the check keeps and how many of those are right. The chosen ratio
    keeps the most right speakers net of wrong ones (the smallest on ties): a speaker is left
    unknown only where that removes more wrong speakers than right ones."""
    arts = sorted({a for a, *_ in gs})
    top = 0
    shares: list[tuple[float, bool]] = []
    for a in arts:
        model = fit_model([g for g in gs if g[0] != a], {})
        for _a, x, y, pick in (g for g in gs if g[0] == a):
            p = model.probabilities(x)
            top += int(y[int(p.argmax())] > 0)
            right = bool(pick >= 0 and y[pick] > 0)
            shares.append((float(p[pick] / p.max()) if pick >= 0 else 1.0, right))
    n = len(gs)
    curve = []
    for r in RATIOS:
        kept = [ok for s, ok in shares if s >= r]
        curve.append({"ratio": r, "kept": len(kept), "right": sum(kept)})
    best = max(curve, key=lambda c: (2 * c["right"] - c["kept"], -c["ratio"]))
    return {
        "groups": n,
        "model_top_right": round(top / n, 4) if n else None,
        "rules_right": round(sum(ok for _s, ok in shares) / n, 4) if n else None,
        "ratio": best["ratio"],
        "curve": curve,
    }


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m index.fit_speaker", description=__doc__)
    p.add_argument("labels", type=Path)
    p.add_argument("--corpus", type=Path, required=True)
    p.add_argument("--split", choices=("all", "dev", "held-out"), default="dev")
    p.add_argument("--questions", type=Path, help="speaker questions, e.g. dev-news.jsonl")
    p.add_argument("--out", type=Path, default=WEIGHTS_PATH)
    args = p.parse_args(argv)
    gs = groups(args.labels, args.corpus, args.split, args.questions)
    report = cross_check(gs)
    info = {
        "labels": args.labels.name,
        "split": args.split,
        "questions": args.questions.name if args.questions else None,
        "l2": L2,
        **report,
    }
    model = fit_model(gs, info, float(report["ratio"]))
    args.out.write_text(json.dumps(model.to_json(), indent=1) + "\n", encoding="utf-8")
    print(json.dumps(info, indent=1))
    for name, w in zip(FEATURES, model.weights, strict=True):
        print(f"{name:20} {w:+.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
