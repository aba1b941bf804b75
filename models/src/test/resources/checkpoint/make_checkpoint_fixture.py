"""Writes the checkpoint fixtures that CheckpointCompatibilityTest reads, with the real writers.

Run from anywhere with the project's venv (torch, safetensors, transformers):
    python models/src/test/resources/checkpoint/make_checkpoint_fixture.py

single/model.safetensors  written by safetensors.torch.save_file: F32, F16 and BF16 tensors holding
                          special values (signed zeros, subnormals, infinities, NaNs), odd shapes, a
                          scalar, an empty tensor, an I64 tensor alibi4j does not read, __metadata__.
single/expected.json      for each tensor: dtype, shape and every element widened to float32 by torch
                          (.float()), as the bit patterns of the float32s (NaNs as torch widens them).
sharded/                  a tiny random BLOOM saved by transformers' save_pretrained with a small
                          max_shard_size: config.json, model.safetensors.index.json and its shards.
sharded/expected.json     the tensor names and shapes of each shard and a checksum per tensor (sum of
                          the float32 values, in float64).
"""
import json
import pathlib
import struct

import torch
from safetensors.torch import save_file

HERE = pathlib.Path(__file__).resolve().parent


def f16_from_bits(bits):
    return torch.tensor(bits, dtype=torch.int16).view(torch.float16)


def bf16_from_bits(bits):
    return torch.tensor(bits, dtype=torch.int16).view(torch.bfloat16)


def signed16(values):
    return [v - 0x10000 if v >= 0x8000 else v for v in values]


SPECIAL_16 = [0x0000, 0x8000, 0x0001, 0x8001, 0x03FF, 0x0400, 0x3C00, 0xBC00, 0x7BFF, 0x7C00, 0xFC00, 0x7E00,
              0xFE00, 0x7C01, 0x7FFF, 0x3555]
SPECIAL_BF16 = [0x0000, 0x8000, 0x0001, 0x8001, 0x007F, 0x0080, 0x3F80, 0xBF80, 0x7F7F, 0x7F80, 0xFF80, 0x7FC0,
                0xFFC0, 0x7F81, 0x7FFF, 0x3EAB]


def float_bits(tensor):
    return [struct.unpack("<I", struct.pack("<f", v))[0] for v in tensor.float().flatten().tolist()]


def single():
    generator = torch.Generator().manual_seed(20240607)
    tensors = {
        "f32.matrix": torch.randn(3, 5, generator=generator),
        "f32.specials": torch.tensor([0.0, -0.0, 1.0e-45, -1.0e-45, float("inf"), float("-inf"), float("nan"),
                                      3.4028235e38]),
        "f16.specials": f16_from_bits(signed16(SPECIAL_16)).reshape(4, 4),
        "f16.matrix": torch.randn(7, 3, generator=generator).to(torch.float16),
        "bf16.specials": bf16_from_bits(signed16(SPECIAL_BF16)).reshape(2, 8),
        "bf16.matrix": torch.randn(5, 3, generator=generator).to(torch.bfloat16),
        "f32.scalar": torch.tensor(2.5),
        "f16.empty": torch.zeros(0, 4, dtype=torch.float16),
        "i64.positions": torch.arange(6, dtype=torch.int64),
    }
    out = HERE / "single"
    out.mkdir(exist_ok=True)
    save_file(tensors, out / "model.safetensors", metadata={"format": "pt"})
    expected = {}
    for name, tensor in tensors.items():
        entry = {"dtype": {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
                           torch.int64: "I64"}[tensor.dtype],
                 "shape": list(tensor.shape)}
        if tensor.is_floating_point():
            entry["float_bits"] = float_bits(tensor)
        expected[name] = entry
    (out / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")


def sharded():
    from transformers import BloomConfig, BloomForCausalLM

    torch.manual_seed(7)
    config = BloomConfig(vocab_size=13, hidden_size=6, n_layer=2, n_head=3)
    model = BloomForCausalLM(config).eval()
    out = HERE / "sharded"
    model.save_pretrained(out, max_shard_size="2KB", safe_serialization=True)
    from safetensors import safe_open

    index = json.loads((out / "model.safetensors.index.json").read_text())
    expected = {}
    for shard in sorted(set(index["weight_map"].values())):
        with safe_open(out / shard, framework="pt") as f:
            for name in f.keys():
                tensor = f.get_tensor(name)
                expected[name] = {"shard": shard, "shape": list(tensor.shape),
                                  "sum": float(tensor.double().sum())}
    (out / "expected.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    single()
    sharded()
