package tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import common.cluster.ClusterProfile;
import common.cluster.KafkaManifests;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import tests.support.Scripts;

/** The scripts run as processes through ./jbang, as a user runs them: output, exit codes, no cluster needed. */
class CommandLineTest {
    /** No kubeconfig anywhere: the commands below must not need one. */
    private static Map<String, String> noCluster() throws Exception {
        Path home = Files.createTempDirectory("no-kube-home");
        return Map.of("KUBECONFIG", home.resolve("missing-kubeconfig").toString());
    }

    @Test
    void getConnectionPrintsTheServiceAddressAndNothingElse() throws Exception {
        Scripts.Result result = Scripts.run(noCluster(), Duration.ofMinutes(3), "get_connection.java");
        assertEquals(0, result.exitCode(), result.toString());
        assertEquals("kafka.kafka.svc.cluster.local:9092\n", result.stdout());
    }

    @Test
    void getConnectionFollowsTheNamespace() throws Exception {
        Scripts.Result result = Scripts.run(noCluster(), Duration.ofMinutes(3), "get_connection.java", "-n", "team-a");
        assertEquals(0, result.exitCode(), result.toString());
        assertEquals("kafka.team-a.svc.cluster.local:9092\n", result.stdout());
    }

    @Test
    void anInvalidNamespaceIsAUsageError() {
        Scripts.Result result = Scripts.run("get_connection.java", "-n", "Team_A");
        assertEquals(2, result.exitCode(), result.toString());
        assertEquals("", result.stdout());
        assertEquals(1, result.stderr().lines().count(), result.stderr());
    }

    @Test
    void anUnknownProfileIsAUsageErrorNamingTheValidOnes() {
        Scripts.Result result = Scripts.run("deploy.java", "staging", "--dry-run");
        assertEquals(2, result.exitCode(), result.toString());
        assertEquals("", result.stdout());
        assertEquals(1, result.stderr().lines().count(), result.stderr());
        assertTrue(result.stderr().contains("staging") && result.stderr().contains("dev")
                && result.stderr().contains("prod"), result.stderr());
    }

    @Test
    void clientNamespacesMustBeNamespaceNamesAndOnlyProdHasThem() {
        Scripts.Result invalid = Scripts.run("deploy.java", "prod", "--dry-run", "--client-namespaces", "apps,Team_A");
        assertEquals(2, invalid.exitCode(), invalid.toString());
        assertEquals("", invalid.stdout());
        assertTrue(invalid.stderr().startsWith("deploy: invalid --client-namespaces 'Team_A'"), invalid.stderr());
        Scripts.Result dev = Scripts.run("deploy.java", "dev", "--dry-run", "--client-namespaces", "apps");
        assertEquals(2, dev.exitCode(), dev.toString());
        assertEquals(1, dev.stderr().lines().count(), dev.stderr());
    }

    @Test
    void anInvalidStorageSizeIsAUsageError() {
        Scripts.Result result = Scripts.run("deploy.java", "--dry-run", "--storage-size", "lots");
        assertEquals(2, result.exitCode(), result.toString());
        assertEquals("", result.stdout());
        assertTrue(result.stderr().contains("--storage-size"), result.stderr());
    }

    @ParameterizedTest
    @EnumSource(ClusterProfile.class)
    void dryRunPrintsYamlThatParsesBackIntoTheRenderedObjectsAndTheFormationWithoutAnyKubeconfig(
            ClusterProfile profile)
            throws Exception {
        Scripts.Result result = Scripts.run(noCluster(), Duration.ofMinutes(3), "deploy.java", profile.id(),
                "--dry-run", "-n", "team-a");
        assertEquals(0, result.exitCode(), result.toString());
        List<HasMetadata> expected = new KafkaManifests(profile, "team-a", KafkaManifests.DEFAULT_IMAGE, null, null)
                .forApply();
        List<HasMetadata> parsed = new KubernetesSerialization().unmarshal(
                new ByteArrayInputStream(result.stdout().getBytes(StandardCharsets.UTF_8)));
        assertEquals(expected, parsed);
    }

    @Test
    void dryRunOutputIsTheSameOnEveryRun() {
        assertEquals(Scripts.run("deploy.java", "prod", "--dry-run").stdout(),
                Scripts.run("deploy.java", "prod", "--dry-run").stdout());
    }

    @Test
    void dryRunHonoursImageAndStorageOptions() throws Exception {
        Scripts.Result result = Scripts.run(noCluster(), Duration.ofMinutes(3), "deploy.java", "prod", "--dry-run",
                "--image", "registry.example/kafka:4.4.0", "--storage-size", "50Gi", "--storage-class", "gp3");
        assertEquals(0, result.exitCode(), result.toString());
        assertTrue(result.stdout().contains("image: \"registry.example/kafka:4.4.0\""), result.stdout());
        assertTrue(result.stdout().contains("storage: \"50Gi\""), result.stdout());
        assertTrue(result.stdout().contains("storageClassName: \"gp3\""), result.stdout());
    }

    @Test
    void dryRunRendersTheBrokerCountAsked() throws Exception {
        Scripts.Result result = Scripts.run(noCluster(), Duration.ofMinutes(3), "deploy.java", "prod", "--dry-run",
                "--replicas", "5");
        assertEquals(0, result.exitCode(), result.toString());
        List<HasMetadata> parsed = new KubernetesSerialization().unmarshal(
                new ByteArrayInputStream(result.stdout().getBytes(StandardCharsets.UTF_8)));
        assertEquals(new KafkaManifests(ClusterProfile.PROD, "kafka", KafkaManifests.DEFAULT_IMAGE, null, null)
                .withReplicas(5).forApply(), parsed);
        assertEquals(5, parsed.stream().filter(StatefulSet.class::isInstance).map(StatefulSet.class::cast)
                .findFirst().orElseThrow().getSpec().getReplicas());
    }

    @Test
    void versionNamesTheToolAndKafka() {
        Scripts.Result result = Scripts.run("deploy.java", "--version");
        assertEquals(0, result.exitCode(), result.toString());
        assertTrue(result.stdout().contains("Apache Kafka 4.4.0"), result.stdout());
    }
}
