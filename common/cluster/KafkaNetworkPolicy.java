package common.cluster;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Who may reach the Kafka pods: the controller port only the cluster's own pods (a node that reaches it could vote
 * in the quorum), the client port (also the brokers' replication) any pod of the cluster or those of chosen
 * namespaces, and the port-forward listener no pod at all: a port-forward connects inside the pod itself, which no
 * policy filters, and the listener is unauthenticated. The kubelet's probes come from the node, which is always
 * allowed.
 */
public final class KafkaNetworkPolicy {
    /** The label every namespace carries with its own name (Kubernetes 1.22+). */
    private static final String NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

    private KafkaNetworkPolicy() {
    }

    /** @param clientNamespaces the namespaces whose pods may reach the client port; null or empty: every pod */
    static NetworkPolicy render(String namespace, Map<String, String> labels, List<String> clientNamespaces,
            ClusterSecurity security) {
        List<Integer> clusterOnly = security == ClusterSecurity.TLS
                ? List.of(KafkaEndpoints.REPLICATION_PORT, KafkaEndpoints.CONTROLLER_PORT)
                : List.of(KafkaEndpoints.CONTROLLER_PORT);
        return new NetworkPolicyBuilder()
                .withNewMetadata().withName(KafkaEndpoints.CLUSTER_NAME).withNamespace(namespace)
                .withLabels(labels).endMetadata()
                .withNewSpec()
                .withNewPodSelector().withMatchLabels(KafkaManifests.selector()).endPodSelector()
                .withPolicyTypes("Ingress")
                .addNewIngress()
                .addNewFrom().withNewPodSelector().withMatchLabels(KafkaManifests.selector()).endPodSelector()
                .endFrom()
                .withPorts(clusterOnly.stream().map(port -> new io.fabric8.kubernetes.api.model.networking.v1
                        .NetworkPolicyPortBuilder().withProtocol("TCP").withPort(new IntOrString(port)).build())
                        .toList())
                .endIngress()
                .addNewIngress()
                .withFrom(clientPeer(namespace, clientNamespaces))
                .addNewPort().withProtocol("TCP").withPort(new IntOrString(KafkaEndpoints.CLIENT_PORT)).endPort()
                .endIngress()
                .endSpec()
                .build();
    }

    /**
     * Who may reach the client port: the pods of every namespace, host-network ones too (an empty pod selector
     * beside the namespace one); or those of the namespaces asked for and of the cluster's own.
     */
    private static NetworkPolicyPeer clientPeer(String namespace, List<String> clientNamespaces) {
        if (clientNamespaces == null || clientNamespaces.isEmpty()) {
            return new NetworkPolicyPeerBuilder().withNewNamespaceSelector().endNamespaceSelector()
                    .withNewPodSelector().endPodSelector().build();
        }
        List<String> names = new ArrayList<>(clientNamespaces);
        names.add(namespace);
        return new NetworkPolicyPeerBuilder().withNewNamespaceSelector().addNewMatchExpression()
                .withKey(NAMESPACE_NAME_LABEL).withOperator("In").withValues(names.stream().sorted().toList())
                .endMatchExpression().endNamespaceSelector().build();
    }

    /**
     * The namespaces a deployed NetworkPolicy lets reach the client port, its own left out; empty for every pod,
     * null when there is none.
     */
    public static List<String> clientNamespacesOf(HasMetadata deployed) {
        if (!(deployed instanceof NetworkPolicy policy) || policy.getSpec().getIngress() == null) {
            return null;
        }
        for (var rule : policy.getSpec().getIngress()) {
            boolean clientPort = rule.getPorts() != null && rule.getPorts().stream().anyMatch(port -> port.getPort()
                    != null && Integer.valueOf(KafkaEndpoints.CLIENT_PORT).equals(port.getPort().getIntVal()));
            if (clientPort && rule.getFrom() != null) {
                List<String> names = new ArrayList<>();
                for (var peer : rule.getFrom()) {
                    var selector = peer.getNamespaceSelector();
                    if (selector != null && selector.getMatchExpressions() != null) {
                        selector.getMatchExpressions().stream()
                                .filter(expression -> NAMESPACE_NAME_LABEL.equals(expression.getKey()))
                                .forEach(expression -> names.addAll(expression.getValues()));
                    }
                }
                String own = policy.getMetadata().getNamespace();
                return names.stream().filter(name -> !name.equals(own)).sorted().distinct().toList();
            }
        }
        return null;
    }
}
