package org.alibi4j.tornado;

import static org.alibi4j.attention.AttentionAssertions.assertWithinBound;
import static org.alibi4j.attention.AttentionAssertions.gaussian;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.alibi4j.AlibiSlopes;
import org.alibi4j.BiasForm;
import org.alibi4j.attention.AttentionBackend;
import org.alibi4j.attention.AttentionBackends;
import org.alibi4j.attention.AttentionReference;
import org.alibi4j.attention.AttentionSpec;
import org.alibi4j.attention.HeadTensor;
import org.alibi4j.attention.KvCacheContract;
import org.junit.jupiter.api.Test;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.TornadoNativeArray;

/**
 * The KV cache contract on TornadoVM's default device, and what makes the cache resident: after an
 * append, a decode step sends only its query and position and brings back only its output (TornadoVM's
 * own count of the bytes it copied), and the caches never cross between host and device.
 */
class TornadoKvCacheTest extends KvCacheContract {
    private static final int HEADS = 8;
    private static final int KV_HEADS = 2;
    private static final int D = 64;
    private static final int CAPACITY = 1200;
    private static final AttentionSpec SPEC = new AttentionSpec(AlibiSlopes.forHeads(6), HEADS, KV_HEADS, D, AttentionSpec.defaultScale(D),
            BiasForm.CAUSAL);

    @Override
    protected AttentionBackend openBackend() {
        assumeTrue(System.getenv("TORNADOVM_HOME") != null, "TORNADOVM_HOME is not set: no TornadoVM to test");
        assertEquals("False", System.getProperty(TornadoProviderSupport.BAILOUT_PROPERTY));
        return AttentionBackends.open(TornadoAttentionBackend.NAME);
    }

    @Test
    void aDecodeStepCopiesItsQueryAndPositionInAndItsOutputBackAndNothingElse() {
        TornadoAttentionBackend tornado = (TornadoAttentionBackend) backend;
        float[] k = gaussian(KV_HEADS * CAPACITY * D, 1, 1);
        float[] v = gaussian(KV_HEADS * CAPACITY * D, 1, 2);
        HeadTensor kAll = HeadTensor.of(k, KV_HEADS, CAPACITY, D);
        HeadTensor vAll = HeadTensor.of(v, KV_HEADS, CAPACITY, D);
        TornadoKvCache cache = tornado.openKvCacheGroups(SPEC, 0, KV_HEADS, CAPACITY, HeadTensor.Precision.F32, true);
        try {
            cache.append(0, kAll.firstRows(1000), vAll.firstRows(1000)); // four executions of the bulk append
            assertEquals(4, cache.appendExecutions());
            for (int p = 1000; p < 1010; p++) {
                cache.append(p, rows(k, p), rows(v, p));
                assertCopied("an append sends its row (K and V) and position", 2L * KV_HEADS * D * Float.BYTES + 2 * Integer.BYTES, 3, 1,
                        cache.lastBytesCopiedIn());
                assertEquals(0, cache.lastBytesCopiedOut(), "an append brings nothing back");
                HeadTensor q = HeadTensor.of(gaussian(HEADS * D, 1, p), HEADS, 1, D);
                float[] out = new float[HEADS * D];
                cache.decode(p, q, HeadTensor.of(out, HEADS, 1, D));
                assertCopied("a decode step sends its query and position, not the caches", (long) HEADS * D * Float.BYTES + Integer.BYTES, 2, 2,
                        cache.lastBytesCopiedIn());
                assertCopied("a decode step brings back its output", (long) HEADS * D * Float.BYTES, 1, 0, cache.lastBytesCopiedOut());
                assertWithinBound("step " + p, AttentionReference.decode(SPEC, p, q, kAll, vAll),
                        AttentionReference.decodeBound(SPEC, p, q, kAll, vAll), out, 1, D);
            }
            assertEquals(4 + 10, cache.appendExecutions());
            assertEquals(10, cache.decodeExecutions());
        } finally {
            cache.close();
        }
    }

    @Test
    void theCachesNeverCrossBetweenHostAndDeviceAndADecodeDoesNotResendTheStagedRows() {
        TornadoAttentionBackend tornado = (TornadoAttentionBackend) backend;
        float[] k = gaussian(KV_HEADS * CAPACITY * D, 1, 3);
        float[] v = gaussian(KV_HEADS * CAPACITY * D, 1, 4);
        HeadTensor kAll = HeadTensor.of(k, KV_HEADS, CAPACITY, D);
        HeadTensor vAll = HeadTensor.of(v, KV_HEADS, CAPACITY, D);
        TornadoKvCache cache = tornado.openKvCacheGroups(SPEC, 0, KV_HEADS, CAPACITY, HeadTensor.Precision.F32, false);
        try {
            // TornadoVM's host arrays of the caches: were they sent to the device, every step would see NaN
            for (TornadoNativeArray host : cache.hostCaches()) {
                ((FloatArray) host).init(Float.NaN);
            }
            cache.append(0, kAll.firstRows(300), vAll.firstRows(300));
            HeadTensor q = HeadTensor.of(gaussian(HEADS * D, 1, 5), HEADS, 1, D);
            for (int p = 300; p < 305; p++) {
                cache.append(p, rows(k, p), rows(v, p));
                float[] out = new float[HEADS * D];
                cache.decode(p, q, HeadTensor.of(out, HEADS, 1, D));
                assertWithinBound("step " + p, AttentionReference.decode(SPEC, p, q, kAll, vAll),
                        AttentionReference.decodeBound(SPEC, p, q, kAll, vAll), out, 1, D);
                // the staged rows overwritten after the append: a decode that appended them again would differ
                for (TornadoNativeArray staged : cache.staging()) {
                    ((FloatArray) staged).init(Float.NaN);
                }
                float[] again = new float[HEADS * D];
                cache.decode(p, q, HeadTensor.of(again, HEADS, 1, D));
                assertArrayEquals(out, again, "step " + p + " again");
            }
            for (TornadoNativeArray host : cache.hostCaches()) { // and they never came back
                FloatArray floats = (FloatArray) host;
                assertTrue(Float.isNaN(floats.get(0)) && Float.isNaN(floats.get(floats.getSize() - 1)), "the host's copy was written");
            }
        } finally {
            cache.close();
        }
    }

    @Test
    void closingTheBackendFreesItsCaches() {
        try (var tornado = new TornadoAttentionBackend()) {
            TornadoKvCache cache = (TornadoKvCache) tornado.openKvCache(SPEC, 16, HeadTensor.Precision.F32);
            TornadoKvCache closedFirst = (TornadoKvCache) tornado.openKvCache(SPEC, 16, HeadTensor.Precision.F32);
            closedFirst.close();
            assertEquals(1, tornado.kvCachesOpen());
            HeadTensor row = HeadTensor.of(new float[KV_HEADS * D], KV_HEADS, 1, D);
            cache.append(0, row, row);
            tornado.close();
            assertEquals(0, tornado.kvCachesOpen());
            assertEquals("this attention backend is closed", assertThrows(IllegalStateException.class,
                    () -> cache.decode(0, HeadTensor.of(new float[HEADS * D], HEADS, 1, D), HeadTensor.of(new float[HEADS * D], HEADS, 1, D)))
                    .getMessage());
            assertEquals("this attention backend is closed", assertThrows(IllegalStateException.class,
                    () -> tornado.openKvCache(SPEC, 16, HeadTensor.Precision.F32)).getMessage());
        }
    }

    @Test
    void aCacheOfHalvesSaysHowTheDeviceKeepsThem() {
        try (TornadoKvCache cache = ((TornadoAttentionBackend) backend).openKvCacheGroups(SPEC, 0, KV_HEADS, 8, HeadTensor.Precision.F16,
                false)) {
            // Debian's PoCL 3.1 has no cl_khr_fp16: there the halves' values are kept in floats
            assertTrue(cache.toString().contains(cache.storesHalves() ? "positions of halves on" : "halves' values in floats"), cache.toString());
        }
    }

    /**
     * {@code bytes}, as TornadoVM counted them, are the {@code payload} of {@code arrays} arrays, their
     * headers ({@link TornadoNativeArray#ARRAY_HEADER} each) and the argument frames of {@code tasks} kernels
     * (up to 64 bytes each allowed): one row of the caches ({@code 2 * D * 4} bytes a head) is more.
     */
    private static void assertCopied(String what, long payload, int arrays, int tasks, long bytes) {
        long most = payload + arrays * TornadoNativeArray.ARRAY_HEADER + tasks * 64L;
        assertTrue(bytes >= payload && bytes <= most, what + ": " + payload + " bytes in " + arrays + " arrays for " + tasks
                + " tasks, so at most " + most + "; TornadoVM copied " + bytes);
    }

    /** Position {@code p} of a head-major {@code [KV_HEADS, CAPACITY, D]} array, as an engine's one-row view. */
    private static HeadTensor rows(float[] data, int p) {
        return HeadTensor.strided(data, (long) p * D, KV_HEADS, 1, D, (long) CAPACITY * D, D);
    }
}
