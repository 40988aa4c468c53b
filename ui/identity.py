"""Who is using DocChat, from the configured source. The UI never filters for security: the
Principal is passed to every engine call and the index enforces its scope."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitAuthError

from rag.settings import Settings
from rag.types import Principal
from ui.render import escape_markdown

EMAIL_HEADER = "X-Auth-Request-Email"
USER_HEADER = "X-Auth-Request-User"
GROUPS_HEADER = "X-Auth-Request-Groups"
# oauth2-proxy in reverse-proxy mode passes the user upstream as X-Forwarded-* (--pass-user-headers);
# X-Auth-Request-* are its auth_request-mode names. The proxy strips both families from clients.
FORWARDED = {EMAIL_HEADER: "X-Forwarded-Email", USER_HEADER: "X-Forwarded-User", GROUPS_HEADER: "X-Forwarded-Groups"}


def split_groups(value: Any) -> tuple[str, ...]:
    """Groups from a comma-separated header or an OIDC claim (a list or a string)."""
    items = value.split(",") if isinstance(value, str) else list(value or ())
    return tuple(dict.fromkeys(str(g).strip() for g in items if str(g).strip()))


def principal_from_headers(headers: Mapping[str, str]) -> Principal | None:
    """The auth proxy's identity headers (oauth2-proxy's names); None when the email is missing."""
    lower = {k.lower(): v for k, v in headers.items()}

    def header(name: str) -> str:
        return (lower.get(name.lower(), "") or lower.get(FORWARDED[name].lower(), "")).strip()

    email = header(EMAIL_HEADER)
    if not email:
        return None
    return Principal(email, header(USER_HEADER) or email, split_groups(header(GROUPS_HEADER)))


def principal_from_user(user: Mapping[str, Any]) -> Principal | None:
    """The OIDC user Streamlit logged in (st.user); None when nobody is logged in."""
    if not user.get("is_logged_in"):
        return None
    user_id = user.get("email") or user.get("sub") or ""
    if not user_id:
        return None
    return Principal(str(user_id), str(user.get("name") or user_id), split_groups(user.get("groups")))


def current_principal(settings: Settings) -> Principal:
    """The principal of this session, or a refusal / login screen and st.stop()."""
    if settings.auth_mode == "proxy":
        principal = principal_from_headers(dict(st.context.headers))
        if principal is None:
            st.error(f"DocChat expects to run behind the sign-in proxy (RAG_AUTH_MODE=proxy), but the request "
                     f"carried no {EMAIL_HEADER} header. Open DocChat through its proxy address.")
            st.stop()
        return principal
    if settings.auth_mode == "oidc":
        principal = principal_from_user(st.user.to_dict())
        if principal is None:
            login_screen()
        return principal
    return Principal(settings.local_user, "Local user")


def login_screen() -> None:
    st.title("DocChat")
    st.write("Sign in to chat with your documents.")
    if st.button("Log in", type="primary"):
        try:
            st.login()
        except StreamlitAuthError as exc:
            st.error(f"Sign-in is not configured (RAG_AUTH_MODE=oidc needs an [auth] section in "
                     f".streamlit/secrets.toml): {exc}")
    st.stop()


def sidebar(principal: Principal, settings: Settings) -> None:
    with st.sidebar:
        st.caption("Signed in as")
        st.text(principal.display_name or principal.user_id)
        if principal.display_name and principal.display_name != principal.user_id:
            st.caption(escape_markdown(principal.user_id))
        if principal.groups:
            st.caption("Groups: " + escape_markdown(", ".join(principal.groups)))
        if settings.auth_mode == "oidc" and st.button("Log out"):
            st.logout()
