package tests;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import common.cluster.ClusterCredentials;
import common.cluster.ClusterProfile;
import common.cluster.ClusterSecurity;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.junit.jupiter.api.Test;

/**
 * {@code deploy dev --security tls}: the single node of a secure dev cluster, started from the YAML of
 * {@code --dry-run} with the Secrets mounted, forms, keeps its data across restarts and lets the admin user in over
 * TLS with SCRAM-SHA-512 (the contract's clients sign in as the admin), and no one with a wrong password.
 */
class SecureDevKafkaClusterTest extends KafkaClusterContract {
    @Override
    ClusterProfile profile() {
        return ClusterProfile.DEV;
    }

    @Override
    ClusterSecurity security() {
        return ClusterSecurity.TLS;
    }

    @Test
    void aWrongPasswordIsRefused() {
        Map<String, Object> settings = new HashMap<>(nodes.clientProperties(ClusterCredentials.ADMIN_SECRET));
        settings.put("sasl.jaas.config", ClusterCredentials.jaasConfig(ClusterCredentials.ADMIN_USER, "guess"));
        settings.put("bootstrap.servers", nodes.bootstrapServers());
        settings.put("default.api.timeout.ms", "8000");
        settings.put("request.timeout.ms", "4000");
        try (Admin admin = Admin.create(settings)) {
            ExecutionException refused = assertThrows(ExecutionException.class,
                    () -> admin.describeCluster().nodes().get(15, TimeUnit.SECONDS));
            assertInstanceOf(SaslAuthenticationException.class, refused.getCause(), refused.toString());
            assertTrue(refused.getCause().getMessage().contains("invalid credentials with SASL mechanism "
                    + ClusterSecurity.MECHANISM), refused.getCause().getMessage());
        }
    }
}
