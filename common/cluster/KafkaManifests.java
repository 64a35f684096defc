package common.cluster;

import common.cli.ToolVersion;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.AffinityBuilder;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The Kubernetes objects of a Kafka cluster: KRaft, every pod a combined broker and controller, built from a
 * {@link ClusterProfile}. Pure: builds objects, talks to nothing.
 */
public final class KafkaManifests {
    public static final String DEFAULT_IMAGE = "apache/kafka:" + ToolVersion.KAFKA;
    public static final String MANAGED_BY = "kafka-k8s-setup";
    public static final String MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
    /** The pod template annotation deploy --restart sets. */
    public static final String RESTARTED_AT = "kafka-k8s-setup/restarted-at";
    /** The official image's entrypoint: renders server.properties from KAFKA_* variables, formats storage, starts. */
    public static final String IMAGE_ENTRYPOINT = "/etc/kafka/docker/run";
    /** The image's non-root user (appuser). */
    public static final long IMAGE_USER = 1000L;
    /**
     * The PVC's mount point: exactly the image's {@code VOLUME /var/lib/kafka/data}. Any other path leaves that
     * VOLUME to the container runtime, which (containerd) mounts a fresh directory there at every container start.
     */
    public static final String DATA_MOUNT = "/var/lib/kafka/data";
    /** A folder inside the volume, not its root: an ext4 volume's lost+found makes Kafka 4.4 refuse a log dir. */
    public static final String LOG_DIR = DATA_MOUNT + "/logs";
    public static final String DATA_VOLUME = "data";
    /**
     * Where the image writes besides its data: its entrypoint renders {@code server.properties} into the config
     * folder (and exits unless it may write there), kafka-run-class.sh creates the log folder. Both belong to the
     * image's user; emptyDirs make them writable for any user (OpenShift's are arbitrary) and fresh per pod.
     */
    private static final Map<String, String> SCRATCH_VOLUMES = new TreeMap<>(Map.of(
            "config", "/opt/kafka/config",
            "logs", "/opt/kafka/logs"));

    private final ClusterProfile profile;
    private final int replicas;
    private final String namespace;
    private final String image;
    private final String storageSize;
    private final String storageClass;
    private final String clusterDomain;
    private final Platform platform;
    private final String restartMarker;
    private final KraftQuorum quorum;
    /** The namespaces whose pods may reach the client port (prod); empty: every pod; null: not asked (every pod). */
    private final List<String> clientNamespaces;
    private final ClusterSecurity security;
    /**
     * The security the claim template's label says the volumes were made for: the cluster's own, except where a
     * deployed template (immutable) was made open and the cluster was secured since (see {@link ClusterSecurity#LABEL}).
     */
    private final ClusterSecurity claimSecurity;

    /**
     * For Kubernetes with the default cluster domain, and a new cluster's dynamic quorum.
     *
     * @param storageSize  the PVC size per broker, or null for the profile's
     * @param storageClass the PVCs' storage class, or null for the cluster's default
     */
    public KafkaManifests(ClusterProfile profile, String namespace, String image, String storageSize,
            String storageClass) {
        this(profile, profile.replicas, namespace, image, storageSize == null ? profile.storageSize : storageSize,
                storageClass, KafkaEndpoints.DEFAULT_CLUSTER_DOMAIN, Platform.KUBERNETES, null, KraftQuorum.DYNAMIC,
                null, profile.security, profile.security);
    }

    private KafkaManifests(ClusterProfile profile, int replicas, String namespace, String image, String storageSize,
            String storageClass, String clusterDomain, Platform platform, String restartMarker,
            KraftQuorum quorum, List<String> clientNamespaces, ClusterSecurity security,
            ClusterSecurity claimSecurity) {
        this.profile = profile;
        this.replicas = replicas;
        this.namespace = namespace;
        this.image = image;
        this.storageSize = storageSize;
        this.storageClass = storageClass;
        this.clusterDomain = clusterDomain;
        this.platform = platform;
        this.restartMarker = restartMarker;
        this.quorum = quorum;
        this.clientNamespaces = clientNamespaces;
        this.security = security;
        this.claimSecurity = claimSecurity;
    }

    /** The same cluster for a Kubernetes whose DNS domain is not cluster.local. */
    public KafkaManifests withClusterDomain(String domain) {
        return new KafkaManifests(profile, replicas, namespace, image, storageSize, storageClass, domain, platform,
                restartMarker, quorum, clientNamespaces, security, claimSecurity);
    }

    /** The same cluster for another platform (OpenShift assigns the pods' ids). */
    public KafkaManifests withPlatform(Platform target) {
        return new KafkaManifests(profile, replicas, namespace, image, storageSize, storageClass, clusterDomain, target,
                restartMarker, quorum, clientNamespaces, security, claimSecurity);
    }

    /** The same cluster with volumes of another size (a deployed cluster's claim template cannot change). */
    public KafkaManifests withStorageSize(String size) {
        return new KafkaManifests(profile, replicas, namespace, image, size, storageClass, clusterDomain, platform,
                restartMarker, quorum, clientNamespaces, security, claimSecurity);
    }

    /** The same cluster with volumes of another storage class (null: the cluster's default). */
    public KafkaManifests withStorageClass(String storageClassName) {
        return new KafkaManifests(profile, replicas, namespace, image, storageSize, storageClassName, clusterDomain,
                platform, restartMarker, quorum, clientNamespaces, security, claimSecurity);
    }

    /**
     * The same cluster with its client port open to the pods of these namespaces only (and its own); empty: to
     * every pod; null: as deployed, or every pod.
     */
    public KafkaManifests withClientNamespaces(List<String> namespaces) {
        return new KafkaManifests(profile, replicas, namespace, image, storageSize, storageClass, clusterDomain,
                platform, restartMarker, quorum, namespaces == null ? null : namespaces.stream().sorted().distinct()
                        .filter(name -> !name.equals(namespace)).toList(), security, claimSecurity);
    }

    /** The same cluster with other listeners' security (see {@link ClusterSecurity}). */
    public KafkaManifests withSecurity(ClusterSecurity kind) {
        return new KafkaManifests(profile, replicas, namespace, image, storageSize, storageClass, clusterDomain,
                platform, restartMarker, quorum, clientNamespaces, kind, kind);
    }

    /** The same cluster whose claim template keeps the label a deployed one has (a template cannot change). */
    public KafkaManifests withClaimSecurity(ClusterSecurity kind) {
        return new KafkaManifests(profile, replicas, namespace, image, storageSize, storageClass, clusterDomain,
                platform, restartMarker, quorum, clientNamespaces, security, kind);
    }

    public ClusterSecurity security() {
        return security;
    }

    /** The cluster's DNS domain. */
    public String clusterDomain() {
        return clusterDomain;
    }

    /** What was asked of the client port: see {@link #withClientNamespaces}. */
    public List<String> clientNamespaces() {
        return clientNamespaces;
    }

    /** The Kafka image a deployed StatefulSet's pod template runs. */
    public static String imageOf(StatefulSet statefulSet) {
        return statefulSet.getSpec().getTemplate().getSpec().getContainers().get(0).getImage();
    }

    /** The storage class a deployed StatefulSet's claim template names, or null (the cluster's default). */
    public static String storageClassOf(StatefulSet statefulSet) {
        var claims = statefulSet.getSpec().getVolumeClaimTemplates();
        return claims == null || claims.isEmpty() ? null : claims.get(0).getSpec().getStorageClassName();
    }

    /** The volume size a deployed StatefulSet's claim template asks for, or null. */
    public static String storageSizeOf(StatefulSet statefulSet) {
        var claims = statefulSet.getSpec().getVolumeClaimTemplates();
        if (claims == null || claims.isEmpty()) {
            return null;
        }
        Quantity size = claims.get(0).getSpec().getResources().getRequests().get("storage");
        return size == null ? null : size.toString();
    }

    /**
     * The same cluster with a restart marker on the pod template (as {@code kubectl rollout restart} sets one): a
     * new value restarts every broker; null renders none.
     */
    public KafkaManifests withRestartMarker(String marker) {
        return new KafkaManifests(profile, replicas, namespace, image, storageSize, storageClass, clusterDomain, platform,
                marker, quorum, clientNamespaces, security, claimSecurity);
    }

    /** The same cluster with the given quorum (a deployed cluster keeps the one it was formatted with). */
    public KafkaManifests withQuorum(KraftQuorum kind) {
        return new KafkaManifests(profile, replicas, namespace, image, storageSize, storageClass, clusterDomain, platform,
                restartMarker, kind, clientNamespaces, security, claimSecurity);
    }

    /** The same cluster with another broker count ({@link ClusterProfile#validReplicas} says which it may have). */
    public KafkaManifests withReplicas(int count) {
        return new KafkaManifests(profile, profile.validReplicas(count), namespace, image, storageSize, storageClass,
                clusterDomain, platform, restartMarker, quorum, clientNamespaces, security, claimSecurity);
    }

    public KraftQuorum quorum() {
        return quorum;
    }

    public ClusterProfile profile() {
        return profile;
    }

    /** The Kafka image the pods run. */
    public String image() {
        return image;
    }

    public int replicas() {
        return replicas;
    }

    /** The nodes that are KRaft voters: the lowest ids, as many as {@link KraftQuorum#voters} gives. */
    public List<Integer> voterIds() {
        return IntStream.range(0, quorum.voters(replicas)).boxed().toList();
    }

    /** A variable of a deployed StatefulSet's Kafka container (CLUSTER_ID, the voters, ...), or null. */
    public static String environmentOf(StatefulSet statefulSet, String name) {
        return statefulSet.getSpec().getTemplate().getSpec().getContainers().stream()
                .flatMap(container -> container.getEnv() == null ? java.util.stream.Stream.empty()
                        : container.getEnv().stream())
                .filter(env -> name.equals(env.getName())).map(EnvVar::getValue).findFirst().orElse(null);
    }

    /** The restart marker a deployed StatefulSet carries, or null. */
    public static String restartMarker(StatefulSet statefulSet) {
        Map<String, String> annotations = statefulSet == null ? null
                : statefulSet.getSpec().getTemplate().getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get(RESTARTED_AT);
    }

    public String namespaceName() {
        return namespace;
    }

    public Platform platform() {
        return platform;
    }

    /** What follows the pod name in each broker's DNS name. */
    public String podDomain() {
        return KafkaEndpoints.podDomain(namespace, clusterDomain);
    }

    /** Where clients inside the cluster bootstrap. */
    public String clientBootstrap() {
        return KafkaEndpoints.clientBootstrap(namespace, clusterDomain);
    }

    /** Every object, in the order they should be applied. */
    public List<HasMetadata> all() {
        List<HasMetadata> objects = new ArrayList<>(List.of(namespace(), headlessService(), clientService(),
                statefulSet()));
        if (profile.highlyAvailable()) {
            objects.add(podDisruptionBudget());
        }
        if (profile.isolatedNetwork) {
            objects.add(networkPolicy());
        }
        return objects;
    }

    /** Every object but the namespace, which deploy creates only when it is missing. */
    public List<HasMetadata> namespaced() {
        return all().subList(1, all().size());
    }

    /** Objects this tool makes for other profiles, which this one leaves out: deploy deletes them if present. */
    public List<HasMetadata> unrendered() {
        List<HasMetadata> objects = new ArrayList<>();
        if (!profile.highlyAvailable()) {
            objects.add(podDisruptionBudget());
        }
        if (!profile.isolatedNetwork) {
            objects.add(networkPolicy());
        }
        return objects;
    }

    /** The StatefulSet controller's names for the data claims of {@code replicas} pods: data-kafka-0, ... */
    public static List<String> claimNames(int replicas) {
        return IntStream.range(0, replicas).mapToObj(i -> DATA_VOLUME + "-" + KafkaEndpoints.podName(i)).toList();
    }

    public Namespace namespace() {
        return new NamespaceBuilder().withNewMetadata().withName(namespace).withLabels(managedLabels()).endMetadata()
                .build();
    }

    /** Clients inside the cluster bootstrap through this Service. */
    public Service clientService() {
        return new ServiceBuilder()
                .withNewMetadata().withName(KafkaEndpoints.CLIENT_SERVICE).withNamespace(namespace)
                .withLabels(labels()).endMetadata()
                .withNewSpec().withType("ClusterIP").withSelector(selector())
                .withPorts(port("kafka", KafkaEndpoints.CLIENT_PORT)).endSpec()
                .build();
    }

    /**
     * Gives every pod a stable DNS name. Publishes not-ready addresses: controllers must find each other before any
     * pod can be Ready.
     */
    public Service headlessService() {
        return new ServiceBuilder()
                .withNewMetadata().withName(KafkaEndpoints.HEADLESS_SERVICE).withNamespace(namespace)
                .withLabels(labels()).endMetadata()
                .withNewSpec().withClusterIP("None").withPublishNotReadyAddresses(true).withSelector(selector())
                .withPorts(port("kafka", KafkaEndpoints.CLIENT_PORT),
                        port("controller", KafkaEndpoints.CONTROLLER_PORT))
                .endSpec()
                .build();
    }

    public StatefulSet statefulSet() {
        return new StatefulSetBuilder()
                .withNewMetadata().withName(KafkaEndpoints.CLUSTER_NAME).withNamespace(namespace)
                .withLabels(labels()).endMetadata()
                .withNewSpec()
                .withReplicas(replicas)
                .withServiceName(KafkaEndpoints.HEADLESS_SERVICE)
                // OrderedReady would deadlock: pod 0 cannot be Ready before a quorum, which needs pods 1 and 2.
                .withPodManagementPolicy("Parallel")
                .withNewSelector().withMatchLabels(selector()).endSelector()
                .withNewPersistentVolumeClaimRetentionPolicy().withWhenDeleted("Retain").withWhenScaled("Retain")
                .endPersistentVolumeClaimRetentionPolicy()
                // OnDelete: deploy restarts each broker itself once that cannot take a partition below min ISR.
                .withNewUpdateStrategy().withType(profile.safeRoll ? "OnDelete" : "RollingUpdate")
                .endUpdateStrategy()
                .withNewTemplate()
                .withMetadata(podTemplateMetadata())
                .withNewSpec()
                // Service links would add KAFKA_SERVICE_HOST, KAFKA_PORT, ...: the image turns them into bogus properties.
                .withEnableServiceLinks(false)
                .withTerminationGracePeriodSeconds(60L)
                .withSecurityContext(podSecurityContext())
                .withAffinity(profile.highlyAvailable() ? spreadAcrossNodes() : null)
                .withContainers(kafkaContainer())
                .withVolumes(volumes())
                .endSpec()
                .endTemplate()
                .withVolumeClaimTemplates(dataVolumeClaim())
                .endSpec()
                .build();
    }

    /** At most one broker down for voluntary disruptions (drains, upgrades): the quorum and min ISR hold. */
    public PodDisruptionBudget podDisruptionBudget() {
        return new PodDisruptionBudgetBuilder()
                .withNewMetadata().withName(KafkaEndpoints.CLUSTER_NAME).withNamespace(namespace)
                .withLabels(labels()).endMetadata()
                .withNewSpec().withMaxUnavailable(new IntOrString(1))
                .withNewSelector().withMatchLabels(selector()).endSelector().endSpec()
                .build();
    }

    /** Who may reach the Kafka pods: see {@link KafkaNetworkPolicy}. */
    public NetworkPolicy networkPolicy() {
        return KafkaNetworkPolicy.render(namespace, labels(), clientNamespaces, security);
    }

    /**
     * The KRaft cluster id: the same on every node and on every run for the same namespace (a name-based UUID),
     * in Kafka's base64url form.
     */
    public String clusterId() {
        UUID uuid = UUID.nameUUIDFromBytes((MANAGED_BY + "/" + namespace + "/" + KafkaEndpoints.CLUSTER_NAME)
                .getBytes(StandardCharsets.UTF_8));
        ByteBuffer bytes = ByteBuffer.allocate(16).putLong(uuid.getMostSignificantBits())
                .putLong(uuid.getLeastSignificantBits());
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes.array());
    }

    /**
     * The first {@code nodes} nodes' controller endpoints, through the headless Service: {@code id@host:port} for
     * static voters. A dynamic quorum's nodes find it through the nodes every cluster of the profile has as voters,
     * so that adding or removing brokers beyond them leaves the pod template, and the running brokers, alone.
     */
    private List<String> controllers(int nodes, boolean withIds) {
        return IntStream.range(0, nodes).mapToObj(i -> (withIds ? i + "@" : "")
                + KafkaEndpoints.podHost(namespace, clusterDomain, i) + ":" + KafkaEndpoints.CONTROLLER_PORT).toList();
    }

    /**
     * What deploy writes when it creates a cluster with a dynamic quorum: the voters (see {@link #voterIds}) as its
     * first voters, each with a new directory id (kafka-storage.sh format --initial-controllers).
     */
    public ConfigMap formation() {
        return formation(node -> org.apache.kafka.common.Uuid.randomUuid());
    }

    /**
     * Every object a cluster needs to start from YAML alone ({@code kubectl apply}, a GitOps repository): the
     * objects deploy applies, with a dynamic quorum's formation before the StatefulSet whose pods read it. Its
     * directory ids derive from the namespace and node, so the same arguments render the same YAML.
     */
    public List<HasMetadata> forApply() {
        List<HasMetadata> objects = new ArrayList<>(all());
        if (quorum == KraftQuorum.DYNAMIC) {
            objects.add(1, formation(this::derivedDirectoryId));
        }
        return objects;
    }

    private ConfigMap formation(java.util.function.IntFunction<org.apache.kafka.common.Uuid> directoryId) {
        String voters = voterIds().stream().map(i -> controllers(replicas, true).get(i) + ":"
                + directoryId.apply(i)).collect(Collectors.joining(","));
        return new ConfigMapBuilder()
                .withNewMetadata().withName(KraftQuorum.FORMATION).withNamespace(namespace).withLabels(labels())
                .endMetadata()
                .withData(Map.of(KraftQuorum.INITIAL_CONTROLLERS, voters))
                .build();
    }

    /** A name-based directory id for {@code node}, never one Kafka reserves or one a command line would misread. */
    private org.apache.kafka.common.Uuid derivedDirectoryId(int node) {
        for (int attempt = 0; ; attempt++) {
            UUID uuid = UUID.nameUUIDFromBytes((MANAGED_BY + "/" + namespace + "/formation/" + node + "/" + attempt)
                    .getBytes(StandardCharsets.UTF_8));
            var id = new org.apache.kafka.common.Uuid(uuid.getMostSignificantBits(), uuid.getLeastSignificantBits());
            if (!id.toString().startsWith("-") && !org.apache.kafka.common.Uuid.RESERVED.contains(id)) {
                return id;
            }
        }
    }

    private Container kafkaContainer() {
        return new ContainerBuilder()
                .withName("kafka")
                .withImage(image)
                .withCommand("/bin/sh", "-c", startScript())
                .withEnv(containerEnvironment())
                .withPorts(containerPorts())
                .withResources(resources())
                .withVolumeMounts(volumeMounts())
                // The controller port binds early in start-up, before the broker recovers its logs, which after an
                // unclean stop may take longer than any fixed start-up budget: probing it lets recovery finish.
                .withStartupProbe(tcpProbe(KafkaEndpoints.CONTROLLER_PORT, 5, 60))
                .withLivenessProbe(tcpProbe(KafkaEndpoints.CONTROLLER_PORT, 10, 6))
                // The client port accepts only once the broker has joined the quorum and loaded its metadata.
                .withReadinessProbe(tcpProbe(KafkaEndpoints.CLIENT_PORT, 5, 3))
                .withNewSecurityContext().withAllowPrivilegeEscalation(false).withNewCapabilities().withDrop("ALL")
                .endCapabilities().endSecurityContext()
                .build();
    }

    private List<ContainerPort> containerPorts() {
        List<ContainerPort> ports = new ArrayList<>();
        if (security == ClusterSecurity.TLS) {
            ports.add(containerPort("replication", KafkaEndpoints.REPLICATION_PORT));
        }
        ports.addAll(List.of(containerPort("kafka", KafkaEndpoints.CLIENT_PORT),
                containerPort("controller", KafkaEndpoints.CONTROLLER_PORT),
                containerPort("port-forward", KafkaEndpoints.PORT_FORWARD_PORT)));
        return ports;
    }

    /** The pods' labels, and the restart marker when there is one (none at all otherwise, not an empty map). */
    private ObjectMeta podTemplateMetadata() {
        ObjectMetaBuilder metadata = new ObjectMetaBuilder().withLabels(labels());
        if (restartMarker != null) {
            metadata.addToAnnotations(RESTARTED_AT, restartMarker);
        }
        return metadata.build();
    }

    /**
     * The scratch folders, and a secure cluster's Secrets. A secure pod's config folder is in memory: the first
     * format reads the admin password from a file there.
     */
    private List<io.fabric8.kubernetes.api.model.Volume> volumes() {
        List<io.fabric8.kubernetes.api.model.Volume> volumes = new ArrayList<>(SCRATCH_VOLUMES.keySet().stream()
                .map(name -> new VolumeBuilder().withName(name).withNewEmptyDir()
                        .withMedium(security == ClusterSecurity.TLS && name.equals("config") ? "Memory" : null)
                        .endEmptyDir().build()).toList());
        volumes.addAll(security.volumes());
        return volumes;
    }

    private List<VolumeMount> volumeMounts() {
        List<VolumeMount> mounts = new ArrayList<>();
        mounts.add(new VolumeMountBuilder().withName(DATA_VOLUME).withMountPath(DATA_MOUNT).build());
        SCRATCH_VOLUMES.forEach((name, path) -> mounts.add(new VolumeMountBuilder().withName(name)
                .withMountPath(path).build()));
        mounts.addAll(security.volumeMounts());
        return mounts;
    }

    /**
     * Admitted under the "restricted" Pod Security Standard (non-root, RuntimeDefault seccomp; the container drops
     * every capability and cannot escalate). Runs as the image's user where the platform allows fixed ids; on
     * OpenShift the SCC assigns them from the project's range.
     */
    private PodSecurityContext podSecurityContext() {
        PodSecurityContextBuilder context = new PodSecurityContextBuilder().withRunAsNonRoot(true)
                .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile();
        if (platform.allowsFixedIds()) {
            context.withRunAsUser(IMAGE_USER).withRunAsGroup(IMAGE_USER).withFsGroup(IMAGE_USER);
        }
        return context.build();
    }

    /**
     * The node id and advertised addresses depend on the pod's ordinal, known only inside the pod: derive them from
     * the host name (kafka-2 → 2), then start as the quorum needs (see {@link KraftQuorum#launch()}). POSIX sh, for
     * any image shell.
     */
    public String startScript() {
        String host = "${HOSTNAME}." + podDomain();
        List<String> lines = new ArrayList<>(List.of(
                "ordinal=\"${HOSTNAME##*-}\"",
                "export KAFKA_NODE_ID=\"$ordinal\"",
                "export KAFKA_ADVERTISED_LISTENERS=\"" + security.advertisedListeners(host,
                        quorum.advertisesController()) + "\""));
        lines.addAll(quorum.prepare());
        lines.addAll(launch());
        return String.join("\n", lines);
    }

    /** The start script's last lines: see {@link KraftQuorum#launch}. */
    public List<String> launch() {
        return quorum.launch(security);
    }

    /** The variables below, and for a dynamic quorum the formation's voters while there is one. */
    private List<EnvVar> containerEnvironment() {
        List<EnvVar> variables = new ArrayList<>(environment().entrySet().stream()
                .map(e -> new EnvVar(e.getKey(), e.getValue(), null)).toList());
        if (quorum == KraftQuorum.DYNAMIC) {
            variables.add(new EnvVarBuilder().withName(KraftQuorum.INITIAL_CONTROLLERS_ENV).withNewValueFrom()
                    .withNewConfigMapKeyRef(KraftQuorum.INITIAL_CONTROLLERS, KraftQuorum.FORMATION, true)
                    .endValueFrom().build());
        }
        return variables;
    }

    /**
     * Every property the node needs, set explicitly: once any KAFKA_* variable is set, the image supplies no
     * defaults (no listeners, no log dir, no quorum).
     */
    public Map<String, String> environment() {
        int replication = profile.replicationFactor();
        String minIsr = String.valueOf(profile.minInsyncReplicas);
        Map<String, String> env = new LinkedHashMap<>();
        env.put("CLUSTER_ID", clusterId());
        env.put("KAFKA_PROCESS_ROLES", "broker,controller");
        security.addEnvironment(env);
        env.put("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER");
        quorum.addEnvironment(env, quorum == KraftQuorum.STATIC ? controllers(replicas, true)
                : controllers(profile.replicas, false));
        env.put("KAFKA_LOG_DIRS", LOG_DIR);
        env.put("KAFKA_DEFAULT_REPLICATION_FACTOR", String.valueOf(replication));
        env.put("KAFKA_MIN_INSYNC_REPLICAS", minIsr);
        env.put("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", String.valueOf(replication));
        env.put("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", String.valueOf(replication));
        env.put("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", minIsr);
        env.put("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR", String.valueOf(replication));
        env.put("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR", minIsr);
        env.put("KAFKA_LOG_CLEANER_DEDUPE_BUFFER_SIZE", String.valueOf(profile.cleanerDedupeBufferBytes()));
        env.put("KAFKA_HEAP_OPTS", profile.heapOptions);
        env.put("KAFKA_JVM_PERFORMANCE_OPTS", profile.jvmOptions);
        return env;
    }

    private ResourceRequirements resources() {
        // Sorted: Map.of iterates in a different order on every JVM run, and --dry-run output must be stable.
        Map<String, Quantity> amounts = new TreeMap<>(Map.of("memory", new Quantity(profile.memory),
                "cpu", new Quantity(profile.cpu)));
        return new ResourceRequirementsBuilder().withRequests(amounts).withLimits(amounts).build();
    }

    /** Labelled with a dynamic quorum (a static cluster's template, immutable, stays as it was deployed). */
    private PersistentVolumeClaim dataVolumeClaim() {
        Map<String, String> claimLabels = new LinkedHashMap<>(labels());
        if (quorum == KraftQuorum.DYNAMIC) {
            claimLabels.put(KraftQuorum.LABEL, quorum.label());
        }
        if (claimSecurity == ClusterSecurity.TLS) {
            claimLabels.put(ClusterSecurity.LABEL, claimSecurity.id());
        }
        return new PersistentVolumeClaimBuilder()
                .withNewMetadata().withName(DATA_VOLUME).withLabels(claimLabels).endMetadata()
                .withNewSpec().withAccessModes("ReadWriteOnce").withStorageClassName(storageClass)
                .withNewResources().withRequests(Map.of("storage", new Quantity(storageSize))).endResources()
                .endSpec()
                .build();
    }

    private Affinity spreadAcrossNodes() {
        return new AffinityBuilder()
                .withNewPodAntiAffinity()
                .addNewPreferredDuringSchedulingIgnoredDuringExecution()
                .withWeight(100)
                .withNewPodAffinityTerm().withTopologyKey("kubernetes.io/hostname")
                .withNewLabelSelector().withMatchLabels(selector()).endLabelSelector()
                .endPodAffinityTerm()
                .endPreferredDuringSchedulingIgnoredDuringExecution()
                .endPodAntiAffinity()
                .build();
    }

    private static Probe tcpProbe(int port, int periodSeconds, int failureThreshold) {
        return new ProbeBuilder().withNewTcpSocket().withPort(new IntOrString(port)).endTcpSocket()
                .withPeriodSeconds(periodSeconds).withFailureThreshold(failureThreshold).withTimeoutSeconds(3)
                .build();
    }

    private static ServicePort port(String name, int port) {
        return new ServicePortBuilder().withName(name).withPort(port).withTargetPort(new IntOrString(port))
                .withProtocol("TCP").build();
    }

    private static ContainerPort containerPort(String name, int port) {
        return new ContainerPortBuilder().withName(name).withContainerPort(port)
                .withProtocol("TCP").build();
    }

    /** The label that selects the Kafka pods. */
    public static Map<String, String> selector() {
        return Map.of("app", KafkaEndpoints.CLUSTER_NAME);
    }

    private static Map<String, String> managedLabels() {
        return Map.of(MANAGED_BY_LABEL, MANAGED_BY);
    }

    static Map<String, String> labels() {
        Map<String, String> labels = new LinkedHashMap<>(selector());
        labels.put("app.kubernetes.io/name", "kafka");
        labels.putAll(managedLabels());
        return labels;
    }
}
