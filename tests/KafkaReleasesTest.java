package tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import common.kafka.KafkaReleases;
import common.kafka.KafkaVersions;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import tests.support.KafkaNodes;
import tests.support.Scripts;

/**
 * The known-releases table against the releases themselves: each line's newest release's own jars (resolved from
 * Maven Central through JBang) say which metadata.version it runs at most ({@code MetadataVersion.LATEST_PRODUCTION},
 * which its storage tool also formats a new cluster at).
 */
class KafkaReleasesTest {
    /** The newest release of each line this tool knows. */
    private static final List<String> NEWEST = List.of("4.0.2", "4.1.2", "4.2.2", "4.3.2", "4.4.0");

    @Test
    void eachReleaseRunsUpToTheMetadataVersionItsJarsSay() throws Exception {
        for (String version : NEWEST) {
            KafkaReleases.Release release = KafkaReleases.of(version).orElseThrow(() -> new AssertionError(
                    version + " is in the table"));
            String classpath = KafkaNodes.resolveClasspath("org.apache.kafka:kafka-server-common:" + version);
            URL[] jars = Arrays.stream(classpath.split(java.io.File.pathSeparator)).map(KafkaReleasesTest::url)
                    .toArray(URL[]::new);
            try (URLClassLoader jarsOfTheRelease = new URLClassLoader(jars, null)) {
                Class<?> metadataVersion = jarsOfTheRelease.loadClass("org.apache.kafka.server.common.MetadataVersion");
                Object latest = metadataVersion.getField("LATEST_PRODUCTION").get(null);
                assertEquals(metadataVersion.getMethod("version").invoke(latest), release.metadataVersion(), version);
                assertEquals(((Number) metadataVersion.getMethod("featureLevel").invoke(latest)).intValue(),
                        release.level(), version);
                // Each production feature's level for a new cluster at that metadata.version, kraft.version aside.
                Class<?> feature = jarsOfTheRelease.loadClass("org.apache.kafka.server.common.Feature");
                Map<String, Integer> levels = new java.util.TreeMap<>();
                for (Object each : (List<?>) feature.getField("PRODUCTION_FEATURES").get(null)) {
                    String name = (String) feature.getMethod("featureName").invoke(each);
                    if (!name.equals("kraft.version")) {
                        levels.put(name, ((Number) feature.getMethod("defaultLevel", metadataVersion).invoke(each,
                                latest)).intValue());
                    }
                }
                assertEquals(levels, new java.util.TreeMap<>(release.features()), version);
            }
        }
    }

    @Test
    void anOfficialImageTagNamesItsVersion() {
        assertEquals(Optional.of("4.3.2"), KafkaReleases.versionOfImage("apache/kafka:4.3.2"));
        assertEquals(Optional.of("4.4.0"), KafkaReleases.versionOfImage("registry.example.com:5000/apache/kafka:4.4.0"));
        assertEquals(Optional.empty(), KafkaReleases.versionOfImage("apache/kafka:latest"));
        assertEquals(Optional.empty(), KafkaReleases.versionOfImage("bitnami/kafka:4.0.0"));
        assertTrue(KafkaReleases.olderThanKnown("3.9.1"));
        assertFalse(KafkaReleases.olderThanKnown("4.0.0"));
        assertFalse(KafkaReleases.olderThanKnown("9.9.9"));
        assertEquals(Optional.empty(), KafkaReleases.of("9.9.9"));
        assertEquals("4.4-IV2", KafkaReleases.metadataVersionName(33));
        assertEquals("level 31", KafkaReleases.metadataVersionName(31));
    }

    /**
     * Why deploy refuses to roll a volume back below the release that formatted it (KIP-1170): from 4.4 on, the
     * format's bootstrap records go into the quorum's first checkpoint, which 4.3 does not read. Formatted at
     * 4.2-IV1, a volume of 4.3.2's format comes up on 4.3.2 at 4.2-IV1, one of 4.4.0's at 4.3.2's own 4.3-IV0: what
     * the format put there (the admin user of a secure cluster, too) is not what runs.
     */
    @Test
    void aVolumeFormattedByKafka44IsNotWhatAnOlderKafkaStarts(@org.junit.jupiter.api.io.TempDir Path work)
            throws Exception {
        assertEquals(29, metadataVersionOnceStarted(work.resolve("a"), "4.3.2", "4.3.2"),
                "formatted at 4.2-IV1 (level 29)");
        assertEquals(30, metadataVersionOnceStarted(work.resolve("b"), "4.4.0", "4.3.2"), "the format's level is lost");
        assertTrue(KafkaReleases.startsVolumeOf("4.3.2", "4.3.2"));
        assertTrue(KafkaReleases.startsVolumeOf("4.2.2", "4.3.2"), "before 4.4 a format binds nothing");
        assertFalse(KafkaReleases.startsVolumeOf("4.3.2", "4.4.0"));
        assertTrue(KafkaReleases.startsVolumeOf("4.4.0", "4.4.0"));
        assertTrue(KafkaReleases.startsVolumeOf("4.10.0", "4.4.0"));
    }

    /**
     * Formats a volume for a one-node dynamic quorum with Kafka {@code formatter}'s storage tool at 4.2-IV1, starts
     * Kafka {@code runner} on it and reads the finalized metadata.version level.
     */
    private static int metadataVersionOnceStarted(Path dir, String formatter, String runner) throws Exception {
        java.nio.file.Files.createDirectories(dir);
        int client = KafkaNodes.freePort();
        int controller = KafkaNodes.freePort();
        Path config = dir.resolve("server.properties");
        java.nio.file.Files.writeString(config, String.join("\n",
                "process.roles=broker,controller", "node.id=0",
                "controller.quorum.bootstrap.servers=localhost:" + controller,
                "listeners=PLAINTEXT://localhost:" + client + ",CONTROLLER://localhost:" + controller,
                "controller.listener.names=CONTROLLER", "log.dirs=" + dir.resolve("data"),
                "offsets.topic.replication.factor=1", ""));
        String javaCommand = KafkaNodes.javaExecutable();
        Scripts.Result format = Scripts.runProcess(List.of(javaCommand, "-cp", KafkaNodes.serverClasspath(formatter),
                "kafka.tools.StorageTool", "format", "-t", "Jvd8ZH4jSfqdPd3RL4xTzA", "-c", config.toString(),
                "--release-version", "4.2-IV1", "--standalone"), Map.of(), java.time.Duration.ofMinutes(1));
        assertEquals(0, format.exitCode(), format.toString());
        Process kafka = new ProcessBuilder(javaCommand, "-cp", KafkaNodes.serverClasspath(runner), "kafka.Kafka",
                config.toString()).redirectErrorStream(true).redirectOutput(dir.resolve("kafka.log").toFile()).start();
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(Map.of(
                "bootstrap.servers", "localhost:" + client, "default.api.timeout.ms", 60_000))) {
            return admin.describeFeatures().featureMetadata().get(90, java.util.concurrent.TimeUnit.SECONDS)
                    .finalizedFeatures().get("metadata.version").maxVersionLevel();
        } finally {
            kafka.destroyForcibly().waitFor();
        }
    }

    /** What verify says of a roll onto another release, and of one rolled and not finalized. */
    @Test
    void verifyNamesARollUnderWayAndAnUpgradeNotFinalized() {
        KafkaVersions rolling = new KafkaVersions(30, Map.of(0, 30, 1, 33, 2, 33));
        assertEquals("nodes on Kafka 4.3 (0) and 4.4 (1,2): a roll is under way", rolling.note());
        assertEquals(false, rolling.facts().get("upgradeRolledNotFinalized"));
        KafkaVersions rolled = new KafkaVersions(30, Map.of(0, 33, 1, 33, 2, 33));
        assertEquals("metadata.version 4.3-IV0 not raised to 4.4-IV2 yet (rolled, not finalized)", rolled.note());
        assertEquals(true, rolled.facts().get("upgradeRolledNotFinalized"));
        assertEquals("", new KafkaVersions(33, Map.of(0, 33)).note());
    }

    private static URL url(String path) {
        try {
            return Path.of(path).toUri().toURL();
        } catch (java.net.MalformedURLException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
