"""An OpenAI-compatible endpoint (httpx.MockTransport) that answers ragas' judge and testset
generation prompts with canned JSON, picked by the output schema each ragas prompt embeds."""

from __future__ import annotations

import json

import httpx

REPLIES = {  # ragas output model name -> reply
    "NLIStatementOutput": {"statements": [
        {"statement": "Globs weigh 50.", "reason": "stated", "verdict": 1},
        {"statement": "Since 1997.", "reason": "not stated", "verdict": 0}]},
    "StatementGeneratorOutput": {"statements": ["Globs weigh 50.", "Since 1997."]},
    "ResponseRelevanceOutput": {"question": "How heavy is a glob by default?", "noncommittal": 0},
    "Verification": {"reason": "useful", "verdict": 1},
    "ContextRecallClassifications": {"classifications": [{"statement": "s", "reason": "r", "attributed": 1}]},
    "ClaimDecompositionOutput": {"claims": ["Globs weigh 50."]},
    # testset generation (eval/testset.py): entities per page, persona -> themes, question + answer
    "NEROutput": {"entities": ["glob", "default weight"]},
    "PersonaThemesMapping": {"mapping": {"Library reader": ["glob", "default weight"]}},
    "GeneratedQueryAnswer": {"query": "What is the default weight of a glob?",
                             "answer": "The default weight of a glob is 50."},
}


class FakeJudge:
    def __init__(self):
        self.prompts: list[str] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        prompt = json.loads(request.content)["messages"][-1]["content"]
        self.prompts.append(prompt)
        name = next((n for n in REPLIES if f'"title": "{n}"' in prompt), None)
        if name is None:
            return httpx.Response(400, json={"error": {"message": "unexpected prompt"}})
        return httpx.Response(200, json={
            "id": "c1", "object": "chat.completion", "created": 0, "model": "judge",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": json.dumps(REPLIES[name])}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.handle))
