///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS org.junit.jupiter:junit-jupiter-api:6.1.3
//DEPS info.picocli:picocli:4.7.7
//DEPS io.fabric8:kubernetes-client:8.0.0
//DEPS io.fabric8:kubernetes-httpclient-jdk:8.0.0
//DEPS io.fabric8:kubernetes-server-mock:8.0.0
//DEPS org.apache.kafka:kafka-clients:4.4.0
//DEPS org.slf4j:slf4j-nop:2.0.20
//SOURCES ../common/*.java
//SOURCES support/Scripts.java support/ApiServer.java support/KafkaNodes.java support/ResourceRequest.java
//SOURCES support/RbacPolicy.java support/ContainerFilesystem.java support/PodUser.java

import common.ClusterProfile;
import common.KafkaManifests;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import tests.support.ApiServer;
import tests.support.KafkaNodes;
import tests.support.Scripts;

/**
 * Times each command as a user runs it (a process through ./jbang, JBang's build cached) against real Kafka nodes
 * and the stand-in API server, and prints a Markdown table for the README. Speed targets are checked here, not in
 * the tests. Usage: ./jbang tests/benchmark.java [runs per measurement, default 5]
 */
public class benchmark {
    private static final List<String> ROWS = new ArrayList<>();

    public static void main(String... args) throws Exception {
        java.util.logging.LogManager.getLogManager().reset();
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        ROWS.add("| command | against | median | min | max | budget |");
        ROWS.add("|---|---|---|---|---|---|");

        time("get_connection.java", "nothing", runs, "1 s", Map.of(), "get_connection.java");

        try (ApiServer api = new ApiServer()) {
            time("deploy dev --no-wait (re-run, 4 unchanged)", "stand-in API server", runs, "-", api.environment(),
                    "deploy.java", "-n", "bench", "--no-wait");
            // Playing the kubelet and controller: the cluster is already rolled out, so this is deploy's own cost.
            api.putPod("bench", "kafka-0", ApiServer.ready());
            api.reportStatefulSet("bench", 1, 1);
            time("deploy dev (wait; already Ready)", "stand-in API server", runs, "60 s (+ pod start)",
                    api.environment(), "deploy.java", "-n", "bench");
        }

        for (ClusterProfile profile : ClusterProfile.values()) {
            long start = System.nanoTime();
            try (KafkaNodes nodes = KafkaNodes.start(new KafkaManifests(profile, "kafka",
                    KafkaManifests.DEFAULT_IMAGE, null, null))) {
                String started = millis(System.nanoTime() - start);
                String against = profile.replicas + " real broker" + (profile.replicas > 1 ? "s" : "");
                String bootstrap = nodes.bootstrapServers();
                time("create_topics (7 created)", against, 1, "10 s", Map.of(), "create_topics.java",
                        "--bootstrap-server", bootstrap);
                time("create_topics (re-run, 7 existing)", against, runs, "10 s", Map.of(), "create_topics.java",
                        "--bootstrap-server", bootstrap);
                time("verify --topics", against, runs, "5 s", Map.of(), "verify.java", "--topics",
                        "--bootstrap-server", bootstrap);
                ROWS.add("| (test harness) start " + against + " from the rendered StatefulSet | this machine | "
                        + started + " | | | |");
            }
        }
        ROWS.forEach(System.out::println);
        System.exit(0);
    }

    private static void time(String what, String against, int runs, String budget, Map<String, String> env,
            String script, String... args) {
        long[] nanos = new long[runs];
        for (int i = 0; i < runs; i++) {
            Scripts.Result result = Scripts.run(env, Duration.ofMinutes(3), script, args);
            if (result.exitCode() != 0) {
                throw new IllegalStateException(what + " failed: " + result);
            }
            nanos[i] = result.elapsed().toNanos();
        }
        Arrays.sort(nanos);
        ROWS.add("| " + what + " | " + against + " | " + millis(nanos[runs / 2]) + " | " + millis(nanos[0]) + " | "
                + millis(nanos[runs - 1]) + " | " + budget + " |");
        System.err.println(ROWS.get(ROWS.size() - 1));
    }

    private static String millis(long nanos) {
        return String.format("%.2f s", nanos / 1e9);
    }
}
