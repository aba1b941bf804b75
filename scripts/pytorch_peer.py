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

--attention: the attention peer on the CPU, HF BLOOM's attention (BloomAttention._merge_heads aside):
`torch.baddbmm(alibi, q, k^T, beta=1, alpha=1/sqrt(d))`, the causal mask filled with -inf,
`softmax(dtype=float32)`, `torch.bmm` with V; GQA by `repeat_interleave` of K and V over the query
heads; float16 K and V widened to float32 first (torch on the CPU has no half baddbmm). The shapes are
the benchmark suite's (bench AttentionShape): P1 causal 32 heads 2048 x 2048 d 128, P2 the same with 8
KV heads, P3 symmetric 16 heads 512 x 512 d 64, D1 one decode step of 32 heads over 32768 keys d 128,
D2 the same with 8 KV heads; each with float32 and float16 K/V. For the causal shapes the bias is
BLOOM's `[T, 1, j]` alibi (`slope * key`: per query row it differs from ALiBi's `-slope * (q - key)` by a
constant, which softmax ignores); for P3 it is x-transformers' symmetric `[T, i, j]` bias, computed once
and reused, as its cache does. Times: median of --repeats calls after --warmups, torch.set_num_threads
(--threads, default 2, as many as the Java backend's).

    python3 scripts/pytorch_peer.py --attention --out bench/pytorch-cpu   # writes .md and .properties
    python3 scripts/pytorch_peer.py --attention --check [--cli cli/target/alibi4j.jar]
    python3 scripts/pytorch_peer.py --attention --form sdpa --blas system --out bench/pytorch2-cpu

--form sdpa times torch.nn.functional.scaled_dot_product_attention instead (PyTorch 2): the ALiBi bias, with
-inf on the causal mask's future keys, as a float attn_mask [1, T, i, j] built once, enable_gqa for GQA, float16
K/V widened first; what transformers' sdpa path does for Falcon's ALiBi models (BLOOM and MPT have only eager).
pip's torch wheels carry their own BLAS and oneDNN: use --blas system with them; the figures name what torch
was built with (torch.__config__.show()).

Debian's torch calls whatever libblas.so.3 the alternatives system selects (the reference BLAS is far
slower than OpenBLAS, which would flatter alibi4j). --attention picks the BLAS for its own process only: it re-executes
itself with LD_LIBRARY_PATH set to --blas (default /usr/lib/x86_64-linux-gnu/openblas-pthread, from
`apt-get install libopenblas0-pthread`; `--blas system` leaves the alternatives' choice) and
OPENBLAS_NUM_THREADS set to --threads, then prints the BLAS libraries the process actually mapped
(/proc/self/maps) beside its figures.

--check compares BLOOM's attention in torch, on small shapes (causal with i < j and with GQA,
symmetric, float16 K/V), with a float64 NumPy reference of alibi4j's definition; with --cli JAR it also
runs `java -jar JAR attention` (the CLI's .npy command) on the same inputs and compares its output.
"""
import argparse
import json
import math
import os
import struct
import sys
import time

OPENBLAS_PTHREAD = '/usr/lib/x86_64-linux-gnu/openblas-pthread'


def _reexec_with_blas():
    """--attention: re-run this script with the BLAS of --blas and --threads BLAS threads, for this process only."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument('--blas', default=OPENBLAS_PTHREAD)
    pre.add_argument('--threads', type=int, default=2)
    known, _ = pre.parse_known_args()
    env = dict(os.environ, ALIBI4J_PEER_BLAS=known.blas)
    if known.blas != 'system':
        if not os.path.exists(os.path.join(known.blas, 'libblas.so.3')):
            sys.exit(f'--blas {known.blas}: no libblas.so.3 there (apt-get install libopenblas0-pthread, or --blas system)')
        env['LD_LIBRARY_PATH'] = known.blas + (':' + env['LD_LIBRARY_PATH'] if env.get('LD_LIBRARY_PATH') else '')
    env.setdefault('OPENBLAS_NUM_THREADS', str(known.threads))
    env.setdefault('OMP_NUM_THREADS', str(known.threads))
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


if __name__ == '__main__' and '--attention' in sys.argv and 'ALIBI4J_PEER_BLAS' not in os.environ:
    _reexec_with_blas()

import torch  # noqa: E402 (after the re-execution that chooses the BLAS)
import torch.nn.functional as F  # noqa: E402


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


# name: (query heads T, key/value heads G, queries i, keys j, head dim d, causal); as bench AttentionShape
ATTENTION_SHAPES = {
    'P1': (32, 32, 2048, 2048, 128, True),
    'P2': (32, 8, 2048, 2048, 128, True),
    'P3': (16, 16, 512, 512, 64, False),
    'D1': (32, 32, 1, 32768, 128, True),
    'D2': (32, 8, 1, 32768, 128, True),
}


def loaded_blas():
    """The BLAS and LAPACK libraries this process has mapped, from /proc/self/maps: those of a Python
    environment from its site-packages on, the system's by file name, so that the figures carry no folder
    of this machine."""
    names = set()
    marker = 'site-packages' + os.sep
    with open('/proc/self/maps') as maps:
        for line in maps:
            path = line.split()[-1]
            base = os.path.basename(path)
            if path.startswith('/') and any(key in base for key in ('blas', 'lapack', 'mkl', 'blis')):
                real = os.path.realpath(path)
                names.add(real[real.index(marker):] if marker in real else os.path.basename(real) + ' (system)')
    return sorted(names) or ['none mapped (torch has not called a BLAS yet, or links one statically)']


class BloomAttention:
    """HF BLOOM's attention arithmetic for one layer's Q, K and V, without the nn.Module."""

    def __init__(self, heads, kv_heads, i, j, d, causal):
        self.groups = heads // kv_heads
        self.scale = 1.0 / math.sqrt(d)
        m = slopes(heads).view(heads, 1, 1)
        positions = torch.arange(j - i, j).view(1, i, 1)  # the i queries are the last i of the j keys
        keys = torch.arange(j).view(1, 1, j)
        if causal:
            # build_alibi_tensor: slope * key position, [T, 1, j], broadcast over the queries
            self.alibi = m * keys.float()
            self.mask = (keys > positions) if i > 1 else None  # a decode step at j - 1 sees every key
        else:
            # x-transformers' symmetric bias, [T, i, j], built once (its cache)
            self.alibi = -(keys - positions).abs().float() * m
            self.mask = None

    def __call__(self, q, k, v):
        k = k.float()  # float16 caches: torch has no half baddbmm on the CPU
        v = v.float()
        if self.groups > 1:
            k = k.repeat_interleave(self.groups, dim=0)
            v = v.repeat_interleave(self.groups, dim=0)
        scores = torch.baddbmm(self.alibi, q, k.transpose(1, 2), beta=1.0, alpha=self.scale)
        if self.mask is not None:
            scores = scores.masked_fill(self.mask, float('-inf'))
        probs = F.softmax(scores, dim=-1, dtype=torch.float32)
        return torch.bmm(probs, v)


class SdpaAttention:
    """torch.nn.functional.scaled_dot_product_attention with ALiBi as a float attn_mask: what transformers'
    sdpa path does for Falcon's ALiBi models. The bias (with -inf on the causal mask's future keys) is built
    once, [1, T, i, j], as the model's mask is per forward; GQA by enable_gqa (torch >= 2.5)."""

    def __init__(self, heads, kv_heads, i, j, d, causal):
        self.gqa = heads != kv_heads
        m = slopes(heads).view(heads, 1, 1)
        positions = torch.arange(j - i, j).view(1, i, 1)
        keys = torch.arange(j).view(1, 1, j)
        bias = -(keys - positions).abs().float() * m
        if causal:
            bias = bias.masked_fill(keys > positions, float('-inf'))
        self.mask = bias.unsqueeze(0)

    def __call__(self, q, k, v):
        q = q.unsqueeze(0)
        k = k.float().unsqueeze(0)  # float16 caches: SDPA wants one dtype for Q, K and V
        v = v.float().unsqueeze(0)
        return F.scaled_dot_product_attention(q, k, v, attn_mask=self.mask, enable_gqa=self.gqa)


FORMS = {'bloom': BloomAttention, 'sdpa': SdpaAttention}


def attention_inputs(heads, kv_heads, i, j, d, kv_dtype, seed=0):
    g = torch.Generator().manual_seed(seed)
    q = torch.rand(heads, i, d, generator=g) * 2 - 1
    k = (torch.rand(kv_heads, j, d, generator=g) * 2 - 1).to(kv_dtype)
    v = (torch.rand(kv_heads, j, d, generator=g) * 2 - 1).to(kv_dtype)
    return q, k, v


def median_ms(fn, warmups, repeats):
    for _ in range(warmups):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    times.sort()
    return times[len(times) // 2], times[0], times[-1]


def load_average():
    """The 1-minute load average: on a shared machine, how much else ran beside the peer."""
    return os.getloadavg()[0]


def measure_attention(names, warmups, repeats, form='bloom'):
    rows = []
    for name in names:
        heads, kv_heads, i, j, d, causal = ATTENTION_SHAPES[name]
        for kv in ('F32', 'F16'):
            q, k, v = attention_inputs(heads, kv_heads, i, j, d, torch.float32 if kv == 'F32' else torch.float16)
            attention = FORMS[form](heads, kv_heads, i, j, d, causal)
            with torch.inference_mode():
                ms, low, high = median_ms(lambda: attention(q, k, v), warmups, repeats if i > 1 else 4 * repeats)
            rows.append((name, kv, ms, low, high))
            print(f'{name} {kv}: {ms:.2f} ms (min {low:.2f}, max {high:.2f})', file=sys.stderr, flush=True)
            del q, k, v, attention
    return rows


FORM_NAMES = {'bloom': 'HF BLOOM attention (baddbmm, softmax, bmm)',
              'sdpa': 'scaled_dot_product_attention, ALiBi (and the causal -inf) as a float attn_mask, enable_gqa for GQA'}


def attention_markdown(rows, blas, threads, loads, form='bloom'):
    out = [f'PyTorch {torch_version()} on the CPU ({cpu_model()}, {os.cpu_count()} processors), {threads} threads '
           f'(torch.set_num_threads, OPENBLAS_NUM_THREADS={os.environ.get("OPENBLAS_NUM_THREADS")}); '
           f'{FORM_NAMES[form]}; median of the calls after warm-up; '
           f'{time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}; load average {loads[0]:.1f} before, {loads[1]:.1f} after.',
           '', 'BLAS loaded: ' + ', '.join(f'`{b}`' for b in blas), '',
           '| shape | K/V | median | min | max |', '|---|---|---|---|---|']
    for name, kv, ms, low, high in rows:
        out.append(f'| {name} | {kv} | {ms:.2f} ms | {low:.2f} ms | {high:.2f} ms |')
    return '\n'.join(out) + '\n'


def attention_properties(rows, blas, threads, loads, form='bloom'):
    lines = [f'torch={torch_version()}', f'blas={", ".join(blas)}', f'threads={threads}', f'form={FORM_NAMES[form]}',
             f'date={time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}', f'cpu={cpu_model()}',
             f'load={loads[0]:.1f} before, {loads[1]:.1f} after']
    lines += [f'{name}.{kv}.ms={ms:.4f}' for name, kv, ms, _, _ in rows]
    return '\n'.join(lines) + '\n'


def torch_version():
    """torch.__version__, with the Debian package's version where dpkg knows it (Debian's torch says 1.13.0a0)."""
    import subprocess
    if not torch.__file__.startswith('/usr/lib/python3'):  # pip's wheel (a venv), not Debian's package
        return torch.__version__
    try:
        deb = subprocess.run(['dpkg-query', '-W', '-f=${Version}', 'python3-torch'], capture_output=True, text=True).stdout.strip()
    except OSError:
        deb = ''
    return torch.__version__ + (f' (Debian python3-torch {deb})' if deb else '')


def torch_backends():
    """What torch says it was built with: its BLAS, LAPACK and oneDNN (MKL-DNN), from torch.__config__.show()."""
    import re
    shown = torch.__config__.show()
    # the version lines only: the build settings line also names the compiler's folder on PyTorch's build machine
    picked = [line.strip().lstrip('- ') for line in shown.splitlines()
              if ('MKL-DNN' in line or 'oneDNN' in line) and 'Build settings' not in line]
    picked += re.findall(r'\b(?:BLAS_INFO|LAPACK_INFO|USE_MKLDNN)=[^,\s]*', shown)
    return ['torch build: ' + '; '.join(picked)] if picked else []


def cpu_model():
    try:
        with open('/proc/cpuinfo') as f:
            return next(l.split(':', 1)[1].strip() for l in f if l.startswith('model name'))
    except (OSError, StopIteration):
        return 'unknown CPU'


def reference_attention(q, k, v, causal):
    """alibi4j's definition in float64 NumPy: softmax(scale q k^T - slope |key - pos|, future keys masked) v."""
    import numpy as np
    q, k, v = (np.asarray(t.float().numpy(), dtype=np.float64) for t in (q, k, v))
    heads, i, d = q.shape
    kv_heads, j, _ = k.shape
    m = np.asarray(slopes(heads).view(heads).numpy(), dtype=np.float64)
    positions = np.arange(j - i, j).reshape(i, 1)
    keys = np.arange(j).reshape(1, j)
    out = np.zeros((heads, i, d))
    for h in range(heads):
        g = h // (heads // kv_heads)
        s = q[h] @ k[g].T / math.sqrt(d) - m[h] * np.abs(keys - positions)
        if causal:
            s = np.where(keys > positions, -np.inf, s)
        s = s - s.max(axis=1, keepdims=True)
        p = np.exp(s)
        out[h] = p @ v[g] / p.sum(axis=1, keepdims=True)
    return out


def run_cli(jar, q, k, v, causal):
    """`java -jar JAR attention` on .npy files of q, k and v; None where the CLI cannot run it."""
    import subprocess
    import tempfile
    import numpy as np
    with tempfile.TemporaryDirectory() as tmp:
        paths = {n: os.path.join(tmp, n + '.npy') for n in ('q', 'k', 'v', 'out')}
        for n, t in (('q', q), ('k', k), ('v', v)):
            np.save(paths[n], t.numpy())
        java = os.path.join(os.environ['JAVA_HOME'], 'bin', 'java') if os.environ.get('JAVA_HOME') else 'java'
        command = [java, '--add-modules', 'jdk.incubator.vector', '-jar', jar, 'attention',
                   '--q', paths['q'], '--k', paths['k'], '--v', paths['v'], '--out', paths['out']] + (['--causal'] if causal else [])
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            print(f'  alibi4j attention: exit {done.returncode}: {done.stderr.strip().splitlines()[-1:] or ""}', flush=True)
            return None
        return np.load(paths['out']).astype(np.float64)


def check_attention(jar, form='bloom'):
    """BLOOM's (or SDPA's) attention in torch (and alibi4j's CLI, given its jar) against the float64 reference on small shapes.

    Returns the exit status and the lines it printed.
    """
    import numpy as np
    printed = []

    def say(text):
        print(text, flush=True)
        printed.append(text)

    cases = [('causal, i < j, GQA 6/2', (6, 2, 13, 29, 16, True), torch.float32),
             ('causal, i = j', (4, 4, 33, 33, 64, True), torch.float32),
             ('symmetric', (4, 4, 20, 20, 32, False), torch.float32),
             ('causal, float16 K/V, GQA 8/2', (8, 2, 17, 17, 32, True), torch.float16),
             ('decode step, GQA 8/4', (8, 4, 1, 100, 64, True), torch.float32)]
    worst = 0.0
    for label, (heads, kv_heads, i, j, d, causal), dtype in cases:
        q, k, v = attention_inputs(heads, kv_heads, i, j, d, dtype, seed=1)
        expected = reference_attention(q, k, v, causal)
        bloom = FORMS[form](heads, kv_heads, i, j, d, causal)(q, k, v).double().numpy().reshape(heads, i, d)
        torch_error = float(np.abs(bloom - expected).max())
        line = f'{label} [{heads}/{kv_heads}, {i}, {j}, {d}]: torch max |error| {torch_error:.2e}'
        worst = max(worst, torch_error)
        if jar:
            got = run_cli(jar, q, k, v, causal)
            if got is not None:
                cli_error = float(np.abs(got - expected).max())
                worst = max(worst, cli_error)
                line += f', alibi4j attention {cli_error:.2e}, alibi4j against torch {float(np.abs(got - bloom).max()):.2e}'
            else:
                worst = float('inf')
        say(line)
    if not jar:
        say('(no --cli JAR: alibi4j itself not compared; build cli/ and pass --cli cli/target/alibi4j.jar)')
    say(f'worst error against the float64 reference: {worst:.2e}')
    return (0 if worst < 1e-4 else 1), printed


def attention_main(args):
    torch.set_num_threads(args.threads)
    if args.check:
        return check_attention(args.cli, args.form)[0]
    checked = check_attention(args.cli, args.form)[1] if args.out else []  # the file's figures come with their check
    names = args.attention_shapes or list(ATTENTION_SHAPES)
    before = load_average()
    rows = measure_attention(names, args.warmups if args.warmups is not None else 1, args.repeats, args.form)
    loads = (before, load_average())
    blas = loaded_blas() + torch_backends()
    md = attention_markdown(rows, blas, args.threads, loads, args.form)
    print(md)
    if args.out:
        command = ' '.join(['python3', 'scripts/pytorch_peer.py'] + sys.argv[1:])
        check = ('\n## Check\n\n' + ('SDPA' if args.form == 'sdpa' else 'BLOOM') + ' in torch' + (' and `alibi4j attention` (' + args.cli + ')' if args.cli else '')
                 + ' against a float64 NumPy reference of alibi4j\'s definition, max |error|:\n\n'
                 + ''.join(f'- {line}\n' for line in checked))
        with open(args.out + '.md', 'w') as f:
            f.write(f'# PyTorch peer: {FORM_NAMES[args.form]} on the CPU\n\nWritten by `{command}`.\n\n' + md + check)
        with open(args.out + '.properties', 'w') as f:
            f.write(attention_properties(rows, blas, args.threads, loads, args.form))
        print(f'wrote {args.out}.md and {args.out}.properties')
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--shapes', nargs='+', type=parse_shape,
                        default=[(8, 1024, 1024), (32, 1024, 1024), (8, 2048, 2048), (32, 2048, 2048),
                                 (8, 4096, 4096), (32, 4096, 4096), (32, 1, 32768)],
                        help='heads x i x j, e.g. 32x4096x4096')
    parser.add_argument('--warmups', type=int, help='calls before timing (default 5; 1 with --attention)')
    parser.add_argument('--calls', type=int, default=20)
    parser.add_argument('--attention', action='store_true', help='the CPU attention peer (HF BLOOM), see above')
    parser.add_argument('--attention-shapes', nargs='+', choices=list(ATTENTION_SHAPES), help='with --attention: a subset')
    parser.add_argument('--repeats', type=int, default=5, help='with --attention: timed calls per shape (decode: 4x)')
    parser.add_argument('--threads', type=int, default=2, help='with --attention: torch and BLAS threads')
    parser.add_argument('--blas', default=OPENBLAS_PTHREAD, help='with --attention: a directory with libblas.so.3, or "system"')
    parser.add_argument('--out', help='with --attention: write OUT.md and OUT.properties (e.g. bench/pytorch-cpu)')
    parser.add_argument('--check', action='store_true', help='with --attention: compare with a float64 reference')
    parser.add_argument('--form', choices=list(FORMS), default='bloom',
                        help='with --attention: HF BLOOM\'s eager attention (bloom) or SDPA with the bias as a float mask (sdpa)')
    parser.add_argument('--cli', metavar='JAR', help='with --check: also compare `java -jar JAR attention`')
    parser.add_argument('--compare', metavar='JSON', help='a file from `alibi4j bias --format json` to bit-compare')
    parser.add_argument('--heads', type=int, help='with --compare: the biased heads (default: all of the shape\'s)')
    args = parser.parse_args()
    if args.attention:
        return attention_main(args)
    device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    if args.compare:
        return compare(args.compare, args.heads, device)
    warmups = 5 if args.warmups is None else args.warmups
    print(markdown(measure(args.shapes, device, Timer(device, warmups, args.calls)), device))
    return 0


if __name__ == '__main__':
    sys.exit(main())
