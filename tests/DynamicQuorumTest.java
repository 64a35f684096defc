package tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import common.cluster.ClusterProfile;
import common.cluster.ClusterSecurity;
import common.cluster.KafkaManifests;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
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
import tests.support.Scripts;

/**
 * A dynamic quorum after its formation (deploy has deleted the formation ConfigMap), on three real nodes: a node
 * restarted on its volume is the same voter again; a node on a replaced, empty volume formats as an observer and is
 * never taken for the voter it was, and verify says so.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DynamicQuorumTest {
    private static final Duration LIMIT = Duration.ofSeconds(90);
    private KafkaNodes nodes;

    @BeforeAll
    void startCluster() throws Exception {
        nodes = KafkaNodes.start(new KafkaManifests(ClusterProfile.PROD, "kafka", KafkaManifests.DEFAULT_IMAGE, null,
                null).withSecurity(ClusterSecurity.NONE));
        nodes.endFormation();
    }

    @AfterAll
    void stopCluster() throws Exception {
        if (nodes != null) {
            nodes.close();
        }
    }

    @Test
    @Order(1)
    void aNodeRestartedOnItsVolumeIsTheSameVoterAgain() throws Exception {
        Uuid directory = voter(quorum(), 2).replicaDirectoryId();
        nodes.stop(2);
        nodes.restart(2);
        QuorumInfo quorum = await(q -> q.voters().stream().anyMatch(v -> v.replicaId() == 2
                && v.replicaDirectoryId().equals(directory) && v.lastCaughtUpTimestamp().isPresent()
                && System.currentTimeMillis() - v.lastCaughtUpTimestamp().getAsLong() < 5_000));
        assertEquals(3, quorum.voters().size(), quorum.toString());
        assertEquals(0, quorum.observers().size(), quorum.toString());
        Scripts.Result healthy = verify("--wait");
        assertEquals(0, healthy.exitCode(), healthy.toString());
    }

    @Test
    @Order(2)
    void aNodeOnAReplacedVolumeIsAnObserverNotTheOldVoter() throws Exception {
        Uuid directory = voter(quorum(), 2).replicaDirectoryId();
        nodes.stop(2);
        nodes.replaceVolume(2);
        nodes.restart(2);
        QuorumInfo quorum = await(q -> q.observers().stream().anyMatch(o -> o.replicaId() == 2));
        QuorumInfo.ReplicaState observer = quorum.observers().stream().filter(o -> o.replicaId() == 2).findFirst()
                .orElseThrow();
        assertNotEquals(directory, observer.replicaDirectoryId(), "formatted anew: " + quorum);
        assertEquals(directory, voter(quorum, 2).replicaDirectoryId(), "the quorum still counts the old copy");

        Scripts.Result result = verify();
        assertEquals(1, result.exitCode(), result.toString());
        assertTrue(result.stdout().startsWith("✗ voter 2 runs on new storage (now an observer)"), result.stdout());
    }

    private Scripts.Result verify(String... more) {
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("--bootstrap-server",
                nodes.bootstrapServers(), "--timeout", "60s"));
        args.addAll(java.util.List.of(more));
        return Scripts.run(java.util.Map.of(), Duration.ofMinutes(2), "verify.java", args.toArray(String[]::new));
    }

    private QuorumInfo quorum() throws Exception {
        try (Admin admin = nodes.admin(nodes.clientAddress(0))) {
            return admin.describeMetadataQuorum().quorumInfo().get(20, TimeUnit.SECONDS);
        }
    }

    private static QuorumInfo.ReplicaState voter(QuorumInfo quorum, int id) {
        return quorum.voters().stream().filter(v -> v.replicaId() == id).findFirst().orElseThrow();
    }

    private QuorumInfo await(Predicate<QuorumInfo> condition) throws Exception {
        long deadline = System.nanoTime() + LIMIT.toNanos();
        QuorumInfo last = null;
        while (System.nanoTime() < deadline) {
            try {
                last = quorum();
                if (condition.test(last)) {
                    return last;
                }
            } catch (Exception e) {
                // a node is starting: ask again
            }
            Thread.sleep(500);
        }
        throw new AssertionError("the quorum did not get there within " + LIMIT + ": " + last);
    }
}
