package tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import common.cluster.ClusterProfile;
import common.cluster.KafkaManifests;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import tests.support.ApiServer;
import tests.support.KafkaNodes;
import tests.support.PortRelay;
import tests.support.Scripts;

/**
 * Two commands at once: {@code get_connection --port-forward} holds localhost:19092 in one terminal while verify runs
 * in another. verify uses the forwards that are there when they lead to this cluster (same KRaft cluster id), and
 * names the port when something else holds it. The held forward is played by a TCP relay to a real broker's
 * port-forward listener.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PortForwardReuseTest {
    @RegisterExtension
    static final ApiServer api = new ApiServer();
    private KafkaNodes nodes;

    @BeforeAll
    void start() throws Exception {
        nodes = KafkaNodes.start(new KafkaManifests(ClusterProfile.DEV, "kafka", KafkaManifests.DEFAULT_IMAGE, null,
                null));
        assertEquals(0, Scripts.run(api.environment(), Duration.ofMinutes(2), "deploy.java", "-n", "kafka",
                "--no-wait").exitCode());
        api.putPod("kafka", "kafka-0", ApiServer.ready());
    }

    @AfterAll
    void stop() throws Exception {
        if (nodes != null) {
            nodes.close();
        }
    }

    @Test
    void verifyUsesTheForwardsAnotherCommandHolds() throws Exception {
        String[] target = nodes.portForwardAddress(0).split(":");
        try (PortRelay held = new PortRelay(19092, Integer.parseInt(target[1]))) {
            Scripts.Result result = Scripts.run(api.environment(), Duration.ofMinutes(1), "verify.java", "-n",
                    "kafka", "--timeout", "20s");
            assertEquals(0, result.exitCode(), result.toString());
            assertTrue(result.stdout().startsWith("✓ Kafka healthy: 1 brokers"), result.stdout());
        }
    }

    @Test
    void aPortHeldBySomethingElseIsNamedAndTheCheckDidNotRun() throws Exception {
        try (ServerSocket other = new ServerSocket(19092, 50, InetAddress.getLoopbackAddress())) {
            Scripts.Result result = Scripts.run(api.environment(), Duration.ofMinutes(1), "verify.java", "-n",
                    "kafka", "--timeout", "20s");
            assertEquals(3, result.exitCode(), result.toString());
            assertTrue(result.stderr().contains("localhost:19092 is held by another program"), result.stderr());
        }
    }
}
