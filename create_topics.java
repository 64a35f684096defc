///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS info.picocli:picocli:4.7.7
//DEPS io.fabric8:kubernetes-client:8.0.0
//DEPS org.apache.kafka:kafka-clients:4.4.0
//DEPS org.slf4j:slf4j-nop:2.0.20
//SOURCES common/Cli.java common/CommandFailure.java common/KafkaEndpoints.java common/NamespaceOption.java
//SOURCES common/ToolVersion.java common/KafkaManifests.java common/ClusterProfile.java common/LearnFlowTopics.java
//SOURCES common/KubernetesAccess.java common/ContextOption.java common/KafkaAccess.java common/KafkaOptions.java
//SOURCES common/DurationParameter.java common/PortForwards.java

import common.Cli;
import common.CommandFailure;
import common.ContextOption;
import common.KafkaAccess;
import common.KafkaOptions;
import common.KubernetesAccess;
import common.LearnFlowTopics;
import common.LearnFlowTopics.Topic;
import common.NamespaceOption;
import common.ToolVersion;
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

@Command(name = "create_topics", mixinStandardHelpOptions = true, versionProvider = ToolVersion.class,
        description = "Creates the LearnFlow topics (idempotent): missing ones created, short ones raised.")
public class create_topics implements Callable<Integer> {
    /** More copies than this add load, not safety. */
    static final int MAX_DEFAULT_REPLICATION = 3;

    @Spec
    CommandSpec spec;

    @Mixin
    NamespaceOption namespace;

    @Mixin
    ContextOption context;

    @Mixin
    KafkaOptions kafka;

    @Option(names = "--replication-factor", paramLabel = "N",
            description = "Copies of each partition (default: the broker count, at most 3).")
    Integer replicationFactor;

    public static void main(String... args) {
        System.exit(Cli.execute(new create_topics(), args));
    }

    @Override
    public Integer call() {
        if (replicationFactor != null && replicationFactor < 1) {
            throw new ParameterException(spec.commandLine(), "--replication-factor must be at least 1");
        }
        long start = System.nanoTime();
        KubernetesAccess kube = kafka.viaKubernetes() && !KafkaAccess.insideKubernetes() ? context.configure() : null;
        try (KubernetesClient client = kube == null ? null : kube.client();
                KafkaAccess access = kafka.connect(namespace.get(), client, kube)) {
            int brokers = access.await(access.admin().describeCluster().nodes(), "reading the brokers").size();
            int replication = chooseReplication(brokers);
            Map<String, TopicDescription> existing = describeExisting(access);
            List<NewTopic> missing = new ArrayList<>();
            Map<String, NewPartitions> shortOnes = new LinkedHashMap<>();
            for (Topic topic : LearnFlowTopics.ALL) {
                TopicDescription found = existing.get(topic.name());
                if (found == null) {
                    missing.add(new NewTopic(topic.name(), topic.partitions(), (short) replication));
                } else if (found.partitions().size() < topic.partitions()) {
                    shortOnes.put(topic.name(), NewPartitions.increaseTo(topic.partitions()));
                } else {
                    warnIfDifferent(topic, found, replication);
                }
            }
            Admin admin = access.admin();
            if (!missing.isEmpty()) {
                access.await(admin.createTopics(missing).all(), "creating " + missing.size() + " topics");
            }
            if (!shortOnes.isEmpty()) {
                access.await(admin.createPartitions(shortOnes).all(), "adding partitions");
            }
            int unchanged = LearnFlowTopics.ALL.size() - missing.size() - shortOnes.size();
            System.out.printf("create_topics: %d created, %d raised, %d existing; RF %d; %.1fs%n", missing.size(),
                    shortOnes.size(), unchanged, replication, (System.nanoTime() - start) / 1e9);
            return Cli.OK;
        }
    }

    /** The override when given (never more than the brokers), else every broker up to three. */
    private int chooseReplication(int brokers) {
        if (replicationFactor == null) {
            return Math.min(brokers, MAX_DEFAULT_REPLICATION);
        }
        if (replicationFactor > brokers) {
            throw new CommandFailure("replication factor " + replicationFactor + " needs " + replicationFactor
                    + " brokers, the cluster has " + brokers + ": nothing created");
        }
        return replicationFactor;
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
    private static void warnIfDifferent(Topic topic, TopicDescription found, int replication) {
        int partitions = found.partitions().size();
        int copies = found.partitions().get(0).replicas().size();
        if (partitions > topic.partitions()) {
            System.err.println("create_topics: warning: " + topic.name() + " has " + partitions
                    + " partitions, more than the " + topic.partitions() + " expected; left alone");
        }
        if (copies != replication) {
            System.err.println("create_topics: warning: " + topic.name() + " has replication factor " + copies
                    + ", not " + replication + "; left alone");
        }
    }
}
