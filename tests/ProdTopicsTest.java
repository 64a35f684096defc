package tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import common.ClusterProfile;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
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
    @Order(10)
    void verifyFailsAndNamesTheBrokerThatIsDown() throws Exception {
        nodes.stop(2);
        try {
            Scripts.Result result = run("verify.java", "--timeout", "10s");
            assertEquals(1, result.exitCode(), result.toString());
            assertTrue(result.stdout().startsWith("✗ broker 2 not registered"), result.stdout());
        } finally {
            nodes.restart(2);
            nodes.awaitBrokers(3, Duration.ofSeconds(120));
        }
        Scripts.Result healed = run("verify.java", "--wait", "--timeout", "60s");
        assertEquals(0, healed.exitCode(), healed.toString());
    }
}
