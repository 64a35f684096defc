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
import common.cli.ToolVersion;
import common.kafka.ClusterDefaults;
import common.kafka.KafkaAccess;
import common.kube.KubernetesAccess;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(name = "create_topics", aliases = "create-topics", mixinStandardHelpOptions = true,
        versionProvider = ToolVersion.class,
        description = "Creates the LearnFlow topics (idempotent): missing ones created, short ones raised.")
public class create_topics implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    NamespaceOption namespace;

    @Mixin
    ContextOption context;

    @Mixin
    KafkaOptions kafka;

    @Mixin
    Output output;

    @Option(names = "--replication-factor", paramLabel = "N",
            description = "Copies of each partition (default: the cluster's, 1 dev, 3 prod).")
    Integer replicationFactor;

    public static void main(String... args) {
        ProcessExit.now(Cli.execute(new create_topics(), args));
    }

    @Override
    public Integer call() throws Exception {
        if (replicationFactor != null && replicationFactor < 1) {
            throw new ParameterException(spec.commandLine(), "--replication-factor must be at least 1");
        }
        return Deadline.run("create_topics", kafka.timeout().plus(Deadline.GRACE), this::createTopics);
    }

    private int createTopics() {
        long start = System.nanoTime();
        KubernetesAccess kube = kafka.viaKubernetes() && !KafkaAccess.insideKubernetes() ? context.configure() : null;
        try (KubernetesClient client = kube == null ? null : kube.client();
                KafkaAccess access = kafka.connect(namespace.get(), client, kube)) {
            int replication = chooseReplication(ClusterDefaults.read(access));
            Map<String, TopicDescription> existing = describeExisting(access);
            List<NewTopic> missing = new ArrayList<>();
            Map<String, NewPartitions> shortOnes = new LinkedHashMap<>();
            List<Map<String, Object>> topics = new ArrayList<>();
            List<String> warnings = new ArrayList<>();
            for (Topic topic : LearnFlowTopics.ALL) {
                TopicDescription found = existing.get(topic.name());
                String action;
                int partitions = topic.partitions();
                int copies = replication;
                if (found == null) {
                    action = "created";
                    missing.add(new NewTopic(topic.name(), topic.partitions(), (short) replication));
                } else {
                    copies = found.partitions().get(0).replicas().size();
                    if (found.partitions().size() < topic.partitions()) {
                        action = "raised";
                        shortOnes.put(topic.name(), NewPartitions.increaseTo(topic.partitions()));
                    } else {
                        action = "existing";
                        partitions = found.partitions().size();
                        warnings.addAll(differences(topic, partitions, copies, replication));
                    }
                }
                topics.add(topicFacts(topic.name(), partitions, copies, action));
            }
            Admin admin = access.admin();
            if (!missing.isEmpty()) {
                access.await(admin.createTopics(missing).all(), "creating " + missing.size() + " topics");
            }
            if (!shortOnes.isEmpty()) {
                access.await(admin.createPartitions(shortOnes).all(), "adding partitions");
            }
            warnings.forEach(output::warn);
            report(missing.size(), shortOnes.size(), replication, topics, warnings, System.nanoTime() - start);
            return Cli.OK;
        }
    }

    private void report(int created, int raised, int replication, List<Map<String, Object>> topics,
            List<String> warnings, long elapsedNanos) {
        int existing = topics.size() - created - raised;
        String line = String.format("create_topics: %d created, %d raised, %d existing; RF %d; %.1fs", created,
                raised, existing, replication, elapsedNanos / 1e9);
        Map<String, Object> facts = Output.facts("ok");
        facts.put("created", created);
        facts.put("raised", raised);
        facts.put("existing", existing);
        facts.put("replicationFactor", replication);
        facts.put("topics", topics);
        facts.put("warnings", warnings);
        facts.put("elapsedMs", elapsedNanos / 1_000_000);
        output.result(line, facts);
    }

    private static Map<String, Object> topicFacts(String name, int partitions, int replication, String action) {
        Map<String, Object> facts = new LinkedHashMap<>();
        facts.put("name", name);
        facts.put("partitions", partitions);
        facts.put("replicationFactor", replication);
        facts.put("action", action);
        return facts;
    }

    /**
     * The override when given, else the cluster's own default (deploy sets it per profile) — never fewer copies
     * because a broker happens to be down: then nothing is created.
     */
    private int chooseReplication(ClusterDefaults cluster) {
        int replication = replicationFactor == null ? cluster.replicationFactor() : replicationFactor;
        if (replication > cluster.nodes().size()) {
            throw new CommandFailure("replication factor " + replication + " needs " + replication
                    + " brokers, the cluster has " + cluster.nodes().size() + ": nothing created");
        }
        if (replication > cluster.brokers().size()) {
            throw new CommandFailure(cluster.describeDown() + ": replication factor " + replication
                    + " needs " + replication + " live brokers; nothing created");
        }
        return replication;
    }

    private static Map<String, TopicDescription> describeExisting(KafkaAccess access) {
        Set<String> names = access.await(access.admin().listTopics().names(), "listing topics");
        List<String> ours = LearnFlowTopics.ALL.stream().map(Topic::name).filter(names::contains).toList();
        if (ours.isEmpty()) {
            return Map.of();
        }
        return access.await(access.admin().describeTopics(ours).allTopicNames(), "describing topics");
    }

    /** Partitions can't shrink and replicas aren't moved here: say so, change nothing. */
    private static List<String> differences(Topic topic, int partitions, int copies, int replication) {
        List<String> differences = new ArrayList<>();
        if (partitions > topic.partitions()) {
            differences.add(topic.name() + " has " + partitions + " partitions, more than the " + topic.partitions()
                    + " expected; left alone");
        }
        if (copies != replication) {
            differences.add(topic.name() + " has replication factor " + copies + ", not " + replication
                    + "; left alone");
        }
        return differences;
    }
}
