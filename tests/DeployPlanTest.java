package tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import common.cli.CommandFailure;
import common.cluster.ClusterCredentials;
import common.cluster.ClusterProfile;
import common.cluster.ClusterSecurity;
import common.cluster.KafkaManifests;
import common.cluster.KraftQuorum;
import common.cluster.Platform;
import common.cluster.certificates.CredentialSecrets;
import common.day2.DeployPlan;
import common.day2.DeployPlanner;
import common.day2.FormattedBy;
import common.day2.ObservedCluster;
import common.kafka.KafkaReleases;
import common.kafka.KafkaState;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * deploy's decision table: what it does to each cluster it may find, as the ordered steps {@code deploy --plan}
 * prints, computed from an observed state without a cluster or Kafka. Each row asserts the whole plan.
 */
class DeployPlanTest {
    private static final String NS = "plan";
    private static final String NEW_IMAGE = "apache/kafka:4.4.1";
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    @Test
    void aNewDevClusterIsCreatedFormedAndWaitedFor() {
        assertPlan(List.of(
                "create Namespace plan",
                "create ConfigMap kafka-formation (first voters: node 0)",
                "create Service kafka-headless",
                "create Service kafka",
                "create StatefulSet kafka",
                "wait for 1/1 brokers Ready",
                "note on data-kafka-0 that Kafka 4.4.0 formatted it",
                "delete ConfigMap kafka-formation once the quorum has formed",
                "plan: 8 steps"), plan(request(ClusterProfile.DEV), nothing()));
    }

    /** prod is secure by default: its Secrets before the pods that mount them, the LearnFlow user once Ready. */
    @Test
    void aNewProdClusterMakesItsSecretsThenGrantsTheLearnFlowUser() {
        assertPlan(List.of(
                "create Namespace plan",
                "create Secrets kafka-cluster-ca, kafka-cluster-ca-cert, kafka-node-tls, kafka-admin, learnflow "
                        + "(made here, never shown)",
                "create ConfigMap kafka-formation (first voters: nodes 0,1,2)",
                "create Service kafka-headless",
                "create Service kafka",
                "create StatefulSet kafka",
                "create PodDisruptionBudget kafka",
                "create NetworkPolicy kafka",
                "wait for 3/3 brokers Ready",
                "note on data-kafka-0, data-kafka-1, data-kafka-2 that Kafka 4.4.0 formatted them",
                "let user learnflow read and write the 7 LearnFlow topics with its groups (learnflow*)",
                "delete ConfigMap kafka-formation once the quorum has formed",
                "plan: 12 steps"), plan(request(ClusterProfile.PROD), nothing()));
    }

    @Test
    void aSecureClusterKeepsItsSecurityAndTheSecretsDeployCannotMakeAgain() {
        DeployPlanner.Request open = new DeployPlanner.Request(manifests(ClusterProfile.PROD,
                KafkaManifests.DEFAULT_IMAGE, null), null, null, null, false, null, false, false, false, false,
                ClusterSecurity.NONE);
        assertEquals("this cluster runs --security tls; changing it to none in place is not supported: nothing "
                + "changed. Deploy into another namespace, or delete this cluster first (deploy --delete "
                + "--delete-data: all Kafka data is lost)", assertThrows(CommandFailure.class, () -> plan(open,
                        Cluster.of(ClusterProfile.PROD, 3).observed())).getMessage());
        ObservedCluster withoutAdmin = Cluster.of(ClusterProfile.PROD, 3).observed();
        withoutAdmin.credentials().remove(ClusterCredentials.ADMIN_SECRET);
        assertEquals("Secret kafka-admin of this secure cluster is gone, and deploy cannot make it again (clients "
                + "trust the CA; the admin password is in Kafka's metadata): nothing changed. Restore it from a "
                + "backup", assertThrows(CommandFailure.class, () -> plan(request(ClusterProfile.PROD),
                        withoutAdmin)).getMessage());
        ObservedCluster withoutApp = Cluster.of(ClusterProfile.PROD, 3).observed();
        withoutApp.credentials().remove(ClusterCredentials.APP_SECRET);
        assertEquals(List.of(
                "1. create Secret learnflow (made here, never shown)",
                "2. wait for 3/3 brokers Ready",
                "3. let user learnflow read and write the 7 LearnFlow topics with its groups (learnflow*)",
                "plan: 3 steps"), plan(request(ClusterProfile.PROD), withoutApp).lines());
    }

    /**
     * {@code --security tls} on a running open cluster, and only then: the Secrets, the admin user while Kafka still
     * lets anyone in, the secure template, and every broker restarted at once (one at a time, the new nodes could
     * not reach the old ones' controllers); the claim template keeps its open label (immutable).
     */
    @Test
    void securityIsTurnedOnForARunningOpenClusterOnlyWhenAsked() {
        Cluster open = Cluster.of(ClusterProfile.PROD, 3);
        open.security = ClusterSecurity.NONE;
        assertTrue(plan(request(ClusterProfile.PROD), open.observed()).nothingToDo(), "a plain deploy keeps it open");
        DeployPlan secured = plan(security(ClusterProfile.PROD, ClusterSecurity.TLS, false), open.observed());
        assertEquals(List.of(
                "1. create Secrets kafka-cluster-ca, kafka-cluster-ca-cert, kafka-node-tls, kafka-admin, learnflow "
                        + "(made here, never shown)",
                "2. create user admin in Kafka while the cluster is still open",
                "3. change StatefulSet kafka: command, env, ports, volumeMounts, volumes",
                "4. change NetworkPolicy kafka: ingress",
                "5. restart kafka-0, kafka-1, kafka-2 at once (the old and the new nodes cannot talk to each other)",
                "6. wait for 3/3 brokers Ready",
                "7. let user learnflow read and write the 7 LearnFlow topics with its groups (learnflow*)",
                "plan: 7 steps; 3 brokers restarted at once"), secured.lines());
        assertEquals(open.observed().statefulSet().getSpec().getVolumeClaimTemplates(),
                secured.manifests().statefulSet().getSpec().getVolumeClaimTemplates());
        Cluster dev = Cluster.of(ClusterProfile.DEV, 1);
        assertEquals(List.of(
                "1. create Secrets kafka-cluster-ca, kafka-cluster-ca-cert, kafka-node-tls, kafka-admin, learnflow "
                        + "(made here, never shown)",
                "2. create user admin in Kafka while the cluster is still open",
                "3. change StatefulSet kafka: command, env, ports, volumeMounts, volumes",
                "4. the StatefulSet controller restarts kafka-0 onto the new template",
                "5. wait for 1/1 brokers Ready",
                "6. let user learnflow read and write the 7 LearnFlow topics with its groups (learnflow*)",
                "plan: 6 steps; 1 broker restarted"),
                plan(security(ClusterProfile.DEV, ClusterSecurity.TLS, false), dev.observed()).lines());
        assertEquals("turning security on restarts every broker and waits for them, on its own: run it without "
                + "--no-wait and without a change of --replicas; nothing changed", assertThrows(CommandFailure.class,
                        () -> plan(security(ClusterProfile.PROD, ClusterSecurity.TLS, true), open.observed()))
                                .getMessage());
        Cluster keptVolumes = Cluster.of(ClusterProfile.PROD, 3);
        keptVolumes.security = ClusterSecurity.NONE;
        keptVolumes.statefulSet = false;
        keptVolumes.pods = 0;
        assertEquals("this cluster was formatted with --security none; changing it to tls needs it running: deploy "
                + "it as it was, then again with --security tls: nothing changed. Deploy into another namespace, or "
                + "delete this cluster first (deploy --delete --delete-data: all Kafka data is lost)",
                assertThrows(CommandFailure.class, () -> plan(security(ClusterProfile.PROD, ClusterSecurity.TLS,
                        false), keptVolumes.observed())).getMessage());
    }

    /** Pods reference Secrets of their own namespace: a narrowed secure cluster keeps copies in its namespaces. */
    @Test
    void theClientNamespacesGetCopiesOfTheLearnFlowUsersSecrets() {
        Cluster cluster = Cluster.of(ClusterProfile.PROD, 3);
        cluster.clientNamespaces = List.of("shop", "tutor");
        cluster.copiedInto = List.of("shop");
        assertEquals(List.of("1. copy Secrets learnflow, kafka-cluster-ca-cert into namespace tutor",
                "2. wait for 3/3 brokers Ready", "plan: 2 steps"),
                plan(request(ClusterProfile.PROD), cluster.observed()).lines());
        cluster.copiedInto = List.of("shop", "tutor");
        assertTrue(plan(request(ClusterProfile.PROD), cluster.observed()).nothingToDo());
        ObservedCluster foreign = cluster.observed();
        foreign.copies().get("tutor/learnflow").getMetadata().setLabels(Map.of());
        assertEquals("Secret learnflow in namespace tutor is not this tool's copy: nothing changed. Copying over it "
                + "is possible only with --adopt", assertThrows(CommandFailure.class,
                        () -> plan(request(ClusterProfile.PROD), foreign)).getMessage());
    }

    /** Fewer than 30 days left: a new node certificate, and every broker restarted onto it, safely. */
    @Test
    void aNodeCertificateDueForRenewalIsRenewedAndRolledOnto() {
        Cluster cluster = Cluster.of(ClusterProfile.PROD, 3);
        cluster.nodeCertificateIssued = java.time.Instant.now().minus(java.time.Duration.ofDays(340));
        List<String> lines = plan(request(ClusterProfile.PROD), cluster.observed()).lines();
        assertTrue(lines.get(0).startsWith("1. renew the node certificate (expires "), lines.toString());
        assertTrue(lines.get(1).startsWith("2. change StatefulSet kafka: "), lines.toString());
        assertTrue(lines.get(2).startsWith("3. restart kafka-2, kafka-1, kafka-0"), lines.toString());
        Cluster later = Cluster.of(ClusterProfile.PROD, 3);
        later.nodeCertificateIssued = java.time.Instant.now().minus(java.time.Duration.ofDays(300));
        assertTrue(plan(request(ClusterProfile.PROD), later.observed()).nothingToDo(), "65 days left: not yet");
    }

    @Test
    void aConvergedClusterHasNothingToDo() {
        for (ClusterProfile profile : ClusterProfile.values()) {
            DeployPlan plan = plan(request(profile), Cluster.of(profile, profile.replicas).observed());
            assertTrue(plan.nothingToDo(), plan.lines().toString());
            assertEquals(List.of("plan: nothing to do"), plan.lines());
        }
    }

    @Test
    void aTemplateChangeOnDevIsRolledByTheStatefulSetController() {
        assertPlan(List.of(
                "1. change StatefulSet kafka: image apache/kafka:4.4.0→apache/kafka:4.4.1",
                "2. the StatefulSet controller restarts kafka-0 onto the new template",
                "3. wait for 1/1 brokers Ready",
                "plan: 3 steps; 1 broker restarted"), plan(request(ClusterProfile.DEV, NEW_IMAGE),
                Cluster.of(ClusterProfile.DEV, 1).observed()));
    }

    @Test
    void aTemplateChangeOnProdRestartsOneBrokerAtATimeTheQuorumLeaderLast() {
        Cluster prod = Cluster.of(ClusterProfile.PROD, 3);
        prod.leader = 1;
        assertPlan(List.of(
                "1. change StatefulSet kafka: image apache/kafka:4.4.0→apache/kafka:4.4.1",
                "2. restart kafka-2, kafka-0, kafka-1, one at a time",
                "3. wait for 3/3 brokers Ready",
                "plan: 3 steps; 3 brokers restarted one at a time"),
                plan(request(ClusterProfile.PROD, NEW_IMAGE), prod.observed()));
    }

    /**
     * A roll onto an older Kafka whose nodes cannot run the cluster's finalized metadata.version would leave every
     * broker it restarts down: refused before anything changes. Rolled back before finalizing, it goes ahead.
     */
    @Test
    void anImageThatCannotRunTheFinalizedMetadataVersionIsRefused() {
        Cluster prod = Cluster.of(ClusterProfile.PROD, 3);
        prod.formattedBy = Map.of(0, "4.3.2", 1, "4.3.2", 2, "4.3.2"); // formed on 4.3, then upgraded
        CommandFailure refusal = assertThrows(CommandFailure.class,
                () -> plan(request(ClusterProfile.PROD, "apache/kafka:4.3.2"), prod.observed()));
        assertEquals("apache/kafka:4.3.2 cannot run this cluster: its metadata.version 4.4-IV2 (level 33) is "
                + "finalized, and Kafka 4.3 runs at most 4.3-IV0 (level 30); a finalized metadata.version is never "
                + "lowered. Nothing changed", refusal.getMessage());
        assertEquals("apache/kafka:4.9.0: Kafka 4.9.0 is newer than the releases this tool knows (4.0 to 4.4), so it "
                + "cannot check that it runs this cluster; nothing changed. Use a kafka-k8s-setup that knows it",
                assertThrows(CommandFailure.class, () -> plan(request(ClusterProfile.PROD, "apache/kafka:4.9.0"),
                        prod.observed())).getMessage());
        assertEquals("create StatefulSet kafka", plan(request(ClusterProfile.DEV, "apache/kafka:4.9.0"), nothing())
                .lines().stream().filter(line -> line.contains("StatefulSet")).findFirst().orElseThrow()
                .substring(3), "a new cluster may start on any release");
        CommandFailure tooOld = assertThrows(CommandFailure.class,
                () -> plan(request(ClusterProfile.PROD, "apache/kafka:3.9.1"), prod.observed()));
        assertEquals("apache/kafka:3.9.1: Kafka 3.9.1 is older than the releases this tool knows (4.0 to 4.4); "
                + "nothing changed", tooOld.getMessage());

        prod.metadataVersion = 30; // rolled onto 4.4, not finalized: going back to 4.3 is allowed
        assertEquals("2. restart kafka-2, kafka-1, kafka-0, one at a time",
                plan(request(ClusterProfile.PROD, "apache/kafka:4.3.2"), prod.observed()).lines().get(1));
    }

    /**
     * From Kafka 4.4 on a volume starts only on the release that formatted it or a newer one: a roll back below the
     * release a volume's claim names is refused, even where metadata.version allows it (not finalized), also on dev.
     * Volumes an older release formatted bind nothing.
     */
    @Test
    void aVolumeFormattedByANewerReleaseRefusesTheRollBack() {
        Cluster prod = Cluster.of(ClusterProfile.PROD, 4);
        prod.metadataVersion = 30; // rolled onto 4.4, not finalized: metadata.version allows 4.3
        prod.formattedBy = Map.of(0, "4.3.2", 1, "4.3.2", 2, "4.3.2", 3, "4.4.0"); // grown on 4.4
        CommandFailure refusal = assertThrows(CommandFailure.class,
                () -> plan(request(ClusterProfile.PROD, "apache/kafka:4.3.2"), prod.observed()));
        assertEquals("apache/kafka:4.3.2 cannot run this cluster: data-kafka-3 was formatted by Kafka 4.4.0, and "
                + "from 4.4 on a volume needs the Kafka that formatted it or a newer one; nothing changed. Deploy "
                + "apache/kafka:4.4.0 or newer", refusal.getMessage());
        assertEquals("2. restart kafka-3, kafka-2, kafka-1, kafka-0, one at a time",
                plan(request(ClusterProfile.PROD, NEW_IMAGE), prod.observed()).lines().get(1));
        prod.formattedBy = Map.of(0, "4.3.2", 1, "4.3.2", 2, "4.3.2", 3, "4.3.2");
        assertEquals("2. restart kafka-3, kafka-2, kafka-1, kafka-0, one at a time",
                plan(request(ClusterProfile.PROD, "apache/kafka:4.3.2"), prod.observed()).lines().get(1));

        Cluster dev = Cluster.of(ClusterProfile.DEV, 1);
        dev.formattedBy = Map.of(0, "4.4.0");
        assertThrows(CommandFailure.class, () -> plan(request(ClusterProfile.DEV, "apache/kafka:4.3.2"),
                dev.observed()));
    }

    /** dev plans read no Kafka, except for a roll back: only Kafka says whether the older release can run it. */
    @Test
    void aRollBackOnDevAsksKafkaWhetherTheOlderReleaseCanRunIt() {
        Cluster dev = Cluster.of(ClusterProfile.DEV, 1);
        dev.formattedBy = Map.of(0, "4.3.2"); // formed on 4.3, upgraded and finalized
        assertTrue(new DeployPlanner(request(ClusterProfile.DEV, "apache/kafka:4.3.2"), dev.observed(),
                SERIALIZATION).needsKafka());
        assertFalse(new DeployPlanner(request(ClusterProfile.DEV, NEW_IMAGE), dev.observed(), SERIALIZATION)
                .needsKafka());
        assertTrue(assertThrows(CommandFailure.class, () -> plan(request(ClusterProfile.DEV, "apache/kafka:4.3.2"),
                dev.observed())).getMessage().startsWith("apache/kafka:4.3.2 cannot run this cluster: its "
                        + "metadata.version 4.4-IV2 (level 33) is finalized"));
    }

    /**
     * The release that formatted a volume is known from the pod that formatted it: the first on its claim, created
     * with it. A deploy with --no-wait could not note it; the next notes it while that pod runs, never from a pod
     * made later (a roll may have changed the image since the format).
     */
    @Test
    void theReleaseThatFormattedAVolumeIsNotedFromItsFirstPod() {
        Cluster dev = Cluster.of(ClusterProfile.DEV, 1);
        dev.formattedBy = Map.of();
        dev.podsCreatedAfterClaims = java.time.Duration.ofSeconds(1);
        assertPlan(List.of("1. note on data-kafka-0 that Kafka 4.4.0 formatted it", "plan: 1 step"),
                plan(request(ClusterProfile.DEV), dev.observed()));
        dev.podsCreatedAfterClaims = java.time.Duration.ofMinutes(5);
        assertTrue(plan(request(ClusterProfile.DEV), dev.observed()).nothingToDo());
    }

    /**
     * --finalize: the roll onto the new release first, metadata.version raised after it; nothing once raised, and
     * refused where it cannot say to what or cannot wait for the roll.
     */
    @Test
    void finalizeRaisesMetadataVersionAfterTheRollOnce() {
        Cluster prod = Cluster.of(ClusterProfile.PROD, 3);
        prod.metadataVersion = 30;
        prod.features = Map.of("transaction.version", 2, "group.version", 1, "eligible.leader.replicas.version", 1,
                "share.version", 1, "streams.version", 1); // as Kafka 4.3 formats a cluster
        assertPlan(List.of(
                "1. change StatefulSet kafka: image apache/kafka:4.4.0→apache/kafka:4.4.1",
                "2. restart kafka-2, kafka-1, kafka-0, one at a time",
                "3. wait for 3/3 brokers Ready",
                "4. raise metadata.version 4.3-IV0 → 4.4-IV2, share.version 1 → 2 (one-way: older Kafka can no "
                        + "longer run the cluster)",
                "plan: 4 steps; 3 brokers restarted one at a time"),
                plan(finalizing(NEW_IMAGE, false), prod.observed()));
        assertPlan(List.of(
                "1. raise metadata.version 4.3-IV0 → 4.4-IV2, share.version 1 → 2 (one-way: older Kafka can no "
                        + "longer run the cluster)",
                "plan: 1 step"), plan(finalizing(KafkaManifests.DEFAULT_IMAGE, false), prod.observed()));
        prod.registeredElsewhere = Set.of(5); // left by a scale-down done by hand
        assertEquals("--finalize: broker 5 is still registered in Kafka with no pod of this cluster, and Kafka raises "
                + "metadata.version only when every registered node runs it; nothing changed. Unregister it first: "
                + "kafka-cluster.sh unregister --id 5", assertThrows(CommandFailure.class,
                () -> plan(finalizing(NEW_IMAGE, false), prod.observed())).getMessage());
        prod.registeredElsewhere = Set.of();

        prod.metadataVersion = 33;
        prod.features = DEFAULT_RELEASE.features();
        assertTrue(plan(finalizing(KafkaManifests.DEFAULT_IMAGE, false), prod.observed()).nothingToDo());
        assertEquals("--finalize raises metadata.version once every broker runs the new Kafka, after the roll: run it "
                + "without --no-wait; nothing changed", assertThrows(CommandFailure.class,
                () -> plan(finalizing(KafkaManifests.DEFAULT_IMAGE, true), prod.observed())).getMessage());
        assertEquals("--finalize: example.com/kafka:custom names no Kafka release this tool knows (4.0 to 4.4), so no "
                + "metadata.version to raise to; nothing changed", assertThrows(CommandFailure.class,
                () -> plan(finalizing("example.com/kafka:custom", false), prod.observed())).getMessage());
    }

    @Test
    void aBrokerThatIsDownIsRestartedFirst() {
        Cluster prod = Cluster.of(ClusterProfile.PROD, 3);
        prod.down(0);
        assertEquals("2. restart kafka-0 (down), kafka-2, kafka-1, one at a time",
                plan(request(ClusterProfile.PROD, NEW_IMAGE), prod.observed()).lines().get(1));
    }

    @Test
    void devGrowsToProdInPlace() {
        Cluster dev = Cluster.of(ClusterProfile.DEV, 1);
        assertPlan(List.of(
                "change StatefulSet kafka: replicas 1→3, affinity, env, resources, updateStrategy",
                "create PodDisruptionBudget kafka",
                "create NetworkPolicy kafka",
                "wait for 3 brokers Ready",
                "add nodes 1,2 to the KRaft voters",
                "copy 6 partitions to 3 replicas each",
                "restart kafka-0",
                "copy partitions created meanwhile, if any, to 3 replicas each",
                "set the cluster's min ISR 1 → 2",
                "wait for 3/3 brokers Ready",
                "note on data-kafka-1, data-kafka-2 that Kafka 4.4.0 formatted them",
                "plan: 11 steps; 1 broker restarted"), plan(request(ClusterProfile.PROD), dev.observed()));
    }

    @Test
    void prodShrinksToDevInPlace() {
        Cluster prod = Cluster.of(ClusterProfile.PROD, 3);
        assertPlan(List.of(
                "set the cluster's min ISR 2 → 1",
                "move 6 partitions onto broker 0",
                "remove nodes 2,1 from the KRaft voters (in this order)",
                "change StatefulSet kafka: replicas 3→1, env, resources, updateStrategy",
                "delete PodDisruptionBudget kafka",
                "delete NetworkPolicy kafka",
                "unregister brokers 1,2 once their pods are gone",
                "the StatefulSet controller restarts kafka-0 onto the new template",
                "wait for 1/1 brokers Ready",
                "plan: 9 steps; 1 broker restarted"), plan(request(ClusterProfile.DEV), prod.observed()));
    }

    @Test
    void prodGrowsFromThreeToFiveAndShrinksToFour() {
        assertPlan(List.of(
                "1. change StatefulSet kafka: replicas 3→5",
                "2. wait for 5 brokers Ready",
                "3. add nodes 3,4 to the KRaft voters",
                "4. wait for 5/5 brokers Ready",
                "5. note on data-kafka-3, data-kafka-4 that Kafka 4.4.0 formatted them",
                "plan: 5 steps"), plan(request(ClusterProfile.PROD, 5), Cluster.of(ClusterProfile.PROD, 3)
                        .observed()));
        assertPlan(List.of(
                "1. move 2 partitions onto brokers 0,1,2,3",
                "2. remove nodes 4,3 from the KRaft voters (in this order)",
                "3. change StatefulSet kafka: replicas 5→4",
                "4. unregister broker 4 once its pod is gone",
                "5. wait for 4/4 brokers Ready",
                "plan: 5 steps"), plan(request(ClusterProfile.PROD, 4), Cluster.of(ClusterProfile.PROD, 5)
                        .observed()));
    }

    @Test
    void aGrowInterruptedBeforeItsVotersWereAddedIsFinished() {
        Cluster grown = Cluster.of(ClusterProfile.PROD, 5);
        grown.voters = new TreeSet<>(Set.of(0, 1, 2));
        assertPlan(List.of(
                "1. wait for 5 brokers Ready",
                "2. add nodes 3,4 to the KRaft voters",
                "3. wait for 5/5 brokers Ready",
                "plan: 3 steps"), plan(request(ClusterProfile.PROD), grown.observed()));
    }

    @Test
    void aShrinkInterruptedBeforeItUnregisteredTheBrokersIsFinished() {
        Cluster shrunk = Cluster.of(ClusterProfile.PROD, 3);
        shrunk.shrinkingFrom = 5;
        shrunk.claims = 5;
        assertPlan(List.of(
                "1. unregister brokers 3,4 once their pods are gone",
                "2. wait for 3/3 brokers Ready",
                "plan: 2 steps"), plan(request(ClusterProfile.PROD), shrunk.observed()));
    }

    @Test
    void aVolumeChangeIsRefusedUnlessRecreated() {
        Cluster dev = Cluster.of(ClusterProfile.DEV, 1);
        CommandFailure refusal = assertThrows(CommandFailure.class,
                () -> plan(volumesOf("5Gi", false), dev.observed()));
        assertTrue(refusal.getMessage().startsWith("the volume size would change from 1Gi to 5Gi, which cannot be "
                + "done in place: nothing changed"), refusal.getMessage());
        DeployPlan recreated = plan(volumesOf("5Gi", true), dev.observed());
        assertEquals("1. delete StatefulSet kafka and volume data-kafka-0 (the volume size would change from 1Gi "
                + "to 5Gi): all Kafka data lost", recreated.lines().get(0));
        assertEquals("2. create ConfigMap kafka-formation (first voters: node 0)", recreated.lines().get(1));
        assertTrue(recreated.summary().endsWith("; data deleted"), recreated.summary());
        dev.claims = 3; // two kept by a shrink from prod: a later grow would start nodes on their old logs (R1)
        assertEquals("1. delete StatefulSet kafka and volumes data-kafka-0..2 (the volume size would change from 1Gi "
                + "to 5Gi): all Kafka data lost", plan(volumesOf("5Gi", true), dev.observed()).lines().get(0));
    }

    @Test
    void objectsOfAnotherOwnerAreRefused() {
        Cluster dev = Cluster.of(ClusterProfile.DEV, 1);
        dev.foreignService = true;
        CommandFailure refusal = assertThrows(CommandFailure.class,
                () -> plan(request(ClusterProfile.DEV), dev.observed()));
        assertTrue(refusal.getMessage().startsWith("Service kafka (managed by helm) is not kafka-k8s-setup's: "
                + "nothing changed"), refusal.getMessage());
    }

    @Test
    void aShrinkWithAStayingBrokerDownIsRefusedNamingIt() {
        Cluster prod = Cluster.of(ClusterProfile.PROD, 5);
        prod.down(1);
        CommandFailure refusal = assertThrows(CommandFailure.class,
                () -> plan(request(ClusterProfile.PROD, 3), prod.observed()));
        assertEquals("cannot shrink from 5 to 3 brokers: node 1 is down (not a registered broker); nothing changed",
                refusal.getMessage());
    }

    /** A prod cluster keeps the namespaces its client port was narrowed to until --client-namespaces says others. */
    @Test
    void theClientNamespacesAreKeptUntilAskedForOthers() {
        Cluster prod = Cluster.of(ClusterProfile.PROD, 3);
        prod.clientNamespaces = List.of("learnflow");
        assertEquals(List.of("plan: nothing to do"), plan(request(ClusterProfile.PROD), prod.observed()).lines());
        DeployPlanner.Request anyPod = new DeployPlanner.Request(manifests(ClusterProfile.PROD,
                KafkaManifests.DEFAULT_IMAGE, null).withClientNamespaces(List.of()), null, null, null, false, null,
                false, false, false, false);
        assertEquals("1. change NetworkPolicy kafka: ingress", plan(anyPod, prod.observed()).lines().get(0));
    }

    /** R5: the copies a shrink moves onto a broker must fit on its volume, a tenth of it kept free. */
    @Test
    void aShrinkWhoseCopiesWouldFillAStayingBrokersVolumeIsRefusedNamingIt() {
        Cluster prod = Cluster.of(ClusterProfile.PROD, 5);
        prod.replicaBytes = 2L << 30;
        CommandFailure refusal = assertThrows(CommandFailure.class,
                () -> plan(request(ClusterProfile.PROD, 3), prod.observed()));
        assertEquals("cannot shrink from 5 to 3 brokers: kafka-0 would take 8 GiB of replicas with 6 GiB free on "
                + "its volume of 10 GiB (a tenth stays free); free space first (delete records or topics) or keep "
                + "more brokers; nothing changed", refusal.getMessage());

        prod.volumeBytes = 20L << 30;
        assertTrue(plan(request(ClusterProfile.PROD, 3), prod.observed()).lines()
                .contains("1. move 4 partitions onto brokers 0,1,2"));
    }

    /** C1: a leaving voter that is down leaves first, so that every voter set on the way has a live majority. */
    @Test
    void aLeavingVoterThatIsDownIsRemovedFirst() {
        Cluster prod = Cluster.of(ClusterProfile.PROD, 5);
        prod.down(3);
        assertTrue(plan(request(ClusterProfile.PROD, 3), prod.observed()).lines()
                .contains("2. remove nodes 3,4 from the KRaft voters (in this order)"));
    }

    /** C2: volumes kept from a cluster of another size hold its voters; starting fewer nodes would lose them. */
    @Test
    void volumesKeptFromAClusterOfAnotherSizeAreRefusedWithTheWayOut() {
        Cluster deleted = Cluster.of(ClusterProfile.PROD, 3);
        deleted.statefulSet = false;
        deleted.pods = 0;
        CommandFailure refusal = assertThrows(CommandFailure.class,
                () -> plan(request(ClusterProfile.DEV), deleted.observed()));
        assertEquals("volumes data-kafka-0..2 kept from a cluster of 3 brokers: starting 1 on them could leave its "
                + "KRaft voters without a majority; nothing changed. Bring it back at its size (deploy prod) and "
                + "resize it then, or delete them first (deploy --delete --delete-data: the data is lost)",
                refusal.getMessage());
        DeployPlan back = plan(request(ClusterProfile.PROD), deleted.observed());
        assertFalse(back.lines().stream().anyMatch(line -> line.contains("kafka-formation")),
                "kept data is never formed again: " + back.lines());
    }

    /** C2: --delete-data never deletes a volume whose node is still a KRaft voter. */
    /**
     * Volumes kept with one deleted by hand: the node started on the empty one would form a new cluster under the
     * same cluster id beside the old voters on the others (review R1). Refused; before, the volumes after the gap were
     * not seen at all and a new cluster was formed.
     */
    @Test
    void volumesKeptWithAGapAreRefused() {
        Cluster deleted = Cluster.of(ClusterProfile.PROD, 3);
        deleted.statefulSet = false;
        deleted.pods = 0;
        deleted.missingClaims.add(0);
        CommandFailure refusal = assertThrows(CommandFailure.class,
                () -> plan(request(ClusterProfile.PROD), deleted.observed()));
        assertEquals("volumes data-kafka-1..2 kept without data-kafka-0: a node started there would form a new "
                + "cluster beside the voters they hold; nothing changed. Restore it, or delete the volumes first "
                + "(deploy --delete --delete-data: the data is lost)", refusal.getMessage());
    }

    @Test
    void deleteDataRefusesAVolumeThatHoldsAVoter() {
        Cluster prod = Cluster.of(ClusterProfile.PROD, 3);
        prod.claims = 5;
        DeployPlan plan = plan(withFlags(ClusterProfile.PROD, true, false), prod.observed());
        assertEquals(List.of("1. delete volumes data-kafka-3..4: their data is lost", "2. wait for 3/3 brokers Ready",
                "plan: 2 steps; data deleted"), plan.lines());
        prod.voters = new TreeSet<>(Set.of(0, 1, 2, 3, 4));
        CommandFailure refusal = assertThrows(CommandFailure.class,
                () -> plan(withFlags(ClusterProfile.PROD, true, false), prod.observed()));
        assertTrue(refusal.getMessage().startsWith("--delete-data: volumes data-kafka-3..4 still hold KRaft voters"),
                refusal.getMessage());
    }

    /** C3: a formation left open (--no-wait, a timeout) is closed by the next deploy once its voters run. */
    @Test
    void aFormationLeftOpenIsClosedByTheNextDeployEvenWithoutWaiting() {
        Cluster dev = Cluster.of(ClusterProfile.DEV, 1);
        dev.formation = true;
        assertEquals(List.of("1. delete ConfigMap kafka-formation once the quorum has formed", "plan: 1 step"),
                plan(withFlags(ClusterProfile.DEV, false, true), dev.observed()).lines());
        dev.down(0);
        assertTrue(plan(request(ClusterProfile.DEV), dev.observed()).lines().stream()
                .noneMatch(line -> line.contains("delete ConfigMap")), "kafka-0 has not started: still forming");
    }

    /** C7: right after deploy --delete --delete-data the claims are still Terminating: a new cluster waits for them. */
    @Test
    void aNewClusterWaitsForVolumesStillBeingDeleted() {
        Cluster deleted = Cluster.of(ClusterProfile.DEV, 1);
        deleted.statefulSet = false;
        deleted.pods = 0;
        deleted.terminatingClaims = true;
        List<String> lines = plan(request(ClusterProfile.DEV), deleted.observed()).lines();
        assertEquals("1. wait for volume data-kafka-0 to finish deleting", lines.get(0));
        assertEquals("2. create ConfigMap kafka-formation (first voters: node 0)", lines.get(1));
    }

    private static void assertPlan(List<String> expected, DeployPlan plan) {
        List<String> numbered = new ArrayList<>();
        for (int i = 0; i < expected.size(); i++) {
            String line = expected.get(i);
            numbered.add(line.matches("\\d+\\. .*") || line.startsWith("plan") ? line : (i + 1) + ". " + line);
        }
        assertEquals(numbered, plan.lines());
    }

    private static final KafkaReleases.Release DEFAULT_RELEASE = KafkaReleases.ofImage(KafkaManifests.DEFAULT_IMAGE)
            .orElseThrow();

    private static final String DEFAULT_RELEASE_VERSION = KafkaReleases.versionOfImage(KafkaManifests.DEFAULT_IMAGE)
            .orElseThrow();
    /** When the claims of a {@link Cluster} were created. */
    private static final java.time.Instant CLAIMED = java.time.Instant.parse("2026-12-01T10:00:00Z");

    private static DeployPlan plan(DeployPlanner.Request request, ObservedCluster observed) {
        return new DeployPlanner(request, observed, SERIALIZATION).plan();
    }

    private static DeployPlanner.Request request(ClusterProfile profile) {
        return request(profile, KafkaManifests.DEFAULT_IMAGE);
    }

    private static DeployPlanner.Request request(ClusterProfile profile, String image) {
        return new DeployPlanner.Request(manifests(profile, image, null), null, null, null, false, null, false,
                false, false, false);
    }

    /** prod --image IMAGE --finalize [--no-wait] */
    private static DeployPlanner.Request finalizing(String image, boolean noWait) {
        return new DeployPlanner.Request(manifests(ClusterProfile.PROD, image, null), null, null, null, false, null,
                false, noWait, false, true);
    }

    private static DeployPlanner.Request request(ClusterProfile profile, int replicas) {
        return new DeployPlanner.Request(manifests(profile, KafkaManifests.DEFAULT_IMAGE, null).withReplicas(replicas),
                replicas, null, null, false, null, false, false, false, false);
    }

    /** --security KIND [--no-wait] */
    private static DeployPlanner.Request security(ClusterProfile profile, ClusterSecurity kind, boolean noWait) {
        return new DeployPlanner.Request(manifests(profile, KafkaManifests.DEFAULT_IMAGE, null).withSecurity(kind),
                null, null, null, false, null, false, noWait, false, false, kind);
    }

    /** --delete-data, --no-wait */
    private static DeployPlanner.Request withFlags(ClusterProfile profile, boolean deleteData, boolean noWait) {
        return new DeployPlanner.Request(manifests(profile, KafkaManifests.DEFAULT_IMAGE, null), null, null, null,
                false, null, deleteData, noWait, false, false);
    }

    /** dev with --storage-size, and --recreate */
    private static DeployPlanner.Request volumesOf(String size, boolean recreate) {
        return new DeployPlanner.Request(manifests(ClusterProfile.DEV, KafkaManifests.DEFAULT_IMAGE, size), null, size,
                null, recreate, null, false, false, false, false);
    }

    private static KafkaManifests manifests(ClusterProfile profile, String image, String storageSize) {
        return new KafkaManifests(profile, NS, image, storageSize, null);
    }

    private static ObservedCluster nothing() {
        return new ObservedCluster(false, Map.of(), List.of(), null, Platform.KUBERNETES, List.of(), null);
    }

    /** A cluster as deploy left it, then changed by a row: every field is what deploy would observe. */
    private static final class Cluster {
        final ClusterProfile profile;
        final int replicas;
        boolean statefulSet = true;
        int pods;
        int claims;
        int leader = 0;
        Set<Integer> voters;
        final Set<Integer> downBrokers = new TreeSet<>();
        int shrinkingFrom;
        boolean formation;
        boolean foreignService;
        boolean terminatingClaims;
        /** Volumes deleted by hand: the ones after them stay. */
        final Set<Integer> missingClaims = new TreeSet<>();
        List<String> clientNamespaces;
        long replicaBytes = 1 << 20;
        long volumeBytes = 10L << 30;
        /** The finalized metadata.version: the level the default image's Kafka formats at, as its features. */
        int metadataVersion = DEFAULT_RELEASE.level();
        Map<String, Integer> features = DEFAULT_RELEASE.features();
        /** When deploy issued the node certificate (a secure cluster's): a year before it expires. */
        java.time.Instant nodeCertificateIssued = java.time.Instant.now();
        /** The client namespaces that hold copies of the LearnFlow user's Secrets; null: all, as deploy left them. */
        List<String> copiedInto;
        /** Brokers registered in Kafka beyond the cluster's pods. */
        Set<Integer> registeredElsewhere = Set.of();
        /** The Kafka version noted on each volume's claim: as deploy left them. */
        Map<Integer, String> formattedBy;
        /** When the pods were created after their claims; null: no timestamps. */
        java.time.Duration podsCreatedAfterClaims;
        private Map<String, Secret> madeSecrets;
        /** The listeners' security it was deployed with: its profile's default unless a row says otherwise. */
        ClusterSecurity security;

        private Cluster(ClusterProfile profile, int replicas) {
            this.security = profile.security;
            this.profile = profile;
            this.replicas = replicas;
            this.pods = replicas;
            this.claims = replicas;
            this.formattedBy = IntStream.range(0, replicas).boxed().collect(java.util.stream.Collectors.toMap(
                    i -> i, i -> DEFAULT_RELEASE_VERSION));
            this.voters = new TreeSet<>(KraftQuorum.DYNAMIC.voters(replicas) == 0 ? Set.of()
                    : new TreeSet<>(IntStream.range(0, KraftQuorum.DYNAMIC.voters(replicas)).boxed().toList()));
        }

        static Cluster of(ClusterProfile profile, int replicas) {
            return new Cluster(profile, replicas);
        }

        void down(int broker) {
            downBrokers.add(broker);
        }

        ObservedCluster observed() {
            KafkaManifests deployed = manifests(profile, KafkaManifests.DEFAULT_IMAGE, null).withReplicas(replicas)
                    .withClientNamespaces(clientNamespaces).withSecurity(security);
            Map<String, HasMetadata> objects = new LinkedHashMap<>();
            for (HasMetadata object : deployed.namespaced()) {
                if (object instanceof StatefulSet set) {
                    if (!statefulSet) {
                        continue;
                    }
                    object = new StatefulSetBuilder(set).editMetadata().withAnnotations(shrinkingFrom == 0 ? Map.of()
                            : Map.of("kafka-k8s-setup/shrinking-from", String.valueOf(shrinkingFrom)))
                            .endMetadata().withNewStatus().withUpdateRevision("r1").endStatus().build();
                } else if (foreignService && object.getMetadata().getName().equals("kafka")) {
                    object.getMetadata().setLabels(Map.of("app.kubernetes.io/managed-by", "helm"));
                }
                objects.put(ObservedCluster.key(object), object);
            }
            List<PersistentVolumeClaim> volumes = IntStream.range(0, claims).filter(i -> !missingClaims.contains(i))
                    .mapToObj(i -> new PersistentVolumeClaimBuilder()
                    .withNewMetadata().withName("data-kafka-" + i).withLabels(deployed.statefulSet().getSpec()
                            .getVolumeClaimTemplates().get(0).getMetadata().getLabels())
                    .withAnnotations(formattedBy.containsKey(i) ? Map.of(FormattedBy.ANNOTATION, formattedBy.get(i))
                            : Map.of())
                    .withCreationTimestamp(CLAIMED.toString())
                    .withDeletionTimestamp(terminatingClaims ? "2026-12-07T00:00:00Z" : null).endMetadata()
                    .build()).toList();
            List<Pod> running = IntStream.range(0, pods).mapToObj(i -> new PodBuilder().withNewMetadata()
                    .withName("kafka-" + i).withLabels(Map.of("controller-revision-hash", "r1"))
                    .withCreationTimestamp(podsCreatedAfterClaims == null ? null
                            : CLAIMED.plus(podsCreatedAfterClaims).toString()).endMetadata()
                    .withNewSpec().addNewContainer().withName("kafka").withImage(KafkaManifests.DEFAULT_IMAGE)
                    .endContainer().endSpec()
                    .withNewStatus().addNewCondition().withType("Ready")
                    .withStatus(downBrokers.contains(i) ? "False" : "True").endCondition().endStatus().build())
                    .toList();
            ConfigMap formationMap = formation ? deployed.formation() : null;
            Map<String, Secret> secrets = deployed.security() == ClusterSecurity.TLS ? credentials(deployed) : Map.of();
            Map<String, Secret> copies = new LinkedHashMap<>();
            List<String> copied = copiedInto != null ? copiedInto : deployed.security() != ClusterSecurity.TLS
                    || clientNamespaces == null ? List.of() : clientNamespaces;
            for (String namespace : copied) {
                for (String name : ClusterCredentials.COPIED) {
                    copies.put(namespace + "/" + name, ClusterCredentials.copy(secrets.get(name), namespace));
                }
            }
            return new ObservedCluster(true, objects, volumes, formationMap, Platform.KUBERNETES, running,
                    new LinkedHashMap<>(secrets), copies, kafka());
        }

        /** A secure cluster's Secrets as deploy left them: every one, the app user's access granted. */
        private Map<String, Secret> credentials(KafkaManifests deployed) {
            if (madeSecrets != null) {
                return madeSecrets;
            }
            Map<String, Secret> secrets = new LinkedHashMap<>();
            for (Secret secret : CredentialSecrets.make(deployed, ClusterCredentials.secretNames(), Map.of(),
                    nodeCertificateIssued)) {
                if (secret.getMetadata().getName().equals(ClusterCredentials.APP_SECRET)) {
                    secret.getMetadata().setAnnotations(Map.of(ClusterCredentials.GRANTED, "true"));
                }
                secret.getMetadata().setNamespace(NS);
                secrets.put(secret.getMetadata().getName(), secret);
            }
            madeSecrets = secrets;
            return secrets;
        }

        /** Two topics of three partitions at the profile's replication factor, spread over the brokers. */
        private KafkaState kafka() {
            Set<Integer> all = new TreeSet<>(IntStream.range(0, replicas).boxed().toList());
            Set<Integer> live = new TreeSet<>(all);
            live.removeAll(downBrokers);
            Set<Integer> caughtUp = new TreeSet<>(voters);
            caughtUp.addAll(all);
            caughtUp.removeAll(downBrokers);
            List<KafkaState.Partition> partitions = new ArrayList<>();
            int factor = Math.min(profile.replicationFactor(), replicas);
            for (String topic : List.of("events", "__consumer_offsets")) {
                for (int p = 0; p < 3; p++) {
                    int first = p;
                    List<Integer> replicasOf = IntStream.range(0, factor).map(i -> (first + i) % replicas).boxed()
                            .toList();
                    partitions.add(new KafkaState.Partition(topic, p, replicasOf, replicasOf, true,
                            profile.minInsyncReplicas));
                }
            }
            Map<Integer, KafkaState.Disk> disks = new TreeMap<>();
            for (int broker : live) {
                Map<String, Long> held = new TreeMap<>();
                partitions.stream().filter(partition -> partition.replicas().contains(broker))
                        .forEach(partition -> held.put(partition.name(), replicaBytes));
                disks.put(broker, new KafkaState.Disk(volumeBytes - held.size() * replicaBytes, volumeBytes, held));
            }
            Set<Integer> registered = new TreeSet<>(all);
            registered.addAll(registeredElsewhere);
            return new KafkaState(voters, leader, caughtUp, List.of(), registered, live, partitions,
                    profile.minInsyncReplicas, 0, disks, finalized());
        }

        private Map<String, Integer> finalized() {
            Map<String, Integer> finalized = new TreeMap<>(features);
            finalized.put("metadata.version", metadataVersion);
            return finalized;
        }
    }
}
