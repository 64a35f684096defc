package common.cli;

import common.kube.KubernetesAccess;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * kubectl's {@code --context} (which kubeconfig context to use; default: the current one) and
 * {@code --request-timeout} (how long one request to the API server may take).
 */
public class ContextOption {
    @Option(names = "--context", paramLabel = "CONTEXT",
            description = "Kubeconfig context (default: the current one; honours KUBECONFIG).")
    String context;

    @Option(names = "--request-timeout", paramLabel = "TIME", converter = DurationParameter.class,
            description = "Longest wait for one API server request, e.g. 10s (default: 10s).")
    Duration requestTimeout = KubernetesAccess.DEFAULT_REQUEST_TIMEOUT;

    public KubernetesAccess configure() {
        return KubernetesAccess.configure(context, requestTimeout);
    }
}
