package common.cli;

import common.kafka.KafkaAccess;
import common.kube.KubernetesAccess;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** How a command reaches Kafka ({@link BootstrapServerOption}), and {@code --timeout}, which bounds all of it. */
public class KafkaOptions {
    @Mixin
    BootstrapServerOption bootstrap;

    @Option(names = "--timeout", paramLabel = "DURATION", converter = DurationParameter.class, defaultValue = "30s",
            description = "Give up after this long (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    public Duration timeout() {
        return timeout;
    }

    public boolean viaKubernetes() {
        return !bootstrap.given();
    }

    /** Connects; {@code client} and {@code access} are used only when Kafka must be reached through Kubernetes. */
    public KafkaAccess connect(String namespace, KubernetesClient client, KubernetesAccess access) {
        return bootstrap.connect(namespace, client, access, timeout);
    }

    /** As {@link #connect(String, KubernetesClient, KubernetesAccess)}, within what is left of a longer wait. */
    public KafkaAccess connect(String namespace, KubernetesClient client, KubernetesAccess access, Duration left) {
        return bootstrap.connect(namespace, client, access, left);
    }
}
