package tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import common.cluster.ClusterProfile;
import common.cluster.KafkaManifests;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import tests.support.ApiServer;
import tests.support.Scripts;

/**
 * Bad input and faults, one table row each: the command, its exit code, the one line it prints, that it ends in
 * bounded time, and that nothing changed in the stand-in API server. Each row was seen failing before its fix.
 */
class HardeningTest {
    @RegisterExtension
    static final ApiServer api = new ApiServer();
    /** A JVM start, the command's own timeout (3s in the rows that wait) and its grace, on a busy 2-core box. */
    private static final Duration BOUND = Duration.ofSeconds(25);
    private static final List<AutoCloseable> SERVERS = new ArrayList<>();

    /**
     * One case: what the test sets up (it returns the environment the command runs with), the command, and what
     * must come out.
     */
    record Row(String name, Function<ApiServer, Map<String, String>> setup, String script, List<String> args,
            int exitCode, String line) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Row> rows() {
        return Stream.of(
                // Someone else's objects
                new Row("a Service kafka another tool made is not taken over", inNamespace("foreign-svc",
                        ns -> api.client().services().inNamespace(ns).resource(new ServiceBuilder()
                                .withNewMetadata().withName("kafka").withLabels(Map.of(
                                        "app.kubernetes.io/managed-by", "Helm")).endMetadata()
                                .withNewSpec().withType("NodePort").addNewPort().withPort(9092).endPort().endSpec()
                                .build()).create()),
                        "deploy.java", List.of("-n", "foreign-svc", "--no-wait"), 1,
                        "Service kafka (managed by Helm) is not kafka-k8s-setup's: nothing changed"),
                new Row("--recreate does not delete a StatefulSet kafka it never made", inNamespace("foreign-sts",
                        ns -> api.client().apps().statefulSets().inNamespace(ns).resource(new StatefulSetBuilder()
                                .withNewMetadata().withName("kafka").endMetadata().withNewSpec().withReplicas(1)
                                .withNewSelector().addToMatchLabels("app", "db").endSelector().withNewTemplate()
                                .withNewMetadata().addToLabels("app", "db").endMetadata().withNewSpec()
                                .addNewContainer().withName("db").withImage("postgres:16").endContainer().endSpec()
                                .endTemplate().endSpec().build()).create()),
                        "deploy.java", List.of("prod", "-n", "foreign-sts", "--recreate", "--no-wait"), 1,
                        "StatefulSet kafka (managed by unknown) is not kafka-k8s-setup's: nothing changed"),
                new Row("--recreate does not delete a volume it never made", inNamespace("foreign-claim", ns -> {
                    api.client().resource(new KafkaManifests(ClusterProfile.DEV, ns, KafkaManifests.DEFAULT_IMAGE,
                            null, null).statefulSet()).create();
                    api.client().persistentVolumeClaims().inNamespace(ns).resource(new PersistentVolumeClaimBuilder()
                            .withNewMetadata().withName("data-kafka-0").endMetadata().withNewSpec()
                            .withAccessModes("ReadWriteOnce").withNewResources().addToRequests("storage",
                                    new Quantity("1Gi")).endResources().endSpec().build()).create();
                    // A volume size change cannot be applied in place (dev -> prod alone grows in place now).
                }), "deploy.java", List.of("prod", "-n", "foreign-claim", "--storage-size", "10Gi", "--recreate",
                        "--no-wait"), 1,
                        "PersistentVolumeClaim data-kafka-0 (managed by unknown) is not kafka-k8s-setup's"),
                // Bounded time
                new Row("deploy: an API server that sends headers and then nothing", stalled(), "deploy.java",
                        List.of("--timeout", "3s"), 1, "deploy did not finish within 8s"),
                new Row("verify: an API server that sends headers and then nothing", stalled(), "verify.java",
                        List.of("--timeout", "3s"), 3, "verify did not finish within 8s"),
                new Row("create_topics: an API server that sends headers and then nothing", stalled(),
                        "create_topics.java", List.of("--timeout", "3s"), 1, "create_topics did not finish within 8s"),
                new Row("deploy: a request whose body never comes fails within --request-timeout", stalled(),
                        "deploy.java", List.of("--request-timeout", "2s"), 1,
                        "the API server did not answer within 2s (--request-timeout)"),
                new Row("verify: a request whose body never comes cannot check, within --request-timeout", stalled(),
                        "verify.java", List.of("--request-timeout", "2s"), 3,
                        "the API server did not answer within 2s (--request-timeout)"),
                new Row("a timeout no clock can hold", ApiServer::environment, "verify.java",
                        List.of("--timeout", "9223372036854775807"), 2, "longer than the longest timeout, 24h"),
                new Row("a timeout beyond a long", ApiServer::environment, "deploy.java",
                        List.of("--timeout", "9223372036854775807m"), 2, "is not a duration"),
                // Kubeconfig and context
                new Row("an empty kubeconfig", kubeconfig(""), "deploy.java", List.of(), 1, "has no contexts"),
                new Row("a current-context that names no context",
                        kubeconfig(ApiServer.kubeconfig("real", "http://127.0.0.1:1", "t")
                                .replace("current-context: real", "current-context: ghost")),
                        "deploy.java", List.of(), 1, "current-context 'ghost' not found in the kubeconfig"),
                new Row("a context whose user is not defined", kubeconfig(ApiServer.kubeconfig("lost",
                        "http://127.0.0.1:1", "t").replace("- name: lost-user", "- name: someone-else")),
                        "deploy.java", List.of(), 1, "kubeconfig user 'lost-user' of context 'lost' is not defined"),
                new Row("a kubeconfig that is not YAML", kubeconfig("clusters: [oops\n  - : :"), "deploy.java",
                        List.of(), 1, "cannot read the kubeconfig"),
                new Row("a credential plugin that is not installed", kubeconfig(ApiServer.kubeconfig("cloud",
                        "http://127.0.0.1:1", "t").replace("    token: t", "    exec:\n"
                                + "      apiVersion: client.authentication.k8s.io/v1\n"
                                + "      command: kubelogin-not-installed\n"
                                + "      interactiveMode: Never")), "deploy.java", List.of(), 1,
                        "credential plugin 'kubelogin-not-installed' of kubeconfig user 'cloud-user' is not installed"),
                new Row("verify cannot check: the API server refuses the credentials", refusing(401, "Unauthorized"),
                        "verify.java", List.of(), 3, "401 Unauthorized"),
                // What reaches the terminal
                new Row("credentials in the server URL are never printed",
                        kubeconfig(ApiServer.kubeconfig("creds", "http://admin:hunter2@127.0.0.1:1", "t")),
                        "deploy.java", List.of(), 1, "server http://127.0.0.1:1"),
                new Row("escape sequences from the server are stripped",
                        refusing(403, "pods is forbidden\u001b]0;pwned\u0007\u001b[2J for you"), "deploy.java",
                        List.of(), 1, "403 Forbidden: pods is forbidden for you"),
                // Input checked before anything is sent
                new Row("an empty image", ApiServer::environment, "deploy.java", List.of("--image="), 2,
                        "invalid --image ''"),
                new Row("a malformed image", ApiServer::environment, "deploy.java", List.of("--image", "Kafka Latest"),
                        2, "invalid --image 'Kafka Latest'"),
                new Row("a storage class that is no name", ApiServer::environment, "deploy.java",
                        List.of("--storage-class", "Fast_SSD"), 2, "invalid --storage-class 'Fast_SSD'"),
                new Row("a system namespace", ApiServer::environment, "deploy.java", List.of("-n", "kube-system"), 2,
                        "namespace 'kube-system' belongs to the cluster itself"),
                new Row("a namespace being deleted", api -> {
                    api.client().namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("leaving")
                            .endMetadata().withNewStatus().withPhase("Terminating").endStatus().build()).create();
                    return api.environment();
                }, "deploy.java", List.of("-n", "leaving", "--no-wait"), 1,
                        "namespace leaving is being deleted (Terminating)"),
                new Row("another storage class for a deployed cluster's volumes", inNamespace("class-change",
                        ns -> api.client().resource(new KafkaManifests(ClusterProfile.DEV, ns,
                                KafkaManifests.DEFAULT_IMAGE, null, "fast").statefulSet()).create()),
                        "deploy.java", List.of("-n", "class-change", "--storage-class", "slow", "--no-wait"), 1,
                        "the storage class would change from fast to slow, which cannot be done in place: nothing"
                                + " changed. Deploy into another namespace, or add --recreate"),
                new Row("more brokers than dev runs", ApiServer::environment, "deploy.java",
                        List.of("dev", "--replicas", "3"), 2, "--replicas 3: dev runs 1 broker; use prod for more"),
                new Row("fewer brokers than prod runs", ApiServer::environment, "deploy.java",
                        List.of("prod", "--replicas", "2"), 2, "--replicas 2: prod runs at least 3 brokers"),
                // Checked before any request: against a server that never answers they still end at once.
                new Row("a replication factor of 0, before the API server is asked", stalled(),
                        "create_topics.java", List.of("--replication-factor", "0"), 2,
                        "--replication-factor must be at least 1"),
                new Row("a broker count prod cannot run, before the API server is asked", stalled(), "deploy.java",
                        List.of("prod", "--replicas", "2"), 2, "--replicas 2: prod runs at least 3 brokers"),
                new Row("a bootstrap host that does not resolve", ApiServer::environment, "create_topics.java",
                        List.of("--bootstrap-server", "kafka.invalid:9092", "--timeout", "3s"), 1,
                        "cannot resolve the host of --bootstrap-server: kafka.invalid"),
                new Row("a bootstrap port out of range", ApiServer::environment, "verify.java",
                        List.of("--bootstrap-server", "localhost:70000"), 2,
                        "invalid --bootstrap-server 'localhost:70000'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void endsInOneTrueLineInBoundedTimeWithNothingChanged(Row row) {
        Map<String, String> environment = row.setup().apply(api);
        Map<String, String> before = everything();
        List<String> args = new ArrayList<>(row.args());
        Scripts.Result result = Scripts.run(environment, Duration.ofMinutes(2), row.script(),
                args.toArray(String[]::new));
        assertEquals(row.exitCode(), result.exitCode(), result.toString());
        assertEquals("", result.stdout(), "errors go to stderr only: " + result);
        assertEquals(1, result.stderr().lines().count(), "one line: " + result.stderr());
        assertTrue(result.stderr().contains(row.line()), "'" + row.line() + "' in: " + result.stderr());
        assertFalse(result.stderr().contains("hunter2") || result.stderr().contains("Exception")
                || result.stderr().contains("\u001b"), result.stderr());
        assertTrue(result.elapsed().compareTo(BOUND) < 0, "bounded: " + result.elapsed());
        assertEquals(before, everything(), "nothing changed in the API server");
    }

    @Test
    void withJsonAFailedCheckAndAnUncheckableClusterReadDifferently() {
        Scripts.Result uncheckable = Scripts.run(refusing(503, "etcdserver: leader changed").apply(api),
                Duration.ofMinutes(1), "verify.java", "--json");
        assertEquals(3, uncheckable.exitCode(), uncheckable.toString());
        assertTrue(uncheckable.stdout().startsWith("{\"status\":\"error\""), uncheckable.stdout());
        Scripts.Result unhealthy = Scripts.run(api.environment(), Duration.ofMinutes(1), "verify.java", "--json",
                "-n", "nothing-here");
        assertEquals(1, unhealthy.exitCode(), unhealthy.toString());
        assertTrue(unhealthy.stdout().startsWith("{\"status\":\"unhealthy\""), unhealthy.stdout());
    }

    @Test
    void adoptTakesAForeignServiceOver() {
        inNamespace("adopted", ns -> api.client().services().inNamespace(ns).resource(new ServiceBuilder()
                .withNewMetadata().withName("kafka").endMetadata().withNewSpec().withType("ClusterIP")
                .addNewPort().withPort(9092).endPort().endSpec().build()).create()).apply(api);
        Scripts.Result adopted = Scripts.run(api.environment(), Duration.ofMinutes(1), "deploy.java", "-n", "adopted",
                "--no-wait", "--adopt");
        assertEquals(0, adopted.exitCode(), adopted.toString());
        assertEquals("kafka-k8s-setup", api.client().services().inNamespace("adopted").withName("kafka").get()
                .getMetadata().getLabels().get("app.kubernetes.io/managed-by"));
    }

    /**
     * A StatefulSet's volume claim templates are immutable (a real API server answers 422): a deploy without
     * --storage-class keeps the class the cluster was deployed with instead of asking for the default one.
     */
    @Test
    void aDeployWithoutStorageClassKeepsTheDeployedOne() {
        Scripts.Result first = Scripts.run(api.environment(), Duration.ofMinutes(1), "deploy.java", "-n", "class-kept",
                "--storage-class", "fast", "--no-wait");
        assertEquals(0, first.exitCode(), first.toString());
        Scripts.Result again = Scripts.run(api.environment(), Duration.ofMinutes(1), "deploy.java", "-n",
                "class-kept", "--no-wait");
        assertEquals(0, again.exitCode(), again.toString());
        assertEquals("fast", api.client().apps().statefulSets().inNamespace("class-kept").withName("kafka").get()
                .getSpec().getVolumeClaimTemplates().get(0).getSpec().getStorageClassName());
    }

    /**
     * The MCP server keeps serving after lines that are not JSON-RPC requests, answers each with its JSON-RPC error,
     * takes tool arguments as values only, and exits when stdin closes.
     */
    @Test
    void theMcpServerAnswersBadLinesAndKeepsServing() {
        // A server that stops reading would leave this test waiting for an answer forever.
        assertTimeoutPreemptively(Duration.ofSeconds(120), this::talkToTheMcpServerBadly);
    }

    private void talkToTheMcpServerBadly() throws Exception {
        Scripts.build("mcp_server.java");
        ProcessBuilder builder = new ProcessBuilder(Scripts.ROOT.resolve("jbang").toString(), "mcp_server.java")
                .directory(Scripts.ROOT.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD);
        builder.environment().putAll(api.environment());
        Process server = builder.start();
        try (OutputStream in = server.getOutputStream(); BufferedReader out = new BufferedReader(
                new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8))) {
            String huge = "{\"jsonrpc\":\"2.0\",\"id\":99,\"method\":\"ping\",\"pad\":\"" + "x".repeat(17 << 20) + "\"}";
            for (String line : List.of("not json", "{}", "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]",
                    huge)) {
                in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            }
            in.write(("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
                    + "\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}\n"
                    + "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n"
                    + "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"deploy\","
                    + "\"arguments\":{\"profile\":\"--recreate\"}}}\n").getBytes(StandardCharsets.UTF_8));
            in.flush();
            assertTrue(out.readLine().contains("\"code\":-32700"));
            assertTrue(out.readLine().contains("\"code\":-32600"));
            assertTrue(out.readLine().contains("batches are not supported"));
            assertTrue(out.readLine().contains("at most 16 MiB"));
            assertTrue(out.readLine().contains("\"id\":2,\"result\""), "still serving after four bad lines");
            String refused = out.readLine();
            assertTrue(refused.contains("\"id\":3") && refused.contains("\"isError\":true")
                    && refused.contains("must be one of dev, prod, not '--recreate'"), refused);
        }
        boolean exited = server.waitFor(20, TimeUnit.SECONDS);
        server.descendants().forEach(ProcessHandle::destroyForcibly);
        server.destroyForcibly();
        assertTrue(exited, "exits when stdin closes");
        assertEquals(List.of(), api.client().apps().statefulSets().inAnyNamespace().list().getItems().stream()
                .filter(s -> s.getMetadata().getNamespace().equals("kafka")).toList(), "nothing deployed");
    }

    @AfterAll
    static void stopServers() throws Exception {
        for (AutoCloseable server : SERVERS) {
            server.close();
        }
    }

    /** Every object the tool could touch, by kind, namespace and name, with its resourceVersion. */
    private static Map<String, String> everything() {
        Map<String, String> all = new TreeMap<>();
        List<HasMetadata> objects = new ArrayList<>();
        objects.addAll(api.client().namespaces().list().getItems());
        objects.addAll(api.client().services().inAnyNamespace().list().getItems());
        objects.addAll(api.client().apps().statefulSets().inAnyNamespace().list().getItems());
        objects.addAll(api.client().persistentVolumeClaims().inAnyNamespace().list().getItems());
        objects.addAll(api.client().policy().v1().podDisruptionBudget().inAnyNamespace().list().getItems());
        for (HasMetadata object : objects) {
            all.put(object.getKind() + "/" + object.getMetadata().getNamespace() + "/" + object.getMetadata()
                    .getName(), object.getMetadata().getResourceVersion());
        }
        return all;
    }

    private static Function<ApiServer, Map<String, String>> inNamespace(String namespace, Consumer<String> create) {
        return server -> {
            create.accept(namespace);
            return server.environment();
        };
    }

    private static Function<ApiServer, Map<String, String>> kubeconfig(String content) {
        return server -> {
            try {
                Path file = Files.createTempFile("kubeconfig", ".yaml");
                Files.writeString(file, content);
                return Map.of("KUBECONFIG", file.toString());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
    }

    /** An API server that answers every request with headers, then never sends the body. */
    private static Function<ApiServer, Map<String, String>> stalled() {
        return server -> {
            try {
                ServerSocket socket = new ServerSocket(0);
                SERVERS.add(socket);
                Thread acceptor = new Thread(() -> {
                    List<Socket> held = new ArrayList<>();
                    while (!socket.isClosed()) {
                        try {
                            Socket client = socket.accept();
                            held.add(client);
                            client.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                    + "Content-Length: 100000\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
                            client.getOutputStream().flush();
                        } catch (IOException closed) {
                            return;
                        }
                    }
                });
                acceptor.setDaemon(true);
                acceptor.start();
                return kubeconfig(ApiServer.kubeconfig("stalled", "http://127.0.0.1:" + socket.getLocalPort(), "t"))
                        .apply(server);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
    }

    /** An API server that answers every request with this status and message. */
    private static Function<ApiServer, Map<String, String>> refusing(int status, String message) {
        return server -> {
            try {
                HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
                http.createContext("/", exchange -> {
                    byte[] body = ("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"code\":"
                            + status + ",\"message\":\"" + message.replace("\u001b", "\\u001b")
                            .replace("\u0007", "\\u0007") + "\"}").getBytes(StandardCharsets.UTF_8);
                    exchange.getResponseHeaders().add("Content-Type", "application/json");
                    exchange.sendResponseHeaders(status, body.length);
                    exchange.getResponseBody().write(body);
                    exchange.close();
                });
                http.start();
                SERVERS.add(() -> http.stop(0));
                return kubeconfig(ApiServer.kubeconfig("refusing", "http://127.0.0.1:" + http.getAddress().getPort(),
                        "t")).apply(server);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
    }
}
