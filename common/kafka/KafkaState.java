package common.kafka;

import common.cli.CommandFailure;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeLogDirsOptions;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.QuorumInfo;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * What deploy needs to know of a running cluster's Kafka side before it decides anything, read at once: the KRaft
 * voters and which members are caught up (on the leader's clock), the registered brokers, every partition's
 * replicas and ISR, the cluster's min ISR and the reassignments running. A plain value, so that planning is a
 * function of it.
 *
 * @param voters         the KRaft voters
 * @param leader         the quorum leader, or -1 while there is none
 * @param caughtUp       the voters and observers fetching from the leader and at its log end
 * @param replacedVoters voters whose node runs on new storage (see {@link QuorumMembers#replacedVoters})
 * @param registered     every registered broker, fenced ones too
 * @param live           the unfenced brokers
 * @param partitions     every partition, internal topics included, by topic and number
 * @param clusterMinIsr  the cluster-level min.insync.replicas, or null when none is set
 * @param reassignments  the partition reassignments running
 * @param disks          the log directory of each live broker that answered, when they were read
 * @param features       the finalized features' levels, metadata.version among them
 */
public record KafkaState(Set<Integer> voters, int leader, Set<Integer> caughtUp, List<Integer> replacedVoters,
        Set<Integer> registered, Set<Integer> live, List<Partition> partitions, Integer clusterMinIsr,
        int reassignments, Map<Integer, Disk> disks, Map<String, Integer> features) {

    /** The finalized metadata.version level, 0 when none is. */
    public int metadataVersion() {
        return features.getOrDefault(METADATA_VERSION, 0);
    }

    /**
     * A broker's log directory (one per pod: the data volume): bytes free and in all, and the bytes of each
     * partition replica it holds, by {@link Partition#name()}.
     */
    public record Disk(long usableBytes, long totalBytes, Map<String, Long> replicaBytes) {
    }

    /** The bytes of a partition's largest replica on the brokers that answered: what a new copy will hold. */
    public long bytes(Partition partition) {
        return disks.values().stream().mapToLong(disk -> disk.replicaBytes().getOrDefault(partition.name(), 0L))
                .max().orElse(0);
    }

    /** One partition as the plan needs it; {@code minIsr} is its topic's min.insync.replicas. */
    public record Partition(String topic, int partition, List<Integer> replicas, List<Integer> isr, boolean online,
            int minIsr) {
        public String name() {
            return topic + "-" + partition;
        }
    }

    private static final int LOG_DIRS_TIMEOUT_MS = 5_000;
    public static final String METADATA_VERSION = "metadata.version";

    public static KafkaState read(KafkaAccess kafka) {
        return read(kafka, true);
    }

    /** @param withDisks whether to read the brokers' log directories too (only a shrink needs them) */
    public static KafkaState read(KafkaAccess kafka, boolean withDisks) {
        var registered = kafka.admin().describeCluster(new DescribeClusterOptions().includeFencedBrokers(true))
                .nodes();
        var quorumInfo = kafka.admin().describeMetadataQuorum().quorumInfo();
        var clusterDefault = new ConfigResource(ConfigResource.Type.BROKER, "");
        var clusterConfig = kafka.admin().describeConfigs(List.of(clusterDefault)).all();
        var reassignments = kafka.admin().listPartitionReassignments().reassignments();
        var features = kafka.admin().describeFeatures().featureMetadata();
        // A broker that does not answer soon (crashed, not fenced yet) is left out rather than holding up the plan.
        var disks = registered.thenApply(found -> !withDisks ? Map.<Integer, KafkaFuture<Map<String,
                LogDirDescription>>>of() : kafka.admin().describeLogDirs(found.stream()
                .filter(node -> !node.isFenced()).map(Node::id).toList(),
                new DescribeLogDirsOptions().timeoutMs(LOG_DIRS_TIMEOUT_MS)).descriptions());
        List<Partition> partitions = partitions(kafka);
        QuorumInfo quorum = kafka.await(quorumInfo, "reading the quorum");
        long now = QuorumMembers.leaderNow(quorum);
        List<Node> nodes = List.copyOf(kafka.await(registered, "reading the brokers"));
        ConfigEntry minIsr = kafka.await(clusterConfig, "reading the cluster's min.insync.replicas")
                .get(clusterDefault).get(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG);
        return new KafkaState(ids(quorum.voters().stream()), quorum.leaderId(),
                ids(Stream.concat(quorum.voters().stream(), quorum.observers().stream())
                        .filter(member -> QuorumMembers.caughtUp(member, now))),
                QuorumMembers.replacedVoters(quorum),
                nodes.stream().map(Node::id).collect(Collectors.toCollection(TreeSet::new)),
                nodes.stream().filter(node -> !node.isFenced()).map(Node::id)
                        .collect(Collectors.toCollection(TreeSet::new)),
                partitions, minIsr == null || minIsr.value() == null ? null : Integer.valueOf(minIsr.value()),
                kafka.await(reassignments, "listing reassignments").size(),
                disks(kafka, kafka.await(disks, "reading the brokers")),
                finalized(kafka.await(features, "reading the finalized features")));
    }

    /** The finalized features' levels, by name. */
    public static Map<String, Integer> finalized(org.apache.kafka.clients.admin.FeatureMetadata features) {
        Map<String, Integer> levels = new TreeMap<>();
        features.finalizedFeatures().forEach((name, range) -> levels.put(name, (int) range.maxVersionLevel()));
        return levels;
    }

    /** The log directories of the brokers that answer; one that does not is left out, as it cannot take data. */
    private static Map<Integer, Disk> disks(KafkaAccess kafka,
            Map<Integer, KafkaFuture<Map<String, LogDirDescription>>> described) {
        Map<Integer, Disk> disks = new TreeMap<>();
        described.forEach((broker, future) -> {
            Map<String, LogDirDescription> directories;
            try {
                directories = kafka.await(future, "reading broker " + broker + "'s log directory");
            } catch (CommandFailure unanswered) {
                return;
            }
            for (LogDirDescription directory : directories.values()) {
                Map<String, Long> replicaBytes = new TreeMap<>();
                directory.replicaInfos().forEach((partition, replica) -> replicaBytes.put(
                        partition.topic() + "-" + partition.partition(), replica.size()));
                if (directory.error() == null && directory.usableBytes().isPresent()) {
                    disks.put(broker, new Disk(directory.usableBytes().getAsLong(),
                            directory.totalBytes().orElse(directory.usableBytes().getAsLong()), replicaBytes));
                }
            }
        });
        return disks;
    }

    /** Every partition of every topic, internal ones included, with its topic's min ISR: three requests. */
    public static List<Partition> partitions(KafkaAccess kafka) {
        Map<String, TopicDescription> topics = describeTopics(kafka);
        if (topics.isEmpty()) {
            return List.of();
        }
        List<ConfigResource> resources = topics.keySet().stream()
                .map(name -> new ConfigResource(ConfigResource.Type.TOPIC, name)).toList();
        Map<ConfigResource, Config> configs = kafka.await(kafka.admin().describeConfigs(resources).all(),
                "reading topic configs");
        List<Partition> partitions = new ArrayList<>();
        for (TopicDescription topic : topics.values().stream().sorted(Comparator.comparing(TopicDescription::name))
                .toList()) {
            int minIsr = minInsyncReplicas(configs.get(new ConfigResource(ConfigResource.Type.TOPIC, topic.name())));
            for (TopicPartitionInfo partition : topic.partitions()) {
                partitions.add(new Partition(topic.name(), partition.partition(),
                        partition.replicas().stream().map(Node::id).toList(),
                        partition.isr().stream().map(Node::id).toList(),
                        partition.leader() != null && !partition.leader().isEmpty(), minIsr));
            }
        }
        return partitions;
    }

    /**
     * Every topic, internal ones included, described. Apps may create or delete topics while a deploy runs: one
     * listed but gone or not yet known to the broker asked makes it list again.
     */
    public static Map<String, TopicDescription> describeTopics(KafkaAccess kafka) {
        for (int attempt = 1; ; attempt++) {
            Set<String> names = kafka.await(kafka.admin().listTopics(new ListTopicsOptions().listInternal(true))
                    .names(), "listing topics");
            if (names.isEmpty()) {
                return Map.of();
            }
            try {
                return kafka.await(kafka.admin().describeTopics(names).allTopicNames(), "describing topics");
            } catch (CommandFailure changed) {
                if (attempt == 5 || !(changed.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw changed;
                }
            }
        }
    }

    /** The voters that are not an unfenced broker caught up with the quorum leader. */
    public List<Integer> votersBehind(java.util.Collection<Integer> ids) {
        return ids.stream().filter(id -> !live.contains(id) || !caughtUp.contains(id)).sorted().toList();
    }

    private static Set<Integer> ids(Stream<QuorumInfo.ReplicaState> members) {
        return members.map(QuorumInfo.ReplicaState::replicaId).collect(Collectors.toCollection(TreeSet::new));
    }

    private static int minInsyncReplicas(Config config) {
        var entry = config == null ? null : config.get(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG);
        return entry == null || entry.value() == null ? 1 : Integer.parseInt(entry.value());
    }
}
