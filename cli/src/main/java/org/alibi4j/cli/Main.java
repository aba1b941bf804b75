package org.alibi4j.cli;

import java.io.PrintWriter;
import java.util.logging.Level;
import java.util.logging.Logger;

import org.alibi4j.Version;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code alibi4j}: slopes, bias tensors, attention over .npy files, backend information, a smoke test and heat maps.
 *
 * <p>Exit codes: 0 success, 1 a smoke mismatch or an unexpected failure, 2 bad input. Errors are one
 * line on standard error, never a stack trace.
 */
@Command(name = "alibi4j",
        mixinStandardHelpOptions = true,
        versionProvider = Main.VersionProvider.class,
        description = "Exact ALiBi attention biases, and ALiBi attention with the bias fused in.",
        subcommands = {SlopesCommand.class, BiasCommand.class, AttentionCommand.class, InfoCommand.class, SmokeCommand.class,
                RenderCommand.class, GenerateCommand.class, LogitsCommand.class})
public final class Main {

    /** Exit code of bad input. */
    public static final int BAD_INPUT = 2;

    public static void main(String[] args) {
        // backend discovery logs fallbacks at INFO; the command line reports backends itself (alibi4j info)
        Logger.getLogger("org.alibi4j").setLevel(Level.WARNING);
        System.exit(execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs one command line, writing to {@code out} and {@code err}; returns the exit code. */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        cli.setParameterExceptionHandler((e, a) -> {
            err.println("alibi4j: " + e.getMessage());
            return BAD_INPUT;
        });
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof IllegalArgumentException || e instanceof IllegalStateException) {
                err.println("alibi4j: " + e.getMessage());
                return BAD_INPUT;
            }
            err.println("alibi4j: failed: " + e);
            return 1;
        });
        int code = cli.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"alibi4j " + Version.get() + " (Java " + Runtime.version() + ")"};
        }
    }
}
