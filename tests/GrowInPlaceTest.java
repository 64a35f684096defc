package tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import common.cluster.AccessRules;
import common.cluster.ClusterProfile;
import common.cluster.KafkaManifests;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.QuorumInfo;
import org.apache.kafka.common.TopicPartitionInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import tests.support.ApiServer;
import tests.support.ClusterModel;
import tests.support.JsonResult;
import tests.support.KafkaNodes;
import tests.support.PlannedWrites;
import tests.support.RbacPolicy;
import tests.support.Records;
import tests.support.Scripts;
import tests.support.Tokens;

/**
 * {@code deploy prod} over a running dev cluster, in place: a real one-node Kafka behind the stand-in API server,
 * whose pods a {@link ClusterModel} drives (a scale-up starts new nodes from the new template; deleting a pod restarts
 * its node from it). Records written before are all readable after; every node is a voter, every partition has
 * three in-sync copies, kafka-0 runs the prod template, and a second deploy changes nothing. {@code --replicas 5}
 * adds two brokers and voters without restarting any; {@code --replicas 4} moves every copy off the fifth and
 * leaves three voters; each is finished by the next deploy after an interrupted or killed one; a plain
 * {@code deploy prod} keeps four. Then {@code deploy dev} shrinks it back the same way: every record still read,
 * one voter, one broker, every partition on it, and with {@code --delete-data} only kafka-0's volume left.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GrowInPlaceTest {
    @RegisterExtension
    static final ApiServer api = new ApiServer();
    private static final String TOPIC = "written.on.dev";
    private static final String TRANSACTIONAL = "written.in.a.transaction";
    private static final String SPREAD = "written.on.five";
    private static final String ONE_COPY = "one.copy.on.purpose";
    private static final int RECORDS = 300;
    private KafkaNodes nodes;
    private ClusterModel model;
    /** get_connection --port-forward started on dev, held in another terminal across the grow (review R7). */
    private Process heldSinceDev;

    @BeforeAll
    void start() throws Exception {
        nodes = KafkaNodes.start(new KafkaManifests(ClusterProfile.DEV, "kafka", KafkaManifests.DEFAULT_IMAGE, null,
                null));
        Scripts.Result deployed = deploy("dev", "--no-wait");
        assertEquals(0, deployed.exitCode(), deployed.toString());
        model = new ClusterModel(api, "kafka", nodes);
        try (Admin admin = nodes.admin(nodes.bootstrapServers())) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 3, (short) 1), new NewTopic(TRANSACTIONAL, 1, (short) 1)))
                    .all().get(30, TimeUnit.SECONDS);
        }
        Records.produce(nodes.clientAddress(0), TOPIC, 3, RECORDS);
        Records.produceInATransaction(nodes.clientAddress(0), TRANSACTIONAL, 10); // __transaction_state at min ISR 1
        heldSinceDev = Scripts.start(api.environment(), "get_connection.java", "-n", "kafka", "--port-forward");
        assertEquals("localhost:19092", new java.io.BufferedReader(new java.io.InputStreamReader(
                heldSinceDev.getInputStream(), java.nio.charset.StandardCharsets.UTF_8)).readLine());
    }

    @AfterAll
    void stop() throws Exception {
        if (heldSinceDev != null) {
            heldSinceDev.destroy();
            // Its forward's port must be free before the next test class takes the port-forward ports.
            if (!heldSinceDev.waitFor(20, TimeUnit.SECONDS)) {
                heldSinceDev.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
            }
        }
        ClusterModel.stop(model, nodes);
    }

    @SuppressWarnings("unchecked")
    private static List<String> steps(Map<String, Object> plan) {
        return ((List<Map<String, Object>>) plan.get("steps")).stream().map(step -> (String) step.get("step"))
                .toList();
    }

    private Scripts.Result deploy(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("-n", "kafka", "--bootstrap-server", nodes.clientAddress(0), "--timeout", "240s"));
        return Scripts.run(api.environment(), Duration.ofMinutes(6), "deploy.java", all.toArray(String[]::new));
    }

    @Test
    @Order(1)
    void devGrowsToProdInPlaceAndKeepsEveryRecord() throws Exception {
        api.enforce(new RbacPolicy("learnflow-dev", List.of(AccessRules.deployRole("kafka"))));
        Scripts.Result planned = deploy("prod", "--plan", "--json");
        assertEquals(4, planned.exitCode(), "changes planned: " + planned);
        assertEquals(List.of(), PlannedWrites.seen(api), "--plan writes nothing to Kubernetes");
        assertEquals("1", minIsr(), "nor to Kafka");
        Map<String, Object> plan = JsonResult.parse(planned);
        assertEquals(List.of("recordFormattedBy", "apply", "apply", "apply", "awaitBrokers", "addVoters",
                "addReplicas", "restart", "addReplicasCreatedMeanwhile", "setMinIsr", "awaitRollout",
                "recordFormattedBy", "endFormation"), steps(plan), plan.toString());

        Scripts.Result grown = deploy("prod");
        model.check();
        assertEquals(0, grown.exitCode(), grown.toString());
        assertEquals(PlannedWrites.of(plan), PlannedWrites.seen(api), "the grow did what its plan listed");
        api.enforce(null);
        assertTrue(grown.stdout().contains("; 2 voters added; rolled 1; 3/3 brokers ready"), grown.stdout());
        assertNull(api.client().configMaps().inNamespace("kafka").withName("kafka-formation").get(),
                "the formation deploy --no-wait left is closed once its voter runs");
        assertTrue(Tokens.count(grown.stdout()) <= 50, grown.stdout());

        try (Admin admin = nodes.admin(nodes.bootstrapServers())) {
            QuorumInfo quorum = admin.describeMetadataQuorum().quorumInfo().get(20, TimeUnit.SECONDS);
            assertEquals(Set.of(0, 1, 2), quorum.voters().stream().map(QuorumInfo.ReplicaState::replicaId)
                    .collect(Collectors.toCollection(TreeSet::new)), quorum.toString());
            Map<String, TopicPartitionInfo> partitions = everyPartition(admin);
            assertTrue(partitions.keySet().stream().anyMatch(name -> name.startsWith("__consumer_offsets-"))
                    || partitions.keySet().stream().anyMatch(name -> name.startsWith(TOPIC)), partitions.keySet()
                            .toString());
            partitions.forEach((name, partition) -> assertEquals(3, partition.isr().size(), name));
        }
        assertTrue(nodes.podEnvironment(0).get("KAFKA_HEAP_OPTS").contains("1g"), "kafka-0 runs prod's template");
        assertEquals("2", minIsr(), "prod's min ISR, at the cluster level that counts with ELR");
        assertEquals("2", transactionStateMinIsr(), "transactions as durable as any other write");
        assertNotNull(api.client().resources(PodDisruptionBudget.class).inNamespace("kafka").withName("kafka").get());
        assertEquals(RECORDS, Records.consume(nodes.bootstrapServers(), TOPIC, 3, RECORDS).size(),
                "every record written on dev is read on prod");

        Scripts.Result again = deploy("prod");
        assertEquals(0, again.exitCode(), again.toString());
        assertTrue(again.stdout().startsWith("deploy prod: 6 unchanged; 3/3 brokers ready"), again.stdout());
    }

    @Test
    @Order(2)
    void forwardsHeldSinceDevAreUsedAndTheNewBrokersGetTheirOwn() throws Exception {
        Scripts.Result verified = Scripts.run(api.environment(), Duration.ofMinutes(2), "verify.java", "-n", "kafka",
                "--timeout", "60s");
        assertEquals(0, verified.exitCode(), verified.toString());
        assertTrue(verified.stdout().startsWith("✓ Kafka healthy: 3 brokers"), verified.stdout());
        // deploy reads every broker's log directory: each broker must be reached, not only the first.
        Scripts.Result planned = Scripts.run(api.environment(), Duration.ofMinutes(2), "deploy.java", "prod", "-n",
                "kafka", "--plan", "--timeout", "30s");
        assertEquals(0, planned.exitCode(), planned.toString());
        assertEquals("plan: nothing to do\n", planned.stdout());
        assertTrue(heldSinceDev.isAlive(), "the other terminal's forward still runs");
    }

    @Test
    @Order(3)
    void prodGrowsToFiveBrokersWithFiveVotersAndRestartsNoneEvenWhenInterrupted() throws Exception {
        int[] starts = {nodes.starts(0), nodes.starts(1), nodes.starts(2)};
        try (Admin admin = nodes.admin(nodes.bootstrapServers())) {
            admin.createTopics(List.of(new NewTopic(ONE_COPY, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        // Killed once the larger StatefulSet is applied, before the new brokers could start.
        var statefulSet = api.client().apps().statefulSets().inNamespace("kafka").withName("kafka");
        Scripts.Result interrupted = Scripts.runKilledWhen(api.environment(), Duration.ofMinutes(2),
                () -> statefulSet.get().getSpec().getReplicas() == 5, "deploy.java", "prod", "--replicas", "5",
                "-n", "kafka", "--bootstrap-server", nodes.clientAddress(0), "--timeout", "240s");
        assertEquals(137, interrupted.exitCode(), interrupted.toString());

        // The controller makes the new pods, one after the other: the plan is read once both exist.
        long made = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (api.client().pods().inNamespace("kafka").withName("kafka-4").get() == null) {
            assertTrue(System.nanoTime() < made, "the stand-in controller made kafka-4");
            Thread.sleep(100);
        }
        api.enforce(new RbacPolicy("learnflow-dev", List.of(AccessRules.deployRole("kafka"))));
        Map<String, Object> remaining = JsonResult.parse(deploy("prod", "--replicas", "5", "--plan", "--json"));
        assertEquals(List.of("recordFormattedBy", "awaitBrokers", "addVoters", "awaitRollout"), steps(remaining),
                "--plan shows what the interrupted deploy left: " + remaining);
        // Through port-forwards, beside the one to kafka-0 that get_connection holds since dev (review R7): adding
        // nodes 3 and 4 as voters reads their listeners from them.
        Scripts.Result grown = Scripts.run(api.environment(), Duration.ofMinutes(6), "deploy.java", "prod",
                "--replicas", "5", "-n", "kafka", "--timeout", "240s");
        model.check();
        assertEquals(0, grown.exitCode(), grown.toString());
        assertEquals(PlannedWrites.of(remaining), PlannedWrites.seen(api), "nothing left to write but the notes of "
                + "which Kafka formatted the new volumes: the StatefulSet has 5 replicas");
        api.enforce(null);
        assertTrue(grown.stdout().startsWith("deploy prod: 6 unchanged; 2 voters added; 5/5 brokers ready"),
                "the grow the interrupted deploy left is finished: " + grown.stdout());
        assertEquals(Set.of(0, 1, 2, 3, 4), voters());
        assertEquals(List.of(starts[0], starts[1], starts[2]), List.of(nodes.starts(0), nodes.starts(1),
                nodes.starts(2)), "the running brokers keep running");
        try (Admin admin = nodes.admin(nodes.bootstrapServers())) {
            assertEquals(1, everyPartition(admin).get(ONE_COPY + "-0").replicas().size(),
                    "a topic made with one copy on purpose keeps it: only a grow from dev raises copies");
            admin.createTopics(List.of(new NewTopic(SPREAD, 5, (short) 3))).all().get(30, TimeUnit.SECONDS);
            // The broker answering may not have the new topic's metadata yet (seen on a busy machine): poll.
            long described = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (everyPartition(admin).entrySet().stream().noneMatch(e -> e.getKey().startsWith(SPREAD)
                    && e.getValue().replicas().stream().anyMatch(node -> node.id() == 4))) {
                assertTrue(System.nanoTime() < described, "a copy on kafka-4: " + everyPartition(admin).keySet());
                Thread.sleep(250);
            }
        }
        Records.produce(nodes.bootstrapServers(), SPREAD, 5, RECORDS);
    }

    @Test
    @Order(4)
    void prodShrinksToFourBrokersWithThreeVotersAndMovesEveryCopyOffTheFifthEvenWhenKilled() throws Exception {
        // Killed once the smaller StatefulSet is applied, while it waits for kafka-4's pod to go: broker 4 is left
        // registered, and the next deploy, though the StatefulSet already has 4 replicas, must unregister it.
        var statefulSet = api.client().apps().statefulSets().inNamespace("kafka").withName("kafka");
        Scripts.Result killed = Scripts.runKilledWhen(api.environment(), Duration.ofMinutes(6),
                () -> statefulSet.get().getSpec().getReplicas() == 4, "deploy.java", "prod", "--replicas", "4",
                "-n", "kafka", "--bootstrap-server", nodes.clientAddress(0), "--timeout", "240s");
        assertEquals(137, killed.exitCode(), killed.toString());
        assertTrue(registeredBrokers().contains(4), "killed before unregistering broker 4: " + registeredBrokers());

        Scripts.Result shrunk = deploy("prod", "--replicas", "4", "--json");
        model.check();
        assertEquals(0, shrunk.exitCode(), shrunk.toString());
        Map<String, Object> facts = tests.support.JsonResult.parse(shrunk);
        assertEquals(1, ((Number) facts.get("brokersRemoved")).intValue(), facts.toString());
        assertEquals(List.of("data-kafka-4"), facts.get("keptVolumes"), facts.toString());
        assertEquals(4, ((Number) facts.get("ready")).intValue(), facts.toString());
        assertEquals(Set.of(0, 1, 2), voters(), "an even count of voters survives no more failures than one fewer");
        try (Admin admin = nodes.admin(nodes.clientAddress(0))) {
            everyPartition(admin).forEach((name, partition) -> {
                assertEquals(name.startsWith(ONE_COPY) ? 1 : 3, partition.replicas().size(), name);
                assertTrue(partition.replicas().stream().allMatch(node -> node.id() < 4), name);
            });
        }
        assertEquals(RECORDS, Records.consume(nodes.clientAddress(0), SPREAD, 5, RECORDS).size());

        Scripts.Result again = deploy("prod");
        assertEquals(0, again.exitCode(), again.toString());
        assertTrue(again.stdout().startsWith("deploy prod: 6 unchanged; 4/4 brokers ready"),
                "without --replicas a prod cluster keeps its size: " + again.stdout());
    }

    @Test
    @Order(5)
    void prodShrinksBackToDevInPlaceAndKeepsEveryRecord() throws Exception {
        api.enforce(new RbacPolicy("learnflow-dev", List.of(AccessRules.deployRole("kafka"))));
        Map<String, Object> plan = JsonResult.parse(deploy("dev", "--delete-data", "--plan", "--json"));
        assertEquals(List.of("setMinIsr", "movePartitions", "removeVoters", "apply", "delete", "delete",
                "unregisterBrokers", "deleteVolumes", "controllerRoll", "awaitRollout"), steps(plan), plan.toString());
        assertEquals(List.of(), PlannedWrites.seen(api), "--plan writes nothing");
        assertEquals("2", minIsr(), "nor lowers the min ISR");
        Scripts.Result shrunk = deploy("dev", "--delete-data", "--json");
        model.check();
        assertEquals(0, shrunk.exitCode(), shrunk.toString());
        assertEquals(PlannedWrites.of(plan), PlannedWrites.seen(api), "the shrink did what its plan listed");
        api.enforce(null);
        Map<String, Object> facts = tests.support.JsonResult.parse(shrunk);
        assertEquals(3, ((Number) facts.get("brokersRemoved")).intValue(), facts.toString());
        assertEquals(List.of(), facts.get("keptVolumes"), facts.toString());
        assertEquals(List.of("data-kafka-1", "data-kafka-2", "data-kafka-3", "data-kafka-4"),
                facts.get("deletedVolumes"), "the volumes removed now and the one kept by the shrink before: " + facts);
        assertEquals(List.of("data-kafka-0"), api.client().persistentVolumeClaims().inNamespace("kafka").list()
                .getItems().stream().map(claim -> claim.getMetadata().getName()).toList());
        assertEquals(1, ((Number) facts.get("ready")).intValue(), facts.toString());

        try (Admin admin = nodes.admin(nodes.clientAddress(0))) {
            QuorumInfo quorum = admin.describeMetadataQuorum().quorumInfo().get(20, TimeUnit.SECONDS);
            assertEquals(Set.of(0), quorum.voters().stream().map(QuorumInfo.ReplicaState::replicaId)
                    .collect(Collectors.toSet()), quorum.toString());
            assertEquals(Set.of(0), admin.describeCluster(new org.apache.kafka.clients.admin.DescribeClusterOptions()
                    .includeFencedBrokers(true)).nodes().get(20, TimeUnit.SECONDS).stream()
                    .map(org.apache.kafka.common.Node::id).collect(Collectors.toSet()), "the others unregistered");
            everyPartition(admin).forEach((name, partition) -> assertEquals(List.of(0),
                    partition.replicas().stream().map(org.apache.kafka.common.Node::id).toList(), name));
        }
        // The removed nodes' controller registrations would block every later metadata.version upgrade.
        try (Admin controllers = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_CONTROLLERS_CONFIG,
                nodes.controllerAddress(0)))) {
            assertEquals(Set.of(0), controllers.describeCluster().nodes().get(20, TimeUnit.SECONDS).stream()
                    .map(org.apache.kafka.common.Node::id).collect(Collectors.toSet()), "the others' unregistered");
        }
        assertTrue(nodes.podEnvironment(0).get("KAFKA_HEAP_OPTS").contains("256m"), "kafka-0 runs dev's template");
        assertEquals("1", minIsr());
        assertEquals("1", transactionStateMinIsr());
        assertNull(api.client().resources(PodDisruptionBudget.class).inNamespace("kafka").withName("kafka").get());
        assertEquals(RECORDS, Records.consume(nodes.bootstrapServers(), TOPIC, 3, RECORDS).size(),
                "every record is still read on dev");
        assertEquals(RECORDS, Records.consume(nodes.bootstrapServers(), SPREAD, 5, RECORDS).size());

        Scripts.Result again = deploy("dev");
        assertEquals(0, again.exitCode(), again.toString());
        assertTrue(again.stdout().matches("deploy dev: \\d+ unchanged; 1/1 brokers ready.*\n"), again.stdout());
    }

    /**
     * Review R6: while a grow from dev runs, apps keep creating topics without a replication factor. Until kafka-0
     * runs prod's settings the quorum leader may be a node with dev's default of one copy; every such topic must
     * still end with three, or it could take no acks=all write once the min ISR is 2.
     */
    @Test
    @Order(6)
    void topicsCreatedWhileDevGrowsToProdEndWithThreeCopies() throws Exception {
        List<String> created = java.util.Collections.synchronizedList(new ArrayList<>());
        java.util.concurrent.atomic.AtomicBoolean growing = new java.util.concurrent.atomic.AtomicBoolean(true);
        Thread app = new Thread(() -> {
            try (Admin admin = nodes.admin(String.join(",", nodes.clientAddress(0), nodes.clientAddress(1),
                    nodes.clientAddress(2)))) {
                for (int i = 0; growing.get(); i++) {
                    String name = "created.during.grow." + i;
                    try {
                        admin.createTopics(List.of(new NewTopic(name, java.util.Optional.of(1),
                                java.util.Optional.empty()))).all().get(5, TimeUnit.SECONDS);
                        created.add(name);
                    } catch (Exception whileRestarting) {
                        // a broker restarting or no controller for a moment: the app tries again later
                    }
                    Thread.sleep(150);
                }
            } catch (InterruptedException stopped) {
                Thread.currentThread().interrupt();
            }
        }, "app creating topics");
        app.start();
        Scripts.Result grown;
        try {
            grown = deploy("prod");
        } finally {
            growing.set(false);
            app.join(30_000);
        }
        model.check();
        assertEquals(0, grown.exitCode(), grown.toString());
        assertTrue(created.size() > 5, "topics created during the grow: " + created);
        try (Admin admin = nodes.admin(nodes.bootstrapServers())) {
            Map<String, TopicPartitionInfo> partitions = everyPartition(admin);
            List<String> fewer = created.stream().filter(name -> partitions.get(name + "-0") == null
                    || partitions.get(name + "-0").replicas().size() < 3).toList();
            assertEquals(List.of(), fewer, "every topic created during the grow has three copies");
        }
        assertEquals("2", minIsr());
    }

    /** The topic-level min.insync.replicas of {@code __transaction_state}. */
    private String transactionStateMinIsr() throws Exception {
        var topic = new org.apache.kafka.common.config.ConfigResource(
                org.apache.kafka.common.config.ConfigResource.Type.TOPIC, "__transaction_state");
        try (Admin admin = nodes.admin(nodes.clientAddress(0))) {
            return admin.describeConfigs(List.of(topic)).all().get(20, TimeUnit.SECONDS).get(topic)
                    .get("min.insync.replicas").value();
        }
    }

    /** Every registered broker, fenced ones too. */
    private Set<Integer> registeredBrokers() throws Exception {
        try (Admin admin = nodes.admin(nodes.clientAddress(0))) {
            return admin.describeCluster(new org.apache.kafka.clients.admin.DescribeClusterOptions()
                    .includeFencedBrokers(true)).nodes().get(20, TimeUnit.SECONDS).stream()
                    .map(org.apache.kafka.common.Node::id).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private Set<Integer> voters() throws Exception {
        try (Admin admin = nodes.admin(nodes.clientAddress(0))) {
            return admin.describeMetadataQuorum().quorumInfo().get(20, TimeUnit.SECONDS).voters().stream()
                    .map(QuorumInfo.ReplicaState::replicaId).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    /** Every partition of every topic, internal ones too, by {@code topic-partition}. */
    private static Map<String, TopicPartitionInfo> everyPartition(Admin admin) throws Exception {
        Set<String> names = admin.listTopics(new ListTopicsOptions().listInternal(true)).names()
                .get(20, TimeUnit.SECONDS);
        Map<String, TopicPartitionInfo> partitions = new java.util.TreeMap<>();
        admin.describeTopics(names).allTopicNames().get(20, TimeUnit.SECONDS).values().forEach(topic -> topic
                .partitions().forEach(partition -> partitions.put(topic.name() + "-" + partition.partition(),
                        partition)));
        return partitions;
    }

    /** The min ISR a topic without its own setting gets, as the brokers report it. */
    private String minIsr() throws Exception {
        var topic = new org.apache.kafka.common.config.ConfigResource(
                org.apache.kafka.common.config.ConfigResource.Type.TOPIC, TOPIC);
        try (Admin admin = nodes.admin(nodes.clientAddress(0))) {
            return admin.describeConfigs(List.of(topic)).all().get(20, TimeUnit.SECONDS).get(topic)
                    .get("min.insync.replicas").value();
        }
    }
}
