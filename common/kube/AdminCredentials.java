package common.kube;

import common.cluster.ClusterCredentials;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.Map;

/**
 * The tool's own sign-in to a secure cluster, found through the Kubernetes API: the admin user's Secret and the CA
 * certificate's (the use Role may get these two Secrets, no other). Held in memory only.
 */
public final class AdminCredentials {
    private AdminCredentials() {
    }

    /**
     * The Kafka client settings to sign in as the admin user, or none for an open cluster (no admin Secret), or
     * when the caller may not read it: Kafka then says that it refused the connection.
     */
    public static Map<String, Object> read(KubernetesClient client, KubernetesAccess access, String namespace) {
        Secret admin = get(client, access, namespace, ClusterCredentials.ADMIN_SECRET);
        if (admin == null) {
            return Map.of();
        }
        Secret ca = get(client, access, namespace, ClusterCredentials.CA_CERT_SECRET);
        if (ca == null) {
            throw new common.cli.CommandFailure("Secret " + ClusterCredentials.CA_CERT_SECRET + " is missing: "
                    + "without the CA certificate the brokers cannot be trusted; deploy again to restore it");
        }
        return ClusterCredentials.clientProperties(ClusterCredentials.value(admin, ClusterCredentials.JAAS_CONFIG),
                ClusterCredentials.value(ca, ClusterCredentials.CA_CERTIFICATE));
    }

    private static Secret get(KubernetesClient client, KubernetesAccess access, String namespace, String name) {
        try {
            return client.secrets().inNamespace(namespace).withName(name).get();
        } catch (KubernetesClientException e) {
            if (e.getCode() == 403) {
                return null;
            }
            throw access.failure("reading Secret " + name, e);
        }
    }
}
