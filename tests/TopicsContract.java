package tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import common.LearnFlowTopics;
import common.cluster.ClusterProfile;
import common.cluster.KafkaManifests;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import tests.support.JsonResult;
import tests.support.KafkaNodes;
import tests.support.Scripts;
import tests.support.Tokens;

/**
 * create_topics.java and verify.java, run as processes with {@code --bootstrap-server}, against real Kafka nodes
 * configured from the rendered StatefulSet. The tests build on each other's topics, in order.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class TopicsContract {
    KafkaNodes nodes;

    abstract ClusterProfile profile();

    @BeforeAll
    void startCluster() throws Exception {
        nodes = KafkaNodes.start(new KafkaManifests(profile(), "kafka", KafkaManifests.DEFAULT_IMAGE, null, null));
    }

    @AfterAll
    void stopCluster() throws Exception {
        if (nodes != null) {
            nodes.close();
        }
    }

    /** A command run as a user of Kafka's tools would: --bootstrap-server, and its --command-config. */
    Scripts.Result run(String script, String... args) {
        List<String> all = new java.util.ArrayList<>(List.of("--bootstrap-server", nodes.bootstrapServers()));
        try {
            all.addAll(List.of("--command-config", nodes.commandConfig().toString()));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        all.addAll(List.of(args));
        return Scripts.run(Map.of(), Duration.ofMinutes(2), script, all.toArray(String[]::new));
    }

    Map<String, TopicDescription> describeCatalogue(Admin admin) throws Exception {
        List<String> names = LearnFlowTopics.ALL.stream().map(LearnFlowTopics.Topic::name).toList();
        Exception last = null;
        Map<String, TopicDescription> described = null;
        for (int attempt = 0; attempt < 40; attempt++) {
            try {
                Map<String, TopicDescription> now = admin.describeTopics(names).allTopicNames()
                        .get(10, TimeUnit.SECONDS);
                described = now;
                if (LearnFlowTopics.ALL.stream().allMatch(topic -> described(topic, now))) {
                    return now;
                }
            } catch (Exception e) {
                last = e;
            }
            // A broker's metadata may lag right after topics are created or raised (seen in CI): poll, bounded.
            Thread.sleep(250);
        }
        if (described == null) {
            throw last;
        }
        return described;
    }

    private static boolean described(LearnFlowTopics.Topic topic, Map<String, TopicDescription> described) {
        return described.containsKey(topic.name())
                && described.get(topic.name()).partitions().size() >= topic.partitions();
    }

    @Test
    @Order(1)
    void createsTheCatalogueAndRaisesATopicThatHasTooFewPartitions() throws Exception {
        int replication = Math.min(profile().replicas, 3);
        try (Admin admin = nodes.admin(nodes.bootstrapServers())) {
            admin.createTopics(List.of(new NewTopic("learning.concept.request", Optional.of(1), Optional.empty())))
                    .all().get(30, TimeUnit.SECONDS);

            Scripts.Result result = run("create_topics.java");
            assertEquals(0, result.exitCode(), result.toString());
            assertTrue(result.stdout().startsWith("create_topics: 6 created, 1 raised, 0 existing; RF " + replication),
                    result.stdout());

            assertEquals("", result.stderr(), "stderr is silent on success when piped");
            assertTrue(Tokens.count(result.stdout()) <= 50, result.stdout());

            Map<String, TopicDescription> topics = describeCatalogue(admin);
            for (LearnFlowTopics.Topic topic : LearnFlowTopics.ALL) {
                TopicDescription found = topics.get(topic.name());
                assertEquals(topic.partitions(), found.partitions().size(), topic.name());
                found.partitions().forEach(p -> assertEquals(replication, p.replicas().size(), topic.name()));
            }
        }
    }

    @Test
    @Order(2)
    void aSecondRunCreatesNothing() {
        Scripts.Result result = run("create_topics.java");
        assertEquals(0, result.exitCode(), result.toString());
        assertTrue(result.stdout().startsWith("create_topics: 0 created, 0 raised, 7 existing"), result.stdout());
    }

    @Test
    @Order(3)
    void createTopicsJsonListsEveryTopicWithItsAction() {
        Map<String, Object> json = JsonResult.parse(run("create_topics.java", "--json"));
        assertEquals("ok", json.get("status"));
        assertEquals(7, ((Number) json.get("existing")).intValue());
        List<?> topics = (List<?>) json.get("topics");
        assertEquals(LearnFlowTopics.ALL.size(), topics.size());
        for (int i = 0; i < topics.size(); i++) {
            Map<?, ?> topic = (Map<?, ?>) topics.get(i);
            assertEquals(LearnFlowTopics.ALL.get(i).name(), topic.get("name"));
            assertEquals(LearnFlowTopics.ALL.get(i).partitions(), ((Number) topic.get("partitions")).intValue());
            assertEquals(Math.min(profile().replicas, 3), ((Number) topic.get("replicationFactor")).intValue());
            assertEquals("existing", topic.get("action"));
        }
    }

    @Test
    @Order(5)
    void verifyWithTopicsIsHealthy() {
        Scripts.Result result = run("verify.java", "--topics");
        assertEquals(0, result.exitCode(), result.toString());
        assertEquals("", result.stderr(), "stderr is silent on success when piped");
        assertTrue(Tokens.count(result.stdout()) <= 50, result.stdout());
        Map<String, Object> json = JsonResult.parse(run("verify.java", "--topics", "--json"));
        assertEquals("healthy", json.get("status"));
        assertEquals(profile().replicas, ((Number) json.get("brokers")).intValue());
        assertEquals(7, ((Number) json.get("topics")).intValue());
        assertTrue(json.get("controller") instanceof Number, json.toString());
        // The quorum: every node a voter (each is also a broker), none trailing far, no observers.
        @SuppressWarnings("unchecked")
        Map<String, Object> quorum = (Map<String, Object>) json.get("quorum");
        assertEquals(json.get("controller"), quorum.get("leader"), json.toString());
        List<?> voters = (List<?>) quorum.get("voters");
        assertEquals(profile().replicas, voters.size(), json.toString());
        for (Object voter : voters) {
            Map<?, ?> member = (Map<?, ?>) voter;
            assertTrue(member.get("id") instanceof Number && member.get("lag") instanceof Number
                    && ((Number) member.get("caughtUpMsAgo")).longValue() < 60_000, json.toString());
        }
        assertEquals(List.of(), quorum.get("observers"), json.toString());
        // What each node runs, asked of the node itself: the rendered image's release, at its own metadata.version.
        assertEquals("4.4-IV2", json.get("metadataVersion"), json.toString());
        assertEquals(33, ((Number) json.get("metadataVersionLevel")).intValue(), json.toString());
        assertEquals(java.util.stream.IntStream.range(0, profile().replicas).boxed().collect(java.util.stream
                .Collectors.toMap(String::valueOf, node -> "4.4")), json.get("kafkaVersions"), json.toString());
        assertEquals(false, json.get("upgradeRolledNotFinalized"), json.toString());
        assertTrue(result.stdout().startsWith("✓ Kafka healthy: " + profile().replicas + " brokers"), result.stdout());
        assertTrue(result.stdout().contains("7 LearnFlow topics"), result.stdout());
    }

    @Test
    @Order(6)
    void verifyWithTopicsFailsWhileATopicIsMissing() throws Exception {
        try (Admin admin = nodes.admin(nodes.bootstrapServers())) {
            admin.deleteTopics(List.of("struggle.detected")).all().get(30, TimeUnit.SECONDS);
        }
        Scripts.Result result = run("verify.java", "--topics");
        assertEquals(1, result.exitCode(), result.toString());
        assertTrue(result.stdout().startsWith("✗ topic struggle.detected missing"), result.stdout());
        assertEquals(0, run("verify.java").exitCode(), "without --topics, topics are not checked");
        assertEquals(0, run("create_topics.java").exitCode(), "and create_topics repairs it");
    }

    @Test
    @Order(7)
    void anAddressWithNothingListeningFailsWithinTheTimeout() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        for (String script : List.of("create_topics.java", "verify.java")) {
            Scripts.Result result = Scripts.run(Map.of(), Duration.ofMinutes(1), script, "--bootstrap-server",
                    "127.0.0.1:" + port, "--timeout", "3s");
            assertEquals(1, result.exitCode(), result.toString());
            assertTrue((result.stdout() + result.stderr()).contains("127.0.0.1:" + port), result.toString());
            assertTrue(result.elapsed().compareTo(Duration.ofSeconds(3 + 15)) < 0, "bounded: " + result.elapsed());
        }
    }
}
