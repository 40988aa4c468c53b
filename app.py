"""DocChat's entry point: identity, navigation, nothing else. `streamlit run app.py`."""

import streamlit as st

from ui import router

st.set_page_config(page_title="DocChat", page_icon=":material/forum:", layout="wide")
router.route()
