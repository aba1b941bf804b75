#!/usr/bin/env python3
"""Turns the JSON of JMH runs of AttentionBenchmark's fused and fmaPeakBaseline (-rf json) into a Markdown table.

GFLOP/s count 4 T i j d FLOPs, halved for a causal mask, whatever the kernels skip; the FMA peak's are
FmaPeak.FLOPS_PER_THREAD (3 * 2^32) per thread a call; `of FMA peak` is the ratio of the two rates, of the means
and of the medians of the measurement iterations.
Usage: prefill_table.py run.json [more.json ...]
"""
import sys

import jmh_json

SHAPES = {"P1": (32, 2048, 2048, 128, True), "P2": (32, 2048, 2048, 128, True), "P3": (16, 512, 512, 64, False)}
PEAK_FLOPS_PER_THREAD = 3 * 2**32


def flops(shape):
    heads, i, j, d, causal = SHAPES[shape]
    total = 4.0 * heads * i * j * d
    return total / 2 if causal else total


def main(paths):
    runs = jmh_json.read(paths, lambda p: (p["shape"], p["kv"], p["threads"]))
    print("| shape | K/V | threads | fused: mean ± error (median) | GFLOP/s | FMA peak: mean ± error (median) "
          "| peak GFLOP/s | of FMA peak: means (medians) |")
    print("|---|---|---|---|---|---|---|---|")
    for (shape, kv, threads), m in sorted(runs.items()):
        if "fused" not in m or "fmaPeakBaseline" not in m:
            continue
        f, b = m["fused"], m["fmaPeakBaseline"]
        peak = PEAK_FLOPS_PER_THREAD * int(threads)
        rate, peak_rate = flops(shape) / (f[0] / 1e3), peak / (b[0] / 1e3)
        rate_med, peak_med = flops(shape) / (f[2] / 1e3), peak / (b[2] / 1e3)
        print(f"| {shape} | {kv} | {threads} | {f[0]:.2f} ± {f[1]:.2f} ms ({f[2]:.2f}) | {rate / 1e9:.0f} "
              f"| {b[0]:.2f} ± {b[1]:.2f} ms ({b[2]:.2f}) | {peak_rate / 1e9:.0f} | {rate / peak_rate:.2f} ({rate_med / peak_med:.2f}) |")


if __name__ == "__main__":
    main(sys.argv[1:])
