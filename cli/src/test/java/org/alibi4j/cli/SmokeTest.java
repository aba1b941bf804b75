package org.alibi4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.regex.Pattern;

import org.alibi4j.attention.AttentionBackend;
import org.alibi4j.attention.AttentionSpec;
import org.alibi4j.attention.BackendKvCache;
import org.alibi4j.attention.HeadTensor;
import org.alibi4j.attention.HeadTensor.Precision;
import org.alibi4j.attention.cpu.CpuAttentionBackend;
import org.junit.jupiter.api.Test;

class SmokeTest {

    @Test
    void smokeRunsEveryBiasAndAttentionCaseAndPasses() {
        CliRun run = CliRun.of("smoke");
        assertEquals(0, run.exitCode(), run.out() + run.err());
        assertTrue(run.out().contains("smoke: all bias cases bit-identical to the reference\n"), run.out());
        assertTrue(run.out().matches("(?s).*\nsmoke: all attention cases within the float64 reference's bound \\(largest error 0\\.\\d{4} of it\\)\n.*"),
                run.out());
        for (AttentionSmoke.Case c : AttentionSmoke.CASES) {
            assertTrue(run.out().matches("(?s).*\ncpu +Java [^\n]* " + Pattern.quote(c.name()) + " +"
                    + Pattern.quote(c.shape()) + " +\\S+ +0\\.\\d{4} +0 +\\d+\\.\\d\\d\n.*"), c.name() + "\n" + run.out());
        }
    }

    @Test
    void smokeRunsEveryCheckpointEndToEnd() {
        CliRun run = CliRun.of("smoke", "--backend", "cpu");
        assertEquals(0, run.exitCode(), run.out() + run.err());
        assertTrue(run.out().endsWith("smoke: every checkpoint agrees with transformers (logits within the bound, greedy tokens equal)\n"), run.out());
        for (String name : ModelSmoke.CASES) {
            assertTrue(run.out().matches("(?s).*\ncpu +" + Pattern.quote(name) + " +\\S+ L\\d+ H\\d+ h\\d+ \\S+ +\\S+ +0\\.\\d{4} +12/12 +\\d+\\.\\d\\d\n.*"),
                    name + "\n" + run.out());
        }
    }

    @Test
    void aModelCaseFailsOnAnAttentionBackendThatIsOff() {
        try (AttentionBackend broken = brokenBy(0.5f)) {
            for (String name : ModelSmoke.CASES) {
                ModelSmoke.Result r = ModelSmoke.run(broken, name);
                assertTrue(!r.passed() && r.maxRatio() > 1, name + ": " + r);
            }
        }
    }

    @Test
    void smokeOfOneBackendByName() {
        CliRun run = CliRun.of("smoke", "--backend", "cpu");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("cache growth") && run.out().contains("decode, f16 position-major")
                && run.out().contains("KV cache f16"), run.out());
    }

    /** A one-thread CPU backend under another name, for the spoilt backends below to override a part of. */
    private static class OnCpu implements AttentionBackend {
        final CpuAttentionBackend cpu = new CpuAttentionBackend(1);
        private final String name;

        OnCpu(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public String device() {
            return "test";
        }

        @Override
        public void prefill(AttentionSpec spec, HeadTensor q, HeadTensor k, HeadTensor v, HeadTensor out) {
            cpu.prefill(spec, q, k, v, out);
        }

        @Override
        public void decode(AttentionSpec spec, int position, HeadTensor q, HeadTensor k, HeadTensor v, HeadTensor out) {
            cpu.decode(spec, position, q, k, v, out);
        }

        @Override
        public void close() {
            cpu.close();
        }
    }

    /** The CPU backend with one output element moved by {@code delta}, or left unwritten where delta is NaN. */
    private static AttentionBackend brokenBy(float delta) {
        return new OnCpu("broken") {
            @Override
            public void prefill(AttentionSpec spec, HeadTensor q, HeadTensor k, HeadTensor v, HeadTensor out) {
                super.prefill(spec, q, k, v, out);
                spoil(out);
            }

            @Override
            public void decode(AttentionSpec spec, int position, HeadTensor q, HeadTensor k, HeadTensor v, HeadTensor out) {
                super.decode(spec, position, q, k, v, out);
                spoil(out);
            }

            private void spoil(HeadTensor out) {
                float[] data = out.heapFloats();
                int last = data.length - 1;
                data[last] = Float.isNaN(delta) ? Float.NaN : data[last] + delta;
            }
        };
    }

    @Test
    void anAttentionCaseFailsWhenOneElementIsOutsideTheBound() {
        try (AttentionBackend broken = brokenBy(1e-3f)) {
            for (AttentionSmoke.Case c : AttentionSmoke.CASES) {
                AttentionSmoke.Result r = AttentionSmoke.run(broken, c, 1);
                assertEquals(c.outputs(), r.overBound(), c.name()); // the last element of each output checked
                assertTrue(r.maxRatio() > 1, c.name());
            }
        }
    }

    @Test
    void anAttentionCaseFailsWhenAnElementIsNotWritten() {
        try (AttentionBackend broken = brokenBy(Float.NaN)) {
            AttentionSmoke.Result r = AttentionSmoke.run(broken, AttentionSmoke.CASES.get(0), 1);
            assertEquals(1, r.overBound());
            assertEquals(Double.POSITIVE_INFINITY, r.maxRatio());
        }
    }

    /** The CPU backend with a KV cache of its own that {@code cache} makes from the CPU's (the spec, capacity and precision asked). */
    private static AttentionBackend withKvCache(KvCacheMaker cache) {
        return new OnCpu("odd-cache") {
            @Override
            public BackendKvCache openKvCache(AttentionSpec spec, int capacity, Precision precision) {
                return cache.open(cpu, spec, capacity, precision);
            }
        };
    }

    private interface KvCacheMaker {
        BackendKvCache open(AttentionBackend cpu, AttentionSpec spec, int capacity, Precision precision);
    }

    private static List<AttentionSmoke.Case> kvCacheCases() {
        return AttentionSmoke.CASES.stream().filter(c -> c.steps() > 0).toList();
    }

    @Test
    void theKvCacheCasesRunF32AndF16CachesUnderGqa() {
        List<AttentionSmoke.Case> cases = kvCacheCases();
        assertTrue(cases.stream().anyMatch(c -> !c.halves()) && cases.stream().anyMatch(AttentionSmoke.Case::halves), cases.toString());
        for (AttentionSmoke.Case c : cases) {
            assertTrue(c.kvHeads() > 1 && c.kvHeads() < c.totalHeads(), c.name());
            assertTrue(c.steps() > 1 && c.j() + c.steps() <= c.capacity(), c.name());
        }
    }

    @Test
    void aKvCacheCaseFailsWhenADecodeStepReadsAStaleRow() {
        // appends after the prefill are dropped: each step reads whatever its position held before
        try (AttentionBackend stale = withKvCache((cpu, spec, capacity, precision) -> {
            BackendKvCache real = cpu.openKvCache(spec, capacity, precision);
            return new BackendKvCache() {
                private boolean prefilled;

                @Override
                public void append(int position, HeadTensor k, HeadTensor v) {
                    if (!prefilled) {
                        real.append(position, k, v);
                        prefilled = true;
                    }
                }

                @Override
                public void decode(int position, HeadTensor q, HeadTensor out) {
                    real.decode(position, q, out);
                }

                @Override
                public void close() {
                    real.close();
                }
            };
        })) {
            for (AttentionSmoke.Case c : kvCacheCases()) {
                AttentionSmoke.Result r = AttentionSmoke.run(stale, c, 1);
                assertTrue(r.overBound() > 0, c.name() + ": " + r);
            }
        }
    }

    @Test
    void anF16KvCaseFailsWhenTheCacheKeepsFloats() {
        // the reference reads the halves' values, so a cache that skips the rounding is off by far more than the bound
        try (AttentionBackend unrounded = withKvCache((cpu, spec, capacity, precision) -> cpu.openKvCache(spec, capacity, Precision.F32))) {
            for (AttentionSmoke.Case c : kvCacheCases()) {
                AttentionSmoke.Result r = AttentionSmoke.run(unrounded, c, 1);
                assertEquals(!c.halves(), r.passed(), c.name() + ": " + r);
            }
        }
    }

    @Test
    void anAttentionCasePassesOnTheCpuBackendsPlainJavaKernels() {
        try (AttentionBackend plain = CpuAttentionBackend.plainJava(2)) {
            for (AttentionSmoke.Case c : AttentionSmoke.CASES) {
                AttentionSmoke.Result r = AttentionSmoke.run(plain, c, 1);
                assertTrue(r.passed(), c.name() + ": " + r);
            }
        }
    }
}
