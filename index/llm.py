"""The LLM answer mode: an OpenAI-compatible chat model writes the answer, `verify` checks it.

The model sees the question and the numbered passages (prompts `system`, `answer`, `passage`),
with article text delimited and treated as data. Whatever it writes is verified against the
articles before anyone sees it (see `index.verify`): quotes are verbatim, citations real,
unsupported sentences gone. Any failure of the model or the endpoint raises `LLMError`, and
the caller falls back to the extractive answer.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import httpx
import openai

import prompts
from index.errors import NewsdeskError
from index.models import Answer, Passage
from index.verify import fold, verify_answer

if TYPE_CHECKING:
    from index.config import Settings

log = logging.getLogger(__name__)

DEFAULT_MAX_RETRIES = 1  # the openai client's own retries (429, 5xx, connection errors)
_THINK = re.compile(r"<think>.*?(?:</think>|\Z)", re.DOTALL | re.IGNORECASE)  # reasoning models
# Delimiter look-alikes in article text or the question: `<passage`, `</passage>`,
# `< / question`, … lose their `<` so data cannot close (or open) a block early.
_DELIMITER = re.compile(r"<(?=\s*/?\s*(?:passage|question)\b)", re.IGNORECASE)
_NEUTRAL_LT = "‹"


class LLMError(NewsdeskError):
    """The LLM gave no usable answer (HTTP error, rate limit, timeout, empty or garbled reply)."""


class LLMAnswerer:
    """Answers a question from retrieved passages with an LLM, then verifies every quote."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None,
        model: str,
        timeout: float,
        max_tokens: int,
        client: openai.OpenAI | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        temperature: float | None = 0.0,
        raise_when_unsupported: bool = False,
    ) -> None:
        self.model = model
        self.timeout = timeout  # seconds, for the whole request including streaming
        self.max_tokens = max_tokens
        self.temperature = temperature
        # False: a reply that verification empties becomes a refusal (mode "llm"); True: it
        # raises LLMError, so the caller falls back to the extractive answer instead.
        self.raise_when_unsupported = raise_when_unsupported
        self.client = client or openai.OpenAI(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> LLMAnswerer | None:
        """An answerer configured from `OPENAI_*` and `NEWSDESK_LLM_*`; None without an API key."""
        if not settings.llm_enabled or settings.openai.api_key is None:
            return None
        return cls(
            api_key=settings.openai.api_key.get_secret_value(),
            base_url=settings.openai.base_url,
            model=settings.core.llm_model,
            timeout=settings.core.llm_timeout,
            max_tokens=settings.core.llm_max_tokens,
        )

    def answer(
        self,
        question: str,
        passages: list[Passage],
        article_text: Callable[[str], str],
        on_token: Callable[[str], None] | None = None,
        *,
        refusal: str | None = None,
    ) -> Answer:
        """Write, verify and return an answer (mode "llm"); raises `LLMError` on any failure.

        `on_token` receives the model's raw, unverified text as it streams: for progress only,
        never to be shown as the answer. `refusal` overrides the refusal wording (e.g. the
        speaker-specific one); by default it is prompts/refusal.txt.
        """
        refusal_text = refusal or prompts.render("refusal").strip()
        if not passages:
            return self._refusal(
                question,
                text=refusal_text,
                notes=["no passages to answer from"],
                timings={},
                usage=None,
            )
        texts: dict[str, str] = {}

        def text_of(article_id: str) -> str:
            if article_id not in texts:
                texts[article_id] = article_text(article_id)
            return texts[article_id]

        messages = build_messages(question, passages, refusal_text)
        t0 = time.perf_counter()
        reply, usage, finish, served_by = self._complete(messages, on_token)
        t1 = time.perf_counter()
        reply = _THINK.sub("", reply).strip()
        if not reply:
            raise LLMError("the LLM returned an empty reply")
        checked = verify_answer(reply, passages, text_of)
        timings = {"llm": (t1 - t0) * 1000, "verify": (time.perf_counter() - t1) * 1000}
        notes = list(checked.notes)
        if finish == "length":
            notes.insert(0, f"the reply was cut at the token limit ({self.max_tokens} tokens)")
        model = served_by or self.model
        log.info(
            "LLM answer from %s in %.0f ms: %d quotes, %d citations kept, %d verification notes",
            model,
            timings["llm"],
            checked.quotes,
            len(checked.citations),
            len(notes),
        )
        if not checked.supported:
            if _is_refusal(reply, refusal_text):
                notes = ["the LLM found no answer in the passages"]
            elif self.raise_when_unsupported:
                raise LLMError("nothing in the LLM's answer survived verification")
            else:
                notes.append("no verified quote or citation left: answered with the refusal")
            return self._refusal(
                question, text=refusal_text, notes=notes, timings=timings, usage=usage, model=model
            )
        return Answer(
            question=question,
            text=checked.text,
            refused=False,
            mode="llm",
            citations=checked.citations,
            timings_ms=timings,
            verification=notes,
            usage=usage,
            model=model,
        )

    def _refusal(
        self,
        question: str,
        *,
        text: str,
        notes: list[str],
        timings: dict[str, float],
        usage: dict[str, int] | None,
        model: str | None = None,
    ) -> Answer:
        return Answer(
            question=question,
            text=text,
            refused=True,
            mode="llm",
            timings_ms=timings,
            verification=notes,
            usage=usage,
            model=model or self.model,
        )

    def _complete(
        self, messages: list[dict[str, str]], on_token: Callable[[str], None] | None
    ) -> tuple[str, dict[str, int] | None, str | None, str | None]:
        """(reply text, token usage, finish reason, model name the server reports)."""
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "max_tokens": self.max_tokens,
        }
        if self.temperature is not None:
            kwargs["temperature"] = self.temperature
        try:
            if on_token is None:
                return self._plain(kwargs)
            return self._streamed(kwargs, on_token)
        except LLMError:
            raise
        except openai.RateLimitError as exc:
            raise LLMError(f"the LLM is rate limited (HTTP 429): {_brief(exc)}") from exc
        except openai.APITimeoutError as exc:
            raise LLMError(f"the LLM did not answer within {self.timeout:g} s") from exc
        except openai.APIStatusError as exc:
            raise LLMError(
                f"the LLM endpoint failed (HTTP {exc.status_code}): {_brief(exc)}"
            ) from exc
        except openai.APIConnectionError as exc:
            raise LLMError(f"cannot reach the LLM endpoint: {_brief(exc)}") from exc
        except httpx.TimeoutException as exc:
            raise LLMError(f"the LLM did not answer within {self.timeout:g} s") from exc
        except (openai.OpenAIError, httpx.HTTPError, ValueError, TypeError, AttributeError) as exc:
            # ValueError covers JSON that does not parse; the others, JSON of the wrong shape.
            raise LLMError(f"the LLM's reply could not be read: {_brief(exc)}") from exc

    def _plain(
        self, kwargs: dict[str, Any]
    ) -> tuple[str, dict[str, int] | None, str | None, str | None]:
        resp = self.client.chat.completions.create(**kwargs)
        if isinstance(resp, str) or not getattr(resp, "choices", None):
            raise LLMError("the LLM's reply has no choices")
        choice = resp.choices[0]
        content = choice.message.content if choice.message else None
        if not isinstance(content, str):
            raise LLMError("the LLM returned an empty reply")
        return content, _usage(resp.usage), choice.finish_reason, resp.model or None

    def _streamed(
        self, kwargs: dict[str, Any], on_token: Callable[[str], None]
    ) -> tuple[str, dict[str, int] | None, str | None, str | None]:
        deadline = time.monotonic() + self.timeout
        try:
            stream = self.client.chat.completions.create(
                **kwargs, stream=True, stream_options={"include_usage": True}
            )
        except openai.BadRequestError as exc:
            if "stream_options" not in str(exc):
                raise
            # Some OpenAI-compatible servers reject stream_options: stream without usage.
            log.info("the LLM endpoint rejects stream_options; streaming without token usage")
            stream = self.client.chat.completions.create(**kwargs, stream=True)
        progress: Callable[[str], None] | None = on_token
        parts: list[str] = []
        usage = finish = served_by = None
        with stream:
            for chunk in stream:
                if time.monotonic() > deadline:
                    raise LLMError(f"the LLM did not finish within {self.timeout:g} s")
                served_by = getattr(chunk, "model", None) or served_by
                if getattr(chunk, "usage", None):
                    usage = _usage(chunk.usage)
                for choice in chunk.choices or []:
                    delta = choice.delta.content if choice.delta else None
                    if delta:
                        parts.append(delta)
                        if progress is not None:
                            try:
                                progress(delta)
                            except Exception:  # a progress display must not cost the answer
                                log.exception("on_token callback failed; progress disabled")
                                progress = None
                    finish = choice.finish_reason or finish
        return "".join(parts), usage, finish, served_by


def build_messages(
    question: str, passages: Sequence[Passage], refusal: str
) -> list[dict[str, str]]:
    """The chat messages for a question: system rules, then the delimited passages."""
    unknown = prompts.render("unknown").strip()
    blocks = [
        prompts.render(
            "passage",
            n=str(n),
            outlet=neutralize(p.article.outlet or unknown),
            title=neutralize(p.article.title or p.article.file),
            date=neutralize(p.article.date or unknown),
            text=neutralize(p.text.strip()),
        ).strip()
        for n, p in enumerate(passages, start=1)
    ]
    user = prompts.render(
        "answer", passages="\n\n".join(blocks), question=neutralize(question), refusal=refusal
    )
    return [
        {"role": "system", "content": prompts.render("system", refusal=refusal).strip()},
        {"role": "user", "content": user.strip()},
    ]


def neutralize(data: str) -> str:
    """Article text or a question made safe to put between the prompt's delimiters."""
    return _DELIMITER.sub(_NEUTRAL_LT, data)


def _is_refusal(reply: str, refusal: str) -> bool:
    """Whether the reply is (just) the refusal sentence, up to typography."""
    return fold(reply).text.strip(" .") == fold(refusal).text.strip(" .")


def _usage(usage: Any) -> dict[str, int] | None:
    if usage is None:
        return None
    out = {}
    for key in ("prompt_tokens", "completion_tokens", "total_tokens"):
        value = getattr(usage, key, None)
        if isinstance(value, int):
            out[key] = value
    return out or None


def _brief(exc: BaseException) -> str:
    """An exception's message, one line and short (it goes to logs and notes)."""
    text = " ".join(str(exc).split())
    return text[:200] or type(exc).__name__
