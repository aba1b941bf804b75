package org.alibi4j.tornado;

import static org.alibi4j.attention.AttentionAssertions.assertWithinBound;
import static org.alibi4j.attention.AttentionAssertions.gaussian;
import static org.alibi4j.attention.AttentionAssertions.halves;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.stream.Stream;

import org.alibi4j.AlibiSlopes;
import org.alibi4j.BiasForm;
import org.alibi4j.attention.AttentionReference;
import org.alibi4j.attention.AttentionSpec;
import org.alibi4j.attention.HeadTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import uk.ac.manchester.tornado.api.types.HalfFloat;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The attention kernels as plain Java, no device: the logic against the float64 reference within its
 * bound, before TornadoVM compiles anything ({@code TornadoAttentionBackendTest} runs them on the device).
 */
class AttentionKernelsTest {

    static Stream<Arguments> prefillCases() {
        return Stream.of(BiasForm.values()).flatMap(form -> Stream.of(
                Arguments.of(1, 1, 1, 1, 1, 1, form),
                Arguments.of(3, 3, 3, 5, 7, 16, form),
                Arguments.of(5, 8, 8, 17, 33, 7, form),     // heads without bias, d off any vector width
                Arguments.of(12, 12, 4, 20, 40, 80, form),  // GQA
                Arguments.of(6, 6, 1, 9, 30, 24, form),     // MQA
                Arguments.of(4, 6, 2, 20, 7, 8, form)));    // i > j: causal rows before the first key
    }

    @ParameterizedTest
    @MethodSource("prefillCases")
    void prefillIsWithinTheBound(int heads, int totalHeads, int kvHeads, int i, int j, int d, BiasForm form) {
        AttentionSpec spec = new AttentionSpec(AlibiSlopes.forHeads(heads), totalHeads, kvHeads, d, AttentionSpec.defaultScale(d), form);
        float[] q = gaussian(totalHeads * i * d, 1, 1);
        float[] k = gaussian(kvHeads * j * d, 1, 2);
        float[] v = gaussian(kvHeads * j * d, 1, 3);
        FloatArray out = new FloatArray(q.length);
        AttentionKernels.prefill(slopes(spec), FloatArray.fromArray(q), FloatArray.fromArray(k), FloatArray.fromArray(v), out,
                heads, totalHeads, spec.groupSize(), i, j, d, spec.scale(), form == BiasForm.CAUSAL ? 1 : 0, 0, j * d, d);
        HeadTensor qt = HeadTensor.of(q, totalHeads, i, d);
        HeadTensor kt = HeadTensor.of(k, kvHeads, j, d);
        HeadTensor vt = HeadTensor.of(v, kvHeads, j, d);
        assertWithinBound(spec + " " + i + "x" + j, AttentionReference.prefill(spec, qt, kt, vt), AttentionReference.bound(spec, qt, kt, vt),
                out.toHeapArray(), i, d);
    }

    @Test
    void causalRowsThatSeeNoKeyArePositiveZeros() {
        AttentionSpec spec = new AttentionSpec(AlibiSlopes.forHeads(2), 2, 2, 4, 0.5f, BiasForm.CAUSAL);
        FloatArray out = new FloatArray(2 * 6 * 4);
        out.init(Float.NaN);
        AttentionKernels.prefill(slopes(spec), FloatArray.fromArray(gaussian(48, 1, 4)), FloatArray.fromArray(gaussian(16, 1, 5)),
                FloatArray.fromArray(gaussian(16, 1, 6)), out, 2, 2, 1, 6, 2, 4, 0.5f, 1, 0, 8, 4);
        for (int h = 0; h < 2; h++) {
            for (int n = 0; n < 4 * 4; n++) { // rows 0..3 are at positions -4 .. -1
                assertEquals(0, Float.floatToRawIntBits(out.get(h * 24 + n)), "head " + h + ", element " + n);
            }
        }
    }

    /** Decode through a position-major cache, split into more chunks than keys, as many, and fewer. */
    @ParameterizedTest
    @MethodSource("decodeCases")
    void decodeSplitAndMergeAreWithinTheBound(int position, int chunks) {
        int heads = 5, totalHeads = 6, kvHeads = 2, d = 20, capacity = 300;
        AttentionSpec spec = new AttentionSpec(AlibiSlopes.forHeads(heads), totalHeads, kvHeads, d, 0.3f, BiasForm.CAUSAL);
        float[] k = gaussian(capacity * kvHeads * d, 1, 7);
        float[] v = gaussian(capacity * kvHeads * d, 1, 8);
        float[] q = gaussian(totalHeads * d, 1, 9 + position);
        FloatArray out = decode(spec, position, chunks, q, k, v, 0, d, kvHeads * d);
        HeadTensor kt = HeadTensor.positionMajor(k, capacity, kvHeads, d);
        HeadTensor vt = HeadTensor.positionMajor(v, capacity, kvHeads, d);
        HeadTensor qt = HeadTensor.of(q, totalHeads, 1, d);
        assertWithinBound("decode at " + position + ", " + chunks + " chunks", AttentionReference.decode(spec, position, qt, kt, vt),
                AttentionReference.decodeBound(spec, position, qt, kt, vt), out.toHeapArray(), 1, d);
    }

    static Stream<Arguments> decodeCases() {
        return Stream.of(Arguments.of(0, 1), Arguments.of(0, 4), Arguments.of(2, 3), Arguments.of(5, 16),
                Arguments.of(150, 1), Arguments.of(150, 7), Arguments.of(299, 8), Arguments.of(299, 64));
    }

    @Test
    void decodeBeyondExactFloatPositionsHasTheIntegerBias() {
        // past 2^24 a float position rounds; the kernels use the integer distance, as forward does
        int position = (1 << 24) + 5;
        AttentionSpec spec = new AttentionSpec(AlibiSlopes.of(0.75f), 1, 1, 1, 1.0f, BiasForm.CAUSAL);
        float[] keys = new float[position + 1];
        float[] values = new float[position + 1];
        for (int n = position - 8; n <= position; n++) {
            values[n] = n - position + 8;
        }
        FloatArray out = decode(spec, position, 16, new float[] {1f}, keys, values, 0, 1, 1);
        HeadTensor one = HeadTensor.of(new float[] {1f}, 1, 1, 1);
        assertEquals(AttentionReference.decode(spec, position, one, HeadTensor.of(keys, 1, position + 1, 1),
                HeadTensor.of(values, 1, position + 1, 1))[0], out.get(0), 1e-5);
    }

    @ParameterizedTest
    @MethodSource("prefillCases")
    void prefillOfHalvesIsWithinTheBound(int heads, int totalHeads, int kvHeads, int i, int j, int d, BiasForm form) {
        AttentionSpec spec = new AttentionSpec(AlibiSlopes.forHeads(heads), totalHeads, kvHeads, d, AttentionSpec.defaultScale(d), form);
        float[] q = gaussian(totalHeads * i * d, 1, 1);
        short[] k = halves(gaussian(kvHeads * j * d, 1, 2));
        short[] v = halves(gaussian(kvHeads * j * d, 1, 3));
        FloatArray out = new FloatArray(q.length);
        AttentionKernels.prefillHalf(slopes(spec), FloatArray.fromArray(q), halfArray(k), halfArray(v), out, heads, totalHeads,
                spec.groupSize(), i, j, d, spec.scale(), form == BiasForm.CAUSAL ? 1 : 0, 0, j * d, d);
        HeadTensor qt = HeadTensor.of(q, totalHeads, i, d);
        HeadTensor kt = HeadTensor.ofHalves(k, kvHeads, j, d);
        HeadTensor vt = HeadTensor.ofHalves(v, kvHeads, j, d);
        assertWithinBound(spec + " halves", AttentionReference.prefill(spec, qt, kt, vt), AttentionReference.bound(spec, qt, kt, vt),
                out.toHeapArray(), i, d);
    }

    @ParameterizedTest
    @MethodSource("decodeCases")
    void decodeOfHalvesIsWithinTheBound(int position, int chunks) {
        int heads = 4, totalHeads = 6, kvHeads = 3, d = 24, capacity = 300;
        AttentionSpec spec = new AttentionSpec(AlibiSlopes.forHeads(heads), totalHeads, kvHeads, d, 0.2f, BiasForm.CAUSAL);
        short[] k = halves(gaussian(capacity * kvHeads * d, 1, 17));
        short[] v = halves(gaussian(capacity * kvHeads * d, 1, 18));
        float[] q = gaussian(totalHeads * d, 1, 19 + position);
        int rows = totalHeads * chunks;
        FloatArray partialMax = new FloatArray(rows);
        FloatArray partialSum = new FloatArray(rows);
        FloatArray partialOut = new FloatArray(rows * d);
        FloatArray out = new FloatArray(totalHeads * d);
        AttentionKernels.decodeSplitHalf(slopes(spec), FloatArray.fromArray(q), halfArray(k), halfArray(v), IntArray.fromElements(position),
                partialMax, partialSum, partialOut, heads, totalHeads, spec.groupSize(), d, spec.scale(), chunks, 0, d, kvHeads * d);
        AttentionKernels.decodeMerge(partialMax, partialSum, partialOut, out, totalHeads, d, chunks);
        HeadTensor kt = HeadTensor.positionMajorHalves(k, capacity, kvHeads, d);
        HeadTensor vt = HeadTensor.positionMajorHalves(v, capacity, kvHeads, d);
        HeadTensor qt = HeadTensor.of(q, totalHeads, 1, d);
        assertWithinBound("decode of halves at " + position, AttentionReference.decode(spec, position, qt, kt, vt),
                AttentionReference.decodeBound(spec, position, qt, kt, vt), out.toHeapArray(), 1, d);
    }

    static HalfFloatArray halfArray(short[] bits) {
        HalfFloatArray array = new HalfFloatArray(bits.length);
        for (int n = 0; n < bits.length; n++) {
            array.set(n, new HalfFloat(bits[n]));
        }
        return array;
    }

    private static FloatArray decode(AttentionSpec spec, int position, int chunks, float[] q, float[] k, float[] v,
                                     int kvOffset, int kvHeadStride, int kvRowStride) {
        int rows = spec.totalHeads() * chunks;
        FloatArray partialMax = new FloatArray(rows);
        FloatArray partialSum = new FloatArray(rows);
        FloatArray partialOut = new FloatArray(rows * spec.headDim());
        IntArray at = IntArray.fromElements(position);
        FloatArray out = new FloatArray(spec.totalHeads() * spec.headDim());
        AttentionKernels.decodeSplit(slopes(spec), FloatArray.fromArray(q), FloatArray.fromArray(k), FloatArray.fromArray(v), at,
                partialMax, partialSum, partialOut, spec.heads(), spec.totalHeads(), spec.groupSize(), spec.headDim(), spec.scale(),
                chunks, kvOffset, kvHeadStride, kvRowStride);
        AttentionKernels.decodeMerge(partialMax, partialSum, partialOut, out, spec.totalHeads(), spec.headDim(), chunks);
        return out;
    }

    private static FloatArray slopes(AttentionSpec spec) {
        return AlibiTasks.slopes(spec.slopes());
    }
}
