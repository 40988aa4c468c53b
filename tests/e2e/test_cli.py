"""python -m rag, as another tool would drive it."""

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import MIME_SPEC

pytestmark = pytest.mark.slow


def rag(data_dir, *args, check=True):
    env = {**os.environ, "RAG_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"}
    result = subprocess.run([sys.executable, "-m", "rag", *args], env=env, capture_output=True, text=True, timeout=600)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_cli_round_trip(tmp_path):
    bad = tmp_path / "fake.pdf"
    bad.write_text("not a pdf at all")
    notes = tmp_path / "notes.txt"
    notes.write_text("Haystacks are counted every quarter.\n")
    missing = tmp_path / "missing.txt"
    result = rag(tmp_path, "ingest", str(MIME_SPEC), str(missing), str(bad), str(notes), check=False)
    assert result.returncode == 1  # two files were rejected
    rows = [line for line in result.stdout.splitlines() if any(n in line for n in ("spec.pdf", "missing", "fake", "notes"))]
    cells = [[cell.strip() for cell in row.split("│")[1:-1]] for row in rows]  # file, status, ..., error
    assert [(c[0].rsplit("/", 1)[-1], c[1]) for c in cells] == [  # in the order given
        ("shared-mime-info-spec.pdf", "indexed"), ("missing.txt", "rejected"), ("fake.pdf", "rejected"),
        ("notes.txt", "indexed")], result.stdout
    assert "No such file" in cells[1][-1] and "plain text" in cells[2][-1]

    answer = json.loads(rag(tmp_path, "ask", "What is the default weight of a glob pattern?", "--json").stdout)
    assert "50" in answer["answer"]
    citation = answer["citations"][0]
    assert citation["title"] == "shared-mime-info-spec.pdf" and citation["page"] == 4
    assert citation["quote"] and citation["end"] > citation["start"]
    assert {"chunk_id", "text", "bm25_rank", "vector_rank", "score"} <= set(answer["hits"][0])

    hits = json.loads(rag(tmp_path, "search", "glob weight", "--k", "3", "--mode", "bm25", "--json").stdout)["hits"]
    assert len(hits) == 3 and all(h["vector_rank"] is None for h in hits)

    batch = tmp_path / "q.jsonl"
    batch.write_text('{"id": "a", "question": "What is the maximum glob weight?"}\n'
                     '{"id": "b", "question": "What is the capital of Peru?"}\n')
    lines = [json.loads(line) for line in rag(tmp_path, "ask", "--batch", str(batch)).stdout.splitlines()]
    assert [(x["id"], x["abstained"]) for x in lines] == [("a", False), ("b", True)]
    assert lines[1]["reason"] and not lines[0]["reason"]  # a refusal says why; an answer has nothing to explain

    refusal = rag(tmp_path, "ask", "What is the capital of Peru?").stdout  # the plain output says it too
    assert "I could not find this in your documents." in refusal and "why there is no answer: " in refusal, refusal

    docs = json.loads(rag(tmp_path, "list", "--json").stdout)
    assert sorted(d["name"] for d in docs) == ["notes.txt", "shared-mime-info-spec.pdf"]
    assert rag(tmp_path, "--user", "mallory", "delete", docs[0]["doc_id"], check=False).returncode == 2
    rag(tmp_path, "delete", "shared-mime-info-spec.pdf")
    rag(tmp_path, "delete", "notes.txt")

    empty = tmp_path / "nothing-here"
    empty.mkdir()
    result = rag(tmp_path, "ingest", str(empty), check=False)
    said = " ".join(result.stderr.split())  # the console wraps at its width
    assert result.returncode == 1 and "No .adoc, .docx, .jpeg, .jpg, .md, .pdf, .png, .rst, .text, .tif, .tiff, .txt files under" in said
    assert json.loads(rag(tmp_path, "list", "--json").stdout) == []
