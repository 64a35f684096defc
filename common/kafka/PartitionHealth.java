package common.kafka;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * What Kafka operators call a healthy data plane, for every topic, internal ones included: no partition offline
 * (no leader: nothing can be read or written), none under its min ISR ({@code acks=all} producers fail), and, less
 * urgent, which are under-replicated (a replica is out of sync).
 */
public record PartitionHealth(List<String> offline, List<String> underMinIsr, List<String> underReplicated) {
    private static final int NAMED = 3;

    /** Describes every topic and its min.insync.replicas. */
    public static PartitionHealth of(KafkaAccess access) {
        return of(KafkaState.partitions(access));
    }

    public static PartitionHealth of(List<KafkaState.Partition> partitions) {
        List<String> offline = new ArrayList<>();
        List<String> underMinIsr = new ArrayList<>();
        List<String> underReplicated = new ArrayList<>();
        for (KafkaState.Partition partition : partitions) {
            if (!partition.online()) {
                offline.add(partition.name());
            } else if (partition.isr().size() < Math.min(partition.minIsr(), partition.replicas().size())) {
                // Kafka's effective min ISR: a topic with fewer copies than min.insync.replicas takes acks=all
                // writes while all its copies are in sync.
                underMinIsr.add(partition.name());
            } else if (partition.isr().size() < partition.replicas().size()) {
                underReplicated.add(partition.name());
            }
        }
        return new PartitionHealth(offline, underMinIsr, underReplicated);
    }

    /** No partition that refuses reads or {@code acks=all} writes. */
    public boolean serving() {
        return offline.isEmpty() && underMinIsr.isEmpty();
    }

    /** "2 partitions offline (a-0, b-1); 1 under min ISR (c-0)", or empty when every partition serves. */
    public String problems() {
        List<String> parts = new ArrayList<>();
        if (!offline.isEmpty()) {
            parts.add(offline.size() + " partitions offline (" + named(offline) + ")");
        }
        if (!underMinIsr.isEmpty()) {
            parts.add(underMinIsr.size() + " under min ISR (" + named(underMinIsr) + ")");
        }
        return String.join("; ", parts);
    }

    /** "4 partitions under-replicated", or empty. */
    public String warning() {
        return underReplicated.isEmpty() ? "" : underReplicated.size() + " partitions under-replicated";
    }

    /** "a-0, b-1, c-2, +4": the first few partitions by name, and how many more. */
    public static String named(List<String> partitions) {
        return partitions.stream().limit(NAMED).collect(Collectors.joining(", "))
                + (partitions.size() > NAMED ? ", +" + (partitions.size() - NAMED) : "");
    }
}
