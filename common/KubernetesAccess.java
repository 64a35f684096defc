package common;

import io.fabric8.kubernetes.api.model.NamedContext;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import java.io.File;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.channels.ClosedChannelException;
import java.net.http.HttpTimeoutException;
import java.util.concurrent.TimeoutException;

/**
 * Opens a client to the Kubernetes API the way kubectl finds it ({@code KUBECONFIG}, {@code ~/.kube/config}, or the
 * pod's service account; {@code --context} picks a context), with bounded timeouts and no retries, and turns its
 * failures into one line naming the context and server.
 */
public final class KubernetesAccess {
    private static final int CONNECT_TIMEOUT_MS = 5_000;
    private static final int REQUEST_TIMEOUT_MS = 10_000;

    private final Config config;
    private final String where;

    private KubernetesAccess(Config config) {
        this.config = config;
        NamedContext context = config.getCurrentContext();
        this.where = (context == null ? "" : "context '" + context.getName() + "', ") + "server " + config.getMasterUrl();
    }

    /** Reads the kubeconfig; fails with one line when there is none or the context is unknown. */
    public static KubernetesAccess configure(String context) {
        boolean inCluster = System.getenv("KUBERNETES_SERVICE_HOST") != null;
        if (!inCluster && Config.getKubeconfigFilenames().stream().map(File::new).noneMatch(File::isFile)) {
            throw new CommandFailure("no kubeconfig found (looked at " + String.join(", ",
                    Config.getKubeconfigFilenames()) + "): set KUBECONFIG or create ~/.kube/config");
        }
        Config config = Config.autoConfigure(context);
        if (context != null && (config.getCurrentContext() == null
                || !context.equals(config.getCurrentContext().getName()))) {
            throw new CommandFailure("context '" + context + "' not found in the kubeconfig");
        }
        config.setConnectionTimeout(CONNECT_TIMEOUT_MS);
        config.setRequestTimeout(REQUEST_TIMEOUT_MS);
        config.setRequestRetryBackoffLimit(0);
        return new KubernetesAccess(config);
    }

    public KubernetesClient client() {
        return new KubernetesClientBuilder().withConfig(config).withHttpClientFactory(new JdkHttpClientFactory()).build();
    }

    /** One line for the user: what was tried, where, and why it failed. */
    public CommandFailure failure(String action, KubernetesClientException error) {
        String serverSaid = firstLine(error.getStatus() == null ? error.getMessage() : error.getStatus().getMessage());
        String cause = switch (error.getCode()) {
            case 401 -> "401 Unauthorized: the credentials of this context were refused";
            case 403 -> "403 Forbidden: " + serverSaid;
            default -> error.getCode() > 0 ? error.getCode() + " " + serverSaid : rootCause(error);
        };
        return new CommandFailure(action + " failed (" + where + "): " + cause, error);
    }

    /** The cause a person can act on, looked for along the whole chain (HTTP clients wrap it differently). */
    private static String rootCause(Throwable error) {
        Throwable root = error;
        for (Throwable cause = error; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (cause instanceof ConnectException || cause instanceof ClosedChannelException) {
                return "cannot reach the API server (connection refused or closed)";
            }
            if (cause instanceof UnknownHostException) {
                return "cannot resolve the API server's host name";
            }
            if (cause instanceof HttpTimeoutException || cause instanceof TimeoutException
                    || cause instanceof SocketTimeoutException) {
                return "the API server did not answer in time";
            }
            root = cause;
        }
        return firstLine(root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage());
    }

    private static String firstLine(String text) {
        return text == null ? "" : text.lines().findFirst().orElse("");
    }
}
