"""What a question asks: its kind, the speaker of "what did X say" questions, its topic terms."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from wordfreq import zipf_frequency

from index.lexical import fold, normalize_word, terms, words

EVERYDAY_ZIPF = 7.5  # Zipf frequency of the commonest words ("the" is 7.7)
MIN_WEIGHT = 0.3

SPEECH_VERBS = (
    "calling|adding|stating|noting|stressing|warning|urging|claiming|arguing|insisting|"
    "describing|accusing|praising|welcoming|announcing|writing|posting|asking|"
    "say|said|says|saying|tell|told|tells|telling|write|wrote|writes|written|post|posted|posts|"
    "tweet|tweeted|state|stated|states|add|added|adds|explain|explained|note|noted|stress|stressed|"
    "emphasi[sz]e|emphasi[sz]ed|warn|warned|urge|urged|call|called|calls|claim|claimed|argue|argued|"
    "announce|announced|insist|insisted|declare|declared|reiterate|reiterated|remark|remarked|"
    "comment|commented|reply|replied|respond|responded|answer|answered|praise|praised|welcome|"
    "welcomed|express|expressed|highlight|highlighted|vow|vowed|pledge|pledged|promise|promised|"
    "remind|reminded|suggest|suggested|accuse|accused|think|thinks|believe|believes|describe|"
    "described|criticise|criticised|criticize|criticized|mention|mentioned|ask|asked|reply|"
    "admit|admitted|confirm|confirmed|deny|denied|predict|predicted|assure|assured|concede|conceded"
)
_SPEECH = re.compile(rf"\b(?:{SPEECH_VERBS}|according to)\b", re.IGNORECASE)
_SPEAKER_Q = re.compile(
    rf"^(?:what|how)\s+(?:did|does|do|has|have|had|will|would|was|is)\s+(?P<speaker>.+?)\s+"
    rf"(?P<verb>{SPEECH_VERBS})\b(?P<rest>.*)$",
    re.IGNORECASE,
)
_ACCORDING_Q = re.compile(r"^according to (?P<speaker>[^,?]+?),\s*(?P<rest>.+)$", re.IGNORECASE)
_LEADING = re.compile(r"^\s*(?:about|on|regarding|concerning|of|to|that|was|is|were)\b\s*", re.I)

# Words that carry no topic in a question: its speech verb ("what did X *say* about ..."),
# and words about the asking itself.
_SPEECH_FRAME = frozenset(normalize_word(w) for w in SPEECH_VERBS.replace("[sz]", "s").split("|"))
_FRAME = frozenset(
    normalize_word(w)
    for w in ("articles", "article", "report", "reported", "reports", "many", "much", "long")
)
_NUMBER_WORDS = (
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
    r"forty|fifty|hundred|thousand|million|billion|dozens?|half|several|percent)\b"
)
_HAS_NUMBER = re.compile(_NUMBER_WORDS, re.IGNORECASE)
_HAS_TIME = re.compile(
    r"\b(?:january|february|march|april|may|june|july|august|september|october|november|"
    r"december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|monday|tuesday|wednesday|"
    r"thursday|friday|saturday|sunday|today|yesterday|tomorrow|tonight|morning|evening|week|"
    r"month|year|years|ago|since|until|during|earlier|later|(?:19|20)\d\d)\b",
    re.IGNORECASE,
)
# Words of office that stand before names ("President Vucic", "the NATO chief").
ROLE_WORDS = frozenset(
    terms(
        "chief head leader boss secretary general president minister spokesman spokesperson "
        "official commander premier chancellor prime envoy ambassador mr mrs ms dr sir"
    )
)
_DATES = re.compile(  # dates and years are not the amounts "how many" asks for
    r"\b(?:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.? \d{1,2}(?:st|nd|rd|th)?"
    r"|\d{1,2}(?:st|nd|rd|th)? (?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*"
    r"|(?:19|20)\d\d)\b",
    re.IGNORECASE,
)
_HAS_NAME = re.compile(r"\b[A-Z][a-zà-ž]+(?:\s+[A-Z][a-zà-ž]+)+\b")
_HOW_ADJECTIVE = re.compile(
    r"^how (?!many|much|long|old|far|often|did|do|does|is|are|was|were|can|could|would|will|"
    r"should|has|have|had)(\w+)\b",
    re.IGNORECASE,
)
_POSSESSED = re.compile(r"[’']s\s+([\w-]+)")  # "Dodik's sentence": the sentence is asked about


@dataclass(frozen=True)
class Question:
    text: str
    kind: str  # "speaker", "count", "duration", "time", "person", "yesno", "other"
    speaker: str | None = None
    speaker_terms: tuple[str, ...] = ()  # index terms naming the speaker
    topic_terms: tuple[str, ...] = ()  # index terms the answer must be about
    focus_terms: tuple[str, ...] = ()  # what the topic is about ("Dodik's *sentence*")
    search_terms: tuple[str, ...] = ()  # all content terms, for BM25
    weights: dict[str, float] = field(default_factory=dict)  # how telling each topic term is
    verb: str | None = None  # the speech verb of a speaker question, as an index term
    answer_type: str | None = None  # "which *countries*": good if said, no loss if not

    def expects(self, sentence: str) -> bool:
        """Whether `sentence` has the kind of thing the question asks for."""
        if self.kind == "count":
            return bool(_HAS_NUMBER.search(_DATES.sub(" ", sentence)))
        if self.kind == "duration":
            return bool(_HAS_NUMBER.search(_DATES.sub(" ", sentence)) or _HAS_TIME.search(sentence))
        if self.kind == "time":
            return bool(_HAS_TIME.search(sentence))
        if self.kind == "person":  # a name the question does not already give
            given = set(self.search_terms) | ROLE_WORDS
            return any(not set(terms(name)) <= given for name in _HAS_NAME.findall(sentence))
        return True


def analyze(question: str) -> Question:
    """Parse `question` into the parts the extractive answerer uses."""
    q = " ".join(question.strip().split()).rstrip("?!. ")
    kind, speaker, topic = _kind(q), None, q
    m = _SPEAKER_Q.match(q)
    if m and not re.search(r"\b(?:he|she|they|it|you|i|we)\b$", m.group("speaker"), re.I):
        kind, speaker = "speaker", m.group("speaker")
        topic = _LEADING.sub("", m.group("rest"))
    else:
        m = _ACCORDING_Q.match(q)
        if m:
            speaker, topic = m.group("speaker"), m.group("rest")
            kind = _kind(topic) if _kind(topic) != "other" else "speaker"
    speaker_terms = tuple(t for t in terms(speaker or "") if t not in {"the"})
    frame = _FRAME | (_SPEECH_FRAME if speaker else frozenset())
    topic_terms = tuple(
        t for t in dict.fromkeys(terms(topic)) if t not in frame and t not in speaker_terms
    )
    if not topic_terms and kind != "speaker":
        topic_terms = tuple(t for t in dict.fromkeys(terms(topic)) if t not in speaker_terms)
    focus = tuple(t for w in _POSSESSED.findall(topic) for t in terms(w) if t in topic_terms)
    m_how = _HOW_ADJECTIVE.match(q)
    if m_how:  # "how *accurate* are ...": the quality asked about must be addressed
        focus += tuple(t for t in terms(m_how.group(1)) if t in topic_terms)
    return Question(
        text=question,
        kind=kind,
        speaker=speaker,
        speaker_terms=speaker_terms,
        topic_terms=topic_terms,
        focus_terms=focus,
        search_terms=tuple(dict.fromkeys(speaker_terms + topic_terms)),
        weights=_weights(topic, topic_terms),
        answer_type=_answer_type(q),
        verb=normalize_word(fold(m.group("verb")))
        if kind == "speaker" and m and "verb" in m.groupdict()
        else None,
    )


def _answer_type(q: str) -> str | None:
    """The noun of "which countries ...", "what payment area could ...": the kind of thing
    asked for, which an answer names by instance rather than repeats."""
    m = re.match(r"^which\s+(?:[A-Z][\w-]*\s+)*([a-z][\w-]*)", q, re.I)
    if m and q.split(maxsplit=1)[0].lower() == "which":
        word = next((w for w in q.split()[1:4] if w[:1].islower()), None)
        return normalize_word(fold(word)) if word else None
    m = re.match(
        r"^what\s+(?:\w+\s+){0,2}?(\w+)\s+(?:did|does|do|has|have|had|is|are|was|were|will|could|can|would)\b",
        q,
        re.I,
    )
    return normalize_word(fold(m.group(1))) if m else None


def _weights(text: str, topic_terms: tuple[str, ...]) -> dict[str, float]:
    """Rarer words tell more: weight = how far below everyday frequency a word is (Zipf)."""
    wanted = set(topic_terms)
    out: dict[str, float] = {}
    for w in words(text):
        t = normalize_word(w)
        if t in wanted:
            out[t] = max(out.get(t, 0.0), MIN_WEIGHT, EVERYDAY_ZIPF - zipf_frequency(w, "en"))
    for t in topic_terms:
        out.setdefault(t, EVERYDAY_ZIPF)
    return out


def _kind(q: str) -> str:
    low = q.lower()
    if re.match(r"^how long\b", low):
        return "duration"
    if re.match(r"^how (?:many|much|old|far|often)\b", low):
        return "count"
    if re.match(r"^(?:when|what (?:date|day|year|time)|on what (?:date|day))\b", low):
        return "time"
    if re.match(r"^(?:who|whom)\b", low):
        return "person"
    if re.match(r"^(?:did|does|do|is|are|was|were|has|have|had|will|can|could)\b", low):
        return "yesno"
    return "other"


def speech_spans(sentence: str) -> list[tuple[int, int]]:
    """Where `sentence` has a verb of speech ("said", "told", "according to")."""
    return [m.span() for m in _SPEECH.finditer(sentence)]
