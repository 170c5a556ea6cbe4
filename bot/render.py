"""Answer objects to Discord messages: the only module that knows Discord's limits.

An answer is a layout message (`answer_layout`): a short news brief in one container, with who
was asked about, the verbatim quotes grouped by article (each article once, with title, outlet
and date, and a link button when its URL is known), the source buttons, 👍/👎, and page
buttons when it does not fit one message. Plain-text messages (`answer_messages`) are split
under 2,000 characters at paragraph, line, sentence or word boundaries and never inside a
quote; embeds are trimmed to Discord's field limits; links are written as `[title](<url>)` so
they do not unfurl; every message goes out with `NO_MENTIONS`. Text from articles or a model
goes through `escape_text`, so it cannot format, link, open a code block or unfurl.

Reusable pieces for other commands: `escape_text`, `quote_block`, `article_heading`,
`article_groups`, `link`, `source_line`, `split_message`, `truncate`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord
from discord.utils import escape_markdown

from index.models import Answer, ArticleRef, Citation, SourceView

if TYPE_CHECKING:
    from discord.ui import Item

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
LAYOUT_COMPONENTS = 40  # Discord: components in one layout message, nested ones included
LAYOUT_TEXT_CHARS = 4000  # Discord: characters of all text displays in one message
LAYOUT_TEXT_BUDGET = 3800  # what an answer page fills, leaving room for headers
SELECT_OPTIONS = 25  # Discord: options of a select menu
BUTTONS_PER_ROW = 5
THREAD_NAME_CHARS = 100  # Discord: a thread's name
MODAL_TITLE_CHARS = 45

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


_URL = re.compile(r"https?://[^\s<>()\[\]]+", re.IGNORECASE)


def escape_text(text: str) -> str:
    """Article or model text made inert: no formatting, masked links, code blocks, headings or
    lists, and bare URLs in `<...>` so they do not unfurl. It reads as the same characters."""
    escaped = escape_markdown(text)  # escapes the "[" of a "[text](url)"
    escaped = re.sub(r"\](?=\s*\()", r"\\]", escaped)  # and its "](", so no link can form
    escaped = re.sub(r"(?m)^(\s*)([#>*+-])", r"\1\\\2", escaped)
    escaped = re.sub(r"(?m)^(\s*\d+)\.(?=\s)", r"\1\\.", escaped)
    return _URL.sub(lambda m: f"<{m.group(0)}>", escaped)


def quote_block(citation: Citation) -> str:
    """`> quote [n]`: the article's own words, escaped, each of its lines inside the block
    quote. No marks are added: the article's own quotation marks stand, never doubled."""
    quoted = escape_text(citation.quote.strip()).replace("\n", "\n> ")
    return f"> {quoted} [{citation.n}]"


def article_heading(article: ArticleRef) -> str:
    """**Title** and a small line with outlet and date (markdown, escaped)."""
    title = f"**{escape_text(truncate(article.title or article.file, 200))}**"
    details = " · ".join(escape_text(x) for x in (article.outlet, article.date) if x)
    return f"{title}\n-# {details}" if details else title


def article_groups(citations: Sequence[Citation]) -> list[tuple[ArticleRef, list[Citation]]]:
    """The citations grouped by article, each article once, in order of first citation."""
    groups: dict[str, tuple[ArticleRef, list[Citation]]] = {}
    for c in _distinct_quotes(citations):
        groups.setdefault(c.article.id, (c.article, []))[1].append(c)
    return list(groups.values())


def safe_url(url: str | None) -> str | None:
    """`url` when it is an http(s) link a button may open, else None."""
    return url if url and url.startswith(("http://", "https://")) and len(url) <= 512 else None


def thread_name(question: str) -> str:
    """A thread title from a question: one line, within Discord's 100 characters."""
    line = " ".join(question.split()) or "Question"
    return truncate(line, THREAD_NAME_CHARS)


@dataclass(frozen=True)
class Block:
    """One article's part of an answer page: heading and quotes, and its link."""

    article: ArticleRef
    citations: tuple[Citation, ...]
    text: str
    url: str | None


def answer_blocks(answer: Answer, budget: int = LAYOUT_TEXT_BUDGET // 2) -> list[Block]:
    """The article blocks of an answer; an article whose quotes exceed `budget` takes several."""
    blocks = []
    for article, citations in article_groups(answer.citations):
        heading = article_heading(article)
        part: list[Citation] = []
        size = len(heading)
        for c in citations:
            quote = quote_block(c)
            if part and size + len(quote) + 1 > budget:
                blocks.append(_block(article, heading, part))
                part, size, heading = [], len(heading), heading + " (continued)"
            part.append(c)
            size += len(quote) + 1
        blocks.append(_block(article, heading, part))
    return blocks


def _block(article: ArticleRef, heading: str, citations: list[Citation]) -> Block:
    quotes = "\n".join(quote_block(c) for c in citations)
    text = truncate(f"{heading}\n{quotes}", LAYOUT_TEXT_BUDGET)  # only a single giant quote
    return Block(article, tuple(citations), text, safe_url(article.url))


def answer_header(answer: Answer, *, about: str | None = None) -> list[str]:
    """The texts above the quotes: what was answered, who was asked about, the prose."""
    texts = []
    if about:
        texts.append(f"-# {about}")
    if answer.rewritten:
        texts.append(f"-# Answering: {escape_text(truncate(answer.rewritten, 300))}")
    if answer.refused:
        texts.append(escape_text(truncate(answer.text.strip(), 1500)) or "I have no answer.")
        if answer.citations:
            texts.append("-# What the articles do report:")
        return texts
    if answer.speaker:
        texts.append(f"### What {escape_text(truncate(answer.speaker, 80))} said")
    else:
        texts.append("### From the articles")
    if answer.mode == "llm" and answer.text.strip():
        texts.append(escape_text(truncate(answer.text.strip(), 1500)))
    return texts


def answer_footer(answer: Answer, page: int, pages: int) -> str:
    articles = len(article_groups(answer.citations))
    quotes = len(_distinct_quotes(answer.citations))
    parts = []
    if quotes:
        parts.append(
            f"{quotes} quote{'s' * (quotes != 1)} from {articles} article{'s' * (articles != 1)}"
            ", each checked word for word against its source"
        )
    if pages > 1:
        parts.append(f"page {page + 1} of {pages}")
    return "-# " + " · ".join(parts) if parts else ""


def answer_pages(answer: Answer, *, about: str | None = None) -> list[list[Block]]:
    """The article blocks of each page: as many as fit Discord's text and component limits
    beside the header, source buttons and controls (at least one page)."""
    fixed_text = sum(len(t) for t in answer_header(answer, about=about)) + 200
    pages: list[list[Block]] = [[]]
    text = fixed_text
    for block in answer_blocks(answer):
        page = pages[-1]
        if page and (
            text + len(block.text) > LAYOUT_TEXT_BUDGET
            or _component_count(answer, [*page, block], about) > LAYOUT_COMPONENTS
        ):
            pages.append([])
            text = fixed_text
        pages[-1].append(block)
        text += len(block.text)
    return pages


def _component_count(answer: Answer, blocks: list[Block], about: str | None) -> int:
    """Components of a page: container, texts, separators, blocks, button rows (worst case:
    5 controls)."""
    citations = sum(len(b.citations) for b in blocks)
    count = 1 + len(answer_header(answer, about=about)) + 2 + 1  # container, texts, seps, footer
    count += sum(3 if b.url else 1 for b in blocks)  # a section is itself, a text, a button
    count += -(-citations // BUTTONS_PER_ROW) + citations  # source button rows
    return count + 1 + 5  # control row


def answer_layout(
    answer: Answer,
    answer_id: str,
    page: int = 0,
    *,
    private: bool = False,
    about: str | None = None,
    shared_by: str | None = None,
) -> tuple[discord.ui.LayoutView, int]:
    """The answer as a layout message for page `page` (clamped): (view, number of pages).

    `answer_id` is the recorded answer's id (`Newsdesk.record`) the buttons carry, so they
    work after a restart; `private` adds "Share to channel"; `about` is a small line on top
    (what a context-menu question was asked about); `shared_by` credits who shared it.
    """
    from bot import views  # the persistent buttons; views imports this module

    pages = answer_pages(answer, about=about)
    page = min(max(page, 0), len(pages) - 1)
    blocks = pages[page]
    layout = discord.ui.LayoutView(timeout=None)
    box: discord.ui.Container[Any] = discord.ui.Container(accent_colour=ACCENT)
    texts = answer_header(answer, about=about)
    if shared_by:
        texts.insert(0, f"-# Shared by {shared_by}")
    for text in texts:
        box.add_item(discord.ui.TextDisplay(text))
    if blocks:
        box.add_item(discord.ui.Separator())
    for block in blocks:
        if block.url:
            button: Item[Any] = discord.ui.Button(
                label="Read", style=discord.ButtonStyle.link, url=block.url
            )
            box.add_item(discord.ui.Section(discord.ui.TextDisplay(block.text), accessory=button))
        else:
            box.add_item(discord.ui.TextDisplay(block.text))
    footer = answer_footer(answer, page, len(pages))
    if footer:
        box.add_item(discord.ui.TextDisplay(footer))
    citations = [c for b in blocks for c in b.citations]
    row: discord.ui.ActionRow[Any] = discord.ui.ActionRow()
    for c in citations:
        if len(row.children) == BUTTONS_PER_ROW:
            box.add_item(row)
            row = discord.ui.ActionRow()
        row.add_item(views.SourceButton.for_citation(c))
    if row.children:
        box.add_item(row)
    layout.add_item(box)
    controls: discord.ui.ActionRow[Any] = discord.ui.ActionRow()
    controls.add_item(views.FeedbackButton(answer_id, "up"))
    controls.add_item(views.FeedbackButton(answer_id, "down"))
    if len(pages) > 1:
        controls.add_item(views.AnswerPageButton(answer_id, page - 1, "prev", page == 0))
        controls.add_item(
            views.AnswerPageButton(answer_id, page + 1, "next", page == len(pages) - 1)
        )
    if private:
        controls.add_item(views.ShareButton(answer_id))
    layout.add_item(controls)
    return layout, len(pages)


def layout_text(view: discord.ui.LayoutView) -> str:
    """All text displays of a layout, in order (for logs and tests)."""
    out: list[str] = []

    def walk(item: Any) -> None:
        if isinstance(item, discord.ui.TextDisplay):
            out.append(item.content)
        for child in getattr(item, "children", []):
            walk(child)

    for item in view.children:
        walk(item)
    return "\n".join(out)


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


def answer_messages(
    answer: Answer, limit: int = MAX_MESSAGE_CHARS, *, escaped: bool = False
) -> list[str]:
    """The answer text and its numbered source list, as message contents. The text is made
    inert first, unless the caller already `escaped` every part it took from elsewhere."""
    text = answer.text.strip() if escaped else escape_text(answer.text.strip())
    if answer.citations:
        lines = [source_line(c.n, c.article) for c in _unique_citations(answer.citations)]
        text = text + "\n\n**Sources**\n" + "\n".join(lines)
    spans = protected_spans(text, (escape_text(c.quote) for c in answer.citations))
    return split_message(text, limit, spans) or ["I have no answer to that."]


def _distinct_quotes(citations: Sequence[Citation]) -> list[Citation]:
    """The citations, each quoted span once (quotes of one article share its number)."""
    seen: set[tuple[int, str, int, int, str]] = set()
    out = []
    for c in sorted(citations, key=lambda c: c.n):
        key = (c.n, c.article.id, c.start, c.end, c.quote)
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


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
            f"Mention me with a question ({bot_mention} what did Rutte say about Serbia?): I "
            'answer in a thread, where you can follow up without mentioning me ("and what '
            'did he say about Kosovo?"). Reply to one of my answers to follow up anywhere. '
            "`/ask question:` answers in place (`private: True`: only you see it, with a "
            "button to share it). On any message: Apps → Ask newsdesk. "
            f"Questions can be up to {max_question_chars} characters."
        ),
        inline=False,
    )
    embed.add_field(
        name="Sources",
        value=(
            "Press a source's button under an answer to see the passage and where it sits in "
            "the article (only you see it). `/source ref:` looks up a citation number from my "
            "last answer here, an article id or title words; `/sources` lists the articles. "
            "👍 / 👎 under an answer tell the operator how it did."
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
