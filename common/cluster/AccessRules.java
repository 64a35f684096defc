package common.cluster;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import java.util.List;
import java.util.Map;

/**
 * The least privilege each command needs, as RBAC objects: bind {@link #USE_ROLE} to whoever runs create_topics,
 * verify and get_connection; {@link #DEPLOY_ROLE} to whoever deploys; and the ClusterRole only where deploy must
 * create the namespace itself (an existing namespace is left alone).
 */
public final class AccessRules {
    public static final String USE_ROLE = "kafka-k8s-setup-use";
    public static final String DEPLOY_ROLE = "kafka-k8s-setup-deploy";
    public static final String NAMESPACE_CREATOR = "kafka-k8s-setup-create-namespace";
    private static final String CORE = "";

    private AccessRules() {
    }

    /** The Roles in the namespace and the one ClusterRole, in the order to apply them. */
    public static List<HasMetadata> all(String namespace) {
        return all(namespace, List.of());
    }

    /** As above, with the copy Role in each namespace a secure cluster's client port is narrowed to. */
    public static List<HasMetadata> all(String namespace, List<String> clientNamespaces) {
        List<HasMetadata> roles = new java.util.ArrayList<>(List.of(useRole(namespace), deployRole(namespace),
                namespaceCreator()));
        clientNamespaces.forEach(clientNamespace -> roles.add(copyRole(clientNamespace)));
        return roles;
    }

    /** create_topics, verify, get_connection: find the brokers, check their pods, port-forward to them. */
    public static Role useRole(String namespace) {
        return role(USE_ROLE, namespace, useRules());
    }

    /**
     * deploy: apply the objects (server-side apply is a patch, and a create where the object is missing), watch
     * the rollout, explain a failed one (pods, events), and for --recreate delete the StatefulSet and exactly its
     * claims.
     */
    public static Role deployRole(String namespace) {
        List<PolicyRule> rules = new java.util.ArrayList<>(useRules());
        rules.add(rule(CORE, List.of("namespaces"), "get"));
        // The safe roll restarts one broker at a time (updateStrategy OnDelete): it evicts a Ready pod, so that
        // the PodDisruptionBudget holds against node drains, and deletes one that is down.
        rules.add(rule(CORE, List.of("pods"), "get", "delete"));
        rules.add(rule(CORE, List.of("pods/eviction"), "create"));
        rules.add(rule(CORE, List.of("services"), "get", "create", "patch", "delete"));
        rules.add(rule("apps", List.of("statefulsets"), "get", "list", "watch", "create", "patch", "delete"));
        rules.add(rule("policy", List.of("poddisruptionbudgets"), "get", "create", "patch", "delete"));
        rules.add(rule("networking.k8s.io", List.of("networkpolicies"), "get", "create", "patch", "delete"));
        rules.add(rule(CORE, List.of("persistentvolumeclaims"), "get", "list", "patch", "delete"));
        // A new cluster's first voters (KraftQuorum.FORMATION), deleted once the quorum has formed.
        rules.add(rule(CORE, List.of("configmaps"), "get", "create", "delete"));
        rules.add(rule(CORE, List.of("events"), "list"));
        // A secure cluster's certificates and passwords: made once (create cannot be limited to names), read, marked
        // (the app user's) and renewed (the node certificate) by name only.
        rules.add(new PolicyRuleBuilder(rule(CORE, List.of("secrets"), "get"))
                .withResourceNames(ClusterCredentials.secretNames()).build());
        rules.add(rule(CORE, List.of("secrets"), "create"));
        rules.add(new PolicyRuleBuilder(rule(CORE, List.of("secrets"), "delete"))
                .withResourceNames(ClusterCredentials.secretNames()).build());
        rules.add(new PolicyRuleBuilder(rule(CORE, List.of("secrets"), "patch"))
                .withResourceNames(ClusterCredentials.APP_SECRET, ClusterCredentials.NODE_SECRET).build());
        // One deploy at a time (DeployLease).
        rules.add(rule("coordination.k8s.io", List.of("leases"), "get", "create", "delete"));
        return role(DEPLOY_ROLE, namespace, rules);
    }

    public static final String COPY_ROLE = "kafka-k8s-setup-copy-credentials";

    /**
     * In each namespace a secure cluster's client port is narrowed to: deploy keeps a copy of the LearnFlow
     * user's Secret and the CA certificate there (create cannot be limited to names; read and update can).
     */
    public static Role copyRole(String clientNamespace) {
        return role(COPY_ROLE, clientNamespace, List.of(
                rule(CORE, List.of("secrets"), "create"),
                new PolicyRuleBuilder(rule(CORE, List.of("secrets"), "get", "patch"))
                        .withResourceNames(ClusterCredentials.COPIED).build()));
    }

    /** Only for deploying into a namespace that does not exist yet. */
    public static ClusterRole namespaceCreator() {
        return new ClusterRoleBuilder().withNewMetadata().withName(NAMESPACE_CREATOR).withLabels(labels())
                .endMetadata().withRules(rule(CORE, List.of("namespaces"), "create")).build();
    }

    private static List<PolicyRule> useRules() {
        return List.of(
                rule("apps", List.of("statefulsets"), "get"),
                rule(CORE, List.of("pods"), "list"),
                // A WebSocket port-forward is a GET; Kubernetes 1.30+ also requires create, as SPDY always did.
                rule(CORE, List.of("pods/portforward"), "get", "create"),
                // verify says when a first-start formation is still open (KraftQuorum.FORMATION): that one only.
                new PolicyRuleBuilder(rule(CORE, List.of("configmaps"), "get"))
                        .withResourceNames(KraftQuorum.FORMATION).build(),
                // A secure cluster: the tool signs in as its admin user, trusting the cluster's CA.
                new PolicyRuleBuilder(rule(CORE, List.of("secrets"), "get"))
                        .withResourceNames(ClusterCredentials.ADMIN_SECRET, ClusterCredentials.CA_CERT_SECRET).build());
    }

    private static Role role(String name, String namespace, List<PolicyRule> rules) {
        return new RoleBuilder().withNewMetadata().withName(name).withNamespace(namespace).withLabels(labels())
                .endMetadata().withRules(rules).build();
    }

    private static PolicyRule rule(String group, List<String> resources, String... verbs) {
        return new PolicyRuleBuilder().withApiGroups(group).withResources(resources).withVerbs(verbs).build();
    }

    private static Map<String, String> labels() {
        return Map.of("app.kubernetes.io/managed-by", KafkaManifests.MANAGED_BY);
    }
}
