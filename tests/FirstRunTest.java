package tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import common.cluster.ClusterProfile;
import common.cluster.KafkaManifests;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import tests.support.KafkaNodes;
import tests.support.Scripts;

/**
 * The README's two commands as a new user runs them on a fresh account: the POSIX locale ({@code LANG} and
 * {@code LC_*} unset, so JDK 17's javac reads sources as ASCII and its streams write {@code ?} for {@code ✓}), a
 * JBang home of its own, nothing built yet, and no kubeconfig.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FirstRunTest {
    private static final Duration LIMIT = Duration.ofMinutes(5);
    private Path jbangHome;
    private KafkaNodes node;

    @BeforeAll
    void startBroker() throws Exception {
        jbangHome = Files.createTempDirectory("fresh-jbang");
        node = KafkaNodes.start(new KafkaManifests(ClusterProfile.DEV, "kafka", KafkaManifests.DEFAULT_IMAGE, null,
                null));
    }

    @AfterAll
    void stopBroker() throws Exception {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void deployCompilesAndReachesItsNoKubeconfigLine() {
        Scripts.Result deploy = asNewUser("deploy.java", "dev");
        assertEquals(1, deploy.exitCode(), deploy.toString());
        assertFalse(deploy.stderr().contains("error:"), "compiles under the POSIX locale: " + deploy);
        assertTrue(deploy.stderr().strip().endsWith("deploy: no kubeconfig found (looked at "
                + jbangHome.resolve("no-kubeconfig") + "): set KUBECONFIG or create ~/.kube/config"), deploy.toString());
    }

    @Test
    void verifyWritesItsCheckMarkAsUtf8() {
        Scripts.Result verify = asNewUser("verify.java", "--bootstrap-server", node.bootstrapServers());
        assertEquals(0, verify.exitCode(), verify.toString());
        byte[] mark = verify.stdout().substring(0, 2).getBytes(StandardCharsets.UTF_8);
        assertArrayEquals("✓ ".getBytes(StandardCharsets.UTF_8), mark, "the same bytes under any locale: " + verify);
    }

    @Test
    void theTestSuiteCompiles() {
        Scripts.Result build = asNewUser("build", "tests/run_tests.java");
        assertEquals(0, build.exitCode(), build.toString());
    }

    /** {@code ./jbang args...} with only what a fresh login's environment has, plus its own JBang home. */
    private Scripts.Result asNewUser(String... args) {
        Map<String, String> environment = new HashMap<>(Map.of("PATH", System.getenv("PATH"),
                "HOME", System.getProperty("user.home"), "JBANG_DIR", jbangHome.toString(),
                "KUBECONFIG", jbangHome.resolve("no-kubeconfig").toString()));
        if (System.getenv("JAVA_HOME") != null) {
            environment.put("JAVA_HOME", System.getenv("JAVA_HOME"));
        }
        List<String> command = new java.util.ArrayList<>(List.of(Scripts.ROOT.resolve("jbang").toString()));
        command.addAll(Arrays.asList(args));
        return Scripts.runProcess(command, environment, LIMIT, true);
    }
}
