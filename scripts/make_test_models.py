#!/usr/bin/env python3
"""Writes the models module's test fixtures: tiny random-weight ALiBi checkpoints and what transformers computes from them.

    python3 scripts/make_test_models.py            # all cases, into models/src/test/resources/models/
    python3 scripts/make_test_models.py --only mpt-f32 --out target/fixtures

Needs torch, transformers, tokenizers, safetensors and numpy; no network (every config and model is built here,
with random weights). The output is deterministic: the tokenizer is trained on fixed sentences, every model is
drawn after torch.manual_seed(seed), and where a seed gives a greedy path too close to a tie the next seed is
tried, in order. Each case directory is written beside its final place and renamed into it, so a failed run
leaves no half-written case.

For each case, models/src/test/resources/models/<case>/ holds
  - what `model.save_pretrained(dir)` writes (config.json, generation_config.json, model.safetensors, or shards
    and model.safetensors.index.json), the weights cast to the case's dtype before saving;
  - the tokenizer's files (PreTrainedTokenizerFast.save_pretrained: tokenizer.json, tokenizer_config.json, ...);
  - logits.npy: float32 [n_prompt, vocab], the logits of a no-cache forward over the prompt;
  - expected.json: the prompt, its tokens, the greedy continuation (model.generate, max_new_tokens=12,
    do_sample=False, with its KV cache) and its text, the smallest top-1/top-2 logit gap along that path, and notes.
Both are computed by the model RELOADED from the directory in float32, so float16/bfloat16 weights are widened
exactly, as the Java side does. Before writing, each case is checked: no NaN/inf; generate() used its cache (a
full prompt, then one token per step); the cached logits agree with a no-cache forward of the whole path; an
independent float32 forward written out below (bloom_reference, mpt_reference, falcon_reference: the math the
Java side implements) agrees with transformers; and the greedy path's smallest gap is at least MIN_MARGIN and it
holds at least MIN_DISTINCT distinct tokens (unless it stops at eos).

Also writes models/src/test/resources/models/slopes.json: the ALiBi slopes for 1..96 heads exactly as
transformers computes them (float32 bit patterns), for BLOOM, Falcon and MPT (alibi_bias_max 8 and 16), with how
each is computed, a formula in float32/float64 steps and where it differs, and where torch computes other bits under
another ATEN_CPU_CAPABILITY (this script runs itself with --slope-table under each to find out).

Read from transformers' own modeling files (5.18), which the checks here confirm:
  - Falcon with alibi under attn_implementation="eager" adds the alibi twice (FalconModel folds alibi/sqrt(d) into
    the mask and FalconAttention's eager branch adds alibi again); "sdpa" (Falcon's default) adds it once, as the
    original Falcon-RW does. The Falcon fixtures are made with "sdpa"; expected.json records how far eager is.
  - MptForCausalLM ignores attn_config.alibi_bias_max (it always builds the alibi with 8), no_bias (it has no
    biases), expansion_ratio (the MLP is always 4 x d_model), logit_scale, qk_ln, attn_type and prefix_lm.
    alibi4j follows the config's alibi_bias_max, as MosaicML's own model code does, so this script makes
    transformers do the same (honour_alibi_bias_max): the MPT references use the config's value (a no-op for 8).
"""
import argparse
import dataclasses
import json
import math
import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
import transformers
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import (BloomConfig, BloomForCausalLM, FalconConfig, FalconForCausalLM, MptConfig,
                          MptForCausalLM, PreTrainedTokenizerFast)
from transformers.models.bloom.modeling_bloom import build_alibi_tensor as bloom_build_alibi_tensor
from transformers.models.falcon.modeling_falcon import build_alibi_tensor as falcon_build_alibi_tensor
from transformers.models.mpt.modeling_mpt import MptModel, build_mpt_alibi_tensor

DEFAULT_OUT = Path(__file__).resolve().parent.parent / 'models' / 'src' / 'test' / 'resources' / 'models'
MAX_NEW_TOKENS = 12
MIN_MARGIN = 0.01
MIN_DISTINCT = 6  # distinct tokens a greedy path of MAX_NEW_TOKENS must have
LINEAR_GAIN = 2.5
MAX_SEEDS = 50
MAX_HEADS = 96
BOS, EOS, PAD = 1, 2, 3
DTYPES = {'float32': torch.float32, 'float16': torch.float16, 'bfloat16': torch.bfloat16}

TRAINING_SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "A café in Zürich serves crème brûlée and müsli.",
    "日本語の文章を少しだけ書きます。",
    "Learning to tokenize bytes is fun 😀 and useful.",
    "Über allen Gipfeln ist Ruh, in allen Wipfeln spürest du kaum einen Hauch.",
    "Les élèves étudient la théorie des nombres à l'école.",
    "Attention with linear biases extrapolates to longer sequences.",
    "東京と大阪は日本の大きな都市です。",
    "The model reads the checkpoint, then the config, then the weights.",
    "Naïve résumé: déjà vu, façade, coöperate.",
    "Numbers like 3.14159 and 2718 appear in text too.",
    "She said: \"Don't stop believing!\" and smiled 🙂.",
    "In the beginning was the word, and the word was a token.",
    "Grüße aus München, schöne Grüße aus Köln.",
    "def forward(self, x): return x + self.bias",
    "The slopes form a geometric sequence per head.",
    "Le cœur a ses raisons que la raison ne connaît point.",
    "Keys, values and queries live in the cache.",
    "ÀÉÎÕÜ àéîõü ñ ç ß",
    "Greedy decoding picks the most likely next token each time.",
]


@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    family: str  # bloom | mpt | falcon
    dtype: str  # a key of DTYPES
    prompt: str
    config: dict  # family-specific config arguments besides vocabulary and special tokens
    seed: int
    max_shard_size: str | None = None  # shard the checkpoint when set
    stop_at_eos_step: int | None = None  # make the greedy path's token at about this step the model's eos
    notes: tuple = ()

    @property
    def attn_implementation(self):
        # BLOOM and MPT have only eager attention; Falcon's eager adds the alibi twice (see the docstring).
        return 'sdpa' if self.family == 'falcon' else 'eager'


CASES = [
    Case('bloom-f32', 'bloom', 'float32', "The café in Zürich ☕ is open.",
         dict(hidden_size=60, n_layer=2, n_head=5), seed=1000),
    Case('bloom-f16-postln', 'bloom', 'float16', "Grüße 日本 from the lazy dog.",
         dict(hidden_size=48, n_layer=3, n_head=6, apply_residual_connection_post_layernorm=True), seed=2000),
    Case('bloom-bf16-sharded', 'bloom', 'bfloat16', "A smile 😀 says more.",
         dict(hidden_size=96, n_layer=2, n_head=12), seed=3000, max_shard_size='150KB'),
    Case('mpt-f32', 'mpt', 'float32', "Naïve brûlée, 東京.",
         dict(d_model=72, n_layers=2, n_heads=6, no_bias=True, max_seq_len=128), seed=4000, stop_at_eos_step=5),
    Case('mpt-bf16-bias-clip', 'mpt', 'bfloat16', "Les élèves 🙂 lisent.",
         dict(d_model=96, n_layers=2, n_heads=12, no_bias=False, max_seq_len=256,
              attn_config=dict(clip_qkv=4.5, softmax_scale=0.2, alibi_bias_max=16)), seed=5000,
         notes=("transformers 5.18's MptForCausalLM ignores no_bias=false (it builds no biases, so the checkpoint "
                "has none) and attn_config.alibi_bias_max (MptModel.forward calls build_mpt_alibi_tensor without "
                "it); these logits are computed with alibi_bias_max 16, as MosaicML's code and alibi4j use it "
                "(the script patches MptModel to pass it: honour_alibi_bias_max)",)),
    Case('mpt-f16-sharded', 'mpt', 'float16', "Über den Wipfeln: 大阪 ist weit.",
         dict(d_model=48, n_layers=3, n_heads=3, no_bias=True), seed=6000, max_shard_size='60KB'),
    Case('falcon-f32', 'falcon', 'float32', "Le cœur 😀 a ses raisons.",
         dict(hidden_size=60, num_hidden_layers=2, num_attention_heads=5, alibi=True,
              new_decoder_architecture=False, multi_query=False, parallel_attn=False, bias=True), seed=7000),
    Case('falcon-f16-parallel', 'falcon', 'float16', "Ünd façade 都市 now.",
         dict(hidden_size=80, num_hidden_layers=2, num_attention_heads=10, alibi=True,
              new_decoder_architecture=False, multi_query=False, parallel_attn=True, bias=True,
              ffn_hidden_size=232), seed=8000,
         notes=('10 heads: slopes 9 and 10 (2^-0.5, 2^-1.5) are not exact in bfloat16, so Falcon\'s rounding of '
                'the slopes to bfloat16 matters here',)),
]


# ----------------------------------------------------------------------------------------------------------------
# Tokenizer

def train_tokenizer():
    """A byte-level BPE of 400 tokens trained on TRAINING_SENTENCES, wrapped for transformers."""
    bpe = Tokenizer(models.BPE(unk_token='<unk>'))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=['<unk>', '<s>', '</s>', '<pad>'],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    bpe.train_from_iterator(TRAINING_SENTENCES, trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token='<s>', eos_token='</s>', unk_token='<unk>',
                                        pad_token='<pad>', clean_up_tokenization_spaces=False)
    ids = [tokenizer.convert_tokens_to_ids(t) for t in ('<unk>', '<s>', '</s>', '<pad>')]
    check(ids == [0, BOS, EOS, PAD], f'special token ids {ids}')
    return tokenizer


def prompt_tokens(tokenizer, case):
    ids = tokenizer(case.prompt).input_ids
    check(8 <= len(ids) <= 20, f'{case.name}: prompt has {len(ids)} tokens, not 8 to 20')
    check(any(ord(c) > 127 for c in case.prompt), f'{case.name}: prompt has no multi-byte character')
    # At least one token must hold only part of a character, so that decoding has to join bytes across tokens.
    split = [i for i in ids if '\ufffd' in tokenizer.backend_tokenizer.decode([i])]
    check(split, f'{case.name}: no multi-byte character of the prompt is split across tokens')
    check(tokenizer.decode(ids) == case.prompt, f'{case.name}: the prompt does not round-trip through the tokenizer')
    return ids


# ----------------------------------------------------------------------------------------------------------------
# Models

def build_model(case, vocab_size, eos_token_id, seed):
    """The case's model in float32, its weights drawn after torch.manual_seed(seed)."""
    special = dict(vocab_size=vocab_size, bos_token_id=BOS, eos_token_id=eos_token_id, pad_token_id=PAD,
                   initializer_range=0.3, attn_implementation=case.attn_implementation)
    config_class, model_class = {'bloom': (BloomConfig, BloomForCausalLM), 'mpt': (MptConfig, MptForCausalLM),
                                 'falcon': (FalconConfig, FalconForCausalLM)}[case.family]
    config = config_class(**case.config, **special)
    torch.manual_seed(seed)
    model = model_class(config)
    randomize(model, config.initializer_range)
    check(model.lm_head.weight.data_ptr() == model.get_input_embeddings().weight.data_ptr(),
          f'{case.name}: lm_head is not tied to the embeddings')
    return model.eval()


def randomize(model, embedding_std):
    """Draws every parameter from torch's global generator, in named_parameters order.

    transformers' own init leaves norm gains at 1 and every bias at 0, which would hide a Java side that skips
    them; here they are drawn too. Linear weights have std LINEAR_GAIN/sqrt(fan_in): with gain 1 these tiny models
    mostly settle on repeating one token, a greedy path that says little about the attention.
    """
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith('word_embeddings.weight') or name.endswith('wte.weight'):
                p.copy_(torch.randn(p.shape) * embedding_std)
            elif p.dim() == 2:
                p.copy_(torch.randn(p.shape) * LINEAR_GAIN / math.sqrt(p.shape[1]))
            elif name.endswith('.weight'):  # a layer norm's gain
                p.copy_(1.0 + 0.2 * torch.randn(p.shape))
            else:  # the bias of a layer norm or of a linear layer
                p.copy_(0.2 * torch.randn(p.shape))


def save(case, model, tokenizer, directory):
    model.to(DTYPES[case.dtype]).save_pretrained(directory, **(
        {'max_shard_size': case.max_shard_size} if case.max_shard_size else {}))
    tokenizer.save_pretrained(directory)


def reload(case, directory, attn_implementation=None):
    model_class = {'bloom': BloomForCausalLM, 'mpt': MptForCausalLM, 'falcon': FalconForCausalLM}[case.family]
    model, info = model_class.from_pretrained(directory, dtype=torch.float32, output_loading_info=True,
                                              attn_implementation=attn_implementation or case.attn_implementation)
    problems = {k: v for k, v in info.items() if v}
    check(not problems, f'{case.name}: loading the saved checkpoint reported {problems}')
    check(all(p.dtype == torch.float32 for p in model.parameters()), f'{case.name}: reloaded model is not float32')
    return model.eval()


# ----------------------------------------------------------------------------------------------------------------
# What transformers computes, and the checks on it

def forward_logits(model, ids):
    with torch.no_grad():
        return model(torch.tensor([ids]), use_cache=False).logits[0].float()


def greedy(model, prompt_ids):
    """model.generate's greedy path (with the KV cache), its per-step logits, and the input of each forward call."""
    calls = []

    def record(_module, args, kwargs):
        ids = kwargs.get('input_ids', args[0] if args else None)
        calls.append((ids.shape[1], kwargs.get('past_key_values') is not None))

    hook = model.register_forward_pre_hook(record, with_kwargs=True)
    try:
        with torch.no_grad():
            out = model.generate(torch.tensor([prompt_ids]), attention_mask=torch.ones(1, len(prompt_ids),
                                 dtype=torch.long), max_new_tokens=MAX_NEW_TOKENS, do_sample=False,
                                 return_dict_in_generate=True, output_logits=True,
                                 use_cache=True)  # MptConfig's use_cache defaults to False
    finally:
        hook.remove()
    tokens = out.sequences[0, len(prompt_ids):].tolist()
    logits = torch.stack([step[0].float() for step in out.logits])
    return tokens, logits, calls


def evaluate(case, tokenizer, prompt_ids, directory):
    """Everything expected.json and logits.npy hold, from the model reloaded from directory; raises if a check fails."""
    model = reload(case, directory)
    eos = model.generation_config.eos_token_id
    check(eos == model.config.eos_token_id, f'{case.name}: generation_config eos {eos} != config eos')
    logits = forward_logits(model, prompt_ids)
    check(torch.isfinite(logits).all(), f'{case.name}: prompt logits are not finite')
    tokens, step_logits, calls = greedy(model, prompt_ids)
    check(torch.isfinite(step_logits).all(), f'{case.name}: greedy logits are not finite')

    # generate() used the KV cache: the whole prompt first, then one token per step, each with past_key_values.
    lengths = [n for n, _ in calls]
    check(lengths == [len(prompt_ids)] + [1] * (len(tokens) - 1) and all(c for _, c in calls[1:]),
          f'{case.name}: generate did not decode with its cache: {calls}')
    check(step_logits.argmax(-1).tolist() == tokens, f'{case.name}: greedy tokens are not the argmax of their logits')

    # The cached path agrees with one no-cache forward over prompt + path.
    full = forward_logits(model, prompt_ids + tokens[:-1])[len(prompt_ids) - 1:]
    cache_diff = (full - step_logits).abs().max().item()
    check(full.argmax(-1).tolist() == tokens, f'{case.name}: no-cache forward picks another path')
    prefill_diff = (logits[-1] - step_logits[0]).abs().max().item()
    scale = max(1.0, logits.abs().max().item())
    check(cache_diff <= 1e-4 * scale and prefill_diff <= 1e-4 * scale,
          f'{case.name}: cached and no-cache logits differ by {cache_diff} (prefill {prefill_diff})')

    # An independent float32 forward, written from the modeling files, agrees.
    reference = REFERENCES[case.family](model, prompt_ids + tokens[:-1])
    reference_diff = (reference - forward_logits(model, prompt_ids + tokens[:-1])).abs().max().item()
    check(reference_diff <= 1e-4 * scale, f'{case.name}: reference forward differs by {reference_diff}')

    top2 = step_logits.topk(2, dim=-1).values
    margin = (top2[:, 0] - top2[:, 1]).min().item()
    result = dict(model=model, logits=logits, tokens=tokens, eos=eos, margin=margin, cache_diff=cache_diff,
                  prefill_diff=prefill_diff, reference_diff=reference_diff, stopped=bool(tokens) and tokens[-1] == eos)
    if case.family == 'falcon':
        eager = forward_logits(reload(case, directory, 'eager'), prompt_ids)
        result['eager_diff'] = (eager - logits).abs().max().item()
        float32_alibi = falcon_reference(model, prompt_ids, bfloat16_alibi=False)
        result['float32_alibi_diff'] = (float32_alibi - logits).abs().max().item()
    if case.family == 'mpt' and model.config.attn_config.clip_qkv:
        result['clipped'] = count_clipped(model, prompt_ids)
    return result


def count_clipped(model, prompt_ids):
    """How many of the Wqkv outputs, over the prompt and all layers, lie outside +-clip_qkv (and are clipped)."""
    clip = model.config.attn_config.clip_qkv
    counts = [0, 0]

    def record(_module, _args, output):
        counts[0] += int((output.abs() > clip).sum())
        counts[1] += output.numel()

    hooks = [block.attn.Wqkv.register_forward_hook(record) for block in model.transformer.blocks]
    try:
        forward_logits(model, prompt_ids)
    finally:
        for h in hooks:
            h.remove()
    check(0.01 <= counts[0] / counts[1] <= 0.3, f'clip_qkv {clip} clips {counts[0]} of {counts[1]} values')
    return dict(clip_qkv=clip, clipped=counts[0], of=counts[1])


# ----------------------------------------------------------------------------------------------------------------
# Independent float32 forwards: the math of transformers' modeling files, written out plainly

def layer_norm(x, w, b, eps):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    y = (x - mean) / torch.sqrt(var + eps) * w
    return y + b if b is not None else y


def causal_softmax(scores):
    """scores [heads, T, T]; row i attends to keys 0..i."""
    n = scores.shape[-1]
    masked = scores.masked_fill(torch.triu(torch.ones(n, n, dtype=torch.bool), 1), float('-inf'))
    return F.softmax(masked, dim=-1)


def gelu_tanh_bloom(x):
    return x * 0.5 * (1.0 + torch.tanh(0.79788456 * x * (1 + 0.044715 * x * x)))


def gelu_erf(x):
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def bloom_reference(model, ids):
    c, p = model.config, dict(model.named_parameters())
    heads, d = c.n_head, c.hidden_size // c.n_head
    t = len(ids)
    eps = c.layer_norm_epsilon
    slopes = slopes_of('bloom', heads)
    key_pos = torch.arange(t, dtype=torch.float32)
    alibi = slopes[:, None, None] * key_pos[None, None, :]  # slope * absolute key position: softmax drops the rest
    x = p['transformer.word_embeddings.weight'][ids]
    x = layer_norm(x, p['transformer.word_embeddings_layernorm.weight'],
                   p['transformer.word_embeddings_layernorm.bias'], eps)
    for i in range(c.n_layer):
        w = lambda n: p[f'transformer.h.{i}.{n}']
        ln1 = layer_norm(x, w('input_layernorm.weight'), w('input_layernorm.bias'), eps)
        qkv = (ln1 @ w('self_attention.query_key_value.weight').T + w('self_attention.query_key_value.bias'))
        qkv = qkv.view(t, heads, 3, d)  # per head: q, k, v interleaved
        q, k, v = (qkv[:, :, j].transpose(0, 1) for j in range(3))
        scores = alibi + (q @ k.transpose(-1, -2)) / math.sqrt(d)  # the scale multiplies QK only
        ctx = (causal_softmax(scores) @ v).transpose(0, 1).reshape(t, -1)
        residual = ln1 if c.apply_residual_connection_post_layernorm else x
        attn = ctx @ w('self_attention.dense.weight').T + w('self_attention.dense.bias') + residual
        ln2 = layer_norm(attn, w('post_attention_layernorm.weight'), w('post_attention_layernorm.bias'), eps)
        residual = ln2 if c.apply_residual_connection_post_layernorm else attn
        h = gelu_tanh_bloom(ln2 @ w('mlp.dense_h_to_4h.weight').T + w('mlp.dense_h_to_4h.bias'))
        x = h @ w('mlp.dense_4h_to_h.weight').T + w('mlp.dense_4h_to_h.bias') + residual
    x = layer_norm(x, p['transformer.ln_f.weight'], p['transformer.ln_f.bias'], eps)
    return x @ p['transformer.word_embeddings.weight'].T


def mpt_reference(model, ids):
    c, p = model.config, dict(model.named_parameters())
    heads, d = c.n_heads, c.d_model // c.n_heads
    t = len(ids)
    eps = c.layer_norm_epsilon
    scale = c.attn_config.softmax_scale or 1 / math.sqrt(d)
    clip = c.attn_config.clip_qkv
    slopes = slopes_of('mpt_%d' % c.attn_config.alibi_bias_max, heads)  # as honour_alibi_bias_max makes MptModel do
    distance_to_last_key = torch.arange(t - 1, -1, -1, dtype=torch.float32)
    alibi = -(slopes[:, None, None] * distance_to_last_key[None, None, :])
    x = p['transformer.wte.weight'][ids]
    for i in range(c.n_layers):
        w = lambda n: p[f'transformer.blocks.{i}.{n}']
        h = layer_norm(x, w('norm_1.weight'), None, eps)  # no bias, whatever no_bias says
        qkv = h @ w('attn.Wqkv.weight').T
        if clip:
            qkv = qkv.clamp(-clip, clip)
        q, k, v = (s.reshape(t, heads, d).transpose(0, 1) for s in qkv.chunk(3, dim=-1))  # [q | k | v] blocks
        scores = (q @ k.transpose(-1, -2)) * scale + alibi  # the scale multiplies QK only
        ctx = (causal_softmax(scores) @ v).transpose(0, 1).reshape(t, -1)
        x = x + ctx @ w('attn.out_proj.weight').T
        h = layer_norm(x, w('norm_2.weight'), None, eps)
        x = x + gelu_erf(h @ w('ffn.up_proj.weight').T) @ w('ffn.down_proj.weight').T
    x = layer_norm(x, p['transformer.norm_f.weight'], None, eps)
    return x @ p['transformer.wte.weight'].T


def falcon_alibi(heads, t, bfloat16=True):
    """Falcon's bias for each absolute key position: bf16(bf16(slope) * bf16(position)), widened to float32.

    With bfloat16=False: BLOOM's float32 slope * position instead, to measure what the rounding changes.
    """
    slopes = slopes_of('bloom', heads)
    positions = torch.arange(t, dtype=torch.float32)
    if not bfloat16:
        return slopes[:, None] * positions[None, :]
    return (slopes.to(torch.bfloat16)[:, None] * positions.to(torch.bfloat16)[None, :]).float()


def falcon_reference(model, ids, bfloat16_alibi=True):
    c, p = model.config, dict(model.named_parameters())
    heads, d = c.num_attention_heads, c.hidden_size // c.num_attention_heads
    check(c.alibi and not c.new_decoder_architecture and not c.multi_query, 'falcon_reference: unsupported config')
    t = len(ids)
    eps = c.layer_norm_epsilon
    alibi = falcon_alibi(heads, t, bfloat16_alibi)[:, None, :]
    bias = lambda name: p[name] if c.bias else 0.0
    x = p['transformer.word_embeddings.weight'][ids]
    for i in range(c.num_hidden_layers):
        w = lambda n: p[f'transformer.h.{i}.{n}']
        n = f'transformer.h.{i}.'
        ln1 = layer_norm(x, w('input_layernorm.weight'), w('input_layernorm.bias'), eps)
        qkv = ln1 @ w('self_attention.query_key_value.weight').T + bias(n + 'self_attention.query_key_value.bias')
        qkv = qkv.view(t, heads, 3, d)  # per head: q, k, v interleaved, as BLOOM
        q, k, v = (qkv[:, :, j].transpose(0, 1) for j in range(3))
        scores = (q @ k.transpose(-1, -2) + alibi) / math.sqrt(d)  # the scale multiplies QK + alibi (sdpa: once)
        ctx = (causal_softmax(scores) @ v).transpose(0, 1).reshape(t, -1)
        attn = ctx @ w('self_attention.dense.weight').T + bias(n + 'self_attention.dense.bias')
        mlp = lambda h: (gelu_erf(h @ w('mlp.dense_h_to_4h.weight').T + bias(n + 'mlp.dense_h_to_4h.bias'))
                         @ w('mlp.dense_4h_to_h.weight').T + bias(n + 'mlp.dense_4h_to_h.bias'))
        if c.parallel_attn:
            x = x + (mlp(ln1) + attn)  # one layer norm feeds both
        else:
            x = x + attn
            x = x + mlp(layer_norm(x, w('post_attention_layernorm.weight'), w('post_attention_layernorm.bias'), eps))
    x = layer_norm(x, p['transformer.ln_f.weight'], p['transformer.ln_f.bias'], eps)
    return x @ p['transformer.word_embeddings.weight'].T


REFERENCES = {'bloom': bloom_reference, 'mpt': mpt_reference, 'falcon': falcon_reference}


# ----------------------------------------------------------------------------------------------------------------
# Slopes

def slopes_of(kind, heads):
    """float32 slopes [heads] as transformers computes them, read back from its own alibi builders."""
    with torch.no_grad():
        if kind in ('bloom', 'falcon'):
            build = bloom_build_alibi_tensor if kind == 'bloom' else falcon_build_alibi_tensor
            alibi = build(torch.ones(1, 2, dtype=torch.long), heads, torch.float32)  # [heads, 1, 2]
            return alibi[:, 0, 1].clone()
        bias_max = {'mpt_8': 8, 'mpt_16': 16}[kind]
        alibi = build_mpt_alibi_tensor(heads, 2, bias_max)  # [heads, 1, 2]: key offsets -1 and 0
        return (-alibi[:, 0, 0]).float().clone()


def float_bits(values):
    return [struct.unpack('<i', struct.pack('<f', float(v)))[0] for v in values]


def formula_slopes(kind, heads):
    """The slopes by the formula FORMULAS states, in NumPy float32 with float64 powers, for comparison."""
    f32 = np.float32
    if kind in ('bloom', 'falcon'):
        p2 = 2 ** math.floor(math.log2(heads))
        base = f32(2.0 ** (-(2.0 ** -(math.log2(p2) - 3))))
        slopes = [f32(float(base) ** k) for k in range(1, p2 + 1)]
        extra = f32(2.0 ** (-(2.0 ** -(math.log2(2 * p2) - 3))))
        slopes += [f32(float(extra) ** k) for k in range(1, 1 + 2 * min(p2, heads - p2), 2)]
        slopes = np.array(slopes, dtype=f32)
        return slopes if kind == 'bloom' else torch.from_numpy(slopes).to(torch.bfloat16).float().numpy()
    bias_max = {'mpt_8': 8, 'mpt_16': 16}[kind]
    p2 = 2 ** math.ceil(math.log2(heads))
    step = f32(bias_max / p2)
    slopes = [f32(f32(1.0) / f32(2.0 ** float(f32(f32(k) * step)))) for k in range(1, p2 + 1)]
    if p2 != heads:
        slopes = (slopes[1::2] + slopes[::2])[:heads]
    return np.array(slopes, dtype=f32)


SLOPE_NOTES = {
    'bloom': ("transformers.models.bloom.modeling_bloom.build_alibi_tensor. p = 2**floor(log2(heads)); base = "
              "float32(2**(-(2**-(log2(p) - 3)))) (the exponent in Python float64, then torch.full(..., float32)); "
              "slopes = torch.pow(base, arange(1, p + 1, int32)) in float32; if p != heads, extra_base = "
              "float32(2**(-(2**-(log2(2p) - 3)))) and torch.pow(extra_base, arange(1, 1 + 2 * min(p, heads - p), 2)) "
              "in float32 are appended. The bias is then slopes[:, None] * ((cumsum(mask) - 1) * mask): float32 "
              "slope times the key's absolute position (int64, converted to float32), one float32 rounding, then "
              ".to(hidden dtype). Slope here = alibi at position 1 of a [1, 2] all-ones mask. torch.pow of a float32 "
              "tensor is vectorised (SLEEF) where the CPU allows, and its last bit depends on torch's CPU "
              "capability: see other_cpu_capabilities."),
    'falcon': ("transformers.models.falcon.modeling_falcon.build_alibi_tensor: the slopes are BLOOM's float32 "
               "slopes, but the bias is slopes[..., None].bfloat16() * arange_tensor: the slope is rounded to "
               "bfloat16, the int64 key position is converted to bfloat16 (positions above 256 lose bits: 257 -> "
               "256), and the product is rounded to bfloat16, then .to(hidden dtype). So bias(p) = "
               "float32(bf16(bf16(slope) * bf16(p))) (checked here for positions 0..4095), and the 'slope' here "
               "(alibi at position 1) is bf16(slope): it equals BLOOM's only where BLOOM's slope is exact in "
               "bfloat16 (equals_bloom_for_heads). FalconModel then divides the bias by sqrt(head_dim) (float32) "
               "and folds it into the attention mask."),
    'mpt': ("transformers.models.mpt.modeling_mpt.build_mpt_alibi_tensor(heads, seq_len, alibi_bias_max). p = "
            "2**ceil(log2(heads)); base = arange(1, p + 1, int64).float() * (alibi_bias_max / p) (the scalar "
            "rounded to float32, the product in float32); slopes = 1.0 / torch.pow(2, base) in float32; if p != "
            "heads the slopes are reordered as concat(slopes[1::2], slopes[::2])[:heads]. The bias is "
            "arange(1 - seq_len, 1, int32) * slopes in float32 (one rounding), sliced to the last kv_len keys: bias "
            "= -slope * (kv_len - 1 - key). Slope here = -(bias at key offset -1). NOTE: MptModel.forward calls it "
            "with max_seq_len and WITHOUT alibi_bias_max, so transformers' MPT always uses mpt_8, whatever "
            "attn_config.alibi_bias_max says; mpt_16 is what the function gives when asked for 16, as MosaicML's "
            "own code would use."),
}

FORMULAS = {
    'bloom': ("p = 2^floor(log2(n)); base = (float) 2^(-(2^-(log2(p) - 3))) (double, rounded to float); slope[k-1] "
              "= (float) pow((double) base, k) for k = 1..p; if p < n: extra = (float) 2^(-(2^-(log2(2p) - 3))), "
              "append (float) pow((double) extra, k) for k = 1, 3, 5, ... (min(p, n - p) of them). pow in float64 "
              "(Python's **; Java: StrictMath.pow), one rounding to float32."),
    'falcon': "bfloat16 (round to nearest even) of the bloom formula's float32 slope.",
    'mpt': ("p = 2^ceil(log2(n)); step = (float) (alibi_bias_max / (double) p); x_k = (float) ((float) k * step) "
            "(a float32 product); slope = 1.0f / (float) pow(2.0, (double) x_k) (pow in float64, rounded to "
            "float32, then a float32 division), k = 1..p; if p > n: the odd-numbered k (1, 3, ...) first, then the "
            "even ones, the first n kept."),
}


def slope_table():
    return {kind: [float_bits(slopes_of(kind, h)) for h in range(1, MAX_HEADS + 1)]
            for kind in ('bloom', 'falcon', 'mpt_8', 'mpt_16')}


def differences(bits, other):
    """[heads, head index, other bits] wherever other differs from bits."""
    return [[h, i, other[h - 1][i]] for h in range(1, MAX_HEADS + 1) for i in range(h)
            if bits[h - 1][i] != other[h - 1][i]]


def tables_under_other_capabilities():
    """The slope tables that torch computes under each ATEN_CPU_CAPABILITY, from child processes of this script."""
    tables = {}
    for capability in ('default', 'avx2', 'avx512'):
        env = dict(os.environ, ATEN_CPU_CAPABILITY=capability)
        run = subprocess.run([sys.executable, __file__, '--slope-table'], env=env, capture_output=True, text=True,
                             check=True)
        reply = json.loads(run.stdout)
        tables[reply['capability']] = reply['table']  # torch falls back where the CPU lacks the capability
    return tables


def write_slopes(out):
    table = slope_table()
    others = tables_under_other_capabilities()
    capability = torch.backends.cpu.get_cpu_capability()
    entries = {}
    for kind in ('bloom', 'falcon', 'mpt_8', 'mpt_16'):
        family = 'mpt' if kind.startswith('mpt') else kind
        bits = table[kind]
        formula = [float_bits(formula_slopes(kind, h)) for h in range(1, MAX_HEADS + 1)]
        entries[kind] = dict(
            computation=SLOPE_NOTES[family],
            formula=FORMULAS[family],
            formula_differs_at=[[h, i, formula[h - 1][i]] for h, i, _ in differences(bits, formula)],
            other_cpu_capabilities={c: differences(bits, t[kind]) for c, t in others.items() if c != capability},
            bits=bits)
    bloom, falcon = table['bloom'], table['falcon']
    entries['falcon']['equals_bloom_for_heads'] = [h for h in range(1, MAX_HEADS + 1) if bloom[h - 1] == falcon[h - 1]]
    bf16_of_bloom = [float_bits(slopes_of('bloom', h).to(torch.bfloat16).float()) for h in range(1, MAX_HEADS + 1)]
    check(falcon == bf16_of_bloom, 'falcon slopes are not bfloat16(bloom slopes)')
    verify_falcon_positions()
    positions = [0, 1, 2, 3, 100, 255, 256, 257, 258, 300, 511, 1000, 2047, 4095]
    samples = falcon_build_alibi_tensor(torch.ones(1, 4096, dtype=torch.long), 12, torch.float32)[:, 0, positions]
    entries['falcon']['bias_samples'] = dict(
        description=('the bias build_alibi_tensor gives for 12 heads at these key positions (before the division by '
                     'sqrt(head_dim)), float32 bits, [head][position]'),
        heads=12, positions=positions, bits=[float_bits(row) for row in samples])
    doc = dict(
        description=("ALiBi slopes exactly as transformers computes them, as float32 bit patterns "
                     "(Float.intBitsToFloat); <kind>.bits[n - 1] holds the slopes of heads 0..n-1 for n heads, "
                     f"n = 1..{MAX_HEADS}, computed under torch's CPU capability cpu_capability. formula states the "
                     "computation in float32/float64 steps; formula_differs_at lists [n, head, formula's bits] where "
                     "it differs from bits; other_cpu_capabilities lists [n, head, bits] where torch under another "
                     "ATEN_CPU_CAPABILITY computes other bits. Written by scripts/make_test_models.py."),
        torch=torch.__version__, transformers=transformers.__version__, cpu=cpu_model(), cpu_capability=capability,
        max_heads=MAX_HEADS, **entries)
    path = out / 'slopes.json'
    path.write_text(to_json(doc))
    for kind, e in entries.items():
        print(f'slopes.json {kind}: formula differs at {len(e["formula_differs_at"])} slopes; other CPU capabilities '
              f'differ at { {c: len(d) for c, d in e["other_cpu_capabilities"].items()} }')


def cpu_model():
    for line in Path('/proc/cpuinfo').read_text().splitlines():
        if line.startswith('model name'):
            return line.split(':', 1)[1].strip()
    return 'unknown'


def verify_falcon_positions():
    """Falcon's bias at every position up to 4096 is bf16(bf16(slope) * bf16(position)), for several head counts."""
    for heads in (5, 6, 7, 12, 71):
        mask = torch.ones(1, 4096, dtype=torch.long)
        actual = falcon_build_alibi_tensor(mask, heads, torch.float32)[:, 0, :]
        check(torch.equal(actual, falcon_alibi(heads, 4096)), f'falcon alibi formula wrong for {heads} heads')


# ----------------------------------------------------------------------------------------------------------------
# Cases

def make_case(case, tokenizer, out):
    prompt_ids = prompt_tokens(tokenizer, case)
    final = out / case.name
    work = out / f'.{case.name}.partial'
    for seed in range(case.seed, case.seed + MAX_SEEDS):
        result = attempt(case, tokenizer, prompt_ids, work, seed, EOS)
        if result is None:
            continue
        if case.stop_at_eos_step is not None:
            path = result['tokens']
            step = next((s for s in range(case.stop_at_eos_step, len(path))
                         if path[s] not in path[:s] and path[s] > PAD), None)
            if step is None:
                print(f'  seed {seed}: no fresh token at step >= {case.stop_at_eos_step} to make eos; next seed')
                continue
            result = attempt(case, tokenizer, prompt_ids, work, seed, path[step])
            check(result is not None and result['stopped'] and result['tokens'] == path[:step + 1],
                  f'{case.name}: with eos {path[step]} the greedy path does not stop at step {step}')
        break
    else:
        raise SystemExit(f'{case.name}: no seed in {case.seed}..{case.seed + MAX_SEEDS - 1} gives a usable path')
    write_expected(case, tokenizer, prompt_ids, work, seed, result)
    # files.txt lists the case's files, for readers that cannot list a directory (smoke reads them from its jar)
    (work / 'files.txt').write_text('\n'.join(sorted(f.name for f in work.iterdir())) + '\n')
    if final.exists():
        shutil.rmtree(final)
    work.rename(final)
    return final


def attempt(case, tokenizer, prompt_ids, work, seed, eos):
    """Saves the model of this seed into work and evaluates it; None (and a note) if its greedy path is unusable."""
    if work.exists():
        shutil.rmtree(work)
    save(case, build_model(case, len(tokenizer), eos, seed), tokenizer, work)
    result = evaluate(case, tokenizer, prompt_ids, work)
    stopped_early = result['stopped'] and case.stop_at_eos_step is None
    wrong_length = len(result['tokens']) != MAX_NEW_TOKENS and not result['stopped']
    repetitive = len(set(result['tokens'])) < MIN_DISTINCT and not result['stopped']
    if result['margin'] < MIN_MARGIN or stopped_early or wrong_length or repetitive:
        print(f'  seed {seed}: margin {result["margin"]:.4f}, stopped {result["stopped"]}, '
              f'{len(set(result["tokens"]))} distinct tokens; next seed')
        return None
    return result


def write_expected(case, tokenizer, prompt_ids, directory, seed, r):
    logits = r['logits'].numpy().astype(np.float32)
    np.save(directory / 'logits.npy', logits)
    text = tokenizer.decode(r['tokens'], skip_special_tokens=True)
    check(text == tokenizer.backend_tokenizer.decode(r['tokens'], skip_special_tokens=True),
          f'{case.name}: transformers decode differs from the tokenizers library decode')
    shards = sorted(p.name for p in directory.glob('model*.safetensors'))
    check(bool(case.max_shard_size) == (len(shards) >= 3) and (case.max_shard_size or shards == ['model.safetensors']),
          f'{case.name}: shards {shards}')
    notes = list(case.notes)
    if r['stopped']:
        notes.append(f'eos_token_id is {r["eos"]}, the token the greedy path emits at step {len(r["tokens"]) - 1}; '
                     'greedy_tokens ends with it (generate includes the eos it stops at); the tokenizer\'s own '
                     'eos_token stays </s> (id 2)')
    if case.family == 'falcon':
        notes.append('computed with attn_implementation="sdpa": transformers\' eager Falcon adds the alibi twice; '
                     'eager_logits_max_abs_diff is how far its prompt logits are from these')
    expected = dict(
        family=case.family, dtype=case.dtype, sharded=len(shards) > 1, prompt=case.prompt, prompt_tokens=prompt_ids,
        logits_file='logits.npy', max_new_tokens=MAX_NEW_TOKENS, greedy_tokens=r['tokens'], greedy_text=text,
        stopped_at_eos=r['stopped'], eos_token_id=r['eos'], greedy_min_margin=r['margin'],
        logits_max_abs=float(np.abs(logits).max()), torch=torch.__version__, transformers=transformers.__version__,
        attn_implementation=case.attn_implementation, seed=seed, shards=len(shards),
        cache_vs_nocache_max_abs_diff=r['cache_diff'], prefill_vs_nocache_max_abs_diff=r['prefill_diff'],
        reference_forward_max_abs_diff=r['reference_diff'], notes=notes)
    if 'eager_diff' in r:
        expected['eager_logits_max_abs_diff'] = r['eager_diff']
        expected['float32_alibi_logits_max_abs_diff'] = r['float32_alibi_diff']
        notes.append('float32_alibi_logits_max_abs_diff: how far the prompt logits move if the alibi is '
                     'float32 slope * position, without Falcon\'s bfloat16 roundings')
    if 'clipped' in r:
        expected['clip_qkv_clipped'] = r['clipped']
    (directory / 'expected.json').write_text(to_json(expected))
    clipped = f', clip_qkv clipped {r["clipped"]["clipped"]} of {r["clipped"]["of"]}' if 'clipped' in r else ''
    eager = (f', eager differs by {r["eager_diff"]:.3f}, float32 alibi by {r["float32_alibi_diff"]:.2e}'
             if 'eager_diff' in r else '')
    print(f'{case.name}: seed {seed}, {len(prompt_ids)} prompt tokens, {len(r["tokens"])} new '
          f'(stopped at eos {r["stopped"]}), margin {r["margin"]:.4f}, |logits| <= {expected["logits_max_abs"]:.2f}, '
          f'std {logits.std():.2f}, cache diff {r["cache_diff"]:.2e}, reference diff {r["reference_diff"]:.2e}, '
          f'{len(shards)} shard(s){clipped}{eager}; text {text!r}')


def to_json(value):
    """Indented JSON with each list of numbers on one line."""
    text = json.dumps(value, indent=1, ensure_ascii=False)
    one_line = lambda m: '[' + ', '.join(n.strip() for n in m.group(1).split(',')) + ']'
    return re.sub(r'\[([-+.\deE,\s]*)\]', one_line, text) + '\n'


def honour_alibi_bias_max():
    """Makes MptModel build its alibi with attn_config.alibi_bias_max, as MosaicML's code does; transformers 5.18 calls
    build_mpt_alibi_tensor without it (always 8). A no-op for the default 8."""
    original = MptModel.build_mpt_alibi_tensor

    def build(self, num_heads, sequence_length, alibi_bias_max=8, device=None):
        return original(self, num_heads, sequence_length, self.config.attn_config.alibi_bias_max, device)

    MptModel.build_mpt_alibi_tensor = build


def check(condition, message):
    if not condition:
        raise SystemExit(f'make_test_models: {message}')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', type=Path, default=DEFAULT_OUT, help='where the case directories go')
    parser.add_argument('--only', action='append', choices=[c.name for c in CASES], help='make only this case')
    parser.add_argument('--slope-table', action='store_true', help=argparse.SUPPRESS)  # for write_slopes
    args = parser.parse_args()
    if args.slope_table:
        print(json.dumps(dict(capability=torch.backends.cpu.get_cpu_capability(), table=slope_table())))
        return
    torch.set_num_threads(1)  # the same reductions in every run
    honour_alibi_bias_max()
    transformers.logging.set_verbosity_error()
    args.out.mkdir(parents=True, exist_ok=True)
    print(f'torch {torch.__version__}, transformers {transformers.__version__}, numpy {np.__version__}')
    tokenizer = train_tokenizer()
    print(f'tokenizer: {len(tokenizer)} tokens')
    for case in CASES:
        if not args.only or case.name in args.only:
            make_case(case, tokenizer, args.out)
    if not args.only:
        write_slopes(args.out)


if __name__ == '__main__':
    sys.exit(main())
