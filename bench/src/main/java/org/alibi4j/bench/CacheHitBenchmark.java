package org.alibi4j.bench;

import java.util.concurrent.TimeUnit;

import org.alibi4j.AlibiPositionalBias;
import org.alibi4j.BiasTensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@code forward} served from the cache after a {@code [heads, size, size]} prefill: a repeated call
 * and a decode step inside it. Both must cost no computation and no copy, only a view; the
 * materialise benchmark of the same size is the cost they avoid. The suite runs it on each backend
 * ({@code backend=tornado} with the SDK's flags, where the hit is a view of a tensor resident on the
 * device: no kernel launch and no transfer); tear-down fails the run if the cache rebuilt meanwhile.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "-Xmx4g")
public class CacheHitBenchmark {
    @Param({"cpu"})
    String backend;

    @Param({"8", "32"})
    int heads;

    @Param({"2048"})
    int size;

    private AlibiPositionalBias alibi;

    @Setup(Level.Trial)
    public void setUp() {
        alibi = AlibiPositionalBias.builder(heads).backend(backend).cacheMaxBytes(4L << 30).build();
        alibi.forward(size, size);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (alibi.cacheStats().builds() != 1) {
            throw new IllegalStateException("the cache rebuilt during the benchmark: " + alibi.cacheStats());
        }
        alibi.close();
    }

    @Benchmark
    public BiasTensor repeated() {
        return alibi.forward(size, size);
    }

    @Benchmark
    public BiasTensor smallerDecodeStep() {
        return alibi.forward(1, size / 2);
    }
}
