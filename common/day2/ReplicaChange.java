package common.day2;

import common.cli.CommandFailure;
import common.kafka.KafkaAccess;
import common.kafka.KafkaState;
import common.kafka.PartitionHealth;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.IntUnaryOperator;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;

/**
 * Places every partition of every topic, Kafka's internal ones included, on a set of brokers, with partition
 * reassignments (copies are added before any is dropped, so no partition loses data on the way), and
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
     * Every partition only on {@code brokers} (shrinking a cluster): each keeps its replica count, or as many as
     * there are brokers, its replicas on them staying where they are (the leader first).
     *
     * @return how many partitions it moved
     */
    public int keepOn(List<Integer> brokers, long deadline) {
        return move(current -> Math.min(current, brokers.size()), brokers, deadline);
    }

    /** Every partition with fewer than {@code factor} replicas given the missing ones (growing a cluster). */
    public int raise(int factor, List<Integer> brokers, long deadline) {
        if (factor > brokers.size()) {
            throw new CommandFailure("cannot place " + factor + " replicas on brokers " + brokers);
        }
        return move(current -> Math.max(current, factor), brokers, deadline);
    }

    /**
     * Reassigns every partition whose replicas are not {@code count(current count)} of {@code brokers}. Waits first
     * for reassignments already running (an interrupted deploy's, or anyone's): while one runs, a partition lists
     * its target and leaving replicas together, so what it will end with cannot be read yet.
     */
    private int move(IntUnaryOperator count, List<Integer> brokers, long deadline) {
        awaitRunningReassignments(deadline);
        Map<TopicPartition, Optional<NewPartitionReassignment>> moves = new LinkedHashMap<>();
        List<String> offline = new ArrayList<>();
        for (TopicDescription topic : topics().values()) {
            for (TopicPartitionInfo partition : topic.partitions()) {
                List<Integer> current = partition.replicas().stream().map(Node::id).toList();
                List<Integer> target = target(current, count.applyAsInt(current.size()), brokers,
                        spread(topic.name(), partition.partition()));
                if (!target.equals(current)) {
                    moves.put(new TopicPartition(topic.name(), partition.partition()),
                            Optional.of(new NewPartitionReassignment(target)));
                    if (partition.leader() == null || partition.leader().isEmpty()) {
                        offline.add(topic.name() + "-" + partition.partition());
                    }
                }
            }
        }
        // Without a leader nothing can be copied: the reassignment would never finish, and stay behind.
        if (!offline.isEmpty()) {
            java.util.Collections.sort(offline);
            throw new CommandFailure("cannot move replicas: " + offline.size() + " partitions offline ("
                    + PartitionHealth.named(offline) + "); nothing changed");
        }
        if (!moves.isEmpty()) {
            progress.accept("moving replicas of " + moves.size() + " partitions");
            kafka.await(kafka.admin().alterPartitionReassignments(moves).all(), "reassigning partitions");
            awaitInSync(moves, deadline);
        }
        return moves.size();
    }

    /** How many of {@code partitions} {@link #keepOn} would move: for a plan. */
    public static int movesToKeepOn(List<KafkaState.Partition> partitions, List<Integer> brokers) {
        return moves(partitions, current -> Math.min(current, brokers.size()), brokers);
    }

    /**
     * The bytes {@link #keepOn} would copy onto each of {@code brokers}, by broker: for a plan, to check they fit.
     */
    public static Map<Integer, Long> bytesToKeepOn(KafkaState kafka, List<Integer> brokers) {
        Map<Integer, Long> incoming = new java.util.TreeMap<>();
        for (KafkaState.Partition partition : kafka.partitions()) {
            for (int broker : target(partition, current -> Math.min(current, brokers.size()), brokers)) {
                if (!partition.replicas().contains(broker)) {
                    incoming.merge(broker, kafka.bytes(partition), Long::sum);
                }
            }
        }
        return incoming;
    }

    /** How many of {@code partitions} {@link #raise} would give new copies: for a plan. */
    public static int movesToRaise(List<KafkaState.Partition> partitions, int factor, List<Integer> brokers) {
        return moves(partitions, current -> Math.max(current, factor), brokers);
    }

    private static int moves(List<KafkaState.Partition> partitions, IntUnaryOperator count, List<Integer> brokers) {
        return (int) partitions.stream()
                .filter(partition -> !target(partition, count, brokers).equals(partition.replicas())).count();
    }

    /** The replicas a planned partition should have: see {@link #move}. */
    private static List<Integer> target(KafkaState.Partition partition, IntUnaryOperator count,
            List<Integer> brokers) {
        return target(partition.replicas(), count.applyAsInt(partition.replicas().size()), brokers,
                spread(partition.topic(), partition.partition()));
    }

    /** Where a partition's new replicas start among the brokers: spread by topic and partition. */
    private static int spread(String topic, int partition) {
        return topic.hashCode() + partition;
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

    private void awaitRunningReassignments(long deadline) {
        while (true) {
            var running = kafka.await(kafka.admin().listPartitionReassignments().reassignments(),
                    "listing reassignments").keySet();
            if (running.isEmpty()) {
                return;
            }
            List<String> names = running.stream().map(TopicPartition::toString).sorted().toList();
            if (System.nanoTime() > deadline) {
                throw new CommandFailure("timed out waiting for " + names.size() + " partition reassignments "
                        + "already running (" + PartitionHealth.named(names) + ")");
            }
            progress.accept("waiting for " + names.size() + " partition reassignments already running");
            pause();
        }
    }

    /** Until no reassignment of {@code moved} runs and each has its new replicas, all in sync. */
    private void awaitInSync(Map<TopicPartition, Optional<NewPartitionReassignment>> moved, long deadline) {
        while (true) {
            long moving = kafka.await(kafka.admin().listPartitionReassignments(moved.keySet()).reassignments(),
                    "listing reassignments").size();
            long behind = topics().values().stream().flatMap(topic -> topic.partitions().stream()
                    .filter(p -> !inSyncOn(p, moved.get(new TopicPartition(topic.name(), p.partition()))))).count();
            if (moving == 0 && behind == 0) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new CommandFailure("timed out: " + moving + " partition reassignments running, " + behind
                        + " partitions not yet on their new in-sync replicas");
            }
            progress.accept("waiting for " + behind + " partitions to reach their new in-sync replicas");
            pause();
        }
    }

    private static void pause() {
        try {
            Thread.sleep(500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommandFailure("interrupted while partitions move");
        }
    }

    /** Whether a partition has exactly the replicas of its reassignment (if any), all in sync. */
    private static boolean inSyncOn(TopicPartitionInfo partition, Optional<NewPartitionReassignment> reassignment) {
        if (reassignment == null) {
            return true;
        }
        java.util.Set<Integer> target = java.util.Set.copyOf(reassignment.orElseThrow().targetReplicas());
        return partition.replicas().stream().map(Node::id).collect(java.util.stream.Collectors.toSet())
                .equals(target) && partition.isr().size() == target.size();
    }

    private Map<String, TopicDescription> topics() {
        return KafkaState.describeTopics(kafka);
    }
}
