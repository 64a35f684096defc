package tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tests.support.ApiServer;
import tests.support.Scripts;

/**
 * When the cluster cannot be used, deploy says why in one line on stderr, exits 1, and does so in bounded time.
 */
class ClusterAccessFailureTest {
    /** Generous for a JVM start on a busy 2-core machine; the point is that it never hangs. */
    private static final Duration BOUND = Duration.ofSeconds(30);

    private static Scripts.Result deployWith(Map<String, String> environment, String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "--no-wait";
        System.arraycopy(args, 0, all, 1, args.length);
        return Scripts.run(environment, Duration.ofMinutes(2), "deploy.java", all);
    }

    private static void assertOneLineFailure(Scripts.Result result, String... expectedWords) {
        assertEquals(1, result.exitCode(), result.toString());
        assertEquals("", result.stdout());
        assertEquals(1, result.stderr().lines().count(), result.stderr());
        for (String word : expectedWords) {
            assertTrue(result.stderr().contains(word), "'" + word + "' in: " + result.stderr());
        }
        assertTrue(result.elapsed().compareTo(BOUND) < 0, "bounded: " + result.elapsed());
    }

    private static Path kubeconfigFor(String context, String server) throws Exception {
        Path file = Files.createTempFile("kubeconfig", ".yaml");
        Files.writeString(file, ApiServer.kubeconfig(context, server, "some-token"));
        return file;
    }

    @Test
    void noKubeconfig() throws Exception {
        Path home = Files.createTempDirectory("home");
        Scripts.Result result = deployWith(Map.of("KUBECONFIG", home.resolve("absent").toString()));
        assertOneLineFailure(result, "no kubeconfig", "KUBECONFIG");
    }

    @Test
    void anUnknownContext() throws Exception {
        Path kubeconfig = kubeconfigFor("known", "http://127.0.0.1:1");
        Scripts.Result result = deployWith(Map.of("KUBECONFIG", kubeconfig.toString()), "--context", "unknown");
        assertOneLineFailure(result, "context 'unknown'");
    }

    @Test
    void aServerThatRefusesConnections() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Path kubeconfig = kubeconfigFor("refusing", "http://127.0.0.1:" + port);
        Scripts.Result result = deployWith(Map.of("KUBECONFIG", kubeconfig.toString()));
        assertOneLineFailure(result, "context 'refusing'", "127.0.0.1:" + port, "cannot reach");
    }

    @Test
    void aServerThatNeverAnswers() throws Exception {
        // Accepts the connection, then stays silent: the request timeout must end it.
        try (ServerSocket silent = new ServerSocket(0)) {
            Path kubeconfig = kubeconfigFor("silent", "http://127.0.0.1:" + silent.getLocalPort());
            Scripts.Result result = deployWith(Map.of("KUBECONFIG", kubeconfig.toString()));
            assertOneLineFailure(result, "context 'silent'");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {401, 403})
    void aServerThatRefusesTheRequest(int status) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            byte[] body = ("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"code\":" + status
                    + ",\"message\":\"namespaces is forbidden: User \\\"dev\\\" cannot get resource\"}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try {
            Path kubeconfig = kubeconfigFor("guarded", "http://127.0.0.1:" + server.getAddress().getPort());
            Scripts.Result result = deployWith(Map.of("KUBECONFIG", kubeconfig.toString()));
            assertOneLineFailure(result, "context 'guarded'", String.valueOf(status));
        } finally {
            server.stop(0);
        }
    }
}
