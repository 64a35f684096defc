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
import common.cluster.KafkaEndpoints;
import common.kube.KubernetesAccess;
import common.kube.AdminCredentials;
import common.kube.PortForwards;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "get_connection", aliases = "get-connection", mixinStandardHelpOptions = true,
        versionProvider = ToolVersion.class,
        description = "Prints the Kafka bootstrap address: the in-cluster Service, or local port-forwards.")
public class get_connection implements Callable<Integer> {
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

    /** Opening the forwards reads the StatefulSet; a stalled API server must not hold us. */
    private static final Duration OPEN_TIMEOUT = Duration.ofSeconds(30);

    public static void main(String... args) {
        ProcessExit.now(Cli.execute(new get_connection(), args));
    }

    /** The default path touches no Kubernetes or Kafka class: it answers in well under a second. */
    @Override
    public Integer call() throws Exception {
        if (!portForward) {
            print(KafkaEndpoints.clientBootstrap(namespace.get(), clusterDomain.get()));
            return Cli.OK;
        }
        KubernetesAccess access = context.configure();
        try (KubernetesClient client = access.client();
                PortForwards forwards = Deadline.run("get_connection", OPEN_TIMEOUT,
                        () -> PortForwards.open(client, access, namespace.get(),
                                AdminCredentials.read(client, access, namespace.get())))) {
            print(forwards.bootstrap());
            if (!forwards.reused()) {
                holdUntilInterrupted();
            }
            return Cli.OK;
        }
    }

    private void print(String connection) {
        Map<String, Object> facts = Output.facts("ok");
        facts.put("connection", connection);
        facts.put("namespace", namespace.get());
        facts.put("portForward", portForward);
        output.result(connection, facts);
    }

    private static void holdUntilInterrupted() throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown));
        stopped.await();
    }
}
