#!/usr/bin/env python3
"""Writes the golden slopes digest that AlibiSlopesTest checks against.

x-transformers' AlibiPositionalBias._get_slopes, copied in its arithmetic (Python floats, then
torch.tensor's rounding to float32, which is a C cast: round to nearest even). For each head count
1..1024 one line: the head count and the SHA-256 of the float32 slopes' bits as big-endian uint32.

    python3 scripts/xtransformers_slopes.py > core/src/test/resources/xtransformers-slopes.sha256
"""
import hashlib
import math
import struct


def get_slopes(heads):
    def get_slopes_power_of_2(n):
        start = (2 ** (-2 ** -(math.log2(n) - 3)))
        ratio = start
        return [start * ratio ** i for i in range(n)]

    if math.log2(heads).is_integer():
        return get_slopes_power_of_2(heads)
    closest_power_of_2 = 2 ** math.floor(math.log2(heads))
    return (get_slopes_power_of_2(closest_power_of_2)
            + get_slopes_power_of_2(2 * closest_power_of_2)[0::2][:heads - closest_power_of_2])


def float32_bits(x):
    return struct.unpack('>I', struct.pack('>f', x))[0]


for heads in range(1, 1025):
    bits = [float32_bits(s) for s in get_slopes(heads)]
    digest = hashlib.sha256(struct.pack('>%dI' % len(bits), *bits)).hexdigest()
    print(heads, digest)
