"""Streamlit-only helpers for the pages: session state, identity, rendering, PDF highlights."""
