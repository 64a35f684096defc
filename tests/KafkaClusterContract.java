package tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import common.cluster.ClusterProfile;
import common.cluster.ClusterSecurity;
import common.cluster.KafkaEndpoints;
import common.cluster.KafkaManifests;
import common.cluster.KraftQuorum;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.QuorumInfo;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import tests.support.KafkaNodes;
import tests.support.PortForwardPorts;
import tests.support.PortRelay;
import tests.support.Scripts;

/**
 * Real Kafka nodes configured from the rendered StatefulSet (see {@link KafkaNodes}) form a working cluster. One
 * cluster per test class.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class KafkaClusterContract {
    static final String NAMESPACE = "kafka";
    KafkaManifests manifests;
    KafkaNodes nodes;

    abstract ClusterProfile profile();

    /** The listeners' security the class deploys: the profile's default unless a subclass says otherwise. */
    ClusterSecurity security() {
        return profile().security;
    }

    /**
     * From the YAML {@code deploy --dry-run} prints, as {@code kubectl apply} or a GitOps tool would start it: the
     * pods of its StatefulSet, reading its formation. Before the formation was in that YAML, the nodes formatted
     * with no voters and never formed a quorum.
     */
    @BeforeAll
    void startCluster() throws Exception {
        manifests = new KafkaManifests(profile(), NAMESPACE, KafkaManifests.DEFAULT_IMAGE, null, null)
                .withSecurity(security());
        Scripts.Result yaml = Scripts.run("deploy.java", profile().id(), "-n", NAMESPACE, "--security",
                security().id(), "--dry-run");
        assertEquals(0, yaml.exitCode(), yaml.toString());
        List<HasMetadata> objects = new KubernetesSerialization().unmarshal(
                new ByteArrayInputStream(yaml.stdout().getBytes(StandardCharsets.UTF_8)));
        assertTrue(objects.contains(manifests.statefulSet()), "the pods are the ones deploy applies");
        ConfigMap formation = objects.stream().filter(ConfigMap.class::isInstance).map(ConfigMap.class::cast)
                .filter(map -> KraftQuorum.FORMATION.equals(map.getMetadata().getName())).findFirst().orElse(null);
        nodes = KafkaNodes.startApplied(manifests, formation);
    }

    @AfterAll
    void stopCluster() throws Exception {
        if (nodes != null) {
            nodes.close();
        }
    }

    @Test
    void storageIsFormattedWithTheRenderedClusterId() throws Exception {
        for (int i = 0; i < nodes.replicas(); i++) {
            String meta = Files.readString(nodes.hostPath(i, KafkaManifests.LOG_DIR).resolve("meta.properties"));
            assertTrue(meta.contains("cluster.id=" + manifests.clusterId()), meta);
            assertTrue(meta.contains("node.id=" + i), "node id from the pod ordinal: " + meta);
        }
        try (Admin admin = nodes.admin(nodes.clientAddress(0))) {
            assertEquals(manifests.clusterId(), admin.describeCluster().clusterId().get(20, TimeUnit.SECONDS));
        }
    }

    @Test
    void theQuorumFormsWithEveryReplicaAsAVoter() throws Exception {
        try (Admin admin = nodes.admin(nodes.bootstrapServers())) {
            QuorumInfo quorum = admin.describeMetadataQuorum().quorumInfo().get(20, TimeUnit.SECONDS);
            Set<Integer> voters = quorum.voters().stream().map(QuorumInfo.ReplicaState::replicaId)
                    .collect(Collectors.toSet());
            assertEquals(expectedIds(), voters);
            assertTrue(voters.contains(quorum.leaderId()), "a leader is elected among the voters: " + quorum);
            assertEquals(List.of(), quorum.observers(), "every node is a voter: " + quorum);
        }
    }

    /** KIP-853: the voters are the formation's, each with the directory id deploy chose; kraft.version 1. */
    @Test
    void theQuorumIsDynamicWithTheFormationsVoters() throws Exception {
        try (Admin admin = nodes.admin(nodes.bootstrapServers())) {
            QuorumInfo quorum = admin.describeMetadataQuorum().quorumInfo().get(20, TimeUnit.SECONDS);
            Set<String> voters = quorum.voters().stream()
                    .map(voter -> voter.replicaId() + ":" + voter.replicaDirectoryId()).collect(Collectors.toSet());
            Set<String> formation = java.util.Arrays.stream(nodes.initialControllers().split(","))
                    .map(voter -> voter.substring(0, voter.indexOf('@')) + ":"
                            + voter.substring(voter.lastIndexOf(':') + 1)).collect(Collectors.toSet());
            assertEquals(formation, voters);
            short kraftVersion = admin.describeFeatures().featureMetadata().get(20, TimeUnit.SECONDS)
                    .finalizedFeatures().get("kraft.version").maxVersionLevel();
            assertEquals(1, kraftVersion, "a dynamic quorum");
        }
    }

    @Test
    void everyBrokerAnswersOnItsAdvertisedAddress() throws Exception {
        for (int i = 0; i < nodes.replicas(); i++) {
            try (Admin admin = nodes.admin(nodes.clientAddress(i))) {
                List<Node> brokers = List.copyOf(admin.describeCluster().nodes().get(20, TimeUnit.SECONDS));
                assertEquals(expectedIds(), brokers.stream().map(Node::id).collect(Collectors.toSet()));
                for (Node broker : brokers) {
                    assertEquals(nodes.clientAddress(broker.id()), broker.host() + ":" + broker.port(),
                            "broker " + broker.id() + " advertises its own pod address");
                }
            }
        }
    }

    /**
     * The log cleaner runs, with its dedupe buffer sized for the profile's heap (Kafka's 128 MiB default is half of
     * dev's heap), as the image turned the pod's variable into the broker's setting.
     */
    @Test
    void theLogCleanerRunsWithABufferSizedForTheHeap() throws Exception {
        try (Admin admin = nodes.admin(nodes.bootstrapServers())) {
            var broker = new org.apache.kafka.common.config.ConfigResource(
                    org.apache.kafka.common.config.ConfigResource.Type.BROKER, "0");
            var config = admin.describeConfigs(List.of(broker)).all().get(20, TimeUnit.SECONDS).get(broker);
            assertEquals("true", config.get("log.cleaner.enable").value());
            assertEquals(String.valueOf(profile().cleanerDedupeBufferBytes()),
                    config.get("log.cleaner.dedupe.buffer.size").value());
        }
    }

    /** Relays on localhost:19092+ordinal play a laptop's port-forwards: a client follows them to every broker. */
    @Test
    void thePortForwardListenerAdvertisesEachBrokersForwardedAddress() throws Exception {
        PortForwardPorts.acquire();
        List<PortRelay> forwards = new java.util.ArrayList<>();
        try {
            for (int node = 0; node < nodes.replicas(); node++) {
                forwards.add(new PortRelay(KafkaEndpoints.PORT_FORWARD_BASE + node,
                        Integer.parseInt(nodes.portForwardAddress(node).split(":")[1])));
            }
            try (Admin admin = nodes.admin("localhost:" + KafkaEndpoints.PORT_FORWARD_BASE)) {
                for (Node broker : admin.describeCluster().nodes().get(20, TimeUnit.SECONDS)) {
                    assertEquals("localhost:" + (KafkaEndpoints.PORT_FORWARD_BASE + broker.id()),
                            broker.host() + ":" + broker.port(), "what a port-forward from a laptop serves");
                    // Sent to that broker itself, through its forward.
                    assertEquals(1, admin.describeConfigs(List.of(new org.apache.kafka.common.config.ConfigResource(
                            org.apache.kafka.common.config.ConfigResource.Type.BROKER, String.valueOf(broker.id()))))
                            .all().get(20, TimeUnit.SECONDS).size(), "broker " + broker.id() + " answers");
                }
            }
        } finally {
            for (PortRelay forward : forwards) {
                forward.close();
            }
            PortForwardPorts.release();
        }
    }

    /**
     * Every node stopped at once, then started again on its volumes, as after a node reboot, a deleted
     * StatefulSet or an OOMKill: the topic and its records are still there. The node model gives each start a new container file
     * system with the image's VOLUMEs as containerd mounts them, so data outside the claim is lost here as it
     * would be on a real cluster.
     */
    @Test
    void topicsAndRecordsSurviveEveryNodeRestartingOnItsVolumes() throws Exception {
        String topic = "durable." + profile().id();
        try (Admin admin = nodes.admin(nodes.bootstrapServers())) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) profile().replicationFactor())))
                    .all().get(30, TimeUnit.SECONDS);
        }
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(clientProperties(), new StringSerializer(),
                new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, "key", "written before the restart")).get(60, TimeUnit.SECONDS);
        }
        nodes.stopAll(Duration.ofSeconds(10));
        for (int i = 0; i < nodes.replicas(); i++) {
            nodes.restart(i);
        }
        // What the probes rely on: the controller port (start-up, liveness) opens no later than the client port
        // (readiness), which waits for the broker's logs and metadata.
        nodes.awaitOpensNoLaterThan(0, Duration.ofSeconds(120), KafkaEndpoints.CONTROLLER_PORT,
                KafkaEndpoints.CLIENT_PORT);
        nodes.awaitBrokers(nodes.replicas(), Duration.ofSeconds(120));

        try (Admin admin = nodes.admin(nodes.bootstrapServers())) {
            assertTrue(admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(topic),
                    "the topic is still there after every node restarted");
        }
        Properties props = clientProperties();
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "restart-check");
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            List<String> values = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (values.isEmpty() && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(500)).forEach(record -> values.add(record.value()));
            }
            assertEquals(List.of("written before the restart"), values);
        }
    }

    private Properties clientProperties() {
        Properties props = new Properties();
        props.putAll(nodes.clientProperties(common.cluster.ClusterCredentials.ADMIN_SECRET));
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, nodes.bootstrapServers());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "60000");
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "20000");
        return props;
    }

    Set<Integer> expectedIds() {
        return java.util.stream.IntStream.range(0, profile().replicas).boxed().collect(Collectors.toSet());
    }
}
