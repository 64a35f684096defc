package tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import common.cluster.AccessRules;
import common.cluster.ClusterCredentials;
import common.cluster.ClusterProfile;
import common.cluster.ClusterSecurity;
import common.cluster.KafkaEndpoints;
import common.cluster.KafkaManifests;
import common.cluster.certificates.ClusterCertificates;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
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
 * {@code deploy prod --security tls} on three real nodes started from the rendered pods, with the Secrets deploy made
 * mounted as the kubelet mounts them: mutual TLS between the nodes, SCRAM-SHA-512 over TLS for clients, ACLs. The
 * tool's own commands find the admin credentials through the Kubernetes API (and the Roles it prints); the
 * LearnFlow user may do what the services need and nothing else; everyone else is refused, each with Kafka's error.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SecureClusterTest {
    @RegisterExtension
    static final ApiServer api = new ApiServer();
    private static final String LEARNFLOW_TOPIC = "learning.concept.request";
    private KafkaNodes nodes;
    private ClusterModel model;
    private Scripts.Result firstDeploy;

    @BeforeAll
    void start() throws Exception {
        firstDeploy = deploy("--security", "tls", "--no-wait");
        assertEquals(0, firstDeploy.exitCode(), firstDeploy.toString());
        nodes = KafkaNodes.startSecure(new KafkaManifests(ClusterProfile.PROD, "kafka", KafkaManifests.DEFAULT_IMAGE,
                null, null).withSecurity(ClusterSecurity.TLS), api.client());
        model = new ClusterModel(api, "kafka", nodes);
    }

    @AfterAll
    void stop() throws Exception {
        ClusterModel.stop(model, nodes);
    }

    @Test
    @Order(1)
    void deployMakesTheCertificatesAndPasswordsOnceAndNeverShowsThem() {
        assertTrue(firstDeploy.stdout().contains("; 5 Secrets made;"), firstDeploy.stdout());
        for (String name : ClusterCredentials.secretNames()) {
            assertTrue(api.client().secrets().inNamespace("kafka").withName(name).get() != null, name);
        }
        String admin = password(ClusterCredentials.ADMIN_SECRET);
        String app = password(ClusterCredentials.APP_SECRET);
        assertEquals(32, admin.length());
        assertFalse(admin.equals(app));
        for (Scripts.Result result : List.of(firstDeploy, deploy("--security", "tls", "--dry-run"))) {
            assertFalse(result.stdout().contains(admin) || result.stderr().contains(admin), "admin password shown");
            assertFalse(result.stdout().contains("PRIVATE KEY"), "a private key shown");
        }
        String nodePem = KafkaNodes.decoded(api.client().secrets().inNamespace("kafka")
                .withName(ClusterCredentials.NODE_SECRET).get()).get(ClusterCredentials.NODE_KEY_STORE);
        String certificate = nodePem.substring(nodePem.indexOf("-----BEGIN CERTIFICATE-----"));
        assertTrue(ClusterCertificates.dnsNames(certificate).containsAll(List.of(
                "*.kafka-headless.kafka.svc.cluster.local", "kafka.kafka.svc", "localhost")),
                ClusterCertificates.dnsNames(certificate).toString());
        assertTrue(common.kafka.BrokerCertificate.notAfter(certificate).isAfter(Instant.now().plus(
                Duration.ofDays(360))));
    }

    /** The second deploy remembers the security, lets the LearnFlow user in (through port-forwards), and ends. */
    @Test
    @Order(2)
    void deployGrantsTheLearnFlowUserOnceThenHasNothingToDo() {
        api.enforce(new RbacPolicy("platform", List.of(AccessRules.deployRole("kafka"))));
        Scripts.Result granted;
        try {
            granted = deploy("--timeout", "300s");
            assertTrue(api.requests().stream().allMatch(Map.Entry::getValue), api.requests().toString());
        } finally {
            api.enforce(null);
        }
        assertEquals(0, granted.exitCode(), granted.toString());
        Scripts.Result again = deploy("--plan");
        assertEquals(0, again.exitCode(), again.toString());
        assertTrue(again.stdout().contains("nothing to do"), again.stdout());
        Scripts.Result open = deploy("--security", "none", "--plan");
        assertEquals(1, open.exitCode(), open.toString());
        assertTrue(open.stderr().contains("this cluster runs --security tls; changing it to none in place is not "
                + "supported: nothing changed"), open.stderr());
    }

    /** create_topics and verify, as a user bound to the printed use Role, with nothing more to type. */
    @Test
    @Order(3)
    void theToolsCommandsSignInThemselves() {
        api.enforce(new RbacPolicy("learnflow-dev", List.of(AccessRules.useRole("kafka"))));
        try {
            Scripts.Result topics = run("create_topics.java");
            assertEquals(0, topics.exitCode(), topics.toString());
            Scripts.Result verify = run("verify.java", "--json");
            assertEquals(0, verify.exitCode(), verify.toString());
            assertEquals("healthy", JsonResult.parse(verify).get("status"), verify.stdout());
            assertTrue(api.requests().stream().allMatch(Map.Entry::getValue), api.requests().toString());
        } finally {
            api.enforce(null);
        }
    }

    @Test
    @Order(4)
    void theLearnFlowUserReadsAndWritesItsTopicsWithItsGroups() throws Exception {
        try (KafkaProducer<String, String> producer = producer(ClusterCredentials.APP_SECRET)) {
            producer.send(new ProducerRecord<>(LEARNFLOW_TOPIC, "k", "hello")).get(30, TimeUnit.SECONDS);
        }
        try (KafkaConsumer<String, String> consumer = consumer(ClusterCredentials.APP_SECRET, "learnflow-tutor")) {
            consumer.subscribe(List.of(LEARNFLOW_TOPIC));
            List<String> read = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (read.isEmpty() && System.nanoTime() < deadline) {
                ConsumerRecords<String, String> records = consumer.poll(Duration.ofSeconds(1));
                records.forEach(record -> read.add(record.value()));
            }
            assertEquals(List.of("hello"), read);
        }
    }

    @Test
    @Order(5)
    void theLearnFlowUserMayDoNothingElse() throws Exception {
        try (Admin admin = nodes.admin(nodes.bootstrapServers())) {
            admin.createTopics(List.of(new NewTopic("payments", 1, (short) 3))).all().get(30, TimeUnit.SECONDS);
        }
        try (KafkaProducer<String, String> producer = producer(ClusterCredentials.APP_SECRET)) {
            ExecutionException refused = assertThrows(ExecutionException.class, () -> producer.send(
                    new ProducerRecord<>("payments", "k", "v")).get(30, TimeUnit.SECONDS));
            assertInstanceOf(TopicAuthorizationException.class, refused.getCause());
            assertTrue(refused.getCause().getMessage().contains("Not authorized to access topics: [payments]"),
                    refused.getCause().getMessage());
        }
        try (Admin app = admin(ClusterCredentials.APP_SECRET)) {
            ExecutionException refused = assertThrows(ExecutionException.class, () -> app.deleteTopics(List.of(
                    LEARNFLOW_TOPIC)).all().get(30, TimeUnit.SECONDS));
            assertInstanceOf(TopicAuthorizationException.class, refused.getCause());
        }
        try (KafkaConsumer<String, String> consumer = consumer(ClusterCredentials.APP_SECRET, "analytics")) {
            consumer.subscribe(List.of(LEARNFLOW_TOPIC));
            GroupAuthorizationException refused = assertThrows(GroupAuthorizationException.class,
                    () -> consumer.poll(Duration.ofSeconds(30)));
            assertTrue(refused.getMessage().contains("analytics"), refused.getMessage());
        }
    }

    @Test
    @Order(6)
    void everyoneElseIsRefused() throws Exception {
        Map<String, Object> wrongPassword = new HashMap<>(nodes.clientProperties(ClusterCredentials.APP_SECRET));
        wrongPassword.put("sasl.jaas.config", ClusterCredentials.jaasConfig(ClusterCredentials.APP_USER, "guess"));
        Throwable refused = describeCluster(wrongPassword, nodes.bootstrapServers());
        assertInstanceOf(SaslAuthenticationException.class, refused, String.valueOf(refused));
        assertTrue(refused.getMessage().contains("invalid credentials with SASL mechanism SCRAM-SHA-512"),
                refused.getMessage());

        Map<String, Object> trustingAnotherCa = new HashMap<>(nodes.clientProperties(ClusterCredentials.APP_SECRET));
        trustingAnotherCa.put("ssl.truststore.certificates", ClusterCertificates.newCa("elsewhere", Instant.now())
                .certificate());
        refused = describeCluster(trustingAnotherCa, nodes.bootstrapServers());
        assertInstanceOf(SslAuthenticationException.class, refused, String.valueOf(refused));
        assertTrue(refused.getMessage().contains("SSL handshake failed"), refused.getMessage());

        // Plaintext to a TLS listener: the broker never answers a request, so the client gets only its timeout.
        refused = describeCluster(Map.of(), nodes.bootstrapServers());
        assertInstanceOf(org.apache.kafka.common.errors.TimeoutException.class, refused, String.valueOf(refused));

        // The nodes' own listeners want the cluster's certificate: trusting the CA is not enough.
        Map<String, Object> noCertificate = new HashMap<>(Map.of("security.protocol", "SSL",
                "ssl.truststore.type", "PEM", "ssl.truststore.certificates", KafkaNodes.decoded(api.client()
                        .secrets().inNamespace("kafka").withName(ClusterCredentials.CA_CERT_SECRET).get())
                        .get(ClusterCredentials.CA_CERTIFICATE)));
        refused = describeCluster(noCertificate, nodes.replicationAddress(0));
        assertInstanceOf(SslAuthenticationException.class, refused, String.valueOf(refused));

        // A would-be node with a certificate of another CA, for every name the real one has: the controllers
        // refuse it, so it can neither vote nor fetch the metadata.
        var otherCa = ClusterCertificates.newCa("impostor", Instant.now());
        var impostor = ClusterCertificates.newNodeCertificate(otherCa, ClusterCredentials.nodeDnsNames("kafka",
                KafkaEndpoints.DEFAULT_CLUSTER_DOMAIN), Instant.now());
        Map<String, Object> foreignNode = new HashMap<>(noCertificate);
        foreignNode.put("ssl.keystore.type", "PEM");
        foreignNode.put("ssl.keystore.key", impostor.privateKey());
        foreignNode.put("ssl.keystore.certificate.chain", impostor.certificate() + otherCa.certificate());
        refused = describeCluster(foreignNode, nodes.controllerAddress(0));
        assertInstanceOf(SslAuthenticationException.class, refused, String.valueOf(refused));
    }

    /**
     * A node certificate that expires within 30 days: deploy issues a new one from the same CA and rolls every
     * broker onto it; the brokers then serve it, and clients that trust the CA keep working.
     */
    @Test
    @Order(7)
    void deployRenewsACertificateDueAndRollsOntoIt() throws Exception {
        Instant served = Instant.parse((String) JsonResult.parse(run("verify.java", "--json"))
                .get("certificateExpires"));
        Map<String, String> caSecret = KafkaNodes.decoded(api.client().secrets().inNamespace("kafka")
                .withName(ClusterCredentials.CA_SECRET).get());
        var ca = new ClusterCertificates.Issued(caSecret.get(ClusterCredentials.CA_CERTIFICATE),
                caSecret.get(ClusterCredentials.CA_KEY));
        var expiring = ClusterCertificates.newNodeCertificate(ca, ClusterCredentials.nodeDnsNames("kafka",
                KafkaEndpoints.DEFAULT_CLUSTER_DOMAIN), Instant.now().minus(Duration.ofDays(355)));
        api.client().secrets().inNamespace("kafka").withName(ClusterCredentials.NODE_SECRET).edit(secret ->
                new io.fabric8.kubernetes.api.model.SecretBuilder(secret).withData(null).withStringData(Map.of(
                        ClusterCredentials.NODE_KEY_STORE, expiring.keyStore(ca.certificate()),
                        ClusterCredentials.CA_CERTIFICATE, ca.certificate())).build());
        // kafka-0 restarted (as any pod may be) serves it: verify, which asks kafka-0 first, says a renewal is due.
        int starts = nodes.starts(0);
        api.client().pods().inNamespace("kafka").withName("kafka-0").delete();
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (!(nodes.starts(0) > starts && nodes.accepts(0, KafkaEndpoints.CLIENT_PORT))
                && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        Scripts.Result due = run("verify.java", "--wait", "--timeout", "120s");
        assertEquals(0, due.exitCode(), due.toString());
        assertTrue(due.stdout().matches("(?s).*; the brokers' certificate expires in \\d days: deploy renews it\n"),
                due.stdout());

        Scripts.Result planned = deploy("--plan");
        assertEquals(4, planned.exitCode(), planned.toString());
        assertTrue(planned.stdout().contains("renew the node certificate (expires "), planned.stdout());
        Scripts.Result renewed = deploy("--timeout", "400s");
        assertEquals(0, renewed.exitCode(), renewed.toString());
        assertTrue(renewed.stdout().contains("; rolled 3;"), renewed.stdout());
        Instant now = Instant.parse((String) JsonResult.parse(run("verify.java", "--json"))
                .get("certificateExpires"));
        assertTrue(now.isAfter(served), "a new certificate served: " + served + " then " + now);
        assertEquals(0, deploy("--plan").exitCode(), "renewed once");
        try (KafkaProducer<String, String> producer = producer(ClusterCredentials.APP_SECRET)) {
            producer.send(new ProducerRecord<>(LEARNFLOW_TOPIC, "k", "after the renewal")).get(30, TimeUnit.SECONDS);
        }
        model.check();
    }

    /**
     * get_connection --client-config: the Java properties and the Dapr component name where the password and the
     * CA are; with --show-password the properties hold the password, and work as printed (with the addresses of
     * this machine and the CA where the comment says to mount it).
     */
    @Test
    @Order(8)
    void getConnectionPrintsAClientConfigThatWorks() throws Exception {
        String password = password(ClusterCredentials.APP_SECRET);
        api.enforce(new RbacPolicy("learnflow-dev", List.of(AccessRules.useRole("kafka"))));
        try {
            Scripts.Result java = run("get_connection.java", "--client-config", "java");
            assertEquals(0, java.exitCode(), java.toString());
            assertTrue(java.stdout().contains("security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\n"),
                    java.stdout());
            Scripts.Result dapr = run("get_connection.java", "--client-config", "dapr", "--json");
            assertEquals(0, dapr.exitCode(), dapr.toString());
            Map<String, Object> json = JsonResult.parse(dapr);
            assertEquals(Map.of("name", "learnflow", "key", "password"), json.get("passwordSecret"), dapr.stdout());
            assertEquals("SCRAM-SHA-512", json.get("saslMechanism"));
            assertTrue(((String) json.get("clientConfig")).contains("type: pubsub.kafka"), dapr.stdout());
            Scripts.Result refused = run("get_connection.java", "--client-config", "java", "--show-password");
            assertEquals(1, refused.exitCode(), refused.toString());
            assertTrue(refused.stderr().contains("cannot get resource \"secrets\""), refused.stderr());
            for (Scripts.Result result : List.of(java, dapr, refused)) {
                assertFalse(result.stdout().contains(password) || result.stderr().contains(password));
            }
        } finally {
            api.enforce(null);
        }
        Scripts.Result shown = run("get_connection.java", "--client-config", "java", "--show-password");
        assertEquals(0, shown.exitCode(), shown.toString());
        Properties printed = new Properties();
        printed.load(new java.io.StringReader(shown.stdout()));
        assertTrue(printed.getProperty("sasl.jaas.config").contains(password));
        java.nio.file.Path ca = java.nio.file.Files.createTempFile("ca", ".crt");
        java.nio.file.Files.writeString(ca, KafkaNodes.decoded(api.client().secrets().inNamespace("kafka")
                .withName(ClusterCredentials.CA_CERT_SECRET).get()).get(ClusterCredentials.CA_CERTIFICATE));
        printed.put("bootstrap.servers", nodes.bootstrapServers());
        printed.put("ssl.truststore.location", ca.toString());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(printed, new StringSerializer(),
                new StringSerializer())) {
            producer.send(new ProducerRecord<>(LEARNFLOW_TOPIC, "k", "from the printed config"))
                    .get(30, TimeUnit.SECONDS);
        }
    }

    private Throwable describeCluster(Map<String, Object> settings, String bootstrap) {
        Properties props = new Properties();
        props.putAll(settings);
        props.put("bootstrap.servers", bootstrap);
        props.put("default.api.timeout.ms", "8000");
        props.put("request.timeout.ms", "4000");
        try (Admin admin = Admin.create(props)) {
            admin.describeCluster().nodes().get(15, TimeUnit.SECONDS);
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            return e;
        }
    }

    private Admin admin(String userSecret) {
        Properties props = new Properties();
        props.putAll(nodes.clientProperties(userSecret));
        props.put("bootstrap.servers", nodes.bootstrapServers());
        return Admin.create(props);
    }

    private KafkaProducer<String, String> producer(String userSecret) {
        Properties props = new Properties();
        props.putAll(nodes.clientProperties(userSecret));
        props.put("bootstrap.servers", nodes.bootstrapServers());
        props.put("max.block.ms", "30000");
        return new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
    }

    private KafkaConsumer<String, String> consumer(String userSecret, String group) {
        Properties props = new Properties();
        props.putAll(nodes.clientProperties(userSecret));
        props.put("bootstrap.servers", nodes.bootstrapServers());
        props.put("group.id", group);
        props.put("auto.offset.reset", "earliest");
        return new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer());
    }

    private static String password(String secret) {
        return KafkaNodes.decoded(api.client().secrets().inNamespace("kafka").withName(secret).get())
                .get(ClusterCredentials.PASSWORD);
    }

    private Scripts.Result run(String script, String... args) {
        return Scripts.run(api.environment(), Duration.ofMinutes(5), script, args);
    }

    private Scripts.Result deploy(String... args) {
        List<String> all = new ArrayList<>(List.of("prod", "-n", "kafka"));
        all.addAll(List.of(args));
        return Scripts.run(api.environment(), Duration.ofMinutes(8), "deploy.java", all.toArray(String[]::new));
    }
}
