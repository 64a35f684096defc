package common.day2;

import common.cli.CommandFailure;
import common.cli.Progress;
import common.cluster.ClusterSecurity;
import common.cluster.KafkaEndpoints;
import common.kube.KubernetesAccess;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.util.List;
import java.util.Set;

/**
 * The steps on Kafka's volumes: deleting them or waiting for them to go, each until the deploy's deadline, and the
 * notes on their claims.
 */
final class Volumes {
    private final KubernetesClient client;
    private final KubernetesAccess access;
    private final String namespace;
    private final long deadline;

    Volumes(KubernetesClient client, KubernetesAccess access, String namespace, long deadline) {
        this.client = client;
        this.access = access;
        this.namespace = namespace;
        this.deadline = deadline;
    }

    /** Claims deleted just before, still Terminating while their pods stop. */
    void awaitDeleted(DeployStep.AwaitVolumesDeleted step, Progress progress) {
        for (String name : step.volumes()) {
            progress.update("waiting for PersistentVolumeClaim " + name + " to finish deleting");
            awaitDeleted(client.persistentVolumeClaims().inNamespace(namespace).withName(name),
                    "PersistentVolumeClaim " + name);
        }
    }

    /** --delete-data on a deploy: the volumes the step names, of those observed. */
    void delete(DeployStep.DeleteVolumes step, List<PersistentVolumeClaim> observed, Progress progress) {
        Set<String> names = Set.copyOf(step.volumes());
        List<PersistentVolumeClaim> volumes = observed.stream()
                .filter(claim -> names.contains(claim.getMetadata().getName())).toList();
        new Teardown(client, access, namespace).execute(new Teardown.Plan(List.of(), volumes, List.of(), List.of()), true,
                progress);
    }

    /** Notes on each claim which Kafka formatted it; a claim deleted meanwhile has nothing to note. */
    void recordFormattedBy(DeployStep.RecordFormattedBy step) {
        step.volumes().forEach((claim, version) -> patch(claim, "annotations", FormattedBy.ANNOTATION, version));
    }

    /**
     * Labels each claim of a cluster secured in place as a secure cluster's first format labels it: the admin user
     * exists in its metadata, so a StatefulSet deployed again onto these volumes is a secure one.
     */
    void labelSecure(List<PersistentVolumeClaim> claims) {
        for (PersistentVolumeClaim claim : claims) {
            patch(claim.getMetadata().getName(), "labels", ClusterSecurity.LABEL, ClusterSecurity.TLS.id());
        }
    }

    private void patch(String claim, String field, String key, String value) {
        try {
            client.persistentVolumeClaims().inNamespace(namespace).withName(claim).patch(PatchContext.of(
                    PatchType.JSON_MERGE), "{\"metadata\":{\"" + field + "\":{\"" + key + "\":\"" + value + "\"}}}");
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                throw access.failure("noting " + key + " on PersistentVolumeClaim " + claim, e);
            }
        }
    }

    /** --recreate: the StatefulSet, then exactly its volumes, each waited for. */
    void recreate(DeployStep.Recreate recreate, Progress progress) {
        var statefulSet = client.apps().statefulSets().inNamespace(namespace).withName(KafkaEndpoints.CLUSTER_NAME);
        try {
            progress.update("deleting StatefulSet " + KafkaEndpoints.CLUSTER_NAME + " (" + String.join(", ",
                    recreate.reasons()) + ")");
            statefulSet.withPropagationPolicy(DeletionPropagation.FOREGROUND).delete();
            awaitDeleted(statefulSet, "StatefulSet " + KafkaEndpoints.CLUSTER_NAME);
            progress.update("deleting the Kafka volumes");
            // Exactly this StatefulSet's claims, by name: a label could match someone else's.
            for (String claim : recreate.volumes()) {
                var volume = client.persistentVolumeClaims().inNamespace(namespace).withName(claim);
                volume.delete();
                awaitDeleted(volume, "PersistentVolumeClaim " + claim);
            }
        } catch (KubernetesClientException e) {
            throw access.failure("recreating the Kafka cluster", e);
        }
    }

    /** Polls with get, which the deploy Role allows, where a watch would need list and watch as well. */
    private void awaitDeleted(Resource<?> resource, String what) {
        try {
            while (resource.get() != null) {
                if (System.nanoTime() > deadline) {
                    throw new CommandFailure(what + " was not deleted in time (a finalizer may hold it)");
                }
                Thread.sleep(250);
            }
        } catch (KubernetesClientException e) {
            throw access.failure("waiting for " + what + " to go", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommandFailure("interrupted while deleting " + what);
        }
    }
}
