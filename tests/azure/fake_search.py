"""A small Azure AI Search service behind an azure-core transport: it stores what is uploaded,
evaluates the subset of OData the backend sends, and answers searches shaped like the REST API
(2026-04-01): BM25-ish text scoring, cosine vector search, RRF hybrid with `debug=vector` subscores,
semantic captions, $count, $top/$skip, $select, $orderby.

Strict where the service is: the exact paths and api-version; an index definition gets the REST
defaults for every attribute it leaves out (an Edm.String is then searchable, filterable, sortable
and facetable); text is matched in the searchable fields (or `searchFields`); filters, $orderby,
$select and `searchFields` must name fields with that attribute; unknown body fields, `skip` over
100,000 and values over 32,766 bytes in filterable/sortable/facetable fields are the service's 400s;
`semantic_error` answers semantic queries the way a service whose ranker refuses does.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any

import numpy as np

from tests.azure.fake_transport import Call, FakeTransport

WORD = re.compile(r"\w+")
PHRASE = re.compile(r'"([^"]*)"')


def has_phrase(tokens: list[str], phrase: list[str]) -> bool:
    return any(tokens[i:i + len(phrase)] == phrase for i in range(len(tokens) - len(phrase) + 1))
TOKEN = re.compile(r"\s*(search\.in\(|\(|\)|,|'(?:[^']|'')*'|\w+)")
API_VERSION = "2026-04-01"
MAX_SKIP = 100_000
MAX_TERM_BYTES = 32_766
SEARCH_BODY = {"count", "facets", "filter", "highlight", "highlightPostTag", "highlightPreTag", "minimumCoverage",
               "orderby", "queryType", "scoringStatistics", "sessionId", "scoringParameters", "scoringProfile", "debug",
               "search", "searchFields", "searchMode", "queryLanguage", "speller", "select", "skip", "top",
               "semanticConfiguration", "semanticErrorHandling", "semanticMaxWaitInMilliseconds", "semanticQuery",
               "answers", "captions", "queryRewrites", "semanticFields", "vectorQueries", "vectorFilterMode",
               "hybridSearch"}
# How a service answers a semantic query it will not rank: the plan switched off (the documented
# FeatureNotSupportedInService 400), the free plan's 1,000 queries a month spent, a transient failure.
SEMANTIC_ERRORS = {
    "plan": (400, {"error": {"code": "FeatureNotSupportedInService",
                             "message": "Semantic search is not enabled for this service.\r\nParameter name: queryType"}}),
    "quota": (400, {"error": {"code": "", "message": "You have exceeded the free semantic ranker quota of 1000 "
                              "queries for this month. Upgrade to the standard plan to continue."}}),
    "transient": (503, {"error": {"code": "ServiceUnavailable", "message": "The semantic ranker is unavailable."}}),
}


def bad_request(message: str, code: str = "InvalidRequestParameter"):
    return 400, {}, {"error": {"code": code, "message": message}}


def with_defaults(field: dict) -> dict:
    """A field as the service stores it: every attribute left out takes its REST default."""
    simple = not field["type"].startswith("Collection(Edm.Single)")
    string = field["type"] in ("Edm.String", "Collection(Edm.String)")
    defaults = {"key": False, "retrievable": True, "searchable": string, "filterable": simple,
                "sortable": simple and not field["type"].startswith("Collection"), "facetable": simple}
    return {**defaults, **{k: v for k, v in field.items() if v is not None}}


class ODataFilter:
    """field eq 'v' | search.in(field, 'a,b', ',') | and | or | (...) — what the backend generates."""

    def __init__(self, text: str):
        self.tokens = TOKEN.findall(text)
        self.pos = 0
        self.fields: set[str] = set()
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
            self.fields.add(field)
            return ("in", field, set(values.split(delimiter)))
        op = self.take()
        assert op in ("eq", "gt"), f"unsupported operator {op!r}"
        self.fields.add(token)
        return (op, token, unquote(self.take()))

    def __call__(self, record: dict[str, Any], node=None) -> bool:
        op, a, b = node or self.tree
        if op == "and":
            return self(record, a) and self(record, b)
        if op == "or":
            return self(record, a) or self(record, b)
        if op == "in":
            return record.get(a) in b
        if op == "gt":
            return record.get(a) is not None and record.get(a) > b
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
        self.semantic_error: str | None = None  # a key of SEMANTIC_ERRORS: how semantic queries are refused
        self.max_skip = MAX_SKIP  # tests lower it (with the backend's PAGE) to reach the limit with few records
        self.transport = FakeTransport(self.handle)

    def bodies(self, suffix: str) -> list[dict]:
        return [c.json for c in self.transport.calls if c.path.endswith(suffix)]

    def fields(self, attribute: str) -> set[str]:
        return {f["name"] for f in (self.definition or {}).get("fields", []) if f.get(attribute)}

    def handle(self, call: Call):
        if self.throttle:
            return 429, self.throttle.pop(0), {"error": {"code": "Throttled", "message": "slow down"}}
        assert call.headers.get("Authorization", "").startswith("Bearer "), "requests must carry an Entra token"
        if call.query.get("api-version") != API_VERSION:
            return bad_request(f"Invalid or missing api-version {call.query.get('api-version')!r}.")
        index_path = f"/indexes('{self.index_name}')"
        if call.path == index_path and call.method == "GET":
            return (200, {}, self.definition) if self.definition else (404, {}, {"error": {"code": "", "message": "No index"}})
        if call.path == index_path and call.method == "PUT":
            self.definition = {**call.json, "fields": [with_defaults(f) for f in call.json["fields"]]}
            return 201, {}, self.definition
        if self.definition is None and call.path.startswith(index_path + "/docs"):
            return 404, {}, {"error": {"code": "", "message": f"The index '{self.index_name}' was not found."}}
        if call.path == index_path + "/docs/search.index":
            return self.index(call.json["value"])
        if call.path == index_path + "/docs/search.post.search":
            refused = self.refuse_search(call.json)
            return refused or (200, {}, self.search(call.json))
        return 404, {}, {"error": {"code": "", "message": f"No route {call.method} {call.path}"}}

    def refuse_search(self, body: dict):
        """The 400s the service gives a query, checked against the stored index definition."""
        unknown = set(body) - SEARCH_BODY
        if unknown:
            return bad_request(f"The request is invalid. Unknown parameter(s): {sorted(unknown)}", "")
        if (body.get("skip") or 0) > self.max_skip:
            return bad_request(f"Value must be between 0 and {self.max_skip}.\r\nParameter name: $skip")
        used = [("filterable", ODataFilter(body["filter"]).fields if body.get("filter") else set()),
                ("sortable", {o.split()[0] for o in (body.get("orderby") or "").split(",") if o.strip()}),
                ("searchable", set((body.get("searchFields") or "").split(",")) - {""}),
                ("retrievable", set((body.get("select") or "").split(",")) - {""})]
        for attribute, names in used:
            wrong = names - self.fields(attribute)
            if wrong:
                return bad_request(f"Invalid expression: '{sorted(wrong)[0]}' is not a {attribute} field.")
        if body.get("queryType") == "semantic":
            if self.semantic_error:
                status, error = SEMANTIC_ERRORS[self.semantic_error]
                return status, {}, error
            names = [c["name"] for c in (self.definition.get("semantic") or {}).get("configurations", [])]
            if body.get("semanticConfiguration") not in names:
                return bad_request(f"Unknown semantic configuration '{body.get('semanticConfiguration')}'.")
        return None

    def index(self, actions: list[dict]):
        if len(actions) > 1000:
            return bad_request("The request is invalid: a batch holds at most 1000 actions.", "")
        capped = self.fields("filterable") | self.fields("sortable") | self.fields("facetable")
        results = []
        for action in actions:
            key = action["id"]
            if self.failing_keys.get(key, 0) > 0:
                self.failing_keys[key] -= 1
                results.append({"key": key, "status": False, "errorMessage": "Service busy", "statusCode": 503})
                continue
            too_big = [f for f in capped if isinstance(action.get(f), str) and len(action[f].encode()) > MAX_TERM_BYTES]
            if too_big and action["@search.action"] != "delete":
                results.append({"key": key, "status": False, "statusCode": 400, "errorMessage":
                                f"Field '{too_big[0]}' contains a term that is too large to process. The max length "
                                f"for UTF-8 encoded terms is {MAX_TERM_BYTES} bytes."})
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
        searched = (body.get("searchFields") or "").split(",") if body.get("searchFields") else sorted(
            self.fields("searchable") - {"vector"})
        text = self.text_scores(pool, body.get("search"), searched)
        vectors = self.vector_scores(pool, body.get("vectorQueries") or [])
        results = self.fuse(pool, text, vectors, body)
        if body.get("orderby"):
            field, _, direction = body["orderby"].partition(" ")
            results.sort(key=lambda pair: pair[0].get(field) or "", reverse=direction.strip() == "desc")
        skip, top = body.get("skip") or 0, body.get("top", 50)
        out: dict[str, Any] = {"value": [self.shape(d, s, text, vectors, body) for d, s in results[skip : skip + top]]}
        if body.get("count"):
            out["@odata.count"] = len(results)
        return out

    def text_scores(self, pool: list[dict], search: str | None, searched: list[str]) -> dict[str, float] | None:
        if not search or search == "*":
            return None
        # simple query syntax: a quoted phrase matches only where its words stand together, other words anywhere
        phrases = [[t.lower() for t in WORD.findall(p)] for p in PHRASE.findall(search)]
        terms = [t.lower() for t in WORD.findall(PHRASE.sub(" ", search))]
        tokens = {d["id"]: [w.lower() for w in WORD.findall(" ".join(str(d.get(f) or "") for f in searched))]
                  for d in pool}
        docs = {key: Counter(words) for key, words in tokens.items()}
        scores = {}
        for key, counts in docs.items():
            matched = terms + [t for p in phrases if p and has_phrase(tokens[key], p) for t in p]
            score = sum(math.log(1 + counts[t]) * math.log(1 + len(docs) / sum(1 for c in docs.values() if c[t]))
                        for t in matched if counts[t])
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
