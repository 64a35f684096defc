package common.cluster;

import io.fabric8.kubernetes.api.model.KeyToPathBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * How a cluster's listeners authenticate and encrypt. {@link #TLS}: TLS on every listener; the nodes present one
 * certificate of the cluster's own CA to each other (mutual TLS on the controller and replication listeners);
 * clients authenticate with SCRAM-SHA-512 on the client and port-forward listeners; Kafka's StandardAuthorizer
 * allows nothing without an ACL, except to the nodes and the tool's admin user. {@link #NONE}: plaintext and open.
 */
public enum ClusterSecurity {
    NONE,
    TLS;

    /** Where the node certificate's Secret is mounted: {@link ClusterCredentials#NODE_KEY_STORE} and the CA. */
    public static final String TLS_MOUNT = "/etc/kafka/tls";
    /** Where the admin user's password is mounted, for the format that creates the user at the first start. */
    public static final String ADMIN_MOUNT = "/etc/kafka/admin";
    public static final String MECHANISM = "SCRAM-SHA-512";
    static final String LISTENER_MAP = "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP";
    private static final String SCRAM_LOGIN = "org.apache.kafka.common.security.scram.ScramLoginModule required;";
    /** The image's variable for a listener's property: {@code ___} becomes {@code -}, {@code __} {@code _}. */
    private static final String SCRAM_JAAS_SUFFIX = "_SCRAM___SHA___512_SASL_JAAS_CONFIG";
    /** Secret volumes are owned by root: group-readable, the pod's fsGroup reads them; no one else. */
    private static final int SECRET_MODE = 0440;

    /**
     * On a secure cluster's volume claim template: volumes outliving their StatefulSet say that their first format
     * created the admin user.
     */
    public static final String LABEL = "kafka-k8s-setup/security";

    /** The security a volume was formatted for: only secure clusters label their claims. */
    public static ClusterSecurity of(io.fabric8.kubernetes.api.model.PersistentVolumeClaim claim) {
        Map<String, String> labels = claim.getMetadata() == null ? null : claim.getMetadata().getLabels();
        return labels != null && TLS.id().equals(labels.get(LABEL)) ? TLS : NONE;
    }

    /** The security a deployed StatefulSet runs. */
    public static ClusterSecurity of(StatefulSet deployed) {
        String map = KafkaManifests.environmentOf(deployed, LISTENER_MAP);
        return map != null && map.contains("SASL_SSL") ? TLS : NONE;
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static String choices() {
        return Arrays.stream(values()).map(ClusterSecurity::id).collect(Collectors.joining(", "));
    }

    public static ClusterSecurity parse(String text) {
        return Arrays.stream(values()).filter(security -> security.id().equalsIgnoreCase(text)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown security '" + text + "' (valid: "
                        + choices() + ")"));
    }

    /** The listener the brokers replicate on: the client listener when open, its own mutual-TLS one when secure. */
    public String interBrokerListener() {
        return this == TLS ? "REPLICATION" : "PLAINTEXT";
    }

    /** The client listener's name: PLAINTEXT as open clusters were deployed, CLIENT when secure. */
    private String clientListener() {
        return this == TLS ? "CLIENT" : "PLAINTEXT";
    }

    /** The listeners' server properties, as the image's variables. */
    void addEnvironment(Map<String, String> env) {
        String client = clientListener();
        String replication = this == TLS ? "REPLICATION://:" + KafkaEndpoints.REPLICATION_PORT + "," : "";
        env.put("KAFKA_LISTENERS", replication + client + "://:" + KafkaEndpoints.CLIENT_PORT
                + ",CONTROLLER://:" + KafkaEndpoints.CONTROLLER_PORT
                + ",PORT_FORWARD://:" + KafkaEndpoints.PORT_FORWARD_PORT);
        env.put(LISTENER_MAP, this == TLS
                ? "REPLICATION:SSL,CLIENT:SASL_SSL,CONTROLLER:SSL,PORT_FORWARD:SASL_SSL"
                : "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,PORT_FORWARD:PLAINTEXT");
        env.put("KAFKA_INTER_BROKER_LISTENER_NAME", interBrokerListener());
        if (this == NONE) {
            return;
        }
        // PEM files: Kafka reads an unencrypted PKCS#8 key without any password in server.properties.
        env.put("KAFKA_SSL_KEYSTORE_TYPE", "PEM");
        env.put("KAFKA_SSL_KEYSTORE_LOCATION", TLS_MOUNT + "/" + ClusterCredentials.NODE_KEY_STORE);
        env.put("KAFKA_SSL_TRUSTSTORE_TYPE", "PEM");
        env.put("KAFKA_SSL_TRUSTSTORE_LOCATION", TLS_MOUNT + "/" + ClusterCredentials.CA_CERTIFICATE);
        env.put("KAFKA_LISTENER_NAME_REPLICATION_SSL_CLIENT_AUTH", "required");
        env.put("KAFKA_LISTENER_NAME_CONTROLLER_SSL_CLIENT_AUTH", "required");
        env.put("KAFKA_SASL_ENABLED_MECHANISMS", MECHANISM);
        // SCRAM's server side needs its login module named; the credentials themselves live in the metadata log.
        env.put("KAFKA_LISTENER_NAME_CLIENT" + SCRAM_JAAS_SUFFIX, SCRAM_LOGIN);
        env.put("KAFKA_LISTENER_NAME_PORT__FORWARD" + SCRAM_JAAS_SUFFIX, SCRAM_LOGIN);
        env.put("KAFKA_AUTHORIZER_CLASS_NAME", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        env.put("KAFKA_SUPER_USERS", "User:" + ClusterCredentials.NODE_SUBJECT + ";User:"
                + ClusterCredentials.ADMIN_USER);
    }

    /** What each listener advertises; {@code host} is the pod's DNS name (shell text). */
    String advertisedListeners(String host, boolean controller) {
        return (this == TLS ? "REPLICATION://" + host + ":" + KafkaEndpoints.REPLICATION_PORT + "," : "")
                + clientListener() + "://" + host + ":" + KafkaEndpoints.CLIENT_PORT
                + (controller ? ",CONTROLLER://" + host + ":" + KafkaEndpoints.CONTROLLER_PORT : "")
                + ",PORT_FORWARD://localhost:$((" + KafkaEndpoints.PORT_FORWARD_BASE + " + ordinal))";
    }

    /** The Secrets the pods mount. */
    List<Volume> volumes() {
        if (this == NONE) {
            return List.of();
        }
        return List.of(
                new VolumeBuilder().withName("tls").withNewSecret().withSecretName(ClusterCredentials.NODE_SECRET)
                        .withDefaultMode(SECRET_MODE).endSecret().build(),
                new VolumeBuilder().withName("admin").withNewSecret().withSecretName(ClusterCredentials.ADMIN_SECRET)
                        .withItems(new KeyToPathBuilder().withKey(ClusterCredentials.PASSWORD)
                                .withPath(ClusterCredentials.PASSWORD).build())
                        .withDefaultMode(SECRET_MODE).endSecret().build());
    }

    List<VolumeMount> volumeMounts() {
        if (this == NONE) {
            return List.of();
        }
        return List.of(
                new VolumeMountBuilder().withName("tls").withMountPath(TLS_MOUNT).withReadOnly(true).build(),
                new VolumeMountBuilder().withName("admin").withMountPath(ADMIN_MOUNT).withReadOnly(true).build());
    }

    /**
     * What a dynamic node's first format adds: the admin user, so that the tool can sign in from the first
     * start. Its password is read into a Java argument file, never onto a command line.
     */
    public String formatScram() {
        return this == TLS ? "--add-scram " + MECHANISM + "=[name=" + ClusterCredentials.ADMIN_USER
                + ",password=$(cat " + ADMIN_MOUNT + "/" + ClusterCredentials.PASSWORD + ")]" : "";
    }
}
