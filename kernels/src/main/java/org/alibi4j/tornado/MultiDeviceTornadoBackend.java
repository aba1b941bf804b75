package org.alibi4j.tornado;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;
import java.util.stream.Collectors;

import org.alibi4j.AlibiBackend;
import org.alibi4j.BiasSpec;
import org.alibi4j.BiasStorage;
import org.alibi4j.internal.Arguments;

import uk.ac.manchester.tornado.api.TornadoBackend;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.runtime.TornadoRuntimeProvider;

/**
 * Several TornadoVM devices sharing one tensor: the heads are split into contiguous ranges, one per
 * device (sizes differing by at most one), computed at the same time, and joined on the host when the
 * host reads the tensor. Results are those of one device, bit for bit.
 */
public final class MultiDeviceTornadoBackend implements AlibiBackend {
    public static final String NAME = "tornado-multi";

    private final List<org.alibi4j.tornado.TornadoBackend> devices;
    private final ExecutorService launcher;

    public MultiDeviceTornadoBackend(List<TornadoDevice> devices) {
        if (devices == null || devices.isEmpty()) {
            throw new IllegalArgumentException("devices must name at least one device");
        }
        this.devices = devices.stream().map(org.alibi4j.tornado.TornadoBackend::new).toList();
        this.launcher = Executors.newFixedThreadPool(devices.size());
    }

    /** Every device of every TornadoVM backend (driver) installed. */
    public static MultiDeviceTornadoBackend allDevices() {
        return new MultiDeviceTornadoBackend(allDeviceHandles());
    }

    static List<TornadoDevice> allDeviceHandles() {
        var runtime = TornadoRuntimeProvider.getTornadoRuntime();
        List<TornadoDevice> all = new ArrayList<>();
        for (int b = 0; b < runtime.getNumBackends(); b++) {
            TornadoBackend backend = runtime.getBackend(b);
            for (int d = 0; d < backend.getNumDevices(); d++) {
                all.add(backend.getDevice(d));
            }
        }
        return all;
    }

    static String describe(List<TornadoDevice> devices) {
        return devices.size() + " devices: " + devices.stream().map(org.alibi4j.tornado.TornadoBackend::describe)
                .collect(Collectors.joining("; "));
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String device() {
        return devices.size() + " devices: " + devices.stream().map(AlibiBackend::device).collect(Collectors.joining("; "));
    }

    public int deviceCount() {
        return devices.size();
    }

    @Override
    public BiasStorage materialize(BiasSpec spec) {
        int[] bounds = split(spec.totalHeads());
        List<BiasStorage> parts = onEachDevice(bounds, d -> devices.get(d).materializeHeads(spec, bounds[d], bounds[d + 1]));
        return new JoinedStorage(parts, spec.elementCount());
    }

    @Override
    public void addBias(BiasSpec spec, float[] scores, int offset) {
        Arguments.fits("scores", scores, offset, spec.elementCount());
        int[] bounds = split(spec.totalHeads());
        onEachDevice(bounds, d -> {
            devices.get(d).addBiasHeads(spec, bounds[d], bounds[d + 1], scores, offset); // disjoint heads
            return null;
        });
    }

    @Override
    public void close() {
        launcher.close();
        devices.forEach(org.alibi4j.tornado.TornadoBackend::close);
    }

    /** Head bounds: device {@code d} owns heads {@code [bounds[d], bounds[d + 1])}; devices past the heads get none. */
    private int[] split(int totalHeads) {
        int n = Math.min(devices.size(), totalHeads);
        int[] bounds = new int[n + 1];
        for (int d = 0; d <= n; d++) {
            bounds[d] = (int) ((long) totalHeads * d / n);
        }
        return bounds;
    }

    /** Runs {@code work} for every device that owns heads, at the same time, and waits for all. */
    private <T> List<T> onEachDevice(int[] bounds, IntFunction<T> work) {
        List<Future<T>> running = new ArrayList<>();
        for (int d = 0; d < bounds.length - 1; d++) {
            int device = d;
            running.add(launcher.submit(() -> work.apply(device)));
        }
        List<T> results = new ArrayList<>();
        for (Future<T> f : running) {
            try {
                results.add(f.get());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while the devices computed the bias", e);
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
            }
        }
        return results;
    }

    /** The devices' head ranges, joined into one host tensor on the first host read. */
    private static final class JoinedStorage implements BiasStorage {
        private final List<BiasStorage> parts;
        private final long elements;
        private float[] joined;

        JoinedStorage(List<BiasStorage> parts, long elements) {
            this.parts = parts;
            this.elements = elements;
        }

        @Override
        public synchronized MemorySegment hostSegment() {
            if (joined == null) {
                float[] all = new float[(int) elements];
                long at = 0;
                for (BiasStorage part : parts) {
                    MemorySegment segment = part.hostSegment();
                    MemorySegment.copy(segment, 0, MemorySegment.ofArray(all), at * Float.BYTES, segment.byteSize());
                    at += segment.byteSize() / Float.BYTES;
                }
                joined = all;
            }
            return MemorySegment.ofArray(joined).asReadOnly();
        }

        @Override
        public synchronized void release() {
            hostSegment();
            parts.forEach(BiasStorage::release);
        }
    }
}
