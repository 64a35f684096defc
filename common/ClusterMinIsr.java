package common;

import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;

/**
 * The cluster-level {@code min.insync.replicas}. With eligible leader replicas (ELR, on by default in Kafka 4.4) it
 * is the one that counts, and it cannot be removed (Kafka refuses: "Cluster-level min.insync.replicas cannot be
 * removed while ELR is enabled"); it starts as the value the cluster was created with, so a node's own setting
 * (prod's template) does not change it. A grow raises it once every partition has its new copies; a shrink lowers it
 * before partitions move onto fewer brokers.
 */
public final class ClusterMinIsr {
    private static final ConfigResource CLUSTER_DEFAULT = new ConfigResource(ConfigResource.Type.BROKER, "");

    private ClusterMinIsr() {
    }

    public static void set(KafkaAccess kafka, int minIsr) {
        alter(kafka, new AlterConfigOp(new ConfigEntry(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG,
                String.valueOf(minIsr)), AlterConfigOp.OpType.SET), "lowering min.insync.replicas");
    }

    private static void alter(KafkaAccess kafka, AlterConfigOp op, String what) {
        kafka.await(kafka.admin().incrementalAlterConfigs(Map.of(CLUSTER_DEFAULT, List.of(op))).all(), what);
    }
}
