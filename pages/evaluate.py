"""Evaluate: a dataset under several configurations, side by side, with drill-down and export."""

import streamlit as st

from eval.feedback import feedback_dataset, read_feedback
from eval.runner import presets, run_dataset
from eval.runs import compare, list_runs, load_run, save_run
from eval.testset import generate_dataset, generator_label, uses_model
from rag.errors import RagError
from ui import eval_views as views
from ui import router
from ui.resources import engine

principal = router.page_principal()
st.title("Evaluate")

origin = ""  # how a generated dataset was made, shown with its size
source = st.radio("Dataset", ["Generate from my library", "Upload a file", "My chat feedback", "DocChat's QA benchmark"], key="eval_source",
                  horizontal=True)
try:
    if source == "DocChat's QA benchmark":  # hand-written questions over documents every machine has
        half = st.radio("Half", ["test", "dev", "both"], horizontal=True,
                        help="dev: what DocChat's reader was fitted on; test: only ever reported (eval/qa/README.md)")
        items = views.benchmark_dataset(engine(), principal, None if half == "both" else half)
        origin = "DocChat's QA benchmark, hand-written: "
    elif source == "Upload a file":
        upload = st.file_uploader("JSONL or CSV dataset", type=["jsonl", "csv"])
        items = views.uploaded_dataset(upload) if upload else []
    elif source == "My chat feedback":  # rated answers become regression cases
        items = feedback_dataset(read_feedback(engine().store, principal))
    else:
        size = st.slider("Questions", 5, 100, 20)
        seed = st.number_input("Seed", 0, 10_000, 0)
        origin = f"Questions {generator_label(engine())}: "
        if not uses_model(engine()):  # offline: instant, so regenerated on every rerun
            items = generate_dataset(engine(), principal, size=size, seed=seed)
        else:  # the chat model is slow and costs tokens: only on request, kept for the session
            key = ("ragas_dataset", principal.user_id, size, seed)
            if st.button("Generate questions with my chat model"):
                with st.spinner("Your chat model is writing questions about your documents (ragas)…"):
                    st.session_state[key] = generate_dataset(engine(), principal, size=size, seed=seed)
            items = st.session_state.get(key, [])
except RagError as exc:
    st.error(str(exc))
    st.stop()
if not items and source == "Generate from my library" and uses_model(engine()):
    st.info("Press the button to have your chat model write questions about your documents.")
    st.stop()
if not items:
    st.info("Upload a dataset, rate chat answers with 👍/👎, or add documents to your library to generate one.")
    st.stop()
st.caption(f"{origin}{len(items)} questions, {sum(not i.answerable for i in items)} unanswerable.")
views.dataset_download(items)

available = presets(engine())
names = st.multiselect("Configurations", list(available), default=["hybrid", "bm25", "vector"])
k = st.slider("k (chunks retrieved)", 1, 20, engine().settings.top_k)
answers = st.checkbox("Also answer each question (answer metrics, slower)", value=True)
if st.button("Run evaluation", type="primary") and names:
    bar = st.progress(0.0, "starting")
    try:
        run = run_dataset(engine(), principal, items, views.chosen_configs(available, names, k, answers),
                          {"Upload a file": "uploaded", "My chat feedback": "feedback", "DocChat's QA benchmark": "qa"}.get(
                              source, "ragas" if uses_model(engine()) else "synthetic"),
                          lambda fraction, message: bar.progress(min(fraction, 1.0), message))
        save_run(run, engine().store)
    except RagError as exc:
        st.error(str(exc))
        st.stop()
    views.set_last_run(run)

if run := views.last_run():
    st.subheader("Summary")
    st.dataframe(views.summary_frame(run))
    st.altair_chart(views.metric_bars(run))
    metric = st.selectbox("Per-question metric", [m for m in views.HEADLINE if m in views.summary_frame(run)])
    st.altair_chart(views.question_heatmap(run, metric), use_container_width=True)
    failed = views.failed_rows(run, metric)
    if failed:
        chosen = st.selectbox("Drill into a failed question", failed,
                              format_func=lambda r: f"{r['config']} · {r['id']}")
        views.drill_down(chosen)
    views.exports(run)

with st.expander("Earlier runs"):
    earlier = list_runs(engine().store)
    picked = st.multiselect("Compare runs", [r["run_id"] for r in earlier])
    if picked:
        st.dataframe(compare([load_run(engine().store, r) for r in picked]), hide_index=True)
