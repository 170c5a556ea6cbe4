"""Fit the answer scorer's weights and refusal threshold on part of a development set.

    python -m index.fit_scorer extract DEV.jsonl CACHE.pkl   # features, once per index
    python -m index.fit_scorer fit CACHE.pkl                 # writes index/weights/...json

The split is fixed and grouped by article, so no article has questions on both sides: the
articles of each category, ordered by a hash of their id, go alternately to the fit half and
the held-out half (an article already placed stays where it is); unanswerable questions, which
have no article, are split the same way by question id. Only the fit half is fitted on; `fit`
reports the held-out half, overall and per category, as the answer path would answer it.

The model is fitted in two steps, with numpy: an L2-regularised conditional logit over
`scoring.FEATURES` (per question, a softmax over its candidates; a candidate is positive when
it holds an evidence string and comes from a gold article), which ranks; then a logistic
calibration of each question's best score against whether that best candidate answers, which
makes the score a probability. The refusal threshold and the share of the best probability
that further quotes need are then chosen on the fit half to maximise answer rate + refusal
accuracy + evidence recall.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from index.answerer import asks_after, select
from index.evaluate import Case, evidence_hits, load_cases
from index.scoring import FEATURES, WEIGHTS_FILE, Model, Scored

VERSION = 1
L2 = 1.0
THRESHOLDS = tuple(round(0.02 * i, 2) for i in range(1, 50))
RATIOS = (0.5, 0.6, 0.7, 0.8, 0.9, 1.01)
WEIGHTS_PATH = Path(__file__).resolve().parent / "weights" / WEIGHTS_FILE


def _h(s: str) -> str:
    return hashlib.sha1(s.encode()).hexdigest()


def split(cases: Sequence[Case]) -> dict[str, str]:
    """Case id -> "fit" or "held" (see the module docstring)."""
    place: dict[str, str] = {}
    out: dict[str, str] = {}
    for cat in sorted({c.category for c in cases}):
        members = [c for c in cases if c.category == cat]
        groups = sorted({(c.sources[0] if c.sources else "q:" + c.id) for c in members}, key=_h)
        turn = 0
        for g in groups:
            if g not in place:
                place[g] = ("fit", "held")[turn % 2]
                turn += 1
        for c in members:
            out[c.id] = place[c.sources[0] if c.sources else "q:" + c.id]
    return out


CACHE_FORMAT = 2  # bump when the cached rows change shape


def extract(dev: Path, cache: Path) -> None:
    """Candidates and features of every question, with their labels, into `cache`."""
    from index.config import Settings
    from index.scoring import features, unfitted
    from index.service import Newsdesk

    # features do not depend on the weights: extract with an unfitted scorer, so a change of
    # features never needs the old weights to load
    desk = Newsdesk.open(Settings.load(), scorer=unfitted())
    rows = []
    for i, case in enumerate(load_cases(dev)):
        job, ctx, cands = desk.candidates(case.question)
        x = features(ctx, cands)
        hits = [evidence_hits(case, c.text) for c in cands]
        gold = [case.is_gold(c.article.id, c.article.file) for c in cands]
        rows.append(
            {
                "case": case,
                "x": x,
                "hits": hits,
                "gold": gold,
                "candidates": cands,
                "question": job.question,
            }
        )
        print(f"{i + 1} {case.id} {len(cands)} candidates", file=sys.stderr)
    cache.write_bytes(pickle.dumps({"features": FEATURES, "format": CACHE_FORMAT, "rows": rows}))


def _fit_lr(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    w = np.zeros(z.shape[1])
    # Positives are rare (about one candidate in fifty): weigh the classes equally.
    pos = max(y.sum(), 1)
    sw = np.where(y > 0, len(y) / (2 * pos), len(y) / (2 * max(len(y) - pos, 1)))
    reg = np.full(z.shape[1], L2)
    reg[-1] = 0.0
    for _ in range(50):
        p = 1 / (1 + np.exp(-(z @ w)))
        grad = z.T @ (sw * (p - y)) + reg * w
        hess = (z * (sw * p * (1 - p))[:, None]).T @ z + np.diag(reg)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w[:-1], float(w[-1]), mean, scale


def _fit_ranking(
    groups: Sequence[tuple[np.ndarray, np.ndarray]], l2: float = L2
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weights of a conditional logit: per question, a softmax over its candidates that puts
    the probability on the ones holding the evidence (what the answer picks is the best one).
    Returns weights over standardised features, and the standardisation."""
    allx = np.vstack([x for x, _ in groups])
    mean = allx.mean(axis=0)
    scale = allx.std(axis=0)
    scale[scale < 1e-9] = 1.0
    zs = [((x - mean) / scale, y / y.sum()) for x, y in groups if y.sum() > 0]

    def loss(w: np.ndarray) -> float:
        total = 0.5 * l2 * float(w @ w)
        for z, t in zs:
            s = z @ w
            total += float(s.max() + np.log(np.exp(s - s.max()).sum()) - t @ s)
        return total

    w = np.zeros(allx.shape[1])
    for _ in range(50):  # damped Newton on the convex negative log-likelihood
        grad = l2 * w
        hess = np.diag(np.full(len(w), l2))
        for z, t in zs:
            s = z @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            mu = p @ z
            grad += mu - t @ z
            hess += (z * p[:, None]).T @ z - np.outer(mu, mu)
        step = np.linalg.solve(hess, grad)
        before, size = loss(w), 1.0
        while size > 1e-4 and loss(w - size * step) > before:
            size /= 2
        w = w - size * step
        if np.abs(size * step).max() < 1e-6:
            break
    return w, mean, scale


def _calibrate(tops: np.ndarray, good: np.ndarray) -> tuple[float, float]:
    """a, c so that sigmoid(a * score + c) is the chance that the best candidate answers."""
    w, b, mean, scale = _fit_lr(tops[:, None], good.astype(float))
    return float(w[0] / scale[0]), float(b - w[0] * mean[0] / scale[0])


def simulate(
    rows: Sequence[dict[str, Any]], model: Model, max_quotes: int = 3
) -> list[dict[str, Any]]:
    """What the extractive answerer would answer for each cached question."""
    out = []
    for r in rows:
        case: Case = r["case"]
        cands = r["candidates"]
        probs = model.probability(r["x"]) if len(cands) else np.zeros(0)
        order = sorted(range(len(cands)), key=lambda i: (-probs[i], cands[i].rank, cands[i].start))
        scored = [Scored(cands[i], float(probs[i])) for i in order]
        chosen = select(scored, model.threshold, model.second_ratio, max_quotes)
        idx = {id(s.candidate): i for i, s in zip(order, scored, strict=True)}
        picked = [idx[id(s.candidate)] for s in chosen]
        refused = not picked or asks_after(r["question"], [cands[i] for i in picked]) is not None
        found = [any(r["hits"][i][e] for i in picked) for e in range(len(case.evidence))]
        out.append(
            {
                "case": case,
                "refused": refused,
                "found": 0 if refused else sum(found),
                "cited_gold": any(r["gold"][i] for i in picked),
                "quotes": len(picked),
            }
        )
    return out


def metrics(sim: Sequence[dict[str, Any]]) -> dict[str, Any]:
    ans = [s for s in sim if s["case"].answerable]
    una = [s for s in sim if not s["case"].answerable]
    ev = [s for s in ans if s["case"].evidence]
    answered = [s for s in ans if not s["refused"]]

    def share(n: float, d: int) -> float | None:
        return round(n / d, 3) if d else None

    return {
        "n": len(sim),
        "evidence_recall": share(sum(s["found"] / len(s["case"].evidence) for s in ev), len(ev)),
        "strict": share(sum(s["found"] == len(s["case"].evidence) for s in ev), len(ev)),
        "lenient": share(sum(s["found"] > 0 for s in ev), len(ev)),
        "answer_rate": share(len(answered), len(ans)),
        "refusal_accuracy": share(sum(s["refused"] for s in una), len(una)),
        "citation_accuracy": share(sum(s["cited_gold"] for s in answered), len(answered)),
        "quotes_per_answer": share(sum(s["quotes"] for s in answered), len(answered)),
    }


def _objective(m: dict[str, Any]) -> float:
    return float(
        (m["answer_rate"] or 0) + (m["refusal_accuracy"] or 0) + (m["evidence_recall"] or 0)
    )


def fit(cache: Path, out: Path = WEIGHTS_PATH) -> dict[str, Any]:
    data = pickle.loads(cache.read_bytes())
    if tuple(data["features"]) != FEATURES:
        raise SystemExit("the cache was extracted with other features: run `extract` again")
    if data.get("format") != CACHE_FORMAT:
        raise SystemExit("the cache was extracted by an older version: run `extract` again")
    rows = data["rows"]
    sides = split([r["case"] for r in rows])
    fit_rows = [r for r in rows if sides[r["case"].id] == "fit"]
    held_rows = [r for r in rows if sides[r["case"].id] == "held"]
    xs = [r["x"] for r in fit_rows if len(r["candidates"])]
    ys = [
        np.asarray([any(h) and g for h, g in zip(r["hits"], r["gold"], strict=True)], dtype=float)
        for r in fit_rows
        if len(r["candidates"])
    ]
    w, mean, scale = _fit_ranking(list(zip(xs, ys, strict=True)))
    # Calibrate on each question's best candidate: does it hold the evidence (and is the
    # question answerable at all)?
    tops, good = [], []
    for r in fit_rows:
        if not len(r["candidates"]):
            continue
        score = ((r["x"] - mean) / scale) @ w
        i = int(np.argmax(score))
        tops.append(score[i])
        good.append(r["case"].answerable and any(r["hits"][i]) and r["gold"][i])
    a, c = _calibrate(np.asarray(tops), np.asarray(good))
    w, b = w * a, c
    best: tuple[float, Model] | None = None
    for t in THRESHOLDS:
        for ratio in RATIOS:
            m = Model(w, b, mean, scale, t, ratio, {})
            obj = _objective(metrics(simulate(fit_rows, m)))
            if best is None or obj > best[0] + 1e-9:
                best = (obj, m)
    assert best is not None
    chosen = best[1]
    report = {
        "fit": metrics(simulate(fit_rows, chosen)),
        "held": metrics(simulate(held_rows, chosen)),
        "held_by_category": {
            cat: metrics(simulate([r for r in held_rows if r["case"].category == cat], chosen))
            for cat in sorted({r["case"].category for r in held_rows})
        },
    }
    info = {
        "version": VERSION,
        "fitted_on": "dev-news.jsonl, fit half (index.fit_scorer.split)",
        "fit_questions": len(fit_rows),
        "held_questions": len(held_rows),
        "l2": L2,
        "held_out": report["held"],
    }
    model = Model(w, b, mean, scale, chosen.threshold, chosen.second_ratio, info)
    out.write_text(json.dumps(model.to_json(), indent=1) + "\n", encoding="utf-8")
    return report


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m index.fit_scorer", description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("extract", help="features of every question of a dev set, cached")
    e.add_argument("dev", type=Path)
    e.add_argument("cache", type=Path)
    f = sub.add_parser("fit", help="fit on the fit half, write the weights, report held-out")
    f.add_argument("cache", type=Path)
    f.add_argument("--out", type=Path, default=WEIGHTS_PATH)
    args = ap.parse_args(argv)
    if args.cmd == "extract":
        extract(args.dev, args.cache)
    else:
        print(json.dumps(fit(args.cache, args.out), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
