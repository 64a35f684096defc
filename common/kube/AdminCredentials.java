package common.kube;

import common.cluster.ClusterCredentials;
import common.cluster.ClusterSecurity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
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

    /** As {@link #read(KubernetesClient, KubernetesAccess, String, StatefulSet)}, reading the StatefulSet. */
    public static Map<String, Object> read(KubernetesClient client, KubernetesAccess access, String namespace) {
        return read(client, access, namespace, PortForwards.deployed(client, access, namespace));
    }

    /**
     * The Kafka client settings to sign in as the admin user, or none when the deployed brokers are open: the pods'
     * listeners decide, not the Secrets (a cluster being secured has them before its brokers restart).
     */
    public static Map<String, Object> read(KubernetesClient client, KubernetesAccess access, String namespace,
            StatefulSet deployed) {
        if (ClusterSecurity.of(deployed) == ClusterSecurity.NONE) {
            return Map.of();
        }
        Secret admin;
        try {
            admin = client.secrets().inNamespace(namespace).withName(ClusterCredentials.ADMIN_SECRET).get();
        } catch (KubernetesClientException e) {
            throw access.failure("reading Secret " + ClusterCredentials.ADMIN_SECRET, e);
        }
        if (admin == null) {
            throw new common.cli.CommandFailure("Secret " + ClusterCredentials.ADMIN_SECRET + " is missing: the "
                    + "tool cannot sign in to this secure cluster; restore it from a backup");
        }
        Secret ca;
        try {
            ca = client.secrets().inNamespace(namespace).withName(ClusterCredentials.CA_CERT_SECRET).get();
        } catch (KubernetesClientException e) {
            throw access.failure("reading Secret " + ClusterCredentials.CA_CERT_SECRET, e);
        }
        if (ca == null) {
            throw new common.cli.CommandFailure("Secret " + ClusterCredentials.CA_CERT_SECRET + " is missing: "
                    + "without the CA certificate the brokers cannot be trusted; deploy again to restore it");
        }
        return ClusterCredentials.clientProperties(ClusterCredentials.value(admin, ClusterCredentials.JAAS_CONFIG),
                ClusterCredentials.value(ca, ClusterCredentials.CA_CERTIFICATE));
    }
}
