package org.alibi4j.tornado;

import java.util.List;

import org.alibi4j.attention.BackendKvCache;
import org.alibi4j.attention.HeadTensor;

/**
 * A KV cache split over devices as {@code tornado-multi} splits attention: each device keeps the keys and
 * values of its range of key/value heads in its own memory ({@link TornadoKvCache}) and decodes the query
 * heads that read them, writing its own heads of the output. Appends and decode steps run on every
 * device at the same time (one after the other where a view is a segment confined to the calling thread).
 */
final class MultiDeviceKvCache implements BackendKvCache {
    private final MultiDeviceTornadoAttentionBackend owner;
    private final int[] bounds;
    private final List<TornadoKvCache> parts;

    /** {@code parts.get(d)} holds key/value heads {@code [bounds[d], bounds[d + 1])}. */
    MultiDeviceKvCache(MultiDeviceTornadoAttentionBackend owner, int[] bounds, List<TornadoKvCache> parts) {
        this.owner = owner;
        this.bounds = bounds;
        this.parts = List.copyOf(parts);
    }

    @Override
    public void append(int position, HeadTensor k, HeadTensor v) {
        owner.onEachDevice(bounds, MultiDeviceTornadoAttentionBackend.confined(k, v), d -> parts.get(d).append(position, k, v));
    }

    @Override
    public void decode(int position, HeadTensor q, HeadTensor out) {
        owner.onEachDevice(bounds, MultiDeviceTornadoAttentionBackend.confined(q, out), d -> parts.get(d).decode(position, q, out));
    }

    @Override
    public void close() {
        parts.forEach(TornadoKvCache::close);
    }

    /** Each device's share. */
    List<TornadoKvCache> parts() {
        return parts;
    }

    @Override
    public String toString() {
        return "MultiDeviceKvCache" + parts;
    }
}
