"""The ONNX Runtime backend: sentence-transformers' vectors, a cache keyed by the model's files,
and an index that is rebuilt when the backend changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from index import onnx_embed
from index.articles import read_dir
from index.chunking import Chunker
from index.config import CoreSettings
from index.embedding import local_model_path, make_embedder, model_key
from index.indexer import embed_text
from index.onnx_embed import OnnxEmbedding, cached_model, model_hash
from index.service import Newsdesk
from tests.conftest import DEMO_ARTICLES, make_settings


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="module")
def onnx_model(cache_dir: Path) -> OnnxEmbedding:
    return OnnxEmbedding(local_model_path(), cache_dir=cache_dir)


@pytest.fixture(scope="module")
def int8_model(cache_dir: Path) -> OnnxEmbedding:
    return OnnxEmbedding(local_model_path(), cache_dir=cache_dir, int8=True)


@pytest.fixture(scope="module")
def demo_texts() -> list[str]:
    """The texts a reindex of the demo articles embeds, of many lengths, plus short ones."""
    chunker = Chunker(180, 40)
    read = read_dir(DEMO_ARTICLES, max_file_bytes=10_000_000)
    texts = [embed_text(a.ref.title, c.text) for a in read.articles for c in chunker.chunk(a)]
    return [*texts, "Rutte", "What did Rutte say about Dodik?", texts[0] * 4]  # last: truncated


def _cosines(a: Any, b: Any) -> np.ndarray:
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return (x * y).sum(1) / (np.linalg.norm(x, axis=1) * np.linalg.norm(y, axis=1))


def test_onnx_vectors_equal_sentence_transformers(
    onnx_model: OnnxEmbedding, local_model: Any, demo_texts: list[str]
) -> None:
    ours = onnx_model.get_text_embedding_batch(demo_texts)
    theirs = local_model.get_text_embedding_batch(demo_texts)
    cos = _cosines(ours, theirs)
    assert cos.min() > 0.9999, cos.min()
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    query = "What did Rutte say about Dodik?"
    q = _cosines([onnx_model.get_query_embedding(query)], [local_model.get_query_embedding(query)])
    assert q[0] > 0.9999


def test_length_sorted_batches_keep_each_text_in_its_place(
    cache_dir: Path, demo_texts: list[str]
) -> None:
    small = OnnxEmbedding(local_model_path(), cache_dir=cache_dir, batch_size=3)
    together = small.embed(demo_texts)
    alone = np.stack([small.embed([t])[0] for t in demo_texts])
    assert _cosines(together, alone).min() > 0.9999
    assert small.embed([]).shape[0] == 0


def test_int8_vectors_stay_close(
    int8_model: OnnxEmbedding, local_model: Any, demo_texts: list[str]
) -> None:
    cos = _cosines(
        int8_model.get_text_embedding_batch(demo_texts),
        local_model.get_text_embedding_batch(demo_texts),
    )
    assert cos.mean() > 0.98 and cos.min() > 0.95, (cos.mean(), cos.min())


def test_cached_export_is_reused_and_keyed_by_the_model_files(
    cache_dir: Path, onnx_model: OnnxEmbedding, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    folder = Path(local_model_path())
    first = cached_model(folder, cache_dir, int8=False)

    def no_export(*_: Any) -> None:
        raise AssertionError("exported again although the cache holds the model")

    monkeypatch.setattr(onnx_embed, "export_onnx", no_export)
    assert cached_model(folder, cache_dir, int8=False) == first
    assert not list(first.parent.glob("*.tmp"))

    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    before = model_hash(model)
    (model / "config.json").write_text('{"hidden_size": 1}')
    assert model_hash(model) != before


def test_backend_is_a_setting_and_part_of_the_model_key(tmp_path: Path) -> None:
    keys = {
        b: model_key(make_settings(tmp_path, embed_backend=b))
        for b in ("torch", "onnx", "onnx-int8")
    }
    assert len(set(keys.values())) == 3
    assert keys["torch"] == "local:all-MiniLM-L6-v2"  # indexes built before backends stay valid
    with pytest.raises(ValidationError):
        CoreSettings(_env_file=None, embed_backend="tensorflow")  # type: ignore[call-arg]
    openai = make_settings(
        tmp_path, embed_model="openai:text-embedding-3-small", embed_backend="onnx"
    )
    assert model_key(openai) == "openai:text-embedding-3-small"


def test_a_change_of_backend_rebuilds_the_index(
    tmp_path: Path, cache_dir: Path, local_model: Any
) -> None:
    index = tmp_path / "index"
    torch_desk = Newsdesk.open(make_settings(index, embed_backend="torch"), embedder=local_model)
    built = torch_desk.reindex()
    assert built.chunks_embedded > 0
    assert torch_desk.reindex().chunks_embedded == 0  # unchanged: nothing embedded
    torch_desk.close()

    settings = make_settings(index, embed_backend="onnx", embed_cache_dir=cache_dir)
    embedder = make_embedder(settings)
    assert isinstance(embedder, OnnxEmbedding)
    onnx_desk = Newsdesk.open(settings, embedder=embedder)
    rebuilt = onnx_desk.reindex()
    assert rebuilt.chunks_embedded == built.chunks_embedded
    answer = onnx_desk.ask("What did Rutte say about Dodik?", offline=True)
    assert answer.citations and answer.citations[0].article.id.startswith("002_")
    onnx_desk.close()
