"""Backend name -> class, imported only when chosen, so `RAG_INDEX=local` never imports an Azure SDK."""

from __future__ import annotations

import importlib
from typing import Any

from rag.errors import ConfigError
from rag.settings import Settings

# seam -> name -> "module:Class"; adding a backend is one line here
BACKENDS: dict[str, dict[str, str]] = {
    "embedder": {
        "local": "rag.backends.local.embedder:LocalEmbedder",
        "azure": "rag.backends.azure.openai:AzureOpenAIEmbedder",
        "openai": "rag.backends.openai_compat:OpenAIEmbedder",
    },
    "index": {
        "local": "rag.backends.local.index:LocalHybridIndex",
        "azure": "rag.backends.azure.search:AzureSearchIndex",
    },
    "blobs": {
        "local": "rag.backends.local.blobs:FilesystemBlobStore",
        "azure": "rag.backends.azure.blobs:AzureBlobStore",
    },
    "chat": {
        "extractive": "rag.backends.local.extractive:ExtractiveChatModel",
        "openai": "rag.backends.openai_compat:OpenAIChatModel",
        "azure": "rag.backends.azure.openai:AzureOpenAIChatModel",
        "scripted": "rag.backends.scripted:ScriptedChatModel",
    },
    "store": {
        "local": "rag.store.sqlite:SqliteStore",
        "azure": "rag.store.tables:AzureTableStore",
    },
    "parser": {  # of PDFs and images; "local" is a parser per kind (rag.ingest.pipeline.parsers builds it)
        "local": "rag.ingest.pipeline:local_parsers",
        "azure": "rag.backends.azure.docintel:AzureDocumentParser",
    },
    "secrets": {
        "env": "rag.backends.local.secrets:EnvSecretStore",
        "keyvault": "rag.backends.azure.keyvault:KeyVaultSecretStore",
    },
    "screen": {  # chosen by rag.guard.content_screen: `azure` when RAG_CONTENT_SAFETY_ENDPOINT is set
        "azure": "rag.backends.azure.content_safety:AzureContentSafety",
    },
}


def backend_class(seam: str, name: str) -> type:
    choices = BACKENDS[seam]
    if name not in choices:
        raise ConfigError(
            f"RAG_{seam.upper()}={name!r} is not a known {seam} backend; choose one of: {', '.join(sorted(choices))}."
        )
    module_name, class_name = choices[name].split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(
            f"RAG_{seam.upper()}={name} needs a package that is not installed ({exc.name}); "
            "install it with `pip install -r requirements.txt`."
        ) from exc
    return getattr(module, class_name)


def create(seam: str, settings: Settings, **deps: Any) -> Any:
    """Build the configured backend of `seam`; backends take the settings plus named collaborators."""
    name = getattr(settings, seam)
    return backend_class(seam, name)(settings, **deps)
