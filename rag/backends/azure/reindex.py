"""Rebuild an Azure AI Search index from the originals in blob storage.

Field attributes of an index cannot change in place, so a schema change means a new index:
    RAG_AZURE_SEARCH_INDEX=docchat-v2 RAG_AZURE_SEARCH_MANAGE_INDEX=true \\
        python -m rag.backends.azure.reindex --from docchat
reads every document record of the old index, fetches each original from the blob store and ingests
it again, as its owner and into its collection, into the index RAG_AZURE_SEARCH_INDEX names (created
with the current schema). The old index is only read. Re-running is safe: documents already in the
new index are replaced with the same content.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from rag.backends.azure.search import AzureSearchIndex
from rag.backends.azure.search_schema import DOCUMENT_FIELDS, document_from
from rag.engine import Engine
from rag.errors import ConfigError, RagError
from rag.ingest.pipeline import original_key
from rag.settings import Settings, get_settings
from rag.types import Principal


def reindex(old: AzureSearchIndex, engine: Engine, say: Callable[[str], None] = print) -> int:
    """Ingest every document of `old` again through `engine`; the number that failed."""
    documents = sorted((document_from(r) for r in old._select("kind eq 'document'", DOCUMENT_FIELDS)),
                       key=lambda d: d.doc_id)
    failed = 0
    for n, document in enumerate(documents, start=1):
        where = f"[{n}/{len(documents)}] {document.name} (owner {document.owner})"
        try:
            data = engine.blobs.get(original_key(document))
            owner = Principal(document.owner, groups=(document.collection,) if document.collection else ())
            report = engine.ingest(document.name, data, owner, document.collection)
        except RagError as exc:
            failed += 1
            say(f"{where}: FAILED: {exc}")
            continue
        if report.status == "rejected":
            failed += 1
        say(f"{where}: {report.status}, {report.chunks} chunks" + (f": {report.error}" if report.error else ""))
    target = getattr(engine.index, "name", engine.settings.azure_search_index)
    say(f"{len(documents) - failed} of {len(documents)} documents re-indexed into {target!r}.")
    return failed


def source_index(settings: Settings, name: str) -> AzureSearchIndex:
    if settings.index != "azure":
        raise ConfigError("reindex needs RAG_INDEX=azure.")
    if name == settings.azure_search_index:
        raise ConfigError(f"--from {name} is RAG_AZURE_SEARCH_INDEX too; set RAG_AZURE_SEARCH_INDEX to the new index.")
    return AzureSearchIndex(settings.model_copy(update={"azure_search_index": name, "azure_search_manage_index": False}),
                            dim=settings.azure_openai_embedding_dimensions)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rag.backends.azure.reindex", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from", dest="source", required=True, help="the index to read the document list from")
    args = parser.parse_args(argv)
    settings = get_settings()
    try:
        failed = reindex(source_index(settings, args.source), Engine(settings))
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
