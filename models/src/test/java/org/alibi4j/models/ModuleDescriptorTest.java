package org.alibi4j.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleDescriptor.Exports;
import java.lang.module.ModuleDescriptor.Requires;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The models' module descriptor: every package exported (each is API), what it requires, and that the tests
 * ran on the path the build asked for ({@code alibi4j.test.path}), so a build that quietly moves a modular
 * jar to the class path shows.
 */
class ModuleDescriptorTest {

    @Test
    void theTestsRunOnThePathTheBuildAskedFor() {
        String path = System.getProperty("alibi4j.test.path");
        Module module = AlibiModel.class.getModule();
        switch (path) {
            case "module" -> assertEquals("org.alibi4j.models", module.getName(), "not on the module path: " + module);
            case "class" -> assertTrue(!module.isNamed(), "not on the class path: " + module);
            case null, default -> throw new AssertionError("alibi4j.test.path must be 'module' or 'class' (was " + path + ")");
        }
    }

    @Test
    void everyPackageIsExportedAndTheDependenciesAreTheseFour() throws IOException, URISyntaxException {
        Path classes = Path.of(AlibiModel.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        ModuleDescriptor descriptor;
        try (InputStream in = Files.newInputStream(classes.resolve("module-info.class"))) {
            descriptor = ModuleDescriptor.read(in);
        }
        assertEquals("org.alibi4j.models", descriptor.name());
        Set<String> packages;
        try (Stream<Path> files = Files.walk(classes)) {
            packages = files.filter(f -> f.toString().endsWith(".class") && !f.endsWith("module-info.class"))
                    .map(f -> classes.relativize(f.getParent()).toString().replace('/', '.')).collect(Collectors.toCollection(TreeSet::new));
        }
        Map<String, Set<String>> exports = descriptor.exports().stream()
                .collect(Collectors.toMap(Exports::source, Exports::targets, (a, b) -> a, TreeMap::new));
        assertEquals(packages, exports.keySet(), "a new package must be exported (or left out) on purpose");
        exports.values().forEach(targets -> assertTrue(targets.isEmpty(), "exported to all"));
        Map<String, Set<Requires.Modifier>> requires = descriptor.requires().stream().filter(r -> !r.name().equals("java.base"))
                .collect(Collectors.toMap(Requires::name, Requires::modifiers, (a, b) -> a, TreeMap::new));
        assertEquals(Map.of("org.alibi4j", Set.of(Requires.Modifier.TRANSITIVE), "com.google.gson", Set.of(),
                "ai.djl.tokenizers", Set.of(), "jdk.incubator.vector", Set.of(Requires.Modifier.STATIC)), requires);
    }
}
