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

import common.cli.Cli;
import common.cli.ProcessExit;
import common.cli.ClusterDomainOption;
import common.cli.ContextOption;
import common.cli.Deadline;
import common.cli.NamespaceOption;
import common.cli.Output;
import common.cli.ToolVersion;
import common.cli.ClientConfigParameter;
import common.cli.CommandFailure;
import common.cluster.ClientConfig;
import common.cluster.ClusterCredentials;
import common.cluster.ClusterSecurity;
import common.cluster.KafkaEndpoints;
import common.kube.KubernetesAccess;
import common.kube.AdminCredentials;
import common.kube.PortForwards;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(name = "get_connection", aliases = "get-connection", mixinStandardHelpOptions = true,
        versionProvider = ToolVersion.class,
        description = "Prints the Kafka bootstrap address: the in-cluster Service, or local port-forwards.")
public class get_connection implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    NamespaceOption namespace;

    @Mixin
    ClusterDomainOption clusterDomain;

    @Mixin
    ContextOption context;

    @Mixin
    Output output;

    @Option(names = "--port-forward", description = "Forward localhost:19092.. to every broker, print the local "
            + "bootstrap address and hold the forwards until interrupted (Ctrl-C).")
    boolean portForward;

    @Option(names = "--client-config", paramLabel = "KIND", converter = ClientConfigParameter.class,
            description = "Print a client configuration for the LearnFlow services: java (properties) or dapr "
                    + "(pub/sub component); the password stays in its Secret.")
    ClientConfig clientConfig;

    @Option(names = "--show-password", description = "With --client-config, write the LearnFlow user's password "
            + "into it (needs get on Secret learnflow).")
    boolean showPassword;

    /** Opening the forwards reads the StatefulSet; a stalled API server must not hold us. */
    private static final Duration OPEN_TIMEOUT = Duration.ofSeconds(30);

    public static void main(String... args) {
        ProcessExit.now(Cli.execute(new get_connection(), args));
    }

    /** The default path touches no Kubernetes or Kafka class: it answers in well under a second. */
    @Override
    public Integer call() throws Exception {
        if (showPassword && clientConfig == null) {
            throw new ParameterException(spec.commandLine(), "--show-password writes the password into the "
                    + "configuration --client-config prints: give both");
        }
        if (!portForward && clientConfig == null) {
            print(KafkaEndpoints.clientBootstrap(namespace.get(), clusterDomain.get()), null, null);
            return Cli.OK;
        }
        KubernetesAccess access = context.configure();
        try (KubernetesClient client = access.client()) {
            if (!portForward) {
                printFor(KafkaEndpoints.clientBootstrap(namespace.get(), clusterDomain.get()), client, access);
                return Cli.OK;
            }
            try (PortForwards forwards = Deadline.run("get_connection", OPEN_TIMEOUT, () -> {
                var deployed = PortForwards.deployed(client, access, namespace.get());
                return PortForwards.open(client, access, namespace.get(), deployed,
                        AdminCredentials.read(client, access, namespace.get(), deployed));
            })) {
                printFor(forwards.bootstrap(), client, access);
                if (!forwards.reused()) {
                    holdUntilInterrupted();
                }
                return Cli.OK;
            }
        }
    }

    /** With --client-config, the configuration for the cluster's security; else the bootstrap line. */
    private void printFor(String connection, KubernetesClient client, KubernetesAccess access) {
        if (clientConfig == null) {
            print(connection, null, null);
            return;
        }
        ClusterSecurity security = ClusterSecurity.of(PortForwards.deployed(client, access, namespace.get()));
        String password = showPassword && security == ClusterSecurity.TLS ? appPassword(client, access) : null;
        print(connection, security, clientConfig.render(connection, security, password).stripTrailing());
    }

    private String appPassword(KubernetesClient client, KubernetesAccess access) {
        try {
            Secret secret = client.secrets().inNamespace(namespace.get()).withName(ClusterCredentials.APP_SECRET)
                    .get();
            if (secret == null) {
                throw new CommandFailure("Secret " + ClusterCredentials.APP_SECRET + " not found in namespace "
                        + namespace.get() + ": deploy makes it");
            }
            return ClusterCredentials.value(secret, ClusterCredentials.PASSWORD);
        } catch (KubernetesClientException e) {
            throw access.failure("reading Secret " + ClusterCredentials.APP_SECRET, e);
        }
    }

    /**
     * The line (the bootstrap address, or the configuration asked for) and its facts: with a configuration, where
     * the password and the CA are (the password itself only inside a configuration asked to hold it).
     */
    private void print(String connection, ClusterSecurity security, String config) {
        Map<String, Object> facts = Output.facts("ok");
        facts.put("connection", connection);
        facts.put("namespace", namespace.get());
        facts.put("portForward", portForward);
        if (config != null) {
            facts.putAll(ClientConfig.facts(security));
            facts.put("clientConfig", config);
        }
        output.result(config != null ? config : connection, facts);
    }

    private static void holdUntilInterrupted() throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown));
        stopped.await();
    }
}
