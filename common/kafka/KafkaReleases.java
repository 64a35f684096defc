package common.kafka;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Kafka releases this tool knows, each with the highest {@code metadata.version} it runs (and formats a new
 * cluster at) and the other features' levels a new cluster of it gets. A node starts only while the cluster's finalized {@code metadata.version} is at most its release's
 * highest, and a finalized level is never lowered (levels 30, 32 and 33 changed the metadata format). Read from each
 * release's own jars by KafkaReleasesTest, not typed from memory.
 */
public final class KafkaReleases {
    /**
     * A release line ("4.4"), the highest metadata.version its nodes run, and the level of each other feature a new
     * cluster of it starts with (0: off), kraft.version aside: what {@code --finalize} raises a cluster to.
     */
    public record Release(String line, String metadataVersion, int level, Map<String, Integer> features) {
    }

    static final List<Release> KNOWN = List.of(
            new Release("4.0", "4.0-IV3", 25, Map.of("transaction.version", 2, "group.version", 1,
                    "eligible.leader.replicas.version", 0)),
            new Release("4.1", "4.1-IV1", 27, Map.of("transaction.version", 2, "group.version", 1,
                    "eligible.leader.replicas.version", 1, "share.version", 0, "streams.version", 0)),
            new Release("4.2", "4.2-IV1", 29, Map.of("transaction.version", 2, "group.version", 1,
                    "eligible.leader.replicas.version", 1, "share.version", 1, "streams.version", 1)),
            new Release("4.3", "4.3-IV0", 30, Map.of("transaction.version", 2, "group.version", 1,
                    "eligible.leader.replicas.version", 1, "share.version", 1, "streams.version", 1)),
            new Release("4.4", "4.4-IV2", 33, Map.of("transaction.version", 2, "group.version", 1,
                    "eligible.leader.replicas.version", 1, "share.version", 2, "streams.version", 1)));
    private static final Pattern VERSION = Pattern.compile("(\\d+)\\.(\\d+)\\.\\d+");
    private static final Pattern NUMBERED = Pattern.compile("(\\d{1,4})\\.(\\d{1,4})\\.(\\d{1,4})");
    /** apache/kafka:X.Y.Z, with or without a registry in front, and with or without a digest. */
    private static final Pattern OFFICIAL_IMAGE = Pattern.compile("(?:.+/)?apache/kafka:(\\d+\\.\\d+\\.\\d+)(?:@.*)?");

    /**
     * From this release on a volume is supported only under the Kafka that formatted it or a newer one (Kafka 4.4's
     * upgrade notes, KIP-1170): the format's bootstrap records (metadata.version, the admin user) go into the
     * quorum's first checkpoint, where an older Kafka does not look. KafkaReleasesTest shows a 4.3.2 node starting a
     * volume 4.4.0 formatted at 4.2-IV1 at its own 4.3-IV0 instead.
     */
    static final String BINDING_FORMAT_SINCE = "4.4.0";

    private KafkaReleases() {
    }

    /** Whether Kafka {@code version} starts a volume that Kafka {@code formattedBy} formatted (both "X.Y.Z"). */
    public static boolean startsVolumeOf(String version, String formattedBy) {
        return compare(formattedBy, BINDING_FORMAT_SINCE) < 0 || compare(version, formattedBy) >= 0;
    }

    /** Orders versions "X.Y.Z" by their numbers; one that is not such a version sorts first. */
    public static int compare(String version, String other) {
        return Long.compare(number(version), number(other));
    }

    private static long number(String version) {
        Matcher parts = NUMBERED.matcher(version);
        return parts.matches() ? Long.parseLong(parts.group(1)) * 100_000_000L + Long.parseLong(parts.group(2))
                * 10_000L + Long.parseLong(parts.group(3)) : -1;
    }

    /** The Kafka version an official image's tag names ("4.3.2"); empty for another image or tag. */
    public static Optional<String> versionOfImage(String image) {
        Matcher official = OFFICIAL_IMAGE.matcher(image);
        return official.matches() ? Optional.of(official.group(1)) : Optional.empty();
    }

    /** The release an official image's tag names; empty for another image or tag, or a release not known here. */
    public static Optional<Release> ofImage(String image) {
        return versionOfImage(image).flatMap(KafkaReleases::of);
    }

    /** The release of a version "X.Y.Z"; empty when this tool does not know it. */
    public static Optional<Release> of(String version) {
        Matcher parts = VERSION.matcher(version);
        if (!parts.matches()) {
            return Optional.empty();
        }
        String line = parts.group(1) + "." + parts.group(2);
        return KNOWN.stream().filter(release -> release.line().equals(line)).findFirst();
    }

    /** Whether a version "X.Y.Z" is older than every release this tool knows. */
    public static boolean olderThanKnown(String version) {
        Matcher parts = VERSION.matcher(version);
        String[] oldest = KNOWN.get(0).line().split("\\.");
        return parts.matches() && (Integer.parseInt(parts.group(1)) * 1000 + Integer.parseInt(parts.group(2))
                < Integer.parseInt(oldest[0]) * 1000 + Integer.parseInt(oldest[1]));
    }

    /** The release whose nodes run metadata.version up to {@code highestLevel}: what a node supporting it runs. */
    public static Optional<Release> runningUpTo(int highestLevel) {
        return KNOWN.stream().filter(release -> release.level() == highestLevel).findFirst();
    }

    /** "4.4-IV2", or "level 31" for a level that is no release's highest. */
    public static String metadataVersionName(int level) {
        return runningUpTo(level).map(Release::metadataVersion).orElse("level " + level);
    }

    /** "4.0 to 4.4" */
    public static String knownLines() {
        return KNOWN.get(0).line() + " to " + KNOWN.get(KNOWN.size() - 1).line();
    }
}
