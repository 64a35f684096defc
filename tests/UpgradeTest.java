package tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import common.cluster.ClusterProfile;
import common.cluster.ClusterSecurity;
import common.cluster.KafkaManifests;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import tests.support.AcksAllWriter;
import tests.support.ApiServer;
import tests.support.ClusterModel;
import tests.support.JsonResult;
import tests.support.KafkaNodes;
import tests.support.Scripts;

/**
 * Kafka upgraded in place, on three real nodes that start from the rendered template with the jars of the release
 * its image tag names (4.3.2, then 4.4.0), under the stand-in API server whose kubelet runs them: the roll onto the
 * new release keeps the finalized metadata.version, a roll back before finalizing is allowed, {@code --finalize}
 * raises it (and share.version, which 4.4 turns on) once every node runs the new release, and from then on the old release is refused. An acks=all
 * producer writes through the rolls; every record it was told was written is read back.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class UpgradeTest {
    @RegisterExtension
    static final ApiServer api = new ApiServer();
    private static final String OLD = "apache/kafka:4.3.2";
    private static final String NEW = KafkaManifests.DEFAULT_IMAGE;
    private static final String TOPIC = "orders";

    private KafkaNodes nodes;
    private ClusterModel model;

    @BeforeAll
    void start() throws Exception {
        nodes = KafkaNodes.start(new KafkaManifests(ClusterProfile.PROD, "kafka", OLD, null, null)
                .withSecurity(ClusterSecurity.NONE));
        Scripts.Result deployed = deploy("--image", OLD, "--no-wait", "--security", "none");
        assertEquals(0, deployed.exitCode(), deployed.toString());
        model = new ClusterModel(api, "kafka", nodes);
        try (Admin admin = nodes.admin(nodes.bootstrapServers())) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 3, (short) 3))).all().get(30, TimeUnit.SECONDS);
        }
    }

    @AfterAll
    void stop() throws Exception {
        ClusterModel.stop(model, nodes);
    }

    @Test
    @Order(1)
    void verifyNamesTheReleaseEachNodeRuns() {
        verifyEveryNodeRuns("4.3", "4.3-IV0");
    }

    /**
     * The roll onto 4.4.0, killed (SIGKILL) once its first broker is back on the new release: verify reports the
     * mixed cluster, and the same command again restarts the other two, nothing lost meanwhile.
     */
    @Test
    @Order(2)
    void aRollOntoTheNewReleaseKeepsTheFinalizedMetadataVersion() throws Exception {
        String before = api.client().apps().statefulSets().inNamespace("kafka").withName("kafka").get().getStatus()
                .getUpdateRevision();
        try (AcksAllWriter writer = new AcksAllWriter(nodes.bootstrapServers(), TOPIC, 100, 20)) {
            writer.awaitWrites(20);
            Scripts.Result killed = Scripts.runKilledWhen(api.environment(), Duration.ofMinutes(8),
                    () -> readyOnAnotherRevision(before) == 1, "deploy.java", deployArguments("--image", NEW,
                            "--timeout", "400s"));
            assertEquals(137, killed.exitCode(), killed.toString());
            Scripts.Result mixed = run("verify.java");
            assertEquals(0, mixed.exitCode(), mixed.toString());
            assertTrue(mixed.stdout().contains(": a roll is under way"), mixed.stdout());
            Scripts.Result again = deploy("--image", NEW, "--timeout", "400s");
            assertEquals(0, again.exitCode(), again.toString());
            assertTrue(again.stdout().contains("; rolled 2;"), "the two left: " + again.stdout());
            writer.awaitWrites(20);
            writer.close();
            assertEquals(0, writer.notEnoughReplicas.get(), writer.toString());
            writer.assertEveryAcknowledgedRecordIsThere();
        }
        model.check();
        Map<String, Object> json = verifyEveryNodeRuns("4.4", "4.3-IV0"); // unchanged by the roll
        assertEquals(true, json.get("upgradeRolledNotFinalized"), json.toString());
        Scripts.Result line = run("verify.java");
        assertTrue(line.stdout().contains("metadata.version 4.3-IV0 not raised to 4.4-IV2 yet (rolled, not "
                + "finalized)"), line.stdout());
    }

    @Test
    @Order(3)
    void beforeFinalizingTheOldReleaseCanComeBack() throws Exception {
        rollTo(OLD);
        Map<String, Object> json = verifyEveryNodeRuns("4.3", "4.3-IV0");
        assertEquals(false, json.get("upgradeRolledNotFinalized"), json.toString());
    }

    /**
     * A broker added while the cluster runs 4.4.0 has a volume 4.4.0 formatted, which Kafka does not support under
     * 4.3.2 (KafkaReleasesTest shows what 4.3.2 ignores there): deploy noted on each claim which release formatted
     * it, and refuses the roll back, with nothing changed, though metadata.version alone would allow it.
     */
    @Test
    @Order(4)
    void aVolumeFormattedByTheNewReleaseBlocksTheRollBack() throws Exception {
        Scripts.Result grown = deploy("--image", NEW, "--replicas", "4", "--timeout", "400s");
        assertEquals(0, grown.exitCode(), grown.toString());
        Map<String, String> formattedBy = new java.util.TreeMap<>();
        api.client().persistentVolumeClaims().inNamespace("kafka").list().getItems().forEach(claim -> formattedBy
                .put(claim.getMetadata().getName(), common.day2.FormattedBy.of(claim).orElse("none")));
        assertEquals(Map.of("data-kafka-0", "4.3.2", "data-kafka-1", "4.3.2", "data-kafka-2", "4.3.2",
                "data-kafka-3", "4.4.0"), formattedBy, "each noted from the pod that formatted it");
        String version = api.client().apps().statefulSets().inNamespace("kafka").withName("kafka").get()
                .getMetadata().getResourceVersion();
        Scripts.Result refused = deploy("--image", OLD, "--timeout", "60s");
        assertEquals(1, refused.exitCode(), refused.toString());
        assertEquals("deploy: apache/kafka:4.3.2 cannot run this cluster: data-kafka-3 was formatted by Kafka 4.4.0, "
                + "and from 4.4 on a volume needs the Kafka that formatted it or a newer one; nothing changed. Deploy "
                + "apache/kafka:4.4.0 or newer\n", refused.stderr());
        assertEquals(version, api.client().apps().statefulSets().inNamespace("kafka").withName("kafka").get()
                .getMetadata().getResourceVersion(), "the StatefulSet is untouched");
        verifyEveryNodeRuns("4.4", "4.3-IV0");
    }

    /**
     * An image whose tag names one release and holds another (a mirror's mistake): the roll checks the broker it
     * restarted, which runs 4.3, and stops before the next goes onto it.
     */
    @Test
    @Order(5)
    void aTagThatDoesNotHoldTheReleaseItNamesStopsTheRoll() throws Exception {
        String mislabelled = "mirror.example.com/apache/kafka:4.4.0";
        KafkaNodes.serveMislabelled(mislabelled, "4.3.2");
        Scripts.Result stopped = deploy("--image", mislabelled, "--timeout", "300s");
        assertEquals(1, stopped.exitCode(), stopped.toString());
        assertTrue(stopped.stderr().matches("(?s)deploy: kafka-\\d restarted on " + mislabelled.replace(".", "\\.")
                + " but runs Kafka 4\\.3, not 4\\.4; the roll stopped there\n"), stopped.stderr());
        assertEquals(3, api.client().pods().inNamespace("kafka").list().getItems().stream().filter(pod -> !pod
                .getMetadata().getLabels().get("controller-revision-hash").equals(api.client().apps().statefulSets()
                        .inNamespace("kafka").withName("kafka").get().getStatus().getUpdateRevision())).count(),
                "the other three brokers not restarted onto it");
        // While that broker runs 4.3, Kafka's own check (validateOnly, before anything changes) refuses to
        // finalize 4.4: the finalize step's backstop, whatever led there.
        try (common.kafka.KafkaAccess kafka = common.kafka.KafkaAccess.direct(nodes.bootstrapServers(),
                Duration.ofSeconds(30), Map.of())) {
            common.cli.CommandFailure refused = org.junit.jupiter.api.Assertions.assertThrows(
                    common.cli.CommandFailure.class, () -> common.kafka.KafkaVersions.raise(kafka,
                            Map.of("metadata.version", 33)));
            assertTrue(refused.getMessage().startsWith("checking that every node runs {metadata.version=33} failed"),
                    refused.getMessage());
        }
        assertEquals("4.3-IV0", verify().get("metadataVersion"), "unchanged");
    }

    @Test
    @Order(6)
    void finalizeRaisesMetadataVersionOnceEveryNodeRunsTheNewRelease() throws Exception {
        Scripts.Result planned = deploy("--image", NEW, "--finalize", "--plan");
        assertEquals(4, planned.exitCode(), planned.toString());
        assertTrue(planned.stdout().contains(". raise metadata.version 4.3-IV0 → 4.4-IV2, share.version 1 → 2 "
                + "(one-way: older Kafka can no longer run the cluster)"), planned.stdout());
        try (AcksAllWriter writer = new AcksAllWriter(nodes.bootstrapServers(), TOPIC, 100, 20)) {
            writer.awaitWrites(20);
            Scripts.Result finalized = deploy("--image", NEW, "--finalize", "--timeout", "400s");
            assertEquals(0, finalized.exitCode(), finalized.toString());
            assertTrue(finalized.stdout().contains("; rolled 1; metadata.version 4.4-IV2;"), finalized.stdout());
            writer.awaitWrites(20);
            writer.close();
            assertEquals(0, writer.notEnoughReplicas.get(), writer.toString());
            writer.assertEveryAcknowledgedRecordIsThere();
        }
        Map<String, Object> json = verify();
        assertEquals("4.4-IV2", json.get("metadataVersion"), json.toString());
        assertEquals(false, json.get("upgradeRolledNotFinalized"), json.toString());
        try (Admin admin = nodes.admin(nodes.bootstrapServers())) {
            var finalized = admin.describeFeatures().featureMetadata().get(20, TimeUnit.SECONDS).finalizedFeatures();
            assertEquals(2, finalized.get("share.version").maxVersionLevel(), "what 4.4 turns on: " + finalized);
            assertEquals(1, finalized.get("kraft.version").maxVersionLevel(), "never raised by accident");
        }
        Scripts.Result again = deploy("--image", NEW, "--finalize", "--plan");
        assertEquals(0, again.exitCode(), "nothing left to do: " + again);
    }

    @Test
    @Order(7)
    void afterFinalizingTheOldReleaseIsRefusedWithNothingChanged() {
        String version = api.client().apps().statefulSets().inNamespace("kafka").withName("kafka").get()
                .getMetadata().getResourceVersion();
        Scripts.Result refused = deploy("--image", OLD, "--timeout", "60s");
        assertEquals(1, refused.exitCode(), refused.toString());
        assertTrue(refused.stderr().startsWith("deploy: apache/kafka:4.3.2 cannot run this cluster: its "
                + "metadata.version 4.4-IV2 (level 33) is finalized"), refused.stderr());
        assertEquals(version, api.client().apps().statefulSets().inNamespace("kafka").withName("kafka").get()
                .getMetadata().getResourceVersion(), "the StatefulSet is untouched");
        model.check();
    }

    /** deploy prod --image IMAGE while an acks=all producer writes: every broker restarted, nothing lost. */
    private void rollTo(String image) throws Exception {
        try (AcksAllWriter writer = new AcksAllWriter(nodes.bootstrapServers(), TOPIC, 100, 20)) {
            writer.awaitWrites(20);
            Scripts.Result rolled = deploy("--image", image, "--timeout", "400s");
            assertEquals(0, rolled.exitCode(), rolled.toString());
            assertTrue(rolled.stdout().contains("; rolled 3;"), rolled.stdout());
            writer.awaitWrites(20);
            writer.close();
            assertEquals(0, writer.notEnoughReplicas.get(), writer.toString());
            writer.assertEveryAcknowledgedRecordIsThere();
        }
        model.check();
    }

    /** verify --json: every node on {@code release}, the cluster at {@code metadataVersion}. */
    private Map<String, Object> verifyEveryNodeRuns(String release, String metadataVersion) {
        Map<String, Object> json = verify();
        Map<String, String> everyNode = new java.util.TreeMap<>();
        for (int node = 0; node < nodes.replicas(); node++) {
            everyNode.put(String.valueOf(node), release);
        }
        assertEquals(everyNode, new java.util.TreeMap<>((Map<?, ?>) json.get("kafkaVersions")), json.toString());
        assertEquals(metadataVersion, json.get("metadataVersion"), json.toString());
        return json;
    }

    private Map<String, Object> verify() {
        Scripts.Result result = run("verify.java", "--json");
        assertEquals(0, result.exitCode(), result.toString());
        return JsonResult.parse(result);
    }

    private Scripts.Result run(String script, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--bootstrap-server", nodes.bootstrapServers()));
        return Scripts.run(api.environment(), Duration.ofMinutes(8), script, all.toArray(String[]::new));
    }

    private Scripts.Result deploy(String... args) {
        return Scripts.run(api.environment(), Duration.ofMinutes(8), "deploy.java", deployArguments(args));
    }

    /** deploy prod in namespace kafka, {@code args}, through the test's brokers. */
    private String[] deployArguments(String... args) {
        List<String> all = new ArrayList<>(List.of("prod", "-n", "kafka"));
        all.addAll(List.of(args));
        all.addAll(List.of("--bootstrap-server", nodes == null ? "localhost:9092" : nodes.bootstrapServers()));
        return all.toArray(String[]::new);
    }

    /** The Ready pods the StatefulSet controller made at a revision other than {@code revision}. */
    private long readyOnAnotherRevision(String revision) {
        return api.client().pods().inNamespace("kafka").list().getItems().stream()
                .filter(pod -> !revision.equals(pod.getMetadata().getLabels().get("controller-revision-hash")))
                .filter(common.kube.PodReadiness::isReady).count();
    }
}
