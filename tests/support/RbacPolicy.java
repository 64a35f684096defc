package tests.support;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import java.util.List;

/**
 * What RBAC allows one user who is bound to some Roles (each by a RoleBinding in its namespace) and ClusterRoles
 * (by ClusterRoleBindings): Kubernetes' rule matching, wildcards and resource names included.
 */
public record RbacPolicy(String user, List<HasMetadata> roles) {
    public boolean allows(ResourceRequest request) {
        for (HasMetadata role : roles) {
            if (role instanceof Role namespaced && namespaced.getMetadata().getNamespace().equals(request.namespace())
                    && namespaced.getRules().stream().anyMatch(rule -> matches(rule, request))) {
                return true;
            }
            if (role instanceof ClusterRole cluster && cluster.getRules().stream()
                    .anyMatch(rule -> matches(rule, request))) {
                return true;
            }
        }
        return false;
    }

    private static boolean matches(PolicyRule rule, ResourceRequest request) {
        return matchesOne(rule.getVerbs(), request.verb()) && matchesOne(rule.getApiGroups(), request.group())
                && matchesOne(rule.getResources(), request.resourcePath())
                && (rule.getResourceNames() == null || rule.getResourceNames().isEmpty()
                        || rule.getResourceNames().contains(request.name()));
    }

    private static boolean matchesOne(List<String> allowed, String value) {
        return allowed != null && (allowed.contains("*") || allowed.contains(value));
    }
}
