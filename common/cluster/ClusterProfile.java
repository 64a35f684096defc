package common.cluster;

import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Everything that differs between a development and a production cluster, in one place. */
public enum ClusterProfile {
    DEV(1, false, "512Mi", "500m", "-Xmx256m -Xms256m", JvmOptions.SERIAL, 1, "1Gi", Duration.ofSeconds(60), false,
            false, ClusterSecurity.NONE),
    PROD(3, true, "2Gi", "1", "-Xmx1g -Xms1g", JvmOptions.KAFKA_DEFAULT, 2, "10Gi", Duration.ofSeconds(120), true,
            true, ClusterSecurity.TLS);

    /** Brokers, each also a KRaft controller, unless --replicas asks for more. */
    public final int replicas;
    /** Whether --replicas may ask for more brokers than {@link #replicas} (never fewer). */
    public final boolean scalable;
    /** Requests equal limits (Guaranteed QoS). */
    public final String memory;
    public final String cpu;
    /** About half the memory limit: the rest is page cache, metaspace and direct buffers. */
    public final String heapOptions;
    /** The collector and JIT settings Kafka's start script is given (KAFKA_JVM_PERFORMANCE_OPTS). */
    public final String jvmOptions;
    public final int minInsyncReplicas;
    public final String storageSize;
    public final Duration readyTimeout;
    /**
     * Whether deploy restarts the brokers itself, one at a time and only when no partition would drop below its
     * min ISR (StatefulSet updateStrategy OnDelete); else the StatefulSet controller rolls them (one broker: there
     * is nothing to keep in sync).
     */
    public final boolean safeRoll;
    /**
     * Whether a NetworkPolicy lets only the cluster's own pods reach the controller port, and no pod the
     * port-forward listener; dev stays open for quick local work.
     */
    public final boolean isolatedNetwork;
    /**
     * A new cluster's listeners, unless --security says otherwise (a deployed cluster keeps its own): prod is
     * secure, dev open for quick local work.
     */
    public final ClusterSecurity security;

    ClusterProfile(int replicas, boolean scalable, String memory, String cpu, String heapOptions, String jvmOptions,
            int minInsyncReplicas, String storageSize, Duration readyTimeout, boolean safeRoll, boolean isolatedNetwork,
            ClusterSecurity security) {
        this.replicas = replicas;
        this.scalable = scalable;
        this.memory = memory;
        this.cpu = cpu;
        this.heapOptions = heapOptions;
        this.jvmOptions = jvmOptions;
        this.minInsyncReplicas = minInsyncReplicas;
        this.storageSize = storageSize;
        this.readyTimeout = readyTimeout;
        this.safeRoll = safeRoll;
        this.isolatedNetwork = isolatedNetwork;
        this.security = security;
    }

    /** The broker JVM's collector, chosen for the profile's CPU and heap. */
    public static final class JvmOptions {
        /**
         * What kafka-run-class.sh gives every Kafka JVM when KAFKA_JVM_PERFORMANCE_OPTS is unset: G1 with short
         * pauses, Kafka's choice for brokers with a heap of a gigabyte or more.
         */
        public static final String KAFKA_DEFAULT = "-server -XX:+UseG1GC -XX:MaxGCPauseMillis=20"
                + " -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15"
                + " -Djava.awt.headless=true";
        /**
         * Kafka's settings with the serial collector instead of G1: what the JVM itself picks in a container of
         * one CPU or less than 1792 MiB. A 256 MiB heap pauses briefly; G1 would spend the half CPU on its
         * concurrent threads, memory on its remembered sets, and needs contiguous free regions for every large
         * buffer (a start failed on the cleaner's: see {@link #cleanerDedupeBufferBytes}).
         */
        public static final String SERIAL = KAFKA_DEFAULT.replace("-XX:+UseG1GC -XX:MaxGCPauseMillis=20"
                + " -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent", "-XX:+UseSerialGC");

        private JvmOptions() {
        }
    }

    /**
     * The log cleaner's dedupe buffer, allocated in one piece when the broker starts: an eighth of the heap. Kafka's
     * 128 MiB default is half of dev's 256 MiB heap, for G1 a humongous object that needs that many contiguous free
     * regions, and a start failed on it once ("Error starting LogManager": OutOfMemoryError).
     */
    public long cleanerDedupeBufferBytes() {
        java.util.regex.Matcher heap = java.util.regex.Pattern.compile("-Xmx(\\d+)([mg])").matcher(heapOptions);
        if (!heap.find()) {
            throw new IllegalStateException("no -Xmx in " + heapOptions);
        }
        long megabytes = Long.parseLong(heap.group(1)) * (heap.group(2).equals("g") ? 1024 : 1);
        return (megabytes << 20) / 8;
    }

    /**
     * Copies of every partition, internal topics included: one per broker of the profile's size (more brokers
     * spread the partitions, they do not copy them more).
     */
    public int replicationFactor() {
        return replicas;
    }

    /** The broker count asked for, or a one-line reason why this profile cannot run it. */
    public int validReplicas(int asked) {
        if (asked == replicas || scalable && asked > replicas) {
            return asked;
        }
        throw new IllegalArgumentException("--replicas " + asked + ": " + id() + " runs " + (scalable
                ? "at least " + replicas + " brokers" : replicas + " broker" + (replicas == 1 ? "" : "s")
                        + "; use prod for more"));
    }

    /**
     * The min ISR a cluster with this replication factor runs as deployed (dev 1, prod 2), or empty when no profile
     * has that factor: anything lower says a grow or shrink stopped half-way (shrinks lower it first, grows raise it
     * last), and acks=all writes then take fewer copies than the profile promises.
     */
    public static java.util.OptionalInt minInsyncReplicasFor(int replicationFactor) {
        return Arrays.stream(values()).filter(profile -> profile.replicationFactor() == replicationFactor)
                .mapToInt(profile -> profile.minInsyncReplicas).findFirst();
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
