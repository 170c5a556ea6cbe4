"""Answer objects to Discord messages: the only module that knows Discord's limits.

Messages are split under 2,000 characters at paragraph, line, sentence or word boundaries and
never inside a quote; embeds are trimmed to Discord's field limits; links are written as
`[title](<url>)` so they do not unfurl; every message goes out with `NO_MENTIONS`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import discord
from discord.utils import escape_markdown

from index.models import Answer, ArticleRef, Citation, SourceView

MAX_MESSAGE_CHARS = 2000  # Discord: characters per message
EMBED_TITLE_CHARS = 256
EMBED_DESCRIPTION_CHARS = 4096
EMBED_FIELD_NAME_CHARS = 256
EMBED_FIELD_VALUE_CHARS = 1024
EMBED_FOOTER_CHARS = 2048
EMBED_TOTAL_CHARS = 6000  # all text of all embeds in one message
EMBED_FIELDS = 25
BUTTON_LABEL_CHARS = 80
BUTTONS_PER_MESSAGE = 25  # 5 rows of 5
CUSTOM_ID_CHARS = 100
CHOICE_NAME_CHARS = 100  # autocomplete choice names and values
AUTOCOMPLETE_CHOICES = 25
PASSAGE_CONTEXT_CHARS = 600  # article text shown around a cited passage, each side
ARTICLE_PREVIEW_CHARS = 1500
SOURCES_PER_PAGE = 10

NO_MENTIONS = discord.AllowedMentions.none()  # nothing in an answer or a question may ping
ACCENT = discord.Colour.dark_teal()
ELLIPSIS = "…"

# Boundaries a message may be cut at, best first. Each gives the cut position for a match.
_PARAGRAPH = (re.compile(r"\n[ \t]*\n"), "start")
_LINE = (re.compile(r"\n"), "start")
_SENTENCE = (re.compile(r"[.!?…][\"'”’)\]]*(?=\s)"), "end")
_WORD = (re.compile(r"\s"), "start")
_BOUNDARIES = (_PARAGRAPH, _LINE, _SENTENCE, _WORD)
_CURLY_QUOTE = re.compile(r"“[^”]*”")
_MARKER_AFTER = re.compile(r"[ \t]*(?:\[\d+\][ \t]*)+")


def truncate(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, at a word boundary when one is near, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip() + ELLIPSIS


def _escape_link_text(text: str) -> str:
    return escape_markdown(text).replace("[", "\\[").replace("]", "\\]")


def link(title: str, url: str | None) -> str:
    """A masked link that does not unfurl, or the bold title when there is no URL."""
    if url and url.startswith(("http://", "https://")):
        return f"[{_escape_link_text(title)}](<{url}>)"
    return f"**{escape_markdown(title)}**"


def source_line(n: int, article: ArticleRef) -> str:
    """`[n] title — outlet, date` with the title linked when the URL is known."""
    details = ", ".join(escape_markdown(x) for x in (article.outlet, article.date) if x)
    line = f"[{n}] {link(article.title or article.file, article.url)}"
    return f"{line} — {details}" if details else line


def protected_spans(text: str, quotes: Iterable[str] = ()) -> list[tuple[int, int]]:
    """Spans of `text` a split must not cut: “quoted” passages and the given quotes,
    each with the `[n]` markers right after it."""
    spans = [(m.start(), m.end()) for m in _CURLY_QUOTE.finditer(text)]
    for quote in quotes:
        at = text.find(quote) if quote else -1
        while at != -1:
            spans.append((at, at + len(quote)))
            at = text.find(quote, at + 1)
    extended = []
    for start, end in spans:
        marker = _MARKER_AFTER.match(text, end)
        extended.append((start, marker.end() if marker else end))
    return sorted(extended)


def split_message(
    text: str, limit: int = MAX_MESSAGE_CHARS, protected: Sequence[tuple[int, int]] = ()
) -> list[str]:
    """`text` in pieces of at most `limit` characters, cut at the best boundary outside
    `protected` spans (a single span longer than `limit` is the only thing ever cut inside)."""
    pieces: list[str] = []
    at = 0
    while len(text) - at > limit:
        cut = _best_cut(text, at, at + limit, protected)
        piece = text[at:cut].rstrip()
        if piece:
            pieces.append(piece)
        at = cut
        while at < len(text) and text[at].isspace():
            at += 1
    rest = text[at:].strip()
    if rest:
        pieces.append(rest)
    return pieces


def _best_cut(text: str, lo: int, hi: int, protected: Sequence[tuple[int, int]]) -> int:
    def allowed(i: int) -> bool:
        return lo < i <= hi and not any(s < i < e for s, e in protected)

    window = text[lo : hi + 1]
    for pattern, side in _BOUNDARIES:
        cuts = [lo + (m.start() if side == "start" else m.end()) for m in pattern.finditer(window)]
        good = [i for i in cuts if allowed(i)]
        if good:
            return max(good)
    # Nothing outside a protected span: the span itself is longer than a message.
    for pattern, side in _BOUNDARIES[2:]:
        cuts = [lo + (m.start() if side == "start" else m.end()) for m in pattern.finditer(window)]
        good = [i for i in cuts if lo < i <= hi]
        if good:
            return max(good)
    return hi


def answer_messages(answer: Answer, limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """The answer text and its numbered source list, as message contents."""
    text = answer.text.strip()
    if answer.citations:
        lines = [source_line(c.n, c.article) for c in _unique_citations(answer.citations)]
        text = text + "\n\n**Sources**\n" + "\n".join(lines)
    spans = protected_spans(text, (c.quote for c in answer.citations))
    return split_message(text, limit, spans) or ["I have no answer to that."]


def _unique_citations(citations: Sequence[Citation]) -> list[Citation]:
    seen: set[int] = set()
    out = []
    for c in sorted(citations, key=lambda c: c.n):
        if c.n not in seen:
            seen.add(c.n)
            out.append(c)
    return out


def citation_label(citation: Citation) -> str:
    """A button label for a citation."""
    title = citation.article.title or citation.article.file
    return truncate(f"[{citation.n}] {title}", BUTTON_LABEL_CHARS)


def place(text: str, start: int, end: int) -> str:
    """Where a span sits: `characters 1,200–1,450 of 3,100 · paragraph 5 of 12`."""
    total = _paragraph_count(text)
    paragraph = _paragraph_count(text[: max(start, 0)] + "x")
    return (
        f"characters {start:,}–{end:,} of {len(text):,} · paragraph {min(paragraph, total)} of "
        f"{total}"
    )


def _paragraph_count(text: str) -> int:
    return max(1, sum(1 for block in re.split(r"\n[ \t]*\n", text) if block.strip()))


def passage_embed(
    article: ArticleRef, text: str, start: int, end: int, *, heading: str
) -> discord.Embed:
    """The passage `text[start:end]` in bold inside its surrounding article text."""
    start, end = max(0, start), min(len(text), end)
    before_at = _context_start(text, start)
    after_at = _context_end(text, end)
    before = escape_markdown(text[before_at:start])
    passage = escape_markdown(text[start:end].strip())
    after = escape_markdown(text[end:after_at])
    budget = EMBED_DESCRIPTION_CHARS - 20
    if len(passage) > budget:
        passage, before, after = truncate(passage, budget), "", ""
    room = budget - len(passage)
    before = _tail(before, room // 2)
    after = truncate(after, room - len(before)) if after else ""
    prefix = ELLIPSIS if before_at > 0 and before else ""
    suffix = ELLIPSIS if after_at < len(text) and after and not after.endswith(ELLIPSIS) else ""
    description = f"{prefix}{before}**{passage}**{after}{suffix}"
    embed = _article_embed(article, heading)
    embed.description = description
    embed.add_field(name="Place in the article", value=place(text, start, end), inline=False)
    return fit_embed(embed)


def _context_start(text: str, start: int) -> int:
    para = text.rfind("\n\n", 0, start)
    at = para + 2 if para != -1 else 0
    return max(at, start - PASSAGE_CONTEXT_CHARS)


def _context_end(text: str, end: int) -> int:
    para = text.find("\n\n", end)
    at = para if para != -1 else len(text)
    return min(at, end + PASSAGE_CONTEXT_CHARS)


def _tail(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    if limit <= 1:
        return ""
    cut = text[len(text) - limit + 1 :]
    space = cut.find(" ")
    if 0 <= space < limit * 0.4:
        cut = cut[space + 1 :]
    return ELLIPSIS + cut


def source_embed(view: SourceView) -> discord.Embed:
    """A looked-up source: its passage in place, or the start of the article."""
    if view.passage is not None:
        return passage_embed(
            view.article, view.text, view.passage.start, view.passage.end, heading="Passage"
        )
    embed = _article_embed(view.article, "Article")
    embed.description = escape_markdown(truncate(view.text, ARTICLE_PREVIEW_CHARS))
    embed.add_field(
        name="Length",
        value=f"{len(view.text):,} characters · {_paragraph_count(view.text)} paragraphs",
        inline=False,
    )
    return fit_embed(embed)


def _article_embed(article: ArticleRef, heading: str) -> discord.Embed:
    title = article.title or article.file
    url = article.url if article.url and article.url.startswith(("http://", "https://")) else None
    embed = discord.Embed(title=truncate(title, EMBED_TITLE_CHARS), url=url, colour=ACCENT)
    details = [x for x in (article.outlet, article.author, article.date) if x]
    if details:
        embed.add_field(name="Source", value=escape_markdown(" · ".join(details)), inline=False)
    embed.set_footer(text=f"{heading} · {article.id}")
    return embed


def sources_page(articles: Sequence[ArticleRef], page: int) -> tuple[discord.Embed, int, int]:
    """One page of the indexed articles: (embed, page actually shown, number of pages)."""
    pages = max(1, -(-len(articles) // SOURCES_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    first = page * SOURCES_PER_PAGE
    shown = articles[first : first + SOURCES_PER_PAGE]
    lines = [f"`{a.id}` · {source_line(first + i + 1, a)}" for i, a in enumerate(shown)]
    embed = discord.Embed(
        title=f"Indexed articles ({len(articles)})",
        description="\n".join(lines) or "No articles are indexed yet: an admin can run `/reindex`.",
        colour=ACCENT,
    )
    embed.set_footer(text=f"Page {page + 1} of {pages} · look one up with /source")
    return fit_embed(embed), page, pages


def help_embed(bot_mention: str, max_question_chars: int) -> discord.Embed:
    """What the bot does and how to ask."""
    embed = discord.Embed(
        title="newsdesk",
        description=(
            "I answer questions about the indexed news articles with **verbatim quotes**, "
            "each numbered and linked to its source. If the articles do not say, I tell you so "
            "instead of guessing."
        ),
        colour=ACCENT,
    )
    embed.add_field(
        name="Ask",
        value=(
            f"Mention me with a question ({bot_mention} what did Rutte say about Serbia?), "
            "reply to one of my answers to follow up, or use `/ask question:`. "
            f"Questions can be up to {max_question_chars} characters."
        ),
        inline=False,
    )
    embed.add_field(
        name="Sources",
        value=(
            "Press a source's button under an answer to see the passage and where it sits in "
            "the article (only you see it). `/source ref:` looks up a citation number from my "
            "last answer here, an article id or title words; `/sources` lists the articles."
        ),
        inline=False,
    )
    embed.add_field(
        name="Admins",
        value=(
            "`/reindex` picks up new and changed articles; `full: True` rebuilds everything. "
            "`/add url:` (or `file:`) adds a news article and indexes it."
        ),
        inline=False,
    )
    return fit_embed(embed)


def fit_embed(embed: discord.Embed) -> discord.Embed:
    """Trim `embed` to Discord's per-field and total limits."""
    if embed.title:
        embed.title = truncate(embed.title, EMBED_TITLE_CHARS)
    if embed.description:
        embed.description = truncate(embed.description, EMBED_DESCRIPTION_CHARS)
    fields = embed.fields[:EMBED_FIELDS]
    embed.clear_fields()
    for f in fields:
        embed.add_field(
            name=truncate(f.name or "\u200b", EMBED_FIELD_NAME_CHARS),
            value=truncate(f.value or "\u200b", EMBED_FIELD_VALUE_CHARS),
            inline=bool(f.inline),
        )
    if embed.footer.text:
        embed.set_footer(text=truncate(embed.footer.text, EMBED_FOOTER_CHARS))
    # Over the total: shorten the description (keeping a readable start), then drop fields
    # from the end, then shorten the description further.
    if len(embed) > EMBED_TOTAL_CHARS and embed.description:
        keep = max(500, len(embed.description) - (len(embed) - EMBED_TOTAL_CHARS))
        embed.description = truncate(embed.description, keep)
    while len(embed) > EMBED_TOTAL_CHARS and embed.fields:
        embed.remove_field(len(embed.fields) - 1)
    if len(embed) > EMBED_TOTAL_CHARS and embed.description:
        keep = max(1, len(embed.description) - (len(embed) - EMBED_TOTAL_CHARS))
        embed.description = truncate(embed.description, keep)
    return embed


def progress_line(stage: str, done: int, total: int) -> str:
    """A reindex progress message."""
    if total > 0 and stage != "done":
        return f"Reindexing: {stage} {done:,}/{total:,} ({done * 100 // total}%)…"
    return f"Reindexing: {stage}…"


def reindex_report(line: str, skipped: Sequence[tuple[str, str]], limit: int = 1900) -> str:
    """The reindex summary and the skipped files with reasons, as one message."""
    text = f"Reindex complete: {line}"
    if skipped:
        lines = [f"- `{escape_markdown(f)}`: {escape_markdown(r)}" for f, r in skipped]
        text += "\n**Skipped**\n" + "\n".join(lines)
    if len(text) > limit:
        text = split_message(text, limit - 40)[0] + f"\n… and more ({len(skipped)} skipped in all)"
    return text
