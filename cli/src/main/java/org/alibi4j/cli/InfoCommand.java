package org.alibi4j.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;

import org.alibi4j.AlibiBackends;
import org.alibi4j.BackendStatus;
import org.alibi4j.Version;
import org.alibi4j.attention.AttentionBackends;

import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "info", mixinStandardHelpOptions = true, description = "Prints the version, the JVM, every bias backend and every attention backend.")
final class InfoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        out.println("alibi4j " + Version.get());
        out.println("Java    " + Runtime.version() + " (" + System.getProperty("java.vendor") + ", "
                + System.getProperty("os.arch") + ", " + Runtime.getRuntime().availableProcessors() + " processors)");
        out.println();
        table(out, "backend", AlibiBackends.statuses());
        out.println();
        // the CPU attention backend's detail names its kernels: the Vector API's, or plain Java and how to get the others
        table(out, "attention backend", AttentionBackends.statuses());
        return 0;
    }

    private static void table(PrintWriter out, String header, List<BackendStatus> statuses) {
        String name = Columns.leftAligned(header, statuses.stream().map(BackendStatus::name).toList());
        out.printf(name + " %-5s %-12s %s%n", header, "rank", "status", "device / reason");
        for (BackendStatus s : statuses) {
            out.printf(name + " %-5d %-12s %s%n", s.name(), s.rank(), s.available() ? "available" : "unavailable", s.detail());
        }
    }
}
