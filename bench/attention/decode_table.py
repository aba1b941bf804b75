#!/usr/bin/env python3
"""Turns the JSON of JMH runs of DecodeBenchmark (-rf json) into a Markdown table for RESULTS.md.

For each shape, K/V precision and slopes: the fused step and readBandwidthBaseline of the same run (a sum of as
many bytes as the step's K and V, each key/value head once), each as JMH's mean +- error and as the median of its
measurement iterations; the ratio (baseline time / fused time) of the means and of the medians; the GB/s that
ratio means for the step (K and V bytes over the fused time). slopes=ALIBI: the shape's own slopes, under which
the steep heads' far value rows, whose weights flush to zero, are not read; slopes=FLAT: every head 2^-16,
nothing skipped, every row read.
Usage: decode_table.py run.json [more.json ...]
"""
import sys

import jmh_json

SHAPES = {"D1": (32, 32768, 128), "D2": (8, 32768, 128)}  # key/value heads, keys, d
BYTES = {"F32": 4, "F16": 2}


def main(paths):
    runs = jmh_json.read(paths, lambda p: (p["shape"], p["kv"], p.get("slopes", "ALIBI"), p["threads"]))
    print("| shape | K/V | slopes | threads | fused: mean ± error (median) | read baseline: mean ± error (median) "
          "| of read bandwidth: means (medians) | step GB/s (means) |")
    print("|---|---|---|---|---|---|---|---|")
    for (shape, kv, slopes, threads), methods in sorted(runs.items()):
        if "fused" not in methods or "readBandwidthBaseline" not in methods:
            continue
        f, b = methods["fused"], methods["readBandwidthBaseline"]
        kv_heads, keys, d = SHAPES[shape]
        gb = 2 * kv_heads * keys * d * BYTES[kv] / 1e9
        print(f"| {shape} | {kv} | {slopes} | {threads} | {f[0]:.2f} ± {f[1]:.2f} ms ({f[2]:.2f}) "
              f"| {b[0]:.2f} ± {b[1]:.2f} ms ({b[2]:.2f}) | {b[0] / f[0]:.2f} ({b[2] / f[2]:.2f}) | {gb / (f[0] / 1e3):.1f} |")


if __name__ == "__main__":
    main(sys.argv[1:])
