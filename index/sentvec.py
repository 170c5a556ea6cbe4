"""Sentence vectors, computed at ingest from the same model pass that embeds the chunks.

A local sentence-transformers model mean-pools its token embeddings into the chunk vector. The
token embeddings of each sentence's own characters, pooled the same way, give that sentence a
vector in the same space, read in the context of its chunk, at no extra model cost (embedding
every sentence again measured 1.7x the CPU time of embedding the chunks). Sentences that no
chunk pass covers (past the model's length limit) are embedded on their own. Other embedders
(OpenAI) embed chunks and sentences separately.

Vectors are stored per article as float16 with their sentence spans, so a query costs one
embedding and dot products.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding

from index.sentences import split_sentences

FORMAT = 1  # bump when the stored layout changes


@dataclass(frozen=True)
class SentenceVectors:
    """The sentence spans of one article and their unit vectors (row i for span i)."""

    spans: np.ndarray  # (n, 2) int32: start, end in the cleaned text
    vectors: np.ndarray  # (n, dim) float32, L2-normalised

    def encode(self) -> str:
        payload = {
            "format": FORMAT,
            "spans": self.spans.tolist(),
            "dim": int(self.vectors.shape[1]) if self.vectors.size else 0,
            "vec": base64.b64encode(self.vectors.astype(np.float16).tobytes()).decode("ascii"),
        }
        return json.dumps(payload, separators=(",", ":"))

    @classmethod
    def decode(cls, doc: str) -> SentenceVectors:
        d = json.loads(doc)
        spans = np.asarray(d["spans"], dtype=np.int32).reshape(-1, 2)
        dim = int(d["dim"])
        raw = np.frombuffer(base64.b64decode(d["vec"]), dtype=np.float16)
        vecs = raw.astype(np.float32).reshape(len(spans), dim) if dim else np.zeros((0, 0))
        return cls(spans, vecs)

    def index_of(self, start: int, end: int) -> list[int]:
        """Rows of the sentences overlapping [start, end)."""
        if not len(self.spans):
            return []
        hit = (self.spans[:, 0] < end) & (self.spans[:, 1] > start)
        return [int(i) for i in np.flatnonzero(hit)]


def _sentence_transformer(embedder: BaseEmbedding) -> Any | None:
    """The sentence-transformers model of a local embedder, or None (any other embedder,
    wrappers included, goes through its own `get_text_embedding_batch`)."""
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    if not isinstance(embedder, HuggingFaceEmbedding):
        return None
    model = getattr(embedder, "_model", None)
    return model if model is not None and hasattr(model, "tokenizer") else None


def embed_chunks_and_sentences(
    embedder: BaseEmbedding,
    texts: Sequence[str],
    places: Sequence[tuple[str, int, int]],
    articles: dict[str, str],
) -> tuple[list[list[float]], dict[str, SentenceVectors]]:
    """Chunk vectors for `texts` and sentence vectors for every article in `articles`.

    `places[i]` says where the article text of `texts[i]` begins: (article id, offset of the
    article text inside `texts[i]` — the headline before it —, the chunk's start in the article).
    """
    model = _sentence_transformer(embedder)
    sentences = {aid: split_sentences(text) for aid, text in articles.items()}
    if model is None or not texts:
        plain = embedder.get_text_embedding_batch(list(texts)) if texts else []
        return plain, _embed_alone(embedder, sentences, {})
    import torch

    outputs = model.encode(
        list(texts),
        batch_size=embedder.embed_batch_size,
        output_value=None,
        show_progress_bar=False,
    )
    tok = model.tokenizer(
        list(texts),
        return_offsets_mapping=True,
        truncation=True,
        max_length=model.max_seq_length,
    )
    dim = int(outputs[0]["sentence_embedding"].shape[-1])
    sums = {aid: np.zeros((len(s), dim), dtype=np.float32) for aid, s in sentences.items()}
    counts = {aid: np.zeros(len(s), dtype=np.float32) for aid, s in sentences.items()}
    chunk_vecs: list[list[float]] = []
    for i, out in enumerate(outputs):
        emb = out["sentence_embedding"]
        emb = torch.nn.functional.normalize(emb, dim=-1)  # cosine space: unit vectors
        chunk_vecs.append(emb.float().tolist())
        aid, shift, chunk_start = places[i]
        sents = sentences.get(aid)
        if not sents:
            continue
        mask = out["attention_mask"].bool()
        tokens = out["token_embeddings"][mask].float().numpy()
        offsets = tok["offset_mapping"][i]
        starts = np.array([s.start for s in sents])
        ends = np.array([s.end for s in sents])
        for t, (a, b) in enumerate(offsets[: len(tokens)]):
            if b <= a or a < shift:
                continue  # special tokens and the headline
            pos = a - shift + chunk_start
            j = int(np.searchsorted(ends, pos, side="right"))
            if j < len(sents) and starts[j] <= pos:
                sums[aid][j] += tokens[t]
                counts[aid][j] += 1
    return chunk_vecs, _embed_alone(embedder, sentences, {a: (sums[a], counts[a]) for a in sums})


def _embed_alone(
    embedder: BaseEmbedding,
    sentences: dict[str, tuple[Any, ...]],
    pooled: dict[str, tuple[np.ndarray, np.ndarray]],
) -> dict[str, SentenceVectors]:
    """Finish the pooled sums; embed the sentences no chunk pass covered."""
    missing: list[tuple[str, int]] = []
    vecs: dict[str, np.ndarray] = {}
    for aid, sents in sentences.items():
        if aid in pooled:
            total, count = pooled[aid]
            v = total / np.maximum(count, 1)[:, None]
            vecs[aid] = v
            missing += [(aid, int(j)) for j in np.flatnonzero(count == 0)]
        else:
            missing += [(aid, j) for j in range(len(sents))]
    if missing:
        got = np.asarray(
            embedder.get_text_embedding_batch([sentences[a][j].text for a, j in missing]),
            dtype=np.float32,
        )
        for (aid, j), v in zip(missing, got, strict=True):
            if aid not in vecs:
                vecs[aid] = np.zeros((len(sentences[aid]), got.shape[1]), dtype=np.float32)
            vecs[aid][j] = v
    out = {}
    for aid, sents in sentences.items():
        v = vecs.get(aid, np.zeros((0, 0), dtype=np.float32))
        if v.size:
            norms = np.linalg.norm(v, axis=1, keepdims=True)
            v = v / np.where(norms > 0, norms, 1)
        spans = np.asarray([(s.start, s.end) for s in sents], dtype=np.int32).reshape(-1, 2)
        out[aid] = SentenceVectors(spans, v.astype(np.float32))
    return out
