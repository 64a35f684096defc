package common.day2;

import common.cluster.ClusterCredentials;
import common.cluster.KafkaEndpoints;
import common.cluster.KafkaManifests;
import common.cluster.KraftQuorum;
import common.kube.KubernetesAccess;
import common.kube.Ownership;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.util.List;

/** The steps that write the Kubernetes objects deploy renders: the namespace, the applied objects, the formation. */
final class ClusterObjects {
    /** The field manager of our server-side applies: what we set is ours, what others add stays theirs. */
    static final String FIELD_MANAGER = KafkaManifests.MANAGED_BY;

    private final KubernetesClient client;
    private final KubernetesAccess access;
    private final String namespace;

    ClusterObjects(KubernetesClient client, KubernetesAccess access, String namespace) {
        this.client = client;
        this.access = access;
        this.namespace = namespace;
    }

    /**
     * Creates the namespace (changing an existing one would need cluster-wide rights, and it is not ours).
     *
     * @return "created", or "unchanged" when another made it meanwhile
     */
    String createNamespace(KafkaManifests manifests) {
        try {
            client.resource(manifests.namespace()).create();
            return "created";
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw access.failure("creating Namespace " + namespace, e);
            }
            return "unchanged";
        }
    }

    /**
     * A new cluster's first voters, which its pods read at their first start (see {@link KraftQuorum#DYNAMIC}).
     * One left by an earlier deploy that stopped before any pod existed is replaced: no node formatted with it.
     */
    void startFormation(KafkaManifests manifests) {
        var formation = client.configMaps().inNamespace(namespace).withName(KraftQuorum.FORMATION);
        try {
            ConfigMap left = formation.get();
            if (left != null) {
                Ownership.requireOurs(List.of(left), "Changing them is possible");
                formation.delete();
            }
            client.configMaps().inNamespace(namespace).resource(manifests.formation()).create();
        } catch (KubernetesClientException e) {
            throw access.failure("creating ConfigMap " + KraftQuorum.FORMATION, e);
        }
    }

    /**
     * A secure cluster's new Secrets. One that exists meanwhile is kept: a Secret is never overwritten.
     *
     * @return how many were created
     */
    int createSecrets(List<Secret> secrets) {
        int created = 0;
        for (Secret secret : secrets) {
            try {
                client.secrets().inNamespace(namespace).resource(secret).create();
                created++;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409) {
                    throw access.failure("creating Secret " + secret.getMetadata().getName(), e);
                }
            }
        }
        return created;
    }

    /** Secrets that exist, given new contents (a merge patch of their keys). */
    void replaceSecrets(List<Secret> secrets) {
        for (Secret secret : secrets) {
            try {
                client.secrets().inNamespace(namespace).withName(secret.getMetadata().getName())
                        .patch(PatchContext.of(PatchType.JSON_MERGE), client.getKubernetesSerialization().asJson(
                                new io.fabric8.kubernetes.api.model.SecretBuilder().withStringData(
                                        secret.getStringData()).build()));
            } catch (KubernetesClientException e) {
                throw access.failure("replacing Secret " + secret.getMetadata().getName(), e);
            }
        }
    }

    /** Copies of {@link ClusterCredentials#COPIED} into each namespace, as their sources hold them now. */
    void copySecrets(List<String> namespaces) {
        for (String name : ClusterCredentials.COPIED) {
            Secret source;
            try {
                source = client.secrets().inNamespace(namespace).withName(name).get();
            } catch (KubernetesClientException e) {
                throw access.failure("reading Secret " + name, e);
            }
            for (String target : namespaces) {
                Secret copy = ClusterCredentials.copy(source, target);
                try {
                    client.secrets().inNamespace(target).resource(copy).create();
                } catch (KubernetesClientException e) {
                    if (e.getCode() != 409) {
                        throw access.failure("copying Secret " + name + " into namespace " + target, e);
                    }
                    patchCopy(copy, target);
                }
            }
        }
    }

    /** A copy that exists: its keys and marks, as a merge patch. */
    private void patchCopy(Secret copy, String target) {
        try {
            client.secrets().inNamespace(target).withName(copy.getMetadata().getName())
                    .patch(PatchContext.of(PatchType.JSON_MERGE), client.getKubernetesSerialization().asJson(
                            new io.fabric8.kubernetes.api.model.SecretBuilder().withNewMetadata()
                                    .withLabels(copy.getMetadata().getLabels())
                                    .withAnnotations(copy.getMetadata().getAnnotations()).endMetadata()
                                    .withData(copy.getData()).withStringData(copy.getStringData()).build()));
        } catch (KubernetesClientException e) {
            throw access.failure("copying Secret " + copy.getMetadata().getName() + " into namespace " + target, e);
        }
    }

    /** A user Secret's password. */
    String password(String secretName) {
        try {
            Secret secret = client.secrets().inNamespace(namespace).withName(secretName).get();
            if (secret == null) {
                throw new common.cli.CommandFailure("Secret " + secretName + " is gone: deploy again to make it");
            }
            return ClusterCredentials.value(secret, ClusterCredentials.PASSWORD);
        } catch (KubernetesClientException e) {
            throw access.failure("reading Secret " + secretName, e);
        }
    }

    /**
     * Deletes the brokers' pods all at once (the StatefulSet controller makes them again from the current template),
     * by name: the Role may delete pods, not collections of them.
     */
    void deletePods(List<Integer> ordinals) {
        for (int ordinal : ordinals) {
            String name = KafkaEndpoints.podName(ordinal);
            try {
                client.pods().inNamespace(namespace).withName(name).delete();
            } catch (KubernetesClientException e) {
                throw access.failure("deleting pod " + name, e);
            }
        }
    }

    /** Marks the app user's Secret: its password and ACLs are in Kafka (see {@link ClusterCredentials#GRANTED}). */
    void markGranted() {
        try {
            client.secrets().inNamespace(namespace).withName(ClusterCredentials.APP_SECRET)
                    .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"annotations\":{\""
                            + ClusterCredentials.GRANTED + "\":\"true\"}}}");
        } catch (KubernetesClientException e) {
            throw access.failure("annotating Secret " + ClusterCredentials.APP_SECRET, e);
        }
    }

    /** The quorum has formed: from now on a node on an empty disk joins as an observer, never as a first voter. */
    void endFormation() {
        var formation = client.configMaps().inNamespace(namespace).withName(KraftQuorum.FORMATION);
        try {
            ConfigMap left = formation.get();
            if (left != null && Ownership.ours(left)) {
                formation.delete();
            }
        } catch (KubernetesClientException e) {
            throw access.failure("deleting ConfigMap " + KraftQuorum.FORMATION, e);
        }
    }

    /**
     * A server-side apply of the rendered object the step names.
     *
     * @return "created" or "configured"
     */
    String apply(KafkaManifests manifests, DeployStep.Apply step) {
        HasMetadata object = rendered(manifests.namespaced(), step.kind(), step.name());
        try {
            client.resource(object).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
            return step.create() ? "created" : "configured";
        } catch (KubernetesClientException e) {
            throw access.failure("applying " + step.kind() + " " + step.name(), e);
        }
    }

    /**
     * Deletes what this tool made that the profile no longer renders (a prod PodDisruptionBudget on dev).
     *
     * @return whether it was there to delete
     */
    boolean delete(KafkaManifests manifests, DeployStep.Delete step) {
        HasMetadata object = rendered(manifests.unrendered(), step.kind(), step.name());
        try {
            HasMetadata found = client.resource(object).get();
            if (found != null && Ownership.ours(found)) {
                client.resource(found).delete();
                return true;
            }
            return false;
        } catch (KubernetesClientException e) {
            throw access.failure("deleting " + step.kind() + " " + step.name(), e);
        }
    }

    private static HasMetadata rendered(List<HasMetadata> objects, String kind, String name) {
        return objects.stream().filter(object -> object.getKind().equals(kind)
                && object.getMetadata().getName().equals(name)).findFirst().orElseThrow();
    }
}
