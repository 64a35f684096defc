package common.day2;

import common.cli.CommandFailure;
import common.cli.Output;
import common.cli.Progress;
import common.cluster.ClusterCredentials;
import common.cluster.KafkaManifests;
import common.kafka.ClusterMinIsr;
import common.kafka.KafkaAccess;
import common.kafka.KafkaReleases;
import common.kafka.KafkaState;
import common.kafka.KafkaVersions;
import common.kafka.UserAccess;
import common.kube.KubernetesAccess;
import common.kube.PodReadiness;
import common.kube.RolloutWait;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Carries out a {@link DeployPlan}, step by step in its order, each waited for: the Kubernetes objects
 * ({@link ClusterObjects}), the volumes ({@link Volumes}), the leaving brokers ({@link LeavingBrokers}), the KRaft
 * voters ({@link QuorumChange}), the partitions ({@link ReplicaChange}, {@code ClusterMinIsr}) and the safe roll
 * ({@link SafeRoll}). Kafka is reached only for the steps that need it, one connection while they follow each other.
 */
public final class DeployRun {
    /**
     * What a deploy did beyond its steps' own lines: for its report.
     *
     * @param metadataVersion the metadata.version it raised the cluster to (--finalize), or null
     * @param secretsCreated  the credential Secrets it made
     */
    public record Result(Map<String, Integer> objects, int votersAdded, int brokersRemoved,
            List<String> deletedVolumes, int restarted, Integer ready, String metadataVersion, int secretsCreated) {
    }

    /**
     * Makes a secure cluster's missing Secrets (certificates need a library only deploy carries, so deploy passes
     * it in).
     */
    public interface SecretMaker {
        List<Secret> make(KafkaManifests manifests, List<String> names, Map<String, Secret> existing);
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
    private final SecretMaker newSecrets;

    private final ClusterObjects clusterObjects;
    private final Volumes volumes;
    private final LeavingBrokers leavingBrokers;
    private KafkaAccess kafka;
    private final Map<String, Integer> objects = new TreeMap<>();
    private int votersAdded;
    private int brokersRemoved;
    private List<String> deletedVolumes = List.of();
    private int restarted;
    private Integer ready;
    private String metadataVersion;
    private int secretsCreated;

    public DeployRun(KubernetesClient client, KubernetesAccess access, String namespace, Output output,
            Function<Duration, KafkaAccess> connect, boolean force, long deadline, Duration rollTimePerBroker,
            Duration readyTimeout, DeployPlan plan, SecretMaker newSecrets) {
        this.newSecrets = newSecrets;
        this.client = client;
        this.access = access;
        this.namespace = namespace;
        this.output = output;
        this.connect = connect;
        this.force = force;
        this.deadline = deadline;
        // Brokers restarted at once come back together: one more ready timeout.
        int restarts = plan.step(DeployStep.Restart.class).map(restart -> restart.order().size())
                .orElse(plan.step(DeployStep.RestartAll.class).isPresent() ? 1 : 0);
        this.rollDeadline = deadline + rollTimePerBroker.toNanos() * restarts;
        this.readyTimeout = readyTimeout;
        this.brokersRemoved = plan.removed();
        this.clusterObjects = new ClusterObjects(client, access, namespace);
        this.volumes = new Volumes(client, access, namespace, deadline);
        this.leavingBrokers = new LeavingBrokers(client, access, namespace, deadline);
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
        return new Result(objects, votersAdded, brokersRemoved, deletedVolumes, restarted, ready, metadataVersion,
                secretsCreated);
    }

    private void carryOut(DeployStep step, DeployPlan plan, ObservedCluster observed, Progress progress) {
        KafkaManifests manifests = plan.manifests();
        if (step instanceof DeployStep.AwaitVolumesDeleted await) {
            volumes.awaitDeleted(await, progress);
        } else if (step instanceof DeployStep.Recreate recreate) {
            volumes.recreate(recreate, progress);
        } else if (step instanceof DeployStep.SetMinIsr minIsr) {
            ClusterMinIsr.set(kafka(deadline), minIsr.to());
        } else if (step instanceof DeployStep.MovePartitions move) {
            new ReplicaChange(kafka(deadline), progress::update).keepOn(move.onto(), deadline);
        } else if (step instanceof DeployStep.RemoveVoters removal) {
            new QuorumChange(kafka(deadline), progress::update).removeVoters(new TreeSet<>(removal.ids()), deadline);
        } else if (step instanceof DeployStep.CreateNamespace) {
            objects.merge(clusterObjects.createNamespace(manifests), 1, Integer::sum);
        } else if (step instanceof DeployStep.CreateSecrets create) {
            progress.update("creating the certificates and passwords");
            secretsCreated = clusterObjects.createSecrets(newSecrets.make(manifests, create.names(),
                    observed.credentials()));
        } else if (step instanceof DeployStep.CopySecrets copy) {
            progress.update("copying the LearnFlow user's Secrets");
            clusterObjects.copySecrets(copy.namespaces());
        } else if (step instanceof DeployStep.RenewNodeCertificate) {
            progress.update("renewing the node certificate");
            clusterObjects.replaceSecrets(newSecrets.make(manifests, List.of(ClusterCredentials.NODE_SECRET),
                    observed.credentials()));
        } else if (step instanceof DeployStep.CreateAdminUser admin) {
            progress.update("creating user " + admin.user() + " in Kafka");
            UserAccess.setPassword(kafka(deadline), admin.user(), clusterObjects.password(
                    ClusterCredentials.ADMIN_SECRET));
            volumes.labelSecure(observed.claims());
        } else if (step instanceof DeployStep.RestartAll all) {
            progress.update("restarting every broker at once");
            clusterObjects.deletePods(all.pods());
            restarted = all.pods().size();
        } else if (step instanceof DeployStep.GrantAccess grant) {
            progress.update("granting user " + grant.user() + " its ACLs");
            UserAccess.grant(kafka(deadline), grant.user(), clusterObjects.password(ClusterCredentials.APP_SECRET));
            clusterObjects.markGranted();
        } else if (step instanceof DeployStep.StartFormation) {
            clusterObjects.startFormation(manifests);
        } else if (step instanceof DeployStep.Apply apply) {
            if (plan.leftUpTo() > manifests.replicas() && "StatefulSet".equals(apply.kind())) {
                leavingBrokers.markShrinking(plan.leftUpTo());
            }
            objects.merge(clusterObjects.apply(manifests, apply), 1, Integer::sum);
        } else if (step instanceof DeployStep.Delete delete) {
            if (clusterObjects.delete(manifests, delete)) {
                objects.merge("deleted", 1, Integer::sum);
            }
        } else if (step instanceof DeployStep.UnregisterBrokers unregister) {
            brokersRemoved = Math.max(brokersRemoved, leavingBrokers.unregister(unregister.ids(), kafka(deadline),
                    progress));
            leavingBrokers.markShrinking(0);
        } else if (step instanceof DeployStep.DeleteVolumes delete) {
            volumes.delete(delete, observed.claims(), progress);
            deletedVolumes = delete.volumes();
        } else if (step instanceof DeployStep.RecordFormattedBy record) {
            volumes.recordFormattedBy(record);
        } else if (step instanceof DeployStep.AwaitBrokers await) {
            awaitAllReady(await.replicas(), progress);
        } else if (step instanceof DeployStep.ReplaceVoters replace) {
            new QuorumChange(kafka(rollDeadline), progress::update).replaceVoters(new TreeSet<>(replace.ids()),
                    rollDeadline);
        } else if (step instanceof DeployStep.AddVoters add) {
            votersAdded = new QuorumChange(kafka(rollDeadline), progress::update)
                    .addVoters(new TreeSet<>(add.ids()), rollDeadline).size();
        } else if (step instanceof DeployStep.AddReplicas replicas) {
            raise(replicas.factor(), manifests, progress);
        } else if (step instanceof DeployStep.AddReplicasCreatedMeanwhile replicas) {
            raise(replicas.factor(), manifests, progress);
        } else if (step instanceof DeployStep.Restart) {
            SafeRoll roll = new SafeRoll(client, access, namespace, progress);
            List<Integer> outdated = roll.outdated(deadline);
            roll.roll(kafka(rollDeadline), outdated, force, rollDeadline);
            restarted = outdated.size();
        } else if (step instanceof DeployStep.AwaitRollout rollout) {
            ready = new RolloutWait(client, access, namespace, rollout.replicas())
                    .await(Duration.ofNanos(Math.max(0, rollDeadline - System.nanoTime())), readyTimeout, progress);
        } else if (step instanceof DeployStep.RaiseFeatures raise) {
            progress.update("raising " + String.join(", ", raise.to().keySet()));
            KafkaVersions.raise(kafka(deadline), raise.to());
            Integer level = raise.to().get(KafkaState.METADATA_VERSION);
            metadataVersion = level == null ? null : KafkaReleases.metadataVersionName(level);
        } else if (step instanceof DeployStep.EndFormation) {
            clusterObjects.endFormation();
        }
        // ControllerRoll: the StatefulSet controller restarts the pods itself; the rollout wait sees it through.
    }

    /** The steps that talk to Kafka, which share one connection while they follow each other. */
    private static boolean kafkaStep(DeployStep step) {
        return step instanceof DeployStep.SetMinIsr || step instanceof DeployStep.MovePartitions
                || step instanceof DeployStep.RemoveVoters || step instanceof DeployStep.UnregisterBrokers
                || step instanceof DeployStep.ReplaceVoters || step instanceof DeployStep.AddVoters
                || step instanceof DeployStep.AddReplicas || step instanceof DeployStep.AddReplicasCreatedMeanwhile
                || step instanceof DeployStep.Restart || step instanceof DeployStep.RaiseFeatures
                || step instanceof DeployStep.GrantAccess || step instanceof DeployStep.CreateAdminUser;
    }

    private void raise(int factor, KafkaManifests manifests, Progress progress) {
        new ReplicaChange(kafka(rollDeadline), progress::update).raise(factor,
                java.util.stream.IntStream.range(0, manifests.replicas()).boxed().toList(), rollDeadline);
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
