"""python -m rag ingest|ask|search|list|delete|chats — the engine from a terminal, or from other tools (--json)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from rag.answer import UNCITED
from rag.engine import Engine
from rag.errors import RagError
from rag.ingest.pipeline import OCR_STAGE
from rag.ingest.validate import EXTENSIONS
from rag.settings import get_settings
from rag.types import Answer, Hit, Principal, Turn

console = Console(stderr=True)
out = Console() if sys.stdout.isatty() else Console(width=200)  # pipes get whole names, not "shared-mime…"
SUFFIXES = set(EXTENSIONS)  # what ingest reads


def files_under(paths: list[str]) -> Iterator[Path]:
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
        else:
            yield path


def cmd_ingest(engine: Engine, principal: Principal, args) -> int:
    """Every file in one `ingest_many`: small files share embedding batches and index commits."""
    files, unreadable = list(files_under(args.paths)), {}
    if not files:
        console.print(f"No {', '.join(sorted(SUFFIXES))} files under {' '.join(args.paths)}.")
        return 1
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("ingesting", total=len(files))
        pages = bar.add_task("OCR", total=None, visible=False)  # a scan's pages, while OCR reads them

        def progress(stage: str, fraction: float) -> None:
            if stage.startswith(f"{OCR_STAGE} "):
                done, _, total = stage.split(" ", 1)[1].partition("/")
                bar.update(pages, completed=int(done), total=int(total), visible=True,
                           description=f"OCR {bar.tasks[task].description} (pages)")
            elif stage == "parsed":
                bar.update(pages, visible=False)

        def contents():
            for path in files:
                try:
                    data = path.read_bytes()
                except OSError as exc:
                    unreadable[path] = exc.strerror or str(exc)
                    bar.advance(task)
                    continue
                bar.update(task, description=path.name)
                yield path.name, data

        ingested = iter(engine.ingest_many(contents(), principal, args.collection,
                                           on_report=lambda position, report: bar.advance(task),
                                           progress=progress))
    reports = [{"name": str(path), "status": "rejected", "error": unreadable[path]} if path in unreadable
               else asdict(next(ingested)) for path in files]
    flush = getattr(engine.index, "flush", None)
    if flush:
        flush()
    table = Table("file", "status", "pages", "chunks", "seconds", "error")
    for r in reports:
        table.add_row(r["name"], r["status"], str(r.get("pages", 0)), str(r.get("chunks", 0)),
                      f"{r.get('seconds', 0):.2f}", r.get("error", ""))
    out.print(table)
    return 1 if any(r["status"] == "rejected" for r in reports) else 0


def hit_json(hit: Hit, rank: int) -> dict:
    c = hit.chunk
    return {"rank": rank, "chunk_id": c.chunk_id, "doc_id": c.doc_id, "title": c.title, "page": c.page,
            "start": c.start, "end": c.end, "text": c.text, "score": hit.score, "bm25_rank": hit.bm25_rank,
            "vector_rank": hit.vector_rank, "bm25_score": hit.bm25_score, "vector_score": hit.vector_score,
            "flags": list(hit.flags)}


def answer_json(answer: Answer) -> dict:
    return {"question": answer.question, "search_query": answer.search_query, "answer": answer.text,
            "abstained": answer.abstained, "uncited": answer.uncited, "unsupported": answer.unsupported,
            "confidence": answer.confidence, "emphasis": answer.emphasis, "reason": answer.reason,
            "related": [{"title": h.chunk.title, "page": h.chunk.page, "text": h.chunk.text} for h in answer.related],
            "citations": [asdict(c) for c in answer.citations],
            "hits": [hit_json(h, i) for i, h in enumerate(answer.hits, 1)],
            "retrieved": [hit_json(h, i) for i, h in enumerate(answer.retrieved, 1)]}


def batch_items(path: str) -> Iterator[tuple[str, str]]:
    for number, line in enumerate(Path(path).read_text().splitlines(), 1):
        if line.strip():
            item = json.loads(line)
            yield str(item.get("id", number)), item["question"]


def chat_history(engine: Engine, principal: Principal, conv_id: str) -> list[Turn]:
    """The turns sent with a question that continues a stored conversation (interrupted ones left out)."""
    turns = engine.conversation(conv_id, principal).turns
    return [t for turn in turns if not turn.answer.interrupted
            for t in (Turn("user", turn.question), Turn("assistant", turn.answer.text))]


def cmd_ask(engine: Engine, principal: Principal, args) -> int:
    """One question is kept as a conversation (a new one, or --chat ID continued); --batch keeps nothing."""
    items = batch_items(args.batch) if args.batch else [("1", args.question)]
    conv_id = getattr(args, "chat", None)
    history = chat_history(engine, principal, conv_id) if conv_id and not args.batch else []
    for item_id, question in items:
        stream = engine.ask(question, principal, history=history, k=args.k, mode=args.mode)
        if args.batch:
            print(json.dumps({"id": item_id, **answer_json(stream.complete())}), flush=True)
            continue
        if args.json:
            answer = stream.complete()
            conv_id, turn = keep_turn(engine, principal, conv_id, answer)
            print(json.dumps({"id": item_id, "conversation": conv_id, "turn": turn, **answer_json(answer)}), flush=True)
            continue
        try:
            for delta in stream:
                print(delta, end="", flush=True)
        finally:
            print()  # the error, if any, goes on its own line of standard error
        if stream.answer.uncited:
            print(UNCITED)
        for c in stream.answer.citations:
            print(f"[{c.n}] {c.title}, page {c.page}, characters {c.start}-{c.end}")
        for phrase in stream.answer.emphasis:
            print(f"answering phrase: {phrase}")
        if stream.answer.confidence is not None:
            print(f"confidence: {stream.answer.confidence:.0%}")
        if stream.answer.reason:
            print(f"why there is no answer: {stream.answer.reason}")
        for h in stream.answer.related if stream.answer.abstained else []:
            print(f"related (not an answer): {h.chunk.title}, page {h.chunk.page}: {' '.join(h.chunk.text.split())[:100]}")
        conv_id, turn = keep_turn(engine, principal, conv_id, stream.answer)
        console.print(f"conversation {conv_id}, turn {turn} (continue with --chat {conv_id})")
    return 0


def keep_turn(engine: Engine, principal: Principal, conv_id: str | None, answer: Answer) -> tuple[str, int]:
    conv_id = conv_id or engine.new_conversation(principal).conv_id
    return conv_id, engine.keep_turn(conv_id, principal, answer).n


def cmd_chats(engine: Engine, principal: Principal, args) -> int:
    """list (own, then shared with you), show ID, delete ID... or --all."""
    if args.action == "list":
        rows = [(c, "") for c in engine.conversations(principal, args.search or "")]
        rows += [(c, "shared") for c in engine.shared_conversations(principal)]
        if args.json:
            print(json.dumps([asdict(c) | {"read_only": bool(ro)} for c, ro in rows]))
            return 0
        table = Table("conversation", "title", "questions", "updated", "shared with")
        for c, ro in rows:
            table.add_row(c.conv_id, c.title, str(c.turns), c.updated_at[:19], c.shared_with + (" (read-only)" if ro else ""))
        out.print(table)
        return 0
    if args.action == "delete" and args.all:
        console.print(f"deleted {engine.delete_conversations(principal)} conversations")
        return 0
    if not args.ids:
        console.print(f"[red]error:[/red] chats {args.action} needs conversation ids" +
                      (" or --all" if args.action == "delete" else ""))
        return 2
    if args.action == "show":
        return show_chat(engine, principal, args)
    for conv_id in args.ids:
        engine.delete_conversation(conv_id, principal)
        console.print(f"deleted conversation {conv_id}")
    return 0


def show_chat(engine: Engine, principal: Principal, args) -> int:
    for conv_id in args.ids:
        conversation = engine.conversation(conv_id, principal)
        if args.json:
            print(json.dumps({"conversation": asdict(conversation.info), "read_only": conversation.read_only,
                              "turns": [{"n": t.n, "created_at": t.created_at, "feedback": t.feedback,
                                         **answer_json(t.answer)} for t in conversation.turns]}))
            continue
        gone = engine.missing_sources(conversation, principal)
        print(f"# {conversation.info.title}" + ("  (shared with you, read-only)" if conversation.read_only else ""))
        for t in conversation.turns:
            print(f"\n[{t.n}] Q: {t.question}\n    A: {t.answer.text}")
            for c in t.answer.citations:
                print(f"    [{c.n}] {c.title}, page {c.page}" + ("  (no longer available)" if c.doc_id in gone else ""))
    return 0


def cmd_search(engine: Engine, principal: Principal, args) -> int:
    items = batch_items(args.batch) if args.batch else [("1", args.query)]
    for item_id, query in items:
        hits = engine.search(query, principal, k=args.k, mode=args.mode)
        if args.json or args.batch:
            print(json.dumps({"id": item_id, "query": query, "hits": [hit_json(h, i) for i, h in enumerate(hits, 1)]}))
            continue
        table = Table("#", "document", "page", "bm25", "vector", "score", "text")
        for i, h in enumerate(hits, 1):
            table.add_row(str(i), h.chunk.title, str(h.chunk.page), str(h.bm25_rank or "-"),
                          str(h.vector_rank or "-"), f"{h.score:.4f}", " ".join(h.chunk.text.split())[:80])
        out.print(table)
    return 0


def cmd_list(engine: Engine, principal: Principal, args) -> int:
    docs = engine.documents(principal)
    if args.json:
        print(json.dumps([asdict(d) for d in docs]))
        return 0
    table = Table("doc id", "name", "type", "pages", "chunks", "size", "uploaded")
    for d in docs:
        table.add_row(d.doc_id, d.name, d.kind, str(d.pages), str(d.chunks), f"{d.size:,}", d.uploaded_at)
    out.print(table)
    return 0


def cmd_delete(engine: Engine, principal: Principal, args) -> int:
    for doc in args.docs:
        matches = [d.doc_id for d in engine.documents(principal) if doc in (d.doc_id, d.name)]
        deleted = engine.delete(matches[0] if matches else doc, principal)
        console.print(f"deleted {deleted.name} ({deleted.doc_id})")
    return 0


def audit_file(data_dir: Path) -> str:
    """A terminal wants its answer, not audit lines: keep them in the data folder when it is writable."""
    path = data_dir / "audit.jsonl"
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        path.open("a").close()
    except OSError:
        return ""  # standard error, and the command itself reports the unwritable folder
    return str(path)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m rag", description=__doc__)
    root.add_argument("--user", help="act as this user id (default: RAG_LOCAL_USER)")
    root.add_argument("--groups", default="", help="comma-separated groups of that user")
    sub = root.add_subparsers(dest="command", required=True)
    ingest = sub.add_parser("ingest", help="add files or folders to the library")
    ingest.add_argument("paths", nargs="+")
    ingest.add_argument("--collection", default="", help="share with this group instead of keeping private")
    for name, arg in (("ask", "question"), ("search", "query")):
        cmd = sub.add_parser(name, help=f"{name} the library")
        cmd.add_argument(arg, nargs="?")
        cmd.add_argument("--k", type=int, default=None)
        cmd.add_argument("--mode", choices=["hybrid", "bm25", "vector"], default="hybrid")
        cmd.add_argument("--json", action="store_true", help="machine-readable output")
        cmd.add_argument("--batch", help='JSONL file of {"id", "question"}: one JSON line out per line in')
    ask = sub.choices["ask"]
    ask.add_argument("--chat", metavar="ID", help="continue this stored conversation (`chats list` shows ids)")
    chats = sub.add_parser("chats", help="your stored conversations: list, show ID..., delete ID... | --all")
    chats.add_argument("action", choices=["list", "show", "delete"])
    chats.add_argument("ids", nargs="*", metavar="ID")
    chats.add_argument("--search", help="list: only conversations whose title or text holds this")
    chats.add_argument("--all", action="store_true", help="delete: every conversation of yours")
    chats.add_argument("--json", action="store_true", help="machine-readable output")
    sub.add_parser("list", help="list documents").add_argument("--json", action="store_true")
    sub.add_parser("delete", help="delete documents by id or name").add_argument("docs", nargs="+")
    return root


COMMANDS = {"ingest": cmd_ingest, "ask": cmd_ask, "search": cmd_search, "list": cmd_list, "delete": cmd_delete,
            "chats": cmd_chats}


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command in ("ask", "search") and not (args.batch or getattr(args, "question", None)
                                                   or getattr(args, "query", None)):
        parser().error(f"{args.command} needs a question or --batch FILE")
    settings = get_settings()
    if not settings.audit_log:
        settings = settings.model_copy(update={"audit_log": audit_file(settings.data_dir)})
    principal = Principal(args.user or settings.local_user, args.user or "",
                          tuple(g for g in args.groups.split(",") if g))
    try:
        return COMMANDS[args.command](Engine(settings), principal, args)
    except RagError as exc:
        console.print(f"[red]error:[/red] {exc}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
