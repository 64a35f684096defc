package common.cluster.certificates;

import common.cluster.ClusterCredentials;
import common.cluster.KafkaManifests;
import io.fabric8.kubernetes.api.model.Secret;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The Secrets a secure cluster is missing, made new: the CA (kept once made: clients trust it), the node certificate
 * it signs, and each user's password. Generated here, in memory, and only ever written to the API server.
 */
public final class CredentialSecrets {
    private CredentialSecrets() {
    }

    /**
     * New Secrets for every name in {@code missing}; {@code existing} holds the others (the CA's, when there is one,
     * signs a new node certificate).
     */
    public static List<Secret> make(KafkaManifests manifests, List<String> missing, Map<String, Secret> existing,
            Instant now) {
        String namespace = manifests.namespaceName();
        ClusterCertificates.Issued ca = existing.containsKey(ClusterCredentials.CA_SECRET)
                ? new ClusterCertificates.Issued(ClusterCredentials.value(existing.get(ClusterCredentials.CA_SECRET),
                        ClusterCredentials.CA_CERTIFICATE), ClusterCredentials.value(existing.get(ClusterCredentials.CA_SECRET),
                                ClusterCredentials.CA_KEY))
                : ClusterCertificates.newCa(manifests.namespaceName() + "/" + common.cluster.KafkaEndpoints
                        .CLUSTER_NAME, now);
        List<Secret> made = new ArrayList<>();
        for (String name : missing) {
            made.add(switch (name) {
                case ClusterCredentials.CA_SECRET -> ClusterCredentials.secret(namespace, name, Map.of(
                        ClusterCredentials.CA_CERTIFICATE, ca.certificate(), ClusterCredentials.CA_KEY,
                        ca.privateKey()));
                case ClusterCredentials.CA_CERT_SECRET -> ClusterCredentials.secret(namespace, name, Map.of(
                        ClusterCredentials.CA_CERTIFICATE, ca.certificate()));
                case ClusterCredentials.NODE_SECRET -> ClusterCredentials.secret(namespace, name, Map.of(
                        ClusterCredentials.NODE_KEY_STORE, ClusterCertificates.newNodeCertificate(ca,
                                ClusterCredentials.nodeDnsNames(namespace, manifests.clusterDomain()), now)
                                .keyStore(ca.certificate()),
                        ClusterCredentials.CA_CERTIFICATE, ca.certificate()));
                case ClusterCredentials.ADMIN_SECRET -> ClusterCredentials.userSecret(namespace, name,
                        ClusterCredentials.ADMIN_USER, ClusterCredentials.newPassword());
                case ClusterCredentials.APP_SECRET -> ClusterCredentials.userSecret(namespace, name,
                        ClusterCredentials.APP_USER, ClusterCredentials.newPassword());
                default -> throw new IllegalArgumentException("no such credential Secret: " + name);
            });
        }
        return made;
    }
}
