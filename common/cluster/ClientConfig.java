package common.cluster;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A ready-to-paste client configuration for the LearnFlow services: Java client properties, or a Dapr pub/sub
 * component. On a secure cluster it signs in as the LearnFlow user; the password is named by its Secret, and written
 * out only when asked for.
 */
public enum ClientConfig {
    JAVA,
    DAPR;

    /** Where an application pod mounts Secret {@link ClusterCredentials#CA_CERT_SECRET} (Java's truststore file). */
    public static final String CA_MOUNT = "/etc/kafka-ca";

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static String choices() {
        return Arrays.stream(values()).map(ClientConfig::id).collect(Collectors.joining(", "));
    }

    public static ClientConfig parse(String text) {
        return Arrays.stream(values()).filter(kind -> kind.id().equalsIgnoreCase(text)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown client config '" + text + "' (valid: "
                        + choices() + ")"));
    }

    /** What a client needs to know, without the password: for {@code --json}. */
    public static Map<String, Object> facts(ClusterSecurity security) {
        Map<String, Object> facts = new LinkedHashMap<>();
        boolean secure = security == ClusterSecurity.TLS;
        facts.put("securityProtocol", secure ? "SASL_SSL" : "PLAINTEXT");
        facts.put("saslMechanism", secure ? ClusterSecurity.MECHANISM : null);
        facts.put("user", secure ? ClusterCredentials.APP_USER : null);
        facts.put("passwordSecret", secure ? Map.of("name", ClusterCredentials.APP_SECRET, "key",
                ClusterCredentials.PASSWORD) : null);
        facts.put("caSecret", secure ? Map.of("name", ClusterCredentials.CA_CERT_SECRET, "key",
                ClusterCredentials.CA_CERTIFICATE) : null);
        return facts;
    }

    /**
     * The configuration text. {@code password}: the LearnFlow user's, to write out; null to name its Secret instead.
     */
    public String render(String bootstrap, ClusterSecurity security, String password) {
        return this == JAVA ? javaProperties(bootstrap, security, password) : daprComponent(bootstrap, security,
                password);
    }

    private static String javaProperties(String bootstrap, ClusterSecurity security, String password) {
        StringBuilder text = new StringBuilder("bootstrap.servers=" + bootstrap + "\n");
        if (security != ClusterSecurity.TLS) {
            return text.toString();
        }
        text.append("security.protocol=SASL_SSL\n")
                .append("sasl.mechanism=").append(ClusterSecurity.MECHANISM).append('\n');
        if (password == null) {
            text.append("# sasl.jaas.config: the key ").append(ClusterCredentials.JAAS_CONFIG).append(" of Secret ")
                    .append(ClusterCredentials.APP_SECRET).append(" (--show-password writes it here)\n");
        } else {
            text.append("sasl.jaas.config=").append(ClusterCredentials.jaasConfig(ClusterCredentials.APP_USER,
                    password)).append('\n');
        }
        return text.append("# the cluster's CA: mount Secret ").append(ClusterCredentials.CA_CERT_SECRET)
                .append(" at ").append(CA_MOUNT).append('\n')
                .append("ssl.truststore.type=PEM\n")
                .append("ssl.truststore.location=").append(CA_MOUNT).append('/')
                .append(ClusterCredentials.CA_CERTIFICATE).append('\n')
                .append("# consumer groups: group.id=").append(ClusterCredentials.APP_USER).append("-<service>\n")
                .toString();
    }

    private static String daprComponent(String bootstrap, ClusterSecurity security, String password) {
        StringBuilder yaml = new StringBuilder("""
                apiVersion: dapr.io/v1alpha1
                kind: Component
                metadata:
                  name: kafka-pubsub
                spec:
                  type: pubsub.kafka
                  version: v1
                  metadata:
                  - name: brokers
                    value: "%s"
                """.formatted(bootstrap));
        if (security != ClusterSecurity.TLS) {
            return yaml.append("  - name: authType\n    value: \"none\"\n").toString();
        }
        yaml.append("""
                  - name: authType
                    value: "password"
                  - name: saslUsername
                    value: "%s"
                  - name: saslMechanism
                    value: "SHA-512"
                  - name: consumerID
                    value: "%s-{appID}"
                """.formatted(ClusterCredentials.APP_USER, ClusterCredentials.APP_USER));
        yaml.append(password == null ? """
                  - name: saslPassword
                    secretKeyRef:
                      name: %s
                      key: %s
                """.formatted(ClusterCredentials.APP_SECRET, ClusterCredentials.PASSWORD) : """
                  - name: saslPassword
                    value: "%s"
                """.formatted(password));
        return yaml.append("""
                  - name: caCert
                    secretKeyRef:
                      name: %s
                      key: %s
                """.formatted(ClusterCredentials.CA_CERT_SECRET, ClusterCredentials.CA_CERTIFICATE)).toString();
    }
}
