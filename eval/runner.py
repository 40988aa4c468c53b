"""Run a dataset under several configurations side by side (retrieval mode, k, chunking, chat model).

A configuration that changes chunking gets its own scratch index: a second Engine over a scratch
data dir, into which the principal's originals are re-ingested. One that changes the chat model
shares the index and only swaps the chat backend."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from eval.answer_metrics import abstention_scores, grounding_scores, llm_scores, offline_scores
from eval.datasets import EvalItem
from eval.errors import EvalError
from eval.metrics import DEFAULT_KS, doc_aliases, judge, mean_scores, retrieval_scores
from eval.ragas_models import ragas_llm
from rag.answer import stream_answer
from rag.engine import Engine
from rag.errors import Refused
from rag.guard import sources_for
from rag.types import PRIVATE, Answer, Hit, Mode, Principal

Progress = Callable[[float, str], None]  # (fraction done, what is happening)


@dataclass(frozen=True)
class RunConfig:
    name: str
    mode: Mode = "hybrid"
    k: int = 6
    chunk_tokens: int | None = None  # None: the library's own index
    chunk_overlap: int | None = None
    chat: str | None = None  # None: the configured chat backend
    semantic: bool = False  # Azure AI Search semantic ranker (hybrid only)
    answers: bool = True  # also answer each question (retrieval-only runs are much faster)


PRESETS = {c.name: c for c in (
    RunConfig("hybrid"), RunConfig("bm25", mode="bm25"), RunConfig("vector", mode="vector"),
    RunConfig("hybrid, small chunks", chunk_tokens=120, chunk_overlap=24),
    RunConfig("hybrid, large chunks", chunk_tokens=254, chunk_overlap=50),
)}
AZURE_PRESETS = {"hybrid + semantic": RunConfig("hybrid + semantic", semantic=True)}


def presets(engine: Engine) -> dict[str, RunConfig]:
    return {**PRESETS, **(AZURE_PRESETS if engine.settings.index == "azure" else {})}


def scratch_engine(base: Engine, config: RunConfig, principal: Principal, scratch: Path) -> Engine:
    """A local index re-chunked as `config` says, holding the principal's originals."""
    tokens = config.chunk_tokens or base.settings.chunk_tokens
    overlap = base.settings.chunk_overlap if config.chunk_overlap is None else config.chunk_overlap
    settings = base.settings.model_copy(update={
        "data_dir": scratch / f"chunks-{tokens}-{overlap}", "chunk_tokens": tokens, "chunk_overlap": overlap,
        "index": "local", "blobs": "local"})
    engine = Engine(settings, embedder=base.embedder, chat=base.chat if config.chat is None else None)
    for document in base.documents(principal):
        report = engine.ingest(document.name, base.original(document.doc_id, principal), principal, PRIVATE)
        if report.status == "rejected":
            raise EvalError(f"Re-chunking {document.name} failed: {report.error}")
    return engine


def engine_for(base: Engine, config: RunConfig, principal: Principal, scratch: Path) -> Engine:
    if config.chunk_tokens is not None or config.chunk_overlap is not None:
        engine = scratch_engine(base, config, principal, scratch)
    else:
        engine = Engine(base.settings, embedder=base.embedder, index=base.index, blobs=base.blobs,
                        chat=base.chat if config.chat is None else None)
    if config.chat is not None or config.semantic:
        update = {"chat": config.chat or engine.settings.chat, "azure_semantic": config.semantic}
        engine.settings = engine.settings.model_copy(update=update)
    return engine


def answer(engine: Engine, question: str, hits: list[Hit]) -> Answer:
    """Engine.ask after retrieval, quarantine and content screen included, so a run measures what users
    get; without the per-user rate limit, which a dataset run would trip. Refused if the screen refuses."""
    sources = sources_for(question, hits, engine.settings, engine.content_safety)
    return stream_answer(engine.chat, question, question, sources, [], embedder=engine.embedder,
                         retrieved=hits).complete()


def hit_view(hit: Hit, unit: str) -> dict:
    c = hit.chunk
    return {"chunk_id": c.chunk_id, "doc_id": c.doc_id, "title": c.title, "page": c.page, "text": c.text,
            "relevant": unit.startswith("ref"), "bm25_rank": hit.bm25_rank, "vector_rank": hit.vector_rank}


def evaluate_item(engine: Engine, config: RunConfig, item: EvalItem, principal: Principal, aliases: dict) -> dict:
    hits = engine.search(item.question, principal, k=config.k, mode=config.mode)
    units = judge(item, [h.chunk for h in hits], aliases)
    contexts = [h.chunk.text for h in hits]
    row = {"config": config.name, "id": item.id, "question": item.question, "answerable": item.answerable,
           "synthetic": item.synthetic, "reference_answer": item.reference_answer,
           "expected": [asdict(c) for c in item.reference_contexts],
           "retrieved": [hit_view(h, u) for h, u in zip(hits, units, strict=True)]}
    if item.answerable and item.reference_contexts:
        ks = sorted({1, *(k for k in DEFAULT_KS if k <= config.k), config.k})
        row.update(retrieval_scores({item.id: units}, {item.id: len(item.reference_contexts)}, ks)[item.id])
    try:
        result = answer(engine, item.question, hits) if config.answers else None
    except Refused as exc:  # Azure AI Content Safety refused the question: no answer to score
        result, row["refused"] = None, str(exc)
    row.update(offline_scores(item, result, units, contexts))
    if result is not None:
        row.update({"answer": result.text, "abstained": result.abstained, "unsupported_sentences": result.unsupported,
                    **grounding_scores(result, engine.embedder), **abstention_scores(item, result)})
        llm = ragas_llm(engine.chat)
        if llm is not None:
            row.update(llm_scores(item, result, contexts, llm, engine.embedder))
    return row


def aliases_for(base: Engine, engine: Engine, principal: Principal) -> dict[str, str]:
    """Names and the library's doc ids -> this engine's doc ids (a scratch index has its own)."""
    aliases = doc_aliases(engine.documents(principal))
    for document in base.documents(principal):
        aliases.setdefault(document.doc_id, aliases.get(document.name, document.doc_id))
    return aliases


def run_dataset(base: Engine, principal: Principal, items: Sequence[EvalItem], configs: Sequence[RunConfig],
                dataset: str = "", progress: Progress | None = None) -> dict:
    """Every item under every configuration; returns the run record that runs.save_run stores."""
    if not items or not configs:
        raise EvalError("Choose a dataset with at least one question and at least one configuration.")
    progress = progress or (lambda fraction, message: None)
    scratch = base.settings.data_dir / "eval" / "scratch"
    rows, total = [], len(items) * len(configs)
    for c, config in enumerate(configs):
        progress(c * len(items) / total, f"preparing {config.name}")
        engine = engine_for(base, config, principal, scratch)
        aliases = aliases_for(base, engine, principal)
        for i, item in enumerate(items):
            progress((c * len(items) + i) / total, f"{config.name}: {item.id}")
            rows.append(evaluate_item(engine, config, item, principal, aliases))
    progress(1.0, "done")
    return {"run_id": datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6],
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"), "dataset": dataset,
            "items": len(items), "configs": [asdict(c) for c in configs], "rows": rows, "summary": summarize(rows)}


def summarize(rows: Sequence[dict]) -> dict[str, dict[str, float]]:
    """Per configuration, the mean of every numeric metric over the questions that have it."""
    out: dict[str, dict[str, float]] = {}
    for config in dict.fromkeys(r["config"] for r in rows):
        mine = [r for r in rows if r["config"] == config]
        names = dict.fromkeys(k for r in mine for k, v in r.items()
                              if isinstance(v, int | float) and not isinstance(v, bool) and v is not None)
        out[config] = {n: mean_scores({str(i): {n: r[n]} for i, r in enumerate(mine) if r.get(n) is not None}).get(n)
                       for n in names}
        out[config]["questions"] = len(mine)
    return out
