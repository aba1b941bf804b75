package org.alibi4j.tornado;

import static org.alibi4j.attention.AttentionAssertions.assertWithinBound;
import static org.alibi4j.attention.AttentionAssertions.gaussian;
import static org.alibi4j.attention.AttentionAssertions.halves;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.stream.Stream;

import org.alibi4j.AlibiSlopes;
import org.alibi4j.BiasForm;
import org.alibi4j.attention.AttentionReference;
import org.alibi4j.attention.AttentionSpec;
import org.alibi4j.attention.HeadTensor;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.enums.TornadoVMBackendType;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The fused attention tasks of {@link AlibiTasks} over K and V in halves ({@code HalfFloatArray}s already on
 * the device: {@link AttentionKernels#prefillHalf}, {@link AttentionKernels#decodeSplitHalf}) in an engine's
 * graph, on the device, against the float64 reference within its bound: prefill causal and symmetric, GQA,
 * MQA, heads without bias, {@code i > j}; decode steps through one plan; K/V head-major, position-major and
 * one layer of a position-major cache of two, with every element the kernels must not read a NaN. Skipped,
 * saying why, where the device has no fp16 ({@link Fp16Device}); the same kernels are tested as plain Java
 * in {@code AttentionKernelsTest}.
 */
class HalfAttentionTasksTest {
    /** Float32 rounding stays far below the worst-case bound on these seeded cases, as the core's contract requires. */
    private static final double TYPICAL_FRACTION_OF_BOUND = 0.1;
    private static final short HALF_NAN = 0x7e00;

    /** Where the kernels find K and V in the engine's arrays. */
    enum Layout {
        /** {@code [kvHeads, capacity, d]}. */
        HEAD_MAJOR,
        /** {@code [capacity, kvHeads * d]}, llama3.java's cache. */
        POSITION_MAJOR,
        /** Layer 1 of a position-major cache of two layers {@code [2, capacity, kvHeads * d]}, layer 0 all NaN. */
        SECOND_LAYER;

        AlibiTasks.KvLayout kvLayout(int kvHeads, int capacity, int d) {
            return switch (this) {
                case HEAD_MAJOR -> AlibiTasks.KvLayout.headMajor(capacity, d);
                case POSITION_MAJOR -> AlibiTasks.KvLayout.positionMajor(kvHeads, d);
                case SECOND_LAYER -> AlibiTasks.KvLayout.positionMajor(kvHeads, d).from(capacity * kvHeads * d);
            };
        }

        int elements(int kvHeads, int capacity, int d) {
            return (this == SECOND_LAYER ? 2 : 1) * kvHeads * capacity * d;
        }

        /** The first {@code rows} positions of {@code kvHeads} heads of {@code cache} as the reference reads them. */
        HeadTensor view(short[] cache, int kvHeads, int capacity, int d) {
            AlibiTasks.KvLayout kv = kvLayout(kvHeads, capacity, d);
            return HeadTensor.stridedHalves(cache, kv.offset(), kvHeads, capacity, d, kv.headStride(), kv.rowStride());
        }
    }

    @BeforeEach
    void needsAnFp16Device() {
        Fp16Device.assumeFp16();
    }

    static Stream<Arguments> prefillCases() {
        return Stream.of(Layout.values()).flatMap(layout -> Stream.of(BiasForm.values()).flatMap(form -> Stream.of(
                Arguments.of(layout, form, 6, 8, 4, 5, 37, 16),     // GQA, heads without bias
                Arguments.of(layout, form, 5, 5, 5, 17, 33, 7),     // a head per K/V head, d off any vector width
                Arguments.of(layout, form, 6, 6, 1, 9, 30, 24),     // MQA
                Arguments.of(layout, form, 4, 6, 2, 20, 7, 8))));   // i > j: causal rows before the first key
    }

    /**
     * A prefill over the first {@code j} positions of caches of {@code j + 3}: the positions past {@code j}
     * (and layer 0) hold NaN, so a key read out of range shows.
     */
    @ParameterizedTest
    @MethodSource("prefillCases")
    void prefillOfHalvesOnTheDeviceIsWithinTheBound(Layout layout, BiasForm form, int heads, int totalHeads, int kvHeads, int i, int j,
                                                   int d) throws Exception {
        AttentionSpec spec = new AttentionSpec(AlibiSlopes.forHeads(heads), totalHeads, kvHeads, d, AttentionSpec.defaultScale(d), form);
        int capacity = j + 3;
        float[] query = gaussian(totalHeads * i * d, 1, 41);
        short[] kBits = cache(layout, kvHeads, capacity, d, j, 42);
        short[] vBits = cache(layout, kvHeads, capacity, d, j, 43);
        FloatArray q = FloatArray.fromArray(query);
        HalfFloatArray k = AttentionKernelsTest.halfArray(kBits);
        HalfFloatArray v = AttentionKernelsTest.halfArray(vBits);
        FloatArray out = new FloatArray(totalHeads * i * d);
        out.init(Float.NaN);
        TaskGraph graph = new TaskGraph("engine_half").transferToDevice(DataTransferMode.FIRST_EXECUTION, q, k, v, out);
        AlibiTasks.prefillAttention(graph, "attention", spec, q, k, v, layout.kvLayout(kvHeads, capacity, d), out, i, j)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out);
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(graph.snapshot())
                .withCompilerFlags(TornadoVMBackendType.OPENCL, AlibiTasks.EXACT_OPENCL_FLAGS)) {
            plan.execute();
        }
        HeadTensor qt = HeadTensor.of(query, totalHeads, i, d);
        HeadTensor kt = layout.view(kBits, kvHeads, capacity, d).firstRows(j);
        HeadTensor vt = layout.view(vBits, kvHeads, capacity, d).firstRows(j);
        String what = layout + " " + spec + " " + i + "x" + j;
        double worst = assertWithinBound(what, AttentionReference.prefill(spec, qt, kt, vt), AttentionReference.bound(spec, qt, kt, vt),
                out.toHeapArray(), i, d);
        assertTrue(worst < TYPICAL_FRACTION_OF_BOUND, what + ": error reached " + worst + " of the bound");
    }

    static Stream<Arguments> decodeCases() {
        return Stream.of(Layout.values()).flatMap(layout -> Stream.of(
                Arguments.of(layout, BiasForm.CAUSAL, 6, 8, 4, 16),    // GQA, heads without bias
                Arguments.of(layout, BiasForm.SYMMETRIC, 5, 5, 5, 20), // keys up to the position: the same bias either way
                Arguments.of(layout, BiasForm.CAUSAL, 4, 4, 1, 24)));  // MQA
    }

    /**
     * Decode steps at growing positions through one compiled plan (the position read on the device), over
     * caches of 700 positions (two chunks of the split) of which the last 49 hold NaN, never read.
     */
    @ParameterizedTest
    @MethodSource("decodeCases")
    void decodeOfHalvesOnTheDeviceIsWithinTheBound(Layout layout, BiasForm form, int heads, int totalHeads, int kvHeads, int d)
            throws Exception {
        AttentionSpec spec = new AttentionSpec(AlibiSlopes.forHeads(heads), totalHeads, kvHeads, d, 0.25f, form);
        int capacity = 700;
        int filled = 651;
        short[] kBits = cache(layout, kvHeads, capacity, d, filled, 51);
        short[] vBits = cache(layout, kvHeads, capacity, d, filled, 52);
        HalfFloatArray k = AttentionKernelsTest.halfArray(kBits);
        HalfFloatArray v = AttentionKernelsTest.halfArray(vBits);
        FloatArray q = new FloatArray(totalHeads * d);
        FloatArray out = new FloatArray(totalHeads * d);
        IntArray position = new IntArray(1);
        TaskGraph graph = new TaskGraph("decode_half")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, k, v)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, position, q);
        AlibiTasks.decodeAttention(graph, "attention", spec, q, k, v, layout.kvLayout(kvHeads, capacity, d), position, out, capacity)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out);
        HeadTensor kt = layout.view(kBits, kvHeads, capacity, d);
        HeadTensor vt = layout.view(vBits, kvHeads, capacity, d);
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(graph.snapshot())
                .withCompilerFlags(TornadoVMBackendType.OPENCL, AlibiTasks.EXACT_OPENCL_FLAGS)) {
            for (int p : new int[] {0, 1, 349, 350, filled - 1}) {
                float[] query = gaussian(totalHeads * d, 1, 60 + p);
                for (int n = 0; n < query.length; n++) {
                    q.set(n, query[n]);
                }
                position.set(0, p);
                plan.execute();
                HeadTensor qt = HeadTensor.of(query, totalHeads, 1, d);
                String what = layout + " " + spec + " at " + p;
                double worst = assertWithinBound(what, AttentionReference.decode(spec, p, qt, kt, vt),
                        AttentionReference.decodeBound(spec, p, qt, kt, vt), out.toHeapArray(), 1, d);
                assertTrue(worst < TYPICAL_FRACTION_OF_BOUND, what + ": error reached " + worst + " of the bound");
            }
        }
    }

    /** A cache in {@code layout} whose first {@code rows} positions hold seeded halves and everything else NaN. */
    private static short[] cache(Layout layout, int kvHeads, int capacity, int d, int rows, long seed) {
        short[] bits = new short[layout.elements(kvHeads, capacity, d)];
        Arrays.fill(bits, HALF_NAN);
        short[] values = halves(gaussian(kvHeads * rows * d, 1, seed));
        AlibiTasks.KvLayout kv = layout.kvLayout(kvHeads, capacity, d);
        for (int g = 0; g < kvHeads; g++) {
            for (int r = 0; r < rows; r++) {
                System.arraycopy(values, (g * rows + r) * d, bits, kv.offset() + g * kv.headStride() + r * kv.rowStride(), d);
            }
        }
        return bits;
    }
}
