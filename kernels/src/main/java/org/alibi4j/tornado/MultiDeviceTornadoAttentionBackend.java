package org.alibi4j.tornado;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntConsumer;
import java.util.stream.Collectors;

import org.alibi4j.attention.AttentionBackend;
import org.alibi4j.attention.AttentionSpec;
import org.alibi4j.attention.BackendKvCache;
import org.alibi4j.attention.HeadTensor;

import uk.ac.manchester.tornado.api.common.TornadoDevice;

/**
 * Fused ALiBi attention with the heads split over several TornadoVM devices, by name {@code tornado-multi}:
 * the key/value heads are split into contiguous ranges, one per device (sizes differing by at most one),
 * and each device runs the query heads that read them, so no device needs another's K or V (tensor
 * parallelism's split). A device past the key/value heads gets none: under MQA (one key/value head) one
 * device does all the work. Devices run at the same time, each writing its own heads of the output;
 * where a view is a segment confined to the calling thread, they run one after the other on that thread.
 * A {@link org.alibi4j.attention.KvCache} is split the same way: each device keeps its key/value heads.
 */
public final class MultiDeviceTornadoAttentionBackend implements AttentionBackend {
    public static final String NAME = "tornado-multi";
    /** A thread that is not the caller: a segment it cannot reach is confined to the caller's thread. */
    private static final Thread ELSEWHERE = Thread.ofVirtual().unstarted(() -> { });

    private final List<TornadoAttentionBackend> devices;
    private final ExecutorService launcher;

    public MultiDeviceTornadoAttentionBackend(List<TornadoDevice> devices) {
        if (devices == null || devices.isEmpty()) {
            throw new IllegalArgumentException("devices must name at least one device");
        }
        this.devices = devices.stream().map(TornadoAttentionBackend::new).toList();
        this.launcher = Executors.newFixedThreadPool(devices.size());
    }

    /** Every device of every TornadoVM backend (driver) installed. */
    public static MultiDeviceTornadoAttentionBackend allDevices() {
        return new MultiDeviceTornadoAttentionBackend(MultiDeviceTornadoBackend.allDeviceHandles());
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String device() {
        return devices.size() + " devices: " + devices.stream().map(AttentionBackend::device).collect(Collectors.joining("; "));
    }

    public int deviceCount() {
        return devices.size();
    }

    @Override
    public void prefill(AttentionSpec spec, HeadTensor q, HeadTensor k, HeadTensor v, HeadTensor out) {
        int[] bounds = split(spec.kvHeads());
        onEachDevice(bounds, confined(q, k, v, out), d -> devices.get(d).prefillGroups(spec, bounds[d], bounds[d + 1], q, k, v, out));
    }

    @Override
    public void decode(AttentionSpec spec, int position, HeadTensor q, HeadTensor k, HeadTensor v, HeadTensor out) {
        int[] bounds = split(spec.kvHeads());
        onEachDevice(bounds, confined(q, k, v, out),
                d -> devices.get(d).decodeGroups(spec, bounds[d], bounds[d + 1], position, q, k, v, out));
    }

    /**
     * A KV cache split as the attention is: each device keeps the keys and values of its key/value heads
     * ({@link MultiDeviceKvCache}), so a decode step sends each device its query heads only.
     */
    @Override
    public BackendKvCache openKvCache(AttentionSpec spec, int capacity, HeadTensor.Precision precision) {
        int[] bounds = split(spec.kvHeads());
        List<TornadoKvCache> parts = new ArrayList<>();
        try {
            for (int d = 0; d < bounds.length - 1; d++) {
                parts.add(devices.get(d).openKvCacheGroups(spec, bounds[d], bounds[d + 1], capacity, precision, false));
            }
        } catch (RuntimeException | Error e) {
            parts.forEach(TornadoKvCache::close);
            throw e;
        }
        return new MultiDeviceKvCache(this, bounds, parts);
    }

    @Override
    public void close() {
        launcher.close();
        devices.forEach(TornadoAttentionBackend::close);
    }

    /** Key/value head bounds: device {@code d} owns {@code [bounds[d], bounds[d + 1])}; devices past the heads get none. */
    private int[] split(int kvHeads) {
        int n = Math.min(devices.size(), kvHeads);
        int[] bounds = new int[n + 1];
        for (int d = 0; d <= n; d++) {
            bounds[d] = (int) ((long) kvHeads * d / n);
        }
        return bounds;
    }

    /** Runs {@code work} for every device that owns heads, at the same time unless {@code here}, and waits for all. */
    void onEachDevice(int[] bounds, boolean here, IntConsumer work) {
        if (here) {
            for (int d = 0; d < bounds.length - 1; d++) {
                work.accept(d);
            }
            return;
        }
        List<Future<?>> running = new ArrayList<>();
        for (int d = 0; d < bounds.length - 1; d++) {
            int device = d;
            running.add(launcher.submit(() -> work.accept(device)));
        }
        for (Future<?> f : running) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while the devices computed attention", e);
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
            }
        }
    }

    /** Whether a view is a segment of a confined arena, which only the calling thread may read. */
    static boolean confined(HeadTensor... views) {
        for (HeadTensor view : views) {
            if (view.segment() != null && !view.segment().isAccessibleBy(ELSEWHERE)) {
                return true;
            }
        }
        return false;
    }
}
