"""A BERT encoder's forward pass in plain torch, over the weights of a Hugging Face BERT checkpoint.

Why not transformers' BertModel: importing its modeling code pulls in torch.distributed, generation
and kernel-hub modules, 1.5 s of every process start for a 6-layer encoder whose architecture is
fixed (docs/performance.md, "model load"). This is the same computation with the same torch ops
(embeddings -> LayerNorm -> N x [attention, GELU feed-forward], post-norm residuals), and
tests/unit/test_local_embedder.py holds its vectors to sentence-transformers' and transformers' own."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F  # noqa: N812 - torch's own convention
from safetensors.torch import load_file

from rag.errors import ConfigError


@dataclass(frozen=True)
class BertConfig:
    hidden: int
    heads: int
    layers: int
    eps: float

    @classmethod
    def read(cls, folder: Path) -> BertConfig:
        raw = json.loads((folder / "config.json").read_text())
        supported = (raw.get("model_type") == "bert" and raw.get("hidden_act") == "gelu"
                     and raw.get("position_embedding_type", "absolute") == "absolute")
        if not supported:
            raise ConfigError(f"{folder} is not a BERT model with absolute positions and GELU; "
                              "the local embedder runs only that architecture.")
        return cls(raw["hidden_size"], raw["num_attention_heads"], raw["num_hidden_layers"], raw["layer_norm_eps"])


class BertEncoder:
    """last_hidden_state of BertModel for token ids and their attention mask (token type 0 throughout)."""

    def __init__(self, folder: str | Path):
        folder = Path(folder)
        self.config = BertConfig.read(folder)
        self.w = load_file(str(folder / "model.safetensors"))
        missing = [key for key in self._keys() if key not in self.w]
        if missing:
            raise ConfigError(f"{folder}/model.safetensors lacks {len(missing)} BERT weights, e.g. {missing[0]}.")
        for i in range(self.config.layers):  # query, key and value as one matrix: one product, one cast of x
            layer = f"encoder.layer.{i}.attention.self."
            for part in ("weight", "bias"):
                self.w[f"{layer}qkv.{part}"] = torch.cat([self.w.pop(f"{layer}{n}.{part}") for n in ("query", "key", "value")])
        # bf16 copies of the dense layers, made once: autocast would cast them again at every call
        # (it caches casts only for trainable tensors), 8 % of an embedding batch
        self.w_bf16 = {key: value.to(torch.bfloat16) for key, value in self.w.items()
                       if key.startswith("encoder.") and "LayerNorm" not in key}

    def _keys(self) -> list[str]:
        keys = [f"embeddings.{name}" for name in ("word_embeddings.weight", "position_embeddings.weight",
                                                  "token_type_embeddings.weight", "LayerNorm.weight", "LayerNorm.bias")]
        for i in range(self.config.layers):
            keys += [f"encoder.layer.{i}.{name}.{part}" for part in ("weight", "bias") for name in (
                "attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
                "attention.output.LayerNorm", "intermediate.dense", "output.dense", "output.LayerNorm")]
        return keys

    def __call__(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        w, c = self.w, self.config
        batch, length = ids.shape
        positions = w["embeddings.position_embeddings.weight"]
        if length > len(positions):
            raise ValueError(f"{length} tokens; this model has positions for {len(positions)}.")
        x = w["embeddings.word_embeddings.weight"][ids] + positions[:length] + w["embeddings.token_type_embeddings.weight"][0]
        x = self._norm(x, "embeddings.LayerNorm")
        attend = mask.bool()[:, None, None, :]  # padding is never attended to

        def heads(t):
            return t.reshape(batch, length, c.heads, c.hidden // c.heads).transpose(1, 2)

        for i in range(c.layers):
            layer = f"encoder.layer.{i}."
            q, k, v = (heads(t) for t in self._linear(x, f"{layer}attention.self.qkv").split(c.hidden, dim=-1))
            context = F.scaled_dot_product_attention(q, k, v, attn_mask=attend)
            context = context.transpose(1, 2).reshape(batch, length, c.hidden)
            x = self._norm(self._linear(context, f"{layer}attention.output.dense") + x, f"{layer}attention.output.LayerNorm")
            inner = F.gelu(self._linear(x, f"{layer}intermediate.dense"))
            x = self._norm(self._linear(inner, f"{layer}output.dense") + x, f"{layer}output.LayerNorm")
        return x

    def _linear(self, x, name: str):
        bf16 = torch.is_autocast_enabled("cpu") and torch.get_autocast_dtype("cpu") == torch.bfloat16
        w = self.w_bf16 if bf16 else self.w  # the same numbers autocast would use
        return F.linear(x, w[f"{name}.weight"], w[f"{name}.bias"])

    def _norm(self, x, name: str):
        return F.layer_norm(x, (self.config.hidden,), self.w[f"{name}.weight"], self.w[f"{name}.bias"], self.config.eps)
