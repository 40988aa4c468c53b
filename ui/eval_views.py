"""Streamlit helpers of the Evaluate page: dataset choice, run with progress, summary, charts,
drill-down into one question, exports. Document text is always escaped before rendering."""

from __future__ import annotations

import html
import json
from functools import partial

import altair as alt
import pandas as pd
import streamlit as st

from eval.datasets import EvalItem, parse_dataset, to_jsonl
from eval.runner import RunConfig
from eval.runs import rows_frame
from ui.render import escape_markdown

RUN_KEY = "eval.last_run"
HEADLINE = ("hit@5", "mrr@5", "ndcg@5", "recall@5", "answer_correct", "false_abstention", "groundedness",
            "citation_accuracy", "abstention_correct",
            "rouge_l", "string_similarity", "faithfulness", "response_relevancy")


def last_run() -> dict | None:
    return st.session_state.get(RUN_KEY)


def set_last_run(run: dict) -> None:
    st.session_state[RUN_KEY] = run


def uploaded_dataset(upload) -> list[EvalItem]:
    return parse_dataset(upload.getvalue(), upload.name)


def benchmark_dataset(engine, principal, split: str | None) -> list[EvalItem]:
    """The QA benchmark's questions; first, on request, its documents into the user's library."""
    from eval.qa.dataset import benchmark_items
    from eval.qa.library import add_missing, missing

    absent = missing(engine, principal)
    if absent:
        st.info(f"The benchmark asks about {len(absent)} documents your library does not hold yet: the two PDFs "
                "under /usr/share/doc, eight licences (five as TXT, three as DOCX) and 13 man pages.")
        if not st.button("Add the benchmark's documents to my library"):
            st.stop()
        bar = st.progress(0.0, "adding documents")
        add_missing(engine, principal, lambda done, total: bar.progress(done / total, f"added {done}/{total} documents"))
        bar.empty()
    return benchmark_items(split)


def chosen_configs(presets: dict[str, RunConfig], names: list[str], k: int, answers: bool) -> list[RunConfig]:
    return [RunConfig(**{**presets[n].__dict__, "k": k, "answers": answers}) for n in names]


def summary_frame(run: dict) -> pd.DataFrame:
    frame = pd.DataFrame(run["summary"]).T
    columns = [c for c in HEADLINE if c in frame.columns] + [c for c in frame.columns if c not in HEADLINE]
    return frame[columns].rename_axis("configuration")


def metric_bars(run: dict) -> alt.Chart:
    frame = summary_frame(run)
    shown = [c for c in HEADLINE if c in frame.columns]
    long = frame[shown].reset_index().melt("configuration", var_name="metric", value_name="value").dropna()
    return alt.Chart(long).mark_bar().encode(
        x=alt.X("configuration:N", title=None), y=alt.Y("value:Q", scale=alt.Scale(domain=[0, 1])),
        color="configuration:N", column=alt.Column("metric:N", title=None), tooltip=["configuration", "metric", "value"],
    ).properties(width=90)


def question_heatmap(run: dict, metric: str) -> alt.Chart:
    frame = pd.DataFrame(run["rows"])
    frame = frame[["config", "id", metric]].dropna() if metric in frame else frame.iloc[0:0]
    return alt.Chart(frame).mark_rect().encode(
        x=alt.X("config:N", title="configuration"), y=alt.Y("id:N", title="question"),
        color=alt.Color(f"{metric}:Q", scale=alt.Scale(domain=[0, 1], scheme="redyellowgreen")),
        tooltip=["config", "id", metric],
    )


def failed_rows(run: dict, metric: str, threshold: float = 0.5) -> list[dict]:
    return [r for r in run["rows"] if r.get(metric) is not None and r[metric] < threshold
            or r.get("unsupported") or r.get("abstention_correct") == 0.0]


def passage(title: str, page: int, text: str, relevant: bool | None = None) -> str:
    mark = "" if relevant is None else ("✅ " if relevant else "❌ ")
    return (f"<div style='border-left:3px solid #ccc;padding-left:.5rem;margin:.3rem 0'>"
            f"<small>{mark}{html.escape(title)} · page {int(page)}</small><br>{html.escape(text)}</div>")


def drill_down(row: dict) -> None:
    st.markdown(f"**Question:** {escape_markdown(row['question'])}")
    st.markdown("**Expected**")
    if row.get("reference_answer"):
        st.markdown(passage("reference answer", 0, row["reference_answer"]), unsafe_allow_html=True)
    for ref in row.get("expected", []):
        st.markdown(passage(ref.get("doc") or "any document", ref.get("page") or 0, ref.get("quote") or "(whole document)"),
                    unsafe_allow_html=True)
    st.markdown("**Retrieved**")
    for hit in row.get("retrieved", []):
        st.markdown(passage(hit["title"], hit["page"], hit["text"][:1200], hit["relevant"]), unsafe_allow_html=True)
    if "answer" in row:
        st.markdown("**Answer**")
        st.markdown(passage("answer", 0, row["answer"]), unsafe_allow_html=True)
        for sentence in row.get("unsupported_sentences", []):
            st.markdown(passage("unsupported sentence", 0, sentence), unsafe_allow_html=True)


def exports(run: dict) -> None:
    left, right = st.columns(2)
    """Written when clicked (deferred), not on every rerun of the page."""
    left.download_button("Download CSV", partial(csv_of, run), f"{run['run_id']}.csv", "text/csv", on_click="ignore")
    right.download_button("Download JSON", partial(json_of, run), f"{run['run_id']}.json", "application/json",
                          on_click="ignore")


def csv_of(run: dict) -> str:
    return rows_frame(run).to_csv(index=False)


def json_of(run: dict) -> str:
    return json.dumps(run, ensure_ascii=False, indent=1, default=str)


def dataset_download(items: list[EvalItem]) -> None:
    st.download_button("Download dataset (JSONL)", partial(to_jsonl, items), "dataset.jsonl", "application/jsonl",
                       on_click="ignore")
