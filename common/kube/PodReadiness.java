package common.kube;

import common.cluster.KafkaEndpoints;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Which Kafka pods are Ready, and for each one that is not, the reason a person would look up with kubectl. */
public final class PodReadiness {
    /** The reason given for a pod the StatefulSet controller has not made. */
    public static final String NOT_CREATED = "not created";
    private final int replicas;
    private final Map<String, Pod> podsByName;

    public PodReadiness(int replicas, List<Pod> pods) {
        this.replicas = replicas;
        this.podsByName = pods.stream().collect(Collectors.toMap(p -> p.getMetadata().getName(), Function.identity(),
                (a, b) -> a));
    }

    public int ready() {
        return replicas - notReady().size();
    }

    public int replicas() {
        return replicas;
    }

    public boolean allReady() {
        return notReady().isEmpty();
    }

    /** "kafka-1: CrashLoopBackOff" for every expected pod that is not Ready. */
    public List<String> notReady() {
        List<String> problems = new ArrayList<>();
        for (int ordinal = 0; ordinal < replicas; ordinal++) {
            String name = KafkaEndpoints.podName(ordinal);
            Pod pod = podsByName.get(name);
            if (pod == null) {
                problems.add(name + ": " + NOT_CREATED);
            } else if (!isReady(pod)) {
                problems.add(name + ": " + reason(pod));
            }
        }
        return problems;
    }

    public static boolean isReady(Pod pod) {
        return pod.getStatus() != null && pod.getStatus().getConditions() != null
                && pod.getStatus().getConditions().stream()
                        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    /** The most telling reason first: scheduler, container waiting, last termination, then the phase. */
    static String reason(Pod pod) {
        if (pod.getStatus() == null) {
            return "no status yet";
        }
        for (PodCondition condition : safe(pod.getStatus().getConditions())) {
            if ("PodScheduled".equals(condition.getType()) && "False".equals(condition.getStatus())) {
                return join(condition.getReason(), condition.getMessage());
            }
        }
        List<String> reasons = new ArrayList<>();
        for (ContainerStatus container : safe(pod.getStatus().getContainerStatuses())) {
            if (container.getState() != null && container.getState().getWaiting() != null) {
                reasons.add(join(container.getState().getWaiting().getReason(),
                        container.getState().getWaiting().getMessage()));
            }
            if (container.getLastState() != null && container.getLastState().getTerminated() != null) {
                reasons.add("last terminated: " + container.getLastState().getTerminated().getReason()
                        + ", " + container.getRestartCount() + " restarts");
            }
        }
        if (reasons.isEmpty()) {
            String phase = pod.getStatus().getPhase();
            reasons.add((phase == null ? "Pending" : phase) + ", not Ready");
        }
        return String.join("; ", reasons);
    }

    private static String join(String reason, String message) {
        String shortMessage = message == null ? "" : message.lines().findFirst().orElse("");
        if (shortMessage.length() > 120) {
            shortMessage = shortMessage.substring(0, 117) + "...";
        }
        return reason == null ? shortMessage : shortMessage.isEmpty() ? reason : reason + " (" + shortMessage + ")";
    }

    private static <T> List<T> safe(List<T> list) {
        return list == null ? List.of() : list;
    }
}
