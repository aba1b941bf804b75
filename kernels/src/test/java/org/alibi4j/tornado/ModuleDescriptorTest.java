package org.alibi4j.tornado;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleDescriptor.Exports;
import java.lang.module.ModuleDescriptor.Provides;
import java.lang.module.ModuleDescriptor.Requires;
import java.net.URISyntaxException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.alibi4j.AlibiBackendProvider;
import org.alibi4j.AlibiBackends;
import org.alibi4j.attention.AttentionBackendProvider;
import org.alibi4j.attention.AttentionBackends;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import uk.ac.manchester.tornado.api.TaskGraph;

/**
 * The TornadoVM backend's module descriptor: what it exports and requires, that it provides what the class
 * path finds in {@code META-INF/services}, that it opens nothing, and that the core finds its providers on
 * the path the tests ran on. Also checks that the tests ran on the path the build asked for
 * ({@code alibi4j.test.path}: {@code module} or {@code class}), so that a build that quietly moves the
 * backend to the class path shows.
 */
class ModuleDescriptorTest {
    private static final String NAME = "org.alibi4j.tornado";
    private static final Set<Class<?>> SERVICES = Set.of(AlibiBackendProvider.class, AttentionBackendProvider.class);

    private static FileSystem jar;
    private static Path classes;
    private static ModuleDescriptor descriptor;

    @BeforeAll
    static void readTheDescriptor() throws IOException, URISyntaxException {
        // the build's classes folder, or the backend's jar where scripts/device-check.sh runs the tests
        Path location = Path.of(AlibiKernels.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        jar = Files.isDirectory(location) ? null : FileSystems.newFileSystem(location);
        classes = jar == null ? location : jar.getPath("/");
        try (InputStream in = Files.newInputStream(classes.resolve("module-info.class"))) {
            descriptor = ModuleDescriptor.read(in);
        }
    }

    @AfterAll
    static void closeTheJar() throws IOException {
        if (jar != null) {
            jar.close();
        }
    }

    @Test
    void theTestsRunOnThePathTheBuildAskedFor() {
        String path = System.getProperty("alibi4j.test.path");
        Module module = AlibiKernels.class.getModule();
        switch (path) {
            case "module" -> {
                assertEquals(NAME, module.getName(), "not on the module path: " + module);
                assertEquals("org.alibi4j", AlibiBackendProvider.class.getModule().getName(), "the core is not a module here");
                assertEquals("tornado.api", TaskGraph.class.getModule().getName(), "TornadoVM's API is not a module here");
            }
            case "class" -> assertFalse(module.isNamed(), "not on the class path: " + module);
            case null, default -> throw new AssertionError("alibi4j.test.path must be 'module' or 'class' (was " + path + ")");
        }
    }

    @Test
    void itExportsItsOnePackageToAll() {
        assertEquals(NAME, descriptor.name());
        Map<String, Set<String>> exports = descriptor.exports().stream()
                .collect(Collectors.toMap(Exports::source, Exports::targets, (a, b) -> a, TreeMap::new));
        assertEquals(Map.of(NAME, Set.of()), exports);
        // A new package must be exported (or left out) on purpose.
        assertEquals(exports.keySet(), classPackages());
    }

    @Test
    void itRequiresTheCoreAndTornadoApiTransitivelyAndNothingElse() {
        // transitive: the exported API has both in its signatures (AlibiBackend, FloatArray, TaskGraph)
        Map<String, Set<Requires.Modifier>> requires = descriptor.requires().stream().filter(r -> !r.name().equals("java.base"))
                .collect(Collectors.toMap(Requires::name, Requires::modifiers, (a, b) -> a, TreeMap::new));
        assertEquals(Map.of("org.alibi4j", Set.of(Requires.Modifier.TRANSITIVE), "tornado.api", Set.of(Requires.Modifier.TRANSITIVE)), requires);
    }

    @Test
    void itOpensNothing() {
        // TornadoVM compiles the kernels without deep reflection into this module (see module-info.java); the
        // other tests, run on the module path, show that it does.
        assertFalse(descriptor.isOpen(), "an open module");
        assertEquals(Set.of(), descriptor.opens());
    }

    @Test
    void itProvidesWhatTheClassPathFindsInMetaInfServicesAndUsesNothing() {
        assertEquals(Set.of(), descriptor.uses());
        Map<String, List<String>> provides = descriptor.provides().stream()
                .collect(Collectors.toMap(Provides::service, Provides::providers, (a, b) -> a, TreeMap::new));
        Map<String, List<String>> listed = new TreeMap<>();
        SERVICES.forEach(service -> listed.put(service.getName(), metaInfServices(service)));
        assertEquals(listed, provides);
        assertEquals(4, provides.values().stream().mapToInt(List::size).sum(), provides.toString());
    }

    @Test
    void theCoreFindsEveryProviderOfThisModuleOnThisPath() {
        // By `provides` on the module path, by META-INF/services on the class path (the core sorts them by rank).
        assertEquals(new TreeSet<>(metaInfServices(AlibiBackendProvider.class)), ours(AlibiBackends.providers().stream()));
        assertEquals(new TreeSet<>(metaInfServices(AttentionBackendProvider.class)), ours(AttentionBackends.providers().stream()));
    }

    /** The classes of the providers that come from this module, checking that they do. */
    private static Set<String> ours(Stream<?> providers) {
        List<Class<?>> types = providers.<Class<?>>map(Object::getClass).filter(c -> c.getPackageName().equals(NAME)).toList();
        types.forEach(c -> assertEquals(AlibiKernels.class.getModule(), c.getModule(), c.getName()));
        Set<String> names = types.stream().map(Class::getName).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(types.size(), names.size(), "a provider found twice: " + types);
        return names;
    }

    private static List<String> metaInfServices(Class<?> service) {
        try {
            return Files.readAllLines(classes.resolve("META-INF/services/" + service.getName())).stream()
                    .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The packages that hold the backend's classes. */
    private static Set<String> classPackages() {
        try (Stream<Path> files = Files.walk(classes)) {
            return files.filter(f -> f.toString().endsWith(".class") && !f.getFileName().toString().equals("module-info.class"))
                    .map(f -> classes.relativize(f.getParent()).toString().replace(f.getFileSystem().getSeparator(), "."))
                    .collect(Collectors.toCollection(TreeSet::new));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
