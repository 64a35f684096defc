///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS info.picocli:picocli:4.7.7
//DEPS io.fabric8:kubernetes-client:8.0.0
//DEPS io.fabric8:kubernetes-httpclient-jdk:8.0.0
//DEPS org.apache.kafka:kafka-clients:4.4.0
//DEPS org.slf4j:slf4j-simple:2.0.20
//SOURCES common/*.java

import common.AccessRules;
import common.Cli;
import common.ClusterDomainOption;
import common.ClusterProfile;
import common.CommandFailure;
import common.ContextOption;
import common.DurationParameter;
import common.KafkaEndpoints;
import common.InPlaceChange;
import common.KafkaManifests;
import common.KubernetesAccess;
import common.NamespaceOption;
import common.Output;
import common.Platform;
import common.PodReadiness;
import common.ProfileParameter;
import common.Progress;
import common.ToolVersion;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesListBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "deploy", mixinStandardHelpOptions = true, versionProvider = ToolVersion.class, usageHelpWidth = 100,
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

    @Option(names = "--timeout", paramLabel = "DURATION", converter = DurationParameter.class,
            description = "How long to wait for Ready brokers (default: 60s dev, 120s prod).")
    Duration timeout;

    /** The field manager of our server-side applies: what we set is ours, what others add stays theirs. */
    static final String FIELD_MANAGER = KafkaManifests.MANAGED_BY;

    public static void main(String... args) {
        System.exit(Cli.execute(new deploy(), args));
    }

    @Override
    public Integer call() {
        if (printRbac) {
            print(AccessRules.all(namespace.get()));
            return Cli.OK;
        }
        KafkaManifests manifests = new KafkaManifests(profile, namespace.get(), image, validStorageSize(),
                storageClass).withClusterDomain(clusterDomain.get());
        if (dryRun) {
            print(manifests.withPlatform(openshift ? Platform.OPENSHIFT : Platform.KUBERNETES).all());
            return Cli.OK;
        }
        long start = System.nanoTime();
        KubernetesAccess access = context.configure();
        try (KubernetesClient client = access.client()) {
            manifests = manifests.withPlatform(platform(client, access));
            recreateIfRequired(client, access, manifests);
            Map<String, Integer> changes = new TreeMap<>();
            ensureNamespace(client, access, manifests, changes);
            apply(client, access, manifests.namespaced(), changes);
            deleteUnrendered(client, access, manifests, changes);
            Integer ready = noWait ? null
                    : awaitReady(client, access, timeout == null ? profile.readyTimeout : timeout);
            report(manifests, changes, ready, System.nanoTime() - start);
            return Cli.OK;
        }
    }

    /**
     * Some changes cannot be applied to a running cluster (the static KRaft voter set, the volume templates): stop
     * before touching anything, or, with --recreate, delete the StatefulSet and its volumes first.
     */
    private void recreateIfRequired(KubernetesClient client, KubernetesAccess access, KafkaManifests manifests) {
        var statefulSet = client.apps().statefulSets().inNamespace(namespace.get())
                .withName(KafkaEndpoints.CLUSTER_NAME);
        StatefulSet deployed;
        try {
            deployed = statefulSet.get();
        } catch (KubernetesClientException e) {
            throw access.failure("reading StatefulSet " + KafkaEndpoints.CLUSTER_NAME, e);
        }
        List<String> blockers = deployed == null ? List.of()
                : InPlaceChange.blockers(deployed, manifests.statefulSet());
        if (blockers.isEmpty()) {
            return;
        }
        try {
            if (!recreate) {
                throw new CommandFailure(String.join(" and ", blockers) + ", which cannot be done in place: nothing"
                        + " changed. Deploy into another namespace, or add --recreate (deletes the StatefulSet and"
                        + " its volumes: all Kafka data is lost)");
            }
            Duration limit = timeout == null ? profile.readyTimeout : timeout;
            try (Progress progress = output.progress()) {
                progress.update("deleting StatefulSet " + KafkaEndpoints.CLUSTER_NAME + " (" + String.join(", ",
                        blockers) + ")");
                statefulSet.withPropagationPolicy(DeletionPropagation.FOREGROUND).delete();
                statefulSet.waitUntilCondition(Objects::isNull, limit.toMillis(), TimeUnit.MILLISECONDS);
                progress.update("deleting the Kafka volumes");
                // Exactly this StatefulSet's claims, by name: a label could match someone else's.
                long deadline = System.nanoTime() + limit.toNanos();
                for (String claim : KafkaManifests.claimNames(deployed.getSpec().getReplicas())) {
                    var volume = client.persistentVolumeClaims().inNamespace(namespace.get()).withName(claim);
                    volume.delete();
                    awaitDeleted(volume, deadline, "PersistentVolumeClaim " + claim);
                }
            }
        } catch (KubernetesClientException e) {
            throw access.failure("recreating the Kafka cluster", e);
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
     * Creates the namespace only when it is missing: changing an existing one would need cluster-wide rights, and
     * it is not ours to change. A user who may not even read it is assumed to have been given it.
     */
    private void ensureNamespace(KubernetesClient client, KubernetesAccess access, KafkaManifests manifests,
            Map<String, Integer> counts) {
        try {
            boolean exists = client.namespaces().withName(namespace.get()).get() != null;
            if (!exists) {
                client.resource(manifests.namespace()).create();
            }
            counts.merge(exists ? "unchanged" : "created", 1, Integer::sum);
        } catch (KubernetesClientException e) {
            boolean mayNotRead = e.getCode() == 403 && e.getStatus() != null
                    && String.valueOf(e.getStatus().getMessage()).contains("cannot get");
            boolean createdMeanwhile = e.getCode() == 409;
            if (!mayNotRead && !createdMeanwhile) {
                throw access.failure("creating Namespace " + namespace.get(), e);
            }
            counts.merge("unchanged", 1, Integer::sum);
        }
    }

    /** Deletes what this tool made that the profile no longer renders (a prod PodDisruptionBudget on dev). */
    private static void deleteUnrendered(KubernetesClient client, KubernetesAccess access, KafkaManifests manifests,
            Map<String, Integer> counts) {
        for (HasMetadata object : manifests.unrendered()) {
            String what = object.getKind() + " " + object.getMetadata().getName();
            try {
                HasMetadata found = client.resource(object).get();
                if (found != null && found.getMetadata().getLabels() != null && KafkaManifests.MANAGED_BY.equals(
                        found.getMetadata().getLabels().get(KafkaManifests.MANAGED_BY_LABEL))) {
                    client.resource(found).delete();
                    counts.merge("deleted", 1, Integer::sum);
                }
            } catch (KubernetesClientException e) {
                throw access.failure("deleting " + what, e);
            }
        }
    }

    private void report(KafkaManifests manifests, Map<String, Integer> changes, Integer ready, long elapsedNanos) {
        String connection = manifests.clientBootstrap();
        String line = "deploy " + profile.id() + ": " + changes.entrySet().stream()
                .map(e -> e.getValue() + " " + e.getKey()).collect(Collectors.joining(", "))
                + (ready == null ? "" : "; " + ready + "/" + profile.replicas
                        + " brokers ready in " + seconds(elapsedNanos))
                + "; bootstrap " + connection;
        Map<String, Object> facts = Output.facts("ok");
        facts.put("profile", profile.id());
        facts.put("namespace", namespace.get());
        facts.put("objects", changes);
        facts.put("brokers", profile.replicas);
        facts.put("ready", ready);
        facts.put("connection", connection);
        facts.put("elapsedMs", elapsedNanos / 1_000_000);
        output.result(line, facts);
    }

    /**
     * Server-side applies every object in order, and reports what each apply did, as kubectl does: an unchanged
     * object keeps its resourceVersion.
     */
    private static void apply(KubernetesClient client, KubernetesAccess access, List<HasMetadata> objects,
            Map<String, Integer> counts) {
        for (HasMetadata object : objects) {
            String what = object.getKind() + " " + object.getMetadata().getName();
            try {
                HasMetadata before = client.resource(object).get();
                HasMetadata after = client.resource(object).fieldManager(FIELD_MANAGER).forceConflicts()
                        .serverSideApply();
                String action = before == null ? "created"
                        : before.getMetadata().getResourceVersion().equals(after.getMetadata().getResourceVersion())
                                ? "unchanged" : "configured";
                counts.merge(action, 1, Integer::sum);
            } catch (KubernetesClientException e) {
                throw access.failure("applying " + what, e);
            }
        }
    }

    /**
     * Watches the StatefulSet (an informer, no polling) until its controller reports every replica Ready and at
     * the current revision, as {@code kubectl rollout status} does: right after an update, the old pods are still
     * Ready. Returns the Ready brokers.
     */
    private int awaitReady(KubernetesClient client, KubernetesAccess access, Duration limit) {
        var statefulSet = client.apps().statefulSets().inNamespace(namespace.get())
                .withName(KafkaEndpoints.CLUSTER_NAME);
        try (Progress progress = output.progress()) {
            CompletableFuture<List<StatefulSet>> rolledOut = statefulSet.informOnCondition(found -> {
                StatefulSet current = found.isEmpty() ? null : found.get(0);
                progress.update("waiting for brokers: " + count(current, StatefulSetStatus::getReadyReplicas) + "/"
                        + profile.replicas + " Ready");
                return rolledOut(current);
            });
            try {
                rolledOut.get(limit.toMillis(), TimeUnit.MILLISECONDS);
                return profile.replicas;
            } catch (TimeoutException e) {
                rolledOut.cancel(true);
                throw new CommandFailure(whyNotReady(client, statefulSet.get(), limit));
            } catch (ExecutionException e) {
                if (e.getCause() instanceof KubernetesClientException clientError) {
                    throw access.failure("watching StatefulSet " + KafkaEndpoints.CLUSTER_NAME, clientError);
                }
                throw new CommandFailure("watching StatefulSet " + KafkaEndpoints.CLUSTER_NAME + " failed: "
                        + e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CommandFailure("interrupted while waiting for the brokers");
            }
        } catch (KubernetesClientException e) {
            throw access.failure("waiting for the brokers", e);
        }
    }

    private boolean rolledOut(StatefulSet statefulSet) {
        if (statefulSet == null || statefulSet.getStatus() == null) {
            return false;
        }
        Long generation = statefulSet.getMetadata().getGeneration();
        Long observed = statefulSet.getStatus().getObservedGeneration();
        return (generation == null || (observed != null && observed >= generation))
                && count(statefulSet, StatefulSetStatus::getReadyReplicas) == profile.replicas
                && count(statefulSet, StatefulSetStatus::getUpdatedReplicas) == profile.replicas;
    }

    /** Each pod that is not Ready and why; or, when all are, that the rolling update is still under way. */
    private String whyNotReady(KubernetesClient client, StatefulSet statefulSet, Duration limit) {
        PodReadiness readiness = new PodReadiness(profile.replicas, client.pods().inNamespace(namespace.get())
                .withLabels(KafkaManifests.selector()).list().getItems());
        String why = readiness.allReady()
                ? "the rolling update has not finished (" + count(statefulSet, StatefulSetStatus::getUpdatedReplicas)
                        + "/" + profile.replicas + " pods updated)"
                : String.join("; ", readiness.notReady());
        if (readiness.notReady().stream().anyMatch(problem -> problem.endsWith(PodReadiness.NOT_CREATED))) {
            why += failedCreate(client).map(message -> "; the StatefulSet controller cannot create pods: " + message)
                    .orElse("");
        }
        return readiness.ready() + "/" + readiness.replicas() + " brokers Ready after " + seconds(limit.toNanos())
                + ": " + why;
    }

    /**
     * Why the StatefulSet controller could not create a pod (admission refused it: Pod Security, quota, a
     * webhook), from its latest FailedCreate event.
     */
    private Optional<String> failedCreate(KubernetesClient client) {
        return client.v1().events().inNamespace(namespace.get()).list().getItems().stream()
                .filter(event -> "FailedCreate".equals(event.getReason()) && event.getInvolvedObject() != null
                        && "StatefulSet".equals(event.getInvolvedObject().getKind())
                        && KafkaEndpoints.CLUSTER_NAME.equals(event.getInvolvedObject().getName()))
                .max(Comparator.comparing(deploy::when))
                .map(event -> event.getMessage() == null ? "FailedCreate" : event.getMessage().lines().findFirst()
                        .orElse(""));
    }

    private static String when(Event event) {
        String time = event.getLastTimestamp() != null ? event.getLastTimestamp()
                : event.getEventTime() != null ? event.getEventTime().getTime()
                : event.getMetadata().getCreationTimestamp();
        return time == null ? "" : time;
    }

    private static int count(StatefulSet statefulSet, Function<StatefulSetStatus, Integer> field) {
        Integer value = statefulSet == null || statefulSet.getStatus() == null ? null
                : field.apply(statefulSet.getStatus());
        return value == null ? 0 : value;
    }

    private static String seconds(long nanos) {
        return Math.round(nanos / 1e8) / 10.0 + "s";
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
