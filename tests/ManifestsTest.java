package tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import common.cluster.ClusterProfile;
import common.cluster.InPlaceChange;
import common.cluster.KafkaManifests;
import common.cluster.KafkaNetworkPolicy;
import common.cluster.KraftQuorum;
import common.cluster.Platform;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import tests.support.ContainerFilesystem;
import tests.support.NetworkPolicyModel;
import tests.support.PodSecurityStandard;

/** The rendered objects, dev and prod: every number and rule the cluster depends on. */
class ManifestsTest {
    private static KafkaManifests render(ClusterProfile profile) {
        return new KafkaManifests(profile, "kafka", KafkaManifests.DEFAULT_IMAGE, null, null);
    }

    private static Container kafkaContainer(StatefulSet statefulSet) {
        return statefulSet.getSpec().getTemplate().getSpec().getContainers().get(0);
    }

    private static Map<String, String> env(StatefulSet statefulSet) {
        return kafkaContainer(statefulSet).getEnv().stream().filter(e -> e.getValueFrom() == null)
                .collect(Collectors.toMap(e -> e.getName(), e -> e.getValue()));
    }

    @Test
    void devIsOneBrokerWith512MiAndHalfACpuAndRequestsEqualLimits() {
        StatefulSet statefulSet = render(ClusterProfile.DEV).statefulSet();
        Container kafka = kafkaContainer(statefulSet);
        assertEquals(1, statefulSet.getSpec().getReplicas());
        assertEquals(new Quantity("512Mi"), kafka.getResources().getLimits().get("memory"));
        assertEquals(new Quantity("500m"), kafka.getResources().getLimits().get("cpu"));
        assertEquals(kafka.getResources().getLimits(), kafka.getResources().getRequests());
        assertEquals("-Xmx256m -Xms256m", env(statefulSet).get("KAFKA_HEAP_OPTS"));
        // An eighth of the heap, not Kafka's 128 MiB: one allocation of half the heap at start (G1 humongous).
        assertEquals(String.valueOf(32 << 20), env(statefulSet).get("KAFKA_LOG_CLEANER_DEDUPE_BUFFER_SIZE"));
        // The serial collector, as the JVM picks for half a CPU, not the G1 that kafka-run-class.sh would force.
        assertEquals("-server -XX:+UseSerialGC -XX:MaxInlineLevel=15 -Djava.awt.headless=true",
                env(statefulSet).get("KAFKA_JVM_PERFORMANCE_OPTS"));
    }

    @Test
    void prodIsThreeBrokersWith2GiAndOneCpuAndRequestsEqualLimits() {
        StatefulSet statefulSet = render(ClusterProfile.PROD).statefulSet();
        Container kafka = kafkaContainer(statefulSet);
        assertEquals(3, statefulSet.getSpec().getReplicas());
        assertEquals(new Quantity("2Gi"), kafka.getResources().getLimits().get("memory"));
        assertEquals(new Quantity("1"), kafka.getResources().getLimits().get("cpu"));
        assertEquals(kafka.getResources().getLimits(), kafka.getResources().getRequests());
        assertEquals("-Xmx1g -Xms1g", env(statefulSet).get("KAFKA_HEAP_OPTS"));
        assertEquals(String.valueOf(128 << 20), env(statefulSet).get("KAFKA_LOG_CLEANER_DEDUPE_BUFFER_SIZE"));
        assertTrue(env(statefulSet).get("KAFKA_JVM_PERFORMANCE_OPTS").contains("-XX:+UseG1GC -XX:MaxGCPauseMillis=20"),
                "Kafka's own G1 settings");
    }

    @ParameterizedTest
    @EnumSource(ClusterProfile.class)
    void heapIsAtMostHalfTheMemoryLimit(ClusterProfile profile) {
        StatefulSet statefulSet = render(profile).statefulSet();
        long limit = Quantity.getAmountInBytes(kafkaContainer(statefulSet).getResources().getLimits().get("memory"))
                .longValueExact();
        String heap = env(statefulSet).get("KAFKA_HEAP_OPTS");
        for (String flag : heap.split(" ")) {
            assertTrue(flag.startsWith("-Xmx") || flag.startsWith("-Xms"), flag);
            assertTrue(bytes(flag.substring(4)) <= limit / 2, flag + " is more than half of " + limit);
        }
    }

    private static long bytes(String jvmSize) {
        long number = Long.parseLong(jvmSize.replaceAll("[^0-9]", ""));
        return switch (Character.toLowerCase(jvmSize.charAt(jvmSize.length() - 1))) {
            case 'g' -> number << 30;
            case 'm' -> number << 20;
            case 'k' -> number << 10;
            default -> number;
        };
    }

    @ParameterizedTest
    @EnumSource(ClusterProfile.class)
    void kraftCombinedNodesWithEveryPropertySetExplicitly(ClusterProfile profile) {
        KafkaManifests manifests = render(profile);
        Map<String, String> env = env(manifests.statefulSet());
        assertEquals("broker,controller", env.get("KAFKA_PROCESS_ROLES"));
        assertFalse(env.keySet().stream().anyMatch(k -> k.contains("ZOOKEEPER")), "no ZooKeeper in KRaft");
        assertEquals("/var/lib/kafka/data/logs", env.get("KAFKA_LOG_DIRS"));
        // prod is secure by default: its brokers replicate on a mutual-TLS listener of their own.
        boolean secure = profile == ClusterProfile.PROD;
        assertEquals(secure ? "REPLICATION://:9091,CLIENT://:9092,CONTROLLER://:9093,PORT_FORWARD://:9094"
                : "PLAINTEXT://:9092,CONTROLLER://:9093,PORT_FORWARD://:9094", env.get("KAFKA_LISTENERS"));
        assertEquals(secure ? "REPLICATION:SSL,CLIENT:SASL_SSL,CONTROLLER:SSL,PORT_FORWARD:SASL_SSL"
                : "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,PORT_FORWARD:PLAINTEXT",
                env.get("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"));
        assertEquals("CONTROLLER", env.get("KAFKA_CONTROLLER_LISTENER_NAMES"));
        assertEquals(secure ? "REPLICATION" : "PLAINTEXT", env.get("KAFKA_INTER_BROKER_LISTENER_NAME"));
        assertEquals(manifests.clusterId(), env.get("CLUSTER_ID"));
        assertFalse(env.values().stream().anyMatch(v -> v.contains("/tmp") || v.contains("localhost")),
                "nothing may fall back to the image's localhost or /tmp defaults: " + env);
        // A new cluster's quorum is dynamic: no static voters, every node's controller endpoint to bootstrap from.
        assertNull(env.get("KAFKA_CONTROLLER_QUORUM_VOTERS"));
        List<String> bootstrap = List.of(env.get("KAFKA_CONTROLLER_QUORUM_BOOTSTRAP_SERVERS").split(","));
        assertEquals(IntStream.range(0, profile.replicas)
                .mapToObj(i -> "kafka-" + i + ".kafka-headless.kafka.svc.cluster.local:9093").toList(), bootstrap);
        String script = kafkaContainer(manifests.statefulSet()).getCommand().get(2);
        assertTrue(script.contains("KAFKA_NODE_ID=\"$ordinal\""), "node id from the pod ordinal: " + script);
        assertTrue(script.contains((secure ? "CLIENT" : "PLAINTEXT")
                + "://${HOSTNAME}.kafka-headless.kafka.svc.cluster.local:9092"
                + ",CONTROLLER://${HOSTNAME}.kafka-headless.kafka.svc.cluster.local:9093"),
                "each node advertises its own pod DNS name, the controller too (voters are added by it): " + script);
        assertTrue(script.endsWith("exec /opt/kafka/bin/kafka-server-start.sh /opt/kafka/config/server.properties"),
                script);
        // The first voters come from the formation ConfigMap, while it exists.
        EnvVar initial = kafkaContainer(manifests.statefulSet()).getEnv().stream()
                .filter(e -> e.getName().equals("INITIAL_CONTROLLERS")).findFirst().orElseThrow();
        assertEquals("kafka-formation", initial.getValueFrom().getConfigMapKeyRef().getName());
        assertEquals("initial-controllers", initial.getValueFrom().getConfigMapKeyRef().getKey());
        assertTrue(initial.getValueFrom().getConfigMapKeyRef().getOptional());
        assertEquals("dynamic", manifests.statefulSet().getSpec().getVolumeClaimTemplates().get(0).getMetadata()
                .getLabels().get("kafka-k8s-setup/quorum"));
    }

    @ParameterizedTest
    @EnumSource(ClusterProfile.class)
    void theFormationNamesEveryNodeAsAFirstVoterWithItsOwnNewDirectory(ClusterProfile profile) {
        KafkaManifests manifests = render(profile);
        String voters = manifests.formation().getData().get("initial-controllers");
        List<String> entries = List.of(voters.split(","));
        assertEquals(profile.replicas, entries.size(), voters);
        for (int i = 0; i < profile.replicas; i++) {
            assertTrue(entries.get(i).matches(i + "@kafka-" + i
                    + "\\.kafka-headless\\.kafka\\.svc\\.cluster\\.local:9093:[A-Za-z0-9_-]{22}"), voters);
        }
        assertEquals(profile.replicas, entries.stream().map(entry -> entry.substring(entry.lastIndexOf(':')))
                .distinct().count(), "a directory id per node: " + voters);
        assertNotEquals(voters, manifests.formation().getData().get("initial-controllers"),
                "new ids for every new cluster");
        assertEquals("kafka-k8s-setup", manifests.formation().getMetadata().getLabels()
                .get("app.kubernetes.io/managed-by"));
    }

    @ParameterizedTest
    @CsvSource({"3, 3", "4, 3", "5, 5", "6, 5", "9, 5"})
    void moreProdBrokersGetAnOddQuorumOfAtMostFiveAndTheRestFormatAsObservers(int replicas, int voters) {
        KafkaManifests manifests = render(ClusterProfile.PROD).withReplicas(replicas);
        assertEquals(replicas, manifests.statefulSet().getSpec().getReplicas());
        assertEquals(IntStream.range(0, voters).boxed().toList(), manifests.voterIds());
        String formation = manifests.formation().getData().get("initial-controllers");
        assertEquals(voters, formation.split(",").length, formation);
        assertTrue(formation.startsWith("0@kafka-0.") && formation.contains("," + (voters - 1) + "@kafka-"
                + (voters - 1) + "."), formation);
        assertEquals(render(ClusterProfile.PROD).statefulSet().getSpec().getTemplate(),
                manifests.statefulSet().getSpec().getTemplate(),
                "brokers added or removed leave the running ones alone: all find the quorum through kafka-0..2");
        assertEquals("3", env(manifests.statefulSet()).get("KAFKA_DEFAULT_REPLICATION_FACTOR"),
                "more brokers spread partitions, they do not copy them more");
        assertNotNull(manifests.podDisruptionBudget());
    }

    @ParameterizedTest
    @CsvSource({"DEV, 2", "DEV, 3", "PROD, 2", "PROD, 1", "PROD, 0"})
    void aProfileRefusesABrokerCountItCannotRun(ClusterProfile profile, int replicas) {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> render(profile).withReplicas(replicas));
        assertTrue(refused.getMessage().startsWith("--replicas " + replicas + ": " + profile.id() + " runs "),
                refused.getMessage());
    }

    @Test
    void aStaticClusterNamesEveryNodeAsAVoter() {
        assertEquals(List.of(0, 1, 2, 3), render(ClusterProfile.PROD).withReplicas(4)
                .withQuorum(KraftQuorum.STATIC).voterIds());
    }

    @Test
    void aStaticClusterKeepsItsVotersAndTheImagesEntrypoint() {
        KafkaManifests manifests = render(ClusterProfile.PROD).withQuorum(KraftQuorum.STATIC);
        StatefulSet statefulSet = manifests.statefulSet();
        Map<String, String> env = env(statefulSet);
        assertEquals("0@kafka-0.kafka-headless.kafka.svc.cluster.local:9093,1@kafka-1.kafka-headless.kafka.svc"
                + ".cluster.local:9093,2@kafka-2.kafka-headless.kafka.svc.cluster.local:9093",
                env.get("KAFKA_CONTROLLER_QUORUM_VOTERS"));
        assertNull(env.get("KAFKA_CONTROLLER_QUORUM_BOOTSTRAP_SERVERS"));
        String script = kafkaContainer(statefulSet).getCommand().get(2);
        assertTrue(script.endsWith("exec /etc/kafka/docker/run"), "hands over to the image's entrypoint");
        assertFalse(script.contains("CONTROLLER://") || script.contains("INITIAL_CONTROLLERS"), script);
        assertEquals(List.of("CLUSTER_ID"), kafkaContainer(statefulSet).getEnv().stream().map(EnvVar::getName)
                .filter(name -> name.equals("CLUSTER_ID") || name.equals("INITIAL_CONTROLLERS")).toList());
        assertNull(statefulSet.getSpec().getVolumeClaimTemplates().get(0).getMetadata().getLabels()
                .get("kafka-k8s-setup/quorum"), "the deployed (immutable) claim template stays as it was");
        assertEquals(KraftQuorum.STATIC, KraftQuorum.of(statefulSet));
        assertEquals(KraftQuorum.DYNAMIC, KraftQuorum.of(render(ClusterProfile.PROD).statefulSet()));
    }

    @Test
    void devHasReplicationOneAndNoDisruptionBudgetOrAntiAffinity() {
        KafkaManifests manifests = render(ClusterProfile.DEV);
        Map<String, String> env = env(manifests.statefulSet());
        for (String key : List.of("KAFKA_DEFAULT_REPLICATION_FACTOR", "KAFKA_MIN_INSYNC_REPLICAS",
                "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
                "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR")) {
            assertEquals("1", env.get(key), key);
        }
        assertTrue(manifests.all().stream().noneMatch(o -> o instanceof PodDisruptionBudget));
        assertNull(manifests.statefulSet().getSpec().getTemplate().getSpec().getAffinity());
    }

    @Test
    void prodReplicatesThreeWaysWithMinIsrTwoAndAllowsOneBrokerDown() {
        KafkaManifests manifests = render(ClusterProfile.PROD);
        Map<String, String> env = env(manifests.statefulSet());
        assertEquals("3", env.get("KAFKA_DEFAULT_REPLICATION_FACTOR"));
        assertEquals("2", env.get("KAFKA_MIN_INSYNC_REPLICAS"));
        assertEquals("3", env.get("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"));
        assertEquals("3", env.get("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"));
        assertEquals("2", env.get("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"));
        PodDisruptionBudget pdb = manifests.all().stream().filter(o -> o instanceof PodDisruptionBudget)
                .map(PodDisruptionBudget.class::cast).findFirst().orElseThrow();
        assertEquals(1, pdb.getSpec().getMaxUnavailable().getIntVal());
        assertEquals(Map.of("app", "kafka"), pdb.getSpec().getSelector().getMatchLabels());
        var preferred = manifests.statefulSet().getSpec().getTemplate().getSpec().getAffinity().getPodAntiAffinity()
                .getPreferredDuringSchedulingIgnoredDuringExecution();
        assertEquals("kubernetes.io/hostname", preferred.get(0).getPodAffinityTerm().getTopologyKey());
        assertEquals(Map.of("app", "kafka"),
                preferred.get(0).getPodAffinityTerm().getLabelSelector().getMatchLabels());
    }

    /**
     * prod's NetworkPolicy, evaluated as Kubernetes defines it: only the cluster's own pods reach the controller
     * port, any pod the client port (the brokers replicate over it too), no pod the port-forward listener.
     */
    @Test
    void prodLetsOnlyItsOwnPodsReachTheControllerAndNoPodThePortForwardListener() {
        KafkaManifests prod = render(ClusterProfile.PROD);
        NetworkPolicyModel network = new NetworkPolicyModel(prod.all().stream()
                .filter(NetworkPolicy.class::isInstance).map(NetworkPolicy.class::cast).toList());
        Map<String, String> kafkaLabels = prod.statefulSet().getSpec().getTemplate().getMetadata().getLabels();
        NetworkPolicyModel.Pod kafka0 = new NetworkPolicyModel.Pod("kafka", kafkaLabels);
        NetworkPolicyModel.Pod kafka1 = new NetworkPolicyModel.Pod("kafka", kafkaLabels);
        NetworkPolicyModel.Pod app = new NetworkPolicyModel.Pod("learnflow", Map.of("app", "api"));
        NetworkPolicyModel.Pod neighbour = new NetworkPolicyModel.Pod("kafka", Map.of("app", "debug"));
        NetworkPolicyModel.Pod lookalike = new NetworkPolicyModel.Pod("other", kafkaLabels);
        int controller = 9093;
        int client = 9092;
        int portForward = 9094;
        assertTrue(network.allows(kafka1, kafka0, controller), "the quorum forms");
        for (NetworkPolicyModel.Pod stranger : List.of(app, neighbour, lookalike)) {
            assertFalse(network.allows(stranger, kafka0, controller), "no vote from " + stranger);
        }
        assertTrue(network.allows(kafka1, kafka0, client), "the brokers replicate");
        for (NetworkPolicyModel.Pod anyPod : List.of(app, neighbour, lookalike)) {
            assertTrue(network.allows(anyPod, kafka0, client), "clients from " + anyPod);
        }
        for (NetworkPolicyModel.Pod anyPod : List.of(kafka1, app, neighbour, lookalike)) {
            assertFalse(network.allows(anyPod, kafka0, portForward), "the unauthenticated listener from " + anyPod);
        }
        assertTrue(network.allows(app, neighbour, controller), "it isolates the Kafka pods only");
        assertEquals(List.of(), render(ClusterProfile.DEV).all().stream().filter(NetworkPolicy.class::isInstance)
                .toList(), "dev stays open for quick local work");
        assertTrue(render(ClusterProfile.DEV).unrendered().stream().anyMatch(NetworkPolicy.class::isInstance),
                "prod's is deleted when a cluster goes back to dev");
    }

    /** --client-namespaces: the client port for those namespaces' pods and the cluster's own, read back as given. */
    @Test
    void theClientPortCanBeNarrowedToNamespacesAndTheNarrowingIsReadBack() {
        KafkaManifests narrowed = render(ClusterProfile.PROD).withClientNamespaces(List.of("learnflow", "apps"));
        NetworkPolicyModel network = new NetworkPolicyModel(List.of(narrowed.networkPolicy()));
        Map<String, String> kafkaLabels = narrowed.statefulSet().getSpec().getTemplate().getMetadata().getLabels();
        NetworkPolicyModel.Pod kafka0 = new NetworkPolicyModel.Pod("kafka", kafkaLabels);
        assertTrue(network.allows(new NetworkPolicyModel.Pod("learnflow", Map.of("app", "api")), kafka0, 9092));
        assertTrue(network.allows(new NetworkPolicyModel.Pod("apps", Map.of()), kafka0, 9092));
        assertTrue(network.allows(new NetworkPolicyModel.Pod("kafka", kafkaLabels), kafka0, 9092), "replication");
        assertFalse(network.allows(new NetworkPolicyModel.Pod("other", Map.of("app", "api")), kafka0, 9092));
        assertFalse(network.allows(new NetworkPolicyModel.Pod("learnflow", Map.of()), kafka0, 9093));

        assertEquals(List.of("apps", "learnflow"), KafkaNetworkPolicy.clientNamespacesOf(narrowed.networkPolicy()));
        assertEquals(List.of(), KafkaNetworkPolicy.clientNamespacesOf(render(ClusterProfile.PROD).networkPolicy()),
                "any pod");
        assertNull(KafkaNetworkPolicy.clientNamespacesOf(null), "no policy deployed");
    }

    @ParameterizedTest
    @EnumSource(ClusterProfile.class)
    void servicesSelectTheKafkaPodsAndTheHeadlessOnePublishesNotReadyAddresses(ClusterProfile profile) {
        KafkaManifests manifests = render(profile);
        Service client = manifests.clientService();
        assertEquals("kafka", client.getMetadata().getName());
        assertEquals("ClusterIP", client.getSpec().getType());
        assertEquals(9092, client.getSpec().getPorts().get(0).getPort());
        assertEquals(Map.of("app", "kafka"), client.getSpec().getSelector());
        Service headless = manifests.headlessService();
        assertEquals("None", headless.getSpec().getClusterIP());
        assertTrue(headless.getSpec().getPublishNotReadyAddresses());
        assertEquals(Map.of("app", "kafka"), headless.getSpec().getSelector());
        StatefulSet statefulSet = manifests.statefulSet();
        assertEquals(headless.getMetadata().getName(), statefulSet.getSpec().getServiceName());
        assertEquals("kafka", statefulSet.getSpec().getTemplate().getMetadata().getLabels().get("app"));
    }

    @ParameterizedTest
    @EnumSource(ClusterProfile.class)
    void podsStartInParallelRunAsNonRootAndGetNoServiceLinks(ClusterProfile profile) {
        StatefulSet statefulSet = render(profile).statefulSet();
        assertEquals("Parallel", statefulSet.getSpec().getPodManagementPolicy());
        PodSpec pod = statefulSet.getSpec().getTemplate().getSpec();
        assertFalse(pod.getEnableServiceLinks());
        assertTrue(pod.getSecurityContext().getRunAsNonRoot());
        assertEquals(1000L, pod.getSecurityContext().getFsGroup());
        assertEquals(1000L, pod.getSecurityContext().getRunAsUser());
        assertEquals("RuntimeDefault", pod.getSecurityContext().getSeccompProfile().getType());
        assertEquals("apache/kafka:4.4.0", kafkaContainer(statefulSet).getImage());
    }

    @ParameterizedTest
    @EnumSource(ClusterProfile.class)
    void dataLivesOnARetainedVolumeWithTheLogDirInsideIt(ClusterProfile profile) {
        StatefulSet statefulSet = render(profile).statefulSet();
        var claim = statefulSet.getSpec().getVolumeClaimTemplates().get(0);
        assertEquals(new Quantity(profile.storageSize), claim.getSpec().getResources().getRequests().get("storage"));
        assertEquals(List.of("ReadWriteOnce"), claim.getSpec().getAccessModes());
        assertEquals("Retain", statefulSet.getSpec().getPersistentVolumeClaimRetentionPolicy().getWhenDeleted());
        assertEquals("Retain", statefulSet.getSpec().getPersistentVolumeClaimRetentionPolicy().getWhenScaled());
        var mount = kafkaContainer(statefulSet).getVolumeMounts().get(0);
        assertEquals(claim.getMetadata().getName(), mount.getName());
        assertTrue(ContainerFilesystem.IMAGE_VOLUMES.contains(mount.getMountPath()),
                "the claim replaces the image's VOLUME exactly, or containerd hides it under a fresh directory: "
                        + mount.getMountPath());
        assertTrue(env(statefulSet).get("KAFKA_LOG_DIRS").startsWith(mount.getMountPath() + "/"),
                "the log dir is a folder inside the volume, not its root (lost+found)");
    }

    @Test
    void storageOptionsReachTheVolumeClaim() {
        var claim = new KafkaManifests(ClusterProfile.DEV, "kafka", "my/kafka:1", "5Gi", "fast-ssd").statefulSet()
                .getSpec().getVolumeClaimTemplates().get(0);
        assertEquals(new Quantity("5Gi"), claim.getSpec().getResources().getRequests().get("storage"));
        assertEquals("fast-ssd", claim.getSpec().getStorageClassName());
    }

    @ParameterizedTest
    @EnumSource(ClusterProfile.class)
    void startUpAndLivenessProbeTheControllerPortAndReadinessTheClientPort(ClusterProfile profile) {
        Container kafka = kafkaContainer(render(profile).statefulSet());
        assertEquals(9092, kafka.getReadinessProbe().getTcpSocket().getPort().getIntVal());
        // The controller port opens before log recovery; the client port only after it (see KafkaClusterContract).
        assertEquals(9093, kafka.getStartupProbe().getTcpSocket().getPort().getIntVal());
        assertEquals(9093, kafka.getLivenessProbe().getTcpSocket().getPort().getIntVal());
        int startupSeconds = kafka.getStartupProbe().getPeriodSeconds() * kafka.getStartupProbe()
                .getFailureThreshold();
        assertTrue(startupSeconds >= 120, "the first start (storage format, quorum) gets time: " + startupSeconds);
    }

    @ParameterizedTest
    @EnumSource(ClusterProfile.class)
    void podsPassEveryRuleOfTheRestrictedPodSecurityStandardOnEveryPlatform(ClusterProfile profile) {
        for (Platform platform : Platform.values()) {
            var template = render(profile).withPlatform(platform).statefulSet().getSpec().getTemplate();
            assertEquals(List.of(), PodSecurityStandard.restrictedViolations(template.getSpec(),
                    template.getMetadata().getAnnotations() == null ? Map.of()
                            : template.getMetadata().getAnnotations()), platform.id());
        }
    }

    @Test
    void withoutItsSeccompProfileThePodBreaksExactlyOneRestrictedRule() {
        PodSpec pod = render(ClusterProfile.DEV).statefulSet().getSpec().getTemplate().getSpec();
        pod.getSecurityContext().setSeccompProfile(null);
        assertEquals(List.of("Seccomp (restricted)"), PodSecurityStandard.restrictedViolations(pod, Map.of()));
    }

    @Test
    void prodBrokersAreRestartedByDeploySafelyAndDevsByTheController() {
        assertEquals("OnDelete", render(ClusterProfile.PROD).statefulSet().getSpec().getUpdateStrategy().getType());
        assertEquals("RollingUpdate", render(ClusterProfile.DEV).statefulSet().getSpec().getUpdateStrategy()
                .getType());
    }

    @Test
    void aRestartMarkerChangesOnlyThePodTemplatesAnnotation() {
        StatefulSet plain = render(ClusterProfile.PROD).statefulSet();
        StatefulSet marked = render(ClusterProfile.PROD).withRestartMarker("2026-11-26T01:00:00Z").statefulSet();
        assertNull(KafkaManifests.restartMarker(plain));
        assertEquals("2026-11-26T01:00:00Z", KafkaManifests.restartMarker(marked));
        marked.getSpec().getTemplate().getMetadata().getAnnotations().remove(KafkaManifests.RESTARTED_AT);
        assertEquals(plain, marked);
    }

    @Test
    void anotherClusterDomainReachesTheVotersAndAdvertisedListeners() {
        KafkaManifests manifests = render(ClusterProfile.PROD).withClusterDomain("corp.internal");
        StatefulSet statefulSet = manifests.statefulSet();
        assertTrue(env(statefulSet).get("KAFKA_CONTROLLER_QUORUM_BOOTSTRAP_SERVERS")
                .contains("kafka-0.kafka-headless.kafka.svc.corp.internal:9093"));
        assertTrue(manifests.formation().getData().get("initial-controllers")
                .contains("0@kafka-0.kafka-headless.kafka.svc.corp.internal:9093:"));
        assertTrue(kafkaContainer(statefulSet).getCommand().get(2)
                .contains("CLIENT://${HOSTNAME}.kafka-headless.kafka.svc.corp.internal:9092"));
        assertEquals("kafka.kafka.svc.corp.internal:9092", manifests.clientBootstrap());
        assertFalse(env(statefulSet).toString().contains("cluster.local"));
    }

    @Test
    void clusterIdIsStablePerNamespaceAndAValidKafkaUuid() {
        String id = render(ClusterProfile.DEV).clusterId();
        assertEquals(id, render(ClusterProfile.PROD).clusterId(), "same namespace, same id, whatever the profile");
        assertEquals(22, id.length());
        assertEquals(id, org.apache.kafka.common.Uuid.fromString(id).toString());
        String other = new KafkaManifests(ClusterProfile.DEV, "team-a", KafkaManifests.DEFAULT_IMAGE, null, null)
                .clusterId();
        assertFalse(id.equals(other));
    }

    @Test
    void everyObjectButTheNamespaceLivesInTheNamespace() {
        List<HasMetadata> objects = new KafkaManifests(ClusterProfile.PROD, "team-a", KafkaManifests.DEFAULT_IMAGE,
                null, null).all();
        assertEquals("team-a", objects.get(0).getMetadata().getName());
        objects.stream().skip(1).forEach(o -> assertEquals("team-a", o.getMetadata().getNamespace(), o.getKind()));
    }

    @Test
    void onlyVoterAndVolumeChangesBlockAnInPlaceUpdate() {
        StatefulSet dev = render(ClusterProfile.DEV).statefulSet();
        assertEquals(List.of(), InPlaceChange.blockers(dev, render(ClusterProfile.DEV).statefulSet()));
        assertEquals(List.of(), InPlaceChange.blockers(dev,
                new KafkaManifests(ClusterProfile.DEV, "kafka", "other/kafka:4.4.1", null, null).statefulSet()),
                "an image change is a rolling update");
        StatefulSet serverFilled = render(ClusterProfile.DEV).statefulSet();
        serverFilled.getSpec().getVolumeClaimTemplates().get(0).getSpec().setStorageClassName("standard");
        assertEquals(List.of(), InPlaceChange.blockers(serverFilled, render(ClusterProfile.DEV).statefulSet()),
                "no class asked for: whatever default the server filled in is fine");
        // A dynamic quorum grows in place (deploy keeps the deployed volume size); a static one cannot.
        assertEquals(List.of("the volume size would change from 1Gi to 10Gi"),
                InPlaceChange.blockers(dev, render(ClusterProfile.PROD).statefulSet()));
        assertEquals(List.of(), InPlaceChange.blockers(dev, render(ClusterProfile.PROD).withStorageSize("1Gi")
                .statefulSet()));
        assertEquals(List.of("the KRaft voter set would change from 1 to 3 nodes",
                "the volume size would change from 1Gi to 10Gi"),
                InPlaceChange.blockers(render(ClusterProfile.DEV).withQuorum(KraftQuorum.STATIC).statefulSet(),
                        render(ClusterProfile.PROD).withQuorum(KraftQuorum.STATIC).statefulSet()));
        assertEquals(List.of(), InPlaceChange.blockers(render(ClusterProfile.PROD).statefulSet(),
                render(ClusterProfile.DEV).withStorageSize("10Gi").statefulSet()), "a dynamic quorum shrinks too");
        assertEquals(List.of("the storage class would change from the default to fast"), InPlaceChange.blockers(dev,
                new KafkaManifests(ClusterProfile.DEV, "kafka", KafkaManifests.DEFAULT_IMAGE, null, "fast")
                        .statefulSet()));
    }

    @Test
    void imageVersionMatchesTheKafkaClientsOnTheClasspath() {
        assertEquals(org.apache.kafka.common.utils.internals.AppInfoParser.getVersion(),
                KafkaManifests.DEFAULT_IMAGE.substring(KafkaManifests.DEFAULT_IMAGE.indexOf(':') + 1));
    }
}
