package org.alibi4j.cli;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;

/** An output file named on the command line, checked before anything is computed. */
final class OutputPath {
    private OutputPath() {
    }

    /**
     * The path of {@code name}, given as {@code flag}: its directory must exist and be writable, and it must not
     * be a directory. {@code name} is a string, not a Path, which would drop a trailing '/'.
     */
    static Path check(String flag, String name) {
        if (name.endsWith("/") || name.endsWith(File.separator)) {
            throw new IllegalArgumentException(flag + " " + name + ": names a directory; name the output file");
        }
        Path out = Path.of(name);
        Path parent = out.toAbsolutePath().getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            throw new IllegalArgumentException(flag + " " + out + ": directory " + (out.getParent() == null ? parent : out.getParent())
                    + " does not exist");
        }
        if (Files.isDirectory(out)) {
            throw new IllegalArgumentException(flag + " " + out + ": is a directory");
        }
        if (!Files.isWritable(parent)) {
            throw new IllegalArgumentException(flag + " " + out + ": directory " + parent + " is not writable");
        }
        return out;
    }
}
