"""The quote index: who said what, across the collection.

Each article is annotated once, at ingest (`annotation_json`), and the annotation is stored with
the article in its generation. A `QuoteIndex` is built from the stored annotations of one
generation: it merges one person's spellings across articles into one speaker (diacritics,
case, a one-letter difference in the surname, with the same first name or none), never two
people who share only a surname, and answers "what did X say" and "who is X" lookups.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from rapidfuzz.distance import Levenshtein

from index.attribution import ATTRIBUTION_VERSION, Annotation, annotate, fold
from index.errors import NewsdeskError
from index.lexical import OneEdit
from index.models import ArticleRef

log = logging.getLogger(__name__)


class SpeakerNotFound(NewsdeskError):
    """No speaker in the index matches the name asked for."""


ROLE_MATCH = 0.8  # score of a speaker found by a role the articles tie to their name


@dataclass(frozen=True)
class Statement:
    """One attributed statement; `text == article_text[start:end]`."""

    article_id: str
    start: int
    end: int
    text: str
    quoted: str | None  # the words inside the quotation marks (None for indirect speech)
    kind: str  # "direct" | "indirect"
    speaker: str | None  # canonical full name (or body name), None when unknown
    aliases: tuple[str, ...]  # every alias of the speaker across the collection
    sentence_start: int
    sentence_end: int
    mention: str = "name"  # how the article refers to the speaker there

    def contract(self) -> dict[str, object]:
        """The `newsdesk quotes --jsonl` object (see README: the JSONL contract)."""
        return {
            "article_id": self.article_id,
            "speaker": self.speaker,
            "aliases": list(self.aliases),
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "quoted": self.quoted,
            "kind": self.kind,
        }


def annotation_json(text: str) -> str:
    """The stored annotation of an article's cleaned text (compact JSON)."""
    return dump(annotate(text), text)


def dump(ann: Annotation, text: str) -> str:
    return json.dumps(
        {
            "v": ATTRIBUTION_VERSION,
            "s": [
                [
                    f.start,
                    f.end,
                    f.kind,
                    f.speaker,
                    f.mention,
                    f.sentence_start,
                    f.sentence_end,
                    text[f.start : f.end],
                ]
                for f in ann.statements
            ],
            "e": [
                {"n": e.name, "k": e.kind, "a": sorted(e.aliases), "r": sorted(e.roles)}
                for e in ann.entities.values()
                if not e.members
            ],
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


@dataclass
class _Speaker:
    name: str
    kind: str
    aliases: set[str]
    roles: set[str]


class QuoteIndex:
    """Statements of one index generation by article and by speaker; immutable once built."""

    def __init__(self, stored: Mapping[str, str]) -> None:
        """`stored`: article id -> annotation JSON (as `annotation_json` makes it)."""
        self._raw: dict[str, list[list[object]]] = {}
        local: dict[tuple[str, str], _Speaker] = {}
        for aid, blob in stored.items():
            if not blob:
                continue
            try:
                data = json.loads(blob)
            except json.JSONDecodeError:
                log.warning("unreadable quote annotation of %s: skipped", aid)
                continue
            self._raw[aid] = data.get("s", [])
            for e in data.get("e", []):
                local[(aid, e["n"])] = _Speaker(e["n"], e["k"], set(e["a"]), set(e["r"]))
        self._canon = _merge(local)
        self._speakers: dict[str, _Speaker] = {}
        for key, canon in self._canon.items():
            sp = local[key]
            merged = self._speakers.setdefault(canon, _Speaker(canon, sp.kind, set(), set()))
            merged.aliases |= sp.aliases | {sp.name}
            merged.roles |= sp.roles
        self._by_article: dict[str, list[Statement]] = {}
        self._by_speaker: dict[str, list[Statement]] = {}
        self._speaker_lookup: _SpeakerLookup | None = None
        for aid in sorted(self._raw):
            self._build(aid)

    @classmethod
    def empty(cls) -> QuoteIndex:
        return cls({})

    def _build(self, aid: str) -> None:
        out = []
        for row in self._raw.get(aid, []):
            start, end, kind, local, mention, s0, s1, span = row
            speaker = self._canon.get((aid, str(local))) if local is not None else None
            aliases = tuple(sorted(self._speakers[speaker].aliases)) if speaker else ()
            out.append(
                Statement(
                    aid,
                    int(start),  # type: ignore[call-overload]
                    int(end),  # type: ignore[call-overload]
                    str(span),
                    str(span) if kind == "direct" else None,
                    str(kind),
                    speaker,
                    aliases,
                    int(s0),  # type: ignore[call-overload]
                    int(s1),  # type: ignore[call-overload]
                    str(mention),
                )
            )
        self._by_article[aid] = out
        for st in out:
            if st.speaker:
                self._by_speaker.setdefault(st.speaker, []).append(st)

    def __len__(self) -> int:
        return sum(len(v) for v in self._raw.values())

    def article_ids(self) -> list[str]:
        return sorted(self._raw)

    def statements(self, article_id: str) -> list[Statement]:
        """The statements of one article, in reading order."""
        return list(self._by_article.get(article_id, []))

    def speaker_at(self, article_id: str, start: int, end: int) -> str | None:
        """The speaker of the statement(s) overlapping [start, end), None if none/unknown."""
        best: tuple[int, str | None] | None = None
        for st in self._by_article.get(article_id, []):
            ov = min(end, st.end) - max(start, st.start)
            if ov > 0 and (best is None or ov > best[0]):
                best = (ov, st.speaker)
        return best[1] if best else None

    def by_speaker(self, speaker: str) -> list[Statement]:
        return list(self._by_speaker.get(speaker, []))

    def speakers(self) -> list[str]:
        """Named speakers with at least one statement, most quoted first (descriptions such
        as "a protester", "officials", "The defendants" or "the book" are left out)."""

        def listed(s: str) -> bool:
            sp = self._speakers.get(s)
            if sp is not None and sp.kind in ("description", "group"):
                return s[:1].isupper() and not s.startswith("The ")  # "Liverpool fans"
            return s[:1].isupper() or s.startswith("the ")

        names = [s for s in self._by_speaker if listed(s)]
        return sorted(names, key=lambda s: (-len(self._by_speaker[s]), s))

    def aliases(self, speaker: str) -> tuple[str, ...]:
        sp = self._speakers.get(speaker)
        return tuple(sorted(sp.aliases)) if sp else ()

    def find_speakers(
        self, mention: str, article_ids: Collection[str] | None = None, roles: bool = True
    ) -> list[tuple[str, float]]:
        """Canonical speakers `mention` refers to, best first, scored 0..1: a full name, a
        surname (case, diacritics and one-letter variants), or (with `roles`) a role tied to a
        name, by how many words the two share (so "Scotland's finance minister" is not a
        finance minister of another country)."""
        want = fold(mention).strip()
        want_words = _without_article(want)
        if not want_words:
            return []
        allowed = None
        if article_ids is not None:
            ids = set(article_ids)
            allowed = {st.speaker for a in ids for st in self._by_article.get(a, []) if st.speaker}
        scores: dict[str, float] = {}
        for name in self._lookup().candidates(want_words):
            if allowed is not None and name not in allowed:
                continue
            sp = self._speakers[name]
            names = sp.aliases | {name}
            if len(want_words) > 1:  # a first name was given: match it against full names
                names = {a for a in names if len(a.split()) > 1} or names
            if sp.kind == "person":
                s = max(_name_score(want_words, fold(a)) for a in names)
            else:  # a body goes by its whole name ("Athletics Kenya" is no Mr Kenya)
                s = max(float(want_words == _without_article(fold(a))) for a in names)
            if roles and s < 1.0 and sp.roles:
                role = max(_role_score(want_words, fold(r)) for r in sp.roles)
                s = max(s, role * ROLE_MATCH)
            if s > 0:
                scores[name] = s
        return sorted(scores.items(), key=lambda kv: (-kv[1], -len(self._by_speaker[kv[0]]), kv[0]))

    def _lookup(self) -> _SpeakerLookup:
        """Speakers by surname and role word, built on first use (the index is immutable)."""
        if self._speaker_lookup is None:
            named = {n: self._speakers[n] for n in self._by_speaker}
            self._speaker_lookup = _SpeakerLookup(named)
        return self._speaker_lookup

    def all(self) -> Iterable[Statement]:
        for aid in sorted(self._by_article):
            yield from self._by_article[aid]


_ARTICLES = frozenset("the a an mr mrs ms dr".split())


class _SpeakerLookup:
    """Which speakers a mention can match at all, without scoring every speaker: those with an
    alias whose surname is within one edit of the mention's last word, and those with a role
    sharing a word with the mention. `_name_score` and `_role_score` are zero for the rest."""

    def __init__(self, speakers: Mapping[str, _Speaker]) -> None:
        self._by_surname: dict[str, set[str]] = {}
        self._by_role_word: dict[str, set[str]] = {}
        for name, sp in speakers.items():
            for alias in sp.aliases | {name}:
                words = fold(alias).split()
                if words:
                    self._by_surname.setdefault(words[-1], set()).add(name)
            for role in sp.roles:
                for w in fold(role).split():
                    self._by_role_word.setdefault(w, set()).add(name)
        self._surnames = OneEdit(self._by_surname)

    def candidates(self, want: Sequence[str]) -> set[str]:
        out: set[str] = set()
        for surname in self._surnames.near(want[-1]):
            out |= self._by_surname[surname]
        for w in set(want):
            out |= self._by_role_word.get(w, set())
        return out


def _without_article(name: str) -> list[str]:
    return [w for w in name.replace(".", " ").split() if w not in _ARTICLES]


def _name_score(want: list[str], alias: str) -> float:
    words = alias.split()
    if not words:
        return 0.0
    if want == words:
        return 1.0
    surname = words[-1]
    close = want[-1] == surname or (
        len(surname) > 3 and Levenshtein.distance(want[-1], surname) <= 1
    )
    if not close:
        return 0.0
    if len(want) == 1:
        return 0.9 if want[-1] == surname else 0.8
    if len(words) > 1 and want[0] == words[0]:
        return 0.95
    if len(words) > 1:
        return 0.0  # another first name: another person
    return 0.7


def _role_score(want: list[str], role: str) -> float:
    """The words `want` and `role` share, as a share of both (Dice)."""
    words, asked = set(role.split()), set(want)
    if not words or not asked:
        return 0.0
    return 2 * len(words & asked) / (len(words) + len(asked))


def _merge(local: Mapping[tuple[str, str], _Speaker]) -> dict[tuple[str, str], str]:
    """Canonical speaker names: article-local entities of one person share one name."""
    persons = [(k, s) for k, s in local.items() if s.kind == "person"]
    canon: dict[tuple[str, str], str] = {}
    # full names ("First Last") first; the most frequent spelling leads
    full: dict[str, list[tuple[str, str]]] = {}
    for k, s in persons:
        if len(s.name.split()) >= 2:
            full.setdefault(s.name, []).append(k)
    groups: list[list[str]] = []
    buckets: dict[tuple[str, int], list[list[str]]] = {}  # by first name and length
    for name in sorted(full, key=lambda n: (-len(full[n]), n)):
        words = fold(name).split()
        bucket = buckets.setdefault((words[0], len(words)), [])
        for g in bucket:
            if _same_person(g[0], name):
                g.append(name)
                break
        else:
            bucket.append([name])
            groups.append(bucket[-1])
    by_full = {n: g[0] for g in groups for n in g}
    for k, s in local.items():
        if s.kind == "person" and s.name in by_full:
            canon[k] = by_full[s.name]
    # a bare surname joins the one full name with that surname, if there is exactly one
    heads_by_surname: dict[str, set[str]] = {}
    for g in groups:
        for n in g:
            heads_by_surname.setdefault(fold(n.split()[-1]), set()).add(g[0])
    surnames = OneEdit(heads_by_surname)
    for k, s in local.items():
        if k in canon:
            continue
        if s.kind == "person" and len(s.name.split()) == 1:
            f = fold(s.name)
            heads = set(heads_by_surname.get(f, ()))
            if len(f) > 3:
                for other in surnames.near(f):
                    if len(other) > 3:
                        heads |= heads_by_surname[other]
            canon[k] = heads.pop() if len(heads) == 1 else s.name
        else:
            canon[k] = s.name
    return canon


def _same_person(a: str, b: str) -> bool:
    fa, fb = fold(a).split(), fold(b).split()
    if fa == fb:
        return True
    if len(fa) != len(fb) or fa[0] != fb[0]:
        return False  # another first name: never the same person
    return _surname_close(fa[-1], fb[-1])


def _surname_close(a: str, b: str) -> bool:
    return a == b or (min(len(a), len(b)) > 3 and Levenshtein.distance(a, b) <= 1)


@dataclass(frozen=True)
class QuoteHit:
    """A statement as a front end shows it: with its article and, with a topic, a score."""

    statement: Statement
    article: ArticleRef
    score: float = 0.0


@dataclass(frozen=True)
class SpeakerQuotes:
    """What one speaker said across the collection (`Newsdesk.quotes`)."""

    speaker: str
    aliases: tuple[str, ...]
    hits: list[QuoteHit]
    about: str | None = None


def browse(
    index: QuoteIndex,
    articles: Mapping[str, ArticleRef],
    speaker: str,
    *,
    about: str | None = None,
    since: str | None = None,
    embed: Callable[[list[str]], list[list[float]]] | None = None,
    context: Callable[[Statement], str] | None = None,
) -> SpeakerQuotes:
    """The statements of the speaker `speaker` names (the best match), newest article first;
    with `about`, ranked by similarity to the topic (`embed` gives the vectors) of each
    statement's sentence(s) (`context` gives them; the statement alone without it)."""
    found = index.find_speakers(speaker)
    if not found:
        raise SpeakerNotFound(f"No statements by {speaker!r} in the index.")
    name = found[0][0]
    stmts = [s for s in index.by_speaker(name) if s.article_id in articles]
    if since:
        stmts = [s for s in stmts if (articles[s.article_id].date or "") >= since]
    hits = [QuoteHit(s, articles[s.article_id]) for s in stmts]
    if about and embed is not None and hits:
        # a statement is ranked with its sentence: "expects him to accept the verdict" is
        # about Dodik because its sentence names him
        around = context or (lambda st: st.text)
        vecs = np.asarray(embed([about, *(around(h.statement) for h in hits)]), dtype=np.float32)
        vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-9)
        sims = vecs[1:] @ vecs[0]
        hits = [replace(h, score=float(s)) for h, s in zip(hits, sims, strict=True)]
        hits.sort(key=lambda h: -h.score)
    else:
        hits.sort(key=lambda h: (h.article.date or "", h.article.id, -h.statement.start))
        hits.reverse()
    return SpeakerQuotes(name, index.aliases(name), hits, about)


def speaker_quotes_dict(result: SpeakerQuotes) -> dict[str, object]:
    """`newsdesk quotes SPEAKER --json`: the speaker, aliases and statements by article."""
    return {
        "speaker": result.speaker,
        "aliases": list(result.aliases),
        "about": result.about,
        "statements": [
            {
                **h.statement.contract(),
                "title": h.article.title,
                "date": h.article.date,
                "url": h.article.url,
                **({"score": round(h.score, 4)} if result.about else {}),
            }
            for h in result.hits
        ],
    }


def grouped(result: SpeakerQuotes) -> list[tuple[ArticleRef, list[QuoteHit]]]:
    """The hits grouped by article, in the order of each article's first hit."""
    groups: dict[str, tuple[ArticleRef, list[QuoteHit]]] = {}
    for h in result.hits:
        groups.setdefault(h.article.id, (h.article, []))[1].append(h)
    return list(groups.values())


def render_quotes(result: SpeakerQuotes) -> str:
    """Plain text for the terminal: by article (newest first), each statement verbatim."""
    head = result.speaker
    others = [a for a in result.aliases if a != result.speaker]
    if others:
        head += f" (also: {', '.join(others)})"
    if result.about:
        head += f", about {result.about!r}"
    lines = [head, ""]
    if not result.hits:
        lines.append("No statements match.")
    for art, hits in grouped(result):
        lines.append(f"{art.date or 'undated'}  {art.title or art.file}  [{art.id}]")
        for h in sorted(hits, key=lambda h: h.statement.start) if not result.about else hits:
            st = h.statement
            text = f"\u201c{st.text}\u201d" if st.kind == "direct" else st.text
            lines.append(f"  - {text}  ({st.kind}, characters {st.start}\u2013{st.end})")
        lines.append("")
    return "\n".join(lines).rstrip()
