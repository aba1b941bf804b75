"""NumPy's side of NumpyInteropTest: writes the inputs of `alibi4j attention` with NumPy's own writers and
reads the output with numpy.load, checking it against ALiBi attention computed here in float64.

    python3 numpy_attention.py write DIR   # DIR/q.npy (np.save, float32, version 1.0),
                                           # DIR/k.npy (float16, version 3.0), DIR/v.npy (float32, version 2.0)
    python3 numpy_attention.py check DIR   # reads DIR/o.npy; exits 1 if it is not the attention of the inputs

The case: T = 6 query heads over G = 3 key/value heads, the first 5 biased (not a power of two), i = 7
queries (the last 7 of j = 11 keys), d = 24, causal, scale 0.3, maximum bias 6.
"""
import math
import sys

import numpy as np

T, G, I, J, D = 6, 3, 7, 11, 24
HEADS, SCALE, MAX_BIAS = 5, 0.3, 6.0


def slopes(n, max_bias):
    """ALiBi slopes as x-transformers computes them (with MPT's maximum bias), rounded once to float32."""
    def power_of_two(m):
        return [2.0 ** (-max_bias * (h + 1) / m) for h in range(m)]
    if math.log2(n).is_integer():
        s = power_of_two(n)
    else:
        c = 2 ** math.floor(math.log2(n))
        s = power_of_two(c) + power_of_two(2 * c)[0::2][: n - c]
    return np.array(s, dtype=np.float64).astype(np.float32)


def attention(q, k, v):
    out = np.zeros((T, I, D))
    m = np.concatenate([slopes(HEADS, MAX_BIAS), np.zeros(T - HEADS, np.float32)])
    qpos = np.arange(J - I, J)[:, None]
    kpos = np.arange(J)[None, :]
    distance = np.abs(kpos - qpos).astype(np.float32)
    for h in range(T):
        g = h // (T // G)
        bias = (-distance * m[h]).astype(np.float64)  # one float32 multiply, as the bias tensor holds it
        s = SCALE * (q[h] @ k[g].T) + bias
        s[kpos.repeat(I, 0) > qpos] = -np.inf
        for r in range(I):
            if np.isneginf(s[r]).all():
                continue  # no visible key: zeros
            p = np.exp(s[r] - s[r].max())
            out[h, r] = (p / p.sum()) @ v[g]
    return out


def main(mode, folder):
    if mode == "write":
        rng = np.random.default_rng(7)
        np.save(f"{folder}/q.npy", rng.uniform(-2, 2, (T, I, D)).astype(np.float32))
        with open(f"{folder}/k.npy", "wb") as f:
            np.lib.format.write_array(f, rng.uniform(-2, 2, (G, J, D)).astype(np.float16), version=(3, 0))
        with open(f"{folder}/v.npy", "wb") as f:
            np.lib.format.write_array(f, rng.uniform(-1, 1, (G, J, D)).astype(np.float32), version=(2, 0))
        return 0
    o = np.load(f"{folder}/o.npy")
    q, k, v = (np.load(f"{folder}/{n}.npy").astype(np.float64) for n in "qkv")
    error = np.abs(o.astype(np.float64) - attention(q, k, v)).max()
    print(f"numpy.load: {o.shape} {o.dtype}, max |error| against NumPy's float64 attention {error:.3g}")
    return 0 if o.dtype == np.float32 and o.shape == (T, I, D) and error < 1e-5 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
