"""Who the app thinks you are in each RAG_AUTH_MODE; the proxy's headers; refusals."""

import pytest

from rag.types import Principal
from tests.app.conftest import app, texts, use_data_dir
from ui.identity import principal_from_headers, principal_from_user, split_groups


def test_headers_give_email_name_and_groups_case_insensitively():
    headers = {"x-auth-request-email": "ana@example.com", "X-Auth-Request-User": "ana",
               "X-AUTH-REQUEST-GROUPS": "finance, legal,,finance"}
    assert principal_from_headers(headers) == Principal("ana@example.com", "ana", ("finance", "legal"))


def test_oauth2_proxy_forwarded_headers_are_understood():
    headers = {"X-Forwarded-Email": "ana@example.com", "X-Forwarded-User": "ana", "X-Forwarded-Groups": "finance"}
    assert principal_from_headers(headers) == Principal("ana@example.com", "ana", ("finance",))


def test_headers_without_email_give_nobody():
    assert principal_from_headers({"X-Auth-Request-User": "ana"}) is None
    assert principal_from_headers({"X-Auth-Request-Email": "  "}) is None
    assert principal_from_headers({"X-Auth-Request-Email": "bo@example.com"}) == Principal("bo@example.com", "bo@example.com")


def test_oidc_user_claims():
    assert principal_from_user({"is_logged_in": False, "email": "x@example.com"}) is None
    user = {"is_logged_in": True, "email": "ana@example.com", "name": "Ana", "groups": ["finance"]}
    assert principal_from_user(user) == Principal("ana@example.com", "Ana", ("finance",))
    assert principal_from_user({"is_logged_in": True, "sub": "abc"}) == Principal("abc", "abc")
    assert split_groups("a, b") == ("a", "b") and split_groups(None) == ()


def test_no_auth_is_the_local_user(empty, monkeypatch):
    use_data_dir(monkeypatch, empty, local_user="alice")
    at = app()
    assert not at.exception and not at.error
    assert "Local user" in texts(at.sidebar.text)
    assert at.session_state["docchat"].principal == Principal("alice", "Local user")


def test_proxy_mode_without_headers_refuses_to_run(empty, monkeypatch):
    use_data_dir(monkeypatch, empty, auth_mode="proxy")
    at = app()
    assert not at.exception
    assert "X-Auth-Request-Email" in at.error[0].value
    assert not at.title and not at.chat_input  # st.stop before any page ran
    assert "docchat" not in at.session_state


def test_oidc_logged_out_shows_a_login_button_and_nothing_else(empty, monkeypatch):
    use_data_dir(monkeypatch, empty, auth_mode="oidc")
    at = app(user={"is_logged_in": False})
    assert not at.exception
    assert [b.label for b in at.button] == ["Log in"]
    assert [t.value for t in at.title] == ["DocChat"]


@pytest.mark.parametrize("groups", [["finance", "legal"], "finance,legal"])
def test_oidc_logged_in_user_and_groups_reach_the_sidebar(empty, monkeypatch, groups):
    use_data_dir(monkeypatch, empty, auth_mode="oidc")
    at = app(user={"is_logged_in": True, "email": "ana@example.com", "name": "Ana", "groups": groups})
    assert not at.exception and not at.error
    assert at.session_state["docchat"].principal == Principal("ana@example.com", "Ana", ("finance", "legal"))
    assert "Ana" in texts(at.sidebar.text)
    assert any("finance, legal" in c for c in texts(at.sidebar.caption))
    assert "Log out" in [b.label for b in at.sidebar.button]


@pytest.mark.first_request
@pytest.mark.parametrize("mode", ["none", "proxy"])
def test_a_first_request_straight_to_a_page_still_goes_through_app_py(empty, monkeypatch, mode):
    """While no run has called st.navigation, Streamlit runs a pages/ file without app.py."""
    from streamlit.testing.v1 import AppTest

    from tests.app.conftest import APP

    use_data_dir(monkeypatch, empty, auth_mode=mode)
    at = AppTest.from_file(APP, default_timeout=30)
    at.switch_page("pages/documents.py").run()
    assert not at.exception
    if mode == "proxy":
        assert "X-Auth-Request-Email" in at.error[0].value and not at.title
    else:
        assert [t.value for t in at.title] == ["Documents"] and "Local user" in texts(at.sidebar.text)
