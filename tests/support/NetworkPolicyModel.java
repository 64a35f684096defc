package tests.support;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import java.util.List;
import java.util.Map;

/**
 * Ingress as Kubernetes defines NetworkPolicies (networking.k8s.io/v1): a pod selected by no policy with
 * {@code Ingress} in its types accepts everything; a selected one accepts a connection only when some rule of some
 * policy selecting it matches both its port (no ports: every port) and its source (no peers: every source). A peer
 * with only a pod selector means pods of the policy's namespace; with only a namespace selector, every pod of the
 * matching namespaces; with both, the matching pods of the matching namespaces. Traffic from the pod itself and from
 * its node is never filtered. Every namespace carries the label {@code kubernetes.io/metadata.name}.
 */
public final class NetworkPolicyModel {
    private final List<NetworkPolicy> policies;

    public NetworkPolicyModel(List<NetworkPolicy> policies) {
        this.policies = policies;
    }

    /** A pod: its namespace and labels. */
    public record Pod(String namespace, Map<String, String> labels) {
        Map<String, String> namespaceLabels() {
            return Map.of("kubernetes.io/metadata.name", namespace);
        }
    }

    /** Whether {@code source} may open a TCP connection to {@code target}'s container port {@code port}. */
    public boolean allows(Pod source, Pod target, int port) {
        List<NetworkPolicy> selecting = policies.stream()
                .filter(policy -> policy.getMetadata().getNamespace().equals(target.namespace()))
                .filter(policy -> policy.getSpec().getPolicyTypes().contains("Ingress"))
                .filter(policy -> matches(policy.getSpec().getPodSelector(), target.labels()))
                .toList();
        if (selecting.isEmpty()) {
            return true;
        }
        return selecting.stream().anyMatch(policy -> policy.getSpec().getIngress().stream()
                .anyMatch(rule -> portMatches(rule, port) && sourceMatches(rule, source,
                        policy.getMetadata().getNamespace())));
    }

    private static boolean portMatches(NetworkPolicyIngressRule rule, int port) {
        List<NetworkPolicyPort> ports = rule.getPorts();
        if (ports == null || ports.isEmpty()) {
            return true;
        }
        for (NetworkPolicyPort allowed : ports) {
            IntOrString number = allowed.getPort();
            if (!"TCP".equals(allowed.getProtocol() == null ? "TCP" : allowed.getProtocol())) {
                continue;
            }
            if (number == null || number.getIntVal() != null && (number.getIntVal() == port
                    || allowed.getEndPort() != null && number.getIntVal() <= port && port <= allowed.getEndPort())) {
                return true;
            }
            if (number.getStrVal() != null) {
                throw new IllegalArgumentException("named ports are not modelled: " + number.getStrVal());
            }
        }
        return false;
    }

    private static boolean sourceMatches(NetworkPolicyIngressRule rule, Pod source, String policyNamespace) {
        List<NetworkPolicyPeer> peers = rule.getFrom();
        if (peers == null || peers.isEmpty()) {
            return true;
        }
        for (NetworkPolicyPeer peer : peers) {
            if (peer.getIpBlock() != null) {
                throw new IllegalArgumentException("ipBlock peers are not modelled");
            }
            boolean namespaceMatches = peer.getNamespaceSelector() == null
                    ? source.namespace().equals(policyNamespace)
                    : matches(peer.getNamespaceSelector(), source.namespaceLabels());
            boolean podMatches = peer.getPodSelector() == null || matches(peer.getPodSelector(), source.labels());
            if (namespaceMatches && podMatches) {
                return true;
            }
        }
        return false;
    }

    /** A label selector: an empty one selects everything. */
    static boolean matches(LabelSelector selector, Map<String, String> labels) {
        if (selector.getMatchLabels() != null && selector.getMatchLabels().entrySet().stream()
                .anyMatch(label -> !label.getValue().equals(labels.get(label.getKey())))) {
            return false;
        }
        List<LabelSelectorRequirement> expressions = selector.getMatchExpressions();
        return expressions == null || expressions.stream().allMatch(requirement -> {
            String value = labels.get(requirement.getKey());
            return switch (requirement.getOperator()) {
                case "In" -> value != null && requirement.getValues().contains(value);
                case "NotIn" -> value == null || !requirement.getValues().contains(value);
                case "Exists" -> value != null;
                case "DoesNotExist" -> value == null;
                default -> throw new IllegalArgumentException("unknown operator " + requirement.getOperator());
            };
        });
    }
}
