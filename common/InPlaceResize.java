package common;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The Kafka side of growing and shrinking a deployed cluster in place (KRaft voters, partition replicas, the
 * cluster's min ISR), each step waited for. Both resume where an interrupted deploy stopped and find nothing to do
 * on a cluster already at its size.
 */
public final class InPlaceResize {
    private final KafkaAccess kafka;
    private final Consumer<String> progress;

    public InPlaceResize(KafkaAccess kafka, Consumer<String> progress) {
        this.kafka = kafka;
        this.progress = progress;
    }

    /**
     * After the larger StatefulSet's pods are Ready: voters back on new storage replaced, then the quorum's voters
     * (see {@link KafkaManifests#voterIds}) added one at a time once caught up as observers. Growing from a profile with fewer copies (dev to prod), every
     * partition short of the profile's replication factor, internal topics too, then gets its new copies, and the
     * cluster's min ISR is raised to the profile's: as the last step, it says the grow is done, so that later deploys
     * leave topics made with fewer copies on purpose alone.
     *
     * @return how many voters it added
     */
    public int grow(KafkaManifests manifests, long deadline) {
        ClusterProfile profile = manifests.profile();
        QuorumChange quorum = new QuorumChange(kafka, progress);
        // A voter whose disk was lost is back as an observer on new storage: the quorum runs one voter short until
        // the old storage is replaced by the new (a lost volume, a replaced node).
        quorum.replaceVoters(new TreeSet<>(manifests.voterIds()), deadline);
        int added = quorum.addVoters(new TreeSet<>(manifests.voterIds()), deadline).size();
        Integer minIsr = ClusterMinIsr.get(kafka);
        if (minIsr == null || minIsr < profile.minInsyncReplicas) {
            new ReplicaChange(kafka, progress).raise(profile.replicationFactor(), nodes(manifests.replicas()),
                    deadline);
            ClusterMinIsr.write(kafka, profile.minInsyncReplicas);
        }
        return added;
    }

    /** Whether a voter of the cluster's size is not one yet: a grow is still to do (or was interrupted). */
    public boolean votersMissing(KafkaManifests manifests) {
        return !new QuorumChange(kafka, progress).allVoters(new TreeSet<>(manifests.voterIds()));
    }

    /**
     * Before the smaller StatefulSet is applied: min ISR down to the profile's (see {@link ClusterMinIsr}), every
     * partition onto the brokers that stay, then the voters beyond the smaller quorum out, one at a time. Refuses
     * first, with nothing changed, while a broker that stays is down or a partition is offline (moving it could
     * never finish); a leaving broker may be down.
     */
    public void shrink(KafkaManifests manifests, int deployedReplicas, long deadline) {
        List<Integer> staying = nodes(manifests.replicas());
        requireShrinkable(staying, manifests.replicas(), deployedReplicas);
        Set<Integer> leavingVoters = IntStream.range(manifests.voterIds().size(), deployedReplicas).boxed()
                .collect(Collectors.toCollection(TreeSet::new));
        ClusterMinIsr.set(kafka, manifests.profile().minInsyncReplicas);
        new ReplicaChange(kafka, progress).keepOn(staying, deadline);
        new QuorumChange(kafka, progress).removeVoters(leavingVoters, deadline);
    }

    private void requireShrinkable(List<Integer> staying, int replicas, int deployedReplicas) {
        String refusal = "cannot shrink from " + deployedReplicas + " to " + replicas + " brokers";
        new QuorumChange(kafka, progress).requireUp(staying, refusal);
        PartitionHealth partitions = PartitionHealth.of(kafka);
        if (!partitions.offline().isEmpty()) {
            throw new CommandFailure(refusal + ": " + partitions.problems() + "; nothing changed");
        }
    }

    private static List<Integer> nodes(int replicas) {
        return IntStream.range(0, replicas).boxed().toList();
    }
}
