package common.kube;

import common.cli.CommandFailure;
import common.cli.Progress;
import common.cluster.KafkaEndpoints;
import common.cluster.KafkaManifests;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * Waits for the Kafka StatefulSet's rollout as {@code kubectl rollout status} does: every replica Ready and at the
 * current revision, for the current generation (right after an update, the old pods are still Ready). On timeout,
 * says for each pod why it is not Ready, and why pods that were never created were refused.
 */
public final class RolloutWait {
    private final KubernetesClient client;
    private final KubernetesAccess access;
    private final String namespace;
    private final int replicas;

    public RolloutWait(KubernetesClient client, KubernetesAccess access, String namespace, int replicas) {
        this.client = client;
        this.access = access;
        this.namespace = namespace;
        this.replicas = replicas;
    }

    /**
     * Watches the StatefulSet (an informer, no polling) until rolled out, for what is {@code left} of the user's
     * {@code timeout}; returns the Ready brokers.
     */
    public int await(Duration left, Duration timeout, Progress progress) {
        var statefulSet = client.apps().statefulSets().inNamespace(namespace).withName(KafkaEndpoints.CLUSTER_NAME);
        try {
            CompletableFuture<List<StatefulSet>> rolledOut = statefulSet.informOnCondition(found -> {
                StatefulSet current = found.isEmpty() ? null : found.get(0);
                progress.update("waiting for brokers: " + count(current, StatefulSetStatus::getReadyReplicas) + "/"
                        + replicas + " Ready");
                return rolledOut(current);
            });
            try {
                rolledOut.get(left.toMillis(), TimeUnit.MILLISECONDS);
                return replicas;
            } catch (TimeoutException e) {
                rolledOut.cancel(true);
                throw new CommandFailure(whyNotReady(statefulSet.get(), timeout));
            } catch (ExecutionException e) {
                if (e.getCause() instanceof KubernetesClientException clientError) {
                    throw access.failure("watching StatefulSet " + KafkaEndpoints.CLUSTER_NAME, clientError);
                }
                throw new CommandFailure("watching StatefulSet " + KafkaEndpoints.CLUSTER_NAME + " failed: "
                        + e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CommandFailure("interrupted while waiting for the brokers");
            }
        } catch (KubernetesClientException e) {
            throw access.failure("waiting for the brokers", e);
        }
    }

    private boolean rolledOut(StatefulSet statefulSet) {
        if (statefulSet == null || statefulSet.getStatus() == null) {
            return false;
        }
        Long generation = statefulSet.getMetadata().getGeneration();
        Long observed = statefulSet.getStatus().getObservedGeneration();
        return (generation == null || (observed != null && observed >= generation))
                && count(statefulSet, StatefulSetStatus::getReadyReplicas) == replicas
                && count(statefulSet, StatefulSetStatus::getUpdatedReplicas) == replicas;
    }

    /** Each pod that is not Ready and why; or, when all are, that the rolling update is still under way. */
    private String whyNotReady(StatefulSet statefulSet, Duration limit) {
        PodReadiness readiness = new PodReadiness(replicas, client.pods().inNamespace(namespace)
                .withLabels(KafkaManifests.selector()).list().getItems());
        String why = readiness.allReady()
                ? "the rolling update has not finished (" + count(statefulSet, StatefulSetStatus::getUpdatedReplicas)
                        + "/" + replicas + " pods updated)"
                : String.join("; ", readiness.notReady());
        if (readiness.notReady().stream().anyMatch(problem -> problem.endsWith(PodReadiness.NOT_CREATED))) {
            why += failedCreate().map(message -> "; the StatefulSet controller cannot create pods: " + message)
                    .orElse("");
        }
        return readiness.ready() + "/" + readiness.replicas() + " brokers Ready after " + seconds(limit.toNanos())
                + ": " + why;
    }

    /**
     * Why the StatefulSet controller could not create a pod (admission refused it: Pod Security, quota, a
     * webhook), from its latest FailedCreate event.
     */
    private Optional<String> failedCreate() {
        return client.v1().events().inNamespace(namespace).list().getItems().stream()
                .filter(event -> "FailedCreate".equals(event.getReason()) && event.getInvolvedObject() != null
                        && "StatefulSet".equals(event.getInvolvedObject().getKind())
                        && KafkaEndpoints.CLUSTER_NAME.equals(event.getInvolvedObject().getName()))
                .max(Comparator.comparing(RolloutWait::when))
                .map(event -> event.getMessage() == null ? "FailedCreate" : event.getMessage().lines().findFirst()
                        .orElse(""));
    }

    private static String when(Event event) {
        String time = event.getLastTimestamp() != null ? event.getLastTimestamp()
                : event.getEventTime() != null ? event.getEventTime().getTime()
                : event.getMetadata().getCreationTimestamp();
        return time == null ? "" : time;
    }

    private static int count(StatefulSet statefulSet, Function<StatefulSetStatus, Integer> field) {
        Integer value = statefulSet == null || statefulSet.getStatus() == null ? null
                : field.apply(statefulSet.getStatus());
        return value == null ? 0 : value;
    }

    /** "41.3s" */
    public static String seconds(long nanos) {
        return Math.round(nanos / 1e8) / 10.0 + "s";
    }
}
