package org.alibi4j;

/**
 * Whether a backend can run here.
 *
 * @param name      the backend's name
 * @param rank      its rank, higher preferred
 * @param available whether it can run
 * @param detail    its device where available, the reason where not
 */
public record BackendStatus(String name, int rank, boolean available, String detail) {

    /** A backend that can run here, on {@code device}. */
    public static BackendStatus available(String name, int rank, String device) {
        return new BackendStatus(name, rank, true, device);
    }

    /** A backend that cannot run here, for {@code reason}. */
    public static BackendStatus unavailable(String name, int rank, String reason) {
        return new BackendStatus(name, rank, false, reason);
    }
}
