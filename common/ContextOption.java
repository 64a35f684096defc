package common;

import picocli.CommandLine.Option;

/** kubectl's {@code --context}: which kubeconfig context to use (default: the current one). */
public class ContextOption {
    @Option(names = "--context", paramLabel = "CONTEXT",
            description = "Kubeconfig context (default: the current one; KUBECONFIG is honoured).")
    String context;

    public KubernetesAccess configure() {
        return KubernetesAccess.configure(context);
    }
}
