package common;

import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Everything that differs between a development and a production cluster, in one place. */
public enum ClusterProfile {
    DEV(1, "512Mi", "500m", "-Xmx256m -Xms256m", 1, "1Gi", Duration.ofSeconds(60), false),
    PROD(3, "2Gi", "1", "-Xmx1g -Xms1g", 2, "10Gi", Duration.ofSeconds(120), true);

    /** Brokers, each also a KRaft controller. */
    public final int replicas;
    /** Requests equal limits (Guaranteed QoS). */
    public final String memory;
    public final String cpu;
    /** About half the memory limit: the rest is page cache, metaspace and direct buffers. */
    public final String heapOptions;
    public final int minInsyncReplicas;
    public final String storageSize;
    public final Duration readyTimeout;
    /**
     * Whether deploy restarts the brokers itself, one at a time and only when no partition would drop below its
     * min ISR (StatefulSet updateStrategy OnDelete); else the StatefulSet controller rolls them (one broker: there
     * is nothing to keep in sync).
     */
    public final boolean safeRoll;

    ClusterProfile(int replicas, String memory, String cpu, String heapOptions, int minInsyncReplicas,
            String storageSize, Duration readyTimeout, boolean safeRoll) {
        this.replicas = replicas;
        this.memory = memory;
        this.cpu = cpu;
        this.heapOptions = heapOptions;
        this.minInsyncReplicas = minInsyncReplicas;
        this.storageSize = storageSize;
        this.readyTimeout = readyTimeout;
        this.safeRoll = safeRoll;
    }

    /** Every replica holds a copy of every partition, internal topics included. */
    public int replicationFactor() {
        return replicas;
    }

    /** A cluster that survives losing a node: it gets a disruption budget and spreads across nodes. */
    public boolean highlyAvailable() {
        return replicas > 1;
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static String choices() {
        return Arrays.stream(values()).map(ClusterProfile::id).collect(Collectors.joining(", "));
    }

    public static ClusterProfile parse(String text) {
        return Arrays.stream(values())
                .filter(p -> p.id().equalsIgnoreCase(text))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException(
                        "unknown profile '" + text + "' (valid profiles: " + choices() + ")"));
    }
}
