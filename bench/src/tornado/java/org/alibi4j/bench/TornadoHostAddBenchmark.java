package org.alibi4j.bench;

import org.alibi4j.AlibiSlopes;
import org.alibi4j.BiasForm;
import org.alibi4j.BiasSpec;
import org.alibi4j.tornado.TornadoBackend;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.TearDown;

import uk.ac.manchester.tornado.api.runtime.TornadoRuntimeProvider;

/**
 * The TornadoVM backend's fused add into host scores ({@code AlibiPositionalBias.addBias} on a
 * {@code float[]}: copy in, add, copy back), the same shape call after call, with its compiled plan kept
 * ({@code keepPlans=true}, the default) and without ({@code false}: every call builds and compiles a plan).
 */
public class TornadoHostAddBenchmark extends TornadoBenchmarkState {
    @Param({"8"})
    int heads;

    @Param({"64", "512"})
    int size;

    @Param({"true", "false"})
    boolean keepPlans;

    private TornadoBackend tornado;
    private BiasSpec spec;
    private float[] scores;

    @Override
    protected int floatsWritten() {
        return Math.multiplyExact(heads, size * size);
    }

    @Override
    protected void setUpPlans() {
        var device = TornadoRuntimeProvider.getTornadoRuntime().getDefaultDevice();
        tornado = keepPlans ? new TornadoBackend(device) : new TornadoBackend(device, 0);
        spec = new BiasSpec(AlibiSlopes.forHeads(heads), heads, size, size, BiasForm.CAUSAL);
        scores = new float[floatsWritten()];
        tornado.addBias(spec, scores, 0); // the first call compiles in either case
    }

    @TearDown(Level.Trial)
    public void closeBackend() {
        tornado.close();
    }

    @Benchmark
    public float[] hostScoresAdd() {
        tornado.addBias(spec, scores, 0);
        return scores;
    }
}
