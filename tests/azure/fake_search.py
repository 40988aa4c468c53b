"""A small Azure AI Search service behind an azure-core transport: it stores what is uploaded,
evaluates the subset of OData the backend sends, and answers searches shaped like the REST API
(2026-04-01): BM25-ish text scoring, cosine vector search, RRF hybrid with `debug=vector` subscores,
semantic captions, $count, $top/$skip, $select.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any

import numpy as np

from tests.azure.fake_transport import Call, FakeTransport

WORD = re.compile(r"\w+")
TOKEN = re.compile(r"\s*(search\.in\(|\(|\)|,|'(?:[^']|'')*'|\w+)")


class ODataFilter:
    """field eq 'v' | search.in(field, 'a,b', ',') | and | or | (...) — what the backend generates."""

    def __init__(self, text: str):
        self.tokens = TOKEN.findall(text)
        self.pos = 0
        self.tree = self.expr()
        assert self.pos == len(self.tokens), f"unparsed filter tail in {text!r}"

    def take(self, expected: str | None = None) -> str:
        token = self.tokens[self.pos]
        assert expected is None or token == expected, f"expected {expected!r}, got {token!r}"
        self.pos += 1
        return token

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def expr(self):
        left = self.term()
        while self.peek() == "or":
            self.take()
            left = ("or", left, self.term())
        return left

    def term(self):
        left = self.atom()
        while self.peek() == "and":
            self.take()
            left = ("and", left, self.atom())
        return left

    def atom(self):
        token = self.take()
        if token == "(":
            inner = self.expr()
            self.take(")")
            return inner
        if token == "search.in(":
            field = self.take()
            self.take(",")
            values = unquote(self.take())
            self.take(",")
            delimiter = unquote(self.take())
            self.take(")")
            return ("in", field, set(values.split(delimiter)))
        self.take("eq")
        return ("eq", token, unquote(self.take()))

    def __call__(self, record: dict[str, Any], node=None) -> bool:
        op, a, b = node or self.tree
        if op == "and":
            return self(record, a) and self(record, b)
        if op == "or":
            return self(record, a) or self(record, b)
        if op == "in":
            return record.get(a) in b
        return record.get(a) == b


def unquote(token: str) -> str:
    assert token.startswith("'") and token.endswith("'"), token
    return token[1:-1].replace("''", "'")


class FakeSearchService:
    def __init__(self, index: str = "docchat"):
        self.index_name = index
        self.definition: dict | None = None
        self.docs: dict[str, dict[str, Any]] = {}
        self.throttle: list[dict[str, str]] = []  # headers of 429s served before the next request
        self.failing_keys: dict[str, int] = {}  # key -> how many more times its indexing fails (503)
        self.transport = FakeTransport(self.handle)

    def bodies(self, suffix: str) -> list[dict]:
        return [c.json for c in self.transport.calls if c.path.endswith(suffix)]

    def handle(self, call: Call):
        if self.throttle:
            return 429, self.throttle.pop(0), {"error": {"code": "Throttled", "message": "slow down"}}
        assert call.headers.get("Authorization", "").startswith("Bearer "), "requests must carry an Entra token"
        index_path = f"/indexes('{self.index_name}')"
        if call.path == index_path and call.method == "GET":
            return (200, {}, self.definition) if self.definition else (404, {}, {"error": {"code": "", "message": "No index"}})
        if call.path == index_path and call.method == "PUT":
            self.definition = call.json
            return 201, {}, call.json
        if call.path == index_path + "/docs/search.index":
            return self.index(call.json["value"])
        if call.path == index_path + "/docs/search.post.search":
            return 200, {}, self.search(call.json)
        raise AssertionError(f"unexpected request {call.method} {call.path}")

    def index(self, actions: list[dict]):
        assert len(actions) <= 1000, "a batch holds at most 1000 actions"
        results = []
        for action in actions:
            key = action["id"]
            if self.failing_keys.get(key, 0) > 0:
                self.failing_keys[key] -= 1
                results.append({"key": key, "status": False, "errorMessage": "Service busy", "statusCode": 503})
                continue
            if action["@search.action"] == "delete":
                self.docs.pop(key, None)
            else:
                self.docs[key] = {k: v for k, v in action.items() if k != "@search.action"}
            results.append({"key": key, "status": True, "errorMessage": None, "statusCode": 200})
        status = 207 if any(not r["status"] for r in results) else 200
        return status, {}, {"value": results}

    def search(self, body: dict) -> dict:
        keep = ODataFilter(body["filter"]) if body.get("filter") else (lambda r: True)
        pool = [d for d in self.docs.values() if keep(d)]
        text = self.text_scores(pool, body.get("search"))
        vectors = self.vector_scores(pool, body.get("vectorQueries") or [])
        results = self.fuse(pool, text, vectors, body)
        skip, top = body.get("skip") or 0, body.get("top", 50)
        out: dict[str, Any] = {"value": [self.shape(d, s, text, vectors, body) for d, s in results[skip : skip + top]]}
        if body.get("count"):
            out["@odata.count"] = len(results)
        return out

    def text_scores(self, pool: list[dict], search: str | None) -> dict[str, float] | None:
        if not search or search == "*":
            return None
        terms = [t.lower() for t in WORD.findall(search)]
        docs = {d["id"]: Counter(w.lower() for w in WORD.findall(f"{d.get('title', '')} {d.get('content', '')}"))
                for d in pool}
        scores = {}
        for key, counts in docs.items():
            score = sum(math.log(1 + counts[t]) * math.log(1 + len(docs) / sum(1 for c in docs.values() if c[t]))
                        for t in terms if counts[t])
            if score > 0:
                scores[key] = score
        return scores

    def vector_scores(self, pool: list[dict], queries: list[dict]) -> dict[str, float] | None:
        if not queries:
            return None
        query = queries[0]
        assert query["kind"] == "vector" and query["fields"] == "vector"
        q = np.asarray(query["vector"], dtype=np.float32)
        sims = {d["id"]: float(np.dot(q, d["vector"]) / (np.linalg.norm(q) * np.linalg.norm(d["vector"]) or 1))
                for d in pool if d.get("vector")}
        best = sorted(sims, key=lambda k: -sims[k])[: query["k"]]
        return {k: 1 / (2 - sims[k]) for k in best}  # the service's cosine score: 1 / (1 + distance)

    def fuse(self, pool, text, vectors, body) -> list[tuple[dict, float]]:
        by_id = {d["id"]: d for d in pool}
        if text is None and vectors is None:
            return [(d, 1.0) for d in pool]
        lists = [s for s in (text, vectors) if s is not None]
        if len(lists) == 1:
            only = lists[0]
            return [(by_id[k], only[k]) for k in sorted(only, key=lambda k: -only[k])]
        fused: dict[str, float] = {}
        for scores in lists:
            for rank, key in enumerate(sorted(scores, key=lambda k: -scores[k]), start=1):
                fused[key] = fused.get(key, 0.0) + 1 / (60 + rank)
        return [(by_id[k], fused[k]) for k in sorted(fused, key=lambda k: -fused[k])]

    def shape(self, doc, score, text, vectors, body) -> dict:
        fields = body["select"].split(",") if body.get("select") else [k for k in doc if k != "vector"]
        out = {f: doc.get(f) for f in fields}
        out["@search.score"] = score
        if body.get("queryType") == "semantic":
            out["@search.rerankerScore"] = 4 * score
            out["@search.captions"] = [{"text": doc.get("content", "").split(".")[0], "highlights": None}]
        if body.get("debug") == "vector" and text is not None and vectors is not None:
            subscores: dict[str, Any] = {"vectors": []}
            if doc["id"] in text:
                subscores["text"] = {"searchScore": text[doc["id"]]}
            if doc["id"] in vectors:
                subscores["vectors"] = [{"vector": {"searchScore": vectors[doc["id"]], "vectorSimilarity": 0.0}}]
            out["@search.documentDebugInfo"] = {"vectors": {"subscores": subscores}}
        return out
