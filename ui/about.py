"""Rows for the Settings/About page."""

from __future__ import annotations

import rag
from rag import registry
from rag.engine import Engine
from rag.settings import Settings
from rag.types import Principal

MODEL_SETTINGS = {  # which setting names the model of each non-local backend
    "embedder": {"azure": "azure_openai_embedding_deployment", "openai": "openai_embedding_model"},
    "chat": {"azure": "azure_openai_chat_deployment", "openai": "openai_model"},
}


def model_name(settings: Settings, seam: str) -> str:
    backend = getattr(settings, seam)
    if field := MODEL_SETTINGS.get(seam, {}).get(backend):
        return str(getattr(settings, field))
    if seam in MODEL_SETTINGS:  # built-in models name themselves on the class
        return str(getattr(registry.backend_class(seam, backend), "name", ""))
    return ""


def backend_rows(settings: Settings) -> list[dict]:
    """Backend and model of every seam, straight from the settings (nothing is loaded)."""
    return [{"seam": seam, "backend": getattr(settings, seam), "model": model_name(settings, seam)}
            for seam in ("embedder", "index", "blobs", "chat", "secrets", "store")]


def status_rows(engine: Engine, principal: Principal) -> list[dict]:
    settings = engine.settings
    facts = {
        "version": rag.__version__,
        "sign-in": settings.auth_mode,
        "data dir": str(settings.data_dir.resolve()),
        "documents you can see": str(len(engine.documents(principal))),
        "index size (passages, all users)": str(engine.index.count()),
        "largest upload": f"{settings.max_upload_mb:g} MB",
    }
    return [{"setting": k, "value": v} for k, v in facts.items()]
