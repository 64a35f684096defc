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
 * A secure pod's launch lines, run by a real POSIX shell with Kafka's scripts replaced by stand-ins that record what
 * they were started with: the admin password reaches the first format only through a Java argument file (the java
 * launcher expands {@code @file} itself), never a process's arguments; the file is in memory and gone before Kafka
 * starts.
 */
class SecureLaunchTest {
    private static final String PASSWORD = "Zq8uV1xYw2Pp3Rr4Ss5Tt6Uu7Vv8Ww9";
    private final KafkaManifests secure = new KafkaManifests(ClusterProfile.PROD, "kafka",
            KafkaManifests.DEFAULT_IMAGE, null, null).withSecurity(ClusterSecurity.TLS);

    @Test
    void thePasswordReachesTheFormatThroughAnArgumentFileOnly(@TempDir Path root) throws Exception {
        Path bin = Files.createDirectories(root.resolve("opt/kafka/bin"));
        Path config = Files.createDirectories(root.resolve("opt/kafka/config"));
        Path admin = Files.createDirectories(root.resolve("etc/kafka/admin"));
        Files.writeString(admin.resolve("password"), PASSWORD);
        Path calls = root.resolve("calls");
        // Each stand-in records its arguments, and kafka-run-class.sh what an @file it is given holds.
        String record = "#!/bin/sh\necho \"$(basename \"$0\") $*\" >> " + calls + "\n"
                + "for a in \"$@\"; do case \"$a\" in @*) cat \"${a#@}\" >> " + calls + " ;; esac; done\n";
        for (String script : List.of("kafka-run-class.sh", "kafka-server-start.sh")) {
            Files.writeString(bin.resolve(script), record);
            bin.resolve(script).toFile().setExecutable(true);
        }
        String launch = String.join("\n", secure.launch()).replace("/opt/kafka", root + "/opt/kafka")
                .replace("/etc/kafka/admin", admin.toString());
        Scripts.Result result = Scripts.runProcess(List.of("/bin/sh", "-c", launch), Map.of("CLUSTER_ID", "abc",
                "FORMAT_QUORUM", "--no-initial-controllers", "PATH", System.getenv("PATH")), Duration.ofSeconds(20));
        assertEquals(0, result.exitCode(), result.toString());
        List<String> lines = Files.readAllLines(calls);
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
}
