package common.cluster;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The Secrets of a secure cluster and what their keys hold. User Secrets follow Strimzi's {@code KafkaUser} layout
 * ({@code password}, {@code sasl.jaas.config}); the CA certificate has a Secret of its own that clients may read,
 * apart from the CA's key, which only deploy reads (to renew the node certificate).
 */
public final class ClusterCredentials {
    /** The CA's certificate and key: only deploy reads it. */
    public static final String CA_SECRET = KafkaEndpoints.CLUSTER_NAME + "-cluster-ca";
    /** The CA's certificate alone, for clients. */
    public static final String CA_CERT_SECRET = KafkaEndpoints.CLUSTER_NAME + "-cluster-ca-cert";
    /** The nodes' key store and the CA, mounted into every pod. */
    public static final String NODE_SECRET = KafkaEndpoints.CLUSTER_NAME + "-node-tls";
    public static final String ADMIN_USER = "admin";
    /** The tool's own user: a super user, created by the first format. */
    public static final String ADMIN_SECRET = KafkaEndpoints.CLUSTER_NAME + "-" + ADMIN_USER;
    /** LearnFlow's services' user: read and write on the LearnFlow topics, its own consumer groups. */
    public static final String APP_USER = "learnflow";
    public static final String APP_SECRET = APP_USER;
    public static final String CA_CERTIFICATE = "ca.crt";
    public static final String CA_KEY = "ca.key";
    /** Key, certificate and CA in one PEM file: what a Kafka PEM key store reads. */
    public static final String NODE_KEY_STORE = "node.pem";
    public static final String PASSWORD = "password";
    public static final String JAAS_CONFIG = "sasl.jaas.config";
    /** The node certificate's subject: the nodes' principal is {@code User:CN=kafka-node}. */
    public static final String NODE_SUBJECT = "CN=kafka-node";
    /** On the app user's Secret once its ACLs are in place: a deploy interrupted before that grants them again. */
    public static final String GRANTED = "kafka-k8s-setup/acls-granted";
    private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private static final SecureRandom RANDOM = new SecureRandom();

    private ClusterCredentials() {
    }

    /**
     * What an application namespace gets a copy of (pods reference Secrets of their own namespace only): the
     * LearnFlow user's sign-in and the CA certificate, never the CA's key or the admin's password.
     */
    public static final List<String> COPIED = List.of(APP_SECRET, CA_CERT_SECRET);
    /** On a copy: the Secret it copies, {@code namespace/name}. */
    public static final String COPIED_FROM = "kafka-k8s-setup/copied-from";

    /** A copy of {@code source} for namespace {@code namespace}: the same keys and values. */
    public static Secret copy(Secret source, String namespace) {
        return new SecretBuilder().withNewMetadata().withName(source.getMetadata().getName())
                .withNamespace(namespace).withLabels(KafkaManifests.labels())
                .withAnnotations(Map.of(COPIED_FROM, source.getMetadata().getNamespace() + "/"
                        + source.getMetadata().getName())).endMetadata()
                .withType("Opaque").withData(source.getData()).withStringData(source.getStringData()).build();
    }

    /** Whether a copy holds what its source holds (both as read from the API server). */
    public static boolean sameKeys(Secret source, Secret copy) {
        Map<String, String> wanted = new TreeMap<>();
        Map<String, String> held = new TreeMap<>();
        for (String key : keys(source)) {
            wanted.put(key, value(source, key));
        }
        for (String key : keys(copy)) {
            held.put(key, value(copy, key));
        }
        return wanted.equals(held);
    }

    private static java.util.Set<String> keys(Secret secret) {
        java.util.Set<String> keys = new java.util.TreeSet<>();
        if (secret.getData() != null) {
            keys.addAll(secret.getData().keySet());
        }
        if (secret.getStringData() != null) {
            keys.addAll(secret.getStringData().keySet());
        }
        return keys;
    }

    /** Every Secret a secure cluster needs, in the order deploy creates them. */
    public static List<String> secretNames() {
        return List.of(CA_SECRET, CA_CERT_SECRET, NODE_SECRET, ADMIN_SECRET, APP_SECRET);
    }

    /**
     * A new random password: 32 letters and digits (190 bits), nothing a shell, an argument file or a JAAS line
     * would have to quote.
     */
    public static String newPassword() {
        StringBuilder password = new StringBuilder(32);
        for (int i = 0; i < 32; i++) {
            password.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
        }
        return password.toString();
    }

    /** The JAAS line a Kafka client signs in with. */
    public static String jaasConfig(String user, String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user
                + "\" password=\"" + password + "\";";
    }

    /** A user's Secret. */
    public static Secret userSecret(String namespace, String secretName, String user, String password) {
        return secret(namespace, secretName, Map.of(PASSWORD, password, JAAS_CONFIG, jaasConfig(user, password)));
    }

    public static Secret secret(String namespace, String name, Map<String, String> data) {
        return new SecretBuilder().withNewMetadata().withName(name).withNamespace(namespace)
                .withLabels(KafkaManifests.labels()).endMetadata()
                .withType("Opaque").withStringData(new TreeMap<>(data)).build();
    }

    /**
     * A Kafka client's settings to sign in as a user over TLS, trusting only the cluster's CA: the password and the
     * CA stay in memory, never in a file or on a command line.
     */
    public static Map<String, Object> clientProperties(String jaasConfig, String caCertificate) {
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("security.protocol", "SASL_SSL");
        properties.put("sasl.mechanism", ClusterSecurity.MECHANISM);
        properties.put("sasl.jaas.config", jaasConfig);
        properties.put("ssl.truststore.type", "PEM");
        properties.put("ssl.truststore.certificates", caCertificate);
        return properties;
    }

    /** The DNS names the node certificate covers: every pod, the Services, and localhost for port-forwards. */
    public static List<String> nodeDnsNames(String namespace, String clusterDomain) {
        String service = KafkaEndpoints.CLIENT_SERVICE + "." + namespace;
        String headless = KafkaEndpoints.HEADLESS_SERVICE + "." + namespace;
        return List.of("*." + headless + ".svc." + clusterDomain, "*." + headless + ".svc",
                service + ".svc." + clusterDomain, service + ".svc", service, "localhost");
    }

    /** A key of a Secret read from the API server (base64 data) or built here (string data). */
    public static String value(Secret secret, String key) {
        if (secret.getStringData() != null && secret.getStringData().containsKey(key)) {
            return secret.getStringData().get(key);
        }
        String encoded = secret.getData() == null ? null : secret.getData().get(key);
        if (encoded == null) {
            throw new IllegalArgumentException("Secret " + secret.getMetadata().getName() + " has no key " + key);
        }
        return new String(java.util.Base64.getDecoder().decode(encoded), java.nio.charset.StandardCharsets.UTF_8);
    }
}
