"""The local sentence-transformers model on ONNX Runtime: exported once, cached, run directly.

The model folder is exported with `torch.onnx` (transformer, mean pooling and L2
normalisation in one graph, so the vectors are sentence-transformers'), optionally quantised
to int8 (`onnxruntime.quantization`, dynamic, per-channel weights), and cached under a key
made of the hash of the model's files and the export recipe. A later start loads the cached
file without importing torch; a fresh machine exports it again, offline.

Texts are tokenised once, with the model's own fast tokenizer, and embedded in batches of
texts of similar length, so little of each batch is padding.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from index.errors import ConfigError

log = logging.getLogger(__name__)

BACKENDS = ("torch", "onnx", "onnx-int8")
EXPORT_VERSION = "1"  # bump when the export or quantisation recipe changes
ONNX_OPSET = 17
CALL_BATCH = 2048  # texts per llama-index call (its maximum), sorted by length inside
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def model_hash(model_dir: Path) -> str:
    """SHA-256 over the relative paths and contents of every file of the model folder."""
    digest = hashlib.sha256()
    for path in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(model_dir)).encode())
        with path.open("rb") as f:
            digest.update(hashlib.file_digest(f, "sha256").digest())
    return digest.hexdigest()


def _max_seq_length(model_dir: Path) -> int:
    config = model_dir / "sentence_bert_config.json"
    if config.is_file():
        return int(json.loads(config.read_text(encoding="utf-8")).get("max_seq_length", 256))
    return 256


def _check_mean_pooling(model_dir: Path) -> None:
    """The graph computes mean pooling; refuse a model that pools otherwise."""
    pooling = model_dir / "1_Pooling" / "config.json"
    if not pooling.is_file():
        return
    config = json.loads(pooling.read_text(encoding="utf-8"))
    if not config.get("pooling_mode_mean_tokens", False):
        raise ConfigError(
            f"the model in {model_dir} does not use mean pooling; "
            "set NEWSDESK_EMBED_BACKEND=torch for it"
        )


def export_onnx(model_dir: Path, target: Path) -> None:
    """Export the transformer with mean pooling and normalisation to `target` (fp32)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    _check_mean_pooling(model_dir)
    model = AutoModel.from_pretrained(str(model_dir)).eval()
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))

    class Pooled(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(
            self,
            input_ids: torch.Tensor,
            attention_mask: torch.Tensor,
            token_type_ids: torch.Tensor,
        ) -> torch.Tensor:
            hidden = self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    sample = tokenizer(["a short text", "a somewhat longer text to embed"], padding=True)
    args = tuple(torch.tensor(sample[name]) for name in INPUTS)
    axes = {name: {0: "batch", 1: "tokens"} for name in INPUTS}
    # The tracer warns about shape checks it turns into constants; they hold for every input
    # shape here (no cache, full attention mask), and the tests compare with the torch vectors.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Pooled(model),
            args,
            str(target),
            input_names=list(INPUTS),
            output_names=["embedding"],
            dynamic_axes={**axes, "embedding": {0: "batch"}},
            opset_version=ONNX_OPSET,
            dynamo=False,
        )


def quantize_int8(source: Path, target: Path) -> None:
    """Dynamic int8 quantisation of the weight matrices, one scale per output channel."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model = onnx.load(str(source))
    weights = {init.name for init in model.graph.initializer}
    # Attention's activation-by-activation products stay in fp32: only weights are quantised.
    activation_only = [
        n.name
        for n in model.graph.node
        if n.op_type == "MatMul" and not any(i in weights for i in n.input)
    ]
    quantize_dynamic(
        str(source),
        str(target),
        weight_type=QuantType.QInt8,
        op_types_to_quantize=["MatMul"],
        nodes_to_exclude=activation_only,
        per_channel=True,
    )


def _write_atomically(target: Path, make: Any) -> None:
    """Build into a temporary file beside `target`, then rename: readers never see a part."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        make(Path(tmp))
        Path(tmp).replace(target)
    finally:
        Path(tmp).unlink(missing_ok=True)


def cached_model(model_dir: Path, cache_dir: Path, *, int8: bool) -> Path:
    """The ONNX file for `model_dir` in `cache_dir`, exported (and quantised) if not there yet."""
    import onnxruntime

    key = hashlib.sha256(
        f"{model_hash(model_dir)}|export{EXPORT_VERSION}|opset{ONNX_OPSET}".encode()
    ).hexdigest()[:16]
    folder = cache_dir / f"{model_dir.name}-{key}"
    fp32 = folder / "model.onnx"
    if not fp32.is_file():
        log.info("exporting %s to ONNX in %s", model_dir, folder)
        t = time.perf_counter()
        _write_atomically(fp32, lambda tmp: export_onnx(model_dir, tmp))
        log.info("exported in %.1f s", time.perf_counter() - t)
    if not int8:
        return fp32
    # Quantisation's output depends on onnxruntime's quantiser, so its version is in the name.
    quantized = folder / f"model-int8-ort{onnxruntime.__version__}.onnx"
    if not quantized.is_file():
        log.info("quantising %s to int8", fp32)
        _write_atomically(quantized, lambda tmp: quantize_int8(fp32, tmp))
    return quantized


def default_threads() -> int:
    """The CPU cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class OnnxEmbedding(BaseEmbedding):
    """A llama-index embedding over an ONNX Runtime session of a sentence-transformers model."""

    _session: Any = PrivateAttr()
    _tokenizer: Any = PrivateAttr()
    _inputs: tuple[str, ...] = PrivateAttr()
    _batch: int = PrivateAttr()

    def __init__(
        self,
        model_dir: str | Path,
        *,
        cache_dir: Path,
        int8: bool = False,
        batch_size: int = 64,
        threads: int = 0,
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        folder = Path(model_dir)
        onnx_file = cached_model(folder, cache_dir, int8=int8)
        # The llama-index layer passes up to CALL_BATCH texts at once, so that sorting by
        # length works over many texts; the model itself sees `batch_size` at a time.
        super().__init__(
            model_name=f"{folder.name} ({'onnx-int8' if int8 else 'onnx'})",
            embed_batch_size=CALL_BATCH,
        )
        self._batch = batch_size
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        # tokenizer.json carries fixed-length padding and the hub's 128-token truncation;
        # sentence-transformers truncates at the model's max_seq_length and pads per batch.
        tokenizer.no_padding()
        tokenizer.enable_truncation(_max_seq_length(folder))
        self._tokenizer = tokenizer
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or default_threads()
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Waiting threads sleep instead of spinning: on shared cores a spinning thread burns
        # CPU that other work needs, for little gain in latency.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(
            str(onnx_file), options, providers=["CPUExecutionProvider"]
        )
        self._inputs = tuple(i.name for i in self._session.get_inputs())
        log.info("embedding with ONNX Runtime from %s", onnx_file)

    @classmethod
    def class_name(cls) -> str:
        return "OnnxEmbedding"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of `texts` (float32, one row each, in order)."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(list(texts))
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64)
        order = np.argsort(lengths, kind="stable")
        out: np.ndarray | None = None
        for start in range(0, len(order), self._batch):
            rows = order[start : start + self._batch]
            width = int(lengths[rows].max())
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            types = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                e = encodings[i]
                n = len(e.ids)
                ids[r, :n] = e.ids
                mask[r, :n] = e.attention_mask
                types[r, :n] = e.type_ids
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
            vectors = self._session.run(None, {k: feeds[k] for k in self._inputs})[0]
            if out is None:
                out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
            out[rows] = vectors
        assert out is not None
        return out

    def _get_query_embedding(self, query: str) -> list[float]:
        return self.embed([query])[0].tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self.embed([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self.embed(texts).tolist()
