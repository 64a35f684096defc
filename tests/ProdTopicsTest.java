package tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import common.cluster.ClusterProfile;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import tests.support.JsonResult;
import tests.support.Scripts;

/** create_topics and verify on the prod profile's three brokers: replication factor 3, a broker down. */
class ProdTopicsTest extends TopicsContract {
    @Override
    ClusterProfile profile() {
        return ClusterProfile.PROD;
    }

    @Test
    @Order(0)
    void aReplicationFactorAboveTheBrokerCountIsRefusedWithNothingCreated() throws Exception {
        Scripts.Result result = run("create_topics.java", "--replication-factor", "4");
        assertEquals(1, result.exitCode(), result.toString());
        assertTrue(result.stderr().contains("replication factor 4") && result.stderr().contains("3"),
                result.stderr());
        try (Admin admin = nodes.admin(nodes.bootstrapServers())) {
            Set<String> topics = admin.listTopics().names().get(20, TimeUnit.SECONDS);
            assertTrue(topics.stream().noneMatch(t -> t.startsWith("learning.") || t.startsWith("code.")),
                    topics.toString());
        }
    }

    @Test
    @Order(8)
    void verifyTopicsFindsATopicWithFewerCopiesThanTheClusterPromises() throws Exception {
        try (Admin admin = nodes.admin(nodes.bootstrapServers())) {
            admin.deleteTopics(List.of("struggle.detected")).all().get(30, TimeUnit.SECONDS);
            awaitAbsent(admin, "struggle.detected");
            admin.createTopics(List.of(new NewTopic("struggle.detected", 1, (short) 2))).all()
                    .get(30, TimeUnit.SECONDS);
        }
        Scripts.Result result = run("verify.java", "--topics");
        assertEquals(1, result.exitCode(), result.toString());
        assertTrue(result.stdout().startsWith("✗ topic struggle.detected has replication factor 2, the cluster's is 3"),
                result.stdout());
    }

    @Test
    @Order(9)
    void createTopicsWithABrokerDownCreatesNothingAndNamesIt() throws Exception {
        try (Admin admin = nodes.admin(nodes.bootstrapServers())) {
            admin.deleteTopics(List.of("struggle.detected")).all().get(30, TimeUnit.SECONDS);
            awaitAbsent(admin, "struggle.detected");
        }
        nodes.stop(2);
        try {
            Scripts.Result result = run("create_topics.java", "--timeout", "20s");
            assertEquals(1, result.exitCode(), result.toString());
            assertTrue(result.stderr().contains("broker 2 is down (nodes 0,1,2; answering 0,1): replication factor 3"
                    + " needs 3 live brokers; nothing created"), result.stderr());
            try (Admin admin = nodes.admin(nodes.clientAddress(0))) {
                assertFalse(admin.listTopics().names().get(20, TimeUnit.SECONDS).contains("struggle.detected"));
            }
        } finally {
            nodes.restart(2);
            nodes.awaitBrokers(3, Duration.ofSeconds(120));
        }
        Scripts.Result repaired = run("create_topics.java");
        assertEquals(0, repaired.exitCode(), repaired.toString());
        assertTrue(repaired.stdout().startsWith("create_topics: 1 created"), repaired.stdout());
    }

    private static void awaitAbsent(Admin admin, String topic) throws Exception {
        for (int attempt = 0; attempt < 60 && admin.listTopics().names().get(10, TimeUnit.SECONDS).contains(topic);
                attempt++) {
            Thread.sleep(250);
        }
    }

    /**
     * A shrink lowers the cluster's min ISR first and a grow raises it last: one stopped half-way leaves three
     * brokers taking acks=all writes on a single copy. verify says so instead of ✓.
     */
    @Test
    @Order(11)
    void verifyFailsWhileTheClusterMinIsrIsBelowWhatItsReplicationFactorPromises() throws Exception {
        ConfigResource cluster = new ConfigResource(ConfigResource.Type.BROKER, "");
        try (Admin admin = nodes.admin(nodes.bootstrapServers())) {
            admin.incrementalAlterConfigs(Map.of(cluster, List.of(new AlterConfigOp(new ConfigEntry(
                    "min.insync.replicas", "1"), AlterConfigOp.OpType.SET)))).all().get(30, TimeUnit.SECONDS);
            try {
                Scripts.Result halfDone = run("verify.java");
                assertEquals(1, halfDone.exitCode(), halfDone.toString());
                assertTrue(halfDone.stdout().startsWith("✗ min.insync.replicas is 1, below the 2 of a cluster "
                        + "with replication factor 3"), halfDone.stdout());
            } finally { // with eligible leader replicas, Kafka refuses to remove it: back to prod's value
                admin.incrementalAlterConfigs(Map.of(cluster, List.of(new AlterConfigOp(new ConfigEntry(
                        "min.insync.replicas", "2"), AlterConfigOp.OpType.SET)))).all().get(30, TimeUnit.SECONDS);
            }
        }
        Scripts.Result healthy = run("verify.java", "--wait", "--timeout", "30s");
        assertEquals(0, healthy.exitCode(), healthy.toString());
    }

    @Test
    @Order(10)
    void verifyFailsAndNamesTheBrokerThatIsDownAndThePartitionsItLeavesShort() throws Exception {
        try (Admin admin = nodes.admin(nodes.bootstrapServers())) {
            admin.createTopics(List.of(
                    // min ISR 1: with the cluster's 2, one replica could never take an acks=all write.
                    new NewTopic("only.on.broker2", Map.of(0, List.of(2))).configs(Map.of("min.insync.replicas", "1")),
                    new NewTopic("needs.all.three", 1, (short) 3).configs(Map.of("min.insync.replicas", "3"))))
                    .all().get(30, TimeUnit.SECONDS);
        }
        nodes.stop(2);
        try {
            Scripts.Result result = run("verify.java", "--timeout", "10s");
            assertEquals(1, result.exitCode(), result.toString());
            assertTrue(result.stdout().startsWith("✗ broker 2 not registered"), result.stdout());
            assertTrue(result.stdout().contains("1 partitions offline (only.on.broker2-0)"), result.stdout());
            assertTrue(result.stdout().contains("1 under min ISR (needs.all.three-0)"), result.stdout());
            assertTrue(result.stdout().matches("(?s).*; \\d+ partitions under-replicated.*"), result.stdout());
            Map<String, Object> json = JsonResult.parse(run("verify.java", "--timeout", "10s", "--json"));
            assertEquals(List.of("only.on.broker2-0"), json.get("offlinePartitions"));
            assertEquals(List.of("needs.all.three-0"), json.get("underMinIsrPartitions"));
            assertTrue(((List<?>) json.get("underReplicatedPartitions")).contains("learning.concept.request-0"),
                    json.toString());
        } finally {
            nodes.restart(2);
            nodes.awaitBrokers(3, Duration.ofSeconds(120));
        }
        Scripts.Result healed = run("verify.java", "--wait", "--timeout", "60s");
        assertEquals(0, healed.exitCode(), healed.toString());
        try (Admin admin = nodes.admin(nodes.bootstrapServers())) {
            admin.deleteTopics(List.of("only.on.broker2", "needs.all.three")).all().get(30, TimeUnit.SECONDS);
        }
    }
}
