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
# Layout components ("components v2", message flag IS_COMPONENTS_V2)
IS_COMPONENTS_V2 = 1 << 15
V2_COMPONENTS = 40  # all components of a message, nested ones included
V2_TEXT = 4000  # characters of all text displays of a message
SECTION_TEXTS = 3
SELECT_OPTIONS = 25
MODAL_TITLE = 45
MODAL_COMPONENTS = 5
TEXT_INPUT_LABEL = 45
THREAD_NAME = 100
ACTION_ROW, BUTTON, STRING_SELECT, TEXT_INPUT = 1, 2, 3, 4
SECTION, TEXT_DISPLAY, THUMBNAIL, SEPARATOR, CONTAINER, LABEL = 9, 10, 11, 14, 17, 18
LINK_STYLE = 5
_CONTAINER_CHILDREN = {ACTION_ROW, TEXT_DISPLAY, SECTION, SEPARATOR, 12, 13}
_TOP_LEVEL_V2 = _CONTAINER_CHILDREN | {CONTAINER}


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
    if int(body.get("flags") or 0) & IS_COMPONENTS_V2:
        if body.get("content") or body.get("embeds"):
            problems.append("content and embeds cannot be sent with IS_COMPONENTS_V2")
        return problems + layout_problems(body.get("components") or [])
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


def layout_problems(components: list[dict[str, Any]]) -> list[str]:
    """What Discord would reject in a layout message's components (flag IS_COMPONENTS_V2)."""
    problems: list[str] = []
    count, text, custom_ids = 0, 0, set()

    def button(b: dict[str, Any], where: str) -> None:
        label, cid = b.get("label") or "", b.get("custom_id")
        if len(label) > BUTTON_LABEL:
            problems.append(f"{where}: button label {len(label)} > {BUTTON_LABEL}")
        if b.get("style") == LINK_STYLE:
            if not b.get("url") or cid is not None:
                problems.append(f"{where}: a link button needs a url and no custom_id")
        elif not cid:
            problems.append(f"{where}: a button needs a custom_id")

    def walk(c: dict[str, Any], where: str, allowed: set[int]) -> None:
        nonlocal count, text
        count += 1
        kind = c.get("type")
        if kind not in allowed:
            problems.append(f"{where}: component type {kind} not allowed here")
            return
        cid = c.get("custom_id")
        if cid is not None:
            if len(cid) > CUSTOM_ID:
                problems.append(f"{where}: custom_id {len(cid)} > {CUSTOM_ID}")
            if cid in custom_ids:
                problems.append(f"{where}: custom_id {cid!r} used twice")
            custom_ids.add(cid)
        if kind == TEXT_DISPLAY:
            text += len(c.get("content") or "")
            if not c.get("content"):
                problems.append(f"{where}: empty text display")
        elif kind == BUTTON:
            button(c, where)
        elif kind == ACTION_ROW:
            items = c.get("components") or []
            if not 1 <= len(items) <= BUTTONS_PER_ROW:
                problems.append(f"{where}: {len(items)} items in an action row")
            for i, item in enumerate(items):
                walk(item, f"{where}.{i}", {BUTTON, STRING_SELECT})
        elif kind == STRING_SELECT:
            if len(c.get("options") or []) > SELECT_OPTIONS:
                problems.append(f"{where}: more than {SELECT_OPTIONS} select options")
        elif kind == SECTION:
            texts = c.get("components") or []
            if not 1 <= len(texts) <= SECTION_TEXTS:
                problems.append(f"{where}: {len(texts)} texts in a section")
            for i, item in enumerate(texts):
                walk(item, f"{where}.{i}", {TEXT_DISPLAY})
            accessory = c.get("accessory")
            if accessory is None:
                problems.append(f"{where}: a section needs an accessory")
            else:
                walk(accessory, f"{where}.accessory", {BUTTON, THUMBNAIL})
        elif kind == CONTAINER:
            for i, item in enumerate(c.get("components") or []):
                walk(item, f"{where}.{i}", _CONTAINER_CHILDREN)

    for i, component in enumerate(components):
        walk(component, f"components[{i}]", _TOP_LEVEL_V2)
    if count > V2_COMPONENTS:
        problems.append(f"components: {count} > {V2_COMPONENTS} in all")
    if text > V2_TEXT:
        problems.append(f"text displays: {text} > {V2_TEXT} characters in all")
    return problems


def modal_problems(body: dict[str, Any]) -> list[str]:
    """What Discord would reject in a modal (interaction callback type 9)."""
    problems: list[str] = []
    if not body.get("custom_id") or len(body.get("title") or "") > MODAL_TITLE:
        problems.append("a modal needs a custom_id and a title of at most 45 characters")
    rows = body.get("components") or []
    if not 1 <= len(rows) <= MODAL_COMPONENTS:
        problems.append(f"modal: {len(rows)} components")
    for row in rows:
        inner = row.get("components") or ([row["component"]] if row.get("component") else [])
        for item in inner:
            if item.get("type") == TEXT_INPUT and not item.get("custom_id"):
                problems.append("modal: a text input needs a custom_id")
        label = row.get("label") or ""
        if len(label) > TEXT_INPUT_LABEL:
            problems.append(f"modal: label {len(label)} > {TEXT_INPUT_LABEL}")
    return problems
