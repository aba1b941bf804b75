#!/usr/bin/env python3
"""The PyTorch peer of the benchmark suite: x-transformers' AlibiPositionalBias, timed on a GPU.

Computes the [total_heads, i, j] bias the way x-transformers' AlibiPositionalBias.forward does
(arange, subtract, abs, multiply by the slopes, pad to the total heads), fresh each call and as the
cached slice it returns once its buffer covers the request, and measures the device's own write and
copy bandwidth on buffers of the same size. Prints a Markdown table for bench/RESULTS.md.

    python3 scripts/pytorch_peer.py                        # the suite's sizes, on CUDA when present
    python3 scripts/pytorch_peer.py --shapes 32x4096x4096  # one shape, heads x i x j
    python3 scripts/pytorch_peer.py --compare bias.json --heads 12  # bit-compare `alibi4j bias --format json`

On CUDA the times are CUDA events around a batch of calls after warm-up; without CUDA (a check of
the script, not a measurement) they are wall-clock times on the CPU.
"""
import argparse
import json
import math
import struct
import sys
import time

import torch
import torch.nn.functional as F


def slopes(heads):
    """x-transformers' _get_slopes: Python doubles, rounded once to float32 by torch.tensor."""
    def power_of_2(n):
        start = 2 ** (-2 ** -(math.log2(n) - 3))
        return [start * start ** k for k in range(n)]

    if math.log2(heads).is_integer():
        values = power_of_2(heads)
    else:
        closest = 2 ** math.floor(math.log2(heads))
        values = power_of_2(closest) + power_of_2(2 * closest)[0::2][:heads - closest]
    return torch.tensor(values).view(heads, 1, 1)


class XTransformersAlibi:
    """The arithmetic and caching of x-transformers' AlibiPositionalBias, without the nn.Module."""

    def __init__(self, heads, total_heads, device):
        self.heads = heads
        self.total_heads = total_heads
        self.slopes = slopes(heads).to(device)
        self.device = device
        self.bias = None

    def fresh(self, i, j):
        """get_bias, times the slopes, padded with zero heads: int64 distances times float32 slopes."""
        queries = torch.arange(j - i, j, device=self.device).view(1, i, 1)
        keys = torch.arange(j, device=self.device).view(1, 1, j)
        bias = -torch.abs(keys - queries) * self.slopes
        return F.pad(bias, (0, 0, 0, 0, 0, self.total_heads - self.heads))

    def forward(self, i, j):
        """The cached path: a bottom-right slice (a view) of the stored bias once it covers (i, j)."""
        if self.bias is not None and self.bias.shape[-1] >= j and self.bias.shape[-2] >= i:
            return self.bias[..., -i:, -j:]
        self.bias = self.fresh(i, j)
        return self.bias


class Timer:
    """Milliseconds per call of fn: CUDA events on a GPU, perf_counter on the CPU."""

    def __init__(self, device, warmups, calls):
        self.cuda = device.type == 'cuda'
        self.warmups = warmups
        self.calls = calls

    def ms_per_call(self, fn):
        for _ in range(self.warmups):
            fn()
        if self.cuda:
            torch.cuda.synchronize()
            start = torch.cuda.Event(enable_timing=True)
            end = torch.cuda.Event(enable_timing=True)
            start.record()
            for _ in range(self.calls):
                fn()
            end.record()
            torch.cuda.synchronize()
            return start.elapsed_time(end) / self.calls
        start = time.perf_counter()
        for _ in range(self.calls):
            fn()
        return (time.perf_counter() - start) * 1e3 / self.calls


def parse_shape(text):
    heads, i, j = (int(v) for v in text.lower().split('x'))
    return heads, i, j


def measure(shapes, device, timer):
    rows = []
    for heads, i, j in shapes:
        alibi = XTransformersAlibi(heads, heads, device)
        floats = heads * i * j
        written = floats * 4
        fill_target = torch.empty(floats, dtype=torch.float32, device=device)
        copy_source = torch.full((floats,), -1.0, dtype=torch.float32, device=device)
        fill = timer.ms_per_call(lambda: fill_target.fill_(-1.0))
        copy = timer.ms_per_call(lambda: fill_target.copy_(copy_source))
        del copy_source
        fresh = timer.ms_per_call(lambda: alibi.fresh(i, j))
        alibi.forward(i, j)
        cached = timer.ms_per_call(lambda: alibi.forward(i, j))
        rows.append((f'{heads}x{i}x{j}', written, fill, copy, fresh, cached))
        del alibi, fill_target
        if device.type == 'cuda':
            torch.cuda.empty_cache()
    return rows


def markdown(rows, device):
    name = torch.cuda.get_device_name(device) if device.type == 'cuda' else 'CPU (a check, not a measurement)'
    out = [f'PyTorch {torch.__version__} on {name}; ms per call, GB/s of the tensor written.', '',
           '| shape | device fill | device copy | x-transformers fresh | its cached slice (a view: no bytes) |',
           '|---|---|---|---|---|']
    for shape, written, fill, copy, fresh, cached in rows:
        cells = [f'{ms:.3f} ms ({written / ms / 1e6:.1f} GB/s)' for ms in (fill, copy, fresh)] + [f'{cached * 1e3:.1f} us']
        out.append(f'| {shape} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(out)


def float_bits(x):
    return struct.unpack('>I', struct.pack('>f', x))[0]


def compare(path, heads, device):
    """Exit status 0 where alibi4j's JSON bias equals x-transformers' fresh bias bit for bit."""
    with open(path) as f:
        expected = json.load(f)
    total_heads, i, j = expected['shape']
    heads = heads or total_heads
    actual = XTransformersAlibi(heads, total_heads, device).fresh(i, j).flatten().cpu().tolist()
    mismatches = sum(1 for a, e in zip(actual, expected['data']) if float_bits(a) != float_bits(float(e)))
    print(f'{path}: [{total_heads}, {i}, {j}], {heads} biased heads: {mismatches} of {len(actual)} floats differ in their bits')
    return 0 if mismatches == 0 and len(actual) == len(expected['data']) else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--shapes', nargs='+', type=parse_shape,
                        default=[(8, 1024, 1024), (32, 1024, 1024), (8, 2048, 2048), (32, 2048, 2048),
                                 (8, 4096, 4096), (32, 4096, 4096), (32, 1, 32768)],
                        help='heads x i x j, e.g. 32x4096x4096')
    parser.add_argument('--warmups', type=int, default=5)
    parser.add_argument('--calls', type=int, default=20)
    parser.add_argument('--compare', metavar='JSON', help='a file from `alibi4j bias --format json` to bit-compare')
    parser.add_argument('--heads', type=int, help='with --compare: the biased heads (default: all of the shape\'s)')
    args = parser.parse_args()
    device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    if args.compare:
        return compare(args.compare, args.heads, device)
    print(markdown(measure(args.shapes, device, Timer(device, args.warmups, args.calls)), device))
    return 0


if __name__ == '__main__':
    sys.exit(main())
