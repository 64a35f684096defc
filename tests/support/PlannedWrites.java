package tests.support;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What {@code deploy --plan --json} says deploy will write to the API server, and what the API server saw it write:
 * a plan carried out with nothing changed in between must write exactly what it listed, in its order.
 */
public final class PlannedWrites {
    private static final Set<String> WRITES = Set.of("create", "update", "patch", "delete", "deletecollection");
    private static final Map<String, String> RESOURCES = Map.of("StatefulSet", "statefulsets", "Service",
            "services", "PodDisruptionBudget", "poddisruptionbudgets", "NetworkPolicy", "networkpolicies",
            "ConfigMap", "configmaps");

    private PlannedWrites() {
    }

    /** "patch statefulsets/kafka", "restart pods/kafka-2", ... for each plan step that writes, in order. */
    @SuppressWarnings("unchecked")
    public static List<String> of(Map<String, Object> planJson) {
        List<String> writes = new ArrayList<>();
        List<Map<String, Object>> steps = (List<Map<String, Object>>) planJson.get("steps");
        // While brokers a shrink removed may still be registered, the StatefulSet carries an annotation saying so.
        boolean shrinkMarked = steps.stream().anyMatch(step -> "unregisterBrokers".equals(step.get("step")));
        for (Map<String, Object> step : steps) {
            switch ((String) step.get("step")) {
                case "apply" -> {
                    if (shrinkMarked && "StatefulSet".equals(step.get("kind"))) {
                        writes.add("patch statefulsets/kafka");
                    }
                    writes.add("patch " + RESOURCES.get(step.get("kind")) + "/" + step.get("name"));
                }
                case "unregisterBrokers" -> writes.add("patch statefulsets/kafka");
                case "deleteVolumes" -> {
                    List<String> volumes = new ArrayList<>((List<String>) step.get("volumes"));
                    java.util.Collections.reverse(volumes); // highest first: the claims stay numbered without gaps
                    volumes.forEach(volume -> writes.add("delete persistentvolumeclaims/" + volume));
                }
                case "delete" -> writes.add("delete " + RESOURCES.get(step.get("kind")) + "/" + step.get("name"));
                case "createNamespace" -> writes.add("create namespaces");
                case "startFormation" -> writes.add("create configmaps");
                case "endFormation" -> writes.add("delete configmaps/kafka-formation");
                case "recordFormattedBy" -> ((Map<String, String>) step.get("volumes")).keySet()
                        .forEach(volume -> writes.add("patch persistentvolumeclaims/" + volume));
                case "restart" -> ((List<Number>) step.get("order"))
                        .forEach(broker -> writes.add("restart pods/kafka-" + broker.intValue()));
                default -> { }
            }
        }
        return writes;
    }

    /**
     * The writes the scripts made, as {@link #of} names them (an apply that creates counts once, as a patch; a pod
     * evicted or deleted is a restart).
     */
    public static List<String> seen(ApiServer api) {
        // The run's Lease (one deploy at a time) is no step of the plan.
        return api.requests().stream().map(Map.Entry::getKey).filter(request -> WRITES.contains(request.verb()))
                .filter(request -> !"leases".equals(request.resource()))
                .filter(request -> !("create".equals(request.verb()) && request.name() != null
                        && !"eviction".equals(request.subresource())))
                .map(request -> "pods".equals(request.resource()) ? "restart pods/" + request.name()
                        : request.verb() + " " + request.resource()
                        + (request.name() == null || "namespaces".equals(request.resource()) && "create"
                                .equals(request.verb()) ? "" : "/" + request.name()))
                .toList();
    }
}
