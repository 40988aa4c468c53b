"""Every Embedder passes these. Subclasses supply `embedder`."""

import numpy as np
import pytest


class EmbedderContract:
    @pytest.fixture
    def embedder(self):
        raise NotImplementedError("subclass provides an Embedder")

    def test_shape_dtype_and_unit_length(self, embedder):
        vectors = embedder.embed(["the cat sat on the mat", "ASN.1 DER encoding", "x"])
        assert vectors.shape == (3, embedder.dim)
        assert vectors.dtype == np.float32
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)

    def test_empty_batch(self, embedder):
        assert embedder.embed([]).shape == (0, embedder.dim)

    def test_deterministic_and_order_preserving(self, embedder):
        texts = [f"sentence number {i} about topic {i % 3}" for i in range(70)]
        once = embedder.embed(texts)
        again = embedder.embed(list(reversed(texts)))[::-1]
        assert np.allclose(once, again, atol=1e-4)

    def test_similar_texts_are_closer(self, embedder):
        a, b, c = embedder.embed(["how to encode an integer in DER", "DER encoding of integers", "bananas are yellow fruit"])
        assert a @ b > a @ c

    def test_counts_tokens(self, embedder):
        assert embedder.count_tokens("one two three four") >= 4
        assert embedder.max_tokens > 0
