#!/usr/bin/env python3
"""Turns the JSON of JMH runs of LinearBenchmark (-rf json) into the Markdown table of RESULTS.md.

Decode rows: ratio = time of readBandwidthBaseline / time of linear (the same weight bytes, summed).
Prefill rows: ratio = linear's FLOP/s (2 rows out in FLOPs a call) / fmaPeakBaseline's (FmaPeak: 3 * 2^32
FLOPs per thread a call). Each method's time is the median and the fastest of its measurement
iterations (JMH's percentiles of the iteration scores), and the ratios are of the medians and of the
fastest: the machine is shared, and the fastest iteration is the one least disturbed.
Usage: linear_table.py run.json [more.json ...]
"""
import json
import sys

FMA_PEAK_FLOPS_PER_THREAD = 3 * 2**32
SHAPES = ["decode-1024x4096", "decode-4096x1024", "decode-250880x1024", "prefill-1024x4096", "prefill-4096x1024"]
DTYPES = {"F16": 2, "BF16": 2, "F32": 4}


def times(metric):
    """(median, fastest) of the iterations, in the metric's unit; (mean, None) without percentiles."""
    percentiles = metric.get("scorePercentiles", {})
    if metric.get("scoreUnit", "").endswith("/op") and "50.0" in percentiles and "0.0" in percentiles \
            and percentiles["0.0"] != percentiles["50.0"]:
        return percentiles["50.0"], percentiles["0.0"]
    return metric["score"], None


def main(paths):
    results = {}
    for path in paths:
        with open(path) as f:
            for r in json.load(f):
                method = r["benchmark"].rsplit(".", 1)[1]
                p = r["params"]
                key = (p["shape"], p["dtype"], int(p["threads"]))
                results.setdefault(key, {})[method] = (times(r["primaryMetric"]), r["primaryMetric"]["scoreUnit"], r["mode"])
    print("| shape (W [out, in]) | rows | dtype | threads | linear: median (fastest) | baseline: median (fastest) | ratio of medians | ratio of fastest |")
    print("|---|---|---|---|---|---|---|---|")
    rank = lambda shape: SHAPES.index(shape) if shape in SHAPES else len(SHAPES)
    order = list(DTYPES)
    for (shape, dtype, threads), methods in sorted(results.items(), key=lambda kv: (rank(kv[0][0]), kv[0][0], order.index(kv[0][1]))):
        regime, dims = shape.split("-")
        out, inp = (int(d) for d in dims.split("x"))
        rows = 1 if regime == "decode" else 512
        baseline = "readBandwidthBaseline" if regime == "decode" else "fmaPeakBaseline"
        if "linear" not in methods or baseline not in methods:
            continue
        (t, tmin), unit, _ = methods["linear"]
        (b, bmin), _, _ = methods[baseline]
        unit = unit.replace("/op", "")

        def fmt(a, amin):
            return f"{a:.3f}" + (f" ({amin:.3f})" if amin is not None else "") + f" {unit}"

        if regime == "decode":
            nbytes = out * inp * DTYPES[dtype]
            gbs = lambda s: nbytes / (s * 1e-3) / 1e9
            ratio = lambda lin, base: f"{base / lin:.2f} ({gbs(lin):.1f} vs {gbs(base):.1f} GB/s)"
        else:
            flops = 2.0 * rows * out * inp
            peak = FMA_PEAK_FLOPS_PER_THREAD * threads
            ratio = lambda lin, base: f"{(flops / lin) / (peak / base):.2f} ({flops / lin / 1e6:.0f} vs {peak / base / 1e6:.0f} GFLOP/s)"
        fastest = ratio(tmin, bmin) if tmin is not None and bmin is not None else "-"
        print(f"| {out} x {inp} | {rows} | {dtype} | {threads} | {fmt(t, tmin)} | {fmt(b, bmin)} | {ratio(t, b)} | {fastest} |")


if __name__ == "__main__":
    main(sys.argv[1:])
