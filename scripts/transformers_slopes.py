#!/usr/bin/env python3
"""Writes the slopes that transformers computes for BLOOM and MPT, which AlibiSlopesTest checks the presets
AlibiSlopes.bloom and AlibiSlopes.mpt against.

Each line: the family (bloom, mpt8 or mpt16: MPT with alibi_bias_max 8 or 16), the head count (1..128) and the
float32 slopes as hexadecimal bit patterns, read off transformers' own functions: BLOOM's build_alibi_tensor
(slope = the bias at position 1 of an all-ones mask) and MPT's build_mpt_alibi_tensor (slope = minus the bias
at key offset -1). Needs torch and transformers (pip):

    python3 scripts/transformers_slopes.py > core/src/test/resources/transformers-slopes.txt
"""
import struct

import torch
import transformers
from transformers.models.bloom.modeling_bloom import build_alibi_tensor
from transformers.models.mpt.modeling_mpt import build_mpt_alibi_tensor


def bits(values):
    return ",".join("%08x" % struct.unpack("<I", struct.pack("<f", v))[0] for v in values)


print("# torch %s (CPU capability %s), transformers %s" % (torch.__version__, torch.backends.cpu.get_cpu_capability(),
                                                           transformers.__version__))
for heads in range(1, 129):
    bloom = build_alibi_tensor(torch.ones(1, 2, dtype=torch.long), heads, torch.float32)[:, 0, 1]
    print("bloom", heads, bits(bloom.tolist()))
for max_bias in (8, 16):
    for heads in range(1, 129):
        mpt = -build_mpt_alibi_tensor(heads, 2, max_bias)[:, 0, 0]
        print("mpt%d" % max_bias, heads, bits(mpt.tolist()))
