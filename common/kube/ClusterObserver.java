package common.kube;

import common.cli.CommandFailure;
import common.cluster.ClusterCredentials;
import common.cluster.KafkaEndpoints;
import common.cluster.KafkaManifests;
import common.cluster.KafkaNetworkPolicy;
import common.cluster.KraftQuorum;
import common.cluster.Platform;
import common.day2.ObservedCluster;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** Reads what deploy decides from ({@link ObservedCluster}), with the deploy Role's get and list; writes nothing. */
public final class ClusterObserver {
    /** The StatefulSet controller's names for the data claims: {@code <claim template>-<pod>}. */
    private static final java.util.regex.Pattern DATA_CLAIM = java.util.regex.Pattern.compile(
            KafkaManifests.DATA_VOLUME + "-" + KafkaEndpoints.CLUSTER_NAME + "-\\d+");

    private final KubernetesClient client;
    private final KubernetesAccess access;
    private final String namespace;

    public ClusterObserver(KubernetesClient client, KubernetesAccess access, String namespace) {
        this.client = client;
        this.access = access;
        this.namespace = namespace;
    }

    /**
     * The Kubernetes side, under the names {@code rendered} uses. {@code openshift}: the user said so; otherwise
     * the cluster says whether it serves OpenShift's security API.
     */
    public ObservedCluster observe(KafkaManifests rendered, boolean openshift) {
        // Every read at once: each is a round trip to the API server, and none depends on another.
        ExecutorService reads = Executors.newFixedThreadPool(8, runnable -> {
            Thread thread = new Thread(runnable, "observe");
            thread.setDaemon(true);
            return thread;
        });
        try {
            var namespaceExists = CompletableFuture.supplyAsync(this::namespaceExists, reads);
            List<HasMetadata> names = new ArrayList<>(rendered.namespaced());
            names.addAll(rendered.unrendered());
            List<CompletableFuture<HasMetadata>> found = names.stream().map(object -> CompletableFuture.supplyAsync(
                    () -> get(object, "reading " + object.getKind() + " " + object.getMetadata().getName()), reads))
                    .toList();
            var formation = CompletableFuture.supplyAsync(() -> get(rendered.formation(),
                    "reading ConfigMap " + KraftQuorum.FORMATION), reads);
            var claims = CompletableFuture.supplyAsync(this::claims, reads);
            var platform = CompletableFuture.supplyAsync(() -> openshift ? Platform.OPENSHIFT : platform(), reads);
            var pods = CompletableFuture.supplyAsync(this::pods, reads);
            Map<String, CompletableFuture<Secret>> secrets = new LinkedHashMap<>();
            for (String name : ClusterCredentials.secretNames()) {
                secrets.put(name, CompletableFuture.supplyAsync(() -> secret(namespace, name), reads));
            }
            boolean exists = join(namespaceExists); // first: its failure says the most
            Map<String, HasMetadata> objects = new LinkedHashMap<>();
            for (CompletableFuture<HasMetadata> object : found) {
                HasMetadata live = join(object);
                if (live != null) {
                    objects.put(ObservedCluster.key(live), live);
                }
            }
            Map<String, Secret> credentials = new LinkedHashMap<>();
            secrets.forEach((name, read) -> {
                Secret secret = join(read);
                if (secret != null) {
                    credentials.put(name, secret);
                }
            });
            List<String> clientNamespaces = rendered.clientNamespaces() != null ? rendered.clientNamespaces()
                    : KafkaNetworkPolicy.clientNamespacesOf(objects.get(ObservedCluster.key(
                            rendered.networkPolicy())));
            Map<String, CompletableFuture<Secret>> copyReads = new LinkedHashMap<>();
            for (String clientNamespace : clientNamespaces == null ? List.<String>of() : clientNamespaces) {
                for (String name : ClusterCredentials.COPIED) {
                    copyReads.put(clientNamespace + "/" + name, CompletableFuture.supplyAsync(
                            () -> secret(clientNamespace, name), reads));
                }
            }
            Map<String, Secret> copies = new LinkedHashMap<>();
            copyReads.forEach((key, read) -> {
                Secret copy = join(read);
                if (copy != null) {
                    copies.put(key, copy);
                }
            });
            return new ObservedCluster(exists, objects, join(claims), join(formation), join(platform),
                    join(pods), credentials, copies, null);
        } finally {
            reads.shutdownNow();
        }
    }

    /** A read's result, or the one-line failure it ended with. */
    private static <T> T join(CompletableFuture<T> read) {
        try {
            return read.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException failure ? failure : e;
        }
    }

    /**
     * Whether the namespace is there. A user who may not read it is assumed to have been given it. One being
     * deleted cannot take new objects: say so instead.
     */
    private boolean namespaceExists() {
        try {
            Namespace found = client.namespaces().withName(namespace).get();
            if (found != null && found.getStatus() != null && "Terminating".equals(found.getStatus().getPhase())) {
                throw new CommandFailure("namespace " + namespace + " is being deleted (Terminating): wait "
                        + "until it is gone, then deploy again");
            }
            return found != null;
        } catch (KubernetesClientException e) {
            if (e.getCode() == 403) {
                return true;
            }
            throw access.failure("reading Namespace " + namespace, e);
        }
    }

    /**
     * The data volumes data-kafka-0, data-kafka-1, ... by ordinal, whoever's they are, all of them: a gap (a volume
     * deleted by hand) must not hide the ones after it (review R1).
     */
    public List<PersistentVolumeClaim> claims() {
        try {
            return client.persistentVolumeClaims().inNamespace(namespace).list().getItems().stream()
                    .filter(claim -> DATA_CLAIM.matcher(claim.getMetadata().getName()).matches())
                    .sorted(java.util.Comparator.comparingInt(claim -> KafkaEndpoints.ordinalOf(claim.getMetadata()
                            .getName())))
                    .toList();
        } catch (KubernetesClientException e) {
            throw access.failure("listing the Kafka volumes", e);
        }
    }

    private List<Pod> pods() {
        try {
            return client.pods().inNamespace(namespace).withLabels(KafkaManifests.selector()).list().getItems();
        } catch (KubernetesClientException e) {
            throw access.failure("listing the Kafka pods", e);
        }
    }

    private Secret secret(String inNamespace, String name) {
        try {
            return client.secrets().inNamespace(inNamespace).withName(name).get();
        } catch (KubernetesClientException e) {
            throw access.failure("reading Secret " + name + (inNamespace.equals(namespace) ? ""
                    : " in namespace " + inNamespace), e);
        }
    }

    private Platform platform() {
        try {
            return client.hasApiGroup(Platform.OPENSHIFT_API_GROUP, false) ? Platform.OPENSHIFT : Platform.KUBERNETES;
        } catch (KubernetesClientException e) {
            throw access.failure("reading the API groups", e);
        }
    }

    private <T extends HasMetadata> T get(T named, String doing) {
        try {
            return client.resource(named).get();
        } catch (KubernetesClientException e) {
            throw access.failure(doing, e);
        }
    }
}
