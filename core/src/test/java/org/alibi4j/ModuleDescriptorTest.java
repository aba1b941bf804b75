package org.alibi4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleDescriptor.Exports;
import java.lang.module.ModuleDescriptor.Provides;
import java.lang.module.ModuleDescriptor.Requires;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The core's module descriptor: what it exports, that the Vector API stays optional, and that its service
 * providers are those the class path finds in {@code META-INF/services}. Also checks that the tests ran on
 * the path the build asked for ({@code alibi4j.test.path}: {@code module} or {@code class}), so that a build
 * tool that quietly puts a modular jar on the class path shows.
 */
class ModuleDescriptorTest {
    private static final Set<String> API = Set.of("org.alibi4j", "org.alibi4j.attention", "org.alibi4j.cpu", "org.alibi4j.attention.cpu",
            "org.alibi4j.parallel");
    private static final String INTERNAL = "org.alibi4j.internal";

    private static Path classes;
    private static ModuleDescriptor descriptor;
    private static Set<String> packages;

    @BeforeAll
    static void readTheDescriptor() throws IOException, URISyntaxException {
        classes = Path.of(AlibiPositionalBias.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        assertTrue(Files.isDirectory(classes), "the build's classes folder, not a jar: " + classes);
        try (InputStream in = Files.newInputStream(classes.resolve("module-info.class"))) {
            descriptor = ModuleDescriptor.read(in, ModuleDescriptorTest::classPackages);
        }
        packages = classPackages();
    }

    @Test
    void theTestsRunOnThePathTheBuildAskedFor() {
        String path = System.getProperty("alibi4j.test.path");
        Module module = AlibiPositionalBias.class.getModule();
        switch (path) {
            case "module" -> assertEquals("org.alibi4j", module.getName(), "not on the module path: " + module);
            case "class" -> assertTrue(!module.isNamed(), "not on the class path: " + module);
            case null, default -> throw new AssertionError("alibi4j.test.path must be 'module' or 'class' (was " + path + ")");
        }
    }

    @Test
    void itIsTheModuleOrgAlibi4j() {
        assertEquals("org.alibi4j", descriptor.name());
    }

    @Test
    void everyApiPackageIsExportedToAllAndInternalOnlyToTheTornadoBackend() {
        Map<String, Set<String>> exports = descriptor.exports().stream()
                .collect(Collectors.toMap(Exports::source, Exports::targets, (a, b) -> a, TreeMap::new));
        Map<String, Set<String>> expected = new TreeMap<>();
        API.forEach(p -> expected.put(p, Set.of()));
        expected.put(INTERNAL, Set.of("org.alibi4j.tornado"));
        assertEquals(expected, exports);
        // A new package must be put in one of the two on purpose.
        assertEquals(new TreeSet<>(expected.keySet()), new TreeSet<>(packages));
    }

    @Test
    void theVectorApiIsOptionalAndThereIsNoOtherDependency() {
        Map<String, Set<Requires.Modifier>> requires = descriptor.requires().stream()
                .collect(Collectors.toMap(Requires::name, Requires::modifiers));
        assertEquals(Set.of(Requires.Modifier.STATIC), requires.get("jdk.incubator.vector"), requires.toString());
        assertEquals(Set.of("java.base", "jdk.incubator.vector"), requires.keySet());
    }

    @Test
    void theModuleUsesAndProvidesWhatTheClassPathFindsInMetaInfServices() throws IOException {
        Set<String> services = Set.of(AlibiBackendProvider.class.getName(), "org.alibi4j.attention.AttentionBackendProvider");
        assertEquals(services, descriptor.uses());
        Map<String, List<String>> provides = descriptor.provides().stream()
                .collect(Collectors.toMap(Provides::service, Provides::providers, (a, b) -> a, TreeMap::new));
        Map<String, List<String>> listed = new TreeMap<>();
        for (String service : services) {
            listed.put(service, Files.readAllLines(classes.resolve("META-INF/services/" + service)).stream()
                    .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList());
        }
        assertEquals(listed, provides);
    }

    /** The packages that hold the library's classes. */
    private static Set<String> classPackages() {
        try (Stream<Path> files = Files.walk(classes)) {
            return files.filter(f -> f.toString().endsWith(".class") && !f.getFileName().toString().equals("module-info.class"))
                    .map(f -> classes.relativize(f.getParent()).toString().replace(f.getFileSystem().getSeparator(), "."))
                    .collect(Collectors.toCollection(TreeSet::new));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
