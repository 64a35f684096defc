package common.cli;

import common.cluster.KafkaEndpoints;
import common.kafka.KafkaAccess;
import common.kube.AdminCredentials;
import common.kube.KubernetesAccess;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code --bootstrap-server}, and how a command reaches Kafka without it: the Service DNS name inside a pod,
 * otherwise port-forwards through the Kubernetes API.
 */
public class BootstrapServerOption {
    private static final Pattern ADDRESS = Pattern.compile("(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9_.-]+):([0-9]{1,5})");

    @Spec(Spec.Target.MIXEE)
    private CommandSpec command;

    private String bootstrapServer;

    @Option(names = "--bootstrap-server", paramLabel = "ADDR",
            description = "Kafka host:port[,...] to use instead of going through Kubernetes.")
    void setBootstrapServer(String value) {
        for (String address : value.split(",")) {
            Matcher parts = ADDRESS.matcher(address.trim());
            int port = parts.matches() ? Integer.parseInt(parts.group(2)) : -1;
            if (port < 1 || port > 65535) {
                throw new ParameterException(command.commandLine(), "invalid --bootstrap-server '" + address
                        + "': expected host:port with a port from 1 to 65535");
            }
        }
        bootstrapServer = value;
    }

    private java.nio.file.Path commandConfig;

    @Option(names = "--command-config", paramLabel = "FILE",
            description = "Kafka client properties for --bootstrap-server (TLS, SASL).")
    void setCommandConfig(java.nio.file.Path file) {
        commandConfig = file;
    }

    public boolean given() {
        return bootstrapServer != null;
    }

    /** Whether Kafka is reached without the Kubernetes API (no port-forward, which needs the pods first). */
    public boolean direct() {
        return bootstrapServer != null || KafkaAccess.insideKubernetes();
    }

    /** Kafka's own client settings from --command-config (as kafka-topics.sh reads them), or none. */
    private Map<String, Object> commandConfig() {
        if (commandConfig == null) {
            return Map.of();
        }
        if (bootstrapServer == null) {
            throw new ParameterException(command.commandLine(), "--command-config configures the client of "
                    + "--bootstrap-server: give both (through Kubernetes the tool finds its own credentials)");
        }
        java.util.Properties properties = new java.util.Properties();
        try (var reader = java.nio.file.Files.newBufferedReader(commandConfig)) {
            properties.load(reader);
        } catch (java.io.IOException | IllegalArgumentException e) {
            throw new CommandFailure("cannot read --command-config " + commandConfig + ": " + e.getMessage());
        }
        Map<String, Object> settings = new java.util.LinkedHashMap<>();
        properties.forEach((key, value) -> settings.put(key.toString(), value));
        return settings;
    }

    /** Connects; {@code client} and {@code access} are used only when Kafka must be reached through Kubernetes. */
    public KafkaAccess connect(String namespace, KubernetesClient client, KubernetesAccess access, Duration timeout) {
        if (bootstrapServer != null) {
            return KafkaAccess.direct(bootstrapServer, timeout, commandConfig());
        }
        if (KafkaAccess.insideKubernetes()) {
            return KafkaAccess.direct(KafkaEndpoints.podLocalBootstrap(namespace), timeout, client == null
                    ? Map.of() : AdminCredentials.read(client, access, namespace));
        }
        return KafkaAccess.portForwarded(client, access, namespace, timeout);
    }
}
