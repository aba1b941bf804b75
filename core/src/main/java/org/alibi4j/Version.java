package org.alibi4j;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The library's version, as the build wrote it. */
public final class Version {
    private Version() {
    }

    /** E.g. {@code 0.1.0-SNAPSHOT}; {@code unknown} if the build's resource is missing. */
    public static String get() {
        try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
