"""OpenTelemetry spans for the ingest and answer stages.

Only opentelemetry-api is imported here: with no SDK configured its tracer is a no-op. When an
Azure Monitor connection string is set, `configure` installs the Azure Monitor distro (imported
only then) and the same spans are exported to Application Insights.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry import trace

from rag.errors import ConfigError
from rag.settings import Settings

TRACER_NAME = "docchat.rag"
_configured = False
_lock = threading.Lock()


def tracer() -> trace.Tracer:
    # looked up per call, so a provider installed after import (tests, Azure Monitor) is used
    return trace.get_tracer(TRACER_NAME)


@contextmanager
def span(name: str, **attributes: Any) -> Iterator[trace.Span]:
    """A span around a stage; exceptions are recorded on it and re-raised."""
    clean = {k: v for k, v in attributes.items() if v is not None}
    with tracer().start_as_current_span(name, attributes=clean) as current:
        yield current


def start_span(name: str, **attributes: Any) -> trace.Span:
    """A span that is ended later by the caller (a streamed answer is consumed after ask returns)."""
    return tracer().start_span(name, attributes={k: v for k, v in attributes.items() if v is not None})


def configure(settings: Settings) -> bool:
    """Export spans to Azure Monitor when its connection string is set; True if that happened."""
    global _configured
    connection = settings.applicationinsights_connection_string.get_secret_value()
    if not connection:
        return False
    with _lock:
        if _configured:
            return True
        try:
            from azure.monitor.opentelemetry import configure_azure_monitor
        except ImportError as exc:
            raise ConfigError(
                "APPLICATIONINSIGHTS_CONNECTION_STRING is set but azure-monitor-opentelemetry is not installed; "
                "install it with `pip install -r requirements/security.txt` or unset the variable."
            ) from exc
        configure_azure_monitor(connection_string=connection)
        _configured = True
    return True
