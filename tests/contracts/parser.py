"""Every Parser passes these. Subclasses supply `parser`, `sample` (bytes with `expected` text) and `garbage`."""

import pytest

from rag.errors import InvalidDocument


class ParserContract:
    expected = "needle"

    @pytest.fixture
    def parser(self):
        raise NotImplementedError

    @pytest.fixture
    def sample(self) -> bytes:
        raise NotImplementedError

    @pytest.fixture
    def garbage(self) -> bytes:
        raise NotImplementedError

    def test_pages_are_numbered_from_one_in_order(self, parser, sample):
        pages = list(parser.parse(sample))
        assert pages and [p.number for p in pages] == list(range(1, len(pages) + 1))

    def test_text_is_extracted(self, parser, sample):
        assert self.expected in " ".join(p.text for p in parser.parse(sample))

    def test_garbage_is_invalid_document(self, parser, garbage):
        with pytest.raises(InvalidDocument):
            list(parser.parse(garbage))

    def test_empty_is_invalid_document(self, parser):
        with pytest.raises(InvalidDocument):
            list(parser.parse(b""))
