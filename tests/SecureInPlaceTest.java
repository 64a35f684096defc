package tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import common.cluster.AccessRules;
import common.cluster.ClusterCredentials;
import common.cluster.ClusterProfile;
import common.cluster.ClusterSecurity;
import common.cluster.KafkaManifests;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
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
import tests.support.RbacPolicy;
import tests.support.Scripts;

/**
 * An open prod cluster (deployed with {@code --security none}, as every prod cluster was before prod became secure)
 * turned secure in place by {@code deploy prod --security tls}, on three real nodes whose pods mount the Secrets
 * deploy makes: only when asked, said in one line, every record kept, the tool's commands signed in by themselves,
 * plaintext refused from then on.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SecureInPlaceTest {
    @RegisterExtension
    static final ApiServer api = new ApiServer();
    private static final String TOPIC = "written.while.open";
    private KafkaNodes nodes;
    private ClusterModel model;

    @BeforeAll
    void start() throws Exception {
        Scripts.Result open = deploy("--security", "none", "--no-wait");
        assertEquals(0, open.exitCode(), open.toString());
        nodes = KafkaNodes.startSecure(new KafkaManifests(ClusterProfile.PROD, "kafka", KafkaManifests.DEFAULT_IMAGE,
                null, null).withSecurity(ClusterSecurity.NONE), api.client());
        model = new ClusterModel(api, "kafka", nodes);
        Scripts.Result formed = deploy("--timeout", "300s");
        assertEquals(0, formed.exitCode(), formed.toString());
    }

    @AfterAll
    void stop() throws Exception {
        ClusterModel.stop(model, nodes);
    }

    @Test
    @Order(1)
    void aPlainDeployKeepsTheClusterOpen() {
        Scripts.Result plan = deploy("--plan");
        assertEquals(0, plan.exitCode(), plan.toString());
        assertTrue(plan.stdout().contains("nothing to do"), plan.stdout());
    }

    @Test
    @Order(2)
    void securityIsTurnedOnInPlaceAndEveryRecordIsKept() throws Exception {
        try (Admin admin = Admin.create(settings(Map.of()))) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 3, (short) 3))).all().get(30, TimeUnit.SECONDS);
        }
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerSettings(Map.of()),
                new StringSerializer(), new StringSerializer())) {
            for (int partition = 0; partition < 3; partition++) {
                producer.send(new ProducerRecord<>(TOPIC, partition, "k", "open " + partition))
                        .get(60, TimeUnit.SECONDS);
            }
        }

        // As a platform engineer bound to the Role deploy --print-rbac prints.
        api.enforce(new RbacPolicy("platform", List.of(AccessRules.deployRole("kafka"))));
        Scripts.Result secured;
        try {
            secured = deploy("--security", "tls", "--timeout", "400s");
            assertTrue(api.requests().stream().allMatch(Map.Entry::getValue), api.requests().toString());
        } finally {
            api.enforce(null);
        }
        assertEquals(0, secured.exitCode(), secured.toString());
        assertEquals("deploy: warning: turning security on: every broker restarts at once onto TLS and SCRAM; "
                + "from then on each client needs a user's Secret (learnflow) and the CA's (kafka-cluster-ca-cert)",
                secured.stderr().lines().filter(line -> line.contains("turning security on")).findFirst()
                        .orElse(secured.stderr()));
        assertTrue(secured.stdout().contains("; rolled 3;"), secured.stdout());
        model.check();

        Scripts.Result verify = Scripts.run(api.environment(), Duration.ofMinutes(2), "verify.java", "--json");
        assertEquals(0, verify.exitCode(), verify.toString());
        assertEquals("SASL_SSL", JsonResult.parse(verify).get("securityProtocol"), verify.stdout());
        Map<String, Object> admin = nodes.clientProperties(ClusterCredentials.ADMIN_SECRET);
        assertEquals(List.of("open 0", "open 1", "open 2"), readAll(admin));

        Scripts.Result topics = Scripts.run(api.environment(), Duration.ofMinutes(2), "create_topics.java");
        assertEquals(0, topics.exitCode(), topics.toString());
        try (KafkaProducer<String, String> app = new KafkaProducer<>(producerSettings(nodes.clientProperties(
                ClusterCredentials.APP_SECRET)), new StringSerializer(), new StringSerializer())) {
            app.send(new ProducerRecord<>("learning.concept.request", "k", "secure")).get(60, TimeUnit.SECONDS);
        }
        // Plaintext to a TLS listener: the broker never answers a request.
        Properties plain = settings(Map.of());
        plain.put("default.api.timeout.ms", "8000");
        plain.put("request.timeout.ms", "4000");
        try (Admin open = Admin.create(plain)) {
            ExecutionException refused = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> open.describeCluster().nodes().get(15, TimeUnit.SECONDS));
            assertInstanceOf(org.apache.kafka.common.errors.TimeoutException.class, refused.getCause());
        }
        for (var claim : api.client().persistentVolumeClaims().inNamespace("kafka").list().getItems()) {
            assertEquals(ClusterSecurity.TLS, ClusterSecurity.of(claim), claim.getMetadata().getName()
                    + ": its metadata holds the admin user");
        }
    }

    @Test
    @Order(3)
    void theSecuredClusterThenHasNothingToDo() {
        for (Scripts.Result again : List.of(deploy("--plan"), deploy("--security", "tls", "--plan"))) {
            assertEquals(0, again.exitCode(), again.toString());
            assertTrue(again.stdout().contains("nothing to do"), again.stdout());
        }
    }

    private List<String> readAll(Map<String, Object> signIn) {
        Properties props = settings(signIn);
        props.put("group.id", "admin-check");
        props.put("auto.offset.reset", "earliest");
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new StringDeserializer())) {
            consumer.subscribe(List.of(TOPIC));
            List<String> values = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (values.size() < 3 && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(500)).forEach(record -> values.add(record.value()));
            }
            values.sort(null);
            return values;
        }
    }

    private Properties settings(Map<String, Object> signIn) {
        Properties props = new Properties();
        props.putAll(signIn);
        props.put("bootstrap.servers", nodes.bootstrapServers());
        return props;
    }

    private Properties producerSettings(Map<String, Object> signIn) {
        Properties props = settings(signIn);
        props.put("acks", "all");
        props.put("delivery.timeout.ms", "60000");
        return props;
    }

    private Scripts.Result deploy(String... args) {
        List<String> all = new ArrayList<>(List.of("prod", "-n", "kafka"));
        all.addAll(List.of(args));
        return Scripts.run(api.environment(), Duration.ofMinutes(8), "deploy.java", all.toArray(String[]::new));
    }
}
