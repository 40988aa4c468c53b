"""Placeholder until the evaluation feature lands."""

import streamlit as st

st.title("Evaluate")
st.info("Evaluation arrives with the evaluation feature: datasets, retrieval and answer metrics, and run comparisons.")
