package common.kube;

import common.cli.CommandFailure;
import common.cluster.KafkaManifests;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Which objects are this tool's: those carrying {@code app.kubernetes.io/managed-by: kafka-k8s-setup}. The tool
 * changes or deletes nothing else unless the user says {@code --adopt}: a Service or StatefulSet named {@code kafka}
 * may well be another team's.
 */
public final class Ownership {
    private Ownership() {
    }

    public static boolean ours(HasMetadata object) {
        Map<String, String> labels = object.getMetadata().getLabels();
        return labels != null && KafkaManifests.MANAGED_BY.equals(labels.get(KafkaManifests.MANAGED_BY_LABEL));
    }

    /** Who manages it: its managed-by label, else the field managers that wrote it, else "unknown". */
    public static String manager(HasMetadata object) {
        Map<String, String> labels = object.getMetadata().getLabels();
        if (labels != null && labels.get(KafkaManifests.MANAGED_BY_LABEL) != null) {
            return labels.get(KafkaManifests.MANAGED_BY_LABEL);
        }
        List<ManagedFieldsEntry> fields = object.getMetadata().getManagedFields();
        String writers = fields == null ? "" : fields.stream().map(ManagedFieldsEntry::getManager)
                .filter(Objects::nonNull).distinct().collect(Collectors.joining(", "));
        return writers.isEmpty() ? "unknown" : writers;
    }

    /** Fails, before anything changes, when any of the existing objects is someone else's. */
    public static void requireOurs(List<HasMetadata> existing, String action) {
        List<String> foreign = existing.stream().filter(Objects::nonNull).filter(object -> !ours(object))
                .map(object -> object.getKind() + " " + object.getMetadata().getName() + " (managed by "
                        + manager(object) + ")")
                .toList();
        if (!foreign.isEmpty()) {
            throw new CommandFailure(String.join(", ", foreign) + (foreign.size() == 1 ? " is" : " are")
                    + " not " + KafkaManifests.MANAGED_BY + "'s: nothing changed. " + action
                    + " only with --adopt, or use another namespace");
        }
    }
}
