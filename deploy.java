///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS info.picocli:picocli:4.7.7
//DEPS io.fabric8:kubernetes-client:8.0.0
//DEPS io.fabric8:kubernetes-httpclient-jdk:8.0.0
//DEPS org.apache.kafka:kafka-clients:4.4.0
//DEPS org.slf4j:slf4j-simple:2.0.20
//SOURCES common/*.java

import common.Cli;
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
import common.PodReadiness;
import common.ProfileParameter;
import common.Progress;
import common.ToolVersion;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesListBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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

@Command(name = "deploy", mixinStandardHelpOptions = true, versionProvider = ToolVersion.class,
        description = "Deploys Apache Kafka (KRaft) to Kubernetes: a StatefulSet of combined brokers and controllers.")
public class deploy implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", defaultValue = "dev", paramLabel = "PROFILE",
            converter = ProfileParameter.class,
            description = "dev (1 broker, 512Mi) or prod (3 brokers, 2Gi each). Default: ${DEFAULT-VALUE}.")
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
            description = "Storage class of the volumes (default: the cluster's default class).")
    String storageClass;

    @Option(names = "--dry-run", description = "Print the objects as YAML instead of applying them; contacts nothing.")
    boolean dryRun;

    @Mixin
    ContextOption context;

    @Mixin
    Output output;

    @Option(names = "--no-wait", description = "Return right after applying, without waiting for Ready brokers.")
    boolean noWait;

    @Option(names = "--recreate", description = "When a change cannot be applied in place (profile, volumes), delete "
            + "the StatefulSet and its volumes first. All Kafka data is lost.")
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
        KafkaManifests manifests = new KafkaManifests(profile, namespace.get(), image, validStorageSize(),
                storageClass);
        if (dryRun) {
            printManifests(manifests);
            return Cli.OK;
        }
        long start = System.nanoTime();
        KubernetesAccess access = context.configure();
        try (KubernetesClient client = access.client()) {
            recreateIfRequired(client, access, manifests);
            Map<String, Integer> changes = apply(client, access, manifests);
            Integer ready = noWait ? null
                    : awaitReady(client, access, timeout == null ? profile.readyTimeout : timeout);
            report(changes, ready, System.nanoTime() - start);
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
                var volumes = client.persistentVolumeClaims().inNamespace(namespace.get())
                        .withLabels(KafkaManifests.selector());
                volumes.delete();
                volumes.informOnCondition(List::isEmpty).get(limit.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (KubernetesClientException e) {
            throw access.failure("recreating the Kafka cluster", e);
        } catch (TimeoutException | ExecutionException e) {
            throw new CommandFailure("the old Kafka volumes were not deleted in time: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommandFailure("interrupted while recreating the Kafka cluster");
        }
    }

    private void report(Map<String, Integer> changes, Integer ready, long elapsedNanos) {
        String connection = KafkaEndpoints.clientBootstrap(namespace.get());
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
    private static Map<String, Integer> apply(KubernetesClient client, KubernetesAccess access,
            KafkaManifests manifests) {
        Map<String, Integer> counts = new TreeMap<>();
        for (HasMetadata object : manifests.all()) {
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
        return counts;
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
        return readiness.ready() + "/" + readiness.replicas() + " brokers Ready after " + seconds(limit.toNanos())
                + ": " + why;
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
    private void printManifests(KafkaManifests manifests) {
        KubernetesSerialization serialization = new KubernetesSerialization();
        if (output.json()) {
            output.text(serialization.asJson(new KubernetesListBuilder().withItems(manifests.all()).build()));
            return;
        }
        StringBuilder yaml = new StringBuilder();
        for (HasMetadata object : manifests.all()) {
            String document = serialization.asYaml(object);
            yaml.append(document.startsWith("---") ? "" : "---\n").append(document);
        }
        output.text(yaml.toString().stripTrailing());
    }
}
