package org.alibi4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Pattern;

import org.alibi4j.attention.AttentionBackend;
import org.alibi4j.attention.AttentionSpec;
import org.alibi4j.attention.HeadTensor;
import org.alibi4j.attention.cpu.CpuAttentionBackend;
import org.junit.jupiter.api.Test;

class SmokeTest {

    @Test
    void smokeRunsEveryBiasAndAttentionCaseAndPasses() {
        CliRun run = CliRun.of("smoke");
        assertEquals(0, run.exitCode(), run.out() + run.err());
        assertTrue(run.out().contains("smoke: all bias cases bit-identical to the reference\n"), run.out());
        assertTrue(run.out().matches("(?s).*\nsmoke: all attention cases within the float64 reference's bound \\(largest error 0\\.\\d{4} of it\\)\n"),
                run.out());
        for (AttentionSmoke.Case c : AttentionSmoke.CASES) {
            assertTrue(run.out().matches("(?s).*\ncpu +Java [^\n]* " + Pattern.quote(c.name()) + " +"
                    + Pattern.quote(c.shape()) + " +\\S+ +0\\.\\d{4} +0 +\\d+\\.\\d\\d\n.*"), c.name() + "\n" + run.out());
        }
    }

    @Test
    void smokeOfOneBackendByName() {
        CliRun run = CliRun.of("smoke", "--backend", "cpu");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("cache growth") && run.out().contains("decode, f16 position-major"), run.out());
    }

    /** The CPU backend with one output element moved by {@code delta}, or left unwritten where delta is NaN. */
    private static AttentionBackend brokenBy(float delta) {
        CpuAttentionBackend cpu = new CpuAttentionBackend(1);
        return new AttentionBackend() {
            @Override
            public String name() {
                return "broken";
            }

            @Override
            public String device() {
                return "test";
            }

            @Override
            public void prefill(AttentionSpec spec, HeadTensor q, HeadTensor k, HeadTensor v, HeadTensor out) {
                cpu.prefill(spec, q, k, v, out);
                spoil(out);
            }

            @Override
            public void decode(AttentionSpec spec, int position, HeadTensor q, HeadTensor k, HeadTensor v, HeadTensor out) {
                cpu.decode(spec, position, q, k, v, out);
                spoil(out);
            }

            private void spoil(HeadTensor out) {
                float[] data = out.heapFloats();
                int last = data.length - 1;
                data[last] = Float.isNaN(delta) ? Float.NaN : data[last] + delta;
            }

            @Override
            public void close() {
                cpu.close();
            }
        };
    }

    @Test
    void anAttentionCaseFailsWhenOneElementIsOutsideTheBound() {
        try (AttentionBackend broken = brokenBy(1e-3f)) {
            for (AttentionSmoke.Case c : AttentionSmoke.CASES) {
                AttentionSmoke.Result r = AttentionSmoke.run(broken, c, 1);
                assertEquals(1, r.overBound(), c.name());
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
