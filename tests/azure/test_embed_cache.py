"""The embedding cache wraps any embedder: same vectors, and a re-run embeds only what is missing."""

import numpy as np
import pytest

from rag.backends.embed_cache import CachedEmbedder
from tests.contracts.embedder import EmbedderContract
from tests.fakes import HashEmbedder


class CountingEmbedder(HashEmbedder):
    def __init__(self, dim=64):
        super().__init__(dim=dim)
        self.seen: list[str] = []

    def embed(self, texts):
        self.seen += list(texts)
        return super().embed(texts)


class TestCachedEmbedderContract(EmbedderContract):
    @pytest.fixture
    def embedder(self, tmp_path):
        return CachedEmbedder(HashEmbedder(dim=64), tmp_path / "cache.sqlite")

    def test_similar_texts_are_closer(self, embedder):
        pytest.skip("a property of the wrapped embedder, not of the cache")


def test_second_run_embeds_only_new_texts(tmp_path):
    inner = CountingEmbedder()
    first = CachedEmbedder(inner, tmp_path / "cache.sqlite").embed(["a", "b", "a"])
    assert inner.seen == ["a", "b"]
    inner.seen.clear()
    again = CachedEmbedder(inner, tmp_path / "cache.sqlite").embed(["b", "c", "a"])
    assert inner.seen == ["c"]
    assert np.allclose(again[[0, 2]], first[[1, 0]])


def test_models_do_not_share_vectors(tmp_path):
    CachedEmbedder(CountingEmbedder(dim=64), tmp_path / "cache.sqlite").embed(["a"])
    other = CountingEmbedder(dim=32)
    assert CachedEmbedder(other, tmp_path / "cache.sqlite").embed(["a"]).shape == (1, 32)
    assert other.seen == ["a"]
