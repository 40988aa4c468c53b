"""Typed session state: the pages read and write these accessors, never raw string keys."""

from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st

from rag.store.model import Conversation
from rag.types import Answer, IngestReport, Principal, Turn

_KEY = "docchat"


@dataclass(frozen=True)
class Exchange:
    question: str
    answer: Answer
    turn: int = 0  # its number in the stored conversation; 0: not stored (the store failed)


@dataclass(frozen=True)
class SourceRef:
    """A citation chosen for the source view: answer `exchange` of the conversation, source `n`."""

    exchange: int
    n: int


@dataclass
class UiState:
    principal: Principal | None = None
    exchanges: list[Exchange] = field(default_factory=list)
    source: SourceRef | None = None
    conversation: int = 0  # bumped by "New chat" so its widgets start fresh
    conv_id: str = ""  # the stored conversation on screen; "" until its first question
    read_only: bool = False  # shared with the user through a group: no questions, no feedback
    missing: dict[str, str] = field(default_factory=dict)  # doc_id -> title of cited documents the user cannot open
    confirm_chat_delete: str = ""  # conv id (or ALL) waiting for confirmation
    ingested: dict[str, IngestReport] = field(default_factory=dict)  # uploaded file id -> report
    confirm_delete: str = ""  # doc id waiting for confirmation
    notice: str = ""  # a message for the next run (e.g. after st.rerun)
    routed: bool = False  # app.py ran before the page in this run (see ui/router.py)
    ran_direct: bool = False  # a page once ran without app.py in this session


def state() -> UiState:
    if _KEY not in st.session_state:
        st.session_state[_KEY] = UiState()
    return st.session_state[_KEY]


# --- identity
def set_principal(principal: Principal) -> None:
    state().principal = principal


def principal() -> Principal:
    current = state().principal
    if current is None:  # pages run only through app.py, which sets it first
        raise RuntimeError("No principal: start DocChat with `streamlit run app.py`.")
    return current


def mark_routed() -> None:
    state().routed = True


def take_routed() -> bool:
    routed, state().routed = state().routed, False
    return routed


def first_direct_run() -> bool:
    first, state().ran_direct = not state().ran_direct, True
    return first


# --- conversation
def exchanges() -> list[Exchange]:
    return state().exchanges


def add_exchange(question: str, answer: Answer, turn: int = 0) -> int:
    state().exchanges.append(Exchange(question, answer, turn))
    return len(state().exchanges) - 1


def conv_id() -> str:
    return state().conv_id


def set_conv_id(value: str) -> None:
    state().conv_id = value


def read_only() -> bool:
    return state().read_only


def missing_sources() -> dict[str, str]:
    return state().missing


def restore(conversation: Conversation, missing: dict[str, str]) -> None:
    """Show a stored conversation exactly as it was: its turns, the feedback given on them."""
    new_chat()
    current = state()
    current.conv_id, current.read_only, current.missing = conversation.info.conv_id, conversation.read_only, missing
    for turn in conversation.turns:
        index = add_exchange(turn.question, turn.answer, turn.n)
        if turn.feedback:  # the thumbs widget starts at the rating given
            st.session_state[feedback_key(index)] = 1 if turn.feedback.get("rating") == "up" else 0


ALL = "*"  # confirm_chat_delete value for "delete all my conversations"


def confirm_chat_delete() -> str:
    return state().confirm_chat_delete


def ask_chat_delete(target: str) -> None:
    state().confirm_chat_delete = target


def cancel_chat_delete() -> None:
    state().confirm_chat_delete = ""


def history() -> list[Turn]:
    """The turns sent with the next question. Interrupted exchanges stay on screen but are left out,
    so the model never reads half an answer as if it were whole."""
    turns: list[Turn] = []
    for exchange in state().exchanges:
        if not exchange.answer.interrupted:
            turns += [Turn("user", exchange.question), Turn("assistant", exchange.answer.text)]
    return turns


def new_chat() -> None:
    current = state()
    current.exchanges, current.source = [], None
    current.conv_id, current.read_only, current.missing = "", False, {}
    current.conversation += 1


# --- citations and the source view
def citation_key(exchange: int) -> str:
    return f"{_KEY}-cite-{state().conversation}-{exchange}"


def feedback_key(exchange: int) -> str:
    return f"{_KEY}-feedback-{state().conversation}-{exchange}"


def source() -> SourceRef | None:
    return state().source


def choose_citation(exchange: int) -> None:
    """on_change of the citation chips of one answer: show that source, unselect the others."""
    n = st.session_state.get(citation_key(exchange))
    state().source = SourceRef(exchange, n) if n is not None else None
    for other in range(len(state().exchanges)):
        if other != exchange and citation_key(other) in st.session_state:
            st.session_state[citation_key(other)] = None


def close_source() -> None:
    ref = state().source
    state().source = None
    if ref is not None and citation_key(ref.exchange) in st.session_state:
        st.session_state[citation_key(ref.exchange)] = None


# --- uploads and deletion
def is_ingested(file_id: str) -> bool:
    return file_id in state().ingested


def record_ingest(file_id: str, report: IngestReport) -> None:
    state().ingested[file_id] = report


def ingest_reports() -> list[IngestReport]:
    return list(state().ingested.values())


def confirm_delete() -> str:
    return state().confirm_delete


def ask_delete(doc_id: str) -> None:
    state().confirm_delete = doc_id


def cancel_delete() -> None:
    state().confirm_delete = ""


def notify(message: str) -> None:
    state().notice = message


def pop_notice() -> str:
    message, state().notice = state().notice, ""
    return message
