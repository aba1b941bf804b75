package org.alibi4j.models;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.alibi4j.attention.AttentionBackend;
import org.alibi4j.attention.AttentionBackends;
import org.alibi4j.attention.HeadTensor;
import org.alibi4j.attention.cpu.CpuAttentionBackend;
import org.alibi4j.models.arch.Decoder;
import org.alibi4j.models.arch.DecoderSpec;
import org.alibi4j.models.arch.ModelFamilies;
import org.alibi4j.models.checkpoint.Checkpoint;
import org.alibi4j.models.checkpoint.InvalidModelException;
import org.alibi4j.models.checkpoint.ModelConfig;
import org.alibi4j.models.linalg.MatMul;
import org.alibi4j.models.tokenizer.TextTokenizer;
import org.alibi4j.parallel.WorkerTeam;

/**
 * An ALiBi language model loaded from a Hugging Face checkpoint directory, as {@code save_pretrained} writes
 * it: {@code config.json}, {@code model.safetensors} (or shards and their index) in F32, F16 or BF16, and
 * optionally {@code tokenizer.json}. The weights stay in the mapped files at their stored precision; the
 * model computes in float32, its attention on an alibi4j attention backend with the ALiBi bias fused in.
 *
 * <pre>{@code
 * try (AlibiModel model = AlibiModel.load(Path.of("bloom-560m"));
 *      ModelSession session = model.newSession()) {
 *     float[] logits = session.prefill(prompt);           // the prompt's tokens; the next token's logits
 *     int token = Sampler.greedy().sample(logits);
 *     logits = session.next(token);                       // one decode step
 * }
 * }</pre>
 *
 * <p>Thread-safe: sessions of one model may run on different threads at once. {@link #close()} closes the
 * sessions still open, the attention backend (unless it was given), the matrix threads and the mappings.
 */
public final class AlibiModel implements AutoCloseable {
    /** The families this module runs ({@code model_type}). */
    public static List<String> supportedModelTypes() {
        return ModelFamilies.supported();
    }

    private final Path directory;
    private final Checkpoint checkpoint;
    private final WorkerTeam team;
    private final MatMul matMul;
    private final AttentionBackend backend;
    private final boolean ownsBackend;
    private final Decoder decoder;
    private final TextTokenizer tokenizer;
    private final Set<ModelSession> sessions = Collections.newSetFromMap(new IdentityHashMap<>());
    private boolean closed;

    private AlibiModel(Path directory, Options options) {
        this.directory = directory;
        if (!Files.isDirectory(directory)) {
            throw new InvalidModelException("model directory " + directory + " does not exist");
        }
        ModelConfig config = ModelConfig.read(directory.resolve("config.json"));
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            this.checkpoint = Checkpoint.open(directory);
            opened.add(checkpoint);
            this.team = new WorkerTeam(options.threads());
            opened.add(team);
            this.matMul = new MatMul(team);
            opened.add(matMul);
            this.ownsBackend = options.backend() == null;
            this.backend = ownsBackend ? openBackend(options.backendName(), team) : options.backend();
            if (ownsBackend) {
                opened.add(backend);
            }
            this.decoder = Decoder.load(config, checkpoint, matMul, backend);
            Path tokenizerFile = directory.resolve("tokenizer.json");
            this.tokenizer = Files.exists(tokenizerFile) ? TextTokenizer.open(tokenizerFile) : null;
        } catch (RuntimeException | Error e) {
            for (AutoCloseable c : opened.reversed()) {
                try {
                    c.close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    /** Loads the model in {@code directory} with the default attention backend and a thread per processor. */
    public static AlibiModel load(Path directory) {
        return load(directory, Options.defaults());
    }

    /**
     * Loads the model in {@code directory}.
     *
     * @throws InvalidModelException naming the file, tensor or option that cannot be used (nothing stays open)
     */
    public static AlibiModel load(Path directory, Options options) {
        if (directory == null || options == null) {
            throw new IllegalArgumentException("directory and options must not be null");
        }
        return new AlibiModel(directory, options);
    }

    /**
     * The backend by name (null: the best available). The CPU backend runs on the model's team, the threads
     * of its matrix products: a decode step alternates between the two dozens of times, and threads of one
     * team find each call awake where two teams would wake each other's threads (and compete for processors).
     */
    private static AttentionBackend openBackend(String name, WorkerTeam team) {
        if (CpuAttentionBackend.NAME.equals(name)) {
            return new CpuAttentionBackend(team);
        }
        AttentionBackend opened = name == null ? AttentionBackends.open() : AttentionBackends.open(name);
        if (opened instanceof CpuAttentionBackend) {
            opened.close();
            return new CpuAttentionBackend(team);
        }
        return opened;
    }

    /** What the config describes: family, sizes, slopes. */
    public DecoderSpec spec() {
        return decoder.spec();
    }

    /** The checkpoint's directory. */
    public Path directory() {
        return directory;
    }

    /** The tokenizer of the checkpoint's {@code tokenizer.json}, if it has one. */
    public Optional<TextTokenizer> tokenizer() {
        return Optional.ofNullable(tokenizer);
    }

    /** The attention backend's name. */
    public String backendName() {
        return backend.name();
    }

    /** Where the model computes: the attention backend and the matrix kernels. */
    public String describe() {
        return spec().family() + " (" + spec().layers() + " layers, hidden " + spec().hidden() + ", " + spec().heads() + " heads, vocabulary "
                + spec().vocabulary() + "); attention on " + backend.name() + "; matrices: " + matMul.describe();
    }

    /** The positions a session holds by default: the model's own limit where its config sets one, 2048 otherwise. */
    public int defaultCapacity() {
        return spec().maxPositions() > 0 ? spec().maxPositions() : 2048;
    }

    /** A session of {@link #defaultCapacity()} positions with float caches. */
    public ModelSession newSession() {
        return newSession(defaultCapacity(), HeadTensor.Precision.F32);
    }

    /**
     * A session (one sequence) of up to {@code capacity} positions, its KV caches at {@code precision}.
     *
     * @throws IllegalArgumentException if {@code capacity} is below 1 or past the model's own limit
     */
    public synchronized ModelSession newSession(int capacity, HeadTensor.Precision precision) {
        if (closed) {
            throw new IllegalStateException("the model is closed");
        }
        if (capacity < 1 || (spec().maxPositions() > 0 && capacity > spec().maxPositions())) {
            throw new IllegalArgumentException("capacity must be in [1, " + (spec().maxPositions() > 0 ? spec().maxPositions() : Integer.MAX_VALUE)
                    + "] (was " + capacity + ")" + (spec().maxPositions() > 0 ? ": the model's config limits it to " + spec().maxPositions() : ""));
        }
        if (precision == null) {
            throw new IllegalArgumentException("precision must not be null");
        }
        ModelSession session = new ModelSession(this, decoder, decoder.newState(capacity, precision));
        sessions.add(session);
        return session;
    }

    synchronized void closed(ModelSession session) {
        sessions.remove(session);
    }

    @Override
    public void close() {
        List<ModelSession> open;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            open = List.copyOf(sessions);
        }
        open.forEach(ModelSession::close);
        if (tokenizer != null) {
            tokenizer.close();
        }
        if (ownsBackend) {
            backend.close();
        }
        matMul.close();
        team.close();
        checkpoint.close();
    }

    @Override
    public String toString() {
        return "AlibiModel[" + directory + ": " + describe() + "]";
    }

    /**
     * How to load a model.
     *
     * @param backendName the attention backend by name ({@link AttentionBackends#names()}), or null for the best available
     * @param backend     an attention backend of the caller's, used and not closed; null to open one
     * @param threads     threads for the matrix products, at least 1; also the attention's when the model opens the
     *                    {@code cpu} backend itself (the two share one {@link WorkerTeam})
     */
    public record Options(String backendName, AttentionBackend backend, int threads) {
        public Options {
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be at least 1 (was " + threads + ")");
            }
            if (backendName != null && backend != null) {
                throw new IllegalArgumentException("give a backend or a backend name, not both");
            }
            if (backendName != null && !AttentionBackends.names().contains(backendName)) {
                throw new IllegalArgumentException("unknown attention backend '" + backendName + "' (known: "
                        + String.join(", ", AttentionBackends.names()) + ")");
            }
        }

        /** The best attention backend, a thread per available processor. */
        public static Options defaults() {
            return new Options(null, null, Runtime.getRuntime().availableProcessors());
        }

        public Options withBackend(String name) {
            return new Options(name, null, threads);
        }

        public Options withBackend(AttentionBackend given) {
            return new Options(null, given, threads);
        }

        public Options withThreads(int count) {
            return new Options(backendName, backend, count);
        }
    }
}
