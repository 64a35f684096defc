package tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tests.support.ApiServer;
import tests.support.JsonResult;
import tests.support.Scripts;

/**
 * verify.java's Kubernetes checks, run as a process against the stand-in API server. The test plays the kubelet,
 * setting pod status. The mock cannot port-forward, so with all pods Ready the check goes on to Kafka and fails
 * there: that it gets there is what shows the pod checks passed.
 */
class VerifyPodsTest {
    @RegisterExtension
    static final ApiServer api = new ApiServer();

    private Scripts.Result verify(String namespace) {
        return Scripts.run(api.environment(), Duration.ofMinutes(2), "verify.java", "-n", namespace, "--timeout", "3s");
    }

    private void deploy(String namespace) {
        Scripts.Result result = Scripts.run(api.environment(), Duration.ofMinutes(2), "deploy.java", "-n", namespace,
                "--no-wait");
        assertEquals(0, result.exitCode(), result.toString());
    }

    @Test
    void withoutAStatefulSetKafkaIsNotDeployed() {
        Scripts.Result result = verify("empty");
        assertEquals(1, result.exitCode(), result.toString());
        assertTrue(result.stdout().startsWith("✗ Kafka is not deployed in namespace 'empty'"), result.stdout());
    }

    @Test
    void aPodThatIsNotReadyIsNamedWithItsReason() {
        deploy("pending");
        api.putPod("pending", "kafka-0", ApiServer.waiting("CrashLoopBackOff"));
        Scripts.Result result = verify("pending");
        assertEquals(1, result.exitCode(), result.toString());
        assertTrue(result.stdout().startsWith("✗ 0/1 brokers Ready: kafka-0: CrashLoopBackOff"), result.stdout());
    }

    @Test
    void withEveryPodReadyTheCheckMovesOnToKafka() {
        deploy("all-ready");
        api.putPod("all-ready", "kafka-0", ApiServer.ready());
        Scripts.Result result = verify("all-ready");
        assertEquals(1, result.exitCode(), result.toString());
        assertTrue(result.stdout().startsWith("✗ reading the brokers: no answer from Kafka at localhost:19092"),
                result.stdout());
    }

    /**
     * A deploy without waiting leaves the first-start formation for the next deploy to close: verify says so (in its
     * line once Kafka is healthy, and in --json whatever it finds), as it does for other half-done work.
     */
    @Test
    void aFormationLeftOpenIsReported() {
        deploy("left-open");
        api.putPod("left-open", "kafka-0", ApiServer.ready());
        Scripts.Result open = Scripts.run(api.environment(), Duration.ofMinutes(2), "verify.java", "-n", "left-open",
                "--timeout", "3s", "--json");
        assertEquals(Boolean.TRUE, JsonResult.parse(open).get("formationOpen"), open.toString());
        api.client().configMaps().inNamespace("left-open").withName("kafka-formation").delete();
        Scripts.Result closed = Scripts.run(api.environment(), Duration.ofMinutes(2), "verify.java", "-n",
                "left-open", "--timeout", "3s", "--json");
        assertEquals(Boolean.FALSE, JsonResult.parse(closed).get("formationOpen"), closed.toString());
    }
}
