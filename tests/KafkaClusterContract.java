package tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import common.ClusterProfile;
import common.KafkaManifests;
import java.nio.file.Files;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.QuorumInfo;
import org.apache.kafka.common.Node;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import tests.support.KafkaNodes;

/**
 * Real Kafka nodes configured from the rendered StatefulSet (see {@link KafkaNodes}) form a working cluster. One
 * cluster per test class.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class KafkaClusterContract {
    static final String NAMESPACE = "kafka";
    KafkaManifests manifests;
    KafkaNodes nodes;

    abstract ClusterProfile profile();

    @BeforeAll
    void startCluster() throws Exception {
        manifests = new KafkaManifests(profile(), NAMESPACE, KafkaManifests.DEFAULT_IMAGE, null, null);
        nodes = KafkaNodes.start(manifests, NAMESPACE);
    }

    @AfterAll
    void stopCluster() throws Exception {
        if (nodes != null) {
            nodes.close();
        }
    }

    @Test
    void storageIsFormattedWithTheRenderedClusterId() throws Exception {
        for (int i = 0; i < nodes.replicas(); i++) {
            String meta = Files.readString(nodes.dataDir(i).resolve("meta.properties"));
            assertTrue(meta.contains("cluster.id=" + manifests.clusterId()), meta);
            assertTrue(meta.contains("node.id=" + i), "node id from the pod ordinal: " + meta);
        }
        try (Admin admin = nodes.admin(nodes.clientAddress(0))) {
            assertEquals(manifests.clusterId(), admin.describeCluster().clusterId().get(20, TimeUnit.SECONDS));
        }
    }

    @Test
    void theQuorumFormsWithEveryReplicaAsAVoter() throws Exception {
        try (Admin admin = nodes.admin(nodes.bootstrapServers())) {
            QuorumInfo quorum = admin.describeMetadataQuorum().quorumInfo().get(20, TimeUnit.SECONDS);
            Set<Integer> voters = quorum.voters().stream().map(QuorumInfo.ReplicaState::replicaId)
                    .collect(Collectors.toSet());
            assertEquals(expectedIds(), voters);
            assertTrue(voters.contains(quorum.leaderId()), "a leader is elected among the voters: " + quorum);
        }
    }

    @Test
    void everyBrokerAnswersOnItsAdvertisedAddress() throws Exception {
        for (int i = 0; i < nodes.replicas(); i++) {
            try (Admin admin = nodes.admin(nodes.clientAddress(i))) {
                List<Node> brokers = List.copyOf(admin.describeCluster().nodes().get(20, TimeUnit.SECONDS));
                assertEquals(expectedIds(), brokers.stream().map(Node::id).collect(Collectors.toSet()));
                for (Node broker : brokers) {
                    assertEquals(nodes.clientAddress(broker.id()), broker.host() + ":" + broker.port(),
                            "broker " + broker.id() + " advertises its own pod address");
                }
            }
        }
    }

    @Test
    void thePortForwardListenerAdvertisesEachBrokersForwardedAddress() throws Exception {
        try (Admin admin = nodes.admin(nodes.portForwardAddress(0))) {
            for (Node broker : admin.describeCluster().nodes().get(20, TimeUnit.SECONDS)) {
                assertEquals(nodes.portForwardAddress(broker.id()), broker.host() + ":" + broker.port());
            }
        }
    }

    Set<Integer> expectedIds() {
        return java.util.stream.IntStream.range(0, profile().replicas).boxed().collect(Collectors.toSet());
    }
}
