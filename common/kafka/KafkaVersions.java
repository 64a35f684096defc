package common.kafka;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.DescribeFeaturesOptions;
import org.apache.kafka.clients.admin.FeatureMetadata;
import org.apache.kafka.clients.admin.FeatureUpdate;
import org.apache.kafka.clients.admin.UpdateFeaturesOptions;
import org.apache.kafka.common.KafkaFuture;

/**
 * Which Kafka each node really runs (the highest metadata.version it supports, asked of that node, not read from
 * its pod's image) and the cluster's finalized metadata.version: whether a roll onto another release is under way
 * (nodes on different releases) or rolled and not finalized yet (every node runs more than is finalized).
 *
 * @param finalized the finalized metadata.version level
 * @param supported each node's highest supported metadata.version level, by node id
 */
public record KafkaVersions(int finalized, Map<Integer, Integer> supported) {

    /** Asks every node at once. */
    public static KafkaVersions read(KafkaAccess kafka, Set<Integer> nodes) {
        KafkaFuture<FeatureMetadata> cluster = kafka.admin().describeFeatures().featureMetadata();
        Map<Integer, KafkaFuture<FeatureMetadata>> perNode = new TreeMap<>();
        for (int node : nodes) {
            perNode.put(node, kafka.admin().describeFeatures(new DescribeFeaturesOptions().nodeId(node))
                    .featureMetadata());
        }
        Map<Integer, Integer> supported = new TreeMap<>();
        perNode.forEach((node, features) -> supported.put(node, highestSupported(kafka, node, features)));
        return new KafkaVersions(KafkaState.finalized(kafka.await(cluster, "reading the finalized features"))
                .getOrDefault(KafkaState.METADATA_VERSION, 0), supported);
    }

    /**
     * Raises finalized features to {@code levels} (metadata.version among them) in one update: Kafka first checks,
     * without changing anything, that every registered node runs them, then makes the change. One-way.
     */
    public static void raise(KafkaAccess kafka, Map<String, Integer> levels) {
        Map<String, FeatureUpdate> update = new TreeMap<>();
        levels.forEach((name, level) -> update.put(name, new FeatureUpdate(level.shortValue(),
                FeatureUpdate.UpgradeType.UPGRADE)));
        kafka.await(kafka.admin().updateFeatures(update, new UpdateFeaturesOptions().validateOnly(true)).all(),
                "checking that every node runs " + levels);
        kafka.await(kafka.admin().updateFeatures(update, new UpdateFeaturesOptions()).all(), "raising " + levels);
    }

    /** The highest metadata.version one node runs, asked of that node. */
    public static int supportedBy(KafkaAccess kafka, int node) {
        return highestSupported(kafka, node, kafka.admin().describeFeatures(new DescribeFeaturesOptions().nodeId(node))
                .featureMetadata());
    }

    private static int highestSupported(KafkaAccess kafka, int node, KafkaFuture<FeatureMetadata> features) {
        var range = kafka.await(features, "reading node " + node + "'s features").supportedFeatures()
                .get(KafkaState.METADATA_VERSION);
        return range == null ? 0 : range.maxVersion();
    }

    /** "4.4", or "newer than 4.4 (level 35)" for a level no known release runs at most. */
    public static String release(int level) {
        return KafkaReleases.runningUpTo(level).map(KafkaReleases.Release::line)
                .orElse("unknown (metadata.version up to level " + level + ")");
    }

    /** Whether the nodes run different releases: a roll onto another one is under way. */
    public boolean mixed() {
        return new TreeSet<>(supported.values()).size() > 1;
    }

    /** The level every node could run and that is not finalized yet, or 0: a roll that is over but not finalized. */
    public int finalizable() {
        int lowest = supported.values().stream().mapToInt(Integer::intValue).min().orElse(0);
        return lowest > finalized ? lowest : 0;
    }

    /** What verify adds to its line, or "" when the nodes run one release at its own metadata.version. */
    public String note() {
        if (mixed()) {
            Map<String, Set<Integer>> byRelease = new TreeMap<>();
            supported.forEach((node, level) -> byRelease.computeIfAbsent(release(level), r -> new TreeSet<>())
                    .add(node));
            return "nodes on Kafka " + byRelease.entrySet().stream().map(e -> e.getKey() + " (" + e.getValue().stream()
                    .map(String::valueOf).collect(Collectors.joining(",")) + ")").collect(Collectors.joining(" and "))
                    + ": a roll is under way";
        }
        int next = finalizable();
        return next == 0 ? "" : "metadata.version " + KafkaReleases.metadataVersionName(finalized) + " not raised to "
                + KafkaReleases.metadataVersionName(next) + " yet (rolled, not finalized)";
    }

    /** For --json: the finalized metadata.version and each node's release. */
    public Map<String, Object> facts() {
        Map<String, Object> facts = new LinkedHashMap<>();
        facts.put("metadataVersion", KafkaReleases.metadataVersionName(finalized));
        facts.put("metadataVersionLevel", finalized);
        Map<String, String> nodes = new TreeMap<>();
        supported.forEach((node, level) -> nodes.put(String.valueOf(node), release(level)));
        facts.put("kafkaVersions", nodes);
        facts.put("upgradeRolledNotFinalized", !mixed() && finalizable() > 0);
        return facts;
    }
}
