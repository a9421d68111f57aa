"""Who is looking: the owner (signed in) or anyone else. The sidebar's sign-in form lives here.

The owner signs in with the password whose hash is in settings (`owner.password_hash`), or —
when the app has an `[auth]` section in its Streamlit secrets — with Streamlit's OIDC login, as
the account whose e-mail is `owner.name`. Everyone else can ask and read, never decide.
"""

from __future__ import annotations

import streamlit as st

from kernel.settings import Settings
from ui import backend
from ui.auth import BadPasswordHash, SignInLimiter

OWNER_KEY = "owner"


def limiter(settings: Settings) -> SignInLimiter:
    return SignInLimiter(settings.runtime_dir / "signin-failures.json")


def _oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all: Streamlit raises its own not-found error
        return False


def current_owner(settings: Settings) -> str | None:
    """The owner's name when the owner is signed in in this session, else None."""
    if st.session_state.get(OWNER_KEY) == settings.owner.name:
        return settings.owner.name
    if _oidc_configured() and getattr(st.user, "is_logged_in", False):
        if st.user.get("email") == settings.owner.name:
            return settings.owner.name
    return None


def sign_in_sidebar(settings: Settings) -> None:
    """The sidebar block: who is signed in, or the owner's sign-in form."""
    with st.sidebar:
        who = current_owner(settings)
        if who:
            st.success(f"Signed in as owner **{who}**")
            if st.button("Sign out", key="sign_out"):
                st.session_state.pop(OWNER_KEY, None)
                if _oidc_configured() and getattr(st.user, "is_logged_in", False):
                    st.logout()
                st.rerun()
            return
        st.caption("Reading as a guest. The owner signs in to review drafts.")
        if _oidc_configured():
            if st.button("Sign in with SSO", key="sso"):
                st.login()
        if not settings.owner.password_hash:
            st.caption("Password sign-in is off: set SOVEREIGN_OWNER__PASSWORD_HASH (`python -m ui.auth`).")
            return
        with st.form("sign_in", clear_on_submit=True):
            password = st.text_input("Owner password", type="password", key="owner_password")
            submitted = st.form_submit_button("Sign in")
        if submitted:
            _attempt(settings, password)


def _attempt(settings: Settings, password: str) -> None:
    try:
        verdict = limiter(settings).attempt(settings.owner.name, password, settings.owner.password_hash or "")
    except BadPasswordHash as exc:
        st.error(str(exc))
        return
    if verdict.ok:
        st.session_state[OWNER_KEY] = settings.owner.name
        st.rerun()
    elif verdict.locked_for_s > 0:
        st.error(f"Too many wrong passwords. Try again in {int(verdict.locked_for_s) + 1} s.")
    else:
        st.error(f"Wrong password ({verdict.failures_left} more tries before a pause).")


def require_owner(settings: Settings) -> str:
    """The owner's name; for anyone else the page says why it is closed and stops."""
    who = current_owner(settings)
    if who is None:
        st.error("The review queue is for the owner only. Sign in as the owner in the sidebar to see it.")
        st.stop()
    return who


def start_page() -> Settings:
    """What every page draws first: the sidebar (the app's name, the owner's sign-in); the
    settings the page should use. Drawn by each page rather than once by the entry script, so
    the sidebar belongs to the page's own script run."""
    settings = backend.settings()
    with st.sidebar:
        st.markdown("### SOVEREIGN")
        st.caption("Research claims on MoE inference, checked against their sources and re-measured.")
    sign_in_sidebar(settings)
    return settings
