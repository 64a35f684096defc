package common.day2;

import common.cli.CommandFailure;
import common.cli.Progress;
import common.cluster.KafkaEndpoints;
import common.cluster.KafkaManifests;
import common.kafka.ClusterDefaults;
import common.kafka.KafkaAccess;
import common.kafka.KafkaReleases;
import common.kafka.KafkaState;
import common.kafka.KafkaVersions;
import common.kafka.PartitionHealth;
import common.kafka.QuorumMembers;
import common.kube.KubernetesAccess;
import common.kube.PodReadiness;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;

/**
 * Restarts the pods of a changed template one broker at a time, as Strimzi does: brokers that are down first, then
 * the highest ordinal first and the active KRaft controller last; a running broker only once every partition it
 * hosts is fully in sync (so its restart takes none below min ISR), and the next only once the last one is Ready
 * and back in every ISR. Ready alone (the
 * client port open) says the broker is unfenced, not that it has caught up. Interrupted anywhere, at most one
 * broker is down, and the next deploy finds the pods still outdated and goes on.
 */
public final class SafeRoll {
    /** The label the StatefulSet controller puts on each pod: the template revision it was made from. */
    static final String REVISION_LABEL = "controller-revision-hash";
    private static final long POLL_MILLIS = 500;
    private static final String RESUMED = "the next deploy goes on with the roll";
    private static final String REFUSED = "not rolled, the cluster is unhealthy";
    /** Going on would put the next broker on the same image: a person must look first. */
    private static final String WRONG_KAFKA = "the roll stopped there";

    private final KubernetesClient client;
    private final KubernetesAccess access;
    private final String namespace;
    private final Progress progress;
    /** The template's image, read once per roll, and the Kafka release it names (null: not known here). */
    private String image;
    private KafkaReleases.Release target;

    public SafeRoll(KubernetesClient client, KubernetesAccess access, String namespace, Progress progress) {
        this.client = client;
        this.access = access;
        this.namespace = namespace;
        this.progress = progress;
    }

    /**
     * The ordinals of the pods that do not run the StatefulSet's current template, once its controller has seen
     * the current generation. A missing pod is not outdated: the controller creates it at the new revision.
     */
    public List<Integer> outdated(long deadline) {
        StatefulSet statefulSet = await(deadline, "the StatefulSet controller to see the new template",
                () -> {
                    StatefulSet current = statefulSet();
                    return current != null && current.getStatus() != null
                            && current.getStatus().getUpdateRevision() != null
                            && Objects.equals(current.getStatus().getObservedGeneration(),
                                    current.getMetadata().getGeneration()) ? current : null;
                });
        String revision = statefulSet.getStatus().getUpdateRevision();
        List<Integer> outdated = new ArrayList<>();
        for (int ordinal = 0; ordinal < statefulSet.getSpec().getReplicas(); ordinal++) {
            Pod pod = pod(ordinal);
            if (pod != null && !revision.equals(labels(pod).get(REVISION_LABEL))) {
                outdated.add(ordinal);
            }
        }
        return outdated;
    }

    /**
     * Restarts those brokers: first the ones that are down (not Ready, or not an unfenced broker), highest ordinal
     * first and without waiting for a health the cluster cannot reach while they are down; a restart cannot make a
     * down broker worse, and one onto the new template may be what repairs it (a bad image reverted), as Strimzi's
     * roller restarts unready pods first. Then the others, each only once its partitions are in sync; refuses,
     * before restarting any of them, when the cluster is unhealthy (a partition offline or under min ISR) unless
     * {@code force}, which also restarts a broker whose partitions are not in sync.
     */
    public void roll(KafkaAccess kafka, List<Integer> outdated, boolean force, long deadline) {
        try {
            StatefulSet template = statefulSet();
            image = template == null ? null : KafkaManifests.imageOf(template);
            target = image == null ? null : KafkaReleases.ofImage(image).orElse(null);
            restartInOrder(kafka, outdated, force, deadline);
        } catch (CommandFailure stopped) {
            // Whatever stopped it (a deadline, Kafka or the API server not answering), the pods still outdated say
            // where to go on: the user needs to hear that more than which request was the last.
            throw stopped.getMessage().contains(RESUMED) || stopped.getMessage().startsWith(REFUSED)
                    || stopped.getMessage().endsWith(WRONG_KAFKA) ? stopped
                    : new CommandFailure(stopped.getMessage() + "; " + RESUMED, stopped);
        }
    }

    private void restartInOrder(KafkaAccess kafka, List<Integer> outdated, boolean force, long deadline) {
        Set<Integer> down = down(kafka);
        List<Integer> broken = outdated.stream().filter(down::contains).sorted(Comparator.reverseOrder()).toList();
        List<Integer> running = outdated.stream().filter(broker -> !down.contains(broker)).collect(
                Collectors.toCollection(ArrayList::new));
        int step = 0;
        for (int broker : broken) {
            restart(kafka, broker, "(" + ++step + "/" + outdated.size() + ", down)", false, deadline);
        }
        if (running.isEmpty()) {
            return;
        }
        if (!force) {
            awaitHealthy(kafka, deadline);
        }
        int controller = kafka.await(kafka.admin().describeMetadataQuorum().quorumInfo(), "reading the quorum")
                .leaderId();
        running.sort(Comparator.comparing((Integer ordinal) -> ordinal == controller)
                .thenComparing(Comparator.reverseOrder()));
        for (int broker : running) {
            restart(kafka, broker, "(" + ++step + "/" + outdated.size() + ")", !force, deadline);
        }
    }

    /** The brokers that are down now: their pod is not Ready, or Kafka does not count them as unfenced brokers. */
    private Set<Integer> down(KafkaAccess kafka) {
        Set<Integer> down = new java.util.TreeSet<>(ClusterDefaults.read(kafka).down());
        try {
            for (Pod pod : client.pods().inNamespace(namespace).withLabels(KafkaManifests.selector()).list()
                    .getItems()) {
                if (!PodReadiness.isReady(pod)) {
                    down.add(KafkaEndpoints.ordinalOf(pod.getMetadata().getName()));
                }
            }
        } catch (KubernetesClientException e) {
            throw access.failure("listing the Kafka pods", e);
        }
        return down;
    }

    /**
     * Waits, within the deadline, for every broker to be registered and every partition to serve: a broker still
     * restarting (an interrupted roll) comes back; one that is down stops the roll before it starts.
     */
    private void awaitHealthy(KafkaAccess kafka, long deadline) {
        while (true) {
            List<String> problems = new ArrayList<>();
            try {
                ClusterDefaults cluster = ClusterDefaults.read(kafka);
                if (!cluster.down().isEmpty()) {
                    problems.add(cluster.describeDown());
                }
                PartitionHealth health = PartitionHealth.of(kafka);
                if (!health.serving()) {
                    problems.add(health.problems());
                }
            } catch (CommandFailure noAnswer) {
                problems.add(noAnswer.getMessage());
            }
            if (problems.isEmpty()) {
                return;
            }
            // Stop while there is time to say why: Kafka's own deadline is the same.
            if (System.nanoTime() + TimeUnit.SECONDS.toNanos(3) > deadline) {
                throw new CommandFailure(REFUSED + ": " + String.join("; ", problems)
                        + ". The new template is applied; --force restarts the brokers anyway");
            }
            progress.update("waiting for a healthy cluster before restarting brokers: " + String.join("; ", problems));
            sleep();
        }
    }

    /**
     * Restarts one broker: when {@code inSyncFirst}, once every partition it hosts is fully in sync (so that its
     * restart takes none below min ISR) and the other voters are a caught-up majority; then waits for its new pod,
     * its registration and its return to every ISR. A Ready pod is evicted, not deleted, so that the
     * PodDisruptionBudget counts this restart at once and a node drain under way cannot take a second broker at the
     * same moment (nor this roll one while a drain has another down); while the budget refuses, it waits and checks
     * again from the start.
     */
    private void restart(KafkaAccess kafka, int broker, String step, boolean inSyncFirst, long deadline) {
        String pod = KafkaEndpoints.podName(broker);
        String doing = "restarting " + pod + " " + step + ": ";
        Pod old;
        while (true) {
            if (inSyncFirst) {
                awaitPartitions(kafka, deadline, doing, broker, partition -> partition.isr().size() < partition
                        .replicas().size(), "to be in sync before its restart", pod + " not restarted");
                // A voter restarted while another lags would leave the metadata quorum without a majority.
                await(deadline, "the other KRaft voters to be caught up before " + pod + " restarts", () ->
                        QuorumMembers.majorityWithout(kafka.await(kafka.admin().describeMetadataQuorum()
                                .quorumInfo(), "reading the quorum"), broker) ? true : null);
            }
            old = pod(broker);
            if (stop(old, inSyncFirst, doing)) {
                break;
            }
            if (System.nanoTime() > deadline) {
                throw new CommandFailure("timed out waiting for the PodDisruptionBudget to allow evicting " + pod
                        + ": another Kafka pod is not Ready (a node drain?); " + RESUMED);
            }
            progress.update(doing + "waiting for the PodDisruptionBudget: another Kafka pod is not Ready");
            sleep();
        }
        String oldUid = old == null ? null : old.getMetadata().getUid();
        progress.update(doing + "waiting for Ready");
        await(deadline, pod + " to come back Ready", () -> {
            Pod current = pod(broker);
            return current != null && !current.getMetadata().getUid().equals(oldUid) && PodReadiness.isReady(current)
                    ? current : null;
        });
        await(deadline, "broker " + broker + " to register", () -> kafka.await(kafka.admin().describeCluster()
                .nodes(), "reading the brokers").stream().map(Node::id).anyMatch(id -> id == broker) ? true : null);
        requireRunsTheImagesKafka(kafka, broker);
        awaitPartitions(kafka, deadline, doing, broker, partition -> partition.isr().stream()
                .noneMatch(node -> node.id() == broker), "to rejoin ISR", pod + " restarted but not back in sync");
    }

    /**
     * A broker restarted onto an image whose tag names a known Kafka release must run that release (asked of the
     * node: the highest metadata.version it supports): a tag that does not hold what it names stops the roll before
     * the next broker goes onto it.
     */
    private void requireRunsTheImagesKafka(KafkaAccess kafka, int broker) {
        if (target == null) {
            return;
        }
        int runs = KafkaVersions.supportedBy(kafka, broker);
        if (runs != target.level()) {
            throw new CommandFailure(KafkaEndpoints.podName(broker) + " restarted on " + image + " but runs Kafka "
                    + KafkaVersions.release(runs) + ", not " + target.line() + "; " + WRONG_KAFKA);
        }
    }

    /**
     * Takes the pod down: evicted when it is Ready and the roll is not forced (false while its budget refuses),
     * deleted when it is down already (a restart cannot make it worse, and a budget may refuse its eviction while
     * another broker is down too) or when {@code --force} says restart it anyway.
     */
    private boolean stop(Pod old, boolean evict, String doing) {
        if (old == null) {
            return true;
        }
        var pod = client.pods().inNamespace(namespace).withName(old.getMetadata().getName());
        try {
            if (evict && PodReadiness.isReady(old)) {
                progress.update(doing + "evicting the pod");
                return pod.evict();
            }
            progress.update(doing + "deleting the pod");
            pod.delete();
            return true;
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404) { // gone meanwhile: its controller makes it again
                return true;
            }
            throw access.failure("restarting pod " + old.getMetadata().getName(), e);
        }
    }

    /**
     * Waits until none of the broker's partitions is {@code lagging}; on timeout names them. Progress:
     * "restarting kafka-2 (1/3): waiting for 12 partitions to rejoin ISR".
     */
    private void awaitPartitions(KafkaAccess kafka, long deadline, String doing, int broker,
            Predicate<TopicPartitionInfo> lagging, String what, String failure) {
        while (true) {
            List<String> waiting = hostedBy(kafka, broker, lagging);
            if (waiting.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new CommandFailure(failure + ": " + waiting.size() + " partitions not in sync ("
                        + waiting.stream().limit(3).collect(Collectors.joining(", "))
                        + (waiting.size() > 3 ? ", ..." : "") + "); " + RESUMED);
            }
            progress.update(doing + "waiting for " + waiting.size() + " partitions " + what);
            sleep();
        }
    }

    /** "topic-0" for every partition the broker hosts that matches. */
    private static List<String> hostedBy(KafkaAccess kafka, int broker, Predicate<TopicPartitionInfo> matching) {
        Map<String, TopicDescription> topics = KafkaState.describeTopics(kafka);
        List<String> found = new ArrayList<>();
        topics.values().stream().sorted(Comparator.comparing(TopicDescription::name)).forEach(topic ->
                topic.partitions().stream()
                        .filter(p -> p.replicas().stream().anyMatch(node -> node.id() == broker))
                        .filter(matching)
                        .forEach(p -> found.add(topic.name() + "-" + p.partition())));
        return found;
    }

    private <T> T await(long deadline, String what, java.util.function.Supplier<T> condition) {
        while (true) {
            T result;
            try {
                result = condition.get();
            } catch (KubernetesClientException e) {
                throw access.failure("waiting for " + what, e);
            }
            if (result != null) {
                return result;
            }
            if (System.nanoTime() > deadline) {
                throw new CommandFailure("timed out waiting for " + what + "; " + RESUMED);
            }
            sleep();
        }
    }

    private StatefulSet statefulSet() {
        return client.apps().statefulSets().inNamespace(namespace).withName(KafkaEndpoints.CLUSTER_NAME).get();
    }

    private Pod pod(int ordinal) {
        try {
            return client.pods().inNamespace(namespace).withName(KafkaEndpoints.podName(ordinal)).get();
        } catch (KubernetesClientException e) {
            throw access.failure("reading pod " + KafkaEndpoints.podName(ordinal), e);
        }
    }

    private static Map<String, String> labels(Pod pod) {
        return pod.getMetadata().getLabels() == null ? Map.of() : pod.getMetadata().getLabels();
    }

    private static void sleep() {
        try {
            Thread.sleep(POLL_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommandFailure("interrupted during the roll; the next deploy goes on with it");
        }
    }
}
