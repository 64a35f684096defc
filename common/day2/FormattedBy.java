package common.day2;

import common.cluster.KafkaEndpoints;
import common.kafka.KafkaReleases;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Which Kafka release formatted each data volume, recorded on its claim: from Kafka 4.4 on a volume starts only on
 * that release or a newer one ({@link KafkaReleases#startsVolumeOf}), and nothing in Kafka's API tells afterwards.
 * The pod's container formats its volume at its first start, with its own image's Kafka.
 */
public final class FormattedBy {
    /** On a data volume's claim: the Kafka version ("4.4.0") that formatted it. */
    public static final String ANNOTATION = "kafka-k8s-setup/formatted-by";
    /**
     * The StatefulSet controller creates a claim and, in the same pass, its first pod; a pod created later (a roll,
     * a deleted pod) came after the format, so its image says nothing about it.
     */
    private static final Duration FIRST_POD_WITHIN = Duration.ofSeconds(5);

    private FormattedBy() {
    }

    /** The version recorded on a claim, if any. */
    public static Optional<String> of(PersistentVolumeClaim claim) {
        Map<String, String> annotations = claim.getMetadata().getAnnotations();
        return Optional.ofNullable(annotations == null ? null : annotations.get(ANNOTATION));
    }

    /**
     * The claims without a record whose pod is still the first on them, with the version that pod's image names
     * (a deploy with --no-wait, or one that ended before it recorded them).
     */
    static Map<String, String> readFromFirstPods(Iterable<PersistentVolumeClaim> claims, Iterable<Pod> pods) {
        Map<Integer, Pod> byOrdinal = new TreeMap<>();
        pods.forEach(pod -> byOrdinal.put(KafkaEndpoints.ordinalOf(pod.getMetadata().getName()), pod));
        Map<String, String> found = new TreeMap<>();
        for (PersistentVolumeClaim claim : claims) {
            String name = claim.getMetadata().getName();
            Pod pod = byOrdinal.get(KafkaEndpoints.ordinalOf(name));
            if (of(claim).isPresent() || pod == null || !firstOn(claim, pod)) {
                continue;
            }
            pod.getSpec().getContainers().stream().map(Container::getImage).findFirst()
                    .flatMap(KafkaReleases::versionOfImage).ifPresent(version -> found.put(name, version));
        }
        return found;
    }

    private static boolean firstOn(PersistentVolumeClaim claim, Pod pod) {
        String claimed = claim.getMetadata().getCreationTimestamp();
        String created = pod.getMetadata().getCreationTimestamp();
        if (claimed == null || created == null || pod.getSpec() == null) {
            return false;
        }
        try {
            Instant claimedAt = Instant.parse(claimed);
            Instant createdAt = Instant.parse(created);
            return !createdAt.isBefore(claimedAt) && createdAt.isBefore(claimedAt.plus(FIRST_POD_WITHIN));
        } catch (DateTimeParseException unknown) {
            return false;
        }
    }
}
