///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
// Sources are UTF-8 (they hold ✓, ✗, →) whatever the locale: JDK 17's javac reads them in the locale's charset.
//JAVAC_OPTIONS -encoding UTF-8
//DEPS org.junit.jupiter:junit-jupiter-api:6.1.3
//DEPS info.picocli:picocli:4.7.7
//DEPS io.fabric8:kubernetes-client:8.0.0
//DEPS io.fabric8:kubernetes-httpclient-jdk:8.0.0
//DEPS io.fabric8:kubernetes-server-mock:8.0.0
//DEPS org.apache.kafka:kafka-clients:4.4.0
//DEPS org.slf4j:slf4j-nop:2.0.20
//DEPS org.bouncycastle:bcpkix-jdk18on:1.87
//SOURCES ../common/*.java ../common/*/*.java ../common/cluster/certificates/*.java
//SOURCES support/Scripts.java support/ApiServer.java support/KafkaNodes.java support/ResourceRequest.java
//SOURCES support/RbacPolicy.java support/ContainerFilesystem.java support/PodUser.java support/PortForwardPorts.java
//SOURCES support/PodPortForward.java support/ClusterModel.java

import common.LearnFlowTopics;
import common.cluster.ClusterProfile;
import common.cluster.ClusterSecurity;
import common.cluster.KafkaManifests;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;
import org.apache.kafka.clients.admin.Admin;
import tests.support.ApiServer;
import tests.support.ClusterModel;
import tests.support.KafkaNodes;
import tests.support.Scripts;

/**
 * Times each command as a user runs it (a process through ./jbang, warm: JBang's build, the wrapper's remembered
 * launch and the class-data archive exist) against real Kafka nodes and the stand-in API server, and prints a
 * Markdown table for the README. Speed goals are checked here, not in the tests.
 * Usage: ./jbang tests/benchmark.java [runs per measurement, default 5]
 */
public class benchmark {
    private static final List<String> ROWS = new ArrayList<>();
    /** kafka-run-class.sh's JVM settings for the tools (KAFKA_HEAP_OPTS and KAFKA_JVM_PERFORMANCE_OPTS defaults). */
    private static final List<String> KAFKA_TOOL_JVM = List.of(("-Xmx256M " + ClusterProfile.JvmOptions.KAFKA_DEFAULT)
            .split(" "));

    public static void main(String... args) throws Exception {
        java.util.logging.LogManager.getLogManager().reset();
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        ROWS.add("| command | against | median | min | max | goal |");
        ROWS.add("|---|---|---|---|---|---|");

        writeArchiveAfresh("get_connection.java");
        time("get_connection.java", "nothing", runs, "0.5 s", Map.of(), "get_connection.java");

        try (ApiServer api = new ApiServer()) {
            writeArchiveAfresh("deploy.java");
            time("deploy.java dev --no-wait (re-run, 4 unchanged)", "stand-in API server", runs, "-",
                    api.environment(), "deploy.java", "-n", "bench", "--no-wait");
            // Playing the kubelet and controller: the cluster is already rolled out, so this is deploy's own cost.
            api.putPod("bench", "kafka-0", ApiServer.ready());
            api.reportStatefulSet("bench", 1, 1);
            writeArchiveAfresh("deploy.java"); // from a run that waits, as a user's first deploy does
            time("deploy.java dev (already rolled out)", "stand-in API server", runs, "1.2 s", api.environment(),
                    "deploy.java", "-n", "bench");
        }

        for (ClusterProfile profile : ClusterProfile.values()) {
            long start = System.nanoTime();
            // Open clusters, as the rows were first measured (prod's default is secure: see the README).
            try (KafkaNodes nodes = KafkaNodes.start(new KafkaManifests(profile, "kafka",
                    KafkaManifests.DEFAULT_IMAGE, null, null).withSecurity(ClusterSecurity.NONE))) {
                String started = seconds(System.nanoTime() - start);
                String against = profile.replicas + " real broker" + (profile.replicas > 1 ? "s" : "");
                String bootstrap = nodes.bootstrapServers();
                boolean oneBroker = profile.replicas == 1;
                try (Admin admin = nodes.admin(bootstrap)) {
                    if (oneBroker) {
                        writeArchivesAfresh();
                    }
                    long ours = time("create_topics.java (7 created)", against, runs, "-", Map.of(),
                            run -> deleteLearnFlowTopics(admin), "create_topics.java", "--bootstrap-server", bootstrap);
                    time("create_topics.java (re-run, 7 existing)", against, runs, oneBroker ? "1.0 s" : "-",
                            Map.of(), run -> { }, "create_topics.java", "--bootstrap-server", bootstrap);
                    time("verify.java", against, runs, oneBroker ? "1.0 s" : "-", Map.of(), run -> { },
                            "verify.java", "--bootstrap-server", bootstrap);
                    time("verify.java --topics", against, runs, "-", Map.of(), run -> { }, "verify.java",
                            "--topics", "--bootstrap-server", bootstrap);
                    if (!oneBroker) {
                        planOnAConvergedCluster(profile, against, runs, bootstrap);
                    }
                    if (oneBroker) {
                        long baseline = kafkaTopicsBaseline(against, runs, bootstrap, profile.replicas);
                        ROWS.add(String.format("| ratio: 7 × kafka-topics.sh / create_topics.java (7 created) | %s"
                                + " | %.1f× | | | ≥ 10× |", against, baseline / (double) ours));
                        mcpToolCalls(against, runs, bootstrap);
                        containerStarts(nodes, against, runs);
                    }
                }
                ROWS.add("| (test harness) start " + against + " from the rendered StatefulSet | this machine | "
                        + started + " | | | |");
            }
        }
        for (ClusterSecurity security : ClusterSecurity.values()) {
            throughTheApi(runs, security);
        }
        ROWS.forEach(System.out::println);
        System.exit(0);
    }

    /**
     * How soon a stopped broker accepts on 9092 again (what the readiness probe checks). Its container restarted in
     * the pod (a crash, an OOMKill) starts Kafka alone: the pod's folders keep the rendered config and the volume its
     * format. A new pod on the volume (a roll) runs the image's setup JVM first.
     */
    private static void containerStarts(KafkaNodes nodes, String against, int runs) throws Exception {
        long[] restarted = new long[runs];
        long[] newPod = new long[runs];
        for (int i = 0; i < runs; i++) {
            restarted[i] = untilClientPortOpens(nodes, () -> nodes.restartContainer(0));
            newPod[i] = untilClientPortOpens(nodes, () -> nodes.restart(0));
        }
        long kafkaAlone = row("(test harness) container restarted in its pod, to 9092: Kafka alone", against, "-",
                restarted);
        long withSetup = row("(test harness) new pod on the volume, to 9092: the image's setup, then Kafka", against,
                "-", newPod);
        ROWS.add(String.format("| ratio: new pod / container restarted | %s | %.1f× | | | - |", against,
                withSetup / (double) kafkaAlone));
    }

    private interface NodeStart {
        void start() throws Exception;
    }

    private static long untilClientPortOpens(KafkaNodes nodes, NodeStart start) throws Exception {
        nodes.stop(0);
        long begin = System.nanoTime();
        start.start();
        while (!nodes.accepts(0, common.cluster.KafkaEndpoints.CLIENT_PORT)) {
            if (System.nanoTime() - begin > Duration.ofMinutes(2).toNanos()) {
                throw new IllegalStateException("the broker did not open 9092 within 2 minutes");
            }
            Thread.sleep(10);
        }
        return System.nanoTime() - begin;
    }

    /**
     * {@code deploy --plan} on a cluster deploy made and rolled out (the stand-in API server playing the kubelet and
     * the StatefulSet controller, the brokers real): it reads the Kubernetes objects, pods and the Kafka side, and
     * finds nothing to do.
     */
    private static void planOnAConvergedCluster(ClusterProfile profile, String against, int runs, String bootstrap) {
        try (ApiServer api = new ApiServer()) {
            String[] deploy = {profile.id(), "-n", "kafka", "--bootstrap-server", bootstrap};
            if (Scripts.run(api.environment(), Duration.ofMinutes(3), "deploy.java", profile.id(), "-n", "kafka",
                    "--no-wait", "--security", "none").exitCode() != 0) {
                throw new IllegalStateException("deploy --no-wait failed");
            }
            for (int ordinal = 0; ordinal < profile.replicas; ordinal++) {
                api.putPod("kafka", "kafka-" + ordinal, ApiServer.ready());
            }
            api.reportStatefulSet("kafka", profile.replicas, profile.replicas);
            Scripts.Result converged = Scripts.run(api.environment(), Duration.ofMinutes(3), "deploy.java", deploy);
            if (converged.exitCode() != 0) {
                throw new IllegalStateException("deploy failed: " + converged);
            }
            List<String> plan = new ArrayList<>(List.of(deploy));
            plan.add("--plan");
            time("deploy.java " + profile.id() + " --plan (nothing to do)", against + ", stand-in API server", runs,
                    "1.2 s", api.environment(), "deploy.java", plan.toArray(String[]::new));
        }
    }

    /**
     * A dev cluster as a user meets it: deployed (with its Secrets and the LearnFlow user's grant when secure), its
     * node run from the rendered pod with the Secrets mounted, the commands given nothing but the namespace: they
     * read the Kubernetes API (the cluster, and the admin's Secrets when secure) and reach the broker through a
     * port-forward (the stand-in API server's, to the real node). On a secure cluster (TLS, SCRAM-SHA-512, ACLs)
     * they are also timed signing in from Kafka's client config file, as {@code --bootstrap-server} users do.
     */
    private static void throughTheApi(int runs, ClusterSecurity security) throws Exception {
        try (ApiServer api = new ApiServer()) {
            List<String> deploy = List.of("dev", "-n", "kafka", "--security", security.id(), "--timeout", "300s");
            deploy(api, deploy, "--no-wait");
            KafkaManifests manifests = new KafkaManifests(ClusterProfile.DEV, "kafka", KafkaManifests.DEFAULT_IMAGE,
                    null, null).withSecurity(security);
            try (KafkaNodes nodes = KafkaNodes.startSecure(manifests, api.client());
                    ClusterModel model = new ClusterModel(api, "kafka", nodes);
                    Admin admin = nodes.admin(nodes.bootstrapServers())) {
                deploy(api, deploy);
                String broker = security == ClusterSecurity.TLS ? "1 real broker, TLS + SCRAM" : "1 real broker";
                String against = broker + ", stand-in API server and its port-forward";
                // Each way in loads its own classes (fabric8's, TLS and SASL): archived from a first run that took it.
                writeArchivesAfresh();
                time("create_topics.java -n kafka (re-run, 7 existing)", against, runs, "-", api.environment(),
                        run -> { }, "create_topics.java", "-n", "kafka");
                time("verify.java -n kafka", against, runs, "-", api.environment(), run -> { }, "verify.java", "-n",
                        "kafka");
                if (security == ClusterSecurity.TLS) {
                    writeArchivesAfresh();
                    String[] signIn = {"--bootstrap-server", nodes.bootstrapServers(), "--command-config",
                            nodes.commandConfig().toString()};
                    time("create_topics.java --command-config (7 created)", broker, runs, "-", Map.of(),
                            run -> deleteLearnFlowTopics(admin), "create_topics.java", signIn);
                    time("create_topics.java --command-config (re-run, 7 existing)", broker, runs, "1.0 s",
                            Map.of(), run -> { }, "create_topics.java", signIn);
                    time("verify.java --command-config", broker, runs, "1.0 s", Map.of(), run -> { }, "verify.java",
                            signIn);
                }
                model.check();
            }
        }
    }

    private static void deploy(ApiServer api, List<String> args, String... more) {
        List<String> all = new ArrayList<>(args);
        all.addAll(List.of(more));
        Scripts.Result result = Scripts.run(api.environment(), Duration.ofMinutes(5), "deploy.java",
                all.toArray(String[]::new));
        if (result.exitCode() != 0) {
            throw new IllegalStateException("deploy failed: " + result);
        }
    }

    /** Times {@code ./jbang script args} as a process; {@code beforeEach} runs untimed before each run. */
    private static long time(String what, String against, int runs, String goal, Map<String, String> env,
            IntConsumer beforeEach, String script, String... args) {
        long[] nanos = new long[runs];
        // Two untimed runs first, as a user's first runs: the class-data archive, then the remembered launch.
        for (int i = -2; i < runs; i++) {
            beforeEach.accept(i);
            Scripts.Result result = Scripts.run(env, Duration.ofMinutes(3), script, args);
            if (result.exitCode() != 0) {
                throw new IllegalStateException(what + " failed: " + result);
            }
            if (i >= 0) {
                nanos[i] = result.elapsed().toNanos();
            }
        }
        return row(what, against, goal, nanos);
    }

    /**
     * JBang dumps a script's class-data archive at its first run after a build, whatever that run does: one left by
     * the test suite's first run (often a failure path that loads no Kafka classes) would make the timings those of
     * another first run. So the rows that measure a script first write it afresh, as a user's first real run does.
     */
    private static void writeArchiveAfresh(String script) {
        try {
            java.nio.file.Files.deleteIfExists(Scripts.classDataArchive(Scripts.ROOT.resolve("jbang"), Scripts.ROOT,
                    script));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void writeArchivesAfresh() {
        writeArchiveAfresh("create_topics.java");
        writeArchiveAfresh("verify.java");
    }

    private static long time(String what, String against, int runs, String goal, Map<String, String> env,
            String script, String... args) {
        return time(what, against, runs, goal, env, run -> { }, script, args);
    }

    /**
     * The original spec's way: the seven topics created by seven sequential runs of Kafka's own topic command, each
     * a fresh JVM as kafka-topics.sh starts it (kafka-run-class.sh's settings, the kafka-tools jars).
     */
    private static long kafkaTopicsBaseline(String against, int runs, String bootstrap, int replicationFactor) {
        String classpath = KafkaNodes.toolsClasspath();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        long[] nanos = new long[runs];
        for (int i = 0; i < runs; i++) {
            long start = System.nanoTime();
            for (LearnFlowTopics.Topic topic : LearnFlowTopics.ALL) {
                List<String> command = new ArrayList<>(List.of(java));
                command.addAll(KAFKA_TOOL_JVM);
                command.addAll(List.of("-cp", classpath, "org.apache.kafka.tools.TopicCommand",
                        "--bootstrap-server", bootstrap, "--create", "--topic", "baseline-" + i + "-" + topic.name(),
                        "--partitions", String.valueOf(topic.partitions()),
                        "--replication-factor", String.valueOf(replicationFactor)));
                Scripts.Result result = Scripts.runProcess(command, Map.of(), Duration.ofMinutes(2));
                if (result.exitCode() != 0) {
                    throw new IllegalStateException("kafka-topics --create failed: " + result);
                }
            }
            nanos[i] = System.nanoTime() - start;
        }
        return row("7 × kafka-topics.sh --create (one JVM each; the spec's baseline)", against, "-", nanos);
    }

    /**
     * The MCP server started once; then verify as a tool call, timed from request to answer. The calls run inside
     * the server's JVM: the row also says how many processes the server started (0 is the proof).
     */
    private static void mcpToolCalls(String against, int runs, String bootstrap) throws Exception {
        Scripts.build("mcp_server.java");
        Process server = new ProcessBuilder(Scripts.ROOT.resolve("jbang").toString(), "mcp_server.java")
                .directory(Scripts.ROOT.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try (OutputStream in = server.getOutputStream(); BufferedReader out = new BufferedReader(
                new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8))) {
            send(in, "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
                    + "\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"benchmark\",\"version\":\"1\"}}}");
            out.readLine();
            send(in, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
            long[] nanos = new long[runs + 1];
            for (int i = 0; i <= runs; i++) {
                long start = System.nanoTime();
                send(in, "{\"jsonrpc\":\"2.0\",\"id\":" + (i + 1) + ",\"method\":\"tools/call\",\"params\":{"
                        + "\"name\":\"verify\",\"arguments\":{\"bootstrapServer\":\"" + bootstrap + "\"}}}");
                String answer = out.readLine();
                nanos[i] = System.nanoTime() - start;
                if (answer == null || !answer.contains("\"id\":" + (i + 1)) || answer.contains("\"isError\":true")) {
                    throw new IllegalStateException("MCP verify failed: " + answer);
                }
            }
            long children = server.descendants().count();
            row("MCP tool call verify, after the first (server processes started: " + children + ")", against,
                    "0.2 s", Arrays.copyOfRange(nanos, 1, runs + 1));
        } finally {
            server.descendants().forEach(ProcessHandle::destroy);
            server.destroy();
        }
    }

    private static void send(OutputStream in, String line) throws java.io.IOException {
        in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
    }

    private static void deleteLearnFlowTopics(Admin admin) {
        try {
            List<String> names = LearnFlowTopics.ALL.stream().map(LearnFlowTopics.Topic::name).toList();
            admin.deleteTopics(names).all().get();
            while (admin.listTopics().names().get().stream().anyMatch(names::contains)) {
                Thread.sleep(100);
            }
        } catch (org.apache.kafka.common.errors.UnknownTopicOrPartitionException e) {
            // the first run: nothing to delete
        } catch (Exception e) {
            if (!(e.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException)) {
                throw new IllegalStateException(e);
            }
        }
    }

    private static long row(String what, String against, String goal, long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        long median = sorted[sorted.length / 2];
        ROWS.add("| " + what + " | " + against + " | " + seconds(median) + " | " + seconds(sorted[0]) + " | "
                + seconds(sorted[sorted.length - 1]) + " | " + goal + " |");
        System.err.println(ROWS.get(ROWS.size() - 1));
        return median;
    }

    private static String seconds(long nanos) {
        return String.format("%.2f s", nanos / 1e9);
    }
}
