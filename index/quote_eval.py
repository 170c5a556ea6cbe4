"""Scoring speaker attribution against a labelled file (../shared/eval/attribution-dev.jsonl).

Matching as the dev sets' README says: a predicted statement matches a gold label when their
spans overlap in the article text, one to one by largest overlap; the speaker is right when the
surnames agree (last word, lower case, no diacritics, honorifics/post-nominals/possessive
dropped). Recall is the share of labels found with the right speaker; speaker precision the
share of found labels given the right speaker. Both by mention type and by kind.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.attribution import fold

_DROP = frozenset("mr mrs ms miss dr sir lord lady prof professor qc mp msp kc jr sr".split())


@dataclass(frozen=True)
class Predicted:
    start: int  # in the article text the labels refer to
    end: int
    speaker: str | None


@dataclass
class Tally:
    gold: int = 0
    found: int = 0
    right: int = 0

    @property
    def recall(self) -> float:
        return self.right / self.gold if self.gold else 0.0

    @property
    def precision(self) -> float:
        return self.right / self.found if self.found else 0.0


@dataclass
class Report:
    overall: Tally = field(default_factory=Tally)
    by_mention: dict[str, Tally] = field(default_factory=dict)
    by_kind: dict[str, Tally] = field(default_factory=dict)
    predicted: int = 0
    matched_predictions: int = 0
    articles: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def lines(self) -> list[str]:
        quote_p = self.matched_predictions / self.predicted if self.predicted else 0.0
        out = [
            f"articles {self.articles}, labels {self.overall.gold}, statements {self.predicted}",
            f"{'':12} {'labels':>6} {'found':>6} {'recall':>7} {'spk prec':>8}",
            _row("all", self.overall),
        ]
        out += [_row(f"mention={k}", t) for k, t in sorted(self.by_mention.items())]
        out += [_row(f"kind={k}", t) for k, t in sorted(self.by_kind.items())]
        out.append(f"quote precision {quote_p:.3f} (statements that match a label)")
        return out

    def as_dict(self) -> dict[str, Any]:
        def t(x: Tally) -> dict[str, Any]:
            return {
                "labels": x.gold,
                "found": x.found,
                "recall": round(x.recall, 4),
                "speaker_precision": round(x.precision, 4),
            }

        return {
            "articles": self.articles,
            "statements": self.predicted,
            "all": t(self.overall),
            "by_mention": {k: t(v) for k, v in sorted(self.by_mention.items())},
            "by_kind": {k: t(v) for k, v in sorted(self.by_kind.items())},
        }


def _row(name: str, t: Tally) -> str:
    return f"{name:12} {t.gold:6d} {t.found:6d} {t.recall:7.3f} {t.precision:8.3f}"


def surname(name: str | None) -> str:
    """The word speakers are compared by: the last word, folded, without titles."""
    if not name:
        return ""
    words = [w for w in re.split(r"[\s]+", fold(name).strip()) if w]
    words = [re.sub(r"['’]s$|['’]$", "", w).strip(".,") for w in words]
    words = [w for w in words if w and w not in _DROP]
    return words[-1] if words else ""


def split_of(article_id: str) -> str:
    """A fixed split of articles: "dev" or "held-out" by a hash of the id."""
    return "dev" if hashlib.sha1(article_id.encode()).digest()[0] % 2 == 0 else "held-out"


def read_labels(path: Path) -> list[dict[str, Any]]:
    rows = []
    for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{no}: invalid JSON ({exc.msg})") from None
        for k in ("article_id", "quote", "speaker", "start"):
            if k not in row:
                raise ValueError(f"{path}:{no}: a label needs '{k}'")
        rows.append(row)
    return rows


def locate(raw: str, piece: str, near: int = 0) -> tuple[int, int] | None:
    """Where `piece` (text from the cleaned article) stands in the raw text it came from."""
    hits = [m.start() for m in re.finditer(re.escape(piece), raw)] if piece else []
    if hits:
        at = min(hits, key=lambda h: abs(h - near))
        return at, at + len(piece)
    words = piece.split()
    if not words:
        return None
    m = re.search(r"\s+".join(map(re.escape, words)), raw)
    return (m.start(), m.end()) if m else None


def score(
    labels: Sequence[dict[str, Any]],
    predict: Callable[[str], Sequence[Predicted]],
    article_ids: Iterable[str],
) -> Report:
    """Score `predict(article_id)` (spans in the labels' text) against `labels`."""
    report = Report()
    by_article: dict[str, list[dict[str, Any]]] = {}
    for r in labels:
        by_article.setdefault(r["article_id"], []).append(r)
    for aid in article_ids:
        gold = by_article.get(aid, [])
        preds = list(predict(aid))
        report.articles += 1
        report.predicted += len(preds)
        pairs = []
        for gi, g in enumerate(gold):
            ga, gb = int(g["start"]), int(g["start"]) + len(g["quote"])
            for pi, p in enumerate(preds):
                ov = min(gb, p.end) - max(ga, p.start)
                if ov > 0:
                    pairs.append((ov, gi, pi))
        pairs.sort(key=lambda x: (-x[0], x[1], x[2]))
        used_g: dict[int, int] = {}
        used_p: set[int] = set()
        for _ov, gi, pi in pairs:
            if gi in used_g or pi in used_p:
                continue
            used_g[gi] = pi
            used_p.add(pi)
        report.matched_predictions += len(used_p)
        for gi, g in enumerate(gold):
            tallies = [
                report.overall,
                report.by_mention.setdefault(str(g.get("mention", "?")), Tally()),
                report.by_kind.setdefault(str(g.get("kind", "?")), Tally()),
            ]
            got = used_g.get(gi)
            right = got is not None and surname(preds[got].speaker) == surname(g["speaker"])
            for t in tallies:
                t.gold += 1
                t.found += got is not None
                t.right += right
            if not right:
                report.errors.append(
                    {
                        "article_id": aid,
                        "quote": g["quote"][:80],
                        "gold": g["speaker"],
                        "mention": g.get("mention"),
                        "kind": g.get("kind"),
                        "predicted": preds[got].speaker if got is not None else "(not found)",
                    }
                )
    return report


def evaluate_file(
    labels_path: Path, *, corpus: Path | None, split: str = "all", settings: Any = None
) -> Report:
    """Score the annotation on a labelled file: of the articles in `corpus` (JSONL, annotated
    here), or of the current index (what ingest stored). Spans are compared in the cleaned text,
    where each label is found by exact search nearest its offset."""
    from index.articles import build_article
    from index.attribution import annotate

    labels = read_labels(labels_path)
    ids = sorted({r["article_id"] for r in labels})
    if split != "all":
        ids = [i for i in ids if split_of(i) == split]
    texts: dict[str, str] = {}
    preds: dict[str, list[Predicted]] = {}
    if corpus is not None:
        want = set(ids)
        for line in corpus.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            rec = json.loads(line)
            if rec.get("id") in want:
                art = build_article(rec["id"], corpus.name, rec["text"], {})
                texts[art.id] = art.text
                preds[art.id] = [
                    Predicted(f.start, f.end, f.speaker) for f in annotate(art.text).statements
                ]
    else:
        from index.service import Newsdesk

        desk = Newsdesk.open(settings)
        snap = desk.snapshot
        for aid in ids:
            if aid in snap.articles:
                texts[aid] = snap.article_text(aid)
                preds[aid] = [
                    Predicted(s.start, s.end, s.speaker) for s in snap.quotes.statements(aid)
                ]
    missing = [i for i in ids if i not in texts]
    if missing:
        where = corpus or "the index"
        raise ValueError(f"{len(missing)} labelled articles are not in {where}, e.g. {missing[0]}")
    moved = []
    for r in labels:
        if r["article_id"] not in texts:
            continue
        span = locate(texts[r["article_id"]], r["quote"], int(r["start"]))
        # a label whose words cleaning removed stays, unmatchable: it counts as missed
        moved.append({**r, "start": span[0] if span else -(10**9)})
    return score(moved, lambda aid: [p for p in preds[aid] if p.speaker], ids)
