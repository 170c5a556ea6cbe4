"""Checking an LLM-written answer against the articles: every quote verbatim, every [n] real.

Pure functions. `verify_answer` takes the model's reply and the numbered passages it was given
and returns the text that may be shown, its citations and notes on what was changed:

* A quote (text in “…”, "…", ‘…’ or «…») is bound to the [n] marker inside its closing mark,
  else the first one after it in the same sentence, else the last one before it. It must stand
  in the cited passage's article (anywhere in it: a quote may run across two passages of one
  article), up to typographic differences only (see `fold`). It is then shown with the
  article's exact characters and cited to exactly that span.
* A quote that is not in the cited article but is in another given passage's article is
  re-attributed to that passage; one with no valid marker is attributed the same way. A quote
  found in no given article (a near miss by one word, an ellipsis, words spliced from two
  articles) is removed with the sentence that makes it: the claim rested on it. Empty and
  unclosed quotes are removed the same way.
* A sentence with a valid [n] but no quote is kept only if passage n has a sentence holding at
  least half of its content words; that sentence becomes the citation's quote (so every
  citation carries a verbatim quote). Otherwise the marker is dropped.
* A kept sentence's own names and numbers (capitalised words after the first, anything with a
  digit) outside its quotes must appear in a cited article or its metadata; a wrong date or an
  invented name removes the sentence.
* A sentence with neither a verified quote nor a supported [n] is removed: unsupported claims,
  including those a prompt injection asked for, never reach the user.
* Citations are renumbered [1..k] in order of first appearance, one per quoted span, and each
  marker in the text is one of them. No citation left means no support: the caller refuses.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from index.models import Citation, Passage
from index.sentences import split_sentences

MIN_CLAIM_OVERLAP = 0.5  # share of a claim's content words its cited sentence must hold
MIN_CLAIM_SHARED = 2  # ... and at least this many words (fewer if the claim is that short)
NOTE_QUOTE_CHARS = 80  # quotes and sentences are shortened to this in verification notes

# Typographic equivalence classes, folded to one character each.
_QUOTE_CHARS = "\"'`´‘’‚‛“”„‟«»‹›′″"
_DASH_CHARS = "-‐‑‒–—―−⁃"
_DROPPED = {"\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"}  # soft hyphen, zero-widths
_EXPAND = {"…": "...", "ﬁ": "fi", "ﬂ": "fl"}

# Quote pairs in the model's reply: opener -> closers.
_PAIRS = {"“": "”", "„": "“”", "«": "»", '"': '"', "‘": "’"}
_MARKER = re.compile(r"\[(\s*\d+\s*(?:[,;–-]\s*\d+\s*)*)\]")
_INNER_MARKER = re.compile(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]\s*[.,;:]?\s*\Z")


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


_ABBREVIATIONS = _wordset(
    "mr mrs ms dr prof st gen sen rep gov lt col capt sgt jr sr inc ltd corp vs etc "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
)
_STOP = _wordset(
    "the a an and or but of to in on at by for with from as is are was were be been being "
    "that this these those it its he she they them his her their we our you your i me my "
    "said says say told tells added adding according also not no than then there here "
    "which who whom whose what when where why how will would can could should may might "
    "has have had do does did into about over after before during while if so such"
)


# -- typographic folding --------------------------------------------------------------------


@dataclass(frozen=True)
class Folded:
    """A folded text and, per folded character, the span of original text it came from."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def span(self, i: int, j: int) -> tuple[int, int]:
        """The original span of folded characters i..j (exclusive)."""
        return self.starts[i], self.ends[j - 1]


@lru_cache(maxsize=64)
def fold(text: str) -> Folded:
    """Fold typographic differences: all quote marks to ', all dashes (with the spaces around
    them) to -, whitespace runs to one space, diacritics and zero-width characters dropped,
    … to ..., letter case folded."""
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for pos, ch in enumerate(text):
        if ch in _DROPPED or unicodedata.combining(ch):
            if ends:
                ends[-1] = pos + 1
            continue
        if ch.isspace():
            if chars and chars[-1] in " -":
                ends[-1] = pos + 1
                continue
            out = " "
        elif ch in _QUOTE_CHARS:
            out = "'"
        elif ch in _DASH_CHARS:
            if chars and chars[-1] == "-":
                ends[-1] = pos + 1
                continue
            if chars and chars[-1] == " ":  # "a — b" folds like "a—b"
                chars[-1] = "-"
                ends[-1] = pos + 1
                continue
            out = "-"
        elif ch in _EXPAND:
            out = _EXPAND[ch]
        else:
            base = "".join(
                c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)
            )
            out = base.casefold() if base else ch.casefold()
        for c in out:
            chars.append(c)
            starts.append(pos)
            ends.append(pos + 1)
    return Folded("".join(chars), tuple(starts), tuple(ends))


def find_quote(
    quote: str, text: str, prefer: tuple[int, int] | None = None
) -> tuple[int, int] | None:
    """Where `quote` stands in `text` up to typographic differences, as an exact span of `text`;
    an occurrence overlapping `prefer` wins. None when it is not there (or is empty)."""
    hay = fold(text)
    for candidate in _quote_variants(quote):
        spans = []
        i = hay.text.find(candidate)
        while i != -1:
            spans.append(hay.span(i, i + len(candidate)))
            i = hay.text.find(candidate, i + 1)
        if not spans:
            continue
        if prefer:
            for s, e in spans:
                if s < prefer[1] and prefer[0] < e:
                    return s, e
        return spans[0]
    return None


def _quote_variants(quote: str) -> list[str]:
    """The folded quote, then without the punctuation a quoting sentence may add around it."""
    core = fold(quote).text.strip(" ")
    if not core.strip(" '.,;:!?-"):
        return []
    out = [core]
    trimmed = core.rstrip(" .,;:").lstrip(" ")
    trimmed = re.sub(r"\A(?:\.\.\.)\s*|\s*(?:\.\.\.)\Z", "", trimmed).strip(" .,;:")
    if trimmed and trimmed != core:
        out.append(trimmed)
    return out


# -- reading the model's reply --------------------------------------------------------------


@dataclass(frozen=True)
class QuoteSpan:
    """A quotation in the reply: [start, end) includes the marks; `inner` excludes them."""

    start: int
    end: int
    inner_start: int
    inner_end: int
    closed: bool = True


@dataclass(frozen=True)
class Marker:
    """A citation marker such as [2] or [1, 3]."""

    start: int
    end: int
    numbers: tuple[int, ...]


def find_quotes(text: str) -> list[QuoteSpan]:
    """Top-level quotations in `text` (nested quotes stay inside their outer quote). An
    unclosed quote runs to the end of its paragraph."""
    out = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in _PAIRS and _opens(text, i):
            close = _closing(text, i)
            if close is None:
                para_end = text.find("\n", i)
                para_end = len(text) if para_end == -1 else para_end
                out.append(QuoteSpan(i, para_end, i + 1, para_end, closed=False))
                i = para_end
                continue
            out.append(QuoteSpan(i, close + 1, i + 1, close))
            i = close + 1
            continue
        i += 1
    return out


def _opens(text: str, i: int) -> bool:
    if text[i] == "‘":  # an opening single quote, not an apostrophe: starts a word
        return i + 1 < len(text) and not text[i + 1].isspace()
    if text[i] == '"':  # a straight quote opens unless it follows a letter directly
        return i == 0 or not text[i - 1].isalnum()
    return True


def _closing(text: str, i: int) -> int | None:
    """The index of the mark closing the quote opened at i, skipping nested quotes."""
    opener = text[i]
    closers = _PAIRS[opener]
    depth = 0
    j = i + 1
    while j < len(text):
        ch = text[j]
        if ch == "\n" and j + 1 < len(text) and text[j + 1] == "\n":
            return None  # quotes do not run across paragraphs
        if opener == "‘":
            if ch == "’" and not (j + 1 < len(text) and text[j + 1].isalpha()):
                return j
        elif opener == '"':
            if ch == '"':
                if _nested_straight(text, j):
                    depth += 1
                elif depth:
                    depth -= 1
                else:
                    return j
        elif ch in closers and depth == 0:
            return j
        elif ch == opener:
            depth += 1
        elif ch in closers:
            depth -= 1
        j += 1
    return None


def _nested_straight(text: str, j: int) -> bool:
    """Inside "…", a straight quote preceded by a space and followed by a word character
    opens a nested quotation rather than closing the outer one."""
    return j > 0 and text[j - 1].isspace() and j + 1 < len(text) and text[j + 1].isalnum()


def find_markers(text: str, quotes: Sequence[QuoteSpan] = ()) -> list[Marker]:
    """Citation markers outside quotations: [2], [1, 3], [1-3] (a range)."""
    out = []
    for m in _MARKER.finditer(text):
        if any(q.start <= m.start() < q.end for q in quotes):
            continue
        numbers: list[int] = []
        for part in re.split(r"\s*[,;]\s*", m.group(1).strip()):
            if re.fullmatch(r"\d+\s*[–-]\s*\d+", part):
                a, b = (int(x) for x in re.split(r"\s*[–-]\s*", part))
                if 0 < b - a < 20:
                    numbers.extend(range(a, b + 1))
                    continue
            numbers.extend(int(x) for x in re.findall(r"\d+", part))
        out.append(Marker(m.start(), m.end(), tuple(dict.fromkeys(numbers))))
    return out


def sentences(
    text: str, quotes: Sequence[QuoteSpan] = (), markers: Sequence[Marker] = ()
) -> list[tuple[int, int]]:
    """Sentence spans of the reply. A quotation is never split; markers after a full stop stay
    with the sentence they follow."""
    inside = [False] * (len(text) + 1)
    for q in quotes:
        for k in range(q.start, q.end):
            inside[k] = True
    marker_at = {m.start: m.end for m in markers}
    cuts = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\n" and not inside[i]:
            cuts.append(i + 1)
        elif (not inside[i] and ch in ".!?" and not _abbreviation(text, i)) or (
            _quote_ends_sentence(text, quotes, i)
        ):
            j = i + 1
            while j < len(text) and text[j] in ")]’”\"'" and j not in marker_at:
                j += 1
            while True:  # markers and spaces after the stop belong to this sentence
                k = j
                while k < len(text) and text[k] in " \t":
                    k += 1
                if k in marker_at:
                    j = marker_at[k]
                    continue
                break
            if j >= len(text) or (text[j].isspace() and _starts_sentence(text, j)):
                cuts.append(j)
                i = j
                continue
        i += 1
    spans = []
    prev = 0
    for c in [*cuts, len(text)]:
        if c > prev:
            spans.append((prev, c))
        prev = max(prev, c)
    return spans


def _abbreviation(text: str, i: int) -> bool:
    """Whether the full stop at i ends an abbreviation ("Mr.", "U.S.", "J.") not a sentence."""
    if text[i] != ".":
        return False
    m = re.search(r"([\w.]+)\Z", text[max(0, i - 12) : i])
    word = m.group(1) if m else ""
    return (len(word) == 1 and word.isupper()) or "." in word or word.lower() in _ABBREVIATIONS


def _quote_ends_sentence(text: str, quotes: Sequence[QuoteSpan], i: int) -> bool:
    for q in quotes:
        if q.closed and q.end - 1 == i:
            return q.inner_end > q.inner_start and text[q.inner_end - 1] in ".!?"
    return False


def _starts_sentence(text: str, j: int) -> bool:
    k = j
    while k < len(text) and text[k].isspace():
        k += 1
    return k >= len(text) or text[k].isupper() or text[k].isdigit() or text[k] in _PAIRS


# -- verification -----------------------------------------------------------------------------


@dataclass
class Verified:
    """What may be shown: the checked text, its citations and what checking changed."""

    text: str
    citations: list[Citation]
    notes: list[str] = field(default_factory=list)
    quotes: int = 0  # quotations the reply made
    markers: int = 0  # citation markers the reply made

    @property
    def supported(self) -> bool:
        return bool(self.citations)


@dataclass
class _Found:
    passage: Passage  # the passage (and so the article) the span is cited to
    start: int
    end: int
    exact: str


def verify_answer(
    reply: str, passages: Sequence[Passage], article_text: Callable[[str], str]
) -> Verified:
    """Check `reply` (citing passages as [1..len(passages)]) against the articles; see the
    module docstring for the rules."""
    reply = reply.strip()
    quotes = find_quotes(reply)
    markers = find_markers(reply, quotes)
    sents = sentences(reply, quotes, markers)
    notes: list[str] = []
    k = len(passages)

    def valid(numbers: Sequence[int]) -> list[int]:
        return [n for n in numbers if 1 <= n <= k]

    for m in markers:
        for n in m.numbers:
            if not 1 <= n <= k:
                notes.append(f"citation [{n}] refers to no passage ({k} given); ignored")

    # Bind each quote to a marker and verify it.
    consumed: set[int] = set()  # indexes of markers bound to quotes
    quote_result: dict[int, _Found | None] = {}
    for qi, q in enumerate(quotes):
        s0, s1 = next(((a, b) for a, b in sents if a <= q.start < b), (0, len(reply)))
        after = [mi for mi, m in enumerate(markers) if q.end <= m.start < s1]
        before = [mi for mi, m in enumerate(markers) if s0 <= m.start < q.start]
        mi = after[0] if after else (before[-1] if before else None)
        inner = reply[q.inner_start : q.inner_end]
        own = _INNER_MARKER.search(inner)  # “… [2].”: the marker slipped inside the quote
        if own:
            inner = inner[: own.start()]
            cited = valid([int(n) for n in re.findall(r"\d+", own.group(1))])
        else:
            cited = valid(markers[mi].numbers) if mi is not None else []
            if mi is not None:
                consumed.add(mi)
        shown = _short(inner)
        if not q.closed:
            notes.append(f"removed unclosed quote “{shown}”")
            quote_result[qi] = None
            continue
        if not fold(inner).text.strip(" '.,;:!?-"):
            notes.append("removed an empty quote")
            quote_result[qi] = None
            continue
        found = _locate(inner, cited, passages, article_text)
        if found is None:
            where = f" cited to [{', '.join(map(str, cited))}]" if cited else ""
            notes.append(f"removed quote “{shown}”{where}: not found verbatim in any given passage")
        else:
            n_found = passages.index(found.passage) + 1
            if n_found not in cited:
                if cited:
                    notes.append(
                        f"quote “{shown}” was cited to [{', '.join(map(str, cited))}] but is "
                        f"in passage [{n_found}] ({found.passage.article.label()}); re-attributed"
                    )
                else:
                    notes.append(
                        f"quote “{shown}” had no valid citation; attributed to passage "
                        f"[{n_found}] ({found.passage.article.label()})"
                    )
            if found.exact != inner.strip():
                notes.append(
                    f"quote “{shown}” matched with typographic differences; "
                    "shown with the article's exact characters"
                )
        quote_result[qi] = found

    # Claims: markers not bound to a quote.
    claim_result: dict[int, list[_Found]] = {}
    for mi, m in enumerate(markers):
        if mi in consumed:
            continue
        s0, s1 = next(((a, b) for a, b in sents if a <= m.start < b), (0, len(reply)))
        claim = _strip_spans(reply, s0, s1, quotes, markers)
        supports = []
        for n in valid(m.numbers):
            best = _best_sentence(claim, passages[n - 1], article_text)
            if best is None:
                notes.append(
                    f"citation [{n}] of “{_short(claim)}”: passage [{n}] does not support it"
                )
            else:
                supports.append(best)
        claim_result[mi] = supports

    # Which sentences survive.
    keep: list[tuple[int, int]] = []
    for s0, s1 in sents:
        in_sent_q = [qi for qi, q in enumerate(quotes) if s0 <= q.start < s1]
        in_sent_m = [mi for mi, m in enumerate(markers) if s0 <= m.start < s1]
        bad_quote = any(quote_result[qi] is None for qi in in_sent_q)
        good = any(quote_result[qi] is not None for qi in in_sent_q) or any(
            claim_result.get(mi) for mi in in_sent_m
        )
        missing: list[str] = []
        if good and not bad_quote:
            found_here = [quote_result[qi] for qi in in_sent_q]
            found_here += [f for mi in in_sent_m for f in claim_result.get(mi, [])]
            glue = _strip_spans(reply, s0, s1, quotes, markers, blank_quotes=True)
            missing = _missing_specifics(
                glue, [f.passage for f in found_here if f is not None], article_text
            )
            if missing:
                notes.append(
                    f"removed “{_short(reply[s0:s1].strip())}”: "
                    f"{', '.join(missing)} not in the cited articles"
                )
        if bad_quote or not good or missing:
            body = reply[s0:s1].strip()
            if not body or missing:
                pass
            elif bad_quote and any(quote_result[qi] for qi in in_sent_q):
                notes.append(f"removed the sentence with an unverified quote: “{_short(body)}”")
            elif not (in_sent_q or in_sent_m):
                notes.append(f"removed a sentence with no quote or citation: “{_short(body)}”")
            elif not bad_quote:
                notes.append(f"removed an unsupported sentence: “{_short(body)}”")
            continue
        keep.append((s0, s1))

    # Rebuild the text, numbering citations in order of appearance.
    numbers: dict[tuple[str, int, int], int] = {}
    citations: list[Citation] = []

    def cite(f: _Found) -> str:
        key = (f.passage.article.id, f.start, f.end)
        if key not in numbers:
            numbers[key] = len(citations) + 1
            citations.append(Citation(numbers[key], f.passage.article, f.exact, f.start, f.end))
        return f"[{numbers[key]}]"

    parts: list[tuple[str, str]] = []  # (separator before, sentence)
    prev_end = 0  # where the previous kept sentence's text ends
    for s0, s1 in keep:
        events: list[tuple[int, int, str, int]] = []  # (start, end, kind, index)
        events += [(q.start, q.end, "q", qi) for qi, q in enumerate(quotes) if s0 <= q.start < s1]
        events += [(m.start, m.end, "m", mi) for mi, m in enumerate(markers) if s0 <= m.start < s1]
        events.sort()
        out = []
        pos = s0
        for a, b, kind, idx in events:
            out.append(reply[pos:a])
            if kind == "q":
                f = quote_result[idx]
                assert f is not None
                q = quotes[idx]
                out.append(f"{reply[q.start]}{f.exact}{reply[q.end - 1]} {cite(f)}")
            else:
                out.append("".join(cite(f) for f in claim_result.get(idx, [])))
            pos = b
        out.append(reply[pos:s1])
        raw = reply[s0:s1]
        gap = reply[prev_end : s0 + len(raw) - len(raw.lstrip())]
        sep = "\n\n" if "\n\n" in gap else "\n" if "\n" in gap else " "
        parts.append((sep, _tidy("".join(out)).strip()))
        prev_end = s0 + len(raw.rstrip())
    text = "".join(sep + body for sep, body in parts if body).strip()
    return Verified(text, citations, notes, quotes=len(quotes), markers=len(markers))


def _locate(
    quote: str,
    cited: Sequence[int],
    passages: Sequence[Passage],
    article_text: Callable[[str], str],
) -> _Found | None:
    """Find the quote in the cited passages' articles, else in any given passage's article."""
    order = [passages[n - 1] for n in cited]
    order += [p for p in passages if p not in order]
    for p in order:
        text = article_text(p.article.id)
        span = find_quote(quote, text, prefer=(p.start, p.end))
        if span is None:
            continue
        # Cite the given passage that holds the span, if another one of this article does.
        holder = next(
            (
                o
                for o in order
                if o.article.id == p.article.id and o.start <= span[0] and span[1] <= o.end
            ),
            p,
        )
        return _Found(holder, span[0], span[1], text[span[0] : span[1]])
    return None


def _best_sentence(
    claim: str, passage: Passage, article_text: Callable[[str], str]
) -> _Found | None:
    """The sentence of `passage` sharing most of the claim's content words, if enough."""
    want = _content_words(claim)
    if not want:
        return None
    text = article_text(passage.article.id)
    best: tuple[float, int, int] | None = None
    for a, b in article_sentences(text):
        if b <= passage.start or a >= passage.end:
            continue
        shared = len(want & _content_words(text[a:b]))
        score = shared / len(want)
        enough = shared >= min(MIN_CLAIM_SHARED, len(want)) and score >= MIN_CLAIM_OVERLAP
        if enough and (best is None or score > best[0]):
            best = (score, a, b)
    if best is None:
        return None
    _, a, b = best
    return _Found(passage, a, b, text[a:b])


def article_sentences(text: str) -> tuple[tuple[int, int], ...]:
    """Sentence spans of an article, from the project's one splitter."""
    return tuple((s.start, s.end) for s in split_sentences(text))


def _content_words(text: str) -> set[str]:
    words = re.findall(r"\w+", fold(text).text)
    return {w for w in words if len(w) > 2 and w not in _STOP}


def _strip_spans(
    reply: str,
    s0: int,
    s1: int,
    quotes: Sequence[QuoteSpan],
    markers: Sequence[Marker],
    *,
    blank_quotes: bool = False,
) -> str:
    """The sentence without its markers (and, with `blank_quotes`, without its quotations)."""
    chars = list(reply[s0:s1])
    spans = [(m.start, m.end) for m in markers]
    if blank_quotes:
        spans += [(q.start, q.end) for q in quotes]
    for a, b in spans:
        if s0 <= a < s1:
            for k in range(a - s0, min(b, s1) - s0):
                chars[k] = " "
    return "".join(chars).strip()


def _missing_specifics(
    glue: str, cited: Sequence[Passage], article_text: Callable[[str], str]
) -> list[str]:
    """Names (capitalised words after the first) and numbers of the sentence's own words that
    none of its cited articles (text or metadata) contains."""
    vocab: set[str] = set()
    for p in cited:
        a = p.article
        meta = " ".join(x for x in (a.title, a.outlet, a.author, a.date, a.file) if x)
        vocab |= _vocab(article_text(a.id)) | _vocab(meta) | _date_words(a.date)
    missing = []
    words = re.findall(r"[\w’'-]+", glue)
    for k, word in enumerate(words):
        specific = any(c.isdigit() for c in word) or (k > 0 and word[:1].isupper())
        if not specific or word in ("I", "I’m", "I'm"):
            continue
        if any(t not in vocab for t in _tokens(word) if len(t) > 1 or t.isdigit()):
            missing.append(word)
    return list(dict.fromkeys(missing))


def _tokens(text: str) -> list[str]:
    """Folded words; numbers as their digit groups without leading zeros ("19th" -> "19")."""
    out = []
    for w in re.findall(r"\w+", fold(text).text):
        if any(c.isdigit() for c in w):
            out += [g.lstrip("0") or "0" for g in re.findall(r"\d+", w)]
        else:
            out.append(w)
    return out


@lru_cache(maxsize=64)
def _vocab(text: str) -> frozenset[str]:
    return frozenset(_tokens(text))


_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)


def _date_words(date: str | None) -> set[str]:
    """Month names for an ISO date, so "April 2" matches 2025-04-02."""
    m = re.fullmatch(r"\d{4}-(\d{2})-\d{2}", date or "")
    if not m or not 1 <= int(m.group(1)) <= 12:
        return set()
    month = _MONTHS[int(m.group(1)) - 1]
    return {month, month[:3]}


def _tidy(sentence: str) -> str:
    """Spaces left by removed markers: none before punctuation, one between words."""
    sentence = re.sub(r"[ \t]+([.,;:!?)])", r"\1", sentence)
    return re.sub(r"[ \t]{2,}", " ", sentence)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= NOTE_QUOTE_CHARS else text[: NOTE_QUOTE_CHARS - 1] + "…"
