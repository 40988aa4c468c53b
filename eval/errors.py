"""The evaluation's errors: part of the RagError family, so pages show them with st.error."""

from rag.errors import RagError


class EvalError(RagError):
    """A dataset, run or benchmark could not be used; the message says what to fix."""
