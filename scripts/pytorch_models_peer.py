#!/usr/bin/env python3
"""The PyTorch peer of the model benchmarks: transformers' BLOOM and MPT, random weights, timed on the CPU.

Builds a model of bloom-560m's shape (24 layers, hidden 1024, 16 heads, vocab 250880) or of mpt-1b's (MptConfig
d_model 2048, n_heads 16, n_layers 24, vocab 50432, expansion_ratio 4, no_bias) from its config, with random
weights (nothing is downloaded), in float32 or bfloat16 (built in that dtype: weights and compute as transformers
runs with dtype=torch.bfloat16), eager attention, torch.set_num_threads(--threads, default 2). Then measures

  prefill: one forward over --prefill-tokens (512) random tokens with use_cache=True and logits_to_keep=1 (as
           generate() asks for: the last position's logits only); the median of --repeats runs, in tokens/s;
  decode:  for each of --contexts (512, 4096): a prefill of that many tokens (untimed), one untimed step, then
           --steps single-token forwards with past_key_values, each feeding back the argmax of the last logits
           (greedy decoding, lm_head included); tokens/s = steps / their total time, and the median step.

It prints torch's version, the BLAS/oneDNN lines of torch.__config__.show(), the CPU model (/proc/cpuinfo), the
load average before and after, and one JSON line per result.

    python3 scripts/pytorch_models_peer.py --model bloom --dtype float32 --steps 16
    python3 scripts/pytorch_models_peer.py --model mpt --dtype float32,bfloat16
    python3 scripts/pytorch_models_peer.py --quick       # tiny shapes: checks the script, times nothing real

--quick also checks that the timed decode loop emits the same tokens as model.generate(do_sample=False).
"""
import argparse
import gc
import json
import os
import platform
import statistics
import sys
import time

import torch
import transformers
from transformers import BloomConfig, BloomForCausalLM, MptConfig, MptForCausalLM

DTYPES = {'float32': torch.float32, 'bfloat16': torch.bfloat16}


def bloom_config(quick):
    if quick:
        return BloomConfig(vocab_size=1000, hidden_size=64, n_layer=2, n_head=4)
    return BloomConfig(vocab_size=250880, hidden_size=1024, n_layer=24, n_head=16)  # bloom-560m


def mpt_config(quick, max_positions):
    if quick:
        return MptConfig(vocab_size=1000, d_model=64, n_layers=2, n_heads=4, expansion_ratio=4, no_bias=True,
                         max_seq_len=max_positions)
    # mpt-1b's shape; max_seq_len is raised to cover the longest context: MptModel builds its alibi for max_seq_len
    # positions and cannot attend further.
    return MptConfig(vocab_size=50432, d_model=2048, n_layers=24, n_heads=16, expansion_ratio=4, no_bias=True,
                     max_seq_len=max(2048, max_positions))


def build(model_name, dtype, quick, max_positions):
    if model_name == 'bloom':
        config, model_class = bloom_config(quick), BloomForCausalLM
    else:
        config, model_class = mpt_config(quick, max_positions), MptForCausalLM
    config._attn_implementation = 'eager'
    torch.manual_seed(0)
    model = model_class._from_config(config, dtype=dtype, attn_implementation='eager')
    check(next(model.parameters()).dtype == dtype, f'model built in {next(model.parameters()).dtype}, not {dtype}')
    return model.eval()


def random_tokens(model, n, seed):
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(4, model.config.vocab_size, (1, n), generator=generator)


def prefill(model, ids):
    return model(input_ids=ids, use_cache=True, logits_to_keep=1)


def time_prefill(model, tokens, repeats):
    ids = random_tokens(model, tokens, seed=1)
    prefill(model, ids)  # warm-up
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        prefill(model, ids)
        seconds.append(time.perf_counter() - start)
    median = statistics.median(seconds)
    return dict(tokens=tokens, repeats=repeats, seconds_median=median, seconds=seconds, tokens_per_s=tokens / median)


def decode_loop(model, context_ids, steps, timed=True):
    """Greedy decoding after a prefill of context_ids: (tokens, per-step seconds of the timed steps)."""
    out = prefill(model, context_ids)
    past = out.past_key_values
    token = out.logits[:, -1].argmax(-1, keepdim=True)
    tokens = [token.item()]
    out = model(input_ids=token, past_key_values=past, use_cache=True)  # one untimed step
    past = out.past_key_values
    token = out.logits[:, -1].argmax(-1, keepdim=True)
    tokens.append(token.item())
    seconds = []
    for _ in range(steps):
        start = time.perf_counter()
        out = model(input_ids=token, past_key_values=past, use_cache=True)
        past = out.past_key_values
        token = out.logits[:, -1].argmax(-1, keepdim=True)
        seconds.append(time.perf_counter() - start)
        tokens.append(token.item())
    return tokens, seconds


def time_decode(model, context, steps):
    tokens, seconds = decode_loop(model, random_tokens(model, context, seed=2), steps)
    return dict(context=context, steps=steps, seconds_total=sum(seconds), tokens_per_s=steps / sum(seconds),
                ms_per_token_median=1000 * statistics.median(seconds), kv_length_at_end=context + 1 + steps)


def check_decode_matches_generate(model, context, steps):
    ids = random_tokens(model, context, seed=3)
    tokens, _ = decode_loop(model, ids, steps)
    generated = model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=steps + 2, do_sample=False,
                               use_cache=True, eos_token_id=None, pad_token_id=0)
    expected = generated[0, context:].tolist()
    check(tokens == expected, f'decode loop tokens {tokens} != generate {expected}')
    return len(tokens)


def environment():
    config = torch.__config__.show()
    keep = ('BLAS', 'MKL', 'Math Kernel Library', 'oneDNN', 'MKL-DNN', 'OpenMP', 'LAPACK', 'CPU capability')
    blas = [line.strip(' -') for line in config.splitlines() if any(k in line for k in keep)]
    # The Build settings line is long: keep only its BLAS/LAPACK/MKL entries.
    blas = [', '.join(part.strip() for part in line.split(',') if any(k in part for k in ('BLAS', 'LAPACK', 'MKL')))
            if line.startswith('Build settings') else line for line in blas]
    return dict(kind='environment', torch=torch.__version__, transformers=transformers.__version__,
                python=platform.python_version(), cpu=cpu_model(), cpus_online=os.cpu_count(),
                torch_threads=torch.get_num_threads(), cpu_capability=torch.backends.cpu.get_cpu_capability(),
                mkldnn_available=torch.backends.mkldnn.is_available(), build=blas)


def cpu_model():
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or 'unknown'


def emit(record):
    print(json.dumps(record), flush=True)


def check(condition, message):
    if not condition:
        raise SystemExit(f'pytorch_models_peer: {message}')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--model', choices=['bloom', 'mpt'], default='bloom')
    parser.add_argument('--dtype', default='float32,bfloat16',
                        help='comma-separated: float32, bfloat16 (default both, one after the other)')
    parser.add_argument('--contexts', default='512,4096', help='comma-separated decode contexts (default 512,4096)')
    parser.add_argument('--steps', type=int, default=32, help='timed decode steps per context (default 32)')
    parser.add_argument('--prefill-tokens', type=int, default=512)
    parser.add_argument('--repeats', type=int, default=3, help='timed prefill runs (default 3)')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--quick', action='store_true', help='tiny shapes and sizes, to check the script')
    args = parser.parse_args()
    args.dtypes = [d.strip() for d in args.dtype.split(',')]
    for d in args.dtypes:
        check(d in DTYPES, f'--dtype {d}: expected one of {", ".join(DTYPES)}')
    args.contexts = [int(c) for c in args.contexts.split(',')]
    if args.quick:
        args.contexts, args.steps, args.prefill_tokens, args.repeats = [16, 64], 4, 32, 2
    check(args.steps > 0 and args.repeats > 0 and args.prefill_tokens > 0 and all(c > 0 for c in args.contexts),
          '--steps, --repeats, --prefill-tokens and --contexts must be positive')
    return args


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    transformers.logging.set_verbosity_error()
    emit(environment())
    emit(dict(kind='load', when='start', loadavg=os.getloadavg()))
    max_positions = max(args.contexts + [args.prefill_tokens]) + args.steps + 2
    with torch.inference_mode():
        for name in args.dtypes:
            dtype = DTYPES[name]
            start = time.perf_counter()
            model = build(args.model, dtype, args.quick, max_positions)
            shape = dict(model=args.model, dtype=name, quick=args.quick, threads=args.threads,
                         parameters=sum(p.numel() for p in model.parameters()), attn_implementation='eager')
            emit(dict(kind='built', **shape, seconds=time.perf_counter() - start))
            if args.quick:
                emit(dict(kind='check', **shape, decode_equals_generate_tokens=check_decode_matches_generate(
                    model, args.contexts[0], args.steps)))
            emit(dict(kind='prefill', **shape, **time_prefill(model, args.prefill_tokens, args.repeats)))
            for context in args.contexts:
                emit(dict(kind='decode', **shape, **time_decode(model, context, args.steps)))
            del model
            gc.collect()
    emit(dict(kind='load', when='end', loadavg=os.getloadavg()))


if __name__ == '__main__':
    sys.exit(main())
