"""The renderer: Discord's limits, quotes never cut, links that do not unfurl."""

from __future__ import annotations

import re

from bot import render
from index.models import Answer, ArticleRef, Citation

ART = ArticleRef(
    id="a1",
    file="a1.txt",
    title="Port [strike] *ends*",
    outlet="Daily",
    date="2025-01-02",
    url="https://example.org/a1",
)


def cited(text: str, quotes: list[str]) -> Answer:
    citations = [Citation(i + 1, ART, q, 0, len(q)) for i, q in enumerate(quotes)]
    return Answer(question="q", text=text, refused=False, mode="extractive", citations=citations)


def test_short_text_is_one_message():
    assert render.split_message("Hello.") == ["Hello."]


def test_split_prefers_paragraphs_then_sentences_and_respects_the_limit():
    text = ("First sentence here. " * 20).strip() + "\n\n" + ("Second part. " * 20).strip()

    pieces = render.split_message(text, limit=300)

    assert all(len(p) <= 300 for p in pieces)
    assert all(p.endswith(".") for p in pieces)
    assert " ".join(pieces).replace("\n\n", " ") == text.replace("\n\n", " ")


def test_split_never_cuts_inside_a_quote():
    quote = "“" + "The council will meet again next week to vote on the budget. " * 4 + "”"
    text = "Intro sentence. " * 8 + quote + " [1] Then more. " + "Tail sentence. " * 8

    pieces = render.split_message(text, limit=300, protected=render.protected_spans(text))

    assert all(len(p) <= 300 for p in pieces)
    assert any(quote + " [1]" in p for p in pieces), "the quote and its marker stay whole"


def test_a_quote_longer_than_a_message_is_cut_only_at_a_word_boundary():
    quote = "“" + "word " * 100 + "”"

    pieces = render.split_message(quote, limit=120, protected=render.protected_spans(quote))

    assert all(len(p) <= 120 for p in pieces)
    assert "".join(p.replace(" ", "") for p in pieces) == quote.replace(" ", "")


def test_answer_messages_list_numbered_sources_with_non_unfurling_links():
    answer = cited("“The strike is over.” [1]", ["The strike is over."])

    (message,) = render.answer_messages(answer)

    assert message.startswith("“The strike is over.” [1]\n\n**Sources**\n")
    assert (
        "[1] [Port \\[strike\\] \\*ends\\*](<https://example.org/a1>) — Daily, 2025-01-02"
        in message
    )


def test_long_answers_are_split_under_2000_without_cutting_a_quote():
    quotes = [f"Quote number {i} says that " + "things happened. " * 12 for i in range(12)]
    text = "\n".join(f"“{q.strip()}” [{i + 1}]" for i, q in enumerate(quotes))

    messages = render.answer_messages(cited(text, [q.strip() for q in quotes]))

    assert len(messages) > 1
    assert all(len(m) <= render.MAX_MESSAGE_CHARS for m in messages)
    joined = "\n".join(messages)
    for q in quotes:
        assert sum(q.strip() in m for m in messages) == 1, "each quote whole in one message"
    assert joined.count("**Sources**") == 1


def test_link_without_url_is_bold_and_unsafe_urls_are_not_linked():
    assert render.link("T", None) == "**T**"
    assert render.link("T", "javascript:alert(1)") == "**T**"


def test_place_names_characters_and_paragraph():
    text = "Para one.\n\nPara two has the quote.\n\nPara three."
    start = text.index("the quote")

    assert render.place(text, start, start + 9) == (
        f"characters {start}–{start + 9} of {len(text)} · paragraph 2 of 3"
    )


def test_passage_embed_bolds_the_passage_and_fits_discord_limits():
    text = ("Lead-in sentence. " * 400) + "The exact quoted words." + (" After. " * 400)
    start = text.index("The exact")
    end = start + len("The exact quoted words.")

    embed = render.passage_embed(ART, text, start, end, heading="Cited passage").to_dict()

    assert "**The exact quoted words.**" in embed["description"]
    assert len(embed["description"]) <= render.EMBED_DESCRIPTION_CHARS
    assert embed["url"] == ART.url
    assert embed["fields"][-1]["value"].startswith(f"characters {start:,}–{end:,}")


def test_fit_embed_trims_every_field_and_the_total():
    import discord

    embed = discord.Embed(title="t" * 300, description="d " * 3000)
    for i in range(30):
        embed.add_field(name=f"n{i}" * 100, value="v" * 2000)

    fitted = render.fit_embed(embed)

    assert len(fitted.title) <= render.EMBED_TITLE_CHARS
    assert fitted.fields and fitted.fields[0].name.startswith("n0")
    assert all(len(f.name) <= render.EMBED_FIELD_NAME_CHARS for f in fitted.fields)
    assert all(len(f.value) <= render.EMBED_FIELD_VALUE_CHARS for f in fitted.fields)
    assert len(fitted) <= render.EMBED_TOTAL_CHARS
    assert fitted.description.startswith("d d d")


def test_fit_embed_keeps_at_most_25_fields():
    import discord

    embed = discord.Embed(title="t")
    for i in range(30):
        embed.add_field(name=f"n{i}", value="v")

    assert len(render.fit_embed(embed).fields) == render.EMBED_FIELDS


def test_sources_page_clamps_and_numbers_across_pages():
    arts = [ArticleRef(id=f"id{i}", file=f"f{i}.txt", title=f"T{i}") for i in range(23)]

    embed, page, pages = render.sources_page(arts, 99)

    assert (page, pages) == (2, 3)
    assert re.search(r"\[21\] \*\*T20\*\*", embed.description)
    assert embed.footer.text.startswith("Page 3 of 3")


def test_reindex_report_lists_skipped_files_and_stays_under_a_message():
    skipped = [(f"file{i}.pdf", "unsupported file type") for i in range(200)]

    text = render.reindex_report("1 added", skipped)

    assert text.startswith("Reindex complete: 1 added\n**Skipped**\n- `file0.pdf`: unsupported")
    assert len(text) <= render.MAX_MESSAGE_CHARS
    assert text.endswith("(200 skipped in all)")


# -- inert article text (a quote is data, never markdown) -------------------------------------

HOSTILE = (
    "Meet in [the town hall](https://evil.example/x) at noon. ``` Bring *stars* and "
    "https://example.org/a_b along.\n# Not a heading\n> not a quote"
)


def test_plain_answer_messages_escape_markdown_and_keep_urls_from_unfurling():
    answer = cited(f"“{HOSTILE}” [1]", [HOSTILE])

    (message,) = render.answer_messages(answer)

    assert "[the town hall](https://evil.example/x)" not in message
    assert "\\[the town hall\\](<https://evil.example/x>)" in message
    assert "```" not in message.replace("\\`", "")
    assert "<https://example.org/a_b>" in message
    assert "\n# Not" not in message and "\n> not" not in message
    assert message.startswith("“Meet in") and "” [1]" in message  # the marker still reads [1]


def test_escape_text_reads_as_the_same_characters():
    escaped = render.escape_text(HOSTILE)

    unescaped = re.sub(r"\\(.)", r"\1", escaped).replace("<https://", "https://")
    assert unescaped.replace(">)", ")").replace("a_b> along", "a_b along") == HOSTILE


# -- the answer layout --------------------------------------------------------------------


def layout_components(view):
    return view.to_components()


def count_components(items):
    total = 0
    for item in items:
        total += 1
        total += count_components(item.get("components") or [])
        if item.get("accessory"):
            total += 1
    return total


def text_chars(items):
    total = 0
    for item in items:
        if item.get("type") == 10:
            total += len(item["content"])
        total += text_chars(item.get("components") or [])
    return total


def many_articles(n_articles: int, quotes_each: int, quote_chars: int) -> Answer:
    citations = []
    for a in range(n_articles):
        art = ArticleRef(
            id=f"a{a}",
            file=f"a{a}.txt",
            title=f"Article {a} " + "t" * 150,
            outlet="Outlet",
            date="2025-01-02",
            url=f"https://example.org/{a}",
        )
        for q in range(quotes_each):
            quote = f"Quote {a}.{q} " + "word " * (quote_chars // 5)
            citations.append(Citation(len(citations) + 1, art, quote.strip(), 0, len(quote)))
    return Answer(
        question="q",
        text="",
        refused=False,
        mode="extractive",
        citations=citations,
        rewritten="What did Someone say about " + "things " * 50,
        speaker="Someone",
    )


def test_every_answer_page_fits_discords_layout_limits():
    import discord

    from tests.fakediscord.limits import layout_problems

    for answer in (
        many_articles(1, 1, 50),
        many_articles(12, 1, 300),
        many_articles(2, 10, 700),  # many long quotes from one article
        many_articles(25, 2, 100),
    ):
        _, pages = render.answer_layout(answer, "abc123")
        shown = set()
        for page in range(pages):
            view, _ = render.answer_layout(answer, "abc123", page, private=True)
            components = layout_components(view)
            assert isinstance(view, discord.ui.LayoutView)
            assert layout_problems(components) == []
            assert count_components(components) <= render.LAYOUT_COMPONENTS
            assert text_chars(components) <= render.LAYOUT_TEXT_CHARS
            shown |= {
                c.n for c in answer.citations if render.quote_block(c) in render.layout_text(view)
            }
        assert shown == {c.n for c in answer.citations}, "every quote on some page, whole"


def test_the_layout_groups_quotes_by_article_and_links_each_article_once():
    art2 = ArticleRef(id="b", file="b.txt", title="Other", outlet=None, date=None, url=None)
    answer = cited("x", ["First.", "Second."])
    answer.citations.append(Citation(3, art2, "Third.", 0, 6))
    answer.speaker = "The mayor"

    view, pages = render.answer_layout(answer, "abc123")
    text = render.layout_text(view)
    components = view.to_components()

    assert pages == 1
    assert text.count("**Port [strike] \\*ends\\***") == 1
    assert "> First. [1]\n> Second. [2]" in text  # the words, no marks added
    assert "**Other**\n> Third. [3]" in text
    assert "### What The mayor said" in text
    assert "-# 3 quotes from 2 articles" in text
    links = [b for b in _buttons(components) if b.get("style") == 5]
    assert [b["url"] for b in links] == ["https://example.org/a1"]
    ids = [b.get("custom_id", "") for b in _buttons(components)]
    assert sum(i.startswith("nd:src:") for i in ids) == 3
    assert "nd:fb:abc123:up" in ids and "nd:fb:abc123:down" in ids
    assert not any(i.startswith(("nd:ap:", "nd:share:")) for i in ids)


def test_a_rewritten_follow_up_is_shown_in_small_text_and_refusals_say_so():
    answer = Answer(
        question="and him?",
        text="The articles I have do not quote [X](https://e.x) on that.",
        refused=True,
        mode="extractive",
        rewritten="What did *X* say about y?",
    )

    text = render.layout_text(render.answer_layout(answer, "abc")[0])

    assert text.startswith("-# Answering: What did \\*X\\* say about y?")
    assert "\\[X\\](<https://e.x>)" in text
    assert "###" not in text


def test_thread_names_fit_discord():
    assert render.thread_name("  What\ndid   Rutte say?  ") == "What did Rutte say?"
    assert len(render.thread_name("word " * 100)) <= render.THREAD_NAME_CHARS


def _buttons(items):
    found = []
    for item in items:
        if item.get("type") == 2:
            found.append(item)
        found += _buttons(item.get("components") or [])
        if item.get("accessory"):
            found += _buttons([item["accessory"]])
    return found
