"""Every ChatModel passes these. Subclasses supply `chat` able to answer from sources.

A generative backend's fixture is scripted (a local server or transport) to answer the
question below with "DER uses two's complement [1]." and to say the not-found sentence otherwise.
"""

import pytest

from rag.prompt import NOT_FOUND
from rag.protocols import ChatRequest
from rag.types import Chunk, Hit, Turn

SOURCE = Chunk("c1", "d1", "In DER, an INTEGER is encoded in two's complement. The tag is 0x02.", 3, 0, 68,
               title="spec.pdf", owner="alice")
OTHER = Chunk("c2", "d1", "Bananas are yellow and grow in bunches.", 4, 0, 39, title="spec.pdf", owner="alice")
QUESTION = "How is an INTEGER encoded in DER?"


class ChatModelContract:
    @pytest.fixture
    def chat(self):
        raise NotImplementedError("subclass provides a ChatModel")

    def test_streams_an_answer_that_cites_the_source(self, chat):
        request = ChatRequest(QUESTION, [Hit(SOURCE, 1.0), Hit(OTHER, 0.5)])
        deltas = list(chat.stream(request))
        assert len(deltas) >= 2, "the answer must arrive in more than one piece"
        text = "".join(deltas)
        assert "[1]" in text and "two's complement" in text

    def test_says_not_found_without_sources(self, chat):
        text = "".join(chat.stream(ChatRequest("What is the capital of Peru?", [])))
        assert NOT_FOUND in text

    def test_rewrite_returns_a_query(self, chat):
        query = chat.rewrite([Turn("user", QUESTION), Turn("assistant", "In two's complement [1].")], "and the tag?")
        assert isinstance(query, str) and query.strip()
