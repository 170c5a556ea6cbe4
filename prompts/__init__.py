"""Prompt templates, one text file each, loaded by name."""

from __future__ import annotations

import string
from functools import cache
from importlib import resources


@cache
def load(name: str) -> str:
    """The text of `prompts/<name>.txt`."""
    try:
        return resources.files(__package__).joinpath(f"{name}.txt").read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValueError(f"No prompt named {name!r}: add prompts/{name}.txt") from None


def placeholders(name: str) -> set[str]:
    """The `{field}` names a template expects."""
    return {f for _, f, _, _ in string.Formatter().parse(load(name)) if f}


def render(name: str, **values: str) -> str:
    """Fill a template; every placeholder must be given and nothing else."""
    expected = placeholders(name)
    if set(values) != expected:
        raise ValueError(f"prompt {name!r} takes {sorted(expected)}, got {sorted(values)}")
    return load(name).format(**values)
