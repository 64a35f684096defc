package common.day2;

import common.cli.CommandFailure;
import common.cluster.ClusterCredentials;
import common.cluster.ClusterProfile;
import common.cluster.ClusterSecurity;
import common.cluster.InPlaceChange;
import common.cluster.KafkaEndpoints;
import common.cluster.KafkaManifests;
import common.cluster.KafkaNetworkPolicy;
import common.cluster.KraftQuorum;
import common.cluster.ObjectDiff;
import common.kafka.BrokerCertificate;
import common.kafka.KafkaReleases;
import common.kafka.KafkaState;
import common.kafka.PartitionHealth;
import common.kube.Ownership;
import common.kube.PodReadiness;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Decides what a deploy does, from what it asks for and the cluster it observed, without a call: the steps in
 * order, or a refusal ({@link CommandFailure}) that names the reason while nothing has changed. The refusals the
 * Kubernetes side alone decides come from the constructor, before Kafka is read (when {@link #needsKafka} says it
 * must be); the others from {@link #plan}. Deploy carries the plan out; {@code deploy --plan} prints it.
 */
public final class DeployPlanner {
    /**
     * What the user asked for.
     *
     * @param rendered      the objects of the profile and options, for a new cluster
     * @param replicas      --replicas, or null (a deployed cluster keeps its size)
     * @param storageSize   --storage-size, or null (a deployed cluster keeps its volumes)
     * @param storageClass  --storage-class, or null
     * @param restartMarker a new restart marker (--restart), or null to keep the deployed one
     * @param finalizeVersion --finalize: raise metadata.version to the image's Kafka release once it runs everywhere
     * @param security      --security, or null (a deployed cluster keeps its own, a new one gets the profile's)
     */
    public record Request(KafkaManifests rendered, Integer replicas, String storageSize, String storageClass,
            boolean recreate, String restartMarker, boolean deleteData, boolean noWait, boolean adopt,
            boolean finalizeVersion, ClusterSecurity security) {

        /** Without --security. */
        public Request(KafkaManifests rendered, Integer replicas, String storageSize, String storageClass,
                boolean recreate, String restartMarker, boolean deleteData, boolean noWait, boolean adopt,
                boolean finalizeVersion) {
            this(rendered, replicas, storageSize, storageClass, recreate, restartMarker, deleteData, noWait, adopt,
                    finalizeVersion, null);
        }
    }

    private final Request request;
    private final ObservedCluster observed;
    /** Turns objects into field trees for {@link ObjectDiff}: the client's own, which has met every kind already. */
    private final KubernetesSerialization serialization;
    /** The StatefulSet as found, or null. */
    private final StatefulSet live;
    /** Why the live StatefulSet cannot change in place; empty when it can (or there is none). */
    private final List<String> blockers;
    /** The StatefulSet the plan changes in place: the live one, or null for a new (or recreated) cluster. */
    private final StatefulSet deployed;
    /** Volumes a deleted StatefulSet left, which a new one starts on. */
    private final List<PersistentVolumeClaim> kept;
    private final KafkaManifests manifests;
    private final int removed;
    private final int leftUpTo;
    /** When the node certificate due for renewal expires, or null when none is due. */
    private final Instant renewal;
    /** The security the cluster's volumes were formatted with, or null for a new cluster. */
    private final ClusterSecurity formattedSecurity;
    /** Whether this deploy turns security on for a running open cluster (asked explicitly: --security tls). */
    private final boolean securing;

    public DeployPlanner(Request request, ObservedCluster observed, KubernetesSerialization serialization) {
        this.request = request;
        this.observed = observed;
        this.serialization = serialization;
        this.live = observed.statefulSet();
        this.renewal = renewalDue();
        this.kept = live != null ? List.of() : observed.claims().stream()
                .filter(claim -> claim.getMetadata().getDeletionTimestamp() == null).toList();
        // A cluster keeps the quorum its storage was formatted with; only a new one gets a dynamic quorum.
        KraftQuorum formatted = live != null ? KraftQuorum.of(live) : kept.isEmpty() ? null
                : KraftQuorum.of(kept.get(0));
        this.formattedSecurity = live != null ? ClusterSecurity.of(live) : kept.isEmpty() ? null
                : ClusterSecurity.of(kept.get(0));
        this.securing = live != null && formattedSecurity == ClusterSecurity.NONE
                && request.security() == ClusterSecurity.TLS;
        KafkaManifests shaped = keptShape().withPlatform(observed.platform())
                .withQuorum(formatted == null ? KraftQuorum.DYNAMIC : formatted)
                .withSecurity(securing ? ClusterSecurity.TLS : formattedSecurity != null ? formattedSecurity
                        : request.security() != null ? request.security() : request.rendered().security())
                .withRestartMarker(request.restartMarker() != null ? request.restartMarker()
                        : renewal != null ? Instant.now().toString() : KafkaManifests.restartMarker(live));
        var claimTemplates = live == null ? null : live.getSpec().getVolumeClaimTemplates();
        if (claimTemplates != null && !claimTemplates.isEmpty()) {
            // A deployed claim template cannot change: a cluster secured in place keeps its open one's label.
            shaped = shaped.withClaimSecurity(ClusterSecurity.of(claimTemplates.get(0)));
        }
        this.blockers = live == null ? List.of() : InPlaceChange.blockers(live, shaped.statefulSet());
        this.deployed = blockers.isEmpty() ? live : null;
        this.manifests = blockers.isEmpty() ? shaped : shaped.withQuorum(KraftQuorum.DYNAMIC);
        int deployedReplicas = deployed == null ? 0 : deployed.getSpec().getReplicas();
        this.removed = Math.max(0, deployedReplicas - manifests.replicas());
        // The brokers to unregister once their pods are gone: those this shrink removes, and those of a shrink
        // that was interrupted before it unregistered them.
        this.leftUpTo = deployed == null ? 0 : Math.max(removed > 0 ? deployedReplicas : 0, shrinkingFrom(deployed));
        refuseWhatNeedsNoKafka();
    }

    /** The refusals the Kubernetes side alone decides, made before Kafka is reached. */
    private void refuseWhatNeedsNoKafka() {
        requireOurs();
        requireKeptVolumesWithoutGap();
        requireKeptVolumesFit();
        if (!blockers.isEmpty() && !request.recreate()) {
            throw new CommandFailure(String.join(" and ", blockers) + ", which cannot be done in place: nothing"
                    + " changed. Deploy into another namespace, or add --recreate (deletes the StatefulSet and"
                    + " its volumes: all Kafka data is lost)");
        }
        if (request.finalizeVersion() && request.noWait()) {
            throw new CommandFailure("--finalize raises metadata.version once every broker runs the new Kafka, "
                    + "after the roll: run it without --no-wait; nothing changed");
        }
        if (request.finalizeVersion() && targetRelease() == null) {
            throw new CommandFailure("--finalize: " + manifests.image() + " names no Kafka release this tool knows ("
                    + KafkaReleases.knownLines() + "), so no metadata.version to raise to; nothing changed");
        }
        requireSecurityKept();
        if (removed > 0 && request.noWait()) {
            throw new CommandFailure("shrinking from " + deployed.getSpec().getReplicas() + " to "
                    + manifests.replicas() + " brokers moves every partition first and waits for it: run it without "
                    + "--no-wait; nothing changed");
        }
    }

    /**
     * A cluster keeps the security its volumes were formatted with: the admin user exists only where the first
     * format created it, and every client's settings change with it. A secure cluster keeps its CA and its admin
     * password (clients trust the one, the metadata log holds the other): deploy can make neither again.
     */
    private void requireSecurityKept() {
        ClusterSecurity asked = request.security();
        if (formattedSecurity != null && asked != null && asked != formattedSecurity && !securing) {
            throw new CommandFailure("this cluster " + (live != null ? "runs" : "was formatted with") + " --security "
                    + formattedSecurity.id() + "; changing it to " + asked.id() + (live != null ? " in place is not "
                    + "supported" : " needs it running: deploy it as it was, then again with --security " + asked.id())
                    + ": nothing changed. Deploy into another namespace, or delete this cluster first (deploy "
                    + "--delete --delete-data: all Kafka data is lost)");
        }
        if (securing && (request.noWait() || removed > 0 || deployed != null
                && deployed.getSpec().getReplicas() != manifests.replicas())) {
            throw new CommandFailure("turning security on restarts every broker and waits for them, on its own: run"
                    + " it without --no-wait and without a change of --replicas; nothing changed");
        }
        if (manifests.security() != ClusterSecurity.TLS) {
            return;
        }
        if (manifests.quorum() == KraftQuorum.STATIC) {
            throw new CommandFailure("--security tls needs a cluster with a dynamic KRaft quorum; this one was "
                    + "deployed with static voters: nothing changed");
        }
        if (formattedSecurity == ClusterSecurity.TLS) {
            List<String> lost = java.util.stream.Stream.of(ClusterCredentials.CA_SECRET,
                    ClusterCredentials.ADMIN_SECRET).filter(name -> !observed.credentials().containsKey(name)).toList();
            if (!lost.isEmpty()) {
                throw new CommandFailure("Secret " + String.join(" and Secret ", lost) + " of this secure cluster "
                        + (lost.size() == 1 ? "is" : "are") + " gone, and deploy cannot make "
                        + (lost.size() == 1 ? "it" : "them") + " again (clients trust the CA; the admin password is "
                        + "in Kafka's metadata): nothing changed. Restore " + (lost.size() == 1 ? "it" : "them")
                        + " from a backup");
            }
        }
    }

    /** Whether the plan depends on the Kafka side: only a running cluster's resize, roll or volumes do. */
    public boolean needsKafka() {
        return deployed != null && (removed > 0 || leftUpTo > manifests.replicas()
                || request.deleteData() && !leftVolumes().isEmpty()
                || !request.noWait() && manifests.profile().safeRoll || request.finalizeVersion()
                || rollsBack());
    }

    /**
     * Whether the image names an older Kafka than the deployed template's: only Kafka tells whether it can run the
     * cluster's finalized metadata.version (dev too, whose plans read no Kafka otherwise).
     */
    private boolean rollsBack() {
        String from = KafkaReleases.versionOfImage(KafkaManifests.imageOf(deployed)).orElse(null);
        String to = targetVersion();
        return from != null && to != null && KafkaReleases.compare(to, from) < 0;
    }

    /** Whether the plan moves replicas off brokers that leave, and so must know the room on those that stay. */
    public boolean shrinks() {
        return removed > 0;
    }

    public DeployPlan plan() {
        List<DeployStep> steps = new ArrayList<>();
        List<String> terminating = observed.claims().stream()
                .filter(claim -> claim.getMetadata().getDeletionTimestamp() != null)
                .map(claim -> claim.getMetadata().getName()).toList();
        if (live == null && !terminating.isEmpty()) {
            steps.add(new DeployStep.AwaitVolumesDeleted(terminating));
        }
        if (!blockers.isEmpty()) {
            // Every volume, those a shrink kept too: a later grow would start nodes on another incarnation's log,
            // with the same cluster id (review R1).
            steps.add(new DeployStep.Recreate(blockers, observed.claims().stream()
                    .map(claim -> claim.getMetadata().getName()).toList()));
        }
        if (deployed != null && observed.kafka() != null) {
            requireReleaseRunsTheCluster(observed.kafka());
        }
        requireReleaseStartsTheVolumes();
        requireKnownRelease();
        Map<String, String> formattedByFirstPods = formattedByFirstPods();
        if (!formattedByFirstPods.isEmpty()) {
            // Before anything restarts a pod: a volume's first pod is the only one that tells.
            steps.add(new DeployStep.RecordFormattedBy(formattedByFirstPods));
        }
        if (removed > 0) {
            shrink(steps);
        }
        if (!observed.namespaceExists()) {
            steps.add(new DeployStep.CreateNamespace(manifests.namespaceName()));
        }
        if (renewal != null && manifests.security() == ClusterSecurity.TLS) {
            steps.add(new DeployStep.RenewNodeCertificate(renewal.toString()));
        }
        List<String> missingSecrets = manifests.security() != ClusterSecurity.TLS ? List.of()
                : ClusterCredentials.secretNames().stream()
                        .filter(name -> !observed.credentials().containsKey(name)).toList();
        if (!missingSecrets.isEmpty()) {
            steps.add(new DeployStep.CreateSecrets(missingSecrets));
        }
        List<String> outdatedCopies = outdatedCopies(missingSecrets);
        if (!outdatedCopies.isEmpty()) {
            steps.add(new DeployStep.CopySecrets(outdatedCopies));
        }
        boolean newCluster = deployed == null && kept.isEmpty();
        if (newCluster) {
            steps.add(new DeployStep.StartFormation(manifests.voterIds()));
        }
        if (securing) {
            // While the cluster is still open: a formatted volume is not formatted again, so no format adds it.
            steps.add(new DeployStep.CreateAdminUser(ClusterCredentials.ADMIN_USER));
        }
        boolean templateChanges = apply(steps);
        if (leftUpTo > manifests.replicas()) {
            steps.add(new DeployStep.UnregisterBrokers(range(manifests.replicas(), leftUpTo)));
        }
        if (request.deleteData()) {
            deleteLeftVolumes(steps);
        }
        if (!request.noWait()) {
            if (securing && manifests.profile().safeRoll) {
                steps.add(new DeployStep.RestartAll(podsKept()));
            } else if (deployed != null && manifests.profile().safeRoll) {
                growAndRoll(steps, templateChanges);
            } else if (deployed != null && templateChanges && !podsKept().isEmpty()) {
                steps.add(new DeployStep.ControllerRoll(podsKept()));
            }
            boolean changed = steps.stream().anyMatch(step -> !(step instanceof DeployStep.RecordFormattedBy));
            if (changed || !new PodReadiness(manifests.replicas(), observed.pods()).allReady() || rollingOut()) {
                steps.add(new DeployStep.AwaitRollout(manifests.replicas()));
            }
        }
        Map<String, String> formattedByAdded = formattedByAdded();
        if (!formattedByAdded.isEmpty()) {
            steps.add(new DeployStep.RecordFormattedBy(formattedByAdded));
        }
        if (manifests.security() == ClusterSecurity.TLS && !request.noWait() && !accessGranted()) {
            steps.add(new DeployStep.GrantAccess(ClusterCredentials.APP_USER,
                    common.LearnFlowTopics.ALL.size()));
        }
        if (request.finalizeVersion() && deployed != null) {
            finalizeFeatures(steps);
        }
        if (newCluster ? !request.noWait() : formationLeftOpen()) {
            steps.add(new DeployStep.EndFormation());
        }
        return new DeployPlan(manifests, steps, leftUpTo, removed);
    }

    /**
     * When the node certificate a running cluster's Secret holds expires, if within {@link
     * BrokerCertificate#RENEW_BEFORE}: deploy then issues a new one from the same CA (clients keep trusting it) and
     * restarts every broker onto it, safely. Null when no renewal is due.
     */
    private Instant renewalDue() {
        io.fabric8.kubernetes.api.model.Secret node = live == null ? null
                : observed.credentials().get(ClusterCredentials.NODE_SECRET);
        if (node == null) {
            return null;
        }
        String keyStore = ClusterCredentials.value(node, ClusterCredentials.NODE_KEY_STORE);
        int certificate = keyStore.indexOf("-----BEGIN CERTIFICATE-----");
        Instant expires = certificate < 0 ? Instant.EPOCH : BrokerCertificate.notAfter(keyStore.substring(
                certificate));
        return expires.isBefore(Instant.now().plus(BrokerCertificate.RENEW_BEFORE)) ? expires : null;
    }

    /**
     * The client namespaces (a secure cluster's, narrowed) whose copy of a {@link ClusterCredentials#COPIED} Secret
     * is missing or differs from its source (a source made in this deploy: every one). A Secret of the same name
     * that is not a copy of ours is refused, unless --adopt.
     */
    private List<String> outdatedCopies(List<String> missingSecrets) {
        List<String> namespaces = manifests.clientNamespaces();
        if (manifests.security() != ClusterSecurity.TLS || namespaces == null) {
            return List.of();
        }
        List<String> outdated = new ArrayList<>();
        for (String namespace : namespaces) {
            for (String name : ClusterCredentials.COPIED) {
                io.fabric8.kubernetes.api.model.Secret copy = observed.copies().get(namespace + "/" + name);
                if (copy != null && !request.adopt() && !Ownership.ours(copy)) {
                    throw new CommandFailure("Secret " + name + " in namespace " + namespace + " is not this "
                            + "tool's copy: nothing changed. Copying over it is possible only with --adopt");
                }
                boolean current = copy != null && !missingSecrets.contains(name)
                        && ClusterCredentials.sameKeys(observed.credentials().get(name), copy);
                if (!current && !outdated.contains(namespace)) {
                    outdated.add(namespace);
                }
            }
        }
        return outdated;
    }

    /**
     * The volumes of this tool whose formatting Kafka is not noted yet while their first pod, which formatted them,
     * still runs (a deploy with --no-wait could not note them, nor one that ended early).
     */
    private Map<String, String> formattedByFirstPods() {
        return !blockers.isEmpty() ? Map.of() : FormattedBy.readFromFirstPods(observed.claims().stream()
                .filter(claim -> claim.getMetadata().getDeletionTimestamp() == null).filter(Ownership::ours)
                .toList(), observed.pods());
    }

    /**
     * The volumes of the brokers this deploy adds (or creates), formatted by the image it applies: noted once they
     * are Ready, so not with --no-wait.
     */
    private Map<String, String> formattedByAdded() {
        String version = targetVersion();
        if (version == null || request.noWait()) {
            return Map.of();
        }
        Set<String> existing = blockers.isEmpty() ? observed.claims().stream()
                .filter(claim -> claim.getMetadata().getDeletionTimestamp() == null)
                .map(claim -> claim.getMetadata().getName()).collect(Collectors.toSet()) : Set.of();
        int added = deployed == null ? 0 : deployed.getSpec().getReplicas();
        Map<String, String> found = new TreeMap<>();
        KafkaManifests.claimNames(manifests.replicas()).stream().skip(added).filter(name -> !existing.contains(name))
                .forEach(name -> found.put(name, version));
        return found;
    }

    /**
     * From Kafka 4.4 on, a volume is supported only under the release that formatted it or a newer one (Kafka's
     * upgrade notes; an older one ignores the format's bootstrap records): a roll back below it is refused even
     * before finalizing, where metadata.version alone would allow it. Checked on the volumes the cluster runs on,
     * where their record says, after the finalized metadata.version (the reason that holds for every node); a
     * recreate deletes them all.
     */
    private void requireReleaseStartsTheVolumes() {
        String version = targetVersion();
        if (version == null || !blockers.isEmpty()) {
            return;
        }
        Map<String, String> newer = new TreeMap<>();
        for (PersistentVolumeClaim claim : observed.claims()) {
            String name = claim.getMetadata().getName();
            FormattedBy.of(claim).filter(by -> !KafkaReleases.startsVolumeOf(version, by))
                    .filter(by -> KafkaEndpoints.ordinalOf(name) < manifests.replicas())
                    .ifPresent(by -> newer.put(name, by));
        }
        if (!newer.isEmpty()) {
            String by = newer.values().stream().max(KafkaReleases::compare).orElseThrow();
            throw new CommandFailure(manifests.image() + " cannot run this cluster: " + String.join(", ",
                    newer.keySet()) + (newer.size() == 1 ? " was" : " were") + " formatted by Kafka " + by
                    + ", and from 4.4 on a volume needs the Kafka that formatted it or a newer one; nothing changed. "
                    + "Deploy apache/kafka:" + by + " or newer");
        }
    }

    /** Whether the app user's Secret says its password and ACLs are in Kafka (a deploy finished granting them). */
    private boolean accessGranted() {
        io.fabric8.kubernetes.api.model.Secret app = observed.credentials().get(ClusterCredentials.APP_SECRET);
        Map<String, String> annotations = app == null ? null : app.getMetadata().getAnnotations();
        return annotations != null && "true".equals(annotations.get(ClusterCredentials.GRANTED));
    }

    /**
     * Everything deploy would change or delete must be the tool's own, unless --adopt: the objects it applies and,
     * when it must recreate, the StatefulSet's volumes.
     */
    private void requireOurs() {
        if (request.adopt()) {
            return;
        }
        List<HasMetadata> touched = new ArrayList<>(manifests.namespaced().stream().map(observed::live).toList());
        if (!blockers.isEmpty() && request.recreate()) {
            touched.addAll(observed.claims());
        }
        Ownership.requireOurs(touched, "Changing them is possible");
    }

    /**
     * Volumes a deleted StatefulSet left are numbered from 0 without a gap, as its controller made them. With one
     * deleted by hand, a new node there would form a new cluster under the same cluster id while the others hold the
     * old one's log and voters: two clusters behind one Service (review R1).
     */
    private void requireKeptVolumesWithoutGap() {
        List<String> names = kept.stream().map(claim -> claim.getMetadata().getName()).toList();
        if (names.isEmpty() || names.equals(KafkaManifests.claimNames(names.size()))) {
            return;
        }
        List<String> missing = KafkaManifests.claimNames(KafkaEndpoints.ordinalOf(names.get(names.size() - 1)) + 1)
                .stream().filter(name -> !names.contains(name)).toList();
        throw new CommandFailure(DeployStep.Names.range(names) + " kept without " + String.join(", ", missing)
                + ": a node started there would form a new cluster beside the voters they hold; nothing changed. "
                + "Restore " + (missing.size() == 1 ? "it" : "them") + ", or delete the volumes first (deploy "
                + "--delete --delete-data: the data is lost)");
    }

    /**
     * Volumes left by a deleted StatefulSet hold its KRaft voters: a cluster started on them with another number of
     * brokers could find no majority of them (fewer), or run with voters that no deploy would ever add (more).
     */
    private void requireKeptVolumesFit() {
        if (kept.isEmpty() || kept.size() == manifests.replicas()) {
            return;
        }
        int size = kept.size();
        String atItsSize = size == 1 ? "deploy dev" : size >= ClusterProfile.PROD.replicas ? "deploy prod"
                + (size == ClusterProfile.PROD.replicas ? "" : " --replicas " + size) : null;
        throw new CommandFailure(DeployStep.Names.range(kept.stream().map(claim -> claim.getMetadata().getName())
                .toList()) + " kept from a cluster of " + size + " brokers: starting " + manifests.replicas()
                + " on them could leave its KRaft voters without a majority; nothing changed. "
                + (atItsSize == null ? "" : "Bring it back at its size (" + atItsSize + ") and resize it then, or ")
                + "delete them first (deploy --delete --delete-data: the data is lost)");
    }

    /**
     * Shrinking in place, before the smaller StatefulSet is applied: min ISR down to the profile's, every partition
     * onto the brokers that stay, then the voters beyond the smaller quorum out. Refused while a broker that stays
     * is down or a partition is offline (moving it could never finish); a leaving broker may be down.
     */
    private void shrink(List<DeployStep> steps) {
        int from = deployed.getSpec().getReplicas();
        String refusal = "cannot shrink from " + from + " to " + manifests.replicas() + " brokers";
        KafkaState kafka = kafka();
        List<Integer> staying = range(0, manifests.replicas());
        requireUp(kafka, staying, refusal);
        PartitionHealth health = PartitionHealth.of(kafka.partitions());
        if (!health.offline().isEmpty()) {
            throw new CommandFailure(refusal + ": " + health.problems() + "; nothing changed");
        }
        int minIsr = manifests.profile().minInsyncReplicas;
        if (!Integer.valueOf(minIsr).equals(kafka.clusterMinIsr())) {
            steps.add(new DeployStep.SetMinIsr(kafka.clusterMinIsr(), minIsr));
        }
        int moves = ReplicaChange.movesToKeepOn(kafka.partitions(), staying);
        if (moves > 0) {
            requireRoom(kafka, ReplicaChange.bytesToKeepOn(kafka, staying), refusal);
            steps.add(new DeployStep.MovePartitions(moves, staying));
        }
        Set<Integer> leaving = new TreeSet<>(range(manifests.voterIds().size(), from));
        List<Integer> stayingVoters = kafka.voters().stream().filter(id -> !leaving.contains(id)).toList();
        List<Integer> behind = kafka.votersBehind(stayingVoters);
        if (!behind.isEmpty()) {
            throw new CommandFailure("cannot remove voters: node " + DeployStep.Names.ids(behind) + " is not caught "
                    + "up with the quorum leader " + kafka.leader() + " (down, starting, or lagging); nothing changed");
        }
        List<Integer> order = QuorumChange.removalOrder(kafka.voters(),
                id -> kafka.votersBehind(List.of(id)).isEmpty(), leaving);
        if (!order.isEmpty()) {
            steps.add(new DeployStep.RemoveVoters(order));
        }
    }

    /**
     * Refuses moves that would fill a broker's volume (review R5): Kafka takes a full log directory offline, and
     * with it every replica on it. A tenth of each volume stays free for what is written meanwhile.
     */
    private static void requireRoom(KafkaState kafka, Map<Integer, Long> incoming, String refusal) {
        incoming.forEach((broker, bytes) -> {
            KafkaState.Disk disk = kafka.disks().get(broker);
            if (disk != null && bytes > disk.usableBytes() - disk.totalBytes() / 10) {
                throw new CommandFailure(refusal + ": " + KafkaEndpoints.podName(broker) + " would take "
                        + DeployStep.Names.bytes(bytes) + " of replicas with " + DeployStep.Names.bytes(
                                disk.usableBytes()) + " free on its volume of " + DeployStep.Names.bytes(
                                        disk.totalBytes()) + " (a tenth stays free); free space first (delete "
                        + "records or topics) or keep more brokers; nothing changed");
            }
        });
    }

    /**
     * Every rendered object that is missing or differs, and the ones of this tool the profile no longer renders.
     *
     * @return whether the pod template changes
     */
    private boolean apply(List<DeployStep> steps) {
        boolean templateChanges = false;
        for (HasMetadata object : manifests.namespaced()) {
            HasMetadata found = object instanceof StatefulSet && deployed == null ? null : observed.live(object);
            String kind = object.getKind();
            String name = object.getMetadata().getName();
            if (found == null) {
                steps.add(new DeployStep.Apply(kind, name, true, List.of()));
                continue;
            }
            List<ObjectDiff.Change> changes = ObjectDiff.changes(object, found, serialization);
            if (!changes.isEmpty()) {
                steps.add(new DeployStep.Apply(kind, name, false, ObjectDiff.describe(changes)));
                templateChanges |= object instanceof StatefulSet
                        && changes.stream().anyMatch(change -> change.path().startsWith(".spec.template."));
            }
        }
        for (HasMetadata object : manifests.unrendered()) {
            HasMetadata found = observed.live(object);
            if (found != null && Ownership.ours(found)) {
                steps.add(new DeployStep.Delete(object.getKind(), object.getMetadata().getName()));
            }
        }
        return templateChanges;
    }

    /**
     * --delete-data on a deploy: the volumes beyond the cluster's size, never one that still holds a KRaft voter
     * (the quorum could never have it back: KRaft has no unclean voter change).
     */
    private void deleteLeftVolumes(List<DeployStep> steps) {
        List<PersistentVolumeClaim> left = leftVolumes();
        if (left.isEmpty()) {
            return;
        }
        Set<Integer> voters = new TreeSet<>(kafka().voters());
        steps.stream().filter(DeployStep.RemoveVoters.class::isInstance).map(DeployStep.RemoveVoters.class::cast)
                .forEach(removal -> voters.removeAll(removal.ids()));
        List<String> holdingVoters = left.stream().map(claim -> claim.getMetadata().getName())
                .filter(name -> voters.contains(KafkaEndpoints.ordinalOf(name))).toList();
        if (!holdingVoters.isEmpty()) {
            throw new CommandFailure("--delete-data: " + DeployStep.Names.range(holdingVoters) + " still "
                    + (holdingVoters.size() == 1 ? "holds a KRaft voter" : "hold KRaft voters")
                    + "; deleting them would cost the quorum for good; nothing changed");
        }
        steps.add(new DeployStep.DeleteVolumes(left.stream().map(claim -> claim.getMetadata().getName()).toList()));
    }

    /**
     * A running prod cluster brought to its manifests: grown (by this deploy's scale-up, or one an interrupted deploy
     * left unfinished), then restarted onto its template one broker at a time. The grow comes first: a grown
     * cluster's old nodes restart onto the new template (min ISR 2) only once every partition has its new copies.
     */
    private void growAndRoll(List<DeployStep> steps, boolean templateChanges) {
        KafkaState kafka = kafka();
        boolean scaledUp = deployed.getSpec().getReplicas() < manifests.replicas();
        if (manifests.quorum() == KraftQuorum.DYNAMIC) {
            List<Integer> voterIds = manifests.voterIds();
            List<Integer> replaced = kafka.replacedVoters().stream().filter(voterIds::contains).sorted().toList();
            List<Integer> toAdd = voterIds.stream().filter(id -> !kafka.voters().contains(id)).toList();
            if (scaledUp || !toAdd.isEmpty()) {
                steps.add(new DeployStep.AwaitBrokers(manifests.replicas()));
            }
            if (!replaced.isEmpty()) {
                steps.add(new DeployStep.ReplaceVoters(replaced));
            }
            if (!toAdd.isEmpty()) {
                List<Integer> behind = kafka.votersBehind(kafka.voters().stream()
                        .filter(id -> !replaced.contains(id)).toList());
                if (!behind.isEmpty()) {
                    throw new CommandFailure("cannot add voters: node " + DeployStep.Names.ids(behind)
                            + " is down or behind the quorum leader; nothing changed");
                }
                steps.add(new DeployStep.AddVoters(toAdd));
            }
        }
        List<Integer> outdated = templateChanges ? podsKept() : podsOnAnOldRevision();
        DeployStep.Restart restart = outdated.isEmpty() ? null : restartOrder(kafka, outdated);
        ClusterProfile profile = manifests.profile();
        Integer minIsr = kafka.clusterMinIsr();
        if (manifests.quorum() != KraftQuorum.DYNAMIC || minIsr != null && minIsr >= profile.minInsyncReplicas) {
            if (restart != null) {
                steps.add(restart);
            }
            return;
        }
        // A grow from dev: copies first (a roll cannot restart a broker holding a partition's only copy), the roll,
        // the copies of what was created meanwhile, and the min ISR last, as the mark that the grow is done.
        int copies = ReplicaChange.movesToRaise(kafka.partitions(), profile.replicationFactor(),
                range(0, manifests.replicas()));
        if (copies > 0) {
            steps.add(new DeployStep.AddReplicas(copies, profile.replicationFactor()));
        }
        if (restart != null) {
            steps.add(restart);
            steps.add(new DeployStep.AddReplicasCreatedMeanwhile(profile.replicationFactor()));
        }
        steps.add(new DeployStep.SetMinIsr(minIsr, profile.minInsyncReplicas));
    }

    /**
     * The safe roll's order: the brokers that are down (pod not Ready, or fenced) first, highest ordinal first;
     * then the others, highest first and the quorum leader last.
     */
    private DeployStep.Restart restartOrder(KafkaState kafka, List<Integer> outdated) {
        Set<Integer> ready = observed.pods().stream().filter(PodReadiness::isReady)
                .map(pod -> KafkaEndpoints.ordinalOf(pod.getMetadata().getName())).collect(Collectors.toSet());
        List<Integer> down = outdated.stream().filter(id -> !ready.contains(id) || !kafka.live().contains(id))
                .sorted(Comparator.reverseOrder()).toList();
        List<Integer> order = new ArrayList<>(down);
        outdated.stream().filter(id -> !down.contains(id))
                .sorted(Comparator.comparing((Integer id) -> id == kafka.leader())
                        .thenComparing(Comparator.reverseOrder()))
                .forEach(order::add);
        return new DeployStep.Restart(order, down);
    }

    /** Whether the StatefulSet controller says it is still replacing pods (a change an earlier deploy made). */
    private boolean rollingOut() {
        var status = deployed == null ? null : deployed.getStatus();
        return status != null && status.getObservedGeneration() != null
                && (status.getObservedGeneration() < deployed.getMetadata().getGeneration()
                        || status.getUpdatedReplicas() != null && status.getUpdatedReplicas() < manifests.replicas());
    }

    /** The pods that exist and stay: a template change restarts them (new pods start on the new template). */
    private List<Integer> podsKept() {
        int staying = Math.min(deployed.getSpec().getReplicas(), manifests.replicas());
        return observed.pods().stream().map(pod -> KafkaEndpoints.ordinalOf(pod.getMetadata().getName()))
                .filter(ordinal -> ordinal < staying).sorted().toList();
    }

    /** The pods an interrupted roll left on an older template than the StatefulSet's. */
    private List<Integer> podsOnAnOldRevision() {
        String revision = deployed.getStatus() == null ? null : deployed.getStatus().getUpdateRevision();
        if (revision == null) {
            return List.of();
        }
        return observed.pods().stream().filter(pod -> !revision.equals(labels(pod).get(SafeRoll.REVISION_LABEL)))
                .map(pod -> KafkaEndpoints.ordinalOf(pod.getMetadata().getName()))
                .filter(ordinal -> ordinal < manifests.replicas()).sorted().toList();
    }

    /**
     * The first voters' ConfigMap of a cluster whose first voters all run: each formatted its storage with it, so
     * the quorum has formed; left open (a deploy with --no-wait, or one that timed out), a node whose disk is lost
     * would format again as its old voter, with an empty log.
     */
    private boolean formationLeftOpen() {
        if (deployed == null || observed.formation() == null || !Ownership.ours(observed.formation())) {
            return false;
        }
        String voters = observed.formation().getData() == null ? null
                : observed.formation().getData().get(KraftQuorum.INITIAL_CONTROLLERS);
        int count = voters == null || voters.isBlank() ? 0 : voters.split(",").length;
        return count > 0 && new PodReadiness(count, observed.pods()).allReady();
    }

    /** The volumes beyond the cluster's size that are this tool's: a shrink kept them. */
    private List<PersistentVolumeClaim> leftVolumes() {
        return observed.claims().stream().filter(Ownership::ours)
                .filter(claim -> KafkaEndpoints.ordinalOf(claim.getMetadata().getName()) >= manifests.replicas())
                .toList();
    }

    /**
     * A deployed cluster keeps its volume size and storage class unless --storage-size or --storage-class asks for
     * another (which cannot be done in place: a StatefulSet's claim templates are immutable, and no flag must not
     * read as "change to the default class"); a profile switch does not, by itself, ask for new volumes. It keeps
     * its broker count too unless --replicas asks for another, or the profile cannot run it (prod over dev grows to
     * 3, dev over prod shrinks). Its client port stays open to the namespaces it was opened to unless
     * --client-namespaces asks for others.
     */
    private KafkaManifests keptShape() {
        KafkaManifests rendered = request.rendered();
        if (rendered.clientNamespaces() == null) {
            rendered = rendered.withClientNamespaces(KafkaNetworkPolicy.clientNamespacesOf(
                    observed.live(rendered.networkPolicy())));
        }
        if (live == null) {
            return rendered;
        }
        String deployedSize = KafkaManifests.storageSizeOf(live);
        KafkaManifests kept = request.storageSize() != null || deployedSize == null ? rendered
                : rendered.withStorageSize(deployedSize);
        if (request.storageClass() == null) {
            kept = kept.withStorageClass(KafkaManifests.storageClassOf(live));
        }
        Integer deployedReplicas = live.getSpec().getReplicas();
        if (request.replicas() != null || deployedReplicas == null) {
            return kept;
        }
        try {
            return kept.withReplicas(deployedReplicas);
        } catch (IllegalArgumentException notThisProfiles) {
            return kept;
        }
    }

    /**
     * On the StatefulSet while brokers a shrink removed may still be registered in Kafka: the size it shrank from.
     * Not part of the applied objects (a merge patch owns it), so an apply keeps it until they are unregistered.
     */
    public static final String SHRINKING_FROM = "kafka-k8s-setup/shrinking-from";

    private static int shrinkingFrom(StatefulSet statefulSet) {
        Map<String, String> annotations = statefulSet.getMetadata().getAnnotations();
        String from = annotations == null ? null : annotations.get(SHRINKING_FROM);
        return from == null || !from.matches("\\d{1,4}") ? 0 : Integer.parseInt(from);
    }

    private KafkaState kafka() {
        if (observed.kafka() == null) {
            throw new IllegalStateException("planned without the Kafka side: see needsKafka()");
        }
        return observed.kafka();
    }

    /**
     * Nodes start only on a Kafka that runs the cluster's finalized metadata.version, which is never lowered: a roll
     * onto an older release would leave each broker it restarts down. An image whose tag names no version is not
     * judged; one older than every release known here is refused.
     */
    private void requireReleaseRunsTheCluster(KafkaState kafka) {
        String image = manifests.image();
        String version = targetVersion();
        if (version == null) {
            return;
        }
        if (KafkaReleases.olderThanKnown(version)) {
            throw new CommandFailure(image + ": Kafka " + version + " is older than the releases this tool knows ("
                    + KafkaReleases.knownLines() + "); nothing changed");
        }
        KafkaReleases.Release release = KafkaReleases.of(version).orElse(null);
        int finalized = kafka.metadataVersion();
        if (release != null && finalized > release.level()) {
            throw new CommandFailure(image + " cannot run this cluster: its metadata.version "
                    + KafkaReleases.metadataVersionName(finalized) + " (level " + finalized + ") is finalized, and "
                    + "Kafka " + release.line() + " runs at most " + release.metadataVersion() + " (level "
                    + release.level() + "); a finalized metadata.version is never lowered. Nothing changed");
        }
    }

    /**
     * A running cluster goes onto a Kafka release only when this tool knows its levels: it could neither check that
     * the release runs the cluster nor finalize it, as Strimzi refuses a version it does not support. A new cluster
     * may start on any; a patch release of a known line is known.
     */
    private void requireKnownRelease() {
        String version = targetVersion();
        if (deployed == null || version == null || KafkaReleases.olderThanKnown(version)
                || KafkaReleases.of(version).isPresent()) {
            return;
        }
        throw new CommandFailure(manifests.image() + ": Kafka " + version + " is newer than the releases this tool "
                + "knows (" + KafkaReleases.knownLines() + "), so it cannot check that it runs this cluster; nothing "
                + "changed. Use a kafka-k8s-setup that knows it");
    }

    /** The Kafka version ("4.4.0") the image's tag names, or null (another image, a digest). */
    private String targetVersion() {
        return KafkaReleases.versionOfImage(manifests.image()).orElse(null);
    }

    /** The release the image's tag names, or null (another image, a digest, a release not known here). */
    private KafkaReleases.Release targetRelease() {
        return KafkaReleases.ofImage(manifests.image()).orElse(null);
    }

    /**
     * --finalize, after the roll: metadata.version and the other features up to the levels the image's release
     * gives a new cluster, those below them only; metadata.version first, as the others depend on it.
     */
    private void finalizeFeatures(List<DeployStep> steps) {
        KafkaReleases.Release release = targetRelease();
        Map<String, Integer> finalized = kafka().features();
        Map<String, Integer> target = new LinkedHashMap<>();
        target.put(KafkaState.METADATA_VERSION, release.level());
        new TreeMap<>(release.features()).forEach(target::put);
        Map<String, Integer> from = new LinkedHashMap<>();
        Map<String, Integer> to = new LinkedHashMap<>();
        target.forEach((feature, level) -> {
            if (level > finalized.getOrDefault(feature, 0)) {
                from.put(feature, finalized.getOrDefault(feature, 0));
                to.put(feature, level);
            }
        });
        if (to.isEmpty()) {
            return;
        }
        // Kafka raises a feature only when every registered node supports it: a broker whose pod is gone but which is
        // still registered (a scale-down by hand; a shrink of this tool unregisters its own) makes it refuse.
        List<Integer> leftover = kafka().registered().stream().filter(id -> id >= Math.max(leftUpTo,
                manifests.replicas())).sorted().toList();
        if (!leftover.isEmpty()) {
            throw new CommandFailure("--finalize: broker " + DeployStep.Names.ids(leftover) + (leftover.size() == 1
                    ? " is" : " are") + " still registered in Kafka with no pod of this cluster, and Kafka raises "
                    + "metadata.version only when every registered node runs it; nothing changed. Unregister "
                    + (leftover.size() == 1 ? "it" : "each") + " first: kafka-cluster.sh unregister --id "
                    + leftover.get(0));
        }
        steps.add(new DeployStep.RaiseFeatures(from, to));
    }

    /** Refuses, naming them, while a node of {@code ids} is not a registered, unfenced broker. */
    private static void requireUp(KafkaState kafka, List<Integer> ids, String refusal) {
        List<Integer> down = ids.stream().filter(id -> !kafka.live().contains(id)).toList();
        if (!down.isEmpty()) {
            throw new CommandFailure(refusal + ": node " + DeployStep.Names.ids(down) + " is down (not a registered "
                    + "broker); nothing changed");
        }
    }

    private static Map<String, String> labels(Pod pod) {
        Map<String, String> labels = pod.getMetadata().getLabels();
        return labels == null ? Map.of() : labels;
    }

    private static List<Integer> range(int from, int to) {
        return IntStream.range(from, to).boxed().toList();
    }
}
