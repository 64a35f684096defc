package tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import common.cluster.ClusterProfile;
import common.cluster.KafkaManifests;
import common.cluster.KafkaNetworkPolicy;
import common.cluster.KraftQuorum;
import common.cluster.Platform;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tests.support.ApiServer;
import tests.support.JsonResult;
import tests.support.Scripts;
import tests.support.Tokens;

/**
 * deploy.java, run as a process, against a stand-in API server (fabric8's CRUD mock, taught server-side apply).
 * There is no kubelet: where pods must exist, the test creates them and sets their status. Each test uses its own
 * namespace.
 */
class DeployApplyTest {
    @RegisterExtension
    static final ApiServer api = new ApiServer();

    private Scripts.Result deploy(String... args) {
        return Scripts.run(api.environment(), Duration.ofMinutes(3), "deploy.java", args);
    }

    private HasMetadata stored(HasMetadata object) {
        return api.client().resource(object).get();
    }

    private Map<String, String> resourceVersions(List<HasMetadata> objects) {
        return objects.stream().collect(Collectors.toMap(o -> o.getKind() + "/" + o.getMetadata().getName(),
                o -> stored(o).getMetadata().getResourceVersion()));
    }

    @Test
    void appliesEveryRenderedObject() {
        Scripts.Result result = deploy("prod", "-n", "apply-all", "--no-wait");
        assertEquals(0, result.exitCode(), result.toString());
        List<HasMetadata> expected = new KafkaManifests(ClusterProfile.PROD, "apply-all",
                KafkaManifests.DEFAULT_IMAGE, null, null).all();
        assertEquals(6, expected.size());
        for (HasMetadata object : expected) {
            HasMetadata landed = stored(object);
            assertNotNull(landed, object.getKind() + " " + object.getMetadata().getName());
            assertEquals(object.getMetadata().getLabels(), landed.getMetadata().getLabels());
        }
        StatefulSet statefulSet = (StatefulSet) stored(expected.get(3));
        assertEquals(((StatefulSet) expected.get(3)).getSpec(), statefulSet.getSpec());
        assertTrue(result.stdout().startsWith("deploy prod: 6 created"), result.stdout());
        assertTrue(result.stdout().contains("kafka.apply-all.svc.cluster.local:9092"), result.stdout());
        // A new cluster: its first voters, for the pods' first start, until the quorum has formed.
        assertEquals(3, formation("apply-all").split(",").length, formation("apply-all"));
        assertEquals(1, result.stdout().lines().count(), result.stdout());
        assertEquals("", result.stderr(), "stderr is silent on success when piped");
    }

    @Test
    void jsonCarriesTheSameFactsAsTheLine() {
        Scripts.Result result = deploy("prod", "-n", "as-json", "--no-wait", "--json");
        assertEquals(0, result.exitCode(), result.toString());
        Map<String, Object> json = JsonResult.parse(result);
        assertEquals(List.of("status", "profile", "namespace", "objects", "votersAdded", "brokersRemoved",
                "keptVolumes", "deletedVolumes", "restarted", "metadataVersion", "security", "secretsCreated",
                "brokers", "ready", "connection",
                "elapsedMs"),
                List.copyOf(json.keySet()));
        assertEquals("ok", json.get("status"));
        assertEquals("prod", json.get("profile"));
        assertEquals(Map.of("created", 6), json.get("objects"));
        assertEquals(3, ((Number) json.get("brokers")).intValue());
        assertEquals(null, json.get("ready"), "--no-wait: readiness not known");
        assertEquals("kafka.as-json.svc.cluster.local:9092", json.get("connection"));
    }

    @Test
    void aSecondRunChangesNothingAndSaysSo() {
        assertEquals(0, deploy("-n", "twice", "--no-wait").exitCode());
        List<HasMetadata> objects = new KafkaManifests(ClusterProfile.DEV, "twice", KafkaManifests.DEFAULT_IMAGE,
                null, null).all();
        Map<String, String> before = resourceVersions(objects);

        String formation = formation("twice");
        Scripts.Result second = deploy("-n", "twice", "--no-wait");
        assertEquals(0, second.exitCode(), second.toString());
        assertEquals(before, resourceVersions(objects));
        assertEquals(formation, formation("twice"), "the first voters are chosen once, when the cluster is made");
        assertTrue(second.stdout().startsWith("deploy dev: 4 unchanged"), second.stdout());
    }

    /** --client-namespaces reaches prod's NetworkPolicy, and a deploy without it keeps what the cluster has. */
    @Test
    void theClientNamespacesAreAppliedAndKeptByTheNextDeploy() {
        Scripts.Result narrowed = deploy("prod", "-n", "narrowed", "--no-wait", "--client-namespaces",
                "learnflow,apps");
        assertEquals(0, narrowed.exitCode(), narrowed.toString());
        var policy = api.client().resources(NetworkPolicy.class).inNamespace("narrowed").withName("kafka");
        assertEquals(List.of("apps", "learnflow"), KafkaNetworkPolicy.clientNamespacesOf(policy.get()));
        Scripts.Result again = deploy("prod", "-n", "narrowed", "--no-wait");
        assertEquals(0, again.exitCode(), again.toString());
        assertTrue(again.stdout().startsWith("deploy prod: 6 unchanged"), again.stdout());
        assertEquals(List.of("apps", "learnflow"), KafkaNetworkPolicy.clientNamespacesOf(policy.get()));

        Scripts.Result widened = deploy("prod", "-n", "narrowed", "--no-wait", "--client-namespaces", "*");
        assertEquals(0, widened.exitCode(), widened.toString());
        assertTrue(widened.stdout().startsWith("deploy prod: 1 configured, 5 unchanged"), widened.stdout());
        assertEquals(List.of(), KafkaNetworkPolicy.clientNamespacesOf(policy.get()), "every pod again");
    }

    /**
     * One deploy at a time per namespace (review R4): a second one while another holds the Lease is refused with
     * nothing changed, naming the holder; a Lease its killed deploy left is taken over once it has expired; a deploy
     * gives it back as it ends.
     */
    @Test
    void aDeployWhileAnotherRunsIsRefusedAndAKilledOnesLeaseIsTakenOverOnceExpired() throws Exception {
        assertEquals(0, deploy("-n", "one-at-a-time", "--no-wait").exitCode());
        var lease = api.client().leases().inNamespace("one-at-a-time").withName("kafka-deploy");
        assertNull(lease.get(), "given back");
        java.time.ZonedDateTime now = java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC);
        api.client().resource(new io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder().withNewMetadata()
                .withName("kafka-deploy").withNamespace("one-at-a-time").endMetadata().withNewSpec()
                .withHolderIdentity("ci-runner/42/5f1c2a9e").withRenewTime(now).withLeaseDurationSeconds(300)
                .endSpec().build()).create();
        Scripts.Result refused = deploy("-n", "one-at-a-time", "--no-wait", "--image", "apache/kafka:4.4.1");
        assertEquals(1, refused.exitCode(), refused.toString());
        assertTrue(refused.stderr().startsWith("deploy: another deploy is running in namespace one-at-a-time (Lease "
                + "kafka-deploy held by ci-runner/42/5f1c2a9e until "), refused.stderr());
        assertEquals(KafkaManifests.DEFAULT_IMAGE, image("one-at-a-time"), "nothing changed");

        lease.edit(held -> { held.getSpec().setRenewTime(now.minusHours(1)); return held; });
        Scripts.Result taken = deploy("-n", "one-at-a-time", "--no-wait", "--image", "apache/kafka:4.4.1");
        assertEquals(0, taken.exitCode(), taken.toString());
        assertEquals("apache/kafka:4.4.1", image("one-at-a-time"));
        assertNull(lease.get(), "given back");

        // Interrupted or killed on this host (its process has ended): the same command run again goes on at once.
        Process ended = new ProcessBuilder("true").start();
        ended.waitFor();
        String host = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/kernel/hostname")).strip();
        api.client().resource(new io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder().withNewMetadata()
                .withName("kafka-deploy").withNamespace("one-at-a-time").endMetadata().withNewSpec()
                .withHolderIdentity(host + "/" + ended.pid() + "/0a1b2c3d").withRenewTime(now)
                .withLeaseDurationSeconds(300).endSpec().build()).create();
        Scripts.Result resumed = deploy("-n", "one-at-a-time", "--no-wait", "--image", "apache/kafka:4.4.2");
        assertEquals(0, resumed.exitCode(), resumed.toString());
        assertEquals("apache/kafka:4.4.2", image("one-at-a-time"));
    }

    private String image(String namespace) {
        return api.client().apps().statefulSets().inNamespace(namespace).withName("kafka").get().getSpec()
                .getTemplate().getSpec().getContainers().get(0).getImage();
    }

    /**
     * Volumes a deleted prod StatefulSet left hold its three KRaft voters: a dev deploy over them would start kafka-0
     * alone, which can never find a majority (and {@code --delete-data} would then delete the other voters' volumes
     * for good). Refused before anything is made, naming the volumes and the ways out; before, it created the dev
     * objects and timed out with no hint.
     */
    @Test
    void volumesKeptFromAClusterOfAnotherSizeAreNeverStartedWithTooFewBrokers() {
        api.client().namespaces().resource(new KafkaManifests(ClusterProfile.DEV, "kept-prod", KafkaManifests
                .DEFAULT_IMAGE, null, null).namespace()).create();
        for (int ordinal = 0; ordinal < 3; ordinal++) {
            createKeptClaim("kept-prod", ordinal);
        }
        for (String[] args : List.of(new String[] {"dev", "-n", "kept-prod"},
                new String[] {"dev", "-n", "kept-prod", "--delete-data"})) {
            Scripts.Result refused = deploy(args);
            assertEquals(1, refused.exitCode(), refused.toString());
            assertEquals("deploy: volumes data-kafka-0..2 kept from a cluster of 3 brokers: starting 1 on them could "
                    + "leave its KRaft voters without a majority; nothing changed. Bring it back at its size (deploy "
                    + "prod) and resize it then, or delete them first (deploy --delete --delete-data: the data is "
                    + "lost)\n", refused.stderr());
        }
        assertNull(api.client().apps().statefulSets().inNamespace("kept-prod").withName("kafka").get(),
                "nothing made");
        assertEquals(3, api.client().persistentVolumeClaims().inNamespace("kept-prod").list().getItems().size(),
                "no volume deleted");
    }

    /**
     * Kept volumes with the first deleted by hand: kafka-0 would format a new cluster on an empty volume, under the
     * same cluster id, while kafka-1 and kafka-2 start the old one on theirs (review R1). Refused with nothing made;
     * before, deploy read the volumes from data-kafka-0 on, found none, and made a new cluster over them.
     */
    @Test
    void keptVolumesWithTheFirstDeletedAreRefused() {
        api.client().namespaces().resource(new KafkaManifests(ClusterProfile.PROD, "gap", KafkaManifests
                .DEFAULT_IMAGE, null, null).namespace()).create();
        for (int ordinal = 1; ordinal < 3; ordinal++) {
            createKeptClaim("gap", ordinal);
        }
        Scripts.Result refused = deploy("prod", "-n", "gap");
        assertEquals(1, refused.exitCode(), refused.toString());
        assertEquals("deploy: volumes data-kafka-1..2 kept without data-kafka-0: a node started there would form a "
                + "new cluster beside the voters they hold; nothing changed. Restore it, or delete the volumes first "
                + "(deploy --delete --delete-data: the data is lost)\n", refused.stderr());
        assertNull(api.client().apps().statefulSets().inNamespace("gap").withName("kafka").get(), "nothing made");

        Scripts.Result deleted = deploy("--delete", "-n", "gap", "--delete-data");
        assertEquals(0, deleted.exitCode(), deleted.toString());
        assertEquals(List.of(), api.client().persistentVolumeClaims().inNamespace("gap").list().getItems(),
                "--delete-data finds the volumes after the gap too");
    }

    private static void createKeptClaim(String namespace, int ordinal) {
        api.client().persistentVolumeClaims().inNamespace(namespace).resource(new PersistentVolumeClaimBuilder()
                .withNewMetadata().withName("data-kafka-" + ordinal).withLabels(Map.of("app", "kafka",
                        "app.kubernetes.io/managed-by", "kafka-k8s-setup", KraftQuorum.LABEL,
                        KraftQuorum.DYNAMIC.label())).endMetadata()
                .withNewSpec().withAccessModes("ReadWriteOnce").withNewResources()
                .withRequests(Map.of("storage", new Quantity("10Gi"))).endResources().endSpec().build()).create();
    }

    /**
     * The formation a deploy without waiting leaves is closed by the next deploy, waiting or not, once its first
     * voters run: left open, a voter whose disk is lost would format again as its old self, with an empty log (the
     * hazard KIP-853's directory ids exist to stop). Before, only a waiting deploy closed it.
     */
    @Test
    void aFormationLeftByDeployingWithoutWaitingIsClosedByTheNextDeploy() {
        assertEquals(0, deploy("-n", "left-open", "--no-wait").exitCode());
        api.putPod("left-open", "kafka-0", ApiServer.ready());
        Scripts.Result plan = deploy("-n", "left-open", "--plan");
        assertEquals(4, plan.exitCode(), plan.toString());
        assertEquals("1. delete ConfigMap kafka-formation once the quorum has formed\nplan: 1 step\n", plan.stdout());
        Scripts.Result second = deploy("-n", "left-open", "--no-wait");
        assertEquals(0, second.exitCode(), second.toString());
        assertNull(formation("left-open"), "closed");
        Scripts.Result third = deploy("-n", "left-open", "--plan");
        assertEquals(0, third.exitCode(), third.toString());
        assertEquals("plan: nothing to do\n", third.stdout());
    }

    /** The formation's first voters in a namespace, or null when there is none. */
    private String formation(String namespace) {
        ConfigMap formation = api.client().configMaps().inNamespace(namespace).withName(KraftQuorum.FORMATION).get();
        return formation == null ? null : formation.getData().get(KraftQuorum.INITIAL_CONTROLLERS);
    }

    @Test
    void aClusterDeployedWithStaticVotersKeepsThem() {
        KafkaManifests old = new KafkaManifests(ClusterProfile.DEV, "static", KafkaManifests.DEFAULT_IMAGE, null,
                null).withQuorum(KraftQuorum.STATIC);
        api.client().namespaces().resource(old.namespace()).create();
        old.namespaced().forEach(object -> api.client().resource(object).create());

        Scripts.Result result = deploy("dev", "-n", "static", "--no-wait");
        assertEquals(0, result.exitCode(), result.toString());
        StatefulSet statefulSet = api.client().apps().statefulSets().inNamespace("static").withName("kafka").get();
        assertEquals(KraftQuorum.STATIC, KraftQuorum.of(statefulSet));
        assertEquals(old.statefulSet().getSpec().getTemplate(), statefulSet.getSpec().getTemplate());
        assertNull(formation("static"), "an existing cluster is never formed again");
    }

    @Test
    void volumesKeptFromAStaticClusterBringItBackStatic() {
        // deploy --delete keeps the volumes; claims without the quorum label were formatted with static voters.
        api.client().namespaces().resource(new KafkaManifests(ClusterProfile.DEV, "kept", KafkaManifests
                .DEFAULT_IMAGE, null, null).namespace()).create();
        api.client().persistentVolumeClaims().inNamespace("kept").resource(new PersistentVolumeClaimBuilder()
                .withNewMetadata().withName("data-kafka-0").withLabels(Map.of("app", "kafka",
                        "app.kubernetes.io/managed-by", "kafka-k8s-setup")).endMetadata()
                .withNewSpec().withAccessModes("ReadWriteOnce").withNewResources()
                .withRequests(Map.of("storage", new Quantity("1Gi"))).endResources().endSpec().build()).create();

        Scripts.Result result = deploy("dev", "-n", "kept", "--no-wait");
        assertEquals(0, result.exitCode(), result.toString());
        StatefulSet statefulSet = api.client().apps().statefulSets().inNamespace("kept").withName("kafka").get();
        assertEquals(KraftQuorum.STATIC, KraftQuorum.of(statefulSet));
        assertNull(formation("kept"), "the data exists: no first voters");
    }

    /**
     * Right after {@code deploy --delete --delete-data}, a claim stays Terminating until its pod has stopped (the
     * API server's pvc-protection finalizer). A deploy then waits for it to go and forms a new cluster; before, it
     * took the claim for kept data, wrote no formation, and the new cluster never formed.
     */
    @Test
    void aDeployRightAfterDeletingTheDataWaitsForTheVolumesAndFormsANewCluster() throws Exception {
        api.client().namespaces().resource(new KafkaManifests(ClusterProfile.DEV, "reset", KafkaManifests
                .DEFAULT_IMAGE, null, null).namespace()).create();
        var claim = api.client().persistentVolumeClaims().inNamespace("reset").resource(
                new PersistentVolumeClaimBuilder().withNewMetadata().withName("data-kafka-0")
                        .withLabels(Map.of("app", "kafka", "app.kubernetes.io/managed-by", "kafka-k8s-setup",
                                KraftQuorum.LABEL, KraftQuorum.DYNAMIC.label()))
                        .withFinalizers("kubernetes.io/pvc-protection").endMetadata()
                        .withNewSpec().withAccessModes("ReadWriteOnce").withNewResources()
                        .withRequests(Map.of("storage", new Quantity("1Gi"))).endResources().endSpec().build());
        claim.create();
        claim.delete();
        assertNotNull(claim.get().getMetadata().getDeletionTimestamp(), "Terminating while its pod stops");
        // The pod stops a few seconds later; pvc-protection then lets the claim go.
        Thread stopping = new Thread(() -> {
            try {
                Thread.sleep(3_000);
                claim.edit(terminating -> new PersistentVolumeClaimBuilder(terminating).editMetadata()
                        .withFinalizers(List.of()).endMetadata().build());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        stopping.start();
        Scripts.Result result = deploy("dev", "-n", "reset", "--no-wait");
        stopping.join();
        assertEquals(0, result.exitCode(), result.toString());
        assertNull(claim.get(), "the old claim is gone");
        assertEquals(1, formation("reset").split(",").length, "a new cluster, with its first voter");
    }

    @Test
    void aFieldSomeoneElseAddedSurvivesARerun() {
        assertEquals(0, deploy("-n", "hand-edit", "--no-wait").exitCode());
        api.client().services().inNamespace("hand-edit").withName("kafka")
                .edit(s -> { s.getMetadata().setAnnotations(Map.of("team/owner", "learnflow")); return s; });

        Scripts.Result rerun = deploy("-n", "hand-edit", "--no-wait");
        assertEquals(0, rerun.exitCode(), rerun.toString());
        Service service = api.client().services().inNamespace("hand-edit").withName("kafka").get();
        assertEquals("learnflow", service.getMetadata().getAnnotations().get("team/owner"));
    }

    @Test
    void shrinkingWithoutWaitingStopsBeforeChangingAnything() {
        assertEquals(0, deploy("prod", "-n", "switch", "--no-wait").exitCode());
        StatefulSet before = api.client().apps().statefulSets().inNamespace("switch").withName("kafka").get();

        Scripts.Result dev = deploy("dev", "-n", "switch", "--no-wait");
        assertEquals(1, dev.exitCode(), dev.toString());
        assertTrue(dev.stderr().contains("shrinking from 3 to 1 brokers moves every partition first and waits for "
                + "it: run it without --no-wait; nothing changed"), dev.stderr());
        StatefulSet after = api.client().apps().statefulSets().inNamespace("switch").withName("kafka").get();
        assertEquals(before.getMetadata().getResourceVersion(), after.getMetadata().getResourceVersion());
        assertNotNull(api.client().resources(PodDisruptionBudget.class).inNamespace("switch").withName("kafka")
                .get(), "nothing half-applied");
    }

    @Test
    void growingDevToProdAppliesInPlaceAndKeepsTheVolumeSize() {
        assertEquals(0, deploy("dev", "-n", "grow", "--no-wait").exitCode());
        Scripts.Result prod = deploy("prod", "-n", "grow", "--no-wait");
        assertEquals(0, prod.exitCode(), prod.toString());
        StatefulSet statefulSet = api.client().apps().statefulSets().inNamespace("grow").withName("kafka").get();
        assertEquals(3, statefulSet.getSpec().getReplicas());
        assertEquals("OnDelete", statefulSet.getSpec().getUpdateStrategy().getType(), "kafka-0 waits for the roll");
        assertEquals("1Gi", KafkaManifests.storageSizeOf(statefulSet), "a claim template cannot change");
    }

    @Test
    void aVolumeSizeChangeStopsBeforeChangingAnything() {
        assertEquals(0, deploy("dev", "-n", "resize", "--no-wait").exitCode());
        Scripts.Result resized = deploy("dev", "-n", "resize", "--no-wait", "--storage-size", "5Gi");
        assertEquals(1, resized.exitCode(), resized.toString());
        assertTrue(resized.stderr().contains("volume size would change from 1Gi to 5Gi"), resized.stderr());
    }

    @Test
    void recreateReplacesTheClusterAndDeletesItsVolumes() {
        assertEquals(0, deploy("dev", "-n", "recreate", "--no-wait").exitCode());
        String uid = api.client().apps().statefulSets().inNamespace("recreate").withName("kafka").get()
                .getMetadata().getUid();
        // The test plays the StatefulSet controller: the volume it would have made for pod 0.
        api.client().persistentVolumeClaims().inNamespace("recreate").resource(new PersistentVolumeClaimBuilder()
                .withNewMetadata().withName("data-kafka-0").withLabels(Map.of("app", "kafka",
                        "app.kubernetes.io/managed-by", "kafka-k8s-setup")).endMetadata()
                .withNewSpec().withAccessModes("ReadWriteOnce").withNewResources()
                .withRequests(Map.of("storage", new Quantity("1Gi"))).endResources().endSpec().build()).create();

        Scripts.Result prod = deploy("prod", "-n", "recreate", "--no-wait", "--storage-size", "10Gi", "--recreate");
        assertEquals(0, prod.exitCode(), prod.toString());
        StatefulSet statefulSet = api.client().apps().statefulSets().inNamespace("recreate").withName("kafka").get();
        assertFalse(uid.equals(statefulSet.getMetadata().getUid()), "a new StatefulSet");
        assertEquals(3, statefulSet.getSpec().getReplicas());
        assertTrue(api.client().persistentVolumeClaims().inNamespace("recreate").list().getItems().isEmpty());
        assertEquals(3, formation("recreate").split(",").length, "a new cluster, new first voters");
        assertNotNull(api.client().resources(PodDisruptionBudget.class).inNamespace("recreate").withName("kafka")
                .get());
    }

    @Test
    void aChangeThatFitsInPlaceIsApplied() {
        assertEquals(0, deploy("dev", "-n", "upgrade", "--no-wait").exitCode());
        String uid = api.client().apps().statefulSets().inNamespace("upgrade").withName("kafka").get()
                .getMetadata().getUid();
        Scripts.Result upgraded = deploy("dev", "-n", "upgrade", "--no-wait", "--image", "apache/kafka:4.4.1");
        assertEquals(0, upgraded.exitCode(), upgraded.toString());
        assertTrue(upgraded.stdout().startsWith("deploy dev: 1 configured, 3 unchanged"), upgraded.stdout());
        StatefulSet statefulSet = api.client().apps().statefulSets().inNamespace("upgrade").withName("kafka").get();
        assertEquals(uid, statefulSet.getMetadata().getUid(), "updated, not recreated");
        assertEquals("apache/kafka:4.4.1",
                statefulSet.getSpec().getTemplate().getSpec().getContainers().get(0).getImage());
    }

    @Test
    void noWaitReturnsWithoutWaitingForBrokers() {
        Scripts.Result result = deploy("-n", "no-wait", "--no-wait");
        assertEquals(0, result.exitCode(), result.toString());
        assertFalse(result.stdout().contains("ready"), result.stdout());
        assertTrue(result.elapsed().compareTo(ClusterProfile.DEV.readyTimeout) < 0,
                "no pod ever becomes Ready here, yet it returned: " + result.elapsed());
    }

    @Test
    void aTimedOutWaitNamesEachPodThatIsNotReadyAndWhy() {
        // The test plays the kubelet: one pod cannot pull its image, one was OOMKilled, one cannot be scheduled.
        api.putPod("stuck", "kafka-0", ApiServer.waiting("ImagePullBackOff"));
        api.putPod("stuck", "kafka-1", ApiServer.oomKilled());
        api.putPod("stuck", "kafka-2", ApiServer.unschedulable());

        Scripts.Result result = deploy("prod", "-n", "stuck", "--timeout", "3s");
        assertEquals(1, result.exitCode(), result.toString());
        assertEquals("", result.stdout());
        String error = result.stderr().lines().reduce((a, b) -> b).orElse("");
        assertTrue(error.contains("0/3") && error.contains("kafka-0: ImagePullBackOff")
                && error.contains("kafka-1") && error.contains("OOMKilled")
                && error.contains("kafka-2: Unschedulable"), result.stderr());
        assertTrue(result.elapsed().compareTo(Duration.ofSeconds(3 + 20)) < 0, "bounded: " + result.elapsed());
    }

    @Test
    void onOpenShiftThePodsLeaveTheirIdsToThePlatform() {
        assertEquals(0, deploy("-n", "plain", "--no-wait").exitCode());
        assertEquals(1000L, podSecurity("plain").getRunAsUser(), "Kubernetes: the image's user");

        try (ApiServer openShift = new ApiServer()) {
            openShift.serveApiGroup(Platform.OPENSHIFT_API_GROUP);
            Scripts.Result detected = Scripts.run(openShift.environment(), Duration.ofMinutes(3), "deploy.java",
                    "-n", "detected", "--no-wait");
            assertEquals(0, detected.exitCode(), detected.toString());
            var context = openShift.client().apps().statefulSets().inNamespace("detected").withName("kafka").get()
                    .getSpec().getTemplate().getSpec().getSecurityContext();
            assertNull(context.getRunAsUser());
            assertNull(context.getFsGroup());
        }
        assertEquals(0, deploy("-n", "asked", "--no-wait", "--openshift").exitCode());
        assertNull(podSecurity("asked").getRunAsUser(), "--openshift without detection");
    }

    private static io.fabric8.kubernetes.api.model.PodSecurityContext podSecurity(String namespace) {
        return api.client().apps().statefulSets().inNamespace(namespace).withName("kafka").get().getSpec()
                .getTemplate().getSpec().getSecurityContext();
    }

    @Test
    void podsThatAdmissionRefusesAreExplainedFromTheStatefulSetsEvents() {
        // The test plays the StatefulSet controller in a namespace whose Pod Security admission refuses the pod.
        String refusal = "create Pod kafka-0 in StatefulSet kafka failed error: pods \"kafka-0\" is forbidden: "
                + "violates PodSecurity \"restricted:latest\": seccompProfile (pod or container \"kafka\" must set "
                + "securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")";
        api.client().v1().events().inNamespace("refused").resource(new EventBuilder()
                .withNewMetadata().withName("kafka.187a").withNamespace("refused").endMetadata()
                .withNewInvolvedObject().withKind("StatefulSet").withName("kafka").withNamespace("refused")
                .endInvolvedObject().withReason("FailedCreate").withType("Warning")
                .withLastTimestamp("2026-11-26T00:00:00Z").withMessage(refusal).build()).create();

        Scripts.Result result = deploy("dev", "-n", "refused", "--timeout", "3s");
        assertEquals(1, result.exitCode(), result.toString());
        String error = result.stderr().lines().reduce((a, b) -> b).orElse("");
        assertTrue(error.contains("kafka-0: not created; the StatefulSet controller cannot create pods: "
                + refusal), error);
    }

    @Test
    void oldReadyPodsDoNotEndTheWaitWhileTheRollingUpdateRuns() {
        assertEquals(0, deploy("dev", "-n", "rolling", "--no-wait").exitCode());
        // The test plays the kubelet and the controller: the old pod is Ready, the update has not reached it.
        api.putPod("rolling", "kafka-0", ApiServer.ready());
        api.reportStatefulSet("rolling", 1, 0);

        Scripts.Result result = deploy("dev", "-n", "rolling", "--image", "apache/kafka:4.4.1", "--timeout", "3s");
        assertEquals(1, result.exitCode(), result.toString());
        assertTrue(result.stderr().contains("1/1 brokers Ready after 3.0s: the rolling update has not finished "
                + "(0/1 pods updated)"), result.stderr());
    }

    @Test
    void readyPodsEndTheWaitWithTheSuccessLine() throws Exception {
        CompletableFuture<Scripts.Result> running = CompletableFuture.supplyAsync(
                () -> deploy("dev", "-n", "becomes-ready", "--timeout", "90s", "--verbose"));
        // Once the StatefulSet has landed, the test plays the kubelet and the StatefulSet controller: the pod starts,
        // becomes Ready, and the controller reports the rollout.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (api.client().apps().statefulSets().inNamespace("becomes-ready").withName("kafka").get() == null) {
            assertTrue(System.nanoTime() < deadline, "deploy did not apply the StatefulSet");
            assertFalse(running.isDone(), () -> "deploy ended early: " + running.join());
            Thread.sleep(200);
        }
        api.putPod("becomes-ready", "kafka-0", ApiServer.waiting("ContainerCreating"));
        api.reportStatefulSet("becomes-ready", 0, 1);
        Thread.sleep(500);
        api.putPod("becomes-ready", "kafka-0", ApiServer.ready());
        api.reportStatefulSet("becomes-ready", 1, 1);

        Scripts.Result result = running.get(120, TimeUnit.SECONDS);
        assertEquals(0, result.exitCode(), result.toString());
        assertTrue(result.stdout().matches("deploy dev: 4 created; 1/1 brokers ready in [0-9.]+s; bootstrap "
                + "kafka.becomes-ready.svc.cluster.local:9092\n"), result.stdout());
        assertNull(formation("becomes-ready"), "every broker Ready: the quorum has formed, the formation is gone");
        assertTrue(result.stderr().contains("waiting for brokers: 0/1 Ready"), "plain progress lines when piped "
                + "with --verbose: " + result.stderr());
        assertTrue(Tokens.count(result.stdout()) <= 50, result.stdout());
    }
}
