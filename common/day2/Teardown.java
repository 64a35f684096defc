package common.day2;

import common.cli.Progress;
import common.cluster.ClusterCredentials;
import common.cluster.KafkaManifests;
import common.kube.ClusterObserver;
import common.kube.KubernetesAccess;
import common.kube.Ownership;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Removes what deploy made: the StatefulSet, the Services, the PodDisruptionBudget, and the data volumes only when
 * asked. Only objects that carry this tool's label; anything else with those names is left and named. The
 * namespace stays (other things may live in it).
 */
public final class Teardown {
    private final KubernetesClient client;
    private final KubernetesAccess access;
    private final String namespace;

    /** What a teardown found: what goes, the volumes that stay, and the objects that are not the tool's. */
    /**
     * @param secrets a secure cluster's certificates and passwords: they go with the volumes (the admin user's
     *                password lives in the metadata on them)
     */
    public record Plan(List<HasMetadata> objects, List<PersistentVolumeClaim> volumes, List<HasMetadata> secrets,
            List<HasMetadata> foreign) {
    }

    public Teardown(KubernetesClient client, KubernetesAccess access, String namespace) {
        this.client = client;
        this.access = access;
        this.namespace = namespace;
    }

    /** Looks, changes nothing. */
    public Plan plan(KafkaManifests manifests) {
        List<HasMetadata> objects = new ArrayList<>();
        List<HasMetadata> foreign = new ArrayList<>();
        // The StatefulSet first: its pods stop before their Services go.
        List<HasMetadata> candidates = new ArrayList<>(List.of(manifests.statefulSet()));
        manifests.namespaced().stream().filter(object -> !(object instanceof StatefulSet)).forEach(candidates::add);
        candidates.addAll(manifests.unrendered());
        candidates.add(manifests.formation());
        for (HasMetadata rendered : candidates) {
            HasMetadata found = get(rendered);
            if (found != null) {
                (Ownership.ours(found) ? objects : foreign).add(found);
            }
        }
        List<HasMetadata> secrets = new ArrayList<>();
        for (String name : ClusterCredentials.secretNames()) {
            HasMetadata found = get(client.secrets().inNamespace(namespace).withName(name));
            if (found != null) {
                (Ownership.ours(found) ? secrets : foreign).add(found);
            }
        }
        return new Plan(objects, volumes(foreign), secrets, foreign);
    }

    /** The tool's data volumes; others' claims with those names go to {@code foreign}. */
    private List<PersistentVolumeClaim> volumes(List<HasMetadata> foreign) {
        List<PersistentVolumeClaim> volumes = new ArrayList<>();
        // The StatefulSet controller numbers its claims without gaps, and they go highest first.
        for (PersistentVolumeClaim claim : new ClusterObserver(client, access, namespace).claims()) {
            if (Ownership.ours(claim)) {
                volumes.add(claim);
            } else {
                foreign.add(claim);
            }
        }
        return volumes;
    }

    /**
     * Deletes the plan's objects, and its volumes when {@code withData}; the StatefulSet first, the volumes last and
     * highest first (an interrupted run leaves them numbered without gaps).
     */
    public void execute(Plan plan, boolean withData, Progress progress) {
        List<HasMetadata> doomed = new ArrayList<>(plan.objects());
        if (withData) {
            List<HasMetadata> volumes = new ArrayList<>(plan.volumes());
            java.util.Collections.reverse(volumes);
            doomed.addAll(volumes);
            doomed.addAll(plan.secrets());
        }
        for (HasMetadata object : doomed) {
            String what = object.getKind() + " " + object.getMetadata().getName();
            progress.update("deleting " + what);
            try {
                client.resource(object).withPropagationPolicy(DeletionPropagation.BACKGROUND).delete();
            } catch (KubernetesClientException e) {
                throw access.failure("deleting " + what, e);
            }
        }
    }

    private <T extends HasMetadata> T get(T rendered) {
        return get(client.resource(rendered));
    }

    private <T extends HasMetadata> T get(io.fabric8.kubernetes.client.dsl.Resource<T> resource) {
        try {
            return resource.get();
        } catch (KubernetesClientException e) {
            throw access.failure("reading the Kafka objects", e);
        }
    }

    /** "StatefulSet kafka", ... */
    public static List<String> names(List<? extends HasMetadata> objects) {
        return objects.stream().filter(Objects::nonNull)
                .map(object -> object.getKind() + " " + object.getMetadata().getName()).toList();
    }
}
