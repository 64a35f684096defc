package common.kafka;

import common.cli.CommandFailure;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.QuorumInfo;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.ConfigResource;

/**
 * The cluster as deployed, not as it answers right now: the brokers' own {@code default.replication.factor} and
 * {@code min.insync.replicas} (what deploy set for the profile), its nodes (the KRaft voters and every registered
 * broker, fenced or not; each node here is both), and which of them answer. A topic created while a broker is down
 * must not quietly get fewer copies.
 */
public record ClusterDefaults(int replicationFactor, int minInsyncReplicas, Set<Integer> nodes,
        Set<Integer> brokers) {

    public static ClusterDefaults read(KafkaAccess access) {
        List<Node> registered = List.copyOf(access.await(access.admin().describeCluster(
                new DescribeClusterOptions().includeFencedBrokers(true)).nodes(), "reading the brokers"));
        List<Node> live = registered.stream().filter(node -> !node.isFenced()).toList();
        QuorumInfo quorum = access.await(access.admin().describeMetadataQuorum().quorumInfo(), "reading the quorum");
        if (live.isEmpty()) {
            throw new CommandFailure("no broker answers at " + access.where());
        }
        ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, String.valueOf(live.get(0).id()));
        Map<ConfigResource, Config> configs = access.await(access.admin().describeConfigs(List.of(broker)).all(),
                "reading the broker configuration");
        Config config = configs.get(broker);
        Set<Integer> nodes = quorum.voters().stream().map(QuorumInfo.ReplicaState::replicaId)
                .collect(Collectors.toCollection(TreeSet::new));
        registered.forEach(node -> nodes.add(node.id()));
        return new ClusterDefaults(intValue(config, "default.replication.factor"),
                intValue(config, "min.insync.replicas"), nodes,
                live.stream().map(Node::id).collect(Collectors.toCollection(TreeSet::new)));
    }

    /** The nodes that do not answer as brokers: down (fenced), or not started yet. */
    public Set<Integer> down() {
        Set<Integer> down = new TreeSet<>(nodes);
        down.removeAll(brokers);
        return down;
    }

    /** "broker 2 is down (nodes 0,1,2; answering 0,1)" */
    public String describeDown() {
        return "broker " + ids(down()) + (down().size() == 1 ? " is" : " are") + " down (nodes " + ids(nodes)
                + "; answering " + ids(brokers) + ")";
    }

    private static String ids(Set<Integer> ids) {
        return ids.stream().map(String::valueOf).collect(Collectors.joining(","));
    }

    private static int intValue(Config config, String name) {
        var entry = config == null ? null : config.get(name);
        return entry == null || entry.value() == null ? 1 : Integer.parseInt(entry.value());
    }
}
