package common.kafka;

import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;

/**
 * The cluster-level {@code min.insync.replicas}. With eligible leader replicas (ELR, on by default in Kafka 4.4) it
 * is the one that counts, and it cannot be removed (Kafka refuses: "Cluster-level min.insync.replicas cannot be
 * removed while ELR is enabled"); it starts as the value the cluster was created with, so a node's own setting
 * (prod's template) does not change it. A grow raises it once every partition has its new copies; a shrink lowers it
 * before partitions move onto fewer brokers. {@code __transaction_state} follows it: Kafka creates that topic with a
 * topic-level value of its own (the profile's at the time), which would otherwise keep a grown cluster's
 * transactions on one copy, or a shrunk one's above its replication.
 */
public final class ClusterMinIsr {
    private static final ConfigResource CLUSTER_DEFAULT = new ConfigResource(ConfigResource.Type.BROKER, "");
    private static final String TRANSACTION_STATE = "__transaction_state";

    private ClusterMinIsr() {
    }

    /** Its value, or null when none is set. */
    public static Integer get(KafkaAccess kafka) {
        ConfigEntry current = kafka.await(kafka.admin().describeConfigs(List.of(CLUSTER_DEFAULT)).all(),
                "reading the cluster's min.insync.replicas").get(CLUSTER_DEFAULT)
                .get(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG);
        return current == null || current.value() == null ? null : Integer.valueOf(current.value());
    }

    /** Sets it, unless it has that value already (a deploy run again changes nothing). */
    public static void set(KafkaAccess kafka, int minIsr) {
        if (!Integer.valueOf(minIsr).equals(get(kafka))) {
            write(kafka, minIsr);
        }
    }

    /**
     * Sets it without looking first, for a caller that just read it; {@code __transaction_state}'s first, so that
     * the cluster's value, which says a grow is done, is written last.
     */
    static void write(KafkaAccess kafka, int minIsr) {
        AlterConfigOp op = new AlterConfigOp(new ConfigEntry(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG,
                String.valueOf(minIsr)), AlterConfigOp.OpType.SET);
        boolean transactions = kafka.await(kafka.admin().listTopics(new ListTopicsOptions().listInternal(true))
                .names(), "listing topics").contains(TRANSACTION_STATE);
        if (transactions) {
            kafka.await(kafka.admin().incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC,
                    TRANSACTION_STATE), List.of(op))).all(), "setting " + TRANSACTION_STATE + "'s min.insync.replicas");
        }
        kafka.await(kafka.admin().incrementalAlterConfigs(Map.of(CLUSTER_DEFAULT, List.of(op))).all(),
                "setting the cluster's min.insync.replicas");
    }
}
