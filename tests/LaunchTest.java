package tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import common.cluster.ClusterProfile;
import common.cluster.ClusterSecurity;
import common.cluster.KafkaManifests;
import common.cluster.KraftQuorum;
import io.fabric8.kubernetes.api.model.Volume;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tests.support.Scripts;

/**
 * A pod's launch lines, run by a real POSIX shell with Kafka's scripts replaced by stand-ins that record what they
 * were started with (a format also writes the volume's meta.properties, as Kafka's does). A secure pod's admin
 * password reaches the first format only through a Java argument file (the java launcher expands {@code @file}
 * itself), never a process's arguments; the file is in memory and gone before Kafka starts. Each JVM before Kafka's
 * runs only when needed: a restarted container starts Kafka alone, a new pod on a formatted volume does not format.
 */
class LaunchTest {
    private static final String PASSWORD = "Zq8uV1xYw2Pp3Rr4Ss5Tt6Uu7Vv8Ww9";
    private final KafkaManifests secure = new KafkaManifests(ClusterProfile.PROD, "kafka",
            KafkaManifests.DEFAULT_IMAGE, null, null).withSecurity(ClusterSecurity.TLS);

    @Test
    void thePasswordReachesTheFormatThroughAnArgumentFileOnly(@TempDir Path root) throws Exception {
        PodFiles pod = new PodFiles(root, secure);
        List<String> lines = pod.startContainer();
        Path config = pod.config;
        assertEquals(List.of(
                "kafka-run-class.sh kafka.docker.KafkaDockerWrapper setup --default-configs-dir /etc/kafka/docker "
                        + "--mounted-configs-dir /mnt/shared/config --final-configs-dir " + config,
                "kafka-run-class.sh @" + config + "/format.args",
                "kafka.tools.StorageTool format --cluster-id abc --config " + config + "/server.properties "
                        + "--ignore-formatted --no-initial-controllers --add-scram SCRAM-SHA-512=[name=admin,"
                        + "password=" + PASSWORD + "]",
                "kafka-server-start.sh " + config + "/server.properties"), lines);
        assertFalse(lines.stream().filter(line -> line.startsWith("kafka-")).anyMatch(line -> line.contains(PASSWORD)),
                "the password on a command line");
        assertFalse(Files.exists(config.resolve("format.args")), "the argument file left behind");
    }

    /** dev's and prod's pods alike: one JVM (Kafka's) when the container restarts, two for a new pod. */
    @Test
    void aRestartedContainerStartsKafkaAloneAndANewPodDoesNotFormatAgain(@TempDir Path root) throws Exception {
        for (KafkaManifests manifests : List.of(new KafkaManifests(ClusterProfile.DEV, "kafka",
                KafkaManifests.DEFAULT_IMAGE, null, null), secure)) {
            PodFiles pod = new PodFiles(Files.createDirectories(root.resolve(manifests.profile().name())), manifests);
            assertEquals(List.of("setup", "format", "kafka-server-start.sh"), programs(pod.startContainer()),
                    "the first start, on an empty volume");
            assertEquals(List.of("kafka-server-start.sh"), programs(pod.startContainer()),
                    "the container restarted: the pod's config folder is still there");
            pod.replace();
            assertEquals(List.of("setup", "kafka-server-start.sh"), programs(pod.startContainer()),
                    "a new pod on the formatted volume");
        }
    }

    /** What each recorded script call ran: "setup", "format", or the script (an @file's contents left out). */
    private static List<String> programs(List<String> calls) {
        return calls.stream().filter(call -> call.startsWith("kafka-")).map(call -> call.contains(
                "KafkaDockerWrapper setup") ? "setup" : call.contains(" format ") || call.contains(" @") ? "format"
                : call.split(" ")[0]).toList();
    }

    @Test
    void theArgumentFileIsInMemoryAndTheSecretsGroupReadable() {
        List<Volume> volumes = secure.statefulSet().getSpec().getTemplate().getSpec().getVolumes();
        Volume configVolume = volumes.stream().filter(volume -> volume.getName().equals("config")).findFirst()
                .orElseThrow();
        assertEquals("Memory", configVolume.getEmptyDir().getMedium());
        assertTrue(KraftQuorum.FORMAT_ARGUMENT_FILE.startsWith("/opt/kafka/config/"));
        // Secret files are root's: with runAsUser set, only the group bits (fsGroup) let Kafka read them.
        volumes.stream().filter(volume -> volume.getSecret() != null).forEach(volume ->
                assertEquals(0440, volume.getSecret().getDefaultMode(), volume.getName()));
        assertEquals(1000L, secure.statefulSet().getSpec().getTemplate().getSpec().getSecurityContext()
                .getFsGroup());
    }

    /**
     * A pod's file system as its launch sees it: the config emptyDir (kept while the pod lives), the data volume
     * (kept across pods), the admin Secret; Kafka's scripts are stand-ins.
     */
    private static final class PodFiles {
        final Path config;
        private final Path data;
        private final Path calls;
        private final String launch;

        PodFiles(Path root, KafkaManifests manifests) throws Exception {
            this.config = root.resolve("opt/kafka/config");
            this.data = Files.createDirectories(root.resolve("var/lib/kafka/data"));
            this.calls = root.resolve("calls");
            Path bin = Files.createDirectories(root.resolve("opt/kafka/bin"));
            Path admin = Files.createDirectories(root.resolve("etc/kafka/admin"));
            Files.writeString(admin.resolve("password"), PASSWORD);
            // Each stand-in records its arguments, and what an @file it is given holds; a format writes
            // meta.properties into the log dir first, as Kafka's does.
            String record = "#!/bin/sh\necho \"$(basename \"$0\") $*\" >> " + calls + "\n"
                    + "for a in \"$@\"; do case \"$a\" in @*) cat \"${a#@}\" >> " + calls + " ;; esac; done\n"
                    + "case \"$* $(for a in \"$@\"; do case \"$a\" in @*) cat \"${a#@}\" ;; esac; done)\" in\n"
                    + "  *\"format --cluster-id\"*) mkdir -p " + data + "/logs && : > " + data + "/logs/meta.properties ;;\n"
                    + "esac\n";
            for (String script : List.of("kafka-run-class.sh", "kafka-server-start.sh", "kafka-storage.sh")) {
                Files.writeString(bin.resolve(script), record);
                bin.resolve(script).toFile().setExecutable(true);
            }
            this.launch = String.join("\n", manifests.launch()).replace("/opt/kafka", root + "/opt/kafka")
                    .replace("/etc/kafka/admin", admin.toString())
                    .replace(KafkaManifests.DATA_MOUNT, data.toString());
            Files.createDirectories(config);
        }

        /** Runs the launch as the container's start does; the calls it made. */
        List<String> startContainer() throws Exception {
            Files.deleteIfExists(calls);
            Scripts.Result result = Scripts.runProcess(List.of("/bin/sh", "-c", launch), Map.of("CLUSTER_ID", "abc",
                    "FORMAT_QUORUM", "--no-initial-controllers", "PATH", System.getenv("PATH")),
                    Duration.ofSeconds(20));
            assertEquals(0, result.exitCode(), result.toString());
            return Files.readAllLines(calls);
        }

        /** The pod deleted and made again: a new, empty config folder; the volume stays. */
        void replace() throws Exception {
            try (var files = Files.list(config)) {
                for (Path file : files.toList()) {
                    Files.delete(file);
                }
            }
        }
    }
}
