"""The local embedder is the sentence-transformers pipeline of all-MiniLM-L6-v2, without its import cost."""

import numpy as np
import pytest

from rag.backends.local.embedder import LocalEmbedder
from rag.settings import Settings
from tests.contracts.embedder import EmbedderContract

TEXTS = ["hello world", "The DER encoding of an INTEGER uses two's complement. " * 40,  # longer than the window
         "Glob patterns have a weight between 0 and 100.", "x", "Übergrößenträger café naïve"]


class TestLocalEmbedder(EmbedderContract):
    @pytest.fixture(scope="class")
    @classmethod
    def embedder(cls):
        return LocalEmbedder(Settings(embed_batch=2))  # small batches: padding and reordering are exercised


@pytest.mark.parametrize("precision", ["fp32", "auto"])
def test_same_vectors_as_sentence_transformers(precision):
    from sentence_transformers import SentenceTransformer

    ours = LocalEmbedder(Settings(embed_precision=precision, embed_batch=2))
    reference = SentenceTransformer(ours._path, device="cpu").encode(TEXTS, normalize_embeddings=True)
    cosine = (ours.embed(TEXTS) * reference).sum(axis=1)
    assert cosine.min() > (0.9999 if precision == "fp32" else 0.999), cosine
    assert np.allclose(np.linalg.norm(ours.embed(TEXTS), axis=1), 1.0, atol=1e-4)
