package tests.support;

import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * An API request as Kubernetes' authorizer sees it (the API server's RequestInfo): verb, API group, resource and
 * subresource, namespace, name. Requests for a namespace itself carry that namespace, so a RoleBinding there covers
 * {@code get namespaces/<it>}; creating one is cluster-scoped.
 */
public record ResourceRequest(String verb, String group, String resource, String subresource, String namespace,
        String name) {
    private static final Set<String> NAMESPACE_SUBRESOURCES = Set.of("status", "finalize");

    /** The request's attributes; null for a non-resource path (/api, /apis, /version), which every user may read. */
    public static ResourceRequest of(String method, String pathAndQuery) {
        String[] split = pathAndQuery.split("\\?", 2);
        boolean watch = split.length > 1 && Arrays.asList(split[1].split("&")).contains("watch=true");
        List<String> parts = Arrays.stream(split[0].split("/")).filter(p -> !p.isEmpty()).toList();
        String group;
        List<String> rest;
        if (parts.size() > 2 && parts.get(0).equals("api")) {
            group = "";
            rest = parts.subList(2, parts.size());
        } else if (parts.size() > 3 && parts.get(0).equals("apis")) {
            group = parts.get(1);
            rest = parts.subList(3, parts.size());
        } else {
            return null;
        }
        String namespace = null;
        if (rest.get(0).equals("namespaces") && rest.size() > 1) {
            namespace = rest.get(1);
            if (rest.size() > 2 && !NAMESPACE_SUBRESOURCES.contains(rest.get(2))) {
                rest = rest.subList(2, rest.size());
            }
        }
        String resource = rest.get(0);
        String name = rest.size() > 1 ? rest.get(1) : null;
        String subresource = rest.size() > 2 ? rest.get(2) : null;
        String verb = switch (method) {
            case "GET" -> name != null ? "get" : watch ? "watch" : "list";
            case "POST" -> "create";
            case "PUT" -> "update";
            case "PATCH" -> "patch";
            case "DELETE" -> name != null ? "delete" : "deletecollection";
            default -> method.toLowerCase(java.util.Locale.ROOT);
        };
        return new ResourceRequest(verb, group, resource, subresource, namespace, name);
    }

    /** The same request with another verb (an apply that creates is also a create). */
    public ResourceRequest as(String otherVerb) {
        return new ResourceRequest(otherVerb, group, resource, subresource, namespace, name);
    }

    /** "pods/portforward", as RBAC rules name it. */
    public String resourcePath() {
        return subresource == null ? resource : resource + "/" + subresource;
    }

    /** The API server's words when RBAC refuses it. */
    public String forbidden(String user) {
        return (name == null ? resource : resource + " \"" + name + "\"") + " is forbidden: User \"" + user
                + "\" cannot " + verb + " resource \"" + resourcePath() + "\" in API group \"" + group + "\""
                + (namespace == null ? " at the cluster scope" : " in the namespace \"" + namespace + "\"");
    }

    @Override
    public String toString() {
        return verb + " " + (group.isEmpty() ? "" : group + "/") + resourcePath()
                + (namespace == null ? "" : " -n " + namespace) + (name == null ? "" : " " + name);
    }
}
