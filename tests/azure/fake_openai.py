"""A scripted OpenAI-compatible server behind httpx.MockTransport, and a fake Entra credential.

Responses follow the REST reference (chat.completion / chat.completion.chunk SSE / embedding list).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import dataclass, field

import httpx
import numpy as np
from azure.core.credentials import AccessToken, AccessTokenInfo

from rag.prompt import NOT_FOUND

ANSWER = ["DER uses ", "two's complement ", "[1]."]


def stem_vectors(texts: list[str], dim: int) -> np.ndarray:
    """Bag of 4-letter word stems hashed into `dim` buckets: 'integer' and 'integers' land together."""
    out = np.zeros((len(texts), dim), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in re.findall(r"\w+", text.lower()):
            bucket = int.from_bytes(hashlib.blake2b(word[:4].encode(), digest_size=4).digest(), "little")
            out[row, bucket % dim] += 1.0
    out[:, 0] += 1e-3  # never all zero
    return out


class FakeCredential:
    """A TokenCredential that hands out a fixed token and remembers the scopes asked for."""

    def __init__(self, token: str = "fake-entra-token"):
        self.token = token
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes, **kwargs) -> AccessToken:
        self.scopes.append(scopes)
        return AccessToken(self.token, int(time.time()) + 3600)

    def get_token_info(self, *scopes, options=None) -> AccessTokenInfo:
        self.scopes.append(scopes)
        return AccessTokenInfo(self.token, int(time.time()) + 3600)


@dataclass
class FakeOpenAI:
    """Answers chat and embeddings; `failures` are (status, headers) served before real answers."""

    dim: int = 64
    scale: float = 3.0  # vectors come back unnormalised so the backend must normalise them
    failures: list[tuple[int, dict[str, str], dict]] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)
    timeouts: int = 0
    # Azure deployment name -> model behind it; Azure-shaped paths must name one of these
    deployments: dict[str, str] = field(default_factory=lambda: {"emb": "text-embedding-3-small", "gpt": "gpt-4o",
                                                                 "text-embedding-3-small": "text-embedding-3-small",
                                                                 "gpt-4o": "gpt-4o"})

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.handle))

    def bodies(self, path_end: str) -> list[dict]:
        return [json.loads(r.content) for r in self.requests if r.url.path.endswith(path_end)]

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.timeouts:
            self.timeouts -= 1
            raise httpx.ReadTimeout("scripted timeout", request=request)
        if self.failures:
            status, headers, body = self.failures.pop(0)
            return httpx.Response(status, headers=headers, json=body or {"error": {"message": "scripted", "code": None}})
        body = json.loads(request.content)
        model = body.get("model")
        if request.url.path.startswith("/openai/"):
            refused = self.azure_route(request)
            if refused is not None:
                return refused
            model = self.deployments[request.url.path.split("/")[3]]
        if request.url.path.endswith("/embeddings"):
            refused = self.refuse_embeddings(body, model)
            return refused if refused is not None else self.embeddings(body)
        return self.chat(body)

    def azure_route(self, request: httpx.Request) -> httpx.Response | None:
        """Azure OpenAI's routes: /openai/deployments/{name}/(embeddings|chat/completions)?api-version=..."""
        parts = request.url.path.split("/")
        if "api-version" not in request.url.params:
            return error(404, "404", "Resource not found")
        if len(parts) < 5 or parts[2] != "deployments" or "/".join(parts[4:]) not in ("embeddings", "chat/completions"):
            return error(404, "404", "Resource not found")
        if parts[3] not in self.deployments:
            return error(404, "DeploymentNotFound", f"The API deployment for this resource does not exist: {parts[3]}")
        return None

    @staticmethod
    def refuse_embeddings(body: dict, model: str) -> httpx.Response | None:
        """The embeddings API's own 400s: unknown fields, too many inputs, `dimensions` where the model has none."""
        unknown = set(body) - {"input", "model", "dimensions", "encoding_format", "user"}
        if unknown:
            return error(400, "BadRequest", f"Unrecognized request argument supplied: {sorted(unknown)[0]}")
        if isinstance(body["input"], list) and len(body["input"]) > 2048:
            return error(400, "BadRequest", "Too many inputs. The max number of inputs is 2048.")
        if "dimensions" in body and not model.startswith("text-embedding-3"):
            return error(400, "BadRequest", "This model does not support specifying dimensions.")
        return None

    def embeddings(self, body: dict) -> httpx.Response:
        vectors = stem_vectors(body["input"], self.dim) * self.scale
        data = [{"object": "embedding", "index": i, "embedding": v.tolist()} for i, v in enumerate(vectors)]
        data.reverse()  # the API does not promise order; the backend must sort by index
        return httpx.Response(200, json={"object": "list", "data": data, "model": body["model"],
                                         "usage": {"prompt_tokens": 1, "total_tokens": 1}})

    def chat(self, body: dict) -> httpx.Response:
        last = body["messages"][-1]["content"]
        if body["messages"][0]["content"].startswith("Rewrite"):
            words = [w for w in last.split() if w.isalpha()]
            return self.completion(" ".join(words[-4:]) + " DER tag")
        pieces = ANSWER if "two's complement" in last else [NOT_FOUND[:10], NOT_FOUND[10:]]
        if not body.get("stream"):
            return self.completion("".join(pieces))
        events = [{"id": "c", "object": "chat.completion.chunk", "created": 0, "model": body["model"], "choices": []}]
        events += [{"id": "c", "object": "chat.completion.chunk", "created": 0, "model": body["model"],
                    "choices": [{"index": 0, "delta": {"content": p}, "finish_reason": None}]} for p in pieces]
        stream = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=stream.encode())

    def completion(self, text: str) -> httpx.Response:
        return httpx.Response(200, json={
            "id": "c", "object": "chat.completion", "created": 0, "model": "m",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
        })


def error(status: int, code: str, message: str) -> httpx.Response:
    return httpx.Response(status, json={"error": {"code": code, "message": message, "param": None, "type": None}})


def unit_rows(matrix: np.ndarray) -> bool:
    return bool(np.allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=1e-3))
