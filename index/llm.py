"""The LLM answer mode: an OpenAI-compatible chat model writes the answer, `verify` checks it.

The model sees the question and the numbered passages (prompts `system`, `answer`, `passage`),
with article text delimited and treated as data. Whatever it writes is verified against the
articles before anyone sees it (see `index.verify`): quotes are verbatim, citations real,
unsupported sentences gone. Any failure of the model or the endpoint raises `LLMError`, and
the caller falls back to the extractive answer. So does a reply whose verified remainder does
not answer (`LLMFallback`): no substantive verified quote left, a refusal, or quotes that the
offline mode's fitted relevance score ranks below what it would show itself. Fallbacks are
counted, and a warning is logged when a model falls back on most questions.

The prompt fits the model's context (`NEWSDESK_LLM_CONTEXT_TOKENS`): fewer and shorter
passages when it is small.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import httpx
import openai

import prompts
from index.errors import NewsdeskError
from index.models import Answer, Citation, Passage
from index.verify import Verified, fold, verify_answer

if TYPE_CHECKING:
    from index.config import Settings

log = logging.getLogger(__name__)

# Given the verified citations, why they do not answer the question (None: they do).
Judge = Callable[[Sequence[Citation]], str | None]

DEFAULT_MAX_RETRIES = 1  # the openai client's own retries (429, 5xx, connection errors)
DEFAULT_CONTEXT_TOKENS = 8192
DEFAULT_CONNECT_TIMEOUT = 5.0  # seconds
CHARS_PER_TOKEN = 3.5  # a conservative size of a token of English text, to budget the prompt
MIN_PASSAGE_CHARS = 300  # a passage is not cut shorter than this; fewer passages instead
MAX_ANSWER_SHARE = 3  # the reply may take at most a third of the context
WARN_AFTER = 10  # questions answered before a model's fallback rate is judged
WARN_RATE = 0.5  # above this share of fallbacks the model is too weak for the job
_THINK = re.compile(r"<think>.*?(?:</think>|\Z)", re.DOTALL | re.IGNORECASE)  # reasoning models
# Delimiter look-alikes in article text or the question: `<passage`, `</passage>`,
# `< / question`, … lose their `<` so data cannot close (or open) a block early.
_DELIMITER = re.compile(r"<(?=\s*/?\s*(?:passage|question)\b)", re.IGNORECASE)
_NEUTRAL_LT = "‹"


class LLMError(NewsdeskError):
    """The LLM gave no usable answer (HTTP error, rate limit, timeout, empty or garbled reply)."""


class LLMFallback(LLMError):
    """The LLM answered, but what survived verification does not answer the question."""


@dataclasses.dataclass
class FallbackCount:
    """How often a model's answers were replaced by the offline answer (thread-safe)."""

    questions: int = 0
    fallbacks: int = 0
    _lock: threading.Lock = dataclasses.field(default_factory=threading.Lock, repr=False)

    def record(self, fell_back: bool) -> bool:
        """Count one question; True when a warning is due (every WARN_AFTER questions while
        the model falls back on most of them)."""
        with self._lock:
            self.questions += 1
            self.fallbacks += int(fell_back)
            return self.questions % WARN_AFTER == 0 and self.rate > WARN_RATE

    @property
    def rate(self) -> float:
        return self.fallbacks / self.questions if self.questions else 0.0


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
        context_tokens: int = DEFAULT_CONTEXT_TOKENS,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    ) -> None:
        self.model = model
        self.timeout = timeout  # seconds, for the whole request including streaming
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.context_tokens = context_tokens
        self.fallbacks = FallbackCount()
        self.client = client or openai.OpenAI(
            api_key=api_key,
            base_url=base_url,
            timeout=httpx.Timeout(timeout, connect=min(connect_timeout, timeout)),
            max_retries=max_retries,
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
            max_retries=settings.core.llm_max_retries,
            context_tokens=settings.core.llm_context_tokens,
            connect_timeout=settings.core.llm_connect_timeout,
        )

    def answer(
        self,
        question: str,
        passages: list[Passage],
        article_text: Callable[[str], str],
        on_token: Callable[[str], None] | None = None,
        *,
        refusal: str | None = None,
        judge: Judge | None = None,
    ) -> Answer:
        """Write, verify and return an answer (mode "llm"); raises `LLMError` on any failure,
        `LLMFallback` when the verified remainder does not answer (nothing verified, or what
        is left fails `judge`, which gives the reason when the kept citations do not answer).

        `on_token` receives the model's raw, unverified text as it streams: for progress only,
        never to be shown as the answer. `refusal` overrides the refusal wording (e.g. the
        speaker-specific one); by default it is prompts/refusal.txt.
        """
        refusal_text = refusal or prompts.render("refusal").strip()
        if not passages:
            return self._refusal(question, text=refusal_text, notes=["no passages to answer from"])
        try:
            answer = self._answer(
                question, passages, article_text, on_token, refusal_text, judge=judge
            )
        except LLMError as exc:
            self._count(fell_back=True, why=str(exc))
            raise
        self._count(fell_back=False)
        return answer

    def _count(self, *, fell_back: bool, why: str = "") -> None:
        if fell_back:
            log.info("LLM answer replaced by the offline answer: %s", why)
        if self.fallbacks.record(fell_back):
            log.warning(
                "the LLM %s fell back to the offline answer on %d of %d questions: it is too "
                "weak for the job (answers are the offline mode's)",
                self.model,
                self.fallbacks.fallbacks,
                self.fallbacks.questions,
            )

    def _answer(
        self,
        question: str,
        passages: list[Passage],
        article_text: Callable[[str], str],
        on_token: Callable[[str], None] | None,
        refusal_text: str,
        *,
        judge: Judge | None = None,
    ) -> Answer:
        texts: dict[str, str] = {}

        def text_of(article_id: str) -> str:
            if article_id not in texts:
                texts[article_id] = article_text(article_id)
            return texts[article_id]

        shown = fit_passages(
            question, passages, refusal_text, self.context_tokens, self._reply_tokens()
        )
        messages = build_messages(question, shown, refusal_text)
        t0 = time.perf_counter()
        reply, usage, finish, served_by = self._complete(messages, on_token)
        t1 = time.perf_counter()
        reply = _THINK.sub("", reply).strip()
        if not reply:
            raise LLMError("the LLM returned an empty reply")
        if _is_refusal(reply, refusal_text):
            raise LLMFallback("the LLM found no answer in the passages")
        checked = verify_answer(reply, shown, text_of, question=question)
        timings = {"llm": (t1 - t0) * 1000, "verify": (time.perf_counter() - t1) * 1000}
        notes = list(checked.notes)
        if finish == "length":
            notes.insert(0, f"the reply was cut at the token limit ({self._reply_tokens()} tokens)")
        model = served_by or self.model
        log.info(
            "LLM answer from %s in %.0f ms: %d quotes, %d citations kept, %d verification notes",
            model,
            timings["llm"],
            checked.quotes,
            len(checked.citations),
            len(notes),
        )
        _check_answers(checked, judge)
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

    def _reply_tokens(self) -> int:
        """The reply's token limit: the setting, within a share of the context."""
        return max(50, min(self.max_tokens, self.context_tokens // MAX_ANSWER_SHARE))

    def _refusal(self, question: str, *, text: str, notes: list[str]) -> Answer:
        return Answer(
            question=question,
            text=text,
            refused=True,
            mode="llm",
            verification=notes,
            model=self.model,
        )

    def _complete(
        self, messages: list[dict[str, str]], on_token: Callable[[str], None] | None
    ) -> tuple[str, dict[str, int] | None, str | None, str | None]:
        """(reply text, token usage, finish reason, model name the server reports)."""
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "max_tokens": self._reply_tokens(),
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
        if content is None:  # some servers answer in the completions shape
            content = getattr(choice, "text", None)
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
                    delta = _delta_text(choice)
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


def _delta_text(choice: Any) -> str | None:
    """A streamed choice's new text: `delta.content`, or what servers that stream differently
    send instead (a whole `message`, or a completions-style `text`)."""
    delta = getattr(choice, "delta", None)
    content = getattr(delta, "content", None) if delta is not None else None
    if isinstance(content, str):
        return content
    extra = getattr(choice, "model_extra", None) or {}
    message = extra.get("message")
    if isinstance(message, dict) and isinstance(message.get("content"), str):
        return str(message["content"])
    text = extra.get("text")
    return text if isinstance(text, str) else None


def _check_answers(checked: Verified, judge: Judge | None) -> None:
    """Raise `LLMFallback` unless the verified remainder answers: at least one substantive
    verified quote, and, when the caller can judge relevance, citations that answer."""
    if not checked.citations:
        telling = [
            n for n in checked.notes if n.startswith("removed") and "markup" not in n
        ] or checked.notes
        first = f": {telling[0]}" if telling else ""
        raise LLMFallback(f"nothing in the LLM's answer survived verification{first}")
    reason = judge(checked.citations) if judge is not None else None
    if reason:
        raise LLMFallback(reason)


def fit_passages(
    question: str,
    passages: Sequence[Passage],
    refusal: str,
    context_tokens: int,
    reply_tokens: int,
) -> list[Passage]:
    """The passages that fit the context beside the instructions, the question and the reply:
    all of them while they fit, else each cut at a sentence end, else fewer (best first)."""
    bare = build_messages(question, [], refusal)
    overhead = sum(len(m["content"]) for m in bare) / CHARS_PER_TOKEN
    budget = int((context_tokens - reply_tokens - overhead) * CHARS_PER_TOKEN)
    frame = len(build_messages(question, passages[:1], refusal)[1]["content"]) - len(
        bare[1]["content"]
    )
    frame -= len(passages[0].text.strip()) if passages else 0  # a passage block's fixed part
    sizes = [len(p.text.strip()) + frame for p in passages]
    if sum(sizes) <= budget:
        return list(passages)
    count = max(1, min(len(passages), budget // (MIN_PASSAGE_CHARS + frame)))
    cap = max(MIN_PASSAGE_CHARS, budget // count - frame)
    out = []
    for p in passages[:count]:
        text = p.text
        if len(text) > cap:
            cut = max(text.rfind(". ", 0, cap), text.rfind("\n", 0, cap))
            text = text[: cut + 1] if cut > cap // 2 else text[:cap]
        out.append(dataclasses.replace(p, text=text, end=min(p.end, p.start + len(text))))
    log.debug(
        "prompt fitted to %d context tokens: %d of %d passages",
        context_tokens,
        count,
        len(passages),
    )
    return out


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
