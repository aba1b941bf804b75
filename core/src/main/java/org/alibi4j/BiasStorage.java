package org.alibi4j;

import java.lang.foreign.MemorySegment;

/** Where a backend keeps one dense bias tensor. */
public interface BiasStorage {

    /**
     * The tensor's floats on the host, read-only, in native byte order. A device backend brings them
     * to the host on the first call and not before.
     */
    MemorySegment hostSegment();

    /**
     * The owner no longer needs this storage. Views taken from it before stay readable: a backend
     * that frees device memory here first keeps a host copy for them.
     */
    default void release() {
    }
}
