package org.alibi4j.models.linalg;

/** {@code y = x W^T + b}: a weight matrix {@code W [out, in]} at its stored precision, an optional float bias. */
public final class Linear {
    // Implemented in the linalg package.
}
