package common.cluster;

import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How a cluster's KRaft voters are set, and so how its nodes format their storage. New clusters get a dynamic quorum
 * (KIP-853): the voters live in the metadata log and change one at a time through the Admin API. Clusters deployed
 * with static voters keep them.
 */
public enum KraftQuorum {
    /** {@code controller.quorum.voters} names every node, fixed for the cluster's life; the image formats storage. */
    STATIC,
    /**
     * {@code controller.quorum.bootstrap.servers}; each node formats its own storage: with the voters the tool chose
     * when it created the cluster, or, at any later first start (a node added, a disk replaced), as an observer that
     * a voter change must admit. Never from an empty disk alone: a lost disk on kafka-0 would start a second quorum.
     */
    DYNAMIC;

    /** The ConfigMap deploy writes only when it creates a cluster, and deletes once the quorum has formed. */
    public static final String FORMATION = "kafka-formation";
    /** Its key: the first voters, {@code id@host:port:directoryId,...}, as kafka-storage.sh format takes them. */
    public static final String INITIAL_CONTROLLERS = "initial-controllers";
    /** The pod's variable for it (not KAFKA_*: the image would turn that into a server property). */
    public static final String INITIAL_CONTROLLERS_ENV = "INITIAL_CONTROLLERS";
    /** On the volume claim template, so that volumes outliving their StatefulSet still say how they were formatted. */
    public static final String LABEL = "kafka-k8s-setup/quorum";
    static final String VOTERS_ENV = "KAFKA_CONTROLLER_QUORUM_VOTERS";
    static final String BOOTSTRAP_ENV = "KAFKA_CONTROLLER_QUORUM_BOOTSTRAP_SERVERS";
    /**
     * What the image's setup step prints for a dynamic quorum, after it has rendered server.properties: it formats
     * without any quorum flag, which kafka-storage refuses (even for formatted storage) unless static voters are set.
     */
    public static final String SETUP_REFUSAL = "controller.quorum.voters is not set";
    /** The image's setup step: server.properties and log4j files from the KAFKA_* variables, then a format. */
    public static final String IMAGE_SETUP = "/opt/kafka/bin/kafka-run-class.sh kafka.docker.KafkaDockerWrapper setup"
            + " --default-configs-dir /etc/kafka/docker --mounted-configs-dir /mnt/shared/config"
            + " --final-configs-dir /opt/kafka/config";
    /** The format a dynamic node runs itself; {@code $FORMAT_QUORUM} is its quorum flag. */
    public static final String FORMAT = "/opt/kafka/bin/kafka-storage.sh format --cluster-id \"$CLUSTER_ID\""
            + " --config /opt/kafka/config/server.properties --ignore-formatted $FORMAT_QUORUM";
    /** The same format as a Java argument file's contents (a secure cluster's; the shell fills in the values). */
    public static final String FORMAT_ARGUMENTS = "kafka.tools.StorageTool format --cluster-id $CLUSTER_ID"
            + " --config /opt/kafka/config/server.properties --ignore-formatted $FORMAT_QUORUM";
    /** Where a secure node writes its format's arguments: its config folder, in memory. */
    public static final String FORMAT_ARGUMENT_FILE = "/opt/kafka/config/format.args";
    public static final String SERVER_START = "/opt/kafka/bin/kafka-server-start.sh /opt/kafka/config/server.properties";
    /** Written once the image's setup has rendered the config folder: a restarted container skips it. */
    public static final String RENDERED = "/opt/kafka/config/kafka-k8s-setup.rendered";
    /** What a format writes first into the log dir: a formatted volume skips the format. */
    public static final String FORMATTED = KafkaManifests.LOG_DIR + "/meta.properties";

    /** The quorum a deployed StatefulSet runs. */
    public static KraftQuorum of(StatefulSet deployed) {
        return KafkaManifests.environmentOf(deployed, VOTERS_ENV) != null ? STATIC : DYNAMIC;
    }

    /** The quorum that formatted a volume: only this tool's dynamic clusters label their claims. */
    public static KraftQuorum of(PersistentVolumeClaim claim) {
        Map<String, String> labels = claim.getMetadata().getLabels();
        return labels != null && DYNAMIC.label().equals(labels.get(LABEL)) ? DYNAMIC : STATIC;
    }

    /**
     * How many of {@code nodes} nodes are voters. Static: every node, as the clusters it formatted had. Dynamic: an
     * odd number, at most five; an even count survives no more failures than one fewer, and every commit waits for
     * a majority. The other nodes fetch the metadata as observers.
     */
    public int voters(int nodes) {
        if (this == STATIC) {
            return nodes;
        }
        int voters = Math.min(nodes, 5);
        return voters % 2 == 0 ? voters - 1 : voters;
    }

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The quorum's server properties, as the image's variables; {@code controllers} is every node's endpoint. */
    void addEnvironment(Map<String, String> environment, List<String> controllers) {
        environment.put(this == STATIC ? VOTERS_ENV : BOOTSTRAP_ENV, String.join(",", controllers));
    }

    /** Whether the controller listener is advertised: a dynamic voter is added with the endpoint it advertises. */
    boolean advertisesController() {
        return this == DYNAMIC;
    }

    /**
     * The start script's lines after the node's own variables, before {@link #launch()}: a dynamic node's quorum
     * flag for its format, from the formation's voters when it is one of them.
     */
    List<String> prepare() {
        if (this == STATIC) {
            return List.of();
        }
        return List.of(
                "case \",${" + INITIAL_CONTROLLERS_ENV + "-}\" in",
                "  *\",$ordinal@\"*) export FORMAT_QUORUM=\"--initial-controllers $" + INITIAL_CONTROLLERS_ENV
                        + "\" ;;",
                "  *) export FORMAT_QUORUM=--no-initial-controllers ;;",
                "esac");
    }

    /**
     * The start script's last lines. Static: the image's entrypoint. Dynamic: the image's launch step with the format
     * it cannot do: its setup (tolerating only its refusal to format), the format, Kafka. Each JVM before Kafka's
     * costs seconds under the pod's CPU limit, so each runs only when needed: the setup once per pod (a restarted
     * container keeps the pod's config folder, and the pod's environment cannot change), the format once per volume.
     */
    List<String> launch(ClusterSecurity security) {
        if (this == STATIC) {
            return List.of("exec " + KafkaManifests.IMAGE_ENTRYPOINT);
        }
        List<String> lines = new ArrayList<>(List.of(
                "set -e",
                "if [ ! -e " + RENDERED + " ]; then",
                "  out=$(" + IMAGE_SETUP + " 2>&1) || case \"$out\" in *\"" + SETUP_REFUSAL
                        + "\"*) ;; *) echo \"$out\" >&2; exit 1 ;; esac",
                "  : > " + RENDERED,
                "fi",
                "if [ ! -e " + FORMATTED + " ]; then"));
        if (security == ClusterSecurity.NONE) {
            lines.add("  " + FORMAT);
        } else {
            // The java launcher expands an @file itself: the admin password reaches the format's arguments without
            // ever being on a process's command line. The file lives in memory, readable by this user only.
            lines.addAll(List.of(
                    "  (umask 077; printf '%s\\n' \"" + FORMAT_ARGUMENTS + " " + security.formatScram() + "\" > "
                            + FORMAT_ARGUMENT_FILE + ")",
                    "  formatted=0",
                    "  /opt/kafka/bin/kafka-run-class.sh @" + FORMAT_ARGUMENT_FILE + " || formatted=$?",
                    "  rm -f " + FORMAT_ARGUMENT_FILE,
                    "  [ \"$formatted\" = 0 ]"));
        }
        lines.add("fi");
        lines.add("exec " + SERVER_START);
        return lines;
    }
}
