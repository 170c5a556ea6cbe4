"""Parsing the model's reply: quotations, citation markers, sentences, and what is not prose
(prompt markup, links, mentions, markdown)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# Quote pairs in the model's reply: opener -> closers.
_PAIRS = {"“": "”", "„": "“”", "«": "»", '"': '"', "‘": "’"}
_MARKER = re.compile(r"\[(\s*\d+\s*(?:[,;–-]\s*\d+\s*)*)\]")
_INNER_MARKER = re.compile(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]\s*[.,;:]?\s*\Z")


_ABBREVIATIONS = frozenset(
    (
        "mr mrs ms dr prof st gen sen rep gov lt col capt sgt jr sr inc ltd corp vs etc "
        "jan feb mar apr jun jul aug sep sept oct nov dec"
    ).split()
)

# Prompt markup a model may echo: the delimiters' tags, and the field labels of the passage
# template ("Outlet:", "Title:", ... read from prompts/passage.txt).
_TAG = re.compile(
    r"</?\s*[A-Za-z][\w-]*(?:\s[^<>\n]{0,200})?/?>|</?\s*(?:passage|question)\b[^\n]*"
)
_PASSAGE_REF = re.compile(
    r"\b(?:the\s+)?passages?\s*(?:id\s*=?\s*)?[\"'#\[(]?\s*(\d+)\s*[\"'\])]?", re.IGNORECASE
)
# Markdown the model may add: emphasis, inline code, headings, quote bars, list bullets.
_EMPHASIS = re.compile(r"(\*\*|__|\*|~~|\|\||`+)(?=\S)(.+?)(?<=\S)\1")
_LINE_PREFIX = re.compile(
    r"^[ \t]*(?:#{1,6}[ \t]+|>[ \t]?|[-*+•][ \t]+|\d+[.)][ \t]+)", re.MULTILINE
)
_STRAY_MARKS = re.compile(r"\*\*|__|`+|~~|\|\|")
# What is never shown unless the article vouches for it: links, masked links, mentions.
MASKED_LINK = re.compile(r"\[[^\]\n]*\]\(\s*[^)\s]*[^)]*\)")
URL = re.compile(
    r"(?:https?://|www\.)[^\s<>\]\)\"”’]+"
    r"|(?<![\w@./-])(?:[A-Za-z0-9-]+\.)+[a-z]{2,12}/[^\s<>\]\)\"”’]*"
    r"|(?<![\w@./-])(?:[A-Za-z0-9-]+\.)+(?:com|org|net|info|io|co|example|ru|xyz|biz|gov|edu)\b"
)
MENTION = re.compile(r"<[@#][!&]?\d+>|@(?:everyone|here)\b|(?<![\w.])@[A-Za-z0-9_]{2,32}")


def field_labels() -> tuple[str, ...]:
    """The field labels of the passage template ("Outlet", "Title", ...)."""
    import prompts

    template = prompts.load("passage")
    return tuple(re.findall(r"^([A-Z][\w ]*):", template, re.MULTILINE))


def prepare(reply: str) -> tuple[str, list[str]]:
    """The reply with prompt markup and markdown formatting taken out, and notes on what was.

    A reference to a passage by its id ("passage 2") becomes "the article [2]", so the
    citation survives as a marker and no id is shown. Tags and template field lines go.
    """
    notes: list[str] = []
    text, n = _TAG.subn(" ", reply)
    labels = field_labels()
    if labels:
        label_line = re.compile(
            rf"^[ \t]*(?:{'|'.join(map(re.escape, labels))})[ \t]*:[^\n]*$",
            re.MULTILINE | re.IGNORECASE,
        )
        text, m = label_line.subn("", text)
        n += m
    text, m = _PASSAGE_REF.subn(lambda mt: f"the article [{mt.group(1)}]", text)
    n += m
    if n:
        notes.append("removed prompt markup the model echoed")
    text = _LINE_PREFIX.sub("", text)
    text, m = _EMPHASIS.subn(r"\2", text)
    text, m2 = _STRAY_MARKS.subn("", text)
    if m or m2:
        notes.append("removed markdown formatting")
    text = re.sub(r"[ \t]{2,}", " ", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip(), notes


def hazards(sentence: str) -> list[tuple[str, str]]:
    """(kind, text) of the links, masked links and mentions in a sentence."""
    out = [("masked link", m.group()) for m in MASKED_LINK.finditer(sentence)]
    out += [("link", m.group().rstrip(".,;:!?")) for m in URL.finditer(sentence)]
    out += [("mention", m.group()) for m in MENTION.finditer(sentence)]
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


NOTE_QUOTE_CHARS = 80  # quotes and sentences are shortened to this in verification notes


def short(text: str) -> str:
    """A text on one line, shortened for a verification note."""
    text = " ".join(text.split())
    return text if len(text) <= NOTE_QUOTE_CHARS else text[: NOTE_QUOTE_CHARS - 1] + "…"


def strip_spans(
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


@dataclass(frozen=True)
class Parsed:
    """A prepared reply with its quotations, markers and sentence spans."""

    text: str
    quotes: tuple[QuoteSpan, ...]
    markers: tuple[Marker, ...]
    sents: tuple[tuple[int, int], ...]

    @classmethod
    def of(cls, text: str) -> Parsed:
        quotes = find_quotes(text)
        markers = find_markers(text, quotes)
        return cls(text, tuple(quotes), tuple(markers), tuple(sentences(text, quotes, markers)))

    def sentence_at(self, pos: int) -> tuple[int, int]:
        """The span of the sentence holding position `pos`."""
        return next(((a, b) for a, b in self.sents if a <= pos < b), (0, len(self.text)))

    def strip(self, span: tuple[int, int], *, blank_quotes: bool = False) -> str:
        """The sentence at `span` without markers (and quotations, with `blank_quotes`)."""
        return strip_spans(self.text, *span, self.quotes, self.markers, blank_quotes=blank_quotes)
