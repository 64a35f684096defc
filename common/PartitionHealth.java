package common;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;

/**
 * What Kafka operators call a healthy data plane, for every topic, internal ones included: no partition offline
 * (no leader: nothing can be read or written), none under its min ISR ({@code acks=all} producers fail), and, less
 * urgent, which are under-replicated (a replica is out of sync).
 */
public record PartitionHealth(List<String> offline, List<String> underMinIsr, List<String> underReplicated) {
    private static final int NAMED = 3;

    /** Describes every topic and its min.insync.replicas in two requests. */
    public static PartitionHealth of(KafkaAccess access) {
        Set<String> names = access.await(access.admin().listTopics(new ListTopicsOptions().listInternal(true))
                .names(), "listing topics");
        if (names.isEmpty()) {
            return new PartitionHealth(List.of(), List.of(), List.of());
        }
        Map<String, TopicDescription> topics = access.await(access.admin().describeTopics(names).allTopicNames(),
                "describing topics");
        List<ConfigResource> resources = names.stream()
                .map(name -> new ConfigResource(ConfigResource.Type.TOPIC, name)).toList();
        Map<ConfigResource, Config> configs = access.await(access.admin().describeConfigs(resources).all(),
                "reading topic configs");
        List<String> offline = new ArrayList<>();
        List<String> underMinIsr = new ArrayList<>();
        List<String> underReplicated = new ArrayList<>();
        for (TopicDescription topic : topics.values().stream()
                .sorted(java.util.Comparator.comparing(TopicDescription::name)).toList()) {
            int minIsr = minInsyncReplicas(configs.get(new ConfigResource(ConfigResource.Type.TOPIC, topic.name())));
            for (TopicPartitionInfo partition : topic.partitions()) {
                String name = topic.name() + "-" + partition.partition();
                if (partition.leader() == null || partition.leader().isEmpty()) {
                    offline.add(name);
                } else if (partition.isr().size() < Math.min(minIsr, partition.replicas().size())) {
                    // Kafka's effective min ISR: a topic with fewer copies than min.insync.replicas takes acks=all
                    // writes while all its copies are in sync.
                    underMinIsr.add(name);
                } else if (partition.isr().size() < partition.replicas().size()) {
                    underReplicated.add(name);
                }
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
    static String named(List<String> partitions) {
        return partitions.stream().limit(NAMED).collect(Collectors.joining(", "))
                + (partitions.size() > NAMED ? ", +" + (partitions.size() - NAMED) : "");
    }

    private static int minInsyncReplicas(Config config) {
        var entry = config == null ? null : config.get(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG);
        return entry == null || entry.value() == null ? 1 : Integer.parseInt(entry.value());
    }
}
