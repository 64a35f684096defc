package tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import tests.support.Scripts;

/**
 * The ./jbang wrapper remembers JBang's launch command and skips JBang's own JVM while nothing it depends on
 * changed. Here, on a private copy of get_connection.java and common/: the remembered command is really used, an
 * edit in common/ is never answered with a stale command, a deleted build is rebuilt, the run that writes the
 * class-data archive prints nothing but the command's own output, and one that failed has the next run write it anew.
 */
class LaunchCacheTest {
    private static final Duration LIMIT = Duration.ofMinutes(5);

    @Test
    void aRememberedLaunchIsUsedUntilAnIncludedFileChanges() throws Exception {
        Path copy = privateCopy();
        Path toolVersion = copy.resolve("common/cli/ToolVersion.java");

        // 1st run: JBang builds (and says so) and the JVM writes the archive at exit, which must stay off stdout.
        Scripts.Result built = version(copy);
        assertEquals("kafka-k8s-setup 0.1.0 (Apache Kafka 4.4.0)\n", built.stdout(), built.toString());
        assertTrue(built.stderr().contains("Building jar"), built.toString());
        // 2nd run: JBang reads the archive; this launch is the one the wrapper remembers.
        Set<Path> before = launchEntries();
        assertEquals(built.stdout(), version(copy).stdout());
        List<Path> remembered = launchEntries().stream().filter(entry -> !before.contains(entry)).toList();
        assertEquals(1, remembered.size(), "one new launch entry: " + remembered);
        Path entry = remembered.get(0);
        String jar = Files.readString(entry).replaceAll("(?s).*-classpath (\\S+?):.*", "$1");
        assertTrue(jar.endsWith("get_connection.jar") && Files.exists(Path.of(jar)), jar);

        // Proof that JBang is skipped: a tampered entry (any existing executable) is what runs.
        Files.writeString(entry, "/bin/echo remembered");
        assertEquals("remembered --version\n", version(copy).stdout());

        // An edit in an included file changes the key: JBang runs again and the edit takes effect.
        Files.writeString(toolVersion, Files.readString(toolVersion).replace("\"0.1.0\"", "\"0.1.1-edited\""));
        Scripts.Result edited = version(copy);
        assertEquals("kafka-k8s-setup 0.1.1-edited (Apache Kafka 4.4.0)\n", edited.stdout(), edited.toString());

        // A remembered command whose build is gone (jbang cache clear) is not used: JBang builds again.
        deleteTree(Path.of(jar).getParent());
        Path editedJar = jarOf(copy);
        deleteTree(editedJar.getParent());
        Scripts.Result rebuilt = version(copy);
        assertEquals(edited.stdout(), rebuilt.stdout(), rebuilt.toString());
        assertTrue(rebuilt.stderr().contains("Building jar"), rebuilt.toString());
        deleteTree(jarOf(copy).getParent());
    }

    @Test
    void theArchiveOfAFailedFirstRunIsWrittenAnewByTheNextRun() throws Exception {
        Path copy = privateCopy();
        // A user's first run is often a mistake or a cluster not there yet: the archive of the classes that run
        // loaded (picocli's usage error here) would make every later run load Kafka's and fabric8's from the jars.
        Scripts.Result failed = Scripts.runProcess(List.of(copy.resolve("jbang").toString(),
                copy.getFileName() + "/get_connection.java", "-n", "Not_A_Namespace"), Map.of(), LIMIT,
                copy.getParent());
        assertEquals(2, failed.exitCode(), "the command's own exit code: " + failed);
        Path archive = Scripts.classDataArchive(copy.resolve("jbang"), copy.getParent(),
                copy.getFileName() + "/get_connection.java");
        Path mark = archive.resolveSibling(archive.getFileName() + ".failed");
        assertTrue(Files.exists(archive) && Files.exists(mark), "the failed run marks the archive it wrote");
        var written = Files.getLastModifiedTime(archive);

        Thread.sleep(1_100); // a new archive gets a later modification time, even on coarse clocks
        version(copy);
        assertFalse(Files.exists(mark), "the next run drops the mark");
        assertTrue(Files.exists(archive) && Files.getLastModifiedTime(archive).compareTo(written) > 0,
                "and writes the archive anew");
        version(copy);
        assertTrue(launchEntries().stream().anyMatch(entry -> read(entry).contains(archive.toString())),
                "a later run reads it, through the remembered launch");
        deleteTree(archive.getParent());
    }

    /**
     * A class-data archive is valid only for the JDK build that wrote it: another JDK reads it with an error line
     * on every run. Switching the JDK (here through PATH, as update-alternatives or sdkman do) rewrites it once and
     * quietly, and switching back does the same; no run after the first of each prints anything on stderr.
     */
    @Test
    void aJdkSwitchRewritesTheArchiveQuietly() throws Exception {
        List<Path> jdks = installedJdks();
        Assumptions.assumeTrue(jdks.size() >= 2, "needs two JDK versions under /usr/lib/jvm; found " + jdks);
        Path copy = privateCopy();
        for (Path jdk : List.of(jdks.get(0), jdks.get(1), jdks.get(0))) {
            Map<String, String> environment = new java.util.HashMap<>(Map.of(
                    "PATH", jdk.resolve("bin") + ":" + System.getenv("PATH"), "HOME", System.getProperty("user.home")));
            if (System.getenv("JBANG_DIR") != null) {
                environment.put("JBANG_DIR", System.getenv("JBANG_DIR"));
            }
            for (int run = 1; run <= 2; run++) {
                Scripts.Result result = Scripts.runProcess(List.of(copy.resolve("jbang").toString(),
                        copy.getFileName() + "/get_connection.java", "--version"), environment, LIMIT, true,
                        copy.getParent());
                assertEquals(0, result.exitCode(), result.toString());
                String stderr = result.stderr().lines().filter(line -> !line.startsWith("[jbang] Building jar"))
                        .collect(Collectors.joining("\n"));
                assertEquals("", stderr, "run " + run + " on " + jdk + ": " + result);
            }
        }
        deleteTree(jarOf(copy).getParent());
    }

    /** One JDK of each major version under /usr/lib/jvm, in version order. */
    private static List<Path> installedJdks() throws IOException {
        Path jvms = Path.of("/usr/lib/jvm");
        if (!Files.isDirectory(jvms)) {
            return List.of();
        }
        java.util.TreeMap<Integer, Path> byMajor = new java.util.TreeMap<>();
        try (Stream<Path> entries = Files.list(jvms)) {
            for (Path jdk : entries.map(LaunchCacheTest::realPath).distinct().sorted().toList()) {
                Path release = jdk.resolve("release");
                if (Files.isExecutable(jdk.resolve("bin/javac")) && Files.isRegularFile(release)) {
                    java.util.regex.Matcher version = java.util.regex.Pattern.compile("JAVA_VERSION=\"(\\d+)")
                            .matcher(Files.readString(release));
                    if (version.find()) {
                        byMajor.putIfAbsent(Integer.parseInt(version.group(1)), jdk);
                    }
                }
            }
        }
        return List.copyOf(byMajor.values());
    }

    private static Path realPath(Path path) {
        try {
            return path.toRealPath();
        } catch (IOException e) {
            return path;
        }
    }

    /** get_connection.java, common/ and the wrapper in a new folder, made unique so that JBang builds it anew. */
    private static Path privateCopy() throws IOException {
        Path copy = Files.createTempDirectory("launch-cache");
        Files.copy(Scripts.ROOT.resolve("jbang"), copy.resolve("jbang"));
        Files.copy(Scripts.ROOT.resolve("get_connection.java"), copy.resolve("get_connection.java"));
        Path common = Scripts.ROOT.resolve("common");
        try (Stream<Path> sources = Files.walk(common)) {
            for (Path source : sources.filter(Files::isRegularFile).toList()) {
                Path target = copy.resolve("common").resolve(common.relativize(source));
                Files.createDirectories(target.getParent());
                Files.copy(source, target);
            }
        }
        Path toolVersion = copy.resolve("common/cli/ToolVersion.java");
        Files.writeString(toolVersion, Files.readString(toolVersion) + "// " + UUID.randomUUID() + "\n");
        return copy;
    }

    /**
     * Runs the copy's get_connection from the folder above it, as {@code ./jbang tests/run_tests.java} runs a
     * script whose //SOURCES are relative to its own folder, not to where the user stands.
     */
    private static Scripts.Result version(Path copy) {
        Scripts.Result result = Scripts.runProcess(List.of(copy.resolve("jbang").toString(),
                copy.getFileName() + "/get_connection.java", "--version"), Map.of(), LIMIT, copy.getParent());
        assertEquals(0, result.exitCode(), result.toString());
        return result;
    }

    /** The jar the copy's remembered launch names: the newest entry for get_connection. */
    private static Path jarOf(Path copy) throws IOException {
        version(copy);
        Path newest = launchEntries().stream()
                .max(Comparator.comparing(LaunchCacheTest::modified)).orElseThrow();
        return Path.of(Files.readString(newest).replaceAll("(?s).*-classpath (\\S+?):.*", "$1"));
    }

    private static Set<Path> launchEntries() throws IOException {
        Path bootstrap = Path.of(System.getenv().getOrDefault("JBANG_DIR",
                System.getProperty("user.home") + "/.jbang")).resolve("bootstrap");
        try (Stream<Path> entries = Files.walk(bootstrap, 3)) {
            return entries.filter(path -> path.getParent().getFileName().toString().equals("launches"))
                    .filter(Files::isRegularFile).collect(Collectors.toSet());
        }
    }

    private static String read(Path path) {
        try {
            return Files.readString(path);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static java.nio.file.attribute.FileTime modified(Path path) {
        try {
            return Files.getLastModifiedTime(path);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
