package common.day2;

import common.cluster.ClusterCredentials;
import common.cluster.KafkaEndpoints;
import common.cluster.Platform;
import common.kafka.KafkaState;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.util.List;
import java.util.Map;

/**
 * The cluster as deploy found it, before it changes anything: what {@link DeployPlanner} decides from.
 *
 * @param namespaceExists whether the namespace is there (or may not be read, and so was given)
 * @param objects         the live objects under the names deploy renders, by {@link #key}
 * @param claims          the data volumes data-kafka-0, data-kafka-1, ... as far as they go without a gap
 * @param formation       the first voters' ConfigMap, or null
 * @param platform        where the pods run
 * @param pods            the Kafka pods
 * @param credentials     the Secrets of a secure cluster that exist, by name ({@link ClusterCredentials})
 * @param copies          their copies in the namespaces whose pods may reach the client port, by
 *                        {@code namespace/name} (see {@link ClusterCredentials#COPIED})
 * @param kafka           the Kafka side, or null when the plan needs none
 */
public record ObservedCluster(boolean namespaceExists, Map<String, HasMetadata> objects,
        List<PersistentVolumeClaim> claims, ConfigMap formation, Platform platform, List<Pod> pods,
        Map<String, Secret> credentials, Map<String, Secret> copies, KafkaState kafka) {

    /** Without any credential Secret. */
    public ObservedCluster(boolean namespaceExists, Map<String, HasMetadata> objects,
            List<PersistentVolumeClaim> claims, ConfigMap formation, Platform platform, List<Pod> pods,
            KafkaState kafka) {
        this(namespaceExists, objects, claims, formation, platform, pods, Map.of(), Map.of(), kafka);
    }

    /** Without copies of them. */
    public ObservedCluster(boolean namespaceExists, Map<String, HasMetadata> objects,
            List<PersistentVolumeClaim> claims, ConfigMap formation, Platform platform, List<Pod> pods,
            Map<String, Secret> credentials, KafkaState kafka) {
        this(namespaceExists, objects, claims, formation, platform, pods, credentials, Map.of(), kafka);
    }

    public static String key(HasMetadata object) {
        return object.getKind() + "/" + object.getMetadata().getName();
    }

    /** The live object under a rendered one's name, or null. */
    public HasMetadata live(HasMetadata rendered) {
        return objects.get(key(rendered));
    }

    /** The Kafka StatefulSet, or null when there is none. */
    public StatefulSet statefulSet() {
        return (StatefulSet) objects.get("StatefulSet/" + KafkaEndpoints.CLUSTER_NAME);
    }

    public ObservedCluster withKafka(KafkaState state) {
        return new ObservedCluster(namespaceExists, objects, claims, formation, platform, pods, credentials, copies,
                state);
    }
}
