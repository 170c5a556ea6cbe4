"""Who said what in one article: statements (direct and reported speech) and their speakers.

Rules over the article's sentences, in reading order (after the quote-attribution literature:
PARC 3.0, Quotebank, BBC Citron's rule stage):

- Direct statements are quotation-mark pairs (straight, curly, single), a quotation left open at
  the end of a paragraph (it runs on into the next one, BBC style) and quoted posts.
- Reported speech is the clause of a verb of saying ("X said (that) ...", "..., X said",
  "according to X, ...").
- The speaker is the subject next to a verb of saying in the sentence's narration (the text
  outside the quotation marks), or "according to X", or "told by X". A quotation without one
  continues the statement before it. Names resolve to the article's people and bodies: a full
  name, a later surname ("Myers", "Mr Myers"), a role the article ties to a name ("the
  minister" after "Interior Minister Ana Petrović"), a pronoun to the speaker in focus (the
  last speaker, else the last sentence's subject), "they" to a joint subject or a body.

Names are found by capitalisation; the only word lists are English function words, verbs of
saying, pronouns and honorifics: language knowledge, not names.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import cast

from rapidfuzz.distance import Levenshtein

from index.sentences import Sentence, split_sentences

ATTRIBUTION_VERSION = "7"  # bump when the rules change what gets annotated

_VERBS = (
    "say says said saying tell tells told telling add adds added adding warn warns warned "
    "warning insist insists insisted claim claims claimed argue argues argued arguing "
    "believe believes believed rule ruled report reports reported state states stated "
    "explain explains explained note notes noted write writes wrote tweet tweets tweeted "
    "post posts posted announce announces announced declare declares declared stress "
    "stresses stressed emphasise emphasised emphasized urge urges urged admit admits "
    "admitted acknowledge acknowledges acknowledged suggest suggests suggested predict "
    "predicts predicted describe describes described describing call calls called calling "
    "brand brands branded branding reply replied respond responded confirm confirms "
    "confirmed reveal revealed comment commented conclude concluded "
    "observe observed remark remarked recall recalled maintain maintains maintained indicate "
    "indicated expect expects expected think thinks thought echo echoed agree agrees "
    "agreed complain complained accuse accused estimate estimated allege alleged assert "
    "asserted concede conceded deem deemed underline underlined mention mentioned "
    "find found told spoke speaking"
).split()
# base forms that are mostly nouns or other verbs in news text ("to write and direct")
_AMBIGUOUS = frozenset(
    "write post posts report reports state states note notes rule call calls echo find "
    "mention comment reply respond describe brand brands predict expect think continue".split()
)
SPEECH_VERBS = frozenset(_VERBS) - _AMBIGUOUS
# every verb of saying, the ambiguous ones too: in a question ("how did X describe") an
# auxiliary makes them verbs
REPORTING_VERBS = frozenset(_VERBS)
# Verbs whose object is a quotation or clause only with a speaker: never a denial (the speaker
# does not assert what follows "denied").
_DENIAL = frozenset("deny denies denied dismiss dismissed reject rejected".split())
_OTHER = {"m": "f", "f": "m", "s": "", "p": "", "n": ""}
_PRONOUNS = {"he": "m", "she": "f", "they": "p", "it": "n", "we": "p", "i": "s"}
_HONORIFICS = {
    "mr": "m", "mrs": "f", "ms": "f", "miss": "f", "dr": "", "sir": "m", "lord": "m",
    "lady": "f", "prof": "", "professor": "",
}  # fmt: skip
_POSTNOMINAL = re.compile(r"^(?:[A-Z]{2,4}|Jr|Sr)$")
_FUNCTION = frozenset(
    (
        "a an the this that these those his her its their our my your and or but if so as at "
        "by for from in into of on to with without about after before during while when where "
        "who whom whose which what why how than then there here also later still however "
        "meanwhile yesterday today tomorrow earlier now not no yes all some many most one two "
        "he she it they we i you him them us me has have had was were is are be been will "
        "would could should may might can must do does did just only even according further "
        "too again both each every other another such being because though although since "
        "until unless asked speaking writing responding in"
    ).split()
)
_MONTHS_DAYS = frozenset(
    (
        "january february march april may june july august september october november december "
        "monday tuesday wednesday thursday friday saturday sunday"
    ).split()
)
_CONTRACTED = frozenset("m re ve ll d t".split())  # "I'm", "We're", "Don't": no name
_AUX = frozenset(
    "has have had also later then further too once again previously earlier recently "
    "reportedly publicly repeatedly has had would will meanwhile subsequently separately "
    "privately initially originally apparently similarly already".split()
)
_WORD = re.compile(r"[^\W_](?:[\w’'.\-]*[^\W_])?\.?|[^\w\s]", re.UNICODE)
QMARK = "<Q>"  # stands for a quotation in the narration's tokens
_MARKS = frozenset("\"“”‘’'«»„")
_SPOKES_GENDER = {"spokesman": "m", "spokeswoman": "f", "spokesperson": ""}
_SPOKES = frozenset(
    "spokesman spokeswoman spokesperson spokespeople representative statement website "
    "release report letter post account".split()
)
_OPENERS = {'"': '"', "“": "”", "‘": "’", "'": "'", "„": "“", "«": "»"}
MIN_STANDALONE_WORDS = 4  # a quotation this long is a statement even without a verb in its sentence
COMMON_ZIPF = 4.0  # a word this frequent (Zipf scale) opening a sentence is no name by itself
MIN_CLAUSE_WORDS = 3  # reported speech shorter than this is no statement
SUBJECT_OPENS = 20  # characters into its sentence where a subject that opens it starts
SPOKESMAN_REACH = 600  # characters back to the body "a spokesman" speaks for
_PLACE = r"[A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*){0,3}"
# "WASHINGTON, March 27 - ", "Greensboro, N.C., June 2 - ", "LONDON (Reuters) - ": the place
# and date a wire story opens with, which names no one in it
_DATELINE = re.compile(
    rf"\s*({_PLACE})(?:, {_PLACE})*(,? \(?[A-Za-z]{{3,9}}\.? \d{{1,2}}(?:, \d{{4}})?\)?)?"
    r"(?:,? \(?[A-Z][A-Za-z]{1,8}\)?)? ?[-–—]{1,2} (?=\S)"
)


@dataclass
class Entity:
    """A person or body the article names, with every way it is written and its roles."""

    name: str
    kind: str  # "person" | "body" | "group"
    aliases: set[str] = field(default_factory=set)
    roles: set[str] = field(default_factory=set)
    gender: str = ""
    members: tuple[str, ...] = ()  # of a joint subject ("X and Y")

    @property
    def surname(self) -> str:
        return self.name.split()[-1]


@dataclass(frozen=True)
class Found:
    """One statement in an article: its span, quoted words, kind, and speaker (entity name)."""

    start: int
    end: int
    quoted: str | None
    kind: str  # "direct" | "indirect"
    speaker: str | None
    mention: str  # "name" | "role" | "pronoun" | "none"
    sentence_start: int
    sentence_end: int


@dataclass
class Annotation:
    statements: list[Found]
    entities: dict[str, Entity]
    mentions: list[tuple[int, str]] = field(default_factory=list)  # (position, entity)
    subjects: list[tuple[int, str]] = field(default_factory=list)  # (sentence start, entity)


@dataclass(frozen=True)
class _Tok:
    start: int
    end: int
    text: str

    @property
    def low(self) -> str:
        return self.text.lower().rstrip(".")

    @property
    def cap(self) -> bool:
        c = self.text[0]
        return c.isupper() or (c.isdigit() and False)


@dataclass
class _Mention:
    start: int
    end: int
    entity: str | None  # name of the entity, None when unresolved
    how: str  # "name" | "role" | "pronoun"
    subject: bool = True
    word: str = ""  # the pronoun, resolved when the statement is added
    sent: int = -1  # start of the pronoun's sentence


@lru_cache(maxsize=1 << 16)
def fold(s: str) -> str:
    """Lower case without diacritics (NFKD, combining marks dropped)."""
    s = unicodedata.normalize("NFKD", s)
    return "".join(c for c in s if not unicodedata.combining(c)).lower()


def quote_spans(text: str) -> list[tuple[int, int, bool]]:
    """Inner spans of the quotations of `text`, paragraph by paragraph: (start, end, closed).
    An opening mark with no closing one in its paragraph runs to the paragraph's end."""
    out: list[tuple[int, int, bool]] = []
    for line in re.finditer(r"[^\n]+", text):
        s, base = line.group(), line.start()
        i = 0
        while i < len(s):
            ch = s[i]
            if ch in _OPENERS and _can_open(s, i):
                close = _OPENERS[ch]
                j = i + 1
                while j < len(s):
                    if _reopens(s, j, ch):  # "... coming up. "The minds ...": run on
                        break
                    if s[j] == close and _can_close(s, j, ch):
                        break
                    j += 1
                if j < len(s) and _reopens(s, j, ch):
                    out.append((base + i + 1, base + j, False))
                    i = j
                    continue
                if j < len(s):
                    if j > i + 1:
                        out.append((base + i + 1, base + j, True))
                    i = j + 1
                    continue
                if ch in "'‘":  # an unclosed single mark is an apostrophe, not a quotation
                    i += 1
                    continue
                out.append((base + i + 1, base + len(s), False))
                break
            i += 1
    return [(a, b, c) for a, b, c in (_strip(text, *q) for q in out) if b > a]


def _reopens(s: str, j: int, opener: str) -> bool:
    """Whether the mark at j opens a new quotation inside an unclosed one: a curly opener, or
    a straight mark after the end of a sentence and a space, before a word."""
    if opener == "“" and s[j] == "“":
        return True
    if opener != '"' or s[j] != '"' or j < 2:
        return False
    nxt = s[j + 1] if j + 1 < len(s) else " "
    return s[j - 1] == " " and s[j - 2] in ".!?" and nxt.isalnum()


def _can_open(s: str, i: int) -> bool:
    prev = s[i - 1] if i else " "
    nxt = s[i + 1] if i + 1 < len(s) else " "
    if s[i] in "'’":
        return not prev.isalnum() and nxt.isalnum()
    return not nxt.isspace() or s[i] in "“‘«„"


def _can_close(s: str, j: int, opener: str) -> bool:
    if opener not in "'‘":
        return True
    nxt = s[j + 1] if j + 1 < len(s) else " "
    return not nxt.isalnum()


def _strip(text: str, a: int, b: int, closed: bool) -> tuple[int, int, bool]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and (text[b - 1].isspace() or text[b - 1] == ","):
        b -= 1
    return a, b, closed


def _tokens(text: str, a: int, b: int) -> list[_Tok]:
    return [_Tok(a + m.start(), a + m.end(), m.group()) for m in _WORD.finditer(text[a:b])]


@lru_cache(maxsize=1 << 15)
def _zipf(word: str) -> float:
    from wordfreq import zipf_frequency

    return float(zipf_frequency(word, "en"))


def dateline_end(text: str) -> int:
    """Where the dateline a wire story opens with ends, or 0: its place is in capitals or it
    gives a date."""
    m = _DATELINE.match(text, 0, 100)
    if m is None or not (m.group(1).isupper() or m.group(2)):
        return 0
    return m.end()


def _is_name_word(t: _Tok, first_in_sentence: bool) -> bool:
    if not t.text[0].isupper():
        return False
    if t.low in _FUNCTION or t.low in _PRONOUNS:
        return False
    if first_in_sentence and t.low in SPEECH_VERBS:
        return False
    head, _, tail = t.low.replace("’", "'").partition("'")
    if tail in _CONTRACTED or (tail and (head in _FUNCTION or head in _PRONOUNS)):
        return False
    return t.low not in _MONTHS_DAYS


class _Article:
    def __init__(self, text: str) -> None:
        self.text = text
        self.entities: dict[str, Entity] = {}
        self.order: list[tuple[int, str]] = []  # (position, entity) of every resolved mention
        self.subjects: list[tuple[int, str]] = []  # sentence subjects
        self.titles, self.common, self.title_phrases = _title_words(text)
        self.acronyms = _acronyms(text)
        self.midcaps = {  # "Ford's" too
            re.sub(r"['’]s$", "", m.group().lower())
            for m in re.finditer(r"(?<=[a-z,;] )[A-Z][\w'’-]+", text)
        }
        # the gender an honorific gives a surname anywhere in the article ("Mr Howard")
        self.honorific_gender = {
            fold(m.group(2)): _HONORIFICS[m.group(1).lower()]
            for m in re.finditer(r"\b(Mr|Mrs|Ms|Miss|Sir|Lord|Lady)\.? ([A-Z][\w'’-]+)", text)
        }

    # -- names --------------------------------------------------------------------------

    def _common_initial(self, t: _Tok) -> bool:
        """Whether a sentence's capitalised first word is an ordinary word ("Citing",
        "Backlash"): frequent in English, or a plural agent noun the article also writes in
        lower case ("Traders", "Analysts"), and never capitalised inside a sentence here."""
        if t.low in self.midcaps:
            return False
        return _zipf(t.low) >= COMMON_ZIPF or (
            _AGENTS.search(t.low) is not None and fold(t.text) in self.common
        )

    def names_in(self, toks: list[_Tok], sent_start: int) -> list[tuple[int, int, str, str]]:
        """Capitalised runs of the sentence as (first token, end token, name, role)."""
        runs = []
        i = 0
        while i < len(toks):
            t = toks[i]
            alone = i + 1 >= len(toks) or not (
                toks[i + 1].text[0].isupper() or self._office_of(toks, i + 1, i)
            )
            initial = t.start == sent_start and alone and self._common_initial(t)
            if initial and i + 1 < len(toks) and toks[i + 1].low in SPEECH_VERBS:
                # "Ford said": a frequent word that opens a sentence as the speaker is a name
                initial = (
                    _zipf(t.low) >= COMMON_ZIPF + 1
                    or t.low in _GROUPS
                    or _AGENTS.search(t.low) is not None
                )
            if (_is_name_word(t, t.start == sent_start) and not initial) or (
                t.low in _HONORIFICS and i + 1 < len(toks) and toks[i + 1].text[0].isupper()
            ):
                j = i + 1
                while j < len(toks) and not toks[j - 1].text.endswith(("'s", "’s")):
                    u = toks[j]
                    if u.low in _HONORIFICS and j > i:
                        break  # "Labour's Mr Livingstone": the honorific starts the name
                    if self._office_of(toks, j, i):  # "Secretary of (the) State Mike Pompeo"
                        j += 2 if toks[j + 1].low == "the" else 1
                        continue
                    if (
                        (u.text[0].isupper() and u.low not in _FUNCTION and u.low not in _PRONOUNS)
                        or (
                            u.low in _PARTICLES
                            and j + 1 < len(toks)
                            and toks[j + 1].text[0].isupper()
                            and u.low != "of"
                        )
                        or (  # "the House of Lords", "the Office for National Statistics"
                            u.low in ("of", "for", "on")
                            and i > 0
                            and toks[i - 1].low == "the"
                            and j + 1 < len(toks)
                            and toks[j + 1].text[0].isupper()
                            and toks[j + 1].low not in _FUNCTION
                            and toks[j + 1].low not in _MONTHS_DAYS  # "the Court on June 15"
                        )
                    ):
                        j += 1
                    else:
                        break
                runs.append((i, j))
                i = j
            else:
                i += 1
        out = []
        for i, j in runs:
            words = [t.text.rstrip(".") for t in toks[i:j]]
            words = [w[:-2] if w.endswith(("'s", "’s")) else w for w in words]
            role = ""
            # "the Home Office", an acronym, a "the X of Y" body
            out.append((i, j, " ".join(words), role))
        return out

    @staticmethod
    def _office_of(toks: list[_Tok], j: int, start: int) -> bool:
        """Whether "of"/"for" at j continues an office into the name after it: "Secretary of
        State Mike Pompeo", "Special Representative for Iran Brian Hook", "Chancellor of the
        Exchequer Gordon Brown" (an office, its object, then a full name). Not in apposition:
        "Guven Ergenc, Secretary General of the Turkish General Staff, said" names no one else."""
        if toks[j].low not in ("of", "for") or fold(toks[j - 1].text) not in _OFFICES:
            return False
        if start > 0 and toks[start - 1].text == ",":
            return False
        k = j + 1 + (j + 1 < len(toks) and toks[j + 1].low == "the")
        caps = 0
        while k < len(toks) and toks[k].text[0].isupper() and toks[k].low not in _FUNCTION:
            caps += 1
            k += 1
        return caps >= 3

    def entity_for(self, words: list[str], preceded_by_the: bool, pos: int) -> str | None:
        """The entity a capitalised run names, registering a new one if needed."""
        gender = ""
        while words and words[0].lower().rstrip(".") in _HONORIFICS:
            gender = _HONORIFICS[words[0].lower().rstrip(".")] or gender
            words = words[1:]
            preceded_by_the = False
        while len(words) > 1 and _POSTNOMINAL.match(words[-1]):
            words = words[:-1]
        if not words:
            return None
        titled: list[str] = []
        plain = self.titles | self.common
        if (
            words
            and fold(words[-1]) in self.titles
            and not words[-1].isupper()
            and (
                all(fold(w) in plain or w.isupper() for w in words)
                or " ".join(fold(w) for w in words if not w.isupper()) in self.title_phrases
            )
        ):
            return None  # "The President", "the NATO Secretary General": a role, not a name
        while (
            len(words) > 2
            and fold(words[0]) in plain
            and not words[0].isupper()
            and not preceded_by_the
        ):
            titled.append(words.pop(0))
        if len(words) == 2 and fold(words[0]) in plain and not words[0].isupper():
            found = self._by_surname(words[1], gender, pos)
            if found is None and not preceded_by_the:  # "President Vucic": a title, a surname
                found = self._known(words[1]) or self._add(words[1], "person")
            if found is not None:
                found.roles.add(" ".join([*titled, words[0]]).lower())
                found.aliases.add(words[1])
                return found.name
        if titled:
            preceded_by_the = False
        defined = len(words) == 1 and words[0] in self.acronyms
        if defined:
            words = self.acronyms[words[0]].split()
            preceded_by_the = words[0] == "the"
            words = words[1:] if preceded_by_the else words
            if self._known(" ".join(words)) is None:
                ent = self._add(("the " if preceded_by_the else "") + " ".join(words), "body")
                ent.aliases.add(" ".join(words))
        surface = " ".join(words)
        body = (
            preceded_by_the
            or defined  # "The NHTSA said": the National Highway Traffic Safety Administration
            or (len(words) == 1 and words[0].isupper() and len(words[0]) > 1)
            or (not gender and self._body_like(words))
        )
        if body:
            name = ("the " if preceded_by_the else "") + surface
            ent = self._known(surface) or self._add(name, "body")
            ent.aliases.add(surface)
            return ent.name
        role = " ".join(words[:-2]) if len(words) > 2 else ""
        person = words[-2:] if len(words) >= 2 else words
        if len(words) > 2 and (
            len(words[-2]) <= 2 or words[-2].endswith(".") or words[-2] in _PARTICLES
        ):
            person = words[-3:]  # a middle initial
            role = " ".join(words[:-3])
        if len(person) == 1:
            found = self._by_surname(person[0], gender, pos)
            ent = found or self._known(person[0]) or self._add(person[0], "person")
            if gender and not ent.gender:
                ent.gender = gender
            ent.aliases.add(surface)
            return ent.name
        full = " ".join(person)
        ent = self._known(full) or self._add(full, "person")
        ent.aliases.add(full)
        if gender:
            ent.gender = gender
        role = " ".join([*titled, role]).strip()
        if role:
            ent.roles.add(role.lower())
        return ent.name

    @staticmethod
    def _body_like(words: list[str]) -> bool:
        """A name that ends in a noun for an organisation: "Acme Corp", "Florida Highway
        Patrol", "Law Debenture Trust Corp Plc"."""
        return len(words) > 1 and fold(words[-1]).rstrip(".") in _DESIGNATORS

    def _known(self, name: str) -> Entity | None:
        f = fold(name)
        for e in self.entities.values():
            if fold(e.name) == f or f in {fold(a) for a in e.aliases}:
                return e
        return None

    def _by_surname(self, surname: str, gender: str, pos: int) -> Entity | None:
        f = fold(surname)
        cands = [e for e in self.entities.values() if e.kind == "person" and fold(e.surname) == f]
        if not cands and len(f) > 3:  # "Rute" for "Mark Rutte": a one-letter variant
            close = [
                e
                for e in self.entities.values()
                if e.kind == "person"
                and len(e.name.split()) >= 2
                and len(e.surname) > 3
                and Levenshtein.distance(fold(e.surname), f) <= 1
            ]
            cands = close if len(close) == 1 else []
        if gender:
            cands = [e for e in cands if e.gender in ("", gender)] or cands
        if not cands:
            return None
        return max(cands, key=lambda e: self._last_seen(e.name, pos))

    def _last_seen(self, name: str, pos: int) -> int:
        return max((p for p, n in self.order if n == name and p <= pos), default=-1)

    def _add(self, name: str, kind: str) -> Entity:
        ent = Entity(name, kind, aliases={name})
        self.entities[name] = ent
        return ent

    def described(self, desc: str, kind: str) -> str:
        """The entity an unnamed speaker's description stands for ("a protester", "Liverpool
        fans"), registered as `kind` the first time."""
        return (self._known(desc) or self._add(desc, kind)).name


@dataclass
class _Frame:
    """A verb of saying in a sentence's narration: who, and the clause it reports."""

    verb: int  # character position of the verb
    speaker: _Mention
    start: int  # the reported clause (indirect speech)
    end: int


@dataclass
class _Sent:
    s: Sentence
    toks: list[_Tok]
    mentions: dict[int, _Mention]
    frames: list[_Frame]
    narration_words: int


@lru_cache(maxsize=256)
def annotate(text: str) -> Annotation:
    """Every statement of an article's cleaned text, with speakers resolved within it; a
    speaker the fitted check doubts is left unknown (None)."""
    from index.speaker_model import check

    return check(annotate_rules(text), text)


@lru_cache(maxsize=256)
def annotate_rules(text: str) -> Annotation:
    """The rules' annotation alone, every speaker they find kept (what the check is fitted on)."""
    return _Annotator(text).run()


class _Annotator:
    def __init__(self, text: str) -> None:
        self.text = text
        self.art = _Article(text)
        self.sents = list(split_sentences(text))
        d = dateline_end(text)
        if d and self.sents and self.sents[0].start < d < self.sents[0].end:
            first = self.sents[0]
            self.sents[0] = Sentence(d, first.end, first.para, text[d : first.end])
        self.quotes = quote_spans(text)
        self.found: list[Found] = []
        self.last_speaker: str | None = None
        self.last_at = -(10**9)  # position of the last statement
        self.last_sent = -10
        self.last_end = -(10**9)  # end of the sentence(s) of the last statement
        self._frames_so_far: list[_Frame] = []
        self.unknown_focus = False  # the last statement's speaker could not be resolved
        # "m"/"f"/"" when the last statement's body spoke through a spokesman/spokeswoman/
        # spokesperson: a he/she next is that spokesperson again, so the body
        self.last_spokes: str | None = None
        self.frames_seen: list[_Frame] = []

    def run(self) -> Annotation:
        paras: dict[int, list[int]] = {}
        for i, s in enumerate(self.sents):
            paras.setdefault(s.para, []).append(i)
        carried: str | None = None
        for p in sorted(paras):
            idx = paras[p]
            lo, hi = self.sents[idx[0]].start, self.sents[idx[-1]].end
            quotes = [q for q in self.quotes if lo <= q[0] < hi]
            infos = [self._prepare(self.sents[i], quotes) for i in idx]
            carried = self._paragraph(idx, infos, quotes, carried)
        # a speaker named by a role ("ADB sources said") is a mention too, for the check
        said = {(f.speaker.start, f.speaker.entity) for f in self.frames_seen if f.speaker.entity}
        mentions = sorted(set(self.art.order) | cast("set[tuple[int, str]]", said))
        return Annotation(self.found, self.art.entities, mentions, self.art.subjects)

    def _prepare(self, s: Sentence, quotes: list[tuple[int, int, bool]]) -> _Sent:
        text = self.text
        inside = [False] * (s.end - s.start)
        mine = []
        for a, b, c in quotes:
            if a < s.end and b > s.start:
                a2, b2 = max(a, s.start), min(b, s.end)
                mine.append((a2, b2, c))
                for k in range(a2, b2):
                    inside[k - s.start] = True
        toks = [
            t
            for t in _tokens(text, s.start, s.end)
            if not inside[t.start - s.start] and t.text not in _MARKS
        ]
        toks += [_Tok(a, b, QMARK) for a, b, _c in mine]
        toks.sort(key=lambda t: t.start)
        mentions = self._mentions(toks, s.start)
        frames = self._frames(toks, mentions)
        self.frames_seen += frames
        words = sum(1 for t in toks if t.text[0].isalnum())
        return _Sent(s, toks, mentions, frames, words)

    def _paragraph(
        self,
        idx: list[int],
        infos: list[_Sent],
        quotes: list[tuple[int, int, bool]],
        carried: str | None,
    ) -> str | None:
        """Statements of one paragraph, in order; the speaker of a quotation left open."""
        text = self.text
        events: list[tuple[int, str, object]] = []
        for q in quotes:
            events.append((q[0], "q", q))
        for k, info in enumerate(infos):
            if not any(q[0] < info.s.end and q[1] > info.s.start for q in quotes):
                for f in info.frames:
                    events.append((f.verb, "f", (k, f)))
        events.sort(key=lambda e: e[0])
        open_speaker: str | None = None
        for _pos, what, item in events:
            if what == "f":
                k, f = cast("tuple[int, _Frame]", item)
                spk = self._resolve(f.speaker, f.verb)
                if (
                    spk
                    and f.end > f.start
                    and len(text[f.start : f.end].split()) >= MIN_CLAUSE_WORDS
                ):
                    self._add(
                        f.start, f.end, None, "indirect", spk, f.speaker.how, infos[k].s, idx[k]
                    )
                    self.last_spokes = self._spokes_of(f.speaker, spk)
                elif spk is None and f.speaker.how == "role":
                    self._unknown(f.start, infos[k].s.end, idx[k])
                continue
            a, b, closed = cast("tuple[int, int, bool]", item)
            k0 = next(k for k, i in enumerate(infos) if i.s.start <= a < i.s.end or a < i.s.start)
            k1 = next((k for k, i in enumerate(infos) if i.s.start < b <= i.s.end), len(infos) - 1)
            frame = self._frame_for(infos, k0, k1, a, b)
            words = len(text[a:b].split())
            s0 = infos[k0].s
            if frame is not None:
                spk = self._resolve(frame.speaker, frame.verb)
                how = frame.speaker.how
            else:
                spk, how = None, "none"
                narration = sum(infos[k].narration_words for k in range(k0, k1 + 1))
                if carried and a <= s0.start + 2 and s0.start == infos[0].s.start:
                    spk = carried
                elif (
                    words >= MIN_STANDALONE_WORDS
                    and narration <= max(2, words // 2)
                    and not any(
                        t.low in SPEECH_VERBS for k in range(k0, k1 + 1) for t in infos[k].toks
                    )
                ):
                    spk = self._introduced(infos[k0], a) or self._continuing(a, idx[k0])
                else:  # "X issued a statement: "..."": the subject introduces it
                    spk = self._introduced(infos[k0], a)
                    how = "name" if spk else how
            if spk is None:
                if frame is not None and frame.speaker.how == "role":
                    self._unknown(a, infos[k1].s.end, idx[k0])
                continue
            if how in ("pronoun", "none") and self._named_in(spk, a, b):
                self._unknown(a, infos[k1].s.end, idx[k0])  # "Ruud is the best," he said
                continue
            sent_end = infos[k1].s.end
            self._add(a, b, text[a:b], "direct", spk, how, s0, idx[k0], sent_end)
            self.last_spokes = self._spokes_of(frame.speaker, spk) if frame else None
            if not closed:
                open_speaker = spk
        return open_speaker

    def _frame_for(self, infos: list[_Sent], k0: int, k1: int, a: int, b: int) -> _Frame | None:
        """The verb of saying that introduces the quotation [a, b): nearest before it in its
        first sentence, or after it in its last sentence. A participle after it (`"...",
        calling it "..."`) introduces what follows it, not the quotation before."""
        best: tuple[int, _Frame] | None = None
        for f in infos[k0].frames:
            if f.verb < a:
                d = a - f.verb
                if best is None or d < best[0]:
                    best = (d, f)
        for f in infos[k1].frames:
            if f.verb >= b and not (best and _participle_at(self.text, f.verb)):
                d = f.verb - b
                if best is None or d < best[0]:
                    best = (d, f)
        return best[1] if best else None

    def _add(  # noqa: PLR0917
        self,
        a: int,
        b: int,
        quoted: str | None,
        kind: str,
        speaker: str,
        mention: str,
        s: Sentence,
        si: int,
        sent_end: int | None = None,
    ) -> None:
        ent = self.art.entities.get(speaker)
        names = ent.members if ent is not None and ent.members else (speaker,)
        for n in names:
            self.found.append(Found(a, b, quoted, kind, n, mention, s.start, sent_end or s.end))
        self.last_speaker = speaker
        self.last_spokes = None
        self.last_at = a
        self.last_end = sent_end or s.end
        self.last_sent = si
        self.unknown_focus = False

    def _unknown(self, a: int, sent_end: int, si: int) -> None:
        """Someone the rules cannot name speaks at a: what follows is not the speaker's before."""
        self.last_speaker = None
        self.last_at = a
        self.last_end = sent_end
        self.last_sent = si
        self.unknown_focus = True

    def _spokes_of(self, m: _Mention, speaker: str) -> str | None:
        """The gender of the spokesperson a body spoke through ("a BBC spokeswoman said"):
        "m", "f", or "" (spokesperson); None when the body did not speak through one."""
        ent = self.art.entities.get(speaker)
        if ent is None or ent.kind != "body":
            return None
        head = self.text[m.start : m.end].split()[-1].lower() if m.end > m.start else ""
        return _SPOKES_GENDER.get(head)

    def _continuing(self, pos: int, si: int) -> str | None:
        """The speaker a quotation without a verb of saying continues: the last speaker,
        unless someone else has been named since; else the last sentence's subject."""
        others = [
            n
            for p, n in self.art.order
            if self.last_end <= p < pos and n != self.last_speaker and self._named_person(n)
        ]
        if self.last_speaker is not None and si - self.last_sent <= 3 and not others:
            return self.last_speaker
        subjects = [n for p, n in self.art.subjects if self.last_end <= p < pos]
        if subjects and self._named_person(subjects[-1]):
            return subjects[-1]
        return None

    def _named_in(self, name: str, a: int, b: int) -> bool:
        """Whether the quotation [a, b) names the person it is given to: people speak of
        others by name, of themselves as "I", so a he/she or a continuation resolved to them
        is someone else's words about them ("the young Jo Bloggs" may still be the speaker's
        own)."""
        ent = self.art.entities.get(name)
        if ent is None or ent.kind != "person" or len(ent.name.split()) < 2:
            return False
        words = {w for n in ent.aliases | {ent.name} for w in n.split() if len(w) > 2}
        toks = _tokens(self.text, a, b)
        for i, t in enumerate(toks):
            if t.text.rstrip(".").removesuffix("'s").removesuffix("’s") not in words:
                continue
            if i > 0 and toks[i - 1].text in words:
                continue  # inside the name
            if not any(x.low in ("the", "a", "same") for x in toks[max(0, i - 2) : i]):
                return True
        return False

    def _named_person(self, name: str) -> bool:
        """A person the article names in full or with an honorific: a lone capitalised word
        ("European", a firm's name) is too weak to take a quotation over from its speaker."""
        ent = self.art.entities[name]
        return ent.kind == "person" and (len(ent.name.split()) >= 2 or bool(ent.gender))

    def _introduced(self, info: _Sent, a: int) -> str | None:
        """The subject of a sentence whose narration ends in a colon right before the
        quotation at a."""
        before = [t for t in info.toks if t.end <= a]
        if not before or before[-1].text != ":":
            return None
        named = [
            m
            for i, m in sorted(info.mentions.items())
            if info.toks[i].end <= a and m.subject and m.how != "pronoun" and m.entity
        ]

        # "BBC Two controller Roly Keating:": the person the body's name only describes,
        # when nothing but names and role nouns come before them
        def opens(m: _Mention) -> bool:
            lead = [t for t in info.toks if t.start < m.start]
            return all(t.text[0].isupper() or _role_noun(t) for t in lead)

        people = [m for m in named if self._full_person(m) and opens(m)]
        speaker = people[0] if people else (named[0] if named else None)
        return speaker.entity if speaker is not None else None

    def _person(self, name: str) -> bool:
        return self.art.entities[name].kind == "person"

    def _resolve(self, m: _Mention, pos: int) -> str | None:
        if m.how == "pronoun":
            return self._pronoun(m.word, pos, m.sent if m.sent >= 0 else pos)
        return m.entity

    # -- mentions -----------------------------------------------------------------------

    def _mentions(self, toks: list[_Tok], sent_start: int) -> dict[int, _Mention]:
        """Mentions of people and bodies by the index of their last token."""
        art = self.art
        out: dict[int, _Mention] = {}
        first_subject: str | None = None
        for i, j, _name, _role in art.names_in(toks, sent_start):
            words = [t.text.rstrip(".") for t in toks[i:j]]
            words = [w[:-2] if w.endswith(("'s", "’s")) else w for w in words]
            the = i > 0 and toks[i - 1].low == "the"
            det = i > 0 and toks[i - 1].low in ("the", "a", "an")
            role_after = j < len(toks) and (
                (_role_noun(toks[j]) and not _past_verb(toks[j]))
                or bool(_POSTNOMINAL.match(toks[j].text))
            )
            role_after = role_after or (len(words) > 1 and bool(_POSTNOMINAL.match(words[-1])))
            if det and role_after:
                continue  # "the Tory leader", "a Cosla spokesman", "the Salford MP": a role
            if (
                i > 0
                and toks[i - 1].low in ("a", "an")
                and not (j < len(toks) and toks[j].low in _SPOKES)
            ):
                continue  # "a Republican Assemblywoman": a description, not a name
            name = art.entity_for(list(words), the, toks[i].start)  # it trims its copy
            if name is None:
                continue
            start = toks[i - 1].start if the else toks[i].start
            k = i - 1 if not the else i - 2
            role_words: list[str] = []
            while k >= 0 and (
                (
                    toks[k].text[0].islower()
                    and toks[k].low not in _FUNCTION
                    and toks[k].low not in SPEECH_VERBS
                )
                # "Spain's minister of sport Jaime Lissavetzky": an office of something
                or (
                    toks[k].low in ("of", "for")
                    and role_words
                    and k > 0
                    and toks[k - 1].text in _PERSON_ROLES  # in lower case
                )
            ):
                role_words.insert(0, toks[k].text)
                k -= 1
            ent = art.entities[name]
            if role_words and ent.kind == "person":
                ent.roles.add(" ".join(role_words).lower())
                head = toks[k + len(role_words)]
                modifier = out.get(k)
                if (
                    modifier is not None
                    and modifier.subject
                    and modifier.entity
                    and not _past_verb(head)
                    and not (head.low.endswith("s") and not head.low.endswith("ss"))
                ):
                    # "Celtic manager O'Neill is ...": the club describes the person
                    out[k] = replace(modifier, subject=False)
                    pi = _first_tok_at(toks, modifier.start)
                    before = toks[pi - 1] if pi > 0 else None
                    if first_subject == modifier.entity and (
                        before is None or before.low in _FUNCTION or not before.text[0].isalpha()
                    ):
                        first_subject = None  # the person, named next, is the subject
            prefixed = len(words) > len(name.split()) and ent.kind == "person"
            b = k
            while b > 0 and toks[b].text[0].isupper() and toks[b].text.endswith(("'s", "’s")):
                b -= 1  # "to France's Nathalie Dechy": the possessive's preposition
            prep = b >= 0 and toks[b].low in _PREPS and (not prefixed or b < k)
            possessive = toks[j - 1].text.endswith(("'s", "’s"))
            m = _Mention(start, toks[j - 1].end, name, "name", subject=not prep and not possessive)
            out[j - 1] = m
            # "X spokesman said": the body speaks through its spokesman
            if j < len(toks) and toks[j].low in _SPOKES:
                out[j] = _Mention(start, toks[j].end, name, "name", subject=not prep)
            art.order.append((toks[i].start, name))
            if first_subject is None and m.subject:
                first_subject = name
        # joint subjects: "X and Y said"
        for idx in sorted(out):
            m = out[idx]
            for jdx in sorted(out):
                n = out[jdx]
                if (
                    jdx < idx
                    and jdx + 1 < len(toks)
                    and toks[jdx + 1].low == "and"
                    and _first_tok_at(toks, m.start) == jdx + 2
                    and n.entity
                    and m.entity
                    and n.subject  # "a tie at Old Trafford and Ancelotti said": one speaker
                ):
                    joint = f"{n.entity} and {m.entity}"
                    ent = art.entities.get(joint) or art._add(joint, "group")
                    ent.members = (n.entity, m.entity)
                    out[idx] = _Mention(n.start, m.end, joint, "name", n.subject)
                    art.order.append((n.start, joint))
        for k, t in enumerate(toks):
            if t.low in _PRONOUNS and t.low not in ("i", "we") and k not in out:
                prev = toks[k - 1].low if k else ""
                subj = prev not in _PREPS
                out[k] = _Mention(
                    t.start, t.end, None, "pronoun", subj, word=t.low, sent=sent_start
                )
        # "She spoke after a visit by John Reed": the subject is she, not the name after it
        opens_with_pronoun = bool(toks) and toks[0].low in ("he", "she")
        if first_subject is not None and not opens_with_pronoun:
            art.subjects.append((sent_start, first_subject))
        return out

    def _pronoun(self, word: str, pos: int, sent: int) -> str | None:
        art = self.art
        want = _PRONOUNS[word]
        # names inside what was reported are spoken about, not speaking
        inside = [(f.start, f.end) for f in self.found]
        order = [(p, n) for p, n in art.order if p < pos and not any(a <= p < b for a, b in inside)]
        if want == "p":
            if (
                self.last_speaker
                and art.entities[self.last_speaker].kind in ("group", "body")
                and pos - self.last_at < 400
            ):
                return self.last_speaker
            for _p, n in reversed(order):
                if art.entities[n].kind in ("group", "body"):
                    return n
            return None
        if want == "n":
            for _p, n in reversed(order):
                if art.entities[n].kind == "body":
                    return n
            return None
        if (
            self.last_speaker is not None
            and self.last_spokes in ("", want)
            and pos - self.last_at < SPOKESMAN_REACH
            and not any(self._named_person(n) for p, n in order if p >= self.last_end and p < pos)
        ):
            return self.last_speaker  # "A BBC spokeswoman said ... She added": the BBC
        # "X broke the news when he revealed ...": the subject named earlier in the sentence
        here = [n for p, n in art.subjects if p == sent]
        opens = here and any(
            sent <= p < min(pos, sent + SUBJECT_OPENS) and n == here[0] for p, n in order
        )
        if opens and self._named_person(here[0]) and not self._is_gender(here[0], _OTHER[want]):
            return here[0]
        cands: list[str] = []
        # a person who became the subject after the last statement takes the focus
        later = [n for p, n in art.subjects if self.last_end <= p < sent]
        cands += reversed(later)
        if self.unknown_focus:
            cands = cands[:1]  # only someone named since the unknown speaker
        else:
            if self.last_speaker and pos - self.last_at < 600:
                cands.append(self.last_speaker)
            cands += [n for p, n in reversed(art.subjects) if p < sent]
            cands += [n for _p, n in reversed(order)]
        recent = cands[:3]
        gendered = [n for n in recent if self._is_gender(n, want)]
        if gendered and gendered[0] == self.last_speaker:
            return gendered[0]  # "Ms Diemont ... she says": the speaker, not a place named since
        for strict in (True, False):
            for n in cands:
                ent = art.entities.get(n)
                if ent is None or ent.kind != "person":
                    continue
                if ent.gender and ent.gender != want:
                    continue
                full = (
                    ent.gender
                    or len(ent.name.split()) >= 2
                    or n == self.last_speaker
                    or self._holds_office(n)  # "Celtic manager O'Neill": a person
                )
                if strict and not full:
                    continue  # a lone capitalised word may be a place or a body
                return n
        return None

    def _is_gender(self, name: str, want: str) -> bool:
        ent = self.art.entities.get(name)
        return ent is not None and ent.kind == "person" and ent.gender == want

    def _group_noun(self, t: _Tok) -> bool:
        """A plural noun for people who speak together: "officials", and any plural agent noun
        the article writes in lower case ("Traders said", "bankers", "delegates")."""
        if t.low in _GROUPS:
            return True
        return (
            _AGENTS.search(t.low) is not None
            and t.low not in self.art.midcaps
            and fold(t.text) in self.art.common
        )

    def _role(self, toks: list[_Tok], k: int) -> _Mention | None:
        """A role noun phrase ending at token k ("the prime minister", "a spokesman")."""
        j = k
        while (
            j >= 0
            and toks[j].low not in _FUNCTION
            and not (toks[j].low in SPEECH_VERBS and toks[j].low.endswith("ing"))
            and (toks[j].text[0].isalpha() or _AGE.match(toks[j].low))
        ):
            j -= 1
        if j < 0 or j == k or toks[j].low not in ("the", "a", "an", "his", "her", "its", "their"):
            # "..., but analysts said", "according to analysts": a group, not an object
            opens = j < 0 or toks[j].low not in _FUNCTION or toks[j].low in _CLAUSE_LINKS
            opens = opens or (toks[j].low == "to" and j > 0 and toks[j - 1].low == "according")
            if j < k and opens and self._group_noun(toks[k]):
                first = toks[j + 1]
                desc = " ".join(t.text for t in toks[j + 1 : k + 1]).rstrip(".")
                desc = desc[0].lower() + desc[1:] if self._group_noun(first) else desc
                return _Mention(first.start, toks[k].end, self.art.described(desc, "group"), "role")
            return None
        words = [t.low for t in toks[j + 1 : k + 1]]
        if not words or words[-1] in SPEECH_VERBS:
            return None
        head = words[-1]
        phrase = " ".join(words)
        art = self.art
        start = toks[j].start
        caps = [t.text for t in toks[j + 1 : k + 1] if t.text[0].isupper()]
        if head in _SPOKES and caps:
            body = art.entity_for(caps, toks[j].low == "the", start)
            if body is not None:
                return _Mention(start, toks[k].end, body, "role")
        for _p, n in reversed([(p, n) for p, n in art.order if p < start]):
            ent = art.entities[n]
            if ent.kind == "person" and (
                any(head in r.split() for r in ent.roles)
                or fold(phrase) in {fold(r) for r in ent.roles}
            ):
                return _Mention(start, toks[k].end, n, "role")
        if head in _SPOKES or (head in _BODY_NOUNS and toks[j].low in ("the", "its")):
            for p, n in reversed([(p, n) for p, n in art.order if p < start]):
                if art.entities[n].kind == "body" and start - p <= SPOKESMAN_REACH:
                    return _Mention(start, toks[k].end, n, "role")
            return _Mention(start, toks[k].end, None, "role")  # someone speaks: unknown
        if toks[j].low in ("a", "an"):  # "said a protester": the article's description
            desc = " ".join(t.text for t in toks[j : k + 1])
            desc = desc[0].lower() + desc[1:]
            return _Mention(start, toks[k].end, art.described(desc, "description"), "role")
        # "the officials", and "the (western) creditors", "the defendants": any agent noun
        agents = (
            k - j <= 2
            and self._group_noun(toks[k])
            and not any(t.low in _VERBS for t in toks[j + 1 : k])
            # not the object before a participle ("to ban the players saying"), nor a
            # clause inside what someone else said ("X said the directors believed")
            and not (k + 1 < len(toks) and t_is_participle(toks[k + 1]))
            and not any(t.low in SPEECH_VERBS for t in toks[:j])
        )
        if toks[j].low == "the" and (head in _GROUPS or agents):
            desc = " ".join(t.text for t in toks[j : k + 1])
            return _Mention(start, toks[k].end, art.described(desc, "group"), "role")
        titled = head in self.art.titles | self._role_heads() or _POSTNOMINAL.match(toks[k].text)
        if toks[j].low == "the" and titled:
            subjects = [n for p, n in art.subjects if p < start]
            for n in reversed(subjects):
                if self._named_person(n):
                    return _Mention(start, toks[k].end, n, "role")
        described = _AGE.match(head) is not None
        if toks[j].low == "the" and described:
            # "said the 28-year-old": the person the story is about
            subjects = [n for p, n in art.subjects if p < start]
            focus = next((n for n in reversed(subjects) if self._named_person(n)), None)
            if focus is not None and art.entities[focus].surname not in {t.text for t in toks}:
                return _Mention(start, toks[k].end, focus, "role")
        if toks[j].low == "the" and head in _PERSON_ROLES:
            # an office the article has not tied to a name: the person in focus, if someone
            # the article calls Mr/Ms or he/she and gives no other office
            subjects = [n for p, n in art.subjects if p < start]
            focus = next((n for n in reversed(subjects) if self._named_person(n)), None)
            if (
                focus is not None
                and (
                    art.entities[focus].gender
                    or art.honorific_gender.get(fold(art.entities[focus].surname))
                )
                and not self._other_office(focus, head)
                # "the chief executive said Mr X's absence ...": not X
                and art.entities[focus].surname not in {t.text for t in toks}
            ):
                return _Mention(start, toks[k].end, focus, "role")
        return None

    def _according_to_source(
        self, toks: list[_Tok], k: int, mentions: dict[int, _Mention]
    ) -> _Mention | None:
        """The source named in lower case after "according to" ("firefighters", "federal
        regulators", "the book"), up to the comma or the sentence's end, as the article words
        it."""
        end = k
        while end < len(toks) and end - k < 5 and toks[end].text[0].isalpha():
            if toks[end].text.endswith("."):
                break
            end += 1
        last = end if end < len(toks) and toks[end].text.endswith(".") else end - 1
        if last < k or last >= len(toks) or not toks[last].text[0].islower():
            return None
        if (
            toks[last].low in _FUNCTION
            or toks[k].low in _PRONOUNS
            or any(x.low in _VERBS for x in toks[k:last])
        ):
            return None
        if last + 1 < len(toks) and toks[last].text[-1] != "." and toks[last + 1].text == ",":
            # "according to his wife, Amanda Huber,": the name in apposition
            named = next((mentions[i] for i in range(last + 2, last + 6) if i in mentions), None)
            if named is not None and self._is_person(named):
                return named
        role = self._role(toks, last)  # "according to the minister": the person in focus
        if role is not None and role.entity:
            return role
        desc = " ".join(x.text for x in toks[k : last + 1]).rstrip(".")
        kind = "group" if _plural_noun(_Tok(0, 0, desc.split()[-1])) else "description"
        return _Mention(toks[k].start, toks[last].end, self.art.described(desc, kind), "role")

    def _spokes_for(
        self, toks: list[_Tok], j: int, mentions: dict[int, _Mention]
    ) -> _Mention | None:
        """The speaker of "a spokesman for X said", "the statement issued by X said", the
        phrase ending at j: X, who speaks through them; the description itself when X is no
        name the article resolves ("a spokesman for one US shop")."""
        if not toks[j].text[0].isalnum():
            return None  # "Ana Lee, a spokeswoman for X, said": the name in apposition
        for s in range(j - 1, max(-1, j - 9), -1):
            if toks[s].text in (",", QMARK) or toks[s].low in SPEECH_VERBS:
                return None
            if toks[s].low not in _SPOKES or s == 0 or toks[s - 1].low not in ("a", "an", "the"):
                continue
            if s >= 2 and toks[s - 2].text == ",":
                return None  # "..., a spokesman for X said": in apposition to a name before
            p = s + 1
            if toks[p].low in ("issued", "released", "published", "posted", "sent"):
                p += 1
            if p >= j or toks[p].low not in ("for", "of", "from", "by", "at"):
                return None
            start = toks[s - 1].start
            owner = next((mentions[i] for i in range(j, p, -1) if i in mentions), None)
            if owner is None:
                owner = self._role(toks, j)  # "a spokesman for the company"
            if owner is not None and owner.entity:
                return _Mention(start, toks[j].end, owner.entity, "role")
            if any(t.low in ("which", "who", "that") for t in toks[p : j + 1]):
                return None  # "a report by the committee which ...": not the speaker's phrase
            desc = " ".join(t.text for t in toks[s - 1 : j + 1])
            desc = desc[0].lower() + desc[1:]
            return _Mention(start, toks[j].end, self.art.described(desc, "description"), "role")
        return None

    def _holds_office(self, name: str) -> bool:
        return any(w in _OFFICES for r in self.art.entities[name].roles for w in r.split())

    def _other_office(self, name: str, head: str) -> bool:
        """Whether the article gives the person an office other than `head` ("the chancellor"
        is not the person it calls prime minister)."""
        held = {w for r in self.art.entities[name].roles for w in r.split()} & _PERSON_ROLES
        return bool(held) and head not in held

    # -- frames: who says, and what ------------------------------------------------------

    def _frames(self, toks: list[_Tok], mentions: dict[int, _Mention]) -> list[_Frame]:
        """Each verb of saying with its speaker and the clause it reports."""
        out: list[_Frame] = []
        medium: list[_Mention] = []  # "according to the summary": only if no one else speaks
        self._frames_so_far = out
        text = self.text
        n = len(toks)
        sent_end = toks[-1].end if toks else 0
        while sent_end > 0 and text[sent_end - 1] in ".!?":
            sent_end -= 1
        for k, t in enumerate(toks):
            if t.low == "according" and k + 1 < n and toks[k + 1].low == "to":
                m = self._subject_right(toks, k + 2, mentions, last=True)
                if m is None and (m := self._according_to_source(toks, k + 2, mentions)):
                    medium.append(m)
                if m is not None:
                    lead = [x for x in toks[:k] if x.text[0].isalnum() and x.text != QMARK]
                    if len(lead) >= MIN_CLAUSE_WORDS:  # "Gazprom made no bid, according to X"
                        a, b = toks[0].start, t.start
                    else:  # "(And,) according to X, Gazprom made no bid"
                        after = next((x for x in toks if x.start >= m.end and x.text == ","), None)
                        a, b = (after.end if after else m.end), sent_end
                    a, b = _trim(text, a, b)
                    out.append(_Frame(t.start, m, a, b))
                continue
            if t.low not in SPEECH_VERBS or not t.text[0].islower():
                continue
            if (
                k + 1 < n
                and toks[k + 1].low in ("for", "on", "off", "up", "out", "into")
                and t.low in _NEEDS_QUOTE
                and not any(x.text == QMARK for x in toks[k + 2 : k + 10])
            ):
                continue  # "called for", "called on": a call, not a statement, unless quoted
            if t.low in _NEEDS_QUOTE and not any(x.text == QMARK for x in toks[k + 1 : k + 6]):
                continue  # "called him", "described as": only with a quotation
            if t.low in _NEEDS_THAT and not _reports_after(toks, k):
                continue  # "found the body", "agreed to release", "posted a video": no statement
            left = self._speaker_of(toks, k, mentions)
            passive = t.low == "told" and k + 1 < n and toks[k + 1].low == "by"
            if passive:  # "he was told by X that ...": X speaks, "he" listens
                left = self._subject_right(toks, k + 2, mentions, last=True)
            if left is None:
                continue
            a = t.end
            j = k + 1
            if passive:
                j = _first_tok_at(toks, left.end)
                a = left.end
            if t.low in _TELL:  # skip the listener
                while (
                    j < n and toks[j].low not in ("that",) and toks[j].text not in (",", ":", QMARK)
                ):
                    if toks[j].text[0].islower() and toks[j].low not in _FUNCTION and j > k + 1:
                        break
                    if toks[j].low in _PRONOUNS and toks[j].low not in ("he", "she", "they", "it"):
                        j += 1
                        break
                    j += 1
                a = toks[j - 1].end if j > k + 1 else a
            if j < n and toks[j].low in _PREPS and toks[j].low not in _TELL:
                # "said in a filing to the SEC that ...": the clause starts after "that"
                that = next(
                    (
                        x
                        for x in range(j + 1, min(n, j + 16))
                        if toks[x].low == "that" or toks[x].text in (",", QMARK)
                    ),
                    None,
                )
                if that is not None and toks[that].low == "that":
                    j = that
            while j < n and (toks[j].low == "that" or toks[j].text in (",", ":")):
                a = toks[j].end
                j += 1
            clause_end = sent_end
            if left.start > t.start and not passive:  # "..., said X"
                a, clause_end = toks[0].start, t.start
            elif k + 1 >= n or toks[k + 1].text in (".", "!", "?"):  # "..., X said."
                a, clause_end = toks[0].start, left.start
            elif (
                comma := _aside_comma(toks, k, left) or _trailing_comma(toks, k, left)
            ) is not None:
                # "..., X said, to ...", "..., X told the BBC.": the clause before the comma
                a, clause_end = toks[0].start, toks[comma].start
            a, b = _trim(text, a, clause_end)
            out.append(_Frame(t.start, left, a, b))
        if len(out) > len(medium) or any(t.text == QMARK for t in toks):
            # "Colin Sutherland decided, according to the summary, "...": Sutherland
            out = [f for f in out if not any(f.speaker is m for m in medium)]
        return _unnest(out, toks, text)

    def _role_heads(self) -> set[str]:
        """Last words of the roles the article ties to people ("minister", "coach")."""
        return {r.split()[-1] for e in self.art.entities.values() for r in e.roles if r}

    def _clause_subject(
        self, toks: list[_Tok], k: int, mentions: dict[int, _Mention]
    ) -> _Mention | None:
        """The first person named as a subject between the clause start (the sentence start
        or the last quotation) and the verb at k, when appositives separate them."""
        start = max((i for i in range(k) if toks[i].text == QMARK), default=-1) + 1
        for i in range(start, k):
            m = mentions.get(i)
            if m is not None and m.subject and m.how == "name" and self._is_person(m):
                if any(toks[x].text == "," for x in range(i + 1, k)):
                    return m
                return None
        return None

    def _full_person(self, m: _Mention) -> bool:
        """A person named with a first name and a surname."""
        ent = self.art.entities.get(m.entity) if m.entity else None
        return ent is not None and ent.kind == "person" and len(ent.name.split()) >= 2

    def _titled_person(
        self, toks: list[_Tok], j: int, mentions: dict[int, _Mention]
    ) -> _Mention | None:
        """The person a name at j qualifies: "said Acme chief executive Jo Bloggs" is Jo
        Bloggs, the body or place before the role nouns only says whose chief he is."""
        k = j + 1
        while k < len(toks) and _role_noun(toks[k]):
            k += 1
        if k == j + 1 or k >= len(toks):
            return None
        m = next((mentions[x] for x in range(k, min(len(toks), k + 4)) if x in mentions), None)
        if m is None or _first_tok_at(toks, m.start) != k or not self._full_person(m):
            return None
        return m

    def _is_person(self, m: _Mention) -> bool:
        return m.entity is not None and self.art.entities[m.entity].kind == "person"

    def _head_of(self, toks: list[_Tok], j: int, mentions: dict[int, _Mention]) -> _Mention:
        """The person a mention at j belongs to: "Arnel dela Vega of the army's Western
        Command" is Arnel dela Vega; "Simon Rubinsohn, chief economist at Gerrard" too."""
        m = mentions[j]
        i = _first_tok_at(toks, m.start) - 1
        steps = 0
        determined = False  # "of the army's Western Command": Y is a body, X speaks
        passed_prep = False
        while i >= 0 and steps < 6 and toks[i].text not in (",", QMARK, ";", ":"):
            passed_prep = passed_prep or toks[i].low in ("of", "at", "from", "for")
            determined = determined or toks[i].low == "the" or toks[i].text.endswith(("'s", "’s"))
            if (
                toks[i].low in ("of", "at", "from", "for", "in")
                and (i - 1) in mentions
                and (determined or not self._is_person(m) or self._full_person(mentions[i - 1]))
            ):
                head = mentions[i - 1]
                if head.entity and self.art.entities[head.entity].kind == "person":
                    return head
            if toks[i].low in SPEECH_VERBS or (
                toks[i].low in _FUNCTION and toks[i].low not in _NP_LINKS
            ):
                break  # "... and Ancelotti said": another clause
            i -= 1
            steps += 1
        if (
            passed_prep
            and i > 0
            and toks[i].text == ","
            and (before := mentions.get(i - 1)) is not None
            and self._full_person(before)
            and m.subject is False
        ):
            return before  # "Howard Archer, economist at Global Insight said": Archer
        return m

    def _speaker_of(
        self, toks: list[_Tok], k: int, mentions: dict[int, _Mention]
    ) -> _Mention | None:
        """The speaker of the verb at k: to its left ("X (has also) said", "X, the ..., said",
        "X ..., saying"), or inverted ("..., said X")."""
        j = k - 1
        while j >= 0 and toks[j].low in _AUX:
            j -= 1
        if j >= 0 and j in mentions and (mentions[j].subject or mentions[j].how == "pronoun"):
            return self._head_of(toks, j, mentions)
        if j >= 1 and toks[j].low in ("who", "which"):
            # "Mark Hay, a marine ecologist at GT, who said": the name the relative clause is
            # about, before any apposition; only a name right before it or its apposition
            # ("an attitude which says" is no one's statement)
            near = j - 2 if toks[j - 1].text == "," else j - 1
            if near > 0 and toks[near].text == ")":  # "the Muslim Association (MAB), which"
                near = next((i for i in range(near, -1, -1) if toks[i].text == "("), 0) - 1
            m = mentions.get(near)
            opening = next((i for i in range(near, -1, -1) if toks[i].text == ","), None)
            head = mentions.get(opening - 1) if opening and toks[j - 1].text == "," else None
            person_first = toks[j].low == "who" and head is not None and self._is_person(head)
            if head is not None and (m is None or (person_first and not self._is_person(m))):
                m = head  # "Mark Hay, a marine ecologist at GT, who said": Mark Hay
            if m is not None and m.how != "pronoun" and m.entity:
                return m
            return None
        if j >= 0 and j in mentions:
            head = self._head_of(toks, j, mentions)
            at = _first_tok_at(toks, head.start)
            with_ing = t_is_participle(toks[k]) and at > 0 and toks[at - 1].low == "with"
            if with_ing and self._is_person(head):
                return head  # "with X (of Louisiana) calling it ...": X is the participle's subject
            if head is not mentions[j] and head.subject:
                return head  # "X of Louisiana said": X, not the place
        if j >= 0 and j not in mentions and (owner := self._of_owner(toks, j, mentions)):
            return owner  # "José Ortiz of the island's power authority said": José Ortiz
        if (
            j >= 1
            and (m := mentions.get(j - 1))
            and m.how == "name"
            and m.subject
            and _plural_noun(toks[j])
        ):
            # "Liverpool fans claimed", "Tory MPs said": the named body's people, as a group
            desc = self.text[m.start : toks[j].end]
            desc = desc[4:] if desc.startswith(("the ", "The ")) else desc
            return _Mention(m.start, toks[j].end, self.art.described(desc, "group"), "name")
        if j >= 0 and (through := self._spokes_for(toks, j, mentions)) is not None:
            return through
        if j >= 0:
            role = self._role(toks, j)
            if role is not None:
                return role
        if j >= 1 and toks[j].text == "," and (m := mentions.get(j - 1)) and self._full_person(m):
            h = _first_tok_at(toks, m.start) - 1
            if h > 0 and toks[h].text == "," and h - 1 in mentions:
                return m  # "One of the vice presidents, Ana Lee, said": the name in apposition
        if j >= 0 and toks[j].text == "," and (speaker := self._clause_subject(toks, k, mentions)):
            return speaker  # "X, from Y, one of the ..., said": the clause's first person
        if j >= 0 and toks[j].text in (",", "-", "–", "—", ")"):
            opener = "(" if toks[j].text == ")" else toks[j].text
            h = j - 1
            while h >= 0 and toks[h].text != opener:
                h -= 1
            first = mentions.get(h - 1) if h > 0 else None
            m = mentions.get(j - 1)
            if first is not None and first.subject and self._is_person(first):
                return self._head_of(toks, h - 1, mentions)  # "X, the ... of Y, said"
            if m is not None and self._is_person(m):
                return m  # "The chairman of X, Sher Khan, said"
            if first is not None and first.subject:
                return first
            if h > 0 and toks[h - 1].text[0].isalpha():
                role = self._role(toks, h - 1)
                if role is not None and h - 1 not in mentions:
                    return role
        if t_is_participle(toks[k]) and j >= 0 and toks[j].text == ",":
            # "He praised the tour, calling it ...": the subject of the clause the participle
            # hangs from (not a name inside its quotation marks), never the participle's object
            if self._frames_so_far:  # this sentence's frames so far
                return self._frames_so_far[-1].speaker  # "..., analysts said, adding that"
            quoted = False
            for i in range(j):
                if toks[i].text == QMARK:
                    quoted = not quoted
                m = mentions.get(i)
                if m is not None and not quoted and (m.subject or m.word in ("he", "she")):
                    return m
        # inverted: "..., said X" / "..." said X
        inverted = k + 1 < len(toks) and (k == 0 or toks[k - 1].text in (",", ":", QMARK))
        if inverted and toks[k + 1].low in ("a", "an", "the"):
            end = k + 1
            while (
                end + 1 < len(toks)
                and _role_noun(toks[end + 1])
                and not toks[end + 1].low.endswith("ing")
            ):
                end += 1
            role = self._role(toks, end) if end > k + 1 else None
            if role is not None:
                return role
        if inverted:
            m = mentions.get(k + 1) or self._subject_right(toks, k + 1, mentions, last=True)
            # the name right after the verb, of one word or more ("said Daiwa Bank analyst X")
            right = next(
                (i for i in sorted(mentions) if _first_tok_at(toks, mentions[i].start) == k + 1),
                None,
            )
            if right is not None:
                titled = self._titled_person(toks, right, mentions)
                if titled is not None:
                    return titled
            at = _first_tok_at(toks, m.start) if m is not None else -1
            between = toks[k + 1 : at] if at > k else []
            if m is not None and at <= k + 4 and all(_role_noun(x) for x in between):
                return m  # "..., said (lead author) X"
        if j > 0 and toks[j].low in ("and", "but"):
            # "X criticised the deal and said ...": the subject the two verbs share
            if self._frames_so_far:
                return self._frames_so_far[-1].speaker  # "X said ... and claimed"
            subj = [
                m
                for i, m in sorted(mentions.items())
                if i < j and (m.subject or (m.how == "pronoun" and m.word in _PRONOUNS))
            ]
            # "Portsmouth chairman Milan Mandaric ... and claimed": the person, not the club
            people = [m for m in subj if m.how == "pronoun" or self._is_person(m)]
            if subj:
                return (people or subj)[0]
        # a participle or infinitive: "X criticised the plan, saying", "X went on to add"
        if t_is_participle(toks[k]) or (k > 0 and toks[k - 1].low == "to"):
            if self._frames_so_far:
                return self._frames_so_far[-1].speaker
            subj = [m for i, m in sorted(mentions.items()) if i < k and m.subject]
            if subj:
                return subj[0]
        return None

    def _of_owner(self, toks: list[_Tok], j: int, mentions: dict[int, _Mention]) -> _Mention | None:
        """The person a lower-case phrase ending at j belongs to: "X of the island's power
        authority", "X from the local council", "X of the Hajo assembly" (at most ten words
        back, no comma)."""
        i = j
        while i > 0 and j - i < 10:
            t = toks[i]
            if not t.text[0].isalpha() or t.low in SPEECH_VERBS or t.low in _LINKS:
                return None
            if not t.text[0].islower() and not t.text.endswith(("'s", "’s")) and i == j:
                return None  # the phrase ends in a lower-case noun ("the Hajo assembly")
            if t.low in ("of", "at", "from", "for", "with") and i < j:
                m = mentions.get(i - 1)
                if m is not None and m.subject and self._full_person(m):
                    return m
                return None
            i -= 1
        return None

    def _subject_right(
        self, toks: list[_Tok], k: int, mentions: dict[int, _Mention], last: bool = False
    ) -> _Mention | None:
        found = None
        for j in range(k, min(len(toks), k + 10)):
            if toks[j].text in (",", ".", ";", ":", "(", QMARK) or toks[j].low in ("that", "who"):
                break  # "(ONS)" after the name restates it
            if toks[j].low in SPEECH_VERBS:
                break
            if found is not None and toks[j].low in _PREPS:
                break  # "said X on Twitter", "said X of Acme": X
            if j in mentions:
                found = mentions[j]
                if not last:
                    return found
        if found is not None:
            return found
        if k < len(toks):
            end = k
            while (
                end + 1 < len(toks)
                and toks[end + 1].text[0].isalpha()
                and (toks[end + 1].low not in _FUNCTION and toks[end + 1].low not in SPEECH_VERBS)
            ):
                end += 1
            return self._role(toks, end) if end > k or toks[k].low in _GROUPS else None
        return None


_PARTICLES = frozenset("de dela del della da di du van von der den ter la le al el bin ibn".split())
# English nouns for a person's office: "the Tory leader said" is the person in focus
_PERSON_ROLES = frozenset(
    "leader minister chairman chairwoman chair president secretary chancellor premier "
    "governor mayor manager coach boss director executive chief commissioner "
    "ambassador general senator judge".split()
)
_OFFICES = _PERSON_ROLES | {"representative", "envoy", "spokesman", "spokeswoman"}
_AGENTS = re.compile(r"^[a-z]{3,}(?:er|or|ist|ian|ent|ant|ate|at|yst)s$")  # plural agent nouns
_NEEDS_THAT = frozenset(
    "found find agree agrees agreed expect expects expected recall recalls recalled urge urges "
    "urged post posts posted".split()
)
_AGE = re.compile(r"^(?:\d+|[a-z]+)-year-old$")  # "the 28-year-old", "the four-year-old"
_CLAUSE_LINKS = frozenset("and but while as although though whereas yet so because".split())
_NEEDS_QUOTE = frozenset("called calling call calls described describing spoke".split())
_NP_LINKS = frozenset("of at from for in the".split())  # inside "X of the Y" noun phrases
_PREPS = frozenset("by to with told of from for about against at in on".split())
_GROUPS = frozenset(
    "sources officials police authorities lawyers workers experts analysts critics residents "
    "witnesses organisers organizers investigators prosecutors officers ministers leaders "
    "campaigners protesters members government doctors scientists researchers economists "
    "diplomats observers activists militants rebels troops".split()
)
# English nouns for an organisation: "the company said" is the company the article last named
_BODY_NOUNS = frozenset(
    "company firm group bank ministry department council club union agency commission board "
    "party paper newspaper court organisation organization association authority regulator "
    "charity federation league corporation airline carrier maker retailer operator "
    "broadcaster network lawsuit".split()
)


# the last word of an organisation's name: "Acme Corp", "the Labour Party", "Highway Patrol"
_DESIGNATORS = _BODY_NOUNS | frozenset(
    "corp co inc ltd plc llc lp ag sa nv gmbh holdings committee institute university college "
    "office service services police patrol team foundation trust society airways airlines "
    "news times post press journal open cup games championship championships trophy prix "
    "awards festival olympics tournament marathon".split()
)


def t_is_participle(t: _Tok) -> bool:
    return t.low.endswith("ing")


def _acronyms(text: str) -> dict[str, str]:
    """Acronyms the article defines: "the Office for National Statistics (ONS)"."""
    out = {}
    pat = r"((?:\bthe\s+)?(?:[A-Z][\w'’-]*\s+(?:(?:of|for|and|on)\s+)?)+)\(([A-Z]{2,6})\)"
    for m in re.finditer(pat, text):
        name, acr = m.group(1).strip(), m.group(2)
        words = name.split()
        caps = [w for w in words if w[0].isupper()]
        for k in range(len(caps)):
            if "".join(w[0] for w in caps[k:]) == acr:
                first = caps[k]
                at = name.rfind(first, 0, len(name) - len(" ".join(caps[k + 1 :])))
                full = name[at:]
                if words[0] == "the" and at <= 4 + len(first):
                    full = "the " + full
                out[acr] = full
                break
    return out


def _title_words(text: str) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """Words the article uses as titles (capitalised before a full name: "Interior Minister
    Ana X") and as common words (it also writes them in lower case): not parts of names."""
    common = {fold(w) for w in re.findall(r"(?<![.!?]\s)\b[a-z][\w'’-]+", text)}
    titles: set[str] = set()
    phrases: set[str] = set()
    for m in re.finditer(r"(?:\b[A-Z][\w'’-]+\s+){3,}", text):
        words = m.group().split()
        if fold(words[-1]).rstrip(".") in _DESIGNATORS:
            continue  # "Quillon Widget Corp": a body's name, no title
        if words[-3].lower() not in _FUNCTION:  # the title right before the name
            titles.add(fold(words[-3]))
        for k in range(len(words) - 2):  # and the title phrases ending there
            phrases.add(" ".join(fold(w) for w in words[k:-2] if not w.isupper()))
    keep = [w for w in titles if len(w) > 2]
    common_words = {w for w in common if w not in _FUNCTION and len(w) > 2}
    return frozenset(keep), frozenset(common_words), frozenset(phrases - {""})


def _past_verb(t: _Tok) -> bool:
    """A lower-case word that reads as a past-tense verb ("the Home Office defended"), which
    ends a name rather than a role phrase."""
    return t.low.endswith("ed") and len(t.low) > 4


def _plural_noun(t: _Tok) -> bool:
    """A lower-case plural noun ("fans", "MPs"): ends in -s, but not -ss, -us, -is."""
    w = t.text
    return (
        len(w) >= 3
        and w[-1] == "s"
        and w[-2] not in "sui'’"
        and (w[0].islower() or w[:-1].isupper())
        and t.low not in _FUNCTION
        and t.low not in SPEECH_VERBS
    )


def _role_noun(t: _Tok) -> bool:
    return (
        (t.text[0].islower() or _AGE.match(t.low) is not None)
        and t.low not in _FUNCTION
        and t.low not in SPEECH_VERBS
    )


def _aside_comma(toks: Sequence[_Tok], k: int, left: _Mention) -> int | None:
    """The comma that opens "..., X said, ..." when the verb at k and its speaker stand between
    two commas after a clause: the reported clause is the one before them."""
    if k + 1 >= len(toks) or toks[k + 1].text != ",":
        return None
    found = _clause_before(toks, k, left)
    if found is None:
        return None
    comma, before = found
    after = _words(toks[k + 2 :])
    # "..., he said, to determine if ...": what follows is no proposition of its own
    weak = not after or after[0].low.endswith("ing") or after[0].low in _NO_CLAUSE
    return comma if weak or len(after) < before else None


def _clause_before(toks: Sequence[_Tok], k: int, left: _Mention) -> tuple[int, int] | None:
    """When the speaker of the verb at k follows a comma after a clause ("..., X said"): that
    comma's token index and the clause's word count."""
    at = _first_tok_at(toks, left.start)
    if at < 2 or toks[at - 1].text != "," or at > k:
        return None
    before = len(_words(toks[: at - 1]))
    return (at - 1, before) if before >= MIN_CLAUSE_WORDS else None


def _words(toks: Sequence[_Tok]) -> list[_Tok]:
    return [t for t in toks if t.text[0].isalnum()]


_NO_CLAUSE = frozenset("to according because before after".split())
# what opens the words after a verb of saying that only say where, when or to whom
_ADVERBIAL = frozenset("on in at during after before from with while yesterday today".split())
_TELL = frozenset("told tell tells telling".split())


def _trailing_comma(toks: Sequence[_Tok], k: int, left: _Mention) -> int | None:
    """The comma that ends the reported clause in "..., X said on Tuesday." and "..., X told a
    news conference.": after the verb at k come only the occasion or the listener (shorter
    than the clause, no "that", colon or quotation), so what X said is before the comma."""
    found = _clause_before(toks, k, left)
    rest = toks[k + 1 :]
    if found is None or any(x.low == "that" or x.text in (":", QMARK) for x in rest):
        return None
    comma, before = found
    after = _words(rest)
    if not after or len(after) >= before:
        return None
    if toks[k].low not in _TELL and after[0].low not in _ADVERBIAL:
        return None
    return comma


def _unnest(frames: list[_Frame], toks: Sequence[_Tok], text: str) -> list[_Frame]:
    """Cut a reported clause where a later verb of saying in it starts its own ("X said he can
    act, which he said would ..."): statements do not overlap."""
    out = []
    for f in frames:
        inner = [
            g
            for g in frames
            if g is not f and f.start < g.verb < f.end and g.verb > f.verb and _relative(toks, g)
        ]
        if inner:
            g = min(inner, key=lambda x: x.verb)
            cut = min(g.verb, g.speaker.start)
            i = _first_tok_at(toks, cut) - 1
            while i >= 0 and toks[i].end > f.start and toks[i].low in _LINKS:
                cut = toks[i].start
                i -= 1
            a, b = _trim(text, f.start, cut)
            out.append(_Frame(f.verb, f.speaker, a, b))
        else:
            out.append(f)
    return out


def _relative(toks: Sequence[_Tok], g: _Frame) -> bool:
    """Whether a frame inside another's clause opens a clause of its own (", which he said",
    "and she added"), not the reported content ("said he believes")."""
    at = _first_tok_at(toks, min(g.verb, g.speaker.start))
    return at > 0 and toks[at - 1].low in _LINKS and toks[at - 1].low != "that"


_LINKS = frozenset("which who and but while".split())


def _participle_at(text: str, i: int) -> bool:
    m = _WORD.match(text, i)
    return m is not None and m.group().lower().endswith("ing")


def _reports_after(toks: Sequence[_Tok], k: int) -> bool:
    """Whether the verb at k goes on to report: "that", a quotation or a colon follows it,
    right away or after where it was said ("posted on Twitter: ...", "found in the report
    that ...")."""
    j = k + 1
    if j >= len(toks):
        return False
    where = toks[j + 1] if j + 1 < len(toks) else None
    if (
        toks[j].low in ("on", "in")
        and where is not None
        and (where.text[0].isupper() or where.low in ("his", "her", "its", "their"))
    ):
        for i in range(j + 2, min(len(toks), j + 7)):
            u = toks[i]
            if u.low == "that" or u.text == ":":
                return True
            if u.text == "," and i + 1 < len(toks) and toks[i + 1].text == QMARK:
                return True  # 'He posted on Twitter, "..."'
            if not u.text[0].isalnum():
                break
    return toks[j].low == "that" or toks[j].text in (QMARK, ",", ":", ".")


def _first_tok_at(toks: Sequence[_Tok], start: int) -> int:
    for i, t in enumerate(toks):
        if t.start >= start:
            return i
    return len(toks)


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and (text[a].isspace() or text[a] in ",:;"):
        a += 1
    while b > a and (text[b - 1].isspace() or text[b - 1] in ",:;.!?"):
        b -= 1
    return a, b
