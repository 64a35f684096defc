package tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import common.cluster.ClusterProfile;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** The prod profile's three nodes form one quorum, replicate three ways and survive losing a node. */
class ProdKafkaClusterTest extends KafkaClusterContract {
    @Override
    ClusterProfile profile() {
        return ClusterProfile.PROD;
    }

    @Test
    void aTopicWithTheClusterDefaultsIsReplicatedThreeWaysAndStaysWritableWithOneNodeDown() throws Exception {
        String topic = "prod.defaults";
        try (Admin admin = nodes.admin(nodes.bootstrapServers())) {
            // No replication factor and no configs given: the cluster's defaults decide.
            admin.createTopics(List.of(new NewTopic(topic, java.util.Optional.of(3), java.util.Optional.empty())))
                    .all().get(30, TimeUnit.SECONDS);
            TopicDescription description = describeWhenKnown(admin, topic);
            description.partitions().forEach(p -> assertEquals(3, p.replicas().size(), p.toString()));
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            Config config = admin.describeConfigs(List.of(resource)).all().get(20, TimeUnit.SECONDS).get(resource);
            assertEquals("2", config.get("min.insync.replicas").value());
        }

        nodes.stop(2);
        try {
            Properties props = new Properties();
            props.putAll(nodes.clientProperties(common.cluster.ClusterCredentials.ADMIN_SECRET));
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, nodes.clientAddress(0) + "," + nodes.clientAddress(1));
            props.put(ProducerConfig.ACKS_CONFIG, "all");
            props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "60000");
            props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "20000");
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(),
                    new StringSerializer())) {
                for (int partition = 0; partition < 3; partition++) {
                    producer.send(new ProducerRecord<>(topic, partition, "k", "written with a node down"))
                            .get(60, TimeUnit.SECONDS);
                }
            }
        } finally {
            nodes.restart(2);
            nodes.awaitBrokers(3, Duration.ofSeconds(120));
        }
    }

    private static TopicDescription describeWhenKnown(Admin admin, String topic) throws Exception {
        // Right after creation the metadata may lag briefly: poll, bounded.
        Exception last = null;
        for (int attempt = 0; attempt < 40; attempt++) {
            try {
                Map<String, TopicDescription> found = admin.describeTopics(List.of(topic)).allTopicNames()
                        .get(10, TimeUnit.SECONDS);
                return found.get(topic);
            } catch (Exception e) {
                last = e;
                Thread.sleep(250);
            }
        }
        throw last;
    }
}
