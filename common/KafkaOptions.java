package common;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * How a command reaches Kafka: {@code --bootstrap-server} when given; the Service DNS name inside a pod; otherwise
 * port-forwards through the Kubernetes API. {@code --timeout} bounds all of it.
 */
public class KafkaOptions {
    @Option(names = "--bootstrap-server", paramLabel = "HOST:PORT",
            description = "Kafka address to use instead of reaching the cluster through Kubernetes.")
    String bootstrapServer;

    @Option(names = "--timeout", paramLabel = "DURATION", converter = DurationParameter.class, defaultValue = "30s",
            description = "Give up after this long (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    public Duration timeout() {
        return timeout;
    }

    public boolean viaKubernetes() {
        return bootstrapServer == null;
    }

    /** Connects; {@code client} and {@code access} are used only when Kafka must be reached through Kubernetes. */
    public KafkaAccess connect(String namespace, KubernetesClient client, KubernetesAccess access) {
        return connect(namespace, client, access, timeout);
    }

    /** As {@link #connect(String, KubernetesClient, KubernetesAccess)}, within what is left of a longer wait. */
    public KafkaAccess connect(String namespace, KubernetesClient client, KubernetesAccess access, Duration timeout) {
        if (bootstrapServer != null) {
            return KafkaAccess.direct(bootstrapServer, timeout);
        }
        if (KafkaAccess.insideKubernetes()) {
            return KafkaAccess.direct(KafkaEndpoints.podLocalBootstrap(namespace), timeout);
        }
        return KafkaAccess.portForwarded(client, access, namespace, timeout);
    }
}
