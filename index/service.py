"""The core's one entry point for front ends: ask, look sources up, reindex.

`Newsdesk` owns the embedder, the store and the serving snapshot. Queries read whichever
snapshot is current when they start; a reindex builds the next generation off to the side and
swaps the snapshot in when it is complete, so answers keep flowing during a reindex. Methods
block (CPU work); async front ends call them in a worker thread.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import httpx
import numpy as np
from chromadb.errors import InternalError, NotFoundError
from llama_index.core.base.embeddings.base import BaseEmbedding

from index import conversation, guard, scoring
from index.answerer import Answerer, ExtractiveAnswerer, Job, LLMModeAnswerer, rerank
from index.candidates import Candidate
from index.candidates import build as candidates_of
from index.chunking import Chunker
from index.config import Settings
from index.embedding import make_embedder, model_key
from index.errors import (
    IndexNotBuilt,
    ReindexInProgress,
    SourceNotFound,
    StoreDamaged,
    StoreUnavailable,
)
from index.feedback import FeedbackStore
from index.indexer import Indexer
from index.lease import ReindexLease
from index.lexical import fold, terms
from index.models import Answer, ArticleRef, Passage, Progress, ReindexSummary, SourceView
from index.question import analyze
from index.quotes import SpeakerNotFound, SpeakerQuotes, browse
from index.retrieval import Snapshot
from index.sentences import split_sentences
from index.store import Store, connect, describe_location

log = logging.getLogger(__name__)
T = TypeVar("T")

REFRESH_SECONDS = 5.0
RERANK_FACTOR = 2  # candidates retrieved per passage kept, reranked by their best quote  # how often to look for a generation published by another process


class Newsdesk:
    """Questions in, cited answers out, over one Chroma-backed index."""

    def __init__(
        self,
        settings: Settings,
        *,
        embedder: BaseEmbedding,
        store: Store,
        llm: Any | None = None,
        scorer: scoring.Model | None = None,
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.store = store
        self.llm = llm
        self._scorer = scorer
        self._indexer = Indexer(
            store,
            embedder,
            Chunker(settings.core.chunk_size, settings.core.chunk_overlap),
            {
                "model": model_key(settings),
                "chunk_size": settings.core.chunk_size,
                "chunk_overlap": settings.core.chunk_overlap,
            },
        )
        self._reindex_lock = threading.Lock()
        self._swap_lock = threading.Lock()
        self._refresh_lock = threading.Lock()
        self._checked = time.monotonic()
        self.damaged: StoreDamaged | None = None  # set when the serving index cannot be read
        self._snapshot = self._load_first()
        self._warm_up()

    def _load_first(self) -> Snapshot:
        """The current generation; if its files are damaged, an empty snapshot and a message
        (a full reindex builds a fresh generation without reading the damaged one)."""
        try:
            return self._load(self.store.current())
        except StoreDamaged as exc:
            log.error("%s", exc)
            self.damaged = exc
            return Snapshot(None, self.embedder)

    def _load(self, gen: Any) -> Snapshot:
        try:
            return Snapshot(gen, self.embedder)
        except InternalError as exc:
            raise self._damage(exc) from exc

    def _damage(self, exc: Exception) -> StoreDamaged:
        reason = str(exc).split(":")[-1].strip() or type(exc).__name__
        return StoreDamaged(
            f"the index in {self.store.location or 'the Chroma store'} is damaged ({reason}); "
            "rebuild it with `newsdesk index --full` (or `/reindex full:True` in Discord)"
        )

    def _warm_up(self) -> None:
        """Load lazily loaded parts now, so the first question is as fast as the rest."""
        self.embedder.get_query_embedding("warm up")
        analyze("What did the minister say about the talks?")
        split_sentences("Warm up. Done.")
        guard.warm_up()
        if self._scorer is None:
            scoring.fitted()

    @property
    def scorer(self) -> scoring.Model:
        """The answer scorer: the packaged fitted one unless another was given."""
        return self._scorer or scoring.fitted()

    @classmethod
    def open(
        cls,
        settings: Settings,
        *,
        embedder: BaseEmbedding | None = None,
        scorer: scoring.Model | None = None,
    ) -> Newsdesk:
        """Load the embedding model, connect to the store, and load the current index.

        `embedder` replaces the configured model (tests pass a counting or failing one);
        `scorer` the packaged answer scorer (fitting passes an unfitted one)."""
        llm = None
        if settings.llm_enabled:
            from index.llm import LLMAnswerer

            llm = LLMAnswerer.from_settings(settings)
        store = Store(connect(settings), location=describe_location(settings))
        return cls(
            settings,
            embedder=embedder or make_embedder(settings),
            store=store,
            llm=llm,
            scorer=scorer,
        )

    # -- serving ----------------------------------------------------------------------------

    @property
    def snapshot(self) -> Snapshot:
        """The serving snapshot. Every REFRESH_SECONDS it looks for a generation published by
        another process and loads it in the background, serving the current one meanwhile."""
        now = time.monotonic()
        if now - self._checked > REFRESH_SECONDS and not self._reindex_lock.locked():
            self._checked = now
            try:
                name = self.store.current_name()
            except Exception as exc:  # a store hiccup must not stop answers from memory
                log.warning("could not check the index generation: %s", exc)
                name = self._snapshot.name
            if name != self._snapshot.name:
                if self._snapshot.empty:
                    self.refresh()  # nothing to serve meanwhile
                else:
                    self._refresh_in_background()
        return self._snapshot

    def refresh(self) -> None:
        """Load the current generation now and serve it."""
        with self._refresh_lock:
            current = self.store.current()
            if current is None or current.name != self._snapshot.name:
                self._swap(self._load(current))
                self.damaged = None

    def _refresh_in_background(self) -> None:
        if self._refresh_lock.locked():
            return
        threading.Thread(target=self._refresh_logged, name="newsdesk-refresh", daemon=True).start()

    def _refresh_logged(self) -> None:
        try:
            self.refresh()
        except Exception:
            log.exception("could not load the new index generation; serving the previous one")

    def _swap(self, snapshot: Snapshot) -> None:
        with self._swap_lock:
            self._snapshot = snapshot

    def _serving(self, work: Callable[[Snapshot], T]) -> T:
        """Run `work` on the serving snapshot; if its generation was dropped meanwhile (another
        process reindexed twice), load the current one and run it again."""
        try:
            try:
                return work(self.snapshot)
            except NotFoundError:
                log.info("the served index generation is gone; loading the current one")
                self.refresh()
                return work(self._snapshot)
        except (httpx.TransportError, ConnectionError) as exc:
            raise self._unreachable(exc) from exc

    def _unreachable(self, exc: Exception) -> StoreUnavailable:
        log.warning("the Chroma store is unreachable: %s", exc)
        return StoreUnavailable(f"{self._unreachable_text()}; answers resume when it is back")

    def _unreachable_text(self) -> str:
        return f"the Chroma server at {self.store.location or 'its address'} is unreachable"

    @property
    def reindexing(self) -> bool:
        return self._reindex_lock.locked()

    def retrieve(self, question: str, k: int | None = None) -> list[Passage]:
        """The best passages for `question` (hybrid retrieval, reranked by the scorer)."""
        return self._serving(lambda snap: self._prepare(snap, question, k).passages)

    def candidates(self, question: str) -> tuple[Job, scoring.Context, list[Candidate]]:
        """The answer path up to scoring: the job, the scoring context and the candidates
        (for fitting the scorer and for inspection)."""
        return self._serving(lambda snap: self._prepare_full(snap, question, None))

    def _prepare(self, snap: Snapshot, question: str, k: int | None) -> Job:
        return self._prepare_full(snap, question, k)[0]

    def _prepare_full(
        self, snap: Snapshot, question: str, k: int | None
    ) -> tuple[Job, scoring.Context, list[Candidate]]:
        """question -> retrieve -> candidates -> score, with timings in the job's notes."""
        core = self.settings.core
        k = k or core.top_k
        q = analyze(question)
        t = time.perf_counter()
        vector = self.embedder.get_query_embedding(question)
        t_embed = (time.perf_counter() - t) * 1000
        retrieved, timings = snap.search(
            question, RERANK_FACTOR * k, query_terms=list(q.terms), vector=vector
        )
        timings["embed"] = t_embed
        t = time.perf_counter()
        quotes = snap.quotes if len(snap.quotes) else None
        article_ids = list(dict.fromkeys(p.article.id for p in retrieved))
        snap.prefetch(article_ids)
        sentence_vectors = snap.sentence_vectors(article_ids)
        cands = candidates_of(retrieved, snap.article_text, quotes)
        asked = scoring.asked_speaker(q, quotes, article_ids, snap.article_text)
        query = np.asarray(vector, dtype=np.float32)
        topic = query
        if asked is not None:
            about = scoring.topic_text(question, asked[1])
            if about != question:
                topic = np.asarray(self.embedder.get_query_embedding(about), dtype=np.float32)
        ctx = scoring.Context(
            q,
            query,
            snap.lexical,
            snap.article_text,
            sentence_vectors,
            asked[0] if asked else None,
            topic,
        )
        timings["candidates"] = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        model = self.scorer
        scored = scoring.score(ctx, cands, model)
        timings["score"] = (time.perf_counter() - t) * 1000
        threshold = (
            core.refusal_threshold if core.refusal_threshold is not None else model.threshold
        )
        job = Job(
            question=q,
            passages=rerank(retrieved, scored, k),
            scored=scored,
            article_text=snap.article_text,
            speaker=ctx.speaker,
            threshold=threshold,
            second_ratio=model.second_ratio,
            max_quotes=core.max_quotes,
        )
        job.timings = timings
        return job, ctx, cands

    def ask(
        self,
        question: str,
        *,
        offline: bool = False,
        on_token: Callable[[str], None] | None = None,
        history: Sequence[Answer] = (),
    ) -> Answer:
        """Answer `question` from the articles, quoting them; a follow-up is first resolved
        against `history`, the conversation's earlier answers, oldest first."""
        question = guard.clean(question)
        rewritten = self.resolve_follow_up(question, history)
        asked = rewritten or question
        answer = self._serving(lambda snap: self._ask(snap, asked, offline, on_token))
        answer.question, answer.rewritten = question, rewritten
        answer.speaker = answer.speaker or conversation.speaker_of(asked)
        return answer

    def resolve_follow_up(self, question: str, history: Sequence[Answer]) -> str | None:
        """The conversation hook: `question` rewritten to stand alone, or None."""
        if not history:
            return None

        def speaks(name: str) -> bool:  # the quote index knows; the passages, if it is empty
            found = self.snapshot.quotes.find_speakers(name)
            if found:
                return found[0][1] >= scoring.SPEAKER_MATCH
            return conversation.quoted_in(name, self.retrieve(name, 5))

        return conversation.resolve(question, history, speaks)

    # -- feedback ---------------------------------------------------------------------------

    @functools.cached_property
    def feedback(self) -> FeedbackStore:
        """Answers given and what people thought of them, in the index folder."""
        return FeedbackStore(self.settings.core.index_dir / FeedbackStore.FILE)

    def record(self, answer: Answer, *, conversation: str | None = None) -> str:
        """Keep `answer` (for feedback, paging and follow-ups); returns its id."""
        return self.feedback.record_answer(
            answer, generation=self._snapshot.name, conversation=conversation
        )

    def _ask(
        self,
        snap: Snapshot,
        question: str,
        offline: bool,
        on_token: Callable[[str], None] | None,
    ) -> Answer:
        t0 = time.perf_counter()
        if snap.empty:
            raise self.damaged or IndexNotBuilt()
        turned_down = guard.check(question, snap.lexical)
        if turned_down is not None:
            return turned_down
        job, _ctx, _cands = self._prepare_full(snap, question, None)
        timings = dict(job.timings)
        timings["retrieve"] = sum(timings.values())
        job.on_token = on_token
        extractive = ExtractiveAnswerer()
        answerer: Answerer = (
            LLMModeAnswerer(self.llm, extractive)
            if self.llm is not None and not offline
            else extractive
        )
        t = time.perf_counter()
        answer = answerer.answer(job)
        timings["answer"] = (time.perf_counter() - t) * 1000
        answer.question = question
        answer.retrieved = job.passages
        answer.speaker = job.speaker
        answer.timings_ms = {**timings, **answer.timings_ms}
        answer.timings_ms["total"] = (time.perf_counter() - t0) * 1000
        if "dense" not in timings:  # the store did not answer: keyword search alone
            answer.verification.append(f"{self._unreachable_text()}; answered by keyword search")
        self._check_quotes(answer, snap)
        return answer

    @staticmethod
    def _check_quotes(answer: Answer, snap: Snapshot) -> None:
        """The product's promise, enforced last: every quote stands verbatim where it says."""
        for c in answer.citations:
            text = snap.article_text(c.article.id)
            if text[c.start : c.end] != c.quote:
                raise AssertionError(f"quote [{c.n}] is not verbatim at its span in {c.article.id}")

    # -- sources ----------------------------------------------------------------------------

    def sources(self) -> list[ArticleRef]:
        """The indexed articles, by file name."""
        return sorted(self.snapshot.articles.values(), key=lambda a: a.file)

    def source(self, ref: str) -> SourceView:
        """An article or passage by id, file name, chunk id ("<id>#<n>"), or title words."""
        return self._serving(lambda snap: self._source(snap, ref.strip()))

    def _source(self, snap: Snapshot, ref: str) -> SourceView:
        if not ref:
            raise SourceNotFound("Give an article id, a file name, or words from a title.")
        if ref in snap.position:
            c = snap.chunks[snap.position[ref]]
            art = snap.articles[c.article_id]
            passage = Passage(art, c.id, c.text, c.start, c.end)
            return SourceView(art, snap.article_text(art.id), passage)
        match = self._find_article(snap, ref)
        if match is None:
            raise SourceNotFound(f"No indexed article matches {ref!r}.")
        return SourceView(match, snap.article_text(match.id))

    def suggest_sources(self, text: str, limit: int = 25) -> list[ArticleRef]:
        """Articles whose id, file or title match `text` (for autocomplete), best first."""
        arts = self.sources()
        if not text.strip():
            return arts[:limit]
        scored = [(s, a) for a in arts if (s := _match_score(text, a)) > 0]
        scored.sort(key=lambda sa: -sa[0])
        return [a for _, a in scored[:limit]]

    @staticmethod
    def _find_article(snap: Snapshot, ref: str) -> ArticleRef | None:
        arts = snap.articles
        if ref in arts:
            return arts[ref]
        by_file = {a.file: a for a in arts.values()}
        if ref in by_file:
            return by_file[ref]
        stem = Path(ref).stem
        if stem in arts:
            return arts[stem]
        scored = [(s, a) for a in arts.values() if (s := _match_score(ref, a)) > 0]
        if not scored:
            return None
        scored.sort(key=lambda sa: -sa[0])
        return scored[0][1]

    # -- reindexing -------------------------------------------------------------------------

    def reindex(
        self,
        *,
        full: bool = False,
        articles_dir: Path | None = None,
        progress: Callable[[Progress], None] | None = None,
    ) -> ReindexSummary:
        """Bring the index up to date with the articles directory; atomic, one at a time."""
        if not self._reindex_lock.acquire(blocking=False):
            raise ReindexInProgress()
        try:
            with ReindexLease(self.settings.core.index_dir):  # and one across processes
                summary = self._reindex(full, articles_dir, progress)
            if summary.generation != self._snapshot.name:
                self.refresh()
            return summary
        finally:
            self._reindex_lock.release()

    def _reindex(
        self,
        full: bool,
        articles_dir: Path | None,
        progress: Callable[[Progress], None] | None,
    ) -> ReindexSummary:
        if self.damaged is not None and not full:
            raise self.damaged  # an incremental reindex would read the damaged generation
        try:
            return self._indexer.reindex(
                articles_dir or self.settings.core.articles_dir,
                max_file_bytes=int(self.settings.core.max_file_mb * 1_000_000),
                full=full,
                progress=progress,
                follow_links=self.settings.core.follow_links,
            )
        except InternalError as exc:  # reading the serving generation failed
            raise self._damage(exc) from exc
        except (httpx.TransportError, ConnectionError) as exc:
            raise self._unreachable(exc) from exc

    # -- quotes -----------------------------------------------------------------------------

    def quotes(
        self, speaker: str, *, about: str | None = None, since: str | None = None
    ) -> SpeakerQuotes:
        """What `speaker` said across the collection, newest first (by `about`, if given)."""
        if not speaker.strip():
            raise SpeakerNotFound("Give a speaker's name, e.g. Rutte.")

        def work(snap: Snapshot) -> SpeakerQuotes:
            if snap.empty:
                raise IndexNotBuilt()
            return browse(
                snap.quotes,
                snap.articles,
                speaker.strip(),
                about=about.strip() if about and about.strip() else None,
                since=since,
                embed=self.embedder.get_text_embedding_batch,
                context=lambda st: snap.article_text(st.article_id)[
                    st.sentence_start : st.sentence_end
                ],
            )

        return self._serving(work)

    def suggest_speakers(self, text: str, limit: int = 25) -> list[str]:
        """Speakers in the quote index matching `text` (for autocomplete), best first: those
        it names (any spelling, or a role), then those with a name or alias whose words begin
        with what was typed so far ("vuc" -> Aleksandar Vučić), most quoted first."""
        q = self.snapshot.quotes
        if not text.strip():
            return q.speakers()[:limit]
        typed = fold(text).split()
        found = [name for name, _s in q.find_speakers(text)]

        def begins(name: str) -> bool:
            for alias in (name, *q.aliases(name)):
                have = fold(alias).split()
                if all(any(h.startswith(t) for h in have) for t in typed):
                    return True
            return False

        prefixed = [name for name in q.speakers() if name not in found and begins(name)]
        return [*found, *prefixed][:limit]

    def close(self) -> None:
        """Release what the process holds (nothing needs flushing: Chroma writes through)."""


def _match_score(text: str, art: ArticleRef) -> float:
    """How well `text` matches an article's id, file name and title (0: not at all)."""
    needle = fold(text).strip()
    if not needle:
        return 0.0
    hay = fold(f"{art.id} {art.file} {art.title or ''} {art.outlet or ''}")
    if needle in hay:
        return 2.0 + len(needle) / max(len(hay), 1)
    want = set(terms(text))
    have = set(terms(hay))
    if not want:
        return 0.0
    share = len(want & have) / len(want)
    return share if share >= 0.5 else 0.0
