package common;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;

/**
 * Gives every partition of every topic, Kafka's internal ones included, a replica count on a set of brokers, with
 * partition reassignments (copies are added before any is dropped, so no partition loses data on the way), and
 * waits until they are done and in sync. Run again, it finds nothing to move.
 */
public final class ReplicaChange {
    private final KafkaAccess kafka;
    private final Consumer<String> progress;

    public ReplicaChange(KafkaAccess kafka, Consumer<String> progress) {
        this.kafka = kafka;
        this.progress = progress;
    }

    /**
     * Every partition on exactly {@code factor} of {@code brokers}: replicas kept where they are (the leader first),
     * new ones spread round-robin, extra ones and ones on other brokers dropped.
     *
     * @return how many partitions it moved
     */
    public int replicate(int factor, List<Integer> brokers, long deadline) {
        return move(factor, brokers, false, deadline);
    }

    /** As {@link #replicate}, for partitions with fewer than {@code factor} replicas only (growing a cluster). */
    public int raise(int factor, List<Integer> brokers, long deadline) {
        return move(factor, brokers, true, deadline);
    }

    private int move(int factor, List<Integer> brokers, boolean onlyShort, long deadline) {
        if (factor > brokers.size()) {
            throw new CommandFailure("cannot place " + factor + " replicas on brokers " + brokers);
        }
        Map<TopicPartition, Optional<NewPartitionReassignment>> moves = new LinkedHashMap<>();
        for (TopicDescription topic : topics().values()) {
            for (TopicPartitionInfo partition : topic.partitions()) {
                List<Integer> current = partition.replicas().stream().map(Node::id).toList();
                if (onlyShort && current.size() >= factor) {
                    continue;
                }
                List<Integer> target = target(current, factor, brokers, topic.name().hashCode() + partition
                        .partition());
                if (!target.equals(current)) {
                    moves.put(new TopicPartition(topic.name(), partition.partition()),
                            Optional.of(new NewPartitionReassignment(target)));
                }
            }
        }
        if (!moves.isEmpty()) {
            progress.accept("moving replicas of " + moves.size() + " partitions (replication factor " + factor + ")");
            kafka.await(kafka.admin().alterPartitionReassignments(moves).all(), "reassigning partitions");
            awaitInSync(moves.keySet(), factor, deadline);
        }
        return moves.size();
    }

    /** The replicas a partition should have: see {@link #replicate}. */
    static List<Integer> target(List<Integer> current, int factor, List<Integer> brokers, int spread) {
        List<Integer> target = new ArrayList<>(current.stream().filter(brokers::contains).limit(factor).toList());
        for (int i = 0; target.size() < factor; i++) {
            int candidate = brokers.get(Math.floorMod(spread + i, brokers.size()));
            if (!target.contains(candidate)) {
                target.add(candidate);
            }
        }
        return target;
    }

    /** Until no reassignment of {@code moved} runs and each has {@code factor} replicas, all in sync. */
    private void awaitInSync(java.util.Set<TopicPartition> moved, int factor, long deadline) {
        while (true) {
            long moving = kafka.await(kafka.admin().listPartitionReassignments(moved).reassignments(),
                    "listing reassignments").size();
            long behind = topics().values().stream().flatMap(topic -> topic.partitions().stream()
                    .filter(p -> moved.contains(new TopicPartition(topic.name(), p.partition()))))
                    .filter(p -> p.replicas().size() != factor || p.isr().size() != factor).count();
            if (moving == 0 && behind == 0) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new CommandFailure("timed out: " + moving + " partition reassignments running, " + behind
                        + " partitions not yet on " + factor + " in-sync replicas");
            }
            progress.accept("waiting for " + behind + " partitions to reach " + factor + " in-sync replicas");
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CommandFailure("interrupted while partitions move");
            }
        }
    }

    private Map<String, TopicDescription> topics() {
        var names = kafka.await(kafka.admin().listTopics(new org.apache.kafka.clients.admin.ListTopicsOptions()
                .listInternal(true)).names(), "listing topics");
        return kafka.await(kafka.admin().describeTopics(names).allTopicNames(), "describing topics");
    }
}
