"""The Chat page's sidebar: the user's conversations (newest first, searchable), the ones shared with
them, and what the owner can do to the one on screen: rename, share, export, delete."""

from __future__ import annotations

from functools import partial

import streamlit as st

from rag.engine import Engine
from rag.errors import RagError
from rag.store.model import ConversationInfo
from rag.types import Principal
from ui import export, state
from ui.render import escape_markdown

SHOWN = 30  # conversations listed before "Show all"; search reaches the rest
NOT_SHARED = "Not shared"


def open_conversation(engine: Engine, conv_id: str, principal: Principal) -> None:
    """on_click: restore a stored conversation (its citations open only documents the user can see)."""
    try:
        conversation = engine.conversation(conv_id, principal)
        state.restore(conversation, engine.missing_sources(conversation, principal))
    except RagError as exc:
        state.notify(str(exc))


def listing(engine: Engine, conversations: list[ConversationInfo], principal: Principal, key: str) -> None:
    show_all = len(conversations) > SHOWN and st.toggle(f"Show all {len(conversations)}", key=f"{key}-all")
    for info in conversations if show_all else conversations[:SHOWN]:
        current = info.conv_id == state.conv_id()
        st.button(info.title, key=f"{key}-{info.conv_id}", type="primary" if current else "secondary",
                  width="stretch", help=f"{info.turns} questions, last {info.updated_at[:16].replace('T', ' ')} UTC",
                  on_click=open_conversation, args=(engine, info.conv_id, principal))


def rename(engine: Engine, principal: Principal) -> None:
    key = f"{state.conv_id()}-title"
    try:
        engine.rename_conversation(state.conv_id(), principal, st.session_state.get(key, ""))
    except RagError as exc:
        state.notify(str(exc))


def share(engine: Engine, principal: Principal) -> None:
    chosen = st.session_state.get(f"{state.conv_id()}-share", NOT_SHARED)
    try:
        engine.share_conversation(state.conv_id(), principal, "" if chosen == NOT_SHARED else chosen)
        state.notify("No longer shared." if chosen == NOT_SHARED else f"Shared read-only with {escape_markdown(chosen)}.")
    except RagError as exc:
        state.notify(str(exc))


def delete(engine: Engine, principal: Principal, target: str) -> None:
    try:
        if target == state.ALL:
            state.notify(f"Deleted {engine.delete_conversations(principal)} conversations.")
        else:
            engine.delete_conversation(target, principal)
            state.notify("Conversation deleted.")
        state.new_chat()
    except RagError as exc:
        state.notify(str(exc))
    state.cancel_chat_delete()


def confirm(engine: Engine, principal: Principal, target: str, what: str) -> None:
    st.warning(f"Delete {what}? This cannot be undone (your feedback stays until you delete all your data).")
    yes, no = st.columns(2)
    yes.button("Delete", type="primary", key=f"confirm-{target}", on_click=delete, args=(engine, principal, target))
    no.button("Cancel", key=f"cancel-{target}", on_click=state.cancel_chat_delete)


def current(engine: Engine, info: ConversationInfo, principal: Principal) -> None:
    """The conversation on screen: read-only note for a member, the owner's controls otherwise."""
    if state.read_only():
        st.info(f"Shared with you through **{escape_markdown(info.shared_with)}**, read-only.")
        return
    with st.expander("This conversation"):
        st.text_input("Title", info.title, key=f"{info.conv_id}-title", on_change=rename, args=(engine, principal))
        options = [NOT_SHARED, *principal.groups]
        if principal.groups:
            st.selectbox("Share read-only with", options, key=f"{info.conv_id}-share",
                         index=options.index(info.shared_with) if info.shared_with in options else 0,
                         on_change=share, args=(engine, principal))
        st.button("Delete this conversation", icon=":material/delete:", key="delete-chat",
                  on_click=state.ask_chat_delete, args=(info.conv_id,))
    if state.confirm_chat_delete() == info.conv_id:
        confirm(engine, principal, info.conv_id, "this conversation")


def sidebar(engine: Engine, principal: Principal) -> None:
    st.button("New chat", icon=":material/add_comment:", on_click=state.new_chat, width="stretch")
    query = st.text_input("Search conversations", placeholder="title or text", key="chat-search")
    try:
        mine = engine.conversations(principal, query)
        shared = engine.shared_conversations(principal)
    except RagError as exc:
        st.error(str(exc))
        return
    if notice := state.pop_notice():
        st.info(notice)
    on_screen = next((c for c in [*mine, *shared] if c.conv_id == state.conv_id()), None)
    if on_screen is not None:
        current(engine, on_screen, principal)
    if state.exchanges():
        # deferred: written when clicked, so no media file is registered (and retired) on every rerun
        st.download_button("Export as Markdown", partial(export.conversation_markdown, list(state.exchanges())),
                           file_name="docchat-conversation.md", mime="text/markdown", icon=":material/download:",
                           on_click="ignore")
    st.caption("Your conversations" if mine or not query else "No conversation matches.")
    listing(engine, mine, principal, "chat")
    if shared:
        st.caption("Shared with you")
        listing(engine, shared, principal, "shared")
    if mine:
        st.button("Delete all my conversations", key="delete-all-chats", on_click=state.ask_chat_delete,
                  args=(state.ALL,))
        if state.confirm_chat_delete() == state.ALL:
            confirm(engine, principal, state.ALL, f"all {len(mine)} of your conversations" if not query
                    else "all your conversations")


def delete_my_data(engine: Engine, principal: Principal) -> None:
    """Settings page: every conversation, feedback record and document of the user, after a confirmation."""
    st.subheader("Your data")
    if not st.toggle("I want to delete all my data: conversations, feedback and the documents I uploaded",
                     key="delete-my-data-armed"):
        return
    if st.button("Delete all my data", type="primary", icon=":material/delete_forever:"):
        try:
            removed = engine.delete_my_data(principal)
        except RagError as exc:
            st.error(str(exc))
            return
        state.new_chat()
        st.success(f"Removed {removed['conversations']} conversations, {removed['feedback']} feedback records "
                   f"and {removed['documents']} documents.")
