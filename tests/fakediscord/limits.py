"""The message limits Discord enforces with `400 Invalid Form Body`, so the fake does too."""

from __future__ import annotations

from typing import Any

MAX_CONTENT = 2000
MAX_EMBEDS = 10
EMBED_TOTAL = 6000
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER_TEXT = 2048
ACTION_ROWS = 5
BUTTONS_PER_ROW = 5
BUTTON_LABEL = 80
CUSTOM_ID = 100
CHOICES = 25
CHOICE_NAME = 100


def message_problems(body: dict[str, Any]) -> list[str]:
    """What Discord would reject in a message body (content, embeds, components)."""
    problems: list[str] = []
    content = body.get("content") or ""
    if len(content) > MAX_CONTENT:
        problems.append(f"content: {len(content)} > {MAX_CONTENT} characters")
    embeds = body.get("embeds") or []
    if len(embeds) > MAX_EMBEDS:
        problems.append(f"embeds: {len(embeds)} > {MAX_EMBEDS}")
    total = 0
    for i, embed in enumerate(embeds):
        for key, limit in (("title", EMBED_TITLE), ("description", EMBED_DESCRIPTION)):
            n = len(embed.get(key) or "")
            total += n
            if n > limit:
                problems.append(f"embeds[{i}].{key}: {n} > {limit}")
        footer = len((embed.get("footer") or {}).get("text") or "")
        total += footer
        if footer > FOOTER_TEXT:
            problems.append(f"embeds[{i}].footer.text: {footer} > {FOOTER_TEXT}")
        fields = embed.get("fields") or []
        if len(fields) > EMBED_FIELDS:
            problems.append(f"embeds[{i}].fields: {len(fields)} > {EMBED_FIELDS}")
        for j, f in enumerate(fields):
            name, value = len(f.get("name") or ""), len(f.get("value") or "")
            total += name + value
            if not name or not value:
                problems.append(f"embeds[{i}].fields[{j}]: empty name or value")
            if name > FIELD_NAME or value > FIELD_VALUE:
                problems.append(f"embeds[{i}].fields[{j}]: name {name} / value {value} too long")
    if total > EMBED_TOTAL:
        problems.append(f"embeds: {total} > {EMBED_TOTAL} characters in all")
    rows = body.get("components") or []
    if len(rows) > ACTION_ROWS:
        problems.append(f"components: {len(rows)} > {ACTION_ROWS} rows")
    custom_ids: set[str] = set()
    for r, row in enumerate(rows):
        items = row.get("components") or []
        if len(items) > BUTTONS_PER_ROW:
            problems.append(f"components[{r}]: {len(items)} > {BUTTONS_PER_ROW} buttons")
        for item in items:
            label, cid = item.get("label") or "", item.get("custom_id")
            if len(label) > BUTTON_LABEL:
                problems.append(f"button label: {len(label)} > {BUTTON_LABEL}")
            if cid is not None:
                if len(cid) > CUSTOM_ID:
                    problems.append(f"custom_id: {len(cid)} > {CUSTOM_ID}")
                if cid in custom_ids:
                    problems.append(f"custom_id {cid!r} used twice")
                custom_ids.add(cid)
    return problems


def choices_problems(body: dict[str, Any]) -> list[str]:
    """What Discord would reject in autocomplete choices."""
    choices = body.get("choices") or []
    problems = [f"choices: {len(choices)} > {CHOICES}"] if len(choices) > CHOICES else []
    for c in choices:
        if len(c["name"]) > CHOICE_NAME or len(str(c["value"])) > CHOICE_NAME:
            problems.append(f"choice {c['name'][:20]!r}… too long")
    return problems
