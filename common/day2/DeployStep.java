package common.day2;

import common.cluster.KafkaEndpoints;
import common.cluster.KraftQuorum;
import common.kafka.KafkaReleases;
import common.kafka.KafkaState;
import java.lang.reflect.RecordComponent;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One step of a deploy, as {@code deploy --plan} lists it and deploy carries it out: a value that says what will
 * change, short enough for one line.
 */
public sealed interface DeployStep {
    /** One short line for a person. */
    String describe();

    /** Whether it changes the cluster (a wait does not). */
    default boolean changes() {
        return true;
    }

    /** The same as data: its kind and its fields. */
    default Map<String, Object> facts() {
        Map<String, Object> facts = new LinkedHashMap<>();
        String kind = getClass().getSimpleName();
        facts.put("step", Character.toLowerCase(kind.charAt(0)) + kind.substring(1));
        try {
            for (RecordComponent component : getClass().getRecordComponents()) {
                facts.put(component.getName(), component.getAccessor().invoke(this));
            }
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
        facts.put("description", describe());
        return facts;
    }

    /** Claims deleted just before (deploy --delete --delete-data) are still Terminating: a new cluster waits. */
    record AwaitVolumesDeleted(List<String> volumes) implements DeployStep {
        public String describe() {
            return "wait for " + Names.range(volumes) + " to finish deleting";
        }

        public boolean changes() {
            return false;
        }
    }

    /** --recreate: a change that cannot be made in place. */
    record Recreate(List<String> reasons, List<String> volumes) implements DeployStep {
        public String describe() {
            return "delete StatefulSet " + KafkaEndpoints.CLUSTER_NAME + (volumes.isEmpty() ? "" : " and "
                    + Names.range(volumes)) + " (" + String.join(", ", reasons) + "): all Kafka data lost";
        }
    }

    /** The cluster's min.insync.replicas, lowered before a shrink, raised as a grow's last step. */
    record SetMinIsr(Integer from, int to) implements DeployStep {
        public String describe() {
            return "set the cluster's min ISR " + (from == null ? "" : from + " → ") + to;
        }
    }

    /** A shrink's reassignments: every partition onto the brokers that stay. */
    record MovePartitions(int partitions, List<Integer> onto) implements DeployStep {
        public String describe() {
            return "move " + Names.count(partitions, "partition") + " onto broker" + (onto.size() == 1 ? " " : "s ")
                    + Names.ids(onto);
        }
    }

    /** Voters out of the KRaft quorum, one at a time, in this order. */
    record RemoveVoters(List<Integer> ids) implements DeployStep {
        public String describe() {
            return "remove node" + (ids.size() == 1 ? " " : "s ") + Names.ids(ids) + " from the KRaft voters"
                    + (ids.size() == 1 ? "" : " (in this order)");
        }
    }

    record CreateNamespace(String name) implements DeployStep {
        public String describe() {
            return "create Namespace " + name;
        }
    }

    /**
     * A secure cluster's missing Secrets (see {@link common.cluster.ClusterCredentials}): its CA and node
     * certificate, and its users' passwords, made here and never shown.
     */
    record CreateSecrets(List<String> names) implements DeployStep {
        public String describe() {
            return "create Secret" + (names.size() == 1 ? " " : "s ") + String.join(", ", names)
                    + " (made here, never shown)";
        }
    }

    /**
     * Copies of the LearnFlow user's Secret and the CA certificate into the namespaces whose pods may reach the
     * client port: pods reference Secrets of their own namespace only.
     */
    record CopySecrets(List<String> namespaces) implements DeployStep {
        public String describe() {
            return "copy Secrets " + String.join(", ", common.cluster.ClusterCredentials.COPIED) + " into namespace"
                    + (namespaces.size() == 1 ? " " : "s ") + String.join(", ", namespaces);
        }
    }

    /** A new node certificate from the same CA, before the roll that restarts every broker onto it. */
    record RenewNodeCertificate(String expires) implements DeployStep {
        public String describe() {
            return "renew the node certificate (expires " + expires.substring(0, 10) + ") and roll onto it";
        }
    }

    /**
     * Turning security on for an open cluster: the admin user's password into Kafka while the cluster is still open
     * (the volumes are formatted, so no format adds it), and a note on each volume's claim that the user exists.
     */
    record CreateAdminUser(String user) implements DeployStep {
        public String describe() {
            return "create user " + user + " in Kafka while the cluster is still open";
        }
    }

    /**
     * Every broker deleted at once, onto a template whose nodes cannot talk to the old ones (their controller and
     * replication traffic changes protocol): one at a time, the quorum would be lost half-way.
     */
    record RestartAll(List<Integer> pods) implements DeployStep {
        public String describe() {
            return "restart " + pods.stream().map(KafkaEndpoints::podName).collect(Collectors.joining(", "))
                    + " at once (the old and the new nodes cannot talk to each other)";
        }
    }

    /** The app user's password and ACLs into Kafka: read and write on the LearnFlow topics, its consumer groups. */
    record GrantAccess(String user, int topics) implements DeployStep {
        public String describe() {
            return "let user " + user + " read and write the " + topics + " LearnFlow topics with its groups ("
                    + user + "*)";
        }
    }

    /** A new cluster's first voters (see {@link KraftQuorum#FORMATION}). */
    record StartFormation(List<Integer> voters) implements DeployStep {
        public String describe() {
            return "create ConfigMap " + KraftQuorum.FORMATION + " (first voters: node" + (voters.size() == 1 ? " "
                    : "s ") + Names.ids(voters) + ")";
        }
    }

    /** A server-side apply of one object: created, or the fields that change. */
    record Apply(String kind, String name, boolean create, List<String> fields) implements DeployStep {
        public String describe() {
            return (create ? "create " : "change ") + kind + " " + name + (fields.isEmpty() ? ""
                    : ": " + String.join(", ", fields));
        }
    }

    /** An object of this tool's that the profile no longer renders. */
    record Delete(String kind, String name) implements DeployStep {
        public String describe() {
            return "delete " + kind + " " + name;
        }
    }

    /** Brokers a shrink removed, unregistered once their pods are gone (their controller registrations too). */
    record UnregisterBrokers(List<Integer> ids) implements DeployStep {
        public String describe() {
            return "unregister broker" + (ids.size() == 1 ? " " : "s ") + Names.ids(ids) + " once "
                    + (ids.size() == 1 ? "its pod is" : "their pods are") + " gone";
        }
    }

    /** --delete-data on a deploy: the volumes of brokers beyond the cluster's size. */
    record DeleteVolumes(List<String> volumes) implements DeployStep {
        public String describe() {
            return "delete " + Names.range(volumes) + ": their data is lost";
        }
    }

    /** A grow's new brokers, Ready before they can become voters. */
    record AwaitBrokers(int replicas) implements DeployStep {
        public String describe() {
            return "wait for " + replicas + " brokers Ready";
        }

        public boolean changes() {
            return false;
        }
    }

    /** Voters whose node came back on new storage: the old storage out, the new in. */
    record ReplaceVoters(List<Integer> ids) implements DeployStep {
        public String describe() {
            return "replace the old storage of voter" + (ids.size() == 1 ? " " : "s ") + Names.ids(ids)
                    + " by the new";
        }
    }

    record AddVoters(List<Integer> ids) implements DeployStep {
        public String describe() {
            return "add node" + (ids.size() == 1 ? " " : "s ") + Names.ids(ids) + " to the KRaft voters";
        }
    }

    /** A grow from a profile with fewer copies: the partitions short of the replication factor get new copies. */
    record AddReplicas(int partitions, int factor) implements DeployStep {
        public String describe() {
            return "copy " + Names.count(partitions, "partition") + " to " + factor + " replicas each";
        }
    }

    /**
     * After a grow's roll, the partitions created meanwhile: until then the quorum leader could be a node on dev's
     * settings, which gives a topic created without a replication factor one copy (review R6).
     */
    record AddReplicasCreatedMeanwhile(int factor) implements DeployStep {
        public String describe() {
            return "copy partitions created meanwhile, if any, to " + factor + " replicas each";
        }
    }

    /** The safe roll: the brokers that are down first, then one at a time, the quorum leader last. */
    record Restart(List<Integer> order, List<Integer> down) implements DeployStep {
        public String describe() {
            return "restart " + order.stream().map(id -> KafkaEndpoints.podName(id) + (down.contains(id) ? " (down)"
                    : "")).collect(Collectors.joining(", ")) + (order.size() == 1 ? "" : ", one at a time");
        }
    }

    /** A template change on a profile whose StatefulSet controller restarts the pods itself. */
    record ControllerRoll(List<Integer> pods) implements DeployStep {
        public String describe() {
            return "the StatefulSet controller restarts " + pods.stream().map(KafkaEndpoints::podName)
                    .collect(Collectors.joining(", ")) + " onto the new template";
        }

        /** Kubernetes does it, as the StatefulSet's change lands. */
        public boolean changes() {
            return false;
        }
    }

    /** Every broker Ready, as a deploy ends. */
    record AwaitRollout(int replicas) implements DeployStep {
        public String describe() {
            return "wait for " + replicas + "/" + replicas + " brokers Ready";
        }

        public boolean changes() {
            return false;
        }
    }

    /**
     * The Kafka version that formatted each volume, noted on its claim ({@link FormattedBy}): those this deploy made,
     * once their brokers are Ready, and those whose first pod still runs.
     *
     * @param volumes claim name → Kafka version
     */
    record RecordFormattedBy(Map<String, String> volumes) implements DeployStep {
        public String describe() {
            Map<String, List<String>> byVersion = new java.util.TreeMap<>();
            volumes.forEach((volume, version) -> byVersion.computeIfAbsent(version, v -> new java.util.ArrayList<>())
                    .add(volume));
            return "note on " + byVersion.entrySet().stream().map(entry -> String.join(", ", entry.getValue())
                    + " that Kafka " + entry.getKey() + " formatted " + (entry.getValue().size() == 1 ? "it" : "them"))
                    .collect(Collectors.joining("; on "));
        }
    }

    /**
     * --finalize: metadata.version, and the features the image's release turns on, raised to that release's levels
     * once every node runs it (Kafka checks that first). One-way: a finalized level is never lowered.
     *
     * @param from the finalized levels of the features it raises
     * @param to   their new levels
     */
    record RaiseFeatures(Map<String, Integer> from, Map<String, Integer> to) implements DeployStep {
        public String describe() {
            return "raise " + to.keySet().stream().map(name -> name + " " + level(name, from) + " → "
                    + level(name, to)).collect(Collectors.joining(", ")) + " (one-way: older Kafka can no longer run "
                    + "the cluster)";
        }

        /** The metadata.version of a release is named ("4.4-IV2"), the other features by their level. */
        private static String level(String feature, Map<String, Integer> levels) {
            int level = levels.getOrDefault(feature, 0);
            return KafkaState.METADATA_VERSION.equals(feature) ? KafkaReleases.metadataVersionName(level)
                    : String.valueOf(level);
        }
    }

    /** The quorum has formed: a node starting on an empty disk from now on joins as an observer. */
    record EndFormation() implements DeployStep {
        public String describe() {
            return "delete ConfigMap " + KraftQuorum.FORMATION + " once the quorum has formed";
        }
    }

    /** How steps name things. */
    final class Names {
        private Names() {
        }

        /** "data-kafka-3", "data-kafka-3..5" */
        static String range(List<String> names) {
            String noun = names.size() == 1 ? "volume " : "volumes ";
            return noun + (names.size() == 1 ? names.get(0) : names.get(0) + ".." + names.get(names.size() - 1)
                    .substring(names.get(names.size() - 1).lastIndexOf('-') + 1));
        }

        static String ids(List<Integer> ids) {
            return ids.stream().map(String::valueOf).collect(Collectors.joining(","));
        }

        static String count(int count, String noun) {
            return count + " " + noun + (count == 1 ? "" : "s");
        }

        /** "512 KiB", "1.5 GiB": in the binary units Kubernetes quantities use. */
        static String bytes(long bytes) {
            String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
            double value = bytes;
            int unit = 0;
            while (value >= 1024 && unit < units.length - 1) {
                value /= 1024;
                unit++;
            }
            return (value == Math.rint(value) ? String.valueOf((long) value)
                    : String.format(java.util.Locale.ROOT, "%.1f", value)) + " " + units[unit];
        }
    }
}
