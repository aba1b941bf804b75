package org.alibi4j.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;

import org.alibi4j.AlibiBackends;
import org.alibi4j.BackendStatus;
import org.alibi4j.Version;

import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "info", mixinStandardHelpOptions = true, description = "Prints the version, the JVM and every backend.")
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
        List<BackendStatus> statuses = AlibiBackends.statuses();
        String name = Columns.leftAligned("backend", statuses.stream().map(BackendStatus::name).toList());
        out.printf(name + " %-5s %-12s %s%n", "backend", "rank", "status", "device / reason");
        for (BackendStatus s : statuses) {
            out.printf(name + " %-5d %-12s %s%n", s.name(), s.rank(), s.available() ? "available" : "unavailable", s.detail());
        }
        return 0;
    }
}
