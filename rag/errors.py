"""The one family of errors the engine raises. Pages catch `RagError` and show its message."""


class RagError(Exception):
    """Base class: the message is written for the person using DocChat and says what to do."""


class ConfigError(RagError):
    """A setting is missing or invalid; the message names the variable and the valid choices."""


class InvalidDocument(RagError):
    """An upload was rejected: empty, too large, wrong type, encrypted, scanned, corrupt..."""


class BackendUnavailable(RagError):
    """A backend (index, model, storage) could not be reached or refused after retries."""


class NotFound(RagError):
    """The thing asked for does not exist, or is outside the principal's scope."""


class Forbidden(RagError):
    """The principal may see the thing but not do this to it (e.g. delete a shared document)."""


class RateLimited(RagError):
    """Too many requests; `retry_after` says how many seconds to wait."""

    def __init__(self, message: str, retry_after: float):
        super().__init__(message)
        self.retry_after = retry_after


class Refused(RagError):
    """A question was refused by the guard (too long, prompt injection...)."""
