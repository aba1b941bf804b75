package org.alibi4j.models.checkpoint;

import java.lang.foreign.MemorySegment;

/**
 * One tensor of a checkpoint, at its stored precision: {@code data} is a read-only view of the mapped
 * file (little-endian, row-major, {@code shape} as stored), never a copy on the heap.
 *
 * @param name  the tensor's name in the checkpoint
 * @param dtype its element type
 * @param shape its dimensions, outermost first
 * @param data  exactly its bytes: {@code dtype.bytes() * elements()} of them
 */
public record WeightTensor(String name, DType dtype, long[] shape, MemorySegment data) {
    // Implemented in the checkpoint package: elements(), rows()/columns() for matrices, get(index) and
    // row(r, float[] dst, offset) widening exactly to float, toFloats() for small vectors.
}
