package org.alibi4j.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.Callable;

import org.alibi4j.attention.AlibiAttention;
import org.alibi4j.attention.AttentionBackends;
import org.alibi4j.attention.HeadTensor;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * ALiBi attention of tensors in NumPy {@code .npy} files: {@code out = softmax(scale * Q K^T + bias) V} per
 * query head, the bias fused in ({@link AlibiAttention#prefill}). Q is {@code [T, i, d]}, K and V are
 * {@code [G, j, d]} ({@code G} dividing {@code T}), the output {@code [T, i, d]} float32. Every input is
 * checked before anything is computed, and the output appears complete or not at all.
 */
@Command(name = "attention", mixinStandardHelpOptions = true, sortOptions = false, sortSynopsis = false,
        description = "ALiBi attention of .npy tensors: out = softmax(scale * Q K^T + bias) V per query head.")
final class AttentionCommand implements Callable<Integer> {
    private static final Set<Npy.Dtype> QUERY_TYPES = EnumSet.of(Npy.Dtype.F4);
    private static final Set<Npy.Dtype> KEY_TYPES = EnumSet.of(Npy.Dtype.F4, Npy.Dtype.F2);

    @Spec
    CommandSpec spec;

    @Option(names = "--q", required = true, paramLabel = "Q.npy", description = "Queries [T, i, d], float32.")
    Path q;

    @Option(names = "--k", required = true, paramLabel = "K.npy", description = "Keys [G, j, d], float32 or float16.")
    Path k;

    @Option(names = "--v", required = true, paramLabel = "V.npy", description = "Values [G, j, d], float32 or float16.")
    Path v;

    /** A string rather than a Path, which would drop the trailing '/' of a directory. */
    @Option(names = "--out", required = true, paramLabel = "O.npy", description = "The output [T, i, d], float32 (replaced if it exists).")
    String outName;

    private Path out;

    @Option(names = "--heads", paramLabel = "N", description = "Biased heads, the first N of T; the rest carry no bias (default: T).")
    Integer heads;

    @Option(names = "--causal", description = "Keys after a query's position are excluded (the i queries are the last i of the j keys).")
    boolean causal;

    @Option(names = "--max-bias", paramLabel = "B", defaultValue = "8", description = "Maximum bias of the slopes (default: ${DEFAULT-VALUE}).")
    double maxBias;

    @Option(names = "--scale", paramLabel = "S", description = "The factor on Q K^T (default: 1/sqrt(d)).")
    Double scale;

    @Option(names = "--backend", paramLabel = "NAME", description = "The attention backend (default: the best available).")
    String backend;

    @Override
    public Integer call() {
        positiveFinite("--max-bias", maxBias);
        if (scale != null) {
            positiveFinite("--scale", scale);
            float f = scale.floatValue();
            if (!(f > 0) || Float.isInfinite(f)) {
                throw new IllegalArgumentException("--scale must be a positive finite float32 (was " + scale + ", " + f + " as a float)");
            }
        }
        if (heads != null) {
            Inputs.atLeastOne("--heads", heads);
        }
        if (backend != null && !AttentionBackends.names().contains(backend)) {
            throw new IllegalArgumentException("--backend: unknown attention backend '" + backend + "'; known: "
                    + String.join(", ", AttentionBackends.names()));
        }
        out = OutputPath.check("--out", outName);

        // every header and shape is checked before any data is read
        Npy.Header qh = header("--q", q, QUERY_TYPES, "[T, i, d]");
        Npy.Header kh = header("--k", k, KEY_TYPES, "[G, j, d]");
        Npy.Header vh = header("--v", v, KEY_TYPES, "[G, j, d]");
        int t = qh.dim(0);
        int i = qh.dim(1);
        int d = qh.dim(2);
        int g = kh.dim(0);
        int j = kh.dim(1);
        if (kh.dim(2) != d) {
            throw bad("--k", k, "head dimension d = " + kh.dim(2) + " (the last axis) does not match --q's d = " + d);
        }
        if (vh.dim(0) != g || vh.dim(1) != j || vh.dim(2) != d) {
            throw bad("--v", v, "shape " + Npy.shapeText(vh.shape()) + " differs from --k's " + Npy.shapeText(kh.shape())
                    + "; K and V must both be [G, j, d]");
        }
        if (t % g != 0) {
            throw bad("--k", k, "G = " + g + " key/value heads do not divide --q's T = " + t + " query heads");
        }
        int biased = heads == null ? t : heads;
        if (biased > t) {
            throw new IllegalArgumentException("--heads must be in [1, " + t + "], --q's T (was " + biased + ")");
        }
        long outputElements = (long) t * i * d; // as many as Q, which is a Java array's worth at most
        long bytes = qh.dataBytes() + kh.dataBytes() + vh.dataBytes() + outputElements * Float.BYTES;
        long maxHeap = Runtime.getRuntime().maxMemory();
        if (bytes > maxHeap - maxHeap / 8) {
            throw new IllegalArgumentException("--q/--k/--v: the inputs and the output take " + bytes + " bytes; this JVM's heap is "
                    + maxHeap + " bytes (raise -Xmx, e.g. JAVA_OPTS=-Xmx16g scripts/alibi4j ...)");
        }
        Npy.Array query = read("--q", q, QUERY_TYPES);
        Npy.Array key = read("--k", k, KEY_TYPES);
        Npy.Array value = read("--v", v, KEY_TYPES);
        if (!Arrays.equals(query.shape(), qh.shape()) || !Arrays.equals(key.shape(), kh.shape()) || !Arrays.equals(value.shape(), vh.shape())) {
            throw new IllegalStateException("--q/--k/--v: an input changed while it was read");
        }

        AlibiAttention.Builder builder = AlibiAttention.builder(biased).totalHeads(t).kvHeads(g).headDim(d).maxBias(maxBias);
        if (causal) {
            builder.causal();
        }
        if (scale != null) {
            builder.scale(scale.floatValue());
        }
        float[] result = new float[(int) outputElements];
        String device;
        long start = System.nanoTime();
        try (AlibiAttention attention = openAttention(builder)) {
            attention.prefill(HeadTensor.of(query.floats(), t, i, d), tensor(key, g, j, d), tensor(value, g, j, d),
                    HeadTensor.of(result, t, i, d));
            device = attention.backend().name() + ", " + attention.backend().device();
        }
        double millis = (System.nanoTime() - start) / 1e6;
        try {
            Npy.writeFloats(out, query.shape(), result);
        } catch (AccessDeniedException e) {
            throw bad("--out", out, "cannot write: permission denied");
        } catch (IOException e) {
            throw new UncheckedIOException("--out " + out + ": cannot write: " + e.getMessage(), e);
        }
        spec.commandLine().getOut().printf("wrote %s: [%d, %d, %d] float32, %d of %d heads biased, %d key/value heads, %d keys%s"
                + " (%s; %.1f ms)%n", out, t, i, d, biased, t, g, j, causal ? ", causal" : "", device, millis);
        return 0;
    }

    private AlibiAttention openAttention(AlibiAttention.Builder builder) {
        try {
            if (backend != null) {
                builder.backend(backend);
            }
            return builder.build();
        } catch (IllegalArgumentException | IllegalStateException e) {
            if (backend != null) { // an unknown backend (the message lists the known ones), or one that cannot run here
                throw new IllegalArgumentException("--backend: " + e.getMessage(), e);
            }
            throw e;
        }
    }

    /** Reads one input's header, naming the flag and the file in every error, and checks its rank and sizes. */
    private static Npy.Header header(String flag, Path path, Set<Npy.Dtype> types, String layout) {
        Npy.Header header = named(flag, path, () -> Npy.header(path, types));
        if (header.rank() != 3) {
            throw bad(flag, path, "shape " + Npy.shapeText(header.shape()) + " has rank " + header.rank() + "; expected " + layout
                    + " (rank 3)");
        }
        for (long dim : header.shape()) {
            if (dim == 0) {
                throw bad(flag, path, "shape " + Npy.shapeText(header.shape()) + " has a zero-sized dimension; expected " + layout
                        + ", each at least 1");
            }
        }
        return header;
    }

    private static Npy.Array read(String flag, Path path, Set<Npy.Dtype> types) {
        return named(flag, path, () -> Npy.read(path, types));
    }

    @FunctionalInterface
    private interface FileRead<T> {
        T run() throws IOException;
    }

    /** Runs {@code read}, turning each way it fails into one line that names the flag and the file. */
    private static <T> T named(String flag, Path path, FileRead<T> read) {
        if (Files.isDirectory(path)) {
            throw bad(flag, path, "is a directory, not an .npy file");
        }
        try {
            return read.run();
        } catch (NoSuchFileException e) {
            throw bad(flag, path, "no such file");
        } catch (AccessDeniedException e) {
            throw bad(flag, path, "cannot read: permission denied");
        } catch (IOException e) {
            throw bad(flag, path, "cannot read: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw bad(flag, path, e.getMessage());
        }
    }

    private static HeadTensor tensor(Npy.Array a, int heads, int rows, int dim) {
        return a.dtype() == Npy.Dtype.F2 ? HeadTensor.ofHalves(a.halves(), heads, rows, dim) : HeadTensor.of(a.floats(), heads, rows, dim);
    }

    private static IllegalArgumentException bad(String flag, Path path, String why) {
        return new IllegalArgumentException(flag + " " + path + ": " + why);
    }

    private static void positiveFinite(String flag, double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(flag + " must be a positive finite number (was " + value + ")");
        }
    }
}
