package tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import common.cluster.AccessRules;
import common.cluster.ClusterProfile;
import common.cluster.ClusterSecurity;
import common.cluster.KafkaManifests;
import common.kafka.QuorumMembers;
import common.kube.PodReadiness;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.QuorumInfo;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;
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
import tests.support.PlannedWrites;
import tests.support.RbacPolicy;
import tests.support.Scripts;

/**
 * deploy's safe roll on prod: three real Kafka nodes behind the stand-in API server, whose pods a
 * {@link ClusterModel} drives (deleting a pod restarts its node). An {@code acks=all} producer writes throughout,
 * and followers are throttled, so a restarted broker catches up slowly, as after a large backlog on a real
 * cluster: a roll that only waits for Ready stalls the producer (checked first, so the test can tell), deploy's
 * roll does not.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RollingRestartTest {
    @RegisterExtension
    static final ApiServer api = new ApiServer();
    private static final String TOPIC = "orders";
    private static final String ONE_COPY = "one.copy";
    /** Producer ≈10 KB/s against a 15 KB/s follower throttle: a broker down for ~10 s needs ~15 s to catch up. */
    private static final int RECORD_BYTES = 1000;
    private static final int RECORDS_PER_SECOND = 10;
    private static final String THROTTLE_BYTES_PER_SECOND = "15000";

    private KafkaNodes nodes;
    private ClusterModel model;

    @BeforeAll
    void start() throws Exception {
        // A backlog of gigabytes, in miniature: small replica fetches, and a throttle measured over a short window
        // (over the default 11 s window, a broker down for 10 s may fetch its whole backlog unthrottled).
        nodes = KafkaNodes.start(new KafkaManifests(ClusterProfile.PROD, "kafka", KafkaManifests.DEFAULT_IMAGE,
                null, null).withSecurity(ClusterSecurity.NONE), Map.of("KAFKA_REPLICA_FETCH_MAX_BYTES", "16384",
                        "KAFKA_REPLICA_FETCH_RESPONSE_MAX_BYTES", "32768",
                        "KAFKA_REPLICATION_QUOTA_WINDOW_NUM", "2"));
        Scripts.Result deployed = deploy("prod", "--no-wait", "--security", "none");
        assertEquals(0, deployed.exitCode(), deployed.toString());
        model = new ClusterModel(api, "kafka", nodes);
        try (Admin admin = nodes.admin(nodes.bootstrapServers())) {
            // A topic made with one copy on purpose: Kafka takes its acks=all writes (its effective min ISR is 1),
            // so it must not make the cluster unhealthy and block every roll.
            admin.createTopics(List.of(new NewTopic(TOPIC, 3, (short) 3), new NewTopic(ONE_COPY, 1, (short) 1)))
                    .all().get(30, TimeUnit.SECONDS);
            // Throttled as kafka-reassign-partitions throttles: a rate on each broker, every replica of the topic.
            Map<ConfigResource, java.util.Collection<AlterConfigOp>> throttles = new java.util.HashMap<>();
            for (int broker = 0; broker < 3; broker++) {
                throttles.put(new ConfigResource(ConfigResource.Type.BROKER, String.valueOf(broker)), List.of(
                        set("follower.replication.throttled.rate", THROTTLE_BYTES_PER_SECOND),
                        set("leader.replication.throttled.rate", THROTTLE_BYTES_PER_SECOND)));
            }
            throttles.put(new ConfigResource(ConfigResource.Type.TOPIC, TOPIC), List.of(
                    set("follower.replication.throttled.replicas", "*"),
                    set("leader.replication.throttled.replicas", "*")));
            admin.incrementalAlterConfigs(throttles).all().get(30, TimeUnit.SECONDS);
        }
        awaitAllReady();
    }

    /** An acks=all producer without retries, writing to the test topic throughout. */
    private AcksAllWriter writer() {
        return new AcksAllWriter(nodes.bootstrapServers(), TOPIC, RECORD_BYTES, RECORDS_PER_SECOND);
    }

    private static AlterConfigOp set(String name, String value) {
        return new AlterConfigOp(new ConfigEntry(name, value), AlterConfigOp.OpType.SET);
    }

    @AfterAll
    void stop() throws Exception {
        ClusterModel.stop(model, nodes);
    }

    private Scripts.Result deploy(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("-n", "kafka", "--bootstrap-server", nodes == null ? "localhost:9092"
                : nodes.bootstrapServers()));
        return Scripts.run(api.environment(), Duration.ofMinutes(8), "deploy.java", all.toArray(String[]::new));
    }

    @Test
    @Order(1)
    void aRollThatOnlyWaitsForReadyStallsAcksAllProducersHere() throws Exception {
        try (AcksAllWriter writer = writer()) {
            writer.awaitWrites(20);
            // How soon a restarted broker catches up varies with the machine's load: a second naive roll, only when
            // the first showed nothing, keeps the check about the fault rather than about timing.
            for (int round = 0; round < 2 && writer.notEnoughReplicas.get() == 0; round++) {
                for (int broker = 2; broker >= 0; broker--) {
                    Pod old = pod(broker);
                    api.client().pods().inNamespace("kafka").resource(old).delete();
                    awaitReplacedAndReady(broker, old.getMetadata().getUid());
                }
                writer.awaitWrites(20);
            }
            writer.close();
            assertTrue(writer.notEnoughReplicas.get() > 0, "the test's catch-up is slow enough to show the fault: "
                    + writer);
        }
        awaitInSync();
    }

    @Test
    @Order(2)
    void deployRestartsOneBrokerAtATimeControllerLastAndAcksAllNeverStalls() throws Exception {
        int controller;
        try (Admin admin = nodes.admin(nodes.bootstrapServers())) {
            controller = admin.describeMetadataQuorum().quorumInfo().get(20, TimeUnit.SECONDS).leaderId();
        }
        api.enforce(new RbacPolicy("learnflow-dev", List.of(AccessRules.deployRole("kafka"))));
        Scripts.Result planned = deploy("prod", "--restart", "--plan", "--json");
        assertEquals(4, planned.exitCode(), "changes planned: " + planned);
        assertEquals(List.of(), PlannedWrites.seen(api), "--plan writes nothing");
        Map<String, Object> plan = JsonResult.parse(planned);
        assertEquals(List.of("patch statefulsets/kafka", "restart pods/kafka-" + (controller == 2 ? 1 : 2),
                "restart pods/kafka-" + (controller == 0 ? 1 : 0), "restart pods/kafka-" + controller,
                "delete configmaps/kafka-formation"), PlannedWrites.of(plan),
                "the template's new marker, each broker with the active controller last, then the formation that "
                        + "deploy --no-wait left");
        Scripts.Result rolled;
        AcksAllWriter writer = writer();
        try (writer) {
            writer.awaitWrites(20);
            rolled = deploy("prod", "--restart", "--verbose", "--timeout", "400s");
            writer.awaitWrites(20);
        }
        assertEquals(0, rolled.exitCode(), rolled.toString());
        assertTrue(rolled.stdout().contains("; rolled 3; 3/3 brokers ready"), rolled.stdout());
        assertEquals(0, writer.notEnoughReplicas.get(), "no acks=all write refused: " + writer);
        List<Integer> order = restartOrder(rolled.stderr());
        assertEquals(3, order.size(), rolled.stderr());
        assertEquals(controller, order.get(2), "the active controller last: " + order);
        // How long each broker's ISR rejoin takes varies with the machine; the line's form does not.
        assertTrue(rolled.stderr().lines().filter(line -> line.contains("partitions to rejoin ISR")).allMatch(
                line -> line.matches("restarting kafka-\\d \\([1-3]/3\\): waiting for \\d+ partitions to rejoin "
                        + "ISR")), rolled.stderr());
        assertEquals(List.of(), api.requests().stream().filter(r -> !r.getValue()).toList(),
                "the deploy Role allows the roll");
        assertEquals(PlannedWrites.of(plan), PlannedWrites.seen(api), "the roll did what its plan listed");
        writer.assertEveryAcknowledgedRecordIsThere();
    }

    @Test
    @Order(3)
    void anInterruptedRollIsFinishedByTheNextDeploy() throws Exception {
        api.enforce(null);
        Scripts.Result interrupted;
        try (AcksAllWriter writer = writer()) {
            writer.awaitWrites(20);
            interrupted = deploy("prod", "--restart", "--timeout", "20s");
        }
        assertEquals(1, interrupted.exitCode(), interrupted.toString());
        assertTrue(interrupted.stderr().contains("the next deploy goes on with the roll"), interrupted.stderr());
        assertTrue(outdatedPods() > 0, "the first deploy left brokers to restart");

        Scripts.Result resumed = deploy("prod", "--timeout", "400s");
        assertEquals(0, resumed.exitCode(), resumed.toString());
        assertTrue(resumed.stdout().contains("; rolled "), resumed.stdout());
        assertEquals(0, outdatedPods());
    }

    /**
     * A broker that is down is restarted first, without waiting for a health the cluster cannot reach while it is
     * down (a restart cannot make it worse); the others follow safely. Before, the roll refused ("broker 1 is
     * down") and --force waited for partitions the down broker kept out of sync.
     */
    @Test
    @Order(4)
    void aBrokerThatIsDownIsRestartedFirst() throws Exception {
        awaitInSync();
        nodes.stop(1);
        awaitPod(1, pod -> !PodReadiness.isReady(pod));
        Scripts.Result rolled;
        try {
            rolled = deploy("prod", "--restart", "--verbose", "--timeout", "300s");
        } finally {
            if (!nodes.running(1)) { // not restarted: as a kubelet would, once the node is back
                nodes.restart(1);
            }
        }
        assertEquals(0, rolled.exitCode(), rolled.toString());
        List<Integer> order = restartOrder(rolled.stderr());
        assertEquals(3, order.size(), rolled.stderr());
        assertEquals(1, order.get(0), "the broker that was down first: " + order);
        model.check();
    }

    /**
     * A template whose image cannot be pulled leaves the broker it reached in ImagePullBackOff (the roll stops
     * there); deploying the good image again restarts that broker onto it, first, although it is down and its
     * partitions are out of sync. Before, prod stayed wedged: refused while the broker was down, and with --force
     * the broker waited for in-sync partitions it could never bring back.
     */
    @Test
    @Order(5)
    void aBrokerBrokenByABadImageIsRepairedByDeployingTheGoodOne() throws Exception {
        awaitInSync();
        Scripts.Result broken = deploy("prod", "--image", "apache/kafka:4.4.9", "--timeout", "40s"); // not out
        assertEquals(1, broken.exitCode(), broken.toString());
        assertTrue(broken.stderr().contains("to come back Ready; the next deploy goes on with the roll"),
                broken.stderr());
        int stuck = -1;
        for (int broker = 0; broker < 3; broker++) {
            if (!PodReadiness.isReady(pod(broker))) {
                stuck = broker;
            }
        }
        assertTrue(stuck >= 0, "one broker is left in ImagePullBackOff");
        String stuckUid = pod(stuck).getMetadata().getUid();

        Scripts.Result repaired = deploy("prod", "--verbose", "--timeout", "300s");
        assertEquals(0, repaired.exitCode(), repaired.toString());
        assertTrue(repaired.stdout().contains("; rolled 1; 3/3 brokers ready"), repaired.stdout());
        assertEquals(List.of(stuck), restartOrder(repaired.stderr()), repaired.stderr());
        assertTrue(!pod(stuck).getMetadata().getUid().equals(stuckUid) && PodReadiness.isReady(pod(stuck)));
        assertEquals(0, outdatedPods());
        awaitInSync();
        model.check();
    }

    /**
     * A voter's disk lost (its claim and pod deleted: the model starts the node on a new, empty volume): the node
     * comes back as an observer on new storage and the quorum runs a voter short. The next deploy replaces the old
     * storage by the new; before, every prod deploy refused ("voter 2 runs on new storage; replace it first").
     */
    @Test
    @Order(6)
    void aVoterBackOnNewStorageIsReplacedByTheNextDeploy() throws Exception {
        awaitInSync();
        Uuid old = voter(2).replicaDirectoryId();
        api.client().persistentVolumeClaims().inNamespace("kafka").withName("data-kafka-2").delete();
        api.client().pods().inNamespace("kafka").withName("kafka-2").delete();
        long back = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!QuorumMembers.replacedVoters(quorum()).contains(2)) {
            assertTrue(System.nanoTime() < back, "node 2 back as an observer on new storage: " + quorum());
            Thread.sleep(250);
        }

        Scripts.Result deployed = deploy("prod", "--verbose", "--timeout", "300s");
        assertEquals(0, deployed.exitCode(), deployed.toString());
        assertTrue(deployed.stderr().contains("removing node 2's old storage from the KRaft voters"),
                deployed.stderr());
        assertEquals(List.of(), QuorumMembers.replacedVoters(quorum()));
        assertEquals(Set.of(0, 1, 2), quorum().voters().stream().map(QuorumInfo.ReplicaState::replicaId)
                .collect(java.util.stream.Collectors.toSet()));
        assertNotEquals(old, voter(2).replicaDirectoryId());
        model.check();
    }

    /**
     * A node drain (kubectl drain evicts through the PodDisruptionBudget) takes a broker at the moment the roll
     * takes one down: the roll's own restart must wait for the budget, then for the drained broker to be back in
     * sync. Before, the roll deleted its pod past the budget: two brokers were down at once and acks=all writes
     * were refused (review R2).
     */
    @Test
    @Order(7)
    void aNodeDrainDuringTheRollNeverTakesASecondBroker() throws Exception {
        awaitInSync();
        java.util.concurrent.atomic.AtomicReference<String> drained = new java.util.concurrent.atomic
                .AtomicReference<>();
        api.beforeScriptTakesPodDown(restarting -> {
            String other = restarting.equals("kafka-0") ? "kafka-1" : "kafka-0";
            if (api.evict("kafka", other)) {
                drained.set(other);
            }
        });
        Scripts.Result rolled;
        AcksAllWriter writer = writer();
        try (writer) {
            writer.awaitWrites(20);
            rolled = deploy("prod", "--restart", "--verbose", "--timeout", "300s");
            writer.awaitWrites(20);
        }
        assertEquals(0, rolled.exitCode(), rolled.toString());
        assertTrue(drained.get() != null, "the drain evicted a broker first");
        assertEquals(0, writer.notEnoughReplicas.get(), "never two brokers down at once: " + writer);
        assertTrue(rolled.stderr().contains(": waiting for the PodDisruptionBudget: another Kafka pod is not Ready"),
                rolled.stderr());
        writer.assertEveryAcknowledgedRecordIsThere();
        assertEquals(0, outdatedPods());
        model.check();
    }

    /**
     * A roll onto a Kafka that cannot run the finalized metadata.version (4.3 nodes never start at 4.4-IV2) is
     * refused with nothing changed; before, the roll's first broker stayed down on it.
     */
    @Test
    @Order(8)
    void anOlderKafkaThanTheFinalizedMetadataVersionNeedsIsRefused() throws Exception {
        String template = api.client().apps().statefulSets().inNamespace("kafka").withName("kafka").get()
                .getMetadata().getResourceVersion();
        Scripts.Result refused = deploy("prod", "--image", "apache/kafka:4.3.2", "--timeout", "60s");
        assertEquals(1, refused.exitCode(), refused.toString());
        assertEquals("deploy: apache/kafka:4.3.2 cannot run this cluster: its metadata.version 4.4-IV2 (level 33) "
                + "is finalized, and Kafka 4.3 runs at most 4.3-IV0 (level 30); a finalized metadata.version is "
                + "never lowered. Nothing changed\n", refused.stderr());
        assertEquals(template, api.client().apps().statefulSets().inNamespace("kafka").withName("kafka").get()
                .getMetadata().getResourceVersion(), "the StatefulSet is untouched");
        assertEquals(0, outdatedPods());
    }

    private QuorumInfo quorum() throws Exception {
        try (Admin admin = nodes.admin(nodes.bootstrapServers())) {
            return admin.describeMetadataQuorum().quorumInfo().get(20, TimeUnit.SECONDS);
        }
    }

    private QuorumInfo.ReplicaState voter(int id) throws Exception {
        return quorum().voters().stream().filter(v -> v.replicaId() == id).findFirst().orElseThrow();
    }

    private void awaitPod(int broker, java.util.function.Predicate<Pod> condition) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.test(pod(broker))) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("kafka-" + broker + " did not reach the expected state: " + pod(broker));
            }
            Thread.sleep(100);
        }
    }

    /** The pods in the order deploy's progress lines restarted them. */
    private static List<Integer> restartOrder(String progress) {
        List<Integer> order = new ArrayList<>();
        Matcher restarting = Pattern.compile("restarting kafka-(\\d) \\(\\d/\\d(, down)?\\): waiting for Ready")
                .matcher(progress);
        while (restarting.find()) {
            order.add(Integer.parseInt(restarting.group(1)));
        }
        return order;
    }

    private Pod pod(int broker) {
        return api.client().pods().inNamespace("kafka").withName("kafka-" + broker).get();
    }

    private long outdatedPods() {
        String revision = api.client().apps().statefulSets().inNamespace("kafka").withName("kafka").get()
                .getStatus().getUpdateRevision();
        return api.client().pods().inNamespace("kafka").list().getItems().stream()
                .filter(p -> !revision.equals(p.getMetadata().getLabels().get("controller-revision-hash"))).count();
    }

    private void awaitReplacedAndReady(int broker, String oldUid) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            Pod pod = pod(broker);
            if (pod != null && !pod.getMetadata().getUid().equals(oldUid) && PodReadiness.isReady(pod)) {
                return;
            }
            Thread.sleep(100);
        }
        model.check();
        throw new AssertionError("kafka-" + broker + " did not come back Ready");
    }

    private void awaitAllReady() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            var status = api.client().apps().statefulSets().inNamespace("kafka").withName("kafka").get().getStatus();
            if (status != null && Integer.valueOf(3).equals(status.getReadyReplicas())) {
                return;
            }
            Thread.sleep(200);
        }
        model.check();
        throw new AssertionError("the model's pods did not become Ready");
    }

    /** Every partition fully in sync again (a slow catch-up after the previous test). */
    private void awaitInSync() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        try (Admin admin = nodes.admin(nodes.bootstrapServers())) {
            while (System.nanoTime() < deadline) {
                boolean inSync = admin.describeTopics(List.of(TOPIC)).allTopicNames().get(20, TimeUnit.SECONDS)
                        .get(TOPIC).partitions().stream().allMatch(p -> p.isr().size() == p.replicas().size());
                if (inSync) {
                    return;
                }
                Thread.sleep(500);
            }
        }
        throw new AssertionError("the partitions did not get back in sync");
    }
}
