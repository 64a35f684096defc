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
//SOURCES common/*.java common/*/*.java

import common.LearnFlowTopics;
import common.LearnFlowTopics.Topic;
import common.cli.Cli;
import common.cli.ProcessExit;
import common.cli.CommandFailure;
import common.cli.ContextOption;
import common.cli.Deadline;
import common.cli.KafkaOptions;
import common.cli.NamespaceOption;
import common.cli.Output;
import common.cli.Progress;
import common.cli.ToolVersion;
import common.cluster.ClusterProfile;
import common.cluster.KafkaManifests;
import common.cluster.KraftQuorum;
import common.kafka.ClusterDefaults;
import common.kafka.KafkaAccess;
import common.kafka.BrokerCertificate;
import common.kafka.KafkaVersions;
import common.kafka.PartitionHealth;
import common.kafka.QuorumMembers;
import common.kube.KubernetesAccess;
import common.kube.PodReadiness;
import common.kube.PortForwards;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.QuorumInfo;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.ConfigResource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "verify", mixinStandardHelpOptions = true, versionProvider = ToolVersion.class,
        description = "Checks that Kafka is healthy: pods Ready, every broker registered, a controller elected, "
                + "no partition offline or under its min ISR.")
public class verify implements Callable<Integer> {
    @Mixin
    NamespaceOption namespace;

    @Mixin
    ContextOption context;

    @Mixin
    KafkaOptions kafka;

    @Mixin
    Output output;

    @Option(names = "--topics", description = "Also require every LearnFlow topic with at least its partitions.")
    boolean topics;

    @Option(names = "--wait", description = "Check again every second until healthy or --timeout.")
    boolean await;

    public static void main(String... args) {
        ProcessExit.now(Cli.execute(new verify(), args));
    }

    /** What the checks found so far; the JSON result carries it, healthy or not. */
    private Map<String, Object> found = new LinkedHashMap<>();

    /**
     * Reads only: verify never changes anything. Exit 0 healthy, 1 unhealthy, 3 when the check itself could not
     * run (kubeconfig, API server): a broken cluster and a failed check read differently.
     */
    @Override
    public Integer call() throws Exception {
        try {
            return Deadline.run("verify", kafka.timeout().plus(Deadline.GRACE), this::checkUntilDone);
        } catch (Deadline.Expired stalled) {
            throw new CommandFailure(stalled.getMessage(), stalled, Cli.UNCHECKED);
        }
    }

    private int checkUntilDone() throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + kafka.timeout().toNanos();
        try (Progress progress = output.progress()) {
            while (true) {
                found = new LinkedHashMap<>();
                try {
                    String health = check(Duration.ofNanos(Math.max(1_000_000_000L, deadline - System.nanoTime())));
                    progress.close();
                    report("healthy", "✓ " + health, null, System.nanoTime() - start);
                    return Cli.OK;
                } catch (CommandFailure problem) {
                    if (!await || System.nanoTime() + 1_000_000_000L >= deadline) {
                        progress.close();
                        if (problem instanceof KubernetesAccess.Failure || problem instanceof PortForwards.Busy) {
                            throw new CommandFailure(problem.getMessage(), problem, Cli.UNCHECKED);
                        }
                        report("unhealthy", "✗ " + problem.getMessage(), problem.getMessage(),
                                System.nanoTime() - start);
                        return Cli.FAILURE;
                    }
                    progress.update("waiting: " + problem.getMessage());
                    Thread.sleep(1_000);
                }
            }
        }
    }

    private void report(String status, String line, String problem, long elapsedNanos) {
        Map<String, Object> facts = Output.facts(status);
        facts.putAll(found);
        if (problem != null) {
            facts.put("problem", problem);
        }
        facts.put("elapsedMs", elapsedNanos / 1_000_000);
        output.result(line, facts);
    }

    /** The cluster as deployed, read once by the Kafka checks for the topic checks after them too. */
    private ClusterDefaults cluster;

    /** The checks in order; the first problem ends them, as a one-line {@link CommandFailure}. */
    private String check(Duration left) {
        KubernetesAccess kube = kafka.viaKubernetes() ? context.configure() : null;
        try (KubernetesClient client = kube == null ? null : kube.client()) {
            Integer replicas = kube == null ? null : checkPods(client, kube);
            boolean formationOpen = kube != null && formationOpen(client, kube);
            try (KafkaAccess access = kafka.connect(namespace.get(), client, kube, left)) {
                return checkKafka(access, replicas) + (topics ? ", " + checkTopics(access) : "")
                        + (formationOpen ? "; first-start formation still open: deploy closes it" : "");
            }
        }
    }

    /** The StatefulSet exists and every desired replica is Ready; returns the replica count. */
    private int checkPods(KubernetesClient client, KubernetesAccess kube) {
        int replicas = PortForwards.deployedReplicas(client, kube, namespace.get());
        try {
            PodReadiness readiness = new PodReadiness(replicas, client.pods().inNamespace(namespace.get())
                    .withLabels(KafkaManifests.selector()).list().getItems());
            found.put("replicas", replicas);
            found.put("ready", readiness.ready());
            if (!readiness.allReady()) {
                throw new CommandFailure(readiness.ready() + "/" + replicas + " brokers Ready: "
                        + String.join("; ", readiness.notReady()));
            }
            return replicas;
        } catch (KubernetesClientException e) {
            throw kube.failure("listing the Kafka pods", e);
        }
    }

    /**
     * Whether the first voters' ConfigMap a deploy without waiting (or a YAML apply) left is still there: the cluster
     * can be healthy, but a node whose disk is lost would format again as its old voter until deploy deletes it.
     */
    private boolean formationOpen(KubernetesClient client, KubernetesAccess kube) {
        try {
            boolean open = client.configMaps().inNamespace(namespace.get()).withName(KraftQuorum.FORMATION).get()
                    != null;
            found.put("formationOpen", open);
            return open;
        } catch (KubernetesClientException e) {
            if (e.getCode() == 403) {
                return false; // a use Role from before this check: the rest of verify still holds
            }
            throw kube.failure("reading ConfigMap " + KraftQuorum.FORMATION, e);
        }
    }

    /**
     * Every quorum voter is a registered broker (each node is both), the count is right, a leader is elected, and
     * every partition serves; a missing broker is reported with the partitions it leaves short.
     */
    private String checkKafka(KafkaAccess access, Integer replicas) {
        // Its own TLS handshake, made while Kafka answers the checks.
        String ca = access.trustedCertificates();
        CompletableFuture<Instant> served = ca == null ? CompletableFuture.completedFuture(null)
                : CompletableFuture.supplyAsync(() -> BrokerCertificate.expiry(access.firstAddress(), ca,
                        Duration.ofSeconds(5)));
        Set<Integer> brokers = access.await(access.admin().describeCluster().nodes(), "reading the brokers").stream()
                .map(Node::id).collect(Collectors.toCollection(TreeSet::new));
        QuorumInfo quorum = access.await(access.admin().describeMetadataQuorum().quorumInfo(), "reading the quorum");
        Set<Integer> voters = quorum.voters().stream().map(QuorumInfo.ReplicaState::replicaId)
                .collect(Collectors.toCollection(TreeSet::new));
        found.put("brokers", brokers.size());
        found.put("brokerIds", brokers);
        found.put("voters", voters);
        found.put("controller", quorum.leaderId() < 0 ? null : quorum.leaderId());
        found.put("quorum", QuorumMembers.facts(quorum));
        PartitionHealth partitions = PartitionHealth.of(access);
        found.put("offlinePartitions", partitions.offline());
        found.put("underMinIsrPartitions", partitions.underMinIsr());
        found.put("underReplicatedPartitions", partitions.underReplicated());
        String shortOf = String.join("; ", nonEmpty(partitions.problems(), partitions.warning()));
        String affected = shortOf.isEmpty() ? "" : "; " + shortOf;
        List<Integer> replaced = QuorumMembers.replacedVoters(quorum);
        if (!replaced.isEmpty()) {
            throw new CommandFailure("voter " + ids(new TreeSet<>(replaced)) + " runs on new storage (now an observer);"
                    + " the quorum still counts its old copy; deploy prod replaces it" + affected);
        }
        Set<Integer> missing = new TreeSet<>(voters);
        missing.removeAll(brokers);
        if (!missing.isEmpty()) {
            throw new CommandFailure("broker " + ids(missing) + " not registered (quorum voters " + ids(voters)
                    + ", brokers answering " + ids(brokers) + ")" + affected);
        }
        if (replicas != null && brokers.size() != replicas) {
            throw new CommandFailure(brokers.size() + " brokers registered, " + replicas + " replicas desired"
                    + affected);
        }
        if (quorum.leaderId() < 0) {
            throw new CommandFailure("no controller leader elected (voters " + ids(voters) + ")");
        }
        if (!partitions.serving()) {
            throw new CommandFailure(partitions.problems());
        }
        cluster = ClusterDefaults.read(access);
        int promised = ClusterProfile.minInsyncReplicasFor(cluster.replicationFactor())
                .orElse(cluster.minInsyncReplicas());
        found.put("minInsyncReplicas", cluster.minInsyncReplicas());
        if (cluster.minInsyncReplicas() < promised) {
            throw new CommandFailure("min.insync.replicas is " + cluster.minInsyncReplicas() + ", below the "
                    + promised + " of a cluster with replication factor " + cluster.replicationFactor()
                    + " (a grow or shrink left half-done): deploy again to finish it");
        }
        // A cluster on two releases (a roll) or rolled but not finalized is healthy: said, not failed.
        KafkaVersions versions = KafkaVersions.read(access, brokers);
        found.putAll(versions.facts());
        return "Kafka healthy: " + brokers.size() + " brokers, controller leader " + quorum.leaderId() + " of "
                + voters.size() + " voters" + (partitions.warning().isEmpty() ? "" : ", " + partitions.warning())
                + (versions.note().isEmpty() ? "" : "; " + versions.note()) + certificateNote(access, served.join());
    }

    /**
     * How the tool signed in, and when the certificate the brokers serve expires: within a renewal's margin it is
     * said (the cluster is still healthy), so that a deploy renews it in time.
     */
    private String certificateNote(KafkaAccess access, Instant expires) {
        found.put("securityProtocol", access.securityProtocol());
        found.put("certificateExpires", expires == null ? null : expires.toString());
        if (expires == null || expires.isAfter(Instant.now().plus(BrokerCertificate.RENEW_BEFORE))) {
            return "";
        }
        long days = Math.max(0, Duration.between(Instant.now(), expires).toDays());
        return "; the brokers' certificate expires in " + days + " days: deploy renews it";
    }

    private static List<String> nonEmpty(String... parts) {
        return java.util.Arrays.stream(parts).filter(part -> !part.isEmpty()).toList();
    }

    /**
     * Every LearnFlow topic exists with at least its partitions, as many copies as the cluster's default and at
     * least its min ISR: a topic created with a broker down, or by hand, is short of what the profile promises.
     */
    private String checkTopics(KafkaAccess access) {
        Set<String> names = access.await(access.admin().listTopics().names(), "listing topics");
        for (Topic topic : LearnFlowTopics.ALL) {
            if (!names.contains(topic.name())) {
                throw new CommandFailure("topic " + topic.name() + " missing: run create_topics");
            }
        }
        List<String> catalogue = LearnFlowTopics.ALL.stream().map(Topic::name).toList();
        Map<String, TopicDescription> described = access.await(access.admin().describeTopics(catalogue)
                .allTopicNames(), "describing topics");
        Map<ConfigResource, Config> configs = access.await(access.admin().describeConfigs(catalogue.stream()
                .map(name -> new ConfigResource(ConfigResource.Type.TOPIC, name)).toList()).all(),
                "reading topic configs");
        for (Topic topic : LearnFlowTopics.ALL) {
            TopicDescription description = described.get(topic.name());
            int partitions = description.partitions().size();
            if (partitions < topic.partitions()) {
                throw new CommandFailure("topic " + topic.name() + " has " + partitions + " partitions, "
                        + topic.partitions() + " expected: run create_topics");
            }
            int copies = description.partitions().get(0).replicas().size();
            if (copies < cluster.replicationFactor()) {
                throw new CommandFailure("topic " + topic.name() + " has replication factor " + copies
                        + ", the cluster's is " + cluster.replicationFactor());
            }
            var minIsr = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, topic.name()))
                    .get("min.insync.replicas");
            if (minIsr != null && Integer.parseInt(minIsr.value()) < cluster.minInsyncReplicas()) {
                throw new CommandFailure("topic " + topic.name() + " has min.insync.replicas " + minIsr.value()
                        + ", the cluster's is " + cluster.minInsyncReplicas());
            }
        }
        found.put("topics", LearnFlowTopics.ALL.size());
        return LearnFlowTopics.ALL.size() + " LearnFlow topics";
    }

    private static String ids(Set<Integer> ids) {
        return ids.stream().map(String::valueOf).collect(Collectors.joining(","));
    }
}
