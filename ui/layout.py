"""What every page shows around its content: the sidebar with the app's name and the owner's
sign-in. Each page calls `start()` first (rather than the entry script drawing the sidebar once),
so the sidebar is part of the page's own script run."""

from __future__ import annotations

import streamlit as st

from kernel.settings import Settings
from ui import access, backend


def start() -> Settings:
    """Draw the sidebar; the settings the page should use."""
    settings = backend.settings()
    with st.sidebar:
        st.markdown("### SOVEREIGN")
        st.caption("Research claims on MoE inference, checked against their sources and re-measured.")
    access.sign_in_sidebar(settings)
    return settings
