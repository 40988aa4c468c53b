"""rag/backends/local/bert.py: transformers' BertModel, computed without importing transformers."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from rag.backends.local.bert import BertEncoder
from rag.backends.local.embedder import model_path
from rag.errors import ConfigError


@pytest.fixture(scope="module")
def folder():
    return Path(model_path())


def padded_batch():
    """Rows of different lengths (16, 9, 2, 40 tokens) padded to 40, with [CLS] ... [SEP] like real input."""
    generator = torch.Generator().manual_seed(7)
    lengths = [16, 9, 2, 40]
    ids = torch.zeros((len(lengths), max(lengths)), dtype=torch.long)
    mask = torch.zeros_like(ids)
    for row, n in enumerate(lengths):
        ids[row, :n] = torch.randint(1000, 30000, (n,), generator=generator)
        ids[row, 0], ids[row, n - 1] = 101, 102
        mask[row, :n] = 1
    return ids, mask


@pytest.mark.parametrize("bf16", [False, True])
def test_same_hidden_states_as_transformers(folder, bf16):
    from transformers import AutoModel

    reference = AutoModel.from_pretrained(folder, local_files_only=True).eval()
    ours = BertEncoder(folder)
    ids, mask = padded_batch()
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        expected = reference(input_ids=ids, attention_mask=mask, token_type_ids=torch.zeros_like(ids)).last_hidden_state
        got = ours(ids, mask)
    real = mask.bool()  # padded positions are never pooled; only real tokens must agree
    difference = (got.float() - expected.float())[real].abs().max().item()
    assert difference < (0.05 if bf16 else 1e-4), difference
    cosine = torch.nn.functional.cosine_similarity(got.float()[real], expected.float()[real], dim=-1)
    assert cosine.min().item() > (0.999 if bf16 else 0.99999)


def test_padding_does_not_change_a_row(folder):
    ours = BertEncoder(folder)
    ids, mask = padded_batch()
    with torch.inference_mode():
        alone = ours(ids[1:2, :9], mask[1:2, :9])
        batched = ours(ids, mask)[1:2, :9]
    assert torch.allclose(alone, batched, atol=1e-4)


def test_loading_the_embedder_does_not_import_transformers():
    code = ("import sys; from rag.backends.local.embedder import LocalEmbedder; e = LocalEmbedder(); "
            "v = e.embed(['hello world']); print(v.shape, 'transformers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    assert out.stdout.split() == ["(1,", "384)", "False"], out.stdout + out.stderr


def test_an_unsupported_architecture_is_refused(folder, tmp_path):
    config = json.loads((folder / "config.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps({**config, "hidden_act": "relu"}))
    with pytest.raises(ConfigError, match="GELU"):
        BertEncoder(tmp_path)


def test_missing_weights_are_refused(folder, tmp_path):
    source = folder
    (tmp_path / "config.json").write_text((source / "config.json").read_text())
    weights = load_file(str(source / "model.safetensors"))
    del weights["encoder.layer.5.output.dense.weight"]
    save_file(weights, str(tmp_path / "model.safetensors"))
    with pytest.raises(ConfigError, match="encoder.layer.5.output.dense.weight"):
        BertEncoder(tmp_path)


def test_longer_input_than_the_model_has_positions_is_refused(folder):
    with pytest.raises(ValueError, match="513 tokens"):
        BertEncoder(folder)(torch.ones((1, 513), dtype=torch.long), torch.ones((1, 513), dtype=torch.long))
