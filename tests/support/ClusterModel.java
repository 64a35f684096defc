package tests.support;

import common.cluster.KafkaEndpoints;
import common.cluster.KafkaManifests;
import common.cluster.KraftQuorum;
import common.kube.PodReadiness;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;
import java.util.Map;

/**
 * Plays the StatefulSet controller and the kubelet for the stand-in API server, with real Kafka nodes as the
 * containers: a deleted pod's node is stopped (SIGTERM, as the kubelet does), the controller makes the pod again at
 * the template's current revision and the node starts again on its volumes; a pod is Ready while its node's client
 * port accepts (the readiness probe). A scale-up starts new nodes from the current template; a scale-down stops
 * the nodes above the new count. A pod without its claim gets a new one (an empty volume). A pod whose image no
 * registry serves stays in ImagePullBackOff. The StatefulSet's
 * status (revisions, ready and updated replicas) follows. With
 * updateStrategy RollingUpdate it also replaces outdated pods itself, one at a time, once the others are Ready.
 */
public final class ClusterModel implements AutoCloseable {
    private static final String REVISION_LABEL = "controller-revision-hash";
    private final KubernetesClient client;
    private final String namespace;
    private final KafkaNodes nodes;
    private final Thread loop;
    private volatile boolean running = true;
    private volatile Throwable failure;
    /** The pods whose image could not be pulled: their node does not run. */
    private final java.util.Set<Integer> unpulled = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** Takes over a deployed StatefulSet whose nodes already run: their pods exist at the current revision. */
    public ClusterModel(ApiServer api, String namespace, KafkaNodes nodes) {
        this.client = api.client();
        this.namespace = namespace;
        this.nodes = nodes;
        api.servePortForward(nodes.podNetwork(namespace));
        StatefulSet statefulSet = client.apps().statefulSets().inNamespace(namespace).withName("kafka").get();
        for (int ordinal = 0; ordinal < statefulSet.getSpec().getReplicas(); ordinal++) {
            String name = KafkaEndpoints.podName(ordinal);
            if (claim(statefulSet, ordinal).get() == null) {
                createClaim(statefulSet, ordinal);
            }
            if (client.pods().inNamespace(namespace).withName(name).get() == null) {
                createPod(name, statefulSet);
            }
        }
        this.loop = new Thread(this::run, "cluster-model");
        loop.setDaemon(true);
        loop.start();
    }

    private void run() {
        while (running) {
            try {
                step();
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            } catch (Throwable e) {
                if (running) { // an interrupted request while closing is no failure
                    failure = e;
                }
            }
        }
    }

    /** One reconciliation, as the controller and the kubelet each do continuously. */
    private void step() throws Exception {
        StatefulSet statefulSet = client.apps().statefulSets().inNamespace(namespace).withName("kafka").get();
        if (statefulSet == null) {
            return;
        }
        String revision = revision(statefulSet);
        int replicas = statefulSet.getSpec().getReplicas();
        int ready = 0;
        int updated = 0;
        // The kubelets stop the containers of pods deleted together at the same time.
        List<Integer> deleted = new java.util.ArrayList<>();
        for (int ordinal = 0; ordinal < replicas; ordinal++) {
            if (client.pods().inNamespace(namespace).withName(KafkaEndpoints.podName(ordinal)).get() == null) {
                deleted.add(ordinal);
            }
        }
        nodes.stopTogether(deleted);
        for (int ordinal = 0; ordinal < replicas; ordinal++) {
            String name = KafkaEndpoints.podName(ordinal);
            Pod pod = client.pods().inNamespace(namespace).withName(name).get();
            if (pod == null) {
                // Deleted (or never made: a scale-up): the kubelet stopped its container; the controller makes the
                // pod at the new revision, and the node starts from that template, on its volume.
                nodes.stop(ordinal);
                ensureClaim(statefulSet, ordinal);
                pod = createPod(name, statefulSet);
                if (pullable(statefulSet)) {
                    unpulled.remove(ordinal);
                    // The kubelet resolves the pod's optional reference to the formation ConfigMap as it starts it:
                    // once deploy has deleted it, a node on an empty disk reads no first voters.
                    if (client.configMaps().inNamespace(namespace).withName(KraftQuorum.FORMATION).get() == null) {
                        nodes.endFormation();
                    }
                    nodes.start(ordinal, statefulSet);
                } else {
                    unpulled.add(ordinal);
                }
            }
            boolean podReady = nodes.running(ordinal) && nodes.accepts(ordinal, KafkaEndpoints.CLIENT_PORT);
            if (podReady != PodReadiness.isReady(pod)) {
                pod.setStatus(podReady ? ApiServer.ready()
                        : ApiServer.waiting(unpulled.contains(ordinal) ? "ImagePullBackOff" : "ContainerNotReady"));
                client.pods().inNamespace(namespace).resource(pod).updateStatus();
            }
            ready += podReady ? 1 : 0;
            updated += revision.equals(pod.getMetadata().getLabels().get(REVISION_LABEL)) ? 1 : 0;
        }
        // A scale-down: the controller deletes the pods above the new count; the kubelet stops their containers.
        for (int ordinal = replicas; ordinal < nodes.replicas(); ordinal++) {
            Pod extra = client.pods().inNamespace(namespace).withName(KafkaEndpoints.podName(ordinal)).get();
            if (extra != null) {
                nodes.stop(ordinal);
                client.pods().inNamespace(namespace).resource(extra).delete();
            }
        }
        if (!"OnDelete".equals(statefulSet.getSpec().getUpdateStrategy().getType()) && ready == replicas) {
            replaceOneOutdated(replicas, revision);
        }
        var status = new StatefulSetStatusBuilder().withObservedGeneration(statefulSet.getMetadata().getGeneration())
                .withReplicas(replicas).withReadyReplicas(ready).withUpdatedReplicas(updated)
                .withCurrentReplicas(updated).withUpdateRevision(revision).withCurrentRevision(revision).build();
        if (!status.equals(statefulSet.getStatus())) {
            statefulSet.setStatus(status);
            client.apps().statefulSets().inNamespace(namespace).resource(statefulSet).updateStatus();
        }
    }

    /**
     * The kubelet pulls only images a registry serves: here, the official images of the releases whose Kafka the
     * harness runs from Maven Central's jars. Any other tag (a typo, a release not out) leaves its pod in
     * ImagePullBackOff, never started.
     */
    private static boolean pullable(StatefulSet statefulSet) {
        return statefulSet.getSpec().getTemplate().getSpec().getContainers().stream()
                .allMatch(container -> KafkaNodes.pullable(container.getImage()));
    }

    /** RollingUpdate: the controller deletes the highest outdated pod once all are Ready. */
    private void replaceOneOutdated(int replicas, String revision) {
        for (int ordinal = replicas - 1; ordinal >= 0; ordinal--) {
            Pod pod = client.pods().inNamespace(namespace).withName(KafkaEndpoints.podName(ordinal)).get();
            if (pod != null && !revision.equals(pod.getMetadata().getLabels().get(REVISION_LABEL))) {
                client.pods().inNamespace(namespace).resource(pod).delete();
                return;
            }
        }
    }

    /**
     * The controller makes a pod's claim from the claim template when there is none: at a node's first start, or
     * after the claim was deleted, when the node's old volume is gone and it starts on a new, empty one.
     */
    private void ensureClaim(StatefulSet statefulSet, int ordinal) {
        if (claim(statefulSet, ordinal).get() != null) {
            return;
        }
        if (nodes.starts(ordinal) > 0) {
            nodes.replaceVolume(ordinal);
        }
        createClaim(statefulSet, ordinal);
    }

    private void createClaim(StatefulSet statefulSet, int ordinal) {
        PersistentVolumeClaim template = statefulSet.getSpec().getVolumeClaimTemplates().get(0);
        client.persistentVolumeClaims().inNamespace(namespace).resource(new PersistentVolumeClaimBuilder(template)
                .editMetadata().withName(claimName(statefulSet, ordinal)).withNamespace(namespace).endMetadata()
                .build()).create();
    }

    private io.fabric8.kubernetes.client.dsl.Resource<PersistentVolumeClaim> claim(StatefulSet statefulSet,
            int ordinal) {
        return client.persistentVolumeClaims().inNamespace(namespace).withName(claimName(statefulSet, ordinal));
    }

    /** {@code <claim template>-<pod>}: data-kafka-0, ... */
    private static String claimName(StatefulSet statefulSet, int ordinal) {
        return statefulSet.getSpec().getVolumeClaimTemplates().get(0).getMetadata().getName() + "-"
                + KafkaEndpoints.podName(ordinal);
    }

    /** A pod at the StatefulSet's current revision, running its template's image. */
    private Pod createPod(String name, StatefulSet statefulSet) {
        String image = KafkaManifests.imageOf(statefulSet);
        Pod pod = new PodBuilder().withNewMetadata().withName(name).withNamespace(namespace)
                .withLabels(Map.of("app", "kafka", REVISION_LABEL, revision(statefulSet))).endMetadata()
                .withNewSpec().addNewContainer().withName("kafka").withImage(image).endContainer().endSpec()
                .build();
        return client.pods().inNamespace(namespace).resource(pod).create();
    }

    /** The StatefulSet controller names a revision after the pod template it was made from. */
    private static String revision(StatefulSet statefulSet) {
        String template = new KubernetesSerialization().asJson(statefulSet.getSpec().getTemplate());
        return "kafka-" + Integer.toHexString(template.hashCode());
    }


    /** Stops the model, then the nodes it ran; either may be null (a test class whose start failed part-way). */
    public static void stop(ClusterModel model, KafkaNodes nodes) throws InterruptedException {
        if (model != null) {
            model.close();
        }
        if (nodes != null) {
            nodes.close();
        }
    }

    /** Fails the test if the model itself broke. */
    public void check() {
        if (failure != null) {
            throw new AssertionError("the cluster model failed", failure);
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        loop.interrupt();
        loop.join(10_000);
        check();
    }
}
