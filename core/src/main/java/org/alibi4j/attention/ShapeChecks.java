package org.alibi4j.attention;

/**
 * The checks of views against a spec that {@link AlibiAttention} and {@link KvCache} make before a
 * backend sees them; each message names the argument.
 */
final class ShapeChecks {
    private ShapeChecks() {
    }

    /** {@code t} has the spec's query heads and head dimension, and {@code rows} rows unless {@code rows <= 0}. */
    static void queries(AttentionSpec spec, String name, HeadTensor t, int rows) {
        notNull(name, t);
        if (t.heads() != spec.totalHeads()) {
            throw new IllegalArgumentException(name + " must have totalHeads = " + spec.totalHeads() + " heads (had " + t.heads() + ")");
        }
        dim(spec, name, t);
        if (rows > 0 && t.rows() != rows) {
            throw new IllegalArgumentException(name + " must have " + rows + (rows == 1 ? " row" : " rows") + " (had " + t.rows() + ")");
        }
    }

    /** {@code t} has the spec's key/value heads and head dimension. */
    static void keys(AttentionSpec spec, String name, HeadTensor t) {
        notNull(name, t);
        if (t.heads() != spec.kvHeads()) {
            throw new IllegalArgumentException(name + " must have kvHeads = " + spec.kvHeads() + " heads (had " + t.heads() + ")");
        }
        dim(spec, name, t);
    }

    /** {@code k} and {@code v} are key/value views of as many rows. */
    static void keysAndValues(AttentionSpec spec, HeadTensor k, HeadTensor v) {
        keys(spec, "k", k);
        keys(spec, "v", v);
        if (k.rows() != v.rows()) {
            throw new IllegalArgumentException("k and v must hold as many keys (were " + k.rows() + " and " + v.rows() + ")");
        }
    }

    /** {@code out} can be written: floats, on the heap or in a writable segment. */
    static void writable(HeadTensor out) {
        if (!out.writable()) {
            throw new IllegalArgumentException("out must be a writable view of floats (was " + out + ")");
        }
    }

    private static void dim(AttentionSpec spec, String name, HeadTensor t) {
        if (t.dim() != spec.headDim()) {
            throw new IllegalArgumentException(name + " must have headDim = " + spec.headDim() + " (had " + t.dim() + ")");
        }
    }

    private static void notNull(String name, HeadTensor t) {
        if (t == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
    }
}
