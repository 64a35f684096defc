package common.kube;

import common.cluster.ClusterCredentials;
import common.cluster.ClusterSecurity;
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
     * The Kafka client settings to sign in as the admin user, or none for an open cluster (no admin Secret). A
     * caller who may not read the Secret (a Role from before secure clusters) is refused only when the cluster is
     * secure: an open one needs nothing.
     */
    public static Map<String, Object> read(KubernetesClient client, KubernetesAccess access, String namespace) {
        Secret admin;
        try {
            admin = client.secrets().inNamespace(namespace).withName(ClusterCredentials.ADMIN_SECRET).get();
        } catch (KubernetesClientException e) {
            if (e.getCode() == 403 && ClusterSecurity.of(PortForwards.deployed(client, access, namespace))
                    == ClusterSecurity.NONE) {
                return Map.of();
            }
            throw access.failure("reading Secret " + ClusterCredentials.ADMIN_SECRET, e);
        }
        if (admin == null) {
            return Map.of();
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
