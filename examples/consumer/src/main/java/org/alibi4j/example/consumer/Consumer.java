package org.alibi4j.example.consumer;

import java.util.Arrays;
import java.util.Random;

import org.alibi4j.AlibiPositionalBias;
import org.alibi4j.AlibiReference;
import org.alibi4j.BackendStatus;
import org.alibi4j.BiasForm;
import org.alibi4j.BiasSpec;
import org.alibi4j.BiasTensor;
import org.alibi4j.attention.AlibiAttention;
import org.alibi4j.attention.AttentionBackends;
import org.alibi4j.attention.AttentionReference;
import org.alibi4j.attention.HeadTensor;
import org.alibi4j.attention.KvCache;

/**
 * Uses alibi4j-core as an engine would, from its Maven coordinates: a bias {@code forward}, an attention
 * {@code prefill}, and a {@code KvCache} prefill, append and decode step, each checked against the library's
 * references. Run on the class path and on the module path, with and without the Vector API module:
 *
 * <pre>{@code java ... Consumer <class|module> <vector|plain>}</pre>
 *
 * the path the library must be on and the attention kernels it must choose. Any difference exits non-zero.
 */
public final class Consumer {
    private static final int HEADS = 6;
    private static final int KV_HEADS = 2;
    private static final int DIM = 24;
    private static final int PROMPT = 13;

    private Consumer() {
    }

    public static void main(String[] args) throws ReflectiveOperationException {
        if (args.length != 2 || !args[0].matches("class|module") || !args[1].matches("vector|plain")) {
            throw new IllegalArgumentException("usage: Consumer <class|module> <vector|plain> (was " + String.join(" ", args) + ")");
        }
        boolean modulePath = args[0].equals("module");
        String where = checkPath(modulePath);
        String kernels = checkKernels(args[1].equals("vector"));
        checkInternalsAreHidden(modulePath);
        bias();
        prefillAndDecode();
        System.out.println("consumer: " + where + ", attention on " + kernels + ": bias forward, attention prefill and KvCache decode ok");
    }

    /** The library is in the module org.alibi4j on the module path, in the unnamed module on the class path. */
    private static String checkPath(boolean modulePath) {
        Module library = AlibiPositionalBias.class.getModule();
        Module self = Consumer.class.getModule();
        if (modulePath) {
            check("org.alibi4j".equals(library.getName()) && self.isNamed() && self.canRead(library),
                    "on the module path, the library should be the module org.alibi4j read by " + self + " (was " + library + ")");
            return "module path (" + self.getName() + " requires " + library.getName() + ")";
        }
        check(!library.isNamed() && !self.isNamed(), "on the class path, the library should be unnamed (was " + library + ")");
        return "class path";
    }

    /** The CPU attention backend's kernels: the Vector API's where the JVM resolved jdk.incubator.vector. */
    private static String checkKernels(boolean vector) {
        BackendStatus cpu = AttentionBackends.statuses().stream().filter(s -> s.name().equals("cpu")).findFirst()
                .orElseThrow(() -> new IllegalStateException("no cpu attention backend found: " + AttentionBackends.names()));
        check(cpu.available(), "the cpu attention backend should be available: " + cpu);
        String expected = vector ? "Vector API" : "plain Java";
        check(cpu.detail().contains(expected), "the cpu attention backend should run " + expected + " (was " + cpu.detail() + ")");
        return cpu.detail();
    }

    /** org.alibi4j.internal is exported only to org.alibi4j.tornado: on the module path a consumer cannot call it. */
    private static void checkInternalsAreHidden(boolean modulePath) throws ReflectiveOperationException {
        var positive = Class.forName("org.alibi4j.internal.Arguments").getMethod("positive", String.class, int.class);
        boolean callable;
        try {
            positive.invoke(null, "n", 1);
            callable = true;
        } catch (IllegalAccessException e) {
            callable = false;
        }
        check(callable != modulePath, "org.alibi4j.internal should be " + (modulePath ? "closed" : "open") + " to this code here");
    }

    /** The README's first example, every element against the reference formula. */
    private static void bias() {
        try (var alibi = new AlibiPositionalBias(4, 8)) {
            BiasTensor bias = alibi.forward(3, 5);
            BiasSpec spec = new BiasSpec(alibi.slopes(), 8, 3, 5, BiasForm.SYMMETRIC);
            for (int h = 0; h < 8; h++) {
                for (int q = 0; q < 3; q++) {
                    for (int k = 0; k < 5; k++) {
                        float expected = AlibiReference.bias(spec, h, q, k);
                        check(Float.floatToRawIntBits(bias.get(h, q, k)) == Float.floatToRawIntBits(expected),
                                "bias[" + h + "][" + q + "][" + k + "] = " + bias.get(h, q, k) + ", expected " + expected);
                    }
                }
            }
        }
    }

    /**
     * A causal GQA prefill against the float64 reference within its bound; then the same prompt through a
     * {@code KvCache}, one more position appended and decoded, against the stateless decode bit for bit.
     */
    private static void prefillAndDecode() {
        Random random = new Random(42);
        float[] q = values(random, HEADS * PROMPT * DIM);
        float[] k = values(random, KV_HEADS * (PROMPT + 1) * DIM);
        float[] v = values(random, KV_HEADS * (PROMPT + 1) * DIM);
        float[] query = values(random, HEADS * DIM);
        try (var attention = AlibiAttention.builder(HEADS).kvHeads(KV_HEADS).headDim(DIM).causal().build();
             KvCache cache = attention.openKvCache(32)) {
            HeadTensor qs = HeadTensor.of(q, HEADS, PROMPT, DIM);
            HeadTensor keys = HeadTensor.of(k, KV_HEADS, PROMPT + 1, DIM);
            HeadTensor values = HeadTensor.of(v, KV_HEADS, PROMPT + 1, DIM);
            HeadTensor prompt = keys.firstRows(PROMPT);
            HeadTensor promptValues = values.firstRows(PROMPT);
            float[] out = new float[HEADS * PROMPT * DIM];
            attention.prefill(qs, prompt, promptValues, HeadTensor.of(out, HEADS, PROMPT, DIM));
            double[] reference = AttentionReference.prefill(attention.spec(), qs, prompt, promptValues);
            double[] bound = AttentionReference.bound(attention.spec(), qs, prompt, promptValues);
            for (int e = 0; e < out.length; e++) {
                check(Math.abs(out[e] - reference[e]) <= bound[e / DIM],
                        "prefill element " + e + ": " + out[e] + " against " + reference[e] + ", bound " + bound[e / DIM]);
            }

            float[] cachedOut = new float[out.length];
            cache.prefill(qs, prompt, promptValues, HeadTensor.of(cachedOut, HEADS, PROMPT, DIM));
            check(Arrays.equals(out, cachedOut), "the cache's prefill should give the stateless prefill's bits");

            float[] kRow = new float[KV_HEADS * DIM];
            float[] vRow = new float[KV_HEADS * DIM];
            for (int g = 0; g < KV_HEADS; g++) {
                System.arraycopy(k, (g * (PROMPT + 1) + PROMPT) * DIM, kRow, g * DIM, DIM);
                System.arraycopy(v, (g * (PROMPT + 1) + PROMPT) * DIM, vRow, g * DIM, DIM);
            }
            cache.append(PROMPT, HeadTensor.of(kRow, KV_HEADS, 1, DIM), HeadTensor.of(vRow, KV_HEADS, 1, DIM));
            float[] step = new float[HEADS * DIM];
            cache.decode(PROMPT, HeadTensor.of(query, HEADS, 1, DIM), HeadTensor.of(step, HEADS, 1, DIM));

            float[] stateless = new float[HEADS * DIM];
            attention.decode(PROMPT, HeadTensor.of(query, HEADS, 1, DIM), keys, values, HeadTensor.of(stateless, HEADS, 1, DIM));
            check(Arrays.equals(step, stateless), "the cache's decode step should give the stateless decode's bits");
            check(cache.length() == PROMPT + 1, "the cache should hold " + (PROMPT + 1) + " positions (was " + cache.length() + ")");
        }
    }

    private static float[] values(Random random, int n) {
        float[] a = new float[n];
        for (int e = 0; e < n; e++) {
            a[e] = (float) random.nextGaussian();
        }
        return a;
    }

    private static void check(boolean condition, String message) {
        if (!condition) {
            throw new IllegalStateException("consumer: " + message);
        }
    }
}
