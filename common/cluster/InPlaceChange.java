package common.cluster;

import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Which differences between a deployed Kafka StatefulSet and the rendered one cannot be applied in place: a static
 * KRaft voter set cannot change under a running quorum (a dynamic one can grow and shrink),
 * and a StatefulSet's volume claim templates are immutable.
 */
public final class InPlaceChange {
    private InPlaceChange() {
    }

    /** One phrase per blocking difference; empty when the update can be applied in place. */
    public static List<String> blockers(StatefulSet deployed, StatefulSet rendered) {
        List<String> blockers = new ArrayList<>();
        String deployedVoters = voters(deployed);
        String renderedVoters = voters(rendered);
        // A dynamic quorum grows and shrinks in place: deploy adds or removes the nodes as voters.
        boolean resizes = deployedVoters != null && renderedVoters != null
                && KraftQuorum.of(deployed) == KraftQuorum.DYNAMIC && KraftQuorum.of(rendered) == KraftQuorum.DYNAMIC
                && (renderedVoters.startsWith(deployedVoters + ",")
                        || deployedVoters.startsWith(renderedVoters + ","));
        if (!Objects.equals(deployedVoters, renderedVoters) && !resizes) {
            blockers.add(count(deployedVoters) == count(renderedVoters) ? "the KRaft voters' addresses would change"
                    : "the KRaft voter set would change from " + count(deployedVoters) + " to "
                            + count(renderedVoters) + " nodes");
        }
        PersistentVolumeClaim deployedClaim = claim(deployed);
        PersistentVolumeClaim renderedClaim = claim(rendered);
        if (deployedClaim != null && renderedClaim != null) {
            Quantity deployedSize = deployedClaim.getSpec().getResources().getRequests().get("storage");
            Quantity renderedSize = renderedClaim.getSpec().getResources().getRequests().get("storage");
            if (!sameAmount(deployedSize, renderedSize)) {
                blockers.add("the volume size would change from " + deployedSize + " to " + renderedSize);
            }
            String deployedClass = deployedClaim.getSpec().getStorageClassName();
            String renderedClass = renderedClaim.getSpec().getStorageClassName();
            // No class asked for means the cluster's default, whatever the server filled in.
            if (renderedClass != null && !renderedClass.equals(deployedClass)) {
                blockers.add("the storage class would change from " + (deployedClass == null ? "the default"
                        : deployedClass) + " to " + renderedClass);
            }
        }
        return blockers;
    }

    /** The static voters, or a dynamic quorum's controller endpoints (growing one in place is not built yet). */
    private static String voters(StatefulSet statefulSet) {
        String voters = KafkaManifests.environmentOf(statefulSet, KraftQuorum.VOTERS_ENV);
        return voters != null ? voters : KafkaManifests.environmentOf(statefulSet, KraftQuorum.BOOTSTRAP_ENV);
    }

    private static int count(String voters) {
        return voters == null || voters.isBlank() ? 0 : voters.split(",").length;
    }

    private static PersistentVolumeClaim claim(StatefulSet statefulSet) {
        List<PersistentVolumeClaim> claims = statefulSet.getSpec().getVolumeClaimTemplates();
        return claims == null || claims.isEmpty() ? null : claims.get(0);
    }

    private static boolean sameAmount(Quantity a, Quantity b) {
        return a == null || b == null ? a == b
                : Quantity.getAmountInBytes(a).compareTo(Quantity.getAmountInBytes(b)) == 0;
    }
}
