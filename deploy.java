///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
// Sources are UTF-8 (they hold ✓, ✗, →) whatever the locale: JDK 17's javac reads them in the locale's charset.
//JAVAC_OPTIONS -encoding UTF-8
// Short runs: class data shared from the first run (JBang keeps the archive beside its jar), the quick compiler,
// the serial collector; JVM warnings (the archive dump lists skipped classes) must not reach stdout.
//CDS
//JAVA_OPTIONS -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xlog:disable -Xlog:all=error:stderr
//DEPS info.picocli:picocli:4.7.7
//DEPS io.fabric8:kubernetes-client:8.0.0
//DEPS io.fabric8:kubernetes-httpclient-jdk:8.0.0
//DEPS org.apache.kafka:kafka-clients:4.4.0
//DEPS org.slf4j:slf4j-simple:2.0.20
//SOURCES common/*.java

import common.AccessRules;
import common.BootstrapServerOption;
import common.Cli;
import common.ClusterDomainOption;
import common.ClusterProfile;
import common.CommandFailure;
import common.ContextOption;
import common.Deadline;
import common.DurationParameter;
import common.InPlaceChange;
import common.InPlaceResize;
import common.KafkaAccess;
import common.KafkaEndpoints;
import common.KafkaManifests;
import common.KraftQuorum;
import common.KubernetesAccess;
import common.NamespaceOption;
import common.Output;
import common.Ownership;
import common.Platform;
import common.PodReadiness;
import common.ProfileParameter;
import common.Progress;
import common.RolloutWait;
import common.SafeRoll;
import common.Teardown;
import common.ToolVersion;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesListBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.errors.BrokerIdNotRegisteredException;
import org.apache.kafka.common.errors.ControllerIdNotRegisteredException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "deploy", mixinStandardHelpOptions = true, versionProvider = ToolVersion.class, usageHelpWidth = 100,
        abbreviateSynopsis = true,
        description = "Deploys Apache Kafka (KRaft) to Kubernetes: a StatefulSet of combined brokers and controllers.")
public class deploy implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", defaultValue = "dev", paramLabel = "PROFILE",
            converter = ProfileParameter.class,
            description = "dev (1 broker, 512Mi) or prod (3 brokers, 2Gi each); default ${DEFAULT-VALUE}.")
    ClusterProfile profile;

    @Mixin
    NamespaceOption namespace;

    @Option(names = "--image", paramLabel = "IMAGE", defaultValue = KafkaManifests.DEFAULT_IMAGE,
            description = "Kafka image (default: ${DEFAULT-VALUE}).")
    String image;

    @Option(names = "--replicas", paramLabel = "N",
            description = "Brokers, prod only: 3 or more (default: 3, or as many as deployed).")
    Integer replicas;

    @Option(names = "--storage-size", paramLabel = "SIZE",
            description = "Volume size per broker (default: 1Gi dev, 10Gi prod).")
    String storageSize;

    @Option(names = "--storage-class", paramLabel = "CLASS",
            description = "Storage class of the volumes (default: the cluster's).")
    String storageClass;

    @Mixin
    ClusterDomainOption clusterDomain;

    @Option(names = "--openshift", description = "Leave the pods' uid/gid to OpenShift (else detected).")
    boolean openshift;

    @Option(names = "--dry-run", description = "Print the objects as YAML instead of applying them.")
    boolean dryRun;

    @Option(names = "--print-rbac", description = "Print the least-privilege Roles of each command as YAML.")
    boolean printRbac;

    @Mixin
    ContextOption context;

    @Mixin
    Output output;

    @Option(names = "--no-wait", description = "Return after applying, without waiting for Ready brokers.")
    boolean noWait;

    @Option(names = "--recreate", description = "Delete and redeploy where a change can't be made in place (data lost).")
    boolean recreate;

    @Option(names = "--adopt", description = "Take over objects with these names that another tool made.")
    boolean adopt;

    @Option(names = "--restart", description = "Restart every broker (prod: one at a time, when safe).")
    boolean restart;

    @Option(names = "--force", description = "Allow a system namespace; restart brokers of an unhealthy cluster.")
    boolean force;

    @Mixin
    BootstrapServerOption kafka;

    @Option(names = "--delete", description = "Remove the deployed objects (volumes kept; --dry-run lists).")
    boolean delete;

    @Option(names = "--delete-data",
            description = "With --delete, the volumes too (data lost); else removed brokers'.")
    boolean deleteData;

    @Option(names = "--timeout", paramLabel = "DURATION", converter = DurationParameter.class,
            description = "Give up after this long (default: 60s dev, 120s prod).")
    Duration timeout;

    /** The field manager of our server-side applies: what we set is ours, what others add stays theirs. */
    static final String FIELD_MANAGER = KafkaManifests.MANAGED_BY;
    /** Namespaces of the cluster itself: Kafka has no business there. */
    private static final Pattern SYSTEM_NAMESPACE = Pattern.compile("kube-.*|openshift(-.*)?");
    /** An image reference: [registry[:port]/]path[:tag][@digest]. */
    private static final Pattern IMAGE_REFERENCE = Pattern.compile("([a-zA-Z0-9][a-zA-Z0-9.-]*(:[0-9]+)?/)?"
            + "[a-z0-9]+([._-]+[a-z0-9]+)*(/[a-z0-9]+([._-]+[a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?"
            + "(@sha256:[a-f0-9]{64})?");
    private static final Pattern DNS_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");

    public static void main(String... args) {
        System.exit(Cli.execute(new deploy(), args));
    }

    @Override
    public Integer call() throws Exception {
        if (printRbac) {
            print(AccessRules.all(namespace.get()));
            return Cli.OK;
        }
        KafkaManifests manifests = withValidReplicas(new KafkaManifests(profile, namespace.get(), validImage(),
                validStorageSize(), validStorageClass()).withClusterDomain(clusterDomain.get()));
        requireUserNamespace();
        if (dryRun && !delete) {
            print(manifests.withPlatform(openshift ? Platform.OPENSHIFT : Platform.KUBERNETES).all());
            return Cli.OK;
        }
        Duration limit = timeout == null ? profile.readyTimeout : timeout;
        long deadline = System.nanoTime() + limit.toNanos();
        // Without --timeout, a roll gets the profile's ready timeout per broker on top.
        Duration outer = timeout != null || !profile.safeRoll ? limit
                : profile.readyTimeout.multipliedBy(manifests.replicas() + 1L);
        return Deadline.run("deploy", outer.plus(Deadline.GRACE),
                () -> delete ? tearDown(manifests) : deploy(manifests, limit, deadline));
    }

    /** The steps of a deploy, each leaving the cluster as it found it when it refuses. */
    private int deploy(KafkaManifests rendered, Duration limit, long deadline) {
        long start = System.nanoTime();
        KubernetesAccess access = context.configure();
        try (KubernetesClient client = access.client()) {
            Namespace existingNamespace = readNamespace(client, access);
            Map<String, HasMetadata> existing = readExisting(client, access, rendered.namespaced());
            StatefulSet deployed = (StatefulSet) existing.get(key(rendered.statefulSet()));
            if (deployed == null) {
                awaitTerminatingVolumes(client, access, rendered.replicas(), deadline);
            }
            // A cluster keeps the quorum its storage was formatted with; only a new one gets a dynamic quorum.
            KraftQuorum formatted = deployed != null ? KraftQuorum.of(deployed) : keptVolumeQuorum(client, access);
            KafkaManifests manifests = keptShape(rendered, deployed).withPlatform(platform(client, access))
                    .withQuorum(formatted == null ? KraftQuorum.DYNAMIC : formatted)
                    .withRestartMarker(restart ? Instant.now().toString() : KafkaManifests.restartMarker(deployed));
            List<String> blockers = deployed == null ? List.of()
                    : InPlaceChange.blockers(deployed, manifests.statefulSet());
            requireOurs(client, access, existing, blockers.isEmpty() ? null : deployed);

            if (!blockers.isEmpty()) {
                recreate(client, access, deployed, blockers, deadline);
                existing.remove(key(manifests.statefulSet()));
                formatted = null;
                manifests = manifests.withQuorum(KraftQuorum.DYNAMIC);
            }
            int removed = deployed == null || !blockers.isEmpty() ? 0
                    : Math.max(0, deployed.getSpec().getReplicas() - manifests.replicas());
            // The brokers to unregister once their pods are gone: those this shrink removes, and those of a shrink
            // that was interrupted before it unregistered them.
            int leftUpTo = deployed == null || !blockers.isEmpty() ? 0
                    : Math.max(removed > 0 ? deployed.getSpec().getReplicas() : 0, shrinkingFrom(deployed));
            if (removed > 0) {
                shrink(client, access, manifests, deployed.getSpec().getReplicas(), deadline);
                markShrinking(client, access, leftUpTo);
            }
            Map<String, Integer> changes = new TreeMap<>();
            ensureNamespace(client, access, manifests, existingNamespace, changes);
            if (formatted == null) {
                startFormation(client, access, manifests);
            }
            apply(client, access, manifests.namespaced(), existing, changes);
            deleteUnrendered(client, access, manifests, changes);
            if (leftUpTo > manifests.replicas()) {
                removed = Math.max(removed, unregisterLeft(client, access, manifests.replicas(), leftUpTo, deadline));
                markShrinking(client, access, 0);
            }
            List<String> deletedVolumes = deleteData ? deleteLeftVolumes(client, access, manifests.replicas())
                    : List.of();
            Integer ready = null;
            int restarted = 0;
            int votersAdded = 0;
            if (!noWait) {
                try (Progress progress = output.progress()) {
                    long rollDeadline = deadline;
                    if (profile.safeRoll && deployed != null && blockers.isEmpty()) {
                        Settled settled = settle(client, access, manifests, deployed, progress, deadline);
                        votersAdded = settled.votersAdded();
                        restarted = settled.restarted();
                        rollDeadline = settled.deadline();
                    }
                    ready = new RolloutWait(client, access, namespace.get(), manifests.replicas())
                            .await(Duration.ofNanos(Math.max(0, rollDeadline - System.nanoTime())), limit, progress);
                }
                endFormation(client, access);
            }
            report(manifests, changes, votersAdded, removed, deletedVolumes, restarted, ready,
                    System.nanoTime() - start);
            return Cli.OK;
        }
    }

    /** What deploy did to a running prod cluster beyond applying, and the deadline its rollout wait gets. */
    private record Settled(int votersAdded, int restarted, long deadline) {
    }

    /**
     * A running prod cluster brought to its manifests: grown (by this deploy's scale-up, or one an interrupted deploy
     * left unfinished), then restarted onto its template one broker at a time. The grow comes first: a grown
     * cluster's old nodes restart onto the new template (min ISR 2) only once every partition has its new copies.
     */
    private Settled settle(KubernetesClient client, KubernetesAccess access, KafkaManifests manifests,
            StatefulSet deployed, Progress progress, long deadline) {
        SafeRoll roll = new SafeRoll(client, access, namespace.get(), progress);
        List<Integer> outdated = roll.outdated(deadline);
        long rollDeadline = deadline + (timeout != null ? 0 : profile.readyTimeout.toNanos() * outdated.size());
        boolean scaledUp = deployed.getSpec().getReplicas() < manifests.replicas();
        boolean dynamic = manifests.quorum() == KraftQuorum.DYNAMIC;
        if (!scaledUp && outdated.isEmpty() && !dynamic) {
            return new Settled(0, 0, rollDeadline);
        }
        if (scaledUp) { // before connecting: the port-forwards need the new pods
            awaitAllReady(client, access, manifests.replicas(), deadline, progress);
        }
        try (KafkaAccess brokers = kafka.connect(namespace.get(), client, access,
                Duration.ofNanos(Math.max(1, rollDeadline - System.nanoTime())))) {
            int votersAdded = 0;
            if (dynamic) {
                InPlaceResize resize = new InPlaceResize(brokers, progress::update);
                if (!scaledUp && resize.votersMissing(manifests)) {
                    awaitAllReady(client, access, manifests.replicas(), deadline, progress);
                }
                votersAdded = resize.grow(manifests, rollDeadline);
            }
            if (!outdated.isEmpty()) {
                roll.roll(brokers, outdated, force, rollDeadline);
            }
            return new Settled(votersAdded, outdated.size(), rollDeadline);
        }
    }

    /** Shrinking in place (prod to dev, or to fewer prod brokers), before the smaller StatefulSet is applied. */
    private void shrink(KubernetesClient client, KubernetesAccess access, KafkaManifests manifests,
            int deployedReplicas, long deadline) {
        if (noWait) {
            throw new CommandFailure("shrinking from " + deployedReplicas + " to " + manifests.replicas()
                    + " brokers moves every partition first and waits for it: run it without --no-wait; "
                    + "nothing changed");
        }
        try (Progress progress = output.progress(); KafkaAccess brokers = kafka.connect(namespace.get(), client,
                access, Duration.ofNanos(Math.max(1, deadline - System.nanoTime())))) {
            new InPlaceResize(brokers, progress::update).shrink(manifests, deployedReplicas, deadline);
        }
    }

    /**
     * The brokers {@code replicas} up to {@code upTo} that Kafka still registers are unregistered once the StatefulSet
     * controller has deleted their pods: otherwise the cluster would keep them as fenced brokers, forever offline;
     * their controller registrations go too.
     *
     * @return how many it unregistered
     */
    private int unregisterLeft(KubernetesClient client, KubernetesAccess access, int replicas, int upTo,
            long deadline) {
        try (Progress progress = output.progress(); KafkaAccess brokers = kafka.connect(namespace.get(), client,
                access, Duration.ofNanos(Math.max(1, deadline - System.nanoTime())))) {
            Set<Integer> registered = brokers.await(brokers.admin().describeCluster(new DescribeClusterOptions()
                    .includeFencedBrokers(true)).nodes(), "reading the brokers").stream().map(Node::id)
                    .collect(Collectors.toSet());
            int unregistered = 0;
            for (int ordinal = replicas; ordinal < upTo; ordinal++) {
                var pod = client.pods().inNamespace(namespace.get()).withName(KafkaEndpoints.podName(ordinal));
                while (pod.get() != null) {
                    if (System.nanoTime() > deadline) {
                        throw new CommandFailure("timed out waiting for pod " + KafkaEndpoints.podName(ordinal)
                                + " to go");
                    }
                    progress.update("waiting for pod " + KafkaEndpoints.podName(ordinal) + " to go");
                    Thread.sleep(500);
                }
                if (registered.contains(ordinal)) {
                    try {
                        brokers.await(brokers.admin().unregisterBroker(ordinal).all(),
                                "unregistering broker " + ordinal);
                        unregistered++;
                    } catch (CommandFailure failure) {
                        // Gone meanwhile (the controller expired it): nothing to do.
                        if (!(failure.getCause() instanceof BrokerIdNotRegisteredException)) {
                            throw failure;
                        }
                    }
                }
                unregisterController(brokers, ordinal);
            }
            return unregistered;
        } catch (KubernetesClientException e) {
            throw access.failure("reading the Kafka pods", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommandFailure("interrupted while the leaving brokers stop");
        }
    }

    /**
     * Every node is a controller too, registered with the feature levels it supports: a registration left behind
     * would block every later metadata.version upgrade. Kafka removes one only from metadata.version 4.4-IV2 on
     * (older clusters keep theirs) and never a voter's.
     */
    private static void unregisterController(KafkaAccess brokers, int ordinal) {
        try {
            brokers.await(brokers.admin().unregisterController(ordinal).all(), "unregistering controller " + ordinal);
        } catch (CommandFailure failure) {
            if (!(failure.getCause() instanceof ControllerIdNotRegisteredException
                    || failure.getCause() instanceof UnsupportedVersionException)) {
                throw failure;
            }
        }
    }

    /**
     * On the StatefulSet while brokers a shrink removed may still be registered in Kafka: the size it shrank from.
     * Not part of the applied objects (a merge patch owns it), so an apply keeps it until they are unregistered.
     */
    static final String SHRINKING_FROM = "kafka-k8s-setup/shrinking-from";

    private static int shrinkingFrom(StatefulSet deployed) {
        Map<String, String> annotations = deployed.getMetadata().getAnnotations();
        String from = annotations == null ? null : annotations.get(SHRINKING_FROM);
        return from == null || !from.matches("\\d{1,4}") ? 0 : Integer.parseInt(from);
    }

    /** Sets {@link #SHRINKING_FROM}, or removes it with 0. */
    private void markShrinking(KubernetesClient client, KubernetesAccess access, int from) {
        String value = from == 0 ? "null" : "\"" + from + "\"";
        try {
            client.apps().statefulSets().inNamespace(namespace.get()).withName(KafkaEndpoints.CLUSTER_NAME)
                    .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"annotations\":{\""
                            + SHRINKING_FROM + "\":" + value + "}}}");
        } catch (KubernetesClientException e) {
            throw access.failure("annotating StatefulSet " + KafkaEndpoints.CLUSTER_NAME, e);
        }
    }

    /**
     * --delete-data on deploy: the volumes of brokers beyond the cluster's size (removed now or by an earlier shrink),
     * whose data the cluster no longer needs.
     */
    private List<String> deleteLeftVolumes(KubernetesClient client, KubernetesAccess access, int replicas) {
        try (Progress progress = output.progress()) {
            Teardown teardown = new Teardown(client, access, namespace.get());
            Teardown.Plan plan = teardown.planLeftVolumes(replicas);
            teardown.execute(plan, true, progress);
            return plan.volumes().stream().map(claim -> claim.getMetadata().getName()).toList();
        }
    }

    /**
     * A deployed cluster keeps its volume size and storage class unless --storage-size or --storage-class asks for
     * another (which cannot be done in place: a StatefulSet's claim templates are immutable, and no flag must not
     * read as "change to the default class"); a profile switch does not, by itself, ask for new volumes. It keeps
     * its broker count too unless
     * --replicas asks for another, or the profile cannot run it (prod over dev grows to 3, dev over prod shrinks).
     */
    private KafkaManifests keptShape(KafkaManifests rendered, StatefulSet deployed) {
        if (deployed == null) {
            return rendered;
        }
        String deployedSize = KafkaManifests.storageSizeOf(deployed);
        KafkaManifests kept = storageSize != null || deployedSize == null ? rendered
                : rendered.withStorageSize(deployedSize);
        if (storageClass == null) {
            kept = kept.withStorageClass(KafkaManifests.storageClassOf(deployed));
        }
        Integer deployedReplicas = deployed.getSpec().getReplicas();
        if (replicas != null || deployedReplicas == null) {
            return kept;
        }
        try {
            return kept.withReplicas(deployedReplicas);
        } catch (IllegalArgumentException notThisProfiles) {
            return kept;
        }
    }

    /** After a scale-up, every pod Ready: the new ones are brokers and quorum observers before they can be voters. */
    private void awaitAllReady(KubernetesClient client, KubernetesAccess access, int replicas, long deadline,
            Progress progress) {
        while (true) {
            PodReadiness readiness;
            try {
                readiness = new PodReadiness(replicas, client.pods().inNamespace(namespace.get())
                        .withLabels(KafkaManifests.selector()).list().getItems());
            } catch (KubernetesClientException e) {
                throw access.failure("listing the Kafka pods", e);
            }
            if (readiness.allReady()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new CommandFailure("growing to " + replicas + " brokers: " + readiness.ready() + "/"
                        + replicas + " Ready: " + String.join("; ", readiness.notReady()));
            }
            progress.update("waiting for the new brokers: " + readiness.ready() + "/" + replicas + " Ready");
            try {
                Thread.sleep(1_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CommandFailure("interrupted while the new brokers start");
            }
        }
    }

    /**
     * The quorum of volumes a StatefulSet left behind (deploy --delete keeps them), or null when there are none:
     * then the cluster is new.
     */
    private KraftQuorum keptVolumeQuorum(KubernetesClient client, KubernetesAccess access) {
        List<PersistentVolumeClaim> kept = claims(client, access, 1);
        return kept.isEmpty() ? null : KraftQuorum.of(kept.get(0));
    }

    /**
     * A new cluster's first voters, which its pods read at their first start (see {@link KraftQuorum#DYNAMIC}).
     * One left by an earlier deploy that stopped before any pod existed is replaced: no node formatted with it.
     */
    private void startFormation(KubernetesClient client, KubernetesAccess access, KafkaManifests manifests) {
        var formation = client.configMaps().inNamespace(namespace.get()).withName(KraftQuorum.FORMATION);
        try {
            ConfigMap left = formation.get();
            if (left != null) {
                Ownership.requireOurs(List.of(left), "Changing them is possible");
                formation.delete();
            }
            client.configMaps().inNamespace(namespace.get()).resource(manifests.formation()).create();
        } catch (KubernetesClientException e) {
            throw access.failure("creating ConfigMap " + KraftQuorum.FORMATION, e);
        }
    }

    /**
     * Once every broker is Ready the quorum has formed: from now on a node that starts on an empty disk (a replaced
     * one, an added one) joins as an observer, never as a first voter again.
     */
    private void endFormation(KubernetesClient client, KubernetesAccess access) {
        var formation = client.configMaps().inNamespace(namespace.get()).withName(KraftQuorum.FORMATION);
        try {
            ConfigMap left = formation.get();
            if (left != null && Ownership.ours(left)) {
                formation.delete();
            }
        } catch (KubernetesClientException e) {
            throw access.failure("deleting ConfigMap " + KraftQuorum.FORMATION, e);
        }
    }

    /** OpenShift when asked, or when the cluster serves OpenShift's security API. */
    private Platform platform(KubernetesClient client, KubernetesAccess access) {
        if (openshift) {
            return Platform.OPENSHIFT;
        }
        try {
            return client.hasApiGroup(Platform.OPENSHIFT_API_GROUP, false) ? Platform.OPENSHIFT : Platform.KUBERNETES;
        } catch (KubernetesClientException e) {
            throw access.failure("reading the API groups", e);
        }
    }

    /**
     * The namespace as it is, or null when it is missing. A user who may not read it is assumed to have been given
     * it. One being deleted cannot take new objects: say so instead.
     */
    private Namespace readNamespace(KubernetesClient client, KubernetesAccess access) {
        try {
            Namespace found = client.namespaces().withName(namespace.get()).get();
            if (found != null && found.getStatus() != null && "Terminating".equals(found.getStatus().getPhase())) {
                throw new CommandFailure("namespace " + namespace.get() + " is being deleted (Terminating): wait "
                        + "until it is gone, then deploy again");
            }
            return found;
        } catch (KubernetesClientException e) {
            if (e.getCode() == 403) {
                return new NamespaceBuilder().withNewMetadata().withName(namespace.get()).endMetadata().build();
            }
            throw access.failure("reading Namespace " + namespace.get(), e);
        }
    }

    /** What the cluster has under each rendered object's name, by {@link #key}; nothing where nothing is. */
    private static Map<String, HasMetadata> readExisting(KubernetesClient client, KubernetesAccess access,
            List<HasMetadata> objects) {
        Map<String, HasMetadata> existing = new LinkedHashMap<>();
        for (HasMetadata object : objects) {
            try {
                HasMetadata found = client.resource(object).get();
                if (found != null) {
                    existing.put(key(object), found);
                }
            } catch (KubernetesClientException e) {
                throw access.failure("reading " + object.getKind() + " " + object.getMetadata().getName(), e);
            }
        }
        return existing;
    }

    private static String key(HasMetadata object) {
        return object.getKind() + "/" + object.getMetadata().getName();
    }

    /**
     * Everything deploy would change or delete must be the tool's own, unless --adopt: the objects it applies and,
     * when it must recreate, the StatefulSet's volumes.
     */
    private void requireOurs(KubernetesClient client, KubernetesAccess access, Map<String, HasMetadata> existing,
            StatefulSet toRecreate) {
        if (adopt) {
            return;
        }
        List<HasMetadata> touched = new ArrayList<>(existing.values());
        if (toRecreate != null && recreate) {
            touched.addAll(claims(client, access, toRecreate.getSpec().getReplicas()));
        }
        Ownership.requireOurs(touched, "Changing them is possible");
    }

    private List<PersistentVolumeClaim> claims(KubernetesClient client, KubernetesAccess access, int replicas) {
        try {
            return KafkaManifests.claimNames(replicas).stream()
                    .map(name -> client.persistentVolumeClaims().inNamespace(namespace.get()).withName(name).get())
                    .filter(Objects::nonNull).toList();
        } catch (KubernetesClientException e) {
            throw access.failure("reading the Kafka volumes", e);
        }
    }

    /**
     * Some changes cannot be applied to a running cluster (the static KRaft voter set, the volume templates): stop
     * before touching anything, or, with --recreate, delete the StatefulSet and exactly its volumes first.
     */
    private void recreate(KubernetesClient client, KubernetesAccess access, StatefulSet deployed, List<String> blockers,
            long deadline) {
        if (!recreate) {
            throw new CommandFailure(String.join(" and ", blockers) + ", which cannot be done in place: nothing"
                    + " changed. Deploy into another namespace, or add --recreate (deletes the StatefulSet and"
                    + " its volumes: all Kafka data is lost)");
        }
        var statefulSet = client.apps().statefulSets().inNamespace(namespace.get())
                .withName(KafkaEndpoints.CLUSTER_NAME);
        try (Progress progress = output.progress()) {
            progress.update("deleting StatefulSet " + KafkaEndpoints.CLUSTER_NAME + " (" + String.join(", ",
                    blockers) + ")");
            statefulSet.withPropagationPolicy(DeletionPropagation.FOREGROUND).delete();
            awaitDeleted(statefulSet, deadline, "StatefulSet " + KafkaEndpoints.CLUSTER_NAME);
            progress.update("deleting the Kafka volumes");
            // Exactly this StatefulSet's claims, by name: a label could match someone else's.
            for (String claim : KafkaManifests.claimNames(deployed.getSpec().getReplicas())) {
                var volume = client.persistentVolumeClaims().inNamespace(namespace.get()).withName(claim);
                volume.delete();
                awaitDeleted(volume, deadline, "PersistentVolumeClaim " + claim);
            }
        } catch (KubernetesClientException e) {
            throw access.failure("recreating the Kafka cluster", e);
        }
    }

    /**
     * A volume claim being deleted (right after {@code --delete --delete-data}) stays, Terminating, until the pod
     * using it has stopped. Taken for kept data it would make the new cluster start without a formation, never to
     * form; so a new cluster waits for such claims to go.
     */
    private void awaitTerminatingVolumes(KubernetesClient client, KubernetesAccess access, int replicas,
            long deadline) {
        for (PersistentVolumeClaim claim : claims(client, access, replicas)) {
            if (claim.getMetadata().getDeletionTimestamp() != null) {
                try (Progress progress = output.progress()) {
                    String name = claim.getMetadata().getName();
                    progress.update("waiting for PersistentVolumeClaim " + name + " to finish deleting");
                    awaitDeleted(client.persistentVolumeClaims().inNamespace(namespace.get()).withName(name),
                            deadline, "PersistentVolumeClaim " + name);
                } catch (KubernetesClientException e) {
                    throw access.failure("waiting for the deleted Kafka volumes to go", e);
                }
            }
        }
    }

    /** Polls with get, which the deploy Role allows, where a watch would need list and watch as well. */
    private static void awaitDeleted(Resource<?> resource, long deadline, String what) {
        try {
            while (resource.get() != null) {
                if (System.nanoTime() > deadline) {
                    throw new CommandFailure(what + " was not deleted in time (a finalizer may hold it)");
                }
                Thread.sleep(250);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommandFailure("interrupted while deleting " + what);
        }
    }

    /**
     * Creates the namespace only when it is missing: changing an existing one would need cluster-wide rights, and
     * it is not ours to change.
     */
    private void ensureNamespace(KubernetesClient client, KubernetesAccess access, KafkaManifests manifests,
            Namespace existing, Map<String, Integer> counts) {
        if (existing == null) {
            try {
                client.resource(manifests.namespace()).create();
                counts.merge("created", 1, Integer::sum);
                return;
            } catch (KubernetesClientException e) {
                boolean createdMeanwhile = e.getCode() == 409;
                if (!createdMeanwhile) {
                    throw access.failure("creating Namespace " + namespace.get(), e);
                }
            }
        }
        counts.merge("unchanged", 1, Integer::sum);
    }

    /**
     * Server-side applies every object in order, and reports what each apply did, as kubectl does: an unchanged
     * object keeps its resourceVersion.
     */
    private static void apply(KubernetesClient client, KubernetesAccess access, List<HasMetadata> objects,
            Map<String, HasMetadata> existing, Map<String, Integer> counts) {
        for (HasMetadata object : objects) {
            HasMetadata before = existing.get(key(object));
            try {
                HasMetadata after = client.resource(object).fieldManager(FIELD_MANAGER).forceConflicts()
                        .serverSideApply();
                String action = before == null ? "created"
                        : before.getMetadata().getResourceVersion().equals(after.getMetadata().getResourceVersion())
                                ? "unchanged" : "configured";
                counts.merge(action, 1, Integer::sum);
            } catch (KubernetesClientException e) {
                throw access.failure("applying " + object.getKind() + " " + object.getMetadata().getName(), e);
            }
        }
    }

    /** Deletes what this tool made that the profile no longer renders (a prod PodDisruptionBudget on dev). */
    private static void deleteUnrendered(KubernetesClient client, KubernetesAccess access, KafkaManifests manifests,
            Map<String, Integer> counts) {
        for (HasMetadata object : manifests.unrendered()) {
            String what = object.getKind() + " " + object.getMetadata().getName();
            try {
                HasMetadata found = client.resource(object).get();
                if (found != null && Ownership.ours(found)) {
                    client.resource(found).delete();
                    counts.merge("deleted", 1, Integer::sum);
                }
            } catch (KubernetesClientException e) {
                throw access.failure("deleting " + what, e);
            }
        }
    }

    private void report(KafkaManifests manifests, Map<String, Integer> changes, int votersAdded, int removed,
            List<String> deletedVolumes, int restarted, Integer ready, long elapsedNanos) {
        String connection = manifests.clientBootstrap();
        String line = "deploy " + profile.id() + ": " + changes.entrySet().stream()
                .map(e -> e.getValue() + " " + e.getKey()).collect(Collectors.joining(", "))
                + (votersAdded == 0 ? "" : "; " + count(votersAdded, "voter") + " added")
                + (removed == 0 ? "" : "; " + count(removed, "broker") + " removed")
                + (removed == 0 || !deletedVolumes.isEmpty() ? "" : removed == 1 ? ", volume kept" : ", volumes kept")
                + (deletedVolumes.isEmpty() ? "" : "; " + count(deletedVolumes.size(), "volume") + " deleted")
                + (restarted == 0 ? "" : "; rolled " + restarted)
                + (ready == null ? "" : "; " + ready + "/" + manifests.replicas()
                        + " brokers ready in " + RolloutWait.seconds(elapsedNanos))
                + "; bootstrap " + connection;
        Map<String, Object> facts = Output.facts("ok");
        facts.put("profile", profile.id());
        facts.put("namespace", namespace.get());
        facts.put("objects", changes);
        facts.put("votersAdded", votersAdded);
        facts.put("brokersRemoved", removed);
        List<String> removedVolumes = KafkaManifests.claimNames(manifests.replicas() + removed)
                .subList(manifests.replicas(), manifests.replicas() + removed);
        facts.put("keptVolumes", removedVolumes.stream().filter(name -> !deletedVolumes.contains(name)).toList());
        facts.put("deletedVolumes", deletedVolumes);
        facts.put("restarted", restarted);
        facts.put("brokers", manifests.replicas());
        facts.put("ready", ready);
        facts.put("connection", connection);
        facts.put("elapsedMs", elapsedNanos / 1_000_000);
        output.result(line, facts);
    }

    /** "1 voter", "2 voters" */
    private static String count(int count, String noun) {
        return count + " " + noun + (count == 1 ? "" : "s");
    }

    /**
     * --delete: what deploy made goes (only what is provably the tool's), the volumes stay unless --delete-data;
     * with --dry-run, only says what would go. A second run finds nothing and says so.
     */
    private int tearDown(KafkaManifests manifests) {
        KubernetesAccess access = context.configure();
        try (KubernetesClient client = access.client(); Progress progress = output.progress()) {
            Teardown teardown = new Teardown(client, access, namespace.get());
            Teardown.Plan plan = teardown.plan(manifests);
            if (!dryRun) {
                teardown.execute(plan, deleteData, progress);
            }
            progress.close();
            List<String> deleted = new ArrayList<>(Teardown.names(plan.objects()));
            List<String> volumes = plan.volumes().stream().map(claim -> claim.getMetadata().getName()).toList();
            String verb = dryRun ? "would delete " : "deleted ";
            String line = "deploy --delete: " + (deleted.isEmpty() ? "nothing to delete" : verb + deleted.size()
                    + " objects") + (volumes.isEmpty() ? "" : deleteData ? "; " + verb + volumes.size() + " volumes"
                    : "; kept " + volumes.size() + " volumes (" + volumes.get(0) + (volumes.size() > 1 ? ".." : "")
                    + "; --delete-data deletes them)")
                    + (plan.foreign().isEmpty() ? "" : "; left " + plan.foreign().size() + " not ours");
            Map<String, Object> facts = Output.facts("ok");
            facts.put("namespace", namespace.get());
            facts.put("dryRun", dryRun);
            facts.put("deleted", deleted);
            facts.put(deleteData ? "deletedVolumes" : "keptVolumes", volumes);
            facts.put("notOurs", Teardown.names(plan.foreign()));
            output.result(line, facts);
            return Cli.OK;
        }
    }

    private void requireUserNamespace() {
        if (SYSTEM_NAMESPACE.matcher(namespace.get()).matches() && !force) {
            throw new ParameterException(spec.commandLine(), "namespace '" + namespace.get() + "' belongs to the "
                    + "cluster itself: choose another, or add --force");
        }
    }

    /** The rendered cluster with --replicas, when given and valid for the profile. */
    private KafkaManifests withValidReplicas(KafkaManifests rendered) {
        try {
            return replicas == null ? rendered : rendered.withReplicas(replicas);
        } catch (IllegalArgumentException invalid) {
            throw new ParameterException(spec.commandLine(), invalid.getMessage());
        }
    }

    private String validImage() {
        if (!IMAGE_REFERENCE.matcher(image).matches()) {
            throw new ParameterException(spec.commandLine(), "invalid --image '" + image
                    + "': expected an image reference such as apache/kafka:4.4.0");
        }
        return image;
    }

    private String validStorageClass() {
        if (storageClass != null && !DNS_SUBDOMAIN.matcher(storageClass).matches()) {
            throw new ParameterException(spec.commandLine(), "invalid --storage-class '" + storageClass
                    + "': expected a name such as standard or fast-ssd");
        }
        return storageClass;
    }

    private String validStorageSize() {
        if (storageSize == null) {
            return null;
        }
        try {
            if (Quantity.getAmountInBytes(new Quantity(storageSize)).signum() > 0) {
                return storageSize;
            }
        } catch (IllegalArgumentException invalid) {
            // reported below
        }
        throw new ParameterException(spec.commandLine(),
                "invalid --storage-size '" + storageSize + "': expected a positive quantity such as 10Gi");
    }

    /** YAML documents, for {@code kubectl apply -f -}; with --json, one kubectl-style List object. */
    private void print(List<HasMetadata> objects) {
        KubernetesSerialization serialization = new KubernetesSerialization();
        if (output.json()) {
            output.text(serialization.asJson(new KubernetesListBuilder().withItems(objects).build()));
            return;
        }
        StringBuilder yaml = new StringBuilder();
        for (HasMetadata object : objects) {
            String document = serialization.asYaml(object);
            yaml.append(document.startsWith("---") ? "" : "---\n").append(document);
        }
        output.text(yaml.toString().stripTrailing());
    }
}
