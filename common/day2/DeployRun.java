package common.day2;

import common.cli.CommandFailure;
import common.cli.Output;
import common.cli.Progress;
import common.cluster.KafkaEndpoints;
import common.cluster.KafkaManifests;
import common.cluster.KraftQuorum;
import common.kafka.ClusterMinIsr;
import common.kafka.KafkaAccess;
import common.kube.KubernetesAccess;
import common.kube.Ownership;
import common.kube.PodReadiness;
import common.kube.RolloutWait;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.errors.BrokerIdNotRegisteredException;
import org.apache.kafka.common.errors.ControllerIdNotRegisteredException;
import org.apache.kafka.common.errors.UnsupportedVersionException;

/**
 * Carries out a {@link DeployPlan}, step by step in its order, each waited for; Kafka is reached only for the steps
 * that need it. What it did is what {@link #result} says.
 */
public final class DeployRun {
    /** The field manager of our server-side applies: what we set is ours, what others add stays theirs. */
    public static final String FIELD_MANAGER = KafkaManifests.MANAGED_BY;

    /** What a deploy did beyond its steps' own lines: for its report. */
    public record Result(Map<String, Integer> objects, int votersAdded, int brokersRemoved,
            List<String> deletedVolumes, int restarted, Integer ready) {
    }

    private final KubernetesClient client;
    private final KubernetesAccess access;
    private final String namespace;
    private final Output output;
    /** Connects to Kafka within the time given. */
    private final Function<Duration, KafkaAccess> connect;
    private final boolean force;
    private final long deadline;
    /** A roll's deadline: longer by a ready timeout per broker restarted unless --timeout was given. */
    private final long rollDeadline;
    private final Duration readyTimeout;

    private KafkaAccess kafka;
    private final Map<String, Integer> objects = new TreeMap<>();
    private int votersAdded;
    private int brokersRemoved;
    private List<String> deletedVolumes = List.of();
    private int restarted;
    private Integer ready;

    public DeployRun(KubernetesClient client, KubernetesAccess access, String namespace, Output output,
            Function<Duration, KafkaAccess> connect, boolean force, long deadline, Duration rollTimePerBroker,
            Duration readyTimeout, DeployPlan plan) {
        this.client = client;
        this.access = access;
        this.namespace = namespace;
        this.output = output;
        this.connect = connect;
        this.force = force;
        this.deadline = deadline;
        int restarts = plan.step(DeployStep.Restart.class).map(restart -> restart.order().size()).orElse(0);
        this.rollDeadline = deadline + rollTimePerBroker.toNanos() * restarts;
        this.readyTimeout = readyTimeout;
        this.brokersRemoved = plan.removed();
    }

    /** Every step in order; the objects the plan leaves alone are counted unchanged. */
    public Result carryOut(DeployPlan plan, ObservedCluster observed) {
        KafkaManifests manifests = plan.manifests();
        try (Progress progress = output.progress()) {
            for (DeployStep step : plan.steps()) {
                if (!kafkaStep(step)) {
                    disconnect();
                }
                carryOut(step, plan, observed, progress);
            }
        } finally {
            disconnect();
        }
        long changed = plan.steps().stream().filter(step -> step instanceof DeployStep.Apply).count();
        objects.merge("unchanged", (int) (manifests.namespaced().size() - changed)
                + (plan.step(DeployStep.CreateNamespace.class).isPresent() ? 0 : 1), Integer::sum);
        objects.remove("unchanged", 0);
        return new Result(objects, votersAdded, brokersRemoved, deletedVolumes, restarted, ready);
    }

    private void carryOut(DeployStep step, DeployPlan plan, ObservedCluster observed, Progress progress) {
        KafkaManifests manifests = plan.manifests();
        if (step instanceof DeployStep.AwaitVolumesDeleted await) {
            for (String name : await.volumes()) {
                progress.update("waiting for PersistentVolumeClaim " + name + " to finish deleting");
                awaitDeleted(client.persistentVolumeClaims().inNamespace(namespace).withName(name),
                        "PersistentVolumeClaim " + name);
            }
        } else if (step instanceof DeployStep.Recreate recreate) {
            recreate(recreate, progress);
        } else if (step instanceof DeployStep.SetMinIsr minIsr) {
            ClusterMinIsr.set(kafka(deadline), minIsr.to());
        } else if (step instanceof DeployStep.MovePartitions move) {
            new ReplicaChange(kafka(deadline), progress::update).keepOn(move.onto(), deadline);
        } else if (step instanceof DeployStep.RemoveVoters removal) {
            new QuorumChange(kafka(deadline), progress::update).removeVoters(new TreeSet<>(removal.ids()), deadline);
        } else if (step instanceof DeployStep.CreateNamespace) {
            createNamespace(manifests);
        } else if (step instanceof DeployStep.StartFormation) {
            startFormation(manifests);
        } else if (step instanceof DeployStep.Apply apply) {
            if (plan.leftUpTo() > manifests.replicas() && "StatefulSet".equals(apply.kind())) {
                markShrinking(plan.leftUpTo());
            }
            apply(manifests, apply);
        } else if (step instanceof DeployStep.Delete delete) {
            delete(manifests, delete);
        } else if (step instanceof DeployStep.UnregisterBrokers unregister) {
            brokersRemoved = Math.max(brokersRemoved, unregisterLeft(unregister.ids(), progress));
            markShrinking(0);
        } else if (step instanceof DeployStep.DeleteVolumes delete) {
            Set<String> names = Set.copyOf(delete.volumes());
            List<PersistentVolumeClaim> volumes = observed.claims().stream()
                    .filter(claim -> names.contains(claim.getMetadata().getName())).toList();
            new Teardown(client, access, namespace).execute(new Teardown.Plan(List.of(), volumes, List.of()), true,
                    progress);
            deletedVolumes = delete.volumes();
        } else if (step instanceof DeployStep.AwaitBrokers await) {
            awaitAllReady(await.replicas(), progress);
        } else if (step instanceof DeployStep.ReplaceVoters replace) {
            new QuorumChange(kafka(rollDeadline), progress::update).replaceVoters(new TreeSet<>(replace.ids()),
                    rollDeadline);
        } else if (step instanceof DeployStep.AddVoters add) {
            votersAdded = new QuorumChange(kafka(rollDeadline), progress::update)
                    .addVoters(new TreeSet<>(add.ids()), rollDeadline).size();
        } else if (step instanceof DeployStep.AddReplicas replicas) {
            new ReplicaChange(kafka(rollDeadline), progress::update).raise(replicas.factor(),
                    java.util.stream.IntStream.range(0, manifests.replicas()).boxed().toList(), rollDeadline);
        } else if (step instanceof DeployStep.Restart) {
            SafeRoll roll = new SafeRoll(client, access, namespace, progress);
            List<Integer> outdated = roll.outdated(deadline);
            roll.roll(kafka(rollDeadline), outdated, force, rollDeadline);
            restarted = outdated.size();
        } else if (step instanceof DeployStep.AwaitRollout rollout) {
            ready = new RolloutWait(client, access, namespace, rollout.replicas())
                    .await(Duration.ofNanos(Math.max(0, rollDeadline - System.nanoTime())), readyTimeout, progress);
        } else if (step instanceof DeployStep.EndFormation) {
            endFormation();
        }
        // ControllerRoll: the StatefulSet controller restarts the pods itself; the rollout wait sees it through.
    }

    /** The steps that talk to Kafka, which share one connection while they follow each other. */
    private static boolean kafkaStep(DeployStep step) {
        return step instanceof DeployStep.SetMinIsr || step instanceof DeployStep.MovePartitions
                || step instanceof DeployStep.RemoveVoters || step instanceof DeployStep.UnregisterBrokers
                || step instanceof DeployStep.ReplaceVoters || step instanceof DeployStep.AddVoters
                || step instanceof DeployStep.AddReplicas || step instanceof DeployStep.Restart;
    }

    private KafkaAccess kafka(long until) {
        if (kafka == null) {
            kafka = connect.apply(Duration.ofNanos(Math.max(1, until - System.nanoTime())));
        }
        return kafka;
    }

    /** Before the pods change: port-forwards to pods that go would break. */
    private void disconnect() {
        if (kafka != null) {
            kafka.close();
            kafka = null;
        }
    }

    /** --recreate: the StatefulSet, then exactly its volumes, each waited for. */
    private void recreate(DeployStep.Recreate recreate, Progress progress) {
        var statefulSet = client.apps().statefulSets().inNamespace(namespace).withName(KafkaEndpoints.CLUSTER_NAME);
        try {
            progress.update("deleting StatefulSet " + KafkaEndpoints.CLUSTER_NAME + " (" + String.join(", ",
                    recreate.reasons()) + ")");
            statefulSet.withPropagationPolicy(DeletionPropagation.FOREGROUND).delete();
            awaitDeleted(statefulSet, "StatefulSet " + KafkaEndpoints.CLUSTER_NAME);
            progress.update("deleting the Kafka volumes");
            // Exactly this StatefulSet's claims, by name: a label could match someone else's.
            for (String claim : recreate.volumes()) {
                var volume = client.persistentVolumeClaims().inNamespace(namespace).withName(claim);
                volume.delete();
                awaitDeleted(volume, "PersistentVolumeClaim " + claim);
            }
        } catch (KubernetesClientException e) {
            throw access.failure("recreating the Kafka cluster", e);
        }
    }

    /** Polls with get, which the deploy Role allows, where a watch would need list and watch as well. */
    private void awaitDeleted(Resource<?> resource, String what) {
        try {
            while (resource.get() != null) {
                if (System.nanoTime() > deadline) {
                    throw new CommandFailure(what + " was not deleted in time (a finalizer may hold it)");
                }
                Thread.sleep(250);
            }
        } catch (KubernetesClientException e) {
            throw access.failure("waiting for " + what + " to go", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommandFailure("interrupted while deleting " + what);
        }
    }

    /** Creates the namespace (changing an existing one would need cluster-wide rights, and it is not ours). */
    private void createNamespace(KafkaManifests manifests) {
        try {
            client.resource(manifests.namespace()).create();
            objects.merge("created", 1, Integer::sum);
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw access.failure("creating Namespace " + namespace, e);
            }
            objects.merge("unchanged", 1, Integer::sum); // created meanwhile
        }
    }

    /**
     * A new cluster's first voters, which its pods read at their first start (see {@link KraftQuorum#DYNAMIC}).
     * One left by an earlier deploy that stopped before any pod existed is replaced: no node formatted with it.
     */
    private void startFormation(KafkaManifests manifests) {
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

    /** The quorum has formed: from now on a node on an empty disk joins as an observer, never as a first voter. */
    private void endFormation() {
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

    /** A server-side apply of the rendered object the step names. */
    private void apply(KafkaManifests manifests, DeployStep.Apply step) {
        HasMetadata object = rendered(manifests.namespaced(), step.kind(), step.name());
        try {
            client.resource(object).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
            objects.merge(step.create() ? "created" : "configured", 1, Integer::sum);
        } catch (KubernetesClientException e) {
            throw access.failure("applying " + step.kind() + " " + step.name(), e);
        }
    }

    /** Deletes what this tool made that the profile no longer renders (a prod PodDisruptionBudget on dev). */
    private void delete(KafkaManifests manifests, DeployStep.Delete step) {
        HasMetadata object = rendered(manifests.unrendered(), step.kind(), step.name());
        try {
            HasMetadata found = client.resource(object).get();
            if (found != null && Ownership.ours(found)) {
                client.resource(found).delete();
                objects.merge("deleted", 1, Integer::sum);
            }
        } catch (KubernetesClientException e) {
            throw access.failure("deleting " + step.kind() + " " + step.name(), e);
        }
    }

    private static HasMetadata rendered(List<HasMetadata> objects, String kind, String name) {
        return objects.stream().filter(object -> object.getKind().equals(kind)
                && object.getMetadata().getName().equals(name)).findFirst().orElseThrow();
    }

    /** Sets {@link DeployPlanner#SHRINKING_FROM}, or removes it with 0. */
    private void markShrinking(int from) {
        String value = from == 0 ? "null" : "\"" + from + "\"";
        try {
            client.apps().statefulSets().inNamespace(namespace).withName(KafkaEndpoints.CLUSTER_NAME)
                    .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"annotations\":{\""
                            + DeployPlanner.SHRINKING_FROM + "\":" + value + "}}}");
        } catch (KubernetesClientException e) {
            throw access.failure("annotating StatefulSet " + KafkaEndpoints.CLUSTER_NAME, e);
        }
    }

    /**
     * The brokers {@code ids} that Kafka still registers are unregistered once the StatefulSet controller has
     * deleted their pods: otherwise the cluster would keep them as fenced brokers, forever offline; their controller
     * registrations go too.
     *
     * @return how many it unregistered
     */
    private int unregisterLeft(List<Integer> ids, Progress progress) {
        try {
            for (int ordinal : ids) {
                var pod = client.pods().inNamespace(namespace).withName(KafkaEndpoints.podName(ordinal));
                while (pod.get() != null) {
                    if (System.nanoTime() > deadline) {
                        throw new CommandFailure("timed out waiting for pod " + KafkaEndpoints.podName(ordinal)
                                + " to go");
                    }
                    progress.update("waiting for pod " + KafkaEndpoints.podName(ordinal) + " to go");
                    Thread.sleep(500);
                }
            }
            KafkaAccess brokers = kafka(deadline);
            Set<Integer> registered = brokers.await(brokers.admin().describeCluster(new DescribeClusterOptions()
                    .includeFencedBrokers(true)).nodes(), "reading the brokers").stream().map(Node::id)
                    .collect(Collectors.toSet());
            int unregistered = 0;
            for (int ordinal : ids) {
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

    /** After a scale-up, every pod Ready: the new ones are brokers and quorum observers before they can be voters. */
    private void awaitAllReady(int replicas, Progress progress) {
        while (true) {
            PodReadiness readiness;
            try {
                readiness = new PodReadiness(replicas, client.pods().inNamespace(namespace)
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
}
