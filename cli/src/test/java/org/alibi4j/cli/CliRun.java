package org.alibi4j.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** What one command line printed and returned. */
record CliRun(int exitCode, String out, String err) {

    /** Runs {@code args} in this JVM. */
    static CliRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out), new PrintWriter(err), args);
        return new CliRun(code, out.toString(), err.toString());
    }

    /** The floats of the JSON array that follows {@code "key": }. */
    float[] jsonFloats(String key) {
        int start = out.indexOf('[', out.indexOf("\"" + key + "\""));
        String[] items = out.substring(start + 1, out.indexOf(']', start)).split(",");
        float[] values = new float[items.length];
        for (int n = 0; n < items.length; n++) {
            values[n] = Float.parseFloat(items[n].strip()); // accepts -Infinity, as Python's json does
        }
        return values;
    }
}
