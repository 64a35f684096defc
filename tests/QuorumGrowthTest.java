package tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import common.cli.CommandFailure;
import common.cluster.ClusterProfile;
import common.cluster.ClusterSecurity;
import common.cluster.KafkaManifests;
import common.cluster.Platform;
import common.day2.DeployPlanner;
import common.day2.ObservedCluster;
import common.day2.QuorumChange;
import common.day2.ReplicaChange;
import common.kafka.KafkaAccess;
import common.kafka.KafkaState;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.QuorumInfo;
import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import tests.support.KafkaNodes;
import tests.support.Records;

/**
 * The steps of growing a dynamic quorum 1 → 3 and shrinking it back, on three real nodes of which only kafka-0 was
 * a first voter (kafka-1 and kafka-2 formatted as observers, as pods added by a scale-up do): a grow refused while a
 * node is down, an interrupted grow resumed, replication raised with every record still readable, a voter on
 * replaced storage replaced, a shrink or a raise refused while a partition is offline, and back to one voter and one
 * replica.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class QuorumGrowthTest {
    private static final String TOPIC = "written.before.growing";
    private static final String ONLY_ON_TWO = "only.on.node.two";
    private static final int RECORDS = 200;
    private KafkaNodes nodes;
    private KafkaAccess kafka;
    private final List<String> progress = new ArrayList<>();

    @BeforeAll
    void startCluster() throws Exception {
        nodes = KafkaNodes.start(new KafkaManifests(ClusterProfile.PROD, "kafka", KafkaManifests.DEFAULT_IMAGE, null,
                null).withSecurity(ClusterSecurity.NONE), Map.of(), 1);
        nodes.endFormation();
        // One deadline for every step of this class, as one deploy run has.
        kafka = KafkaAccess.direct(nodes.clientAddress(0), Duration.ofMinutes(5), Map.of());
        try (Admin admin = nodes.admin(nodes.clientAddress(0))) {
            // A topic as dev made it: one copy, on broker 0.
            admin.createTopics(List.of(new NewTopic(TOPIC, Map.of(0, List.of(0), 1, List.of(0)))
                    .configs(Map.of("min.insync.replicas", "1")))).all().get(30, TimeUnit.SECONDS);
        }
        Records.produce(nodes.clientAddress(0), TOPIC, 2, RECORDS);
    }

    @AfterAll
    void stopCluster() throws Exception {
        if (kafka != null) {
            kafka.close();
        }
        if (nodes != null) {
            nodes.close();
        }
    }

    /** What a shrink's room check reads (review R5): each live broker's volume, and the bytes of each replica. */
    @Test
    @Order(0)
    void theStateDeployPlansFromHoldsEachBrokersVolumeAndItsReplicas() throws Exception {
        KafkaState state = KafkaState.read(kafka);
        assertEquals(Set.of(0, 1, 2), state.disks().keySet());
        KafkaState.Partition written = state.partitions().stream()
                .filter(partition -> partition.name().equals(TOPIC + "-0")).findFirst().orElseThrow();
        long onBroker0 = state.disks().get(0).replicaBytes().get(TOPIC + "-0");
        assertTrue(onBroker0 > 0, "the records written are on broker 0's volume");
        assertEquals(onBroker0, state.bytes(written), "a copy of it holds what its largest replica holds");
        assertNull(state.disks().get(1).replicaBytes().get(TOPIC + "-0"), "broker 1 has no replica of it");
        long free = java.nio.file.Files.getFileStore(nodes.hostPath(0, KafkaManifests.DATA_MOUNT)).getUsableSpace();
        KafkaState.Disk disk = state.disks().get(0);
        assertTrue(Math.abs(disk.usableBytes() - free) < (256L << 20) && disk.totalBytes() >= disk.usableBytes(),
                disk + " vs " + free + " bytes free where the node's volume is");
    }

    @Test
    @Order(1)
    void aGrowIsRefusedWhileANodeToAddIsDown() throws Exception {
        assertEquals(Set.of(0), voters(), "only kafka-0 formed the quorum");
        nodes.stop(2);
        try (Admin admin = nodes.admin(nodes.clientAddress(0))) {
            // Down as a user finds it: the controller has fenced the broker (its session timed out).
            long fenced = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (admin.describeCluster().nodes().get(20, TimeUnit.SECONDS).stream().anyMatch(n -> n.id() == 2)) {
                assertTrue(System.nanoTime() < fenced, "broker 2 was not fenced");
                Thread.sleep(500);
            }
        }
        try {
            CommandFailure refused = assertThrows(CommandFailure.class,
                    () -> quorumChange().addVoters(Set.of(1, 2), deadline()));
            assertTrue(refused.getMessage().contains("node 2 is down"), refused.getMessage());
            assertEquals(Set.of(0), voters(), "nothing changed");
        } finally {
            nodes.restart(2);
            nodes.awaitBrokers(3, Duration.ofSeconds(60));
        }
    }

    @Test
    @Order(2)
    void anInterruptedGrowIsResumedAndARepeatChangesNothing() throws Exception {
        assertEquals(List.of(1), quorumChange().addVoters(Set.of(1), deadline()), "interrupted after one voter");
        assertEquals(List.of(2), quorumChange().addVoters(Set.of(1, 2), deadline()));
        assertEquals(Set.of(0, 1, 2), voters());
        assertEquals(Map.of(0, List.of(nodes.controllerAddress(0)), 1, List.of(nodes.controllerAddress(1)), 2,
                List.of(nodes.controllerAddress(2))), endpoints(), "each voter as it advertises itself");
        assertEquals(List.of(), quorumChange().addVoters(Set.of(1, 2), deadline()));
        assertTrue(progress.stream().anyMatch(line -> line.startsWith("adding node 2 to the KRaft voters (2 → 3)")),
                progress.toString());
    }

    @Test
    @Order(3)
    void replicationIsRaisedOnEveryTopicAndEveryRecordStaysReadable() throws Exception {
        assertTrue(new ReplicaChange(kafka, progress::add).raise(3, List.of(0, 1, 2), deadline()) >= 2);
        try (Admin admin = nodes.admin(nodes.bootstrapServers())) {
            Set<String> names = admin.listTopics(new org.apache.kafka.clients.admin.ListTopicsOptions()
                    .listInternal(true)).names().get(20, TimeUnit.SECONDS);
            admin.describeTopics(names).allTopicNames().get(20, TimeUnit.SECONDS).values()
                    .forEach(topic -> topic.partitions().forEach(partition -> assertEquals(3,
                            partition.isr().size(), topic.name() + "-" + partition.partition())));
        }
        assertEquals(0, new ReplicaChange(kafka, progress::add).raise(3, List.of(0, 1, 2), deadline()));
        assertEquals(RECORDS, Records.consume(nodes.bootstrapServers(), TOPIC, 2, RECORDS).size());
    }

    @Test
    @Order(4)
    void aVoterBackOnReplacedStorageIsReplacedNotTakenForItsOldSelf() throws Exception {
        Uuid old = voter(2).replicaDirectoryId();
        nodes.stop(2);
        nodes.replaceVolume(2);
        nodes.restart(2);
        nodes.awaitBrokers(3, Duration.ofSeconds(60));
        CommandFailure refused = assertThrows(CommandFailure.class,
                () -> quorumChange().addVoters(Set.of(2), deadline()));
        assertTrue(refused.getMessage().contains("voter 2 runs on new storage"), refused.getMessage());
        quorumChange().replace(2, deadline());
        assertEquals(Set.of(0, 1, 2), voters());
        assertEquals(List.of(), common.kafka.QuorumMembers.replacedVoters(quorum()),
                "the old storage, still listed by the leader for a while, is not a replaced voter: " + quorum());
        assertNotEquals(old, voter(2).replicaDirectoryId());
    }

    @Test
    @Order(5)
    void aShrinkOrARaiseIsRefusedWithNothingChangedWhileAPartitionIsOffline() throws Exception {
        try (Admin admin = nodes.admin(nodes.bootstrapServers())) {
            admin.createTopics(List.of(new NewTopic(ONLY_ON_TWO, Map.of(0, List.of(2))))).all()
                    .get(30, TimeUnit.SECONDS);
        }
        nodes.stop(2);
        Map<String, List<Integer>> replicas = replicas();
        String minIsr = clusterMinIsr();
        KafkaManifests dev = new KafkaManifests(ClusterProfile.DEV, "kafka", KafkaManifests.DEFAULT_IMAGE, null,
                null);
        KafkaManifests prod = new KafkaManifests(ClusterProfile.PROD, "kafka", KafkaManifests.DEFAULT_IMAGE, null,
                null).withSecurity(ClusterSecurity.NONE);
        ObservedCluster observed = new ObservedCluster(true, Map.of(ObservedCluster.key(prod.statefulSet()),
                prod.statefulSet()), List.of(), null, Platform.KUBERNETES, List.of(), KafkaState.read(kafka));
        CommandFailure refused = assertThrows(CommandFailure.class, () -> new DeployPlanner(new DeployPlanner
                .Request(dev, null, null, null, false, null, false, false, false, false), observed,
                new KubernetesSerialization()).plan());
        assertTrue(refused.getMessage().startsWith("cannot shrink from 3 to 1 brokers: 1 partitions offline ("
                + ONLY_ON_TWO + "-0)") && refused.getMessage().endsWith("; nothing changed"), refused.getMessage());
        CommandFailure notRaised = assertThrows(CommandFailure.class,
                () -> new ReplicaChange(kafka, progress::add).raise(3, List.of(0, 1, 2), deadline()));
        assertEquals("cannot move replicas: 1 partitions offline (" + ONLY_ON_TWO + "-0); nothing changed",
                notRaised.getMessage(), "a grow resumed with a partition offline");
        assertEquals(replicas, replicas(), "no partition moved");
        assertEquals(minIsr, clusterMinIsr());
        assertEquals(Set.of(0, 1, 2), voters());

        nodes.restart(2);
        nodes.awaitBrokers(3, Duration.ofSeconds(60));
        try (Admin admin = nodes.admin(nodes.bootstrapServers())) {
            admin.deleteTopics(List.of(ONLY_ON_TWO)).all().get(30, TimeUnit.SECONDS);
        }
    }

    /**
     * A shrink with a leaving voter down (often why one shrinks): Kafka commits a removal on a majority of the
     * voters that remain, so removing the live voter 2 first would leave {0,1}, which cannot commit without the
     * down node 1, and the metadata log would stop for good. The down voter leaves first.
     */
    @Test
    @Order(6)
    void shrinkingBackToOneVoterWithALeavingVoterDownKeepsTheQuorumAndEveryRecord() throws Exception {
        new ReplicaChange(kafka, progress::add).keepOn(List.of(0), deadline());
        // As after a safe roll restarted kafka-0: a voter to remove leads the quorum. It resigns once its removal
        // commits, and the next request may reach a broker that still forwards to it.
        moveTheLeadershipOff(0);
        nodes.stop(1);
        awaitFenced(1);
        // Removing the live voter 2 alone would leave {0,1}, with node 1 down.
        CommandFailure keptAMajority = assertThrows(CommandFailure.class,
                () -> quorumChange().removeVoters(Set.of(2), deadline()));
        assertTrue(keptAMajority.getMessage().startsWith("cannot remove voters: node 1 is down"),
                keptAMajority.getMessage());
        assertEquals(List.of(1, 2), quorumChange().removeVoters(Set.of(1, 2), deadline()));
        assertEquals(Set.of(0), voters());
        // The metadata log still commits: a topic is created, and a restarted node 0 leads again.
        try (Admin admin = nodes.admin(nodes.clientAddress(0))) {
            admin.createTopics(List.of(new NewTopic("after.the.shrink", 1, (short) 1))).all()
                    .get(10, TimeUnit.SECONDS);
        }
        nodes.stop(0);
        nodes.restart(0);
        long elected = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (leaderOf(nodes.clientAddress(0)) != 0) {
            assertTrue(System.nanoTime() < elected, "node 0 leads its quorum of one after a restart");
            Thread.sleep(250);
        }
        assertEquals(List.of(), quorumChange().removeVoters(Set.of(1, 2), deadline()));
        CommandFailure refused = assertThrows(CommandFailure.class,
                () -> quorumChange().removeVoters(Set.of(0), deadline()));
        assertTrue(refused.getMessage().contains("cannot remove every KRaft voter"), refused.getMessage());
        assertEquals(RECORDS, Records.consume(nodes.bootstrapServers(), TOPIC, 2, RECORDS).size());
    }

    private void awaitFenced(int id) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        try (Admin admin = nodes.admin(nodes.clientAddress(0))) {
            while (admin.describeCluster().nodes().get(20, TimeUnit.SECONDS).stream()
                    .anyMatch(node -> node.id() == id)) {
                assertTrue(System.nanoTime() < deadline, "node " + id + " fenced after it stopped");
                Thread.sleep(250);
            }
        }
    }

    /** The quorum leader as node {@code address} answers, or -1 while there is none (or no answer). */
    private int leaderOf(String address) {
        try (Admin admin = nodes.admin(address)) {
            return admin.describeMetadataQuorum().quorumInfo().get(5, TimeUnit.SECONDS).leaderId();
        } catch (Exception notYet) {
            return -1;
        }
    }

    /** Restarts node {@code id} when it leads: the others elect a leader meanwhile; waits until it is back. */
    private void moveTheLeadershipOff(int id) throws Exception {
        if (quorum().leaderId() != id) {
            return;
        }
        nodes.stop(id);
        nodes.restart(id);
        nodes.awaitBrokers(3, Duration.ofSeconds(60));
        long caughtUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (voter(id).lastCaughtUpTimestamp().orElse(0) < System.currentTimeMillis() - 2_000) {
            assertTrue(System.nanoTime() < caughtUp, "node " + id + " back as a follower: " + quorum());
            Thread.sleep(250);
        }
        assertNotEquals(id, quorum().leaderId(), quorum().toString());
    }

    /** Every partition's replicas, by {@code topic-partition}, internal topics included. */
    private Map<String, List<Integer>> replicas() throws Exception {
        try (Admin admin = nodes.admin(nodes.clientAddress(0))) {
            Set<String> names = admin.listTopics(new ListTopicsOptions().listInternal(true)).names()
                    .get(20, TimeUnit.SECONDS);
            Map<String, List<Integer>> replicas = new java.util.TreeMap<>();
            admin.describeTopics(names).allTopicNames().get(20, TimeUnit.SECONDS).values().forEach(topic -> topic
                    .partitions().forEach(partition -> replicas.put(topic.name() + "-" + partition.partition(),
                            partition.replicas().stream().map(org.apache.kafka.common.Node::id).toList())));
            return replicas;
        }
    }

    /** The cluster-level min.insync.replicas, or null when none is set. */
    private String clusterMinIsr() throws Exception {
        var cluster = new org.apache.kafka.common.config.ConfigResource(
                org.apache.kafka.common.config.ConfigResource.Type.BROKER, "");
        try (Admin admin = nodes.admin(nodes.clientAddress(0))) {
            var entry = admin.describeConfigs(List.of(cluster)).all().get(20, TimeUnit.SECONDS).get(cluster)
                    .get("min.insync.replicas");
            return entry == null ? null : entry.value();
        }
    }

    private QuorumChange quorumChange() {
        return new QuorumChange(kafka, progress::add);
    }

    private static long deadline() {
        return System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    }

    private QuorumInfo quorum() throws Exception {
        try (Admin admin = nodes.admin(nodes.bootstrapServers())) {
            return admin.describeMetadataQuorum().quorumInfo().get(20, TimeUnit.SECONDS);
        }
    }

    private Set<Integer> voters() throws Exception {
        return quorum().voters().stream().map(QuorumInfo.ReplicaState::replicaId)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** The voters' endpoints the quorum records, host:port by node id. */
    private Map<Integer, List<String>> endpoints() throws Exception {
        return quorum().nodes().entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, entry -> entry
                .getValue().endpoints().stream().map(endpoint -> endpoint.host() + ":" + endpoint.port()).toList()));
    }

    private QuorumInfo.ReplicaState voter(int id) throws Exception {
        return quorum().voters().stream().filter(v -> v.replicaId() == id).findFirst().orElseThrow();
    }
}
