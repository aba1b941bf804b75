package org.alibi4j;

import java.lang.foreign.MemorySegment;

/** A tensor held in a Java {@code float[]}; the garbage collector frees it once no view needs it. */
public record HeapBiasStorage(float[] data) implements BiasStorage {
    @Override
    public MemorySegment hostSegment() {
        return MemorySegment.ofArray(data).asReadOnly();
    }
}
