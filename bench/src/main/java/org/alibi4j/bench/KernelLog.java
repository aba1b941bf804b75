package org.alibi4j.bench;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Which attention kernels ran in a benchmark's forked JVM, for the report: the fork prints it and
 * appends it to a file named after its parent's process id (the JMH host, {@link Suite} when it runs
 * the suite), which {@link Suite} reads back and deletes after the run. Nothing else crosses from a
 * fork to the host but JMH's numbers. A plain {@code java -jar benchmarks.jar} run leaves its file in
 * {@code java.io.tmpdir} ({@code alibi4j-bench-kernels-PID.properties}, a line per benchmark).
 */
final class KernelLog {
    private KernelLog() {
    }

    private static Path file(long hostPid) {
        return Path.of(System.getProperty("java.io.tmpdir"), "alibi4j-bench-kernels-" + hostPid + ".properties");
    }

    /** In a fork: {@code what} (e.g. {@code "AttentionBenchmark shape=P1 kv=F32 fused"}) ran {@code kernels}. */
    static void record(String what, String kernels) {
        System.out.println("# alibi4j: " + what + " runs " + kernels);
        long host = ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(-1L);
        Properties line = new Properties();
        line.setProperty(what, kernels);
        try (var out = new java.io.StringWriter()) {
            line.store(out, null);
            String text = out.toString().lines().filter(l -> !l.startsWith("#")).reduce("", (a, b) -> a + b + "\n");
            Files.writeString(file(host), text, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            System.out.println("# alibi4j: could not record the kernels for the report: " + e);
        }
    }

    /** In the host: what its forks recorded, by {@code what}; the file is removed. */
    static Map<String, String> readAndClear() {
        Path file = file(ProcessHandle.current().pid());
        Map<String, String> kernels = new TreeMap<>();
        try {
            if (Files.exists(file)) {
                Properties p = new Properties();
                try (Reader in = new StringReader(Files.readString(file))) {
                    p.load(in);
                }
                p.forEach((k, v) -> kernels.put((String) k, (String) v));
                Files.delete(file);
            }
        } catch (IOException e) {
            System.err.println("could not read the kernels the forks recorded: " + e);
        }
        return kernels;
    }
}
