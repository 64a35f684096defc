package common.kube;

import common.cli.CommandFailure;
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
import java.net.http.HttpTimeoutException;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeoutException;

/**
 * Opens a client to the Kubernetes API the way kubectl finds it ({@code KUBECONFIG}, {@code ~/.kube/config}, or the
 * pod's service account; {@code --context} picks a context), with bounded timeouts and no retries, and turns its
 * failures into one line naming the context and server.
 */
public final class KubernetesAccess {
    private static final int CONNECT_TIMEOUT_MS = 5_000;
    /** kubectl waits forever by default; a command here has a deadline, and one stalled request must not take it. */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);

    private final Config config;
    private final String where;

    private KubernetesAccess(Config config) {
        this.config = config;
        NamedContext context = config.getCurrentContext();
        this.where = (context == null ? "" : "context '" + context.getName() + "', ") + "server "
                + withoutCredentials(config.getMasterUrl());
    }

    /**
     * Reads the kubeconfig; fails with one line when there is none, it cannot be read, it names no usable
     * context, or its credential plugin is missing. Each request to the API server is bounded by
     * {@code requestTimeout}, its headers and then its body.
     */
    public static KubernetesAccess configure(String context, Duration requestTimeout) {
        boolean inCluster = System.getenv("KUBERNETES_SERVICE_HOST") != null;
        List<File> files = Config.getKubeconfigFilenames().stream().map(File::new).filter(File::isFile).toList();
        if (files.isEmpty() && !inCluster) {
            throw new Failure("no kubeconfig found (looked at " + String.join(", ",
                    Config.getKubeconfigFilenames()) + "): set KUBECONFIG or create ~/.kube/config", null);
        }
        if (!files.isEmpty()) {
            try {
                Kubeconfig.check(files, context);
            } catch (CommandFailure wrong) {
                throw new Failure(wrong.getMessage(), null);
            }
        }
        Config config;
        try {
            config = Config.autoConfigure(context);
        } catch (RuntimeException unusable) {
            String message = unusable.getMessage() == null ? unusable.getClass().getSimpleName() : unusable.getMessage();
            throw new Failure("cannot use the kubeconfig: " + message.lines().findFirst().orElse(""), unusable);
        }
        if (context != null && (config.getCurrentContext() == null
                || !context.equals(config.getCurrentContext().getName()))) {
            throw new Failure("context '" + context + "' not found in the kubeconfig", null);
        }
        hideCredentialsInUrl(config);
        config.setConnectionTimeout(CONNECT_TIMEOUT_MS);
        config.setRequestTimeout(Math.toIntExact(requestTimeout.toMillis()));
        config.setRequestRetryBackoffLimit(0);
        return new KubernetesAccess(config);
    }

    public KubernetesClient client() {
        Duration requestTimeout = Duration.ofMillis(config.getRequestTimeout());
        return new KubernetesClientBuilder().withConfig(config).withHttpClientFactory(new JdkHttpClientFactory())
                .withHttpClientBuilderConsumer(builder -> builder.addOrReplaceInterceptor(ResponseBodyDeadline.NAME,
                        new ResponseBodyDeadline(requestTimeout)))
                .build();
    }

    /** The Kubernetes API could not be used: not Kafka's fault, nor the cluster's health. */
    public static final class Failure extends CommandFailure {
        Failure(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** One line for the user: what was tried, where, and why it failed. */
    public Failure failure(String action, KubernetesClientException error) {
        String serverSaid = firstLine(error.getStatus() == null ? error.getMessage() : error.getStatus().getMessage());
        String cause = switch (error.getCode()) {
            case 401 -> "401 Unauthorized: the credentials of this context were refused";
            case 403 -> "403 Forbidden: " + serverSaid;
            default -> error.getCode() > 0 ? error.getCode() + " " + serverSaid : rootCause(error);
        };
        return new Failure(action + " failed (" + where + "): " + cause, error);
    }

    /** The cause a person can act on, looked for along the whole chain (HTTP clients wrap it differently). */
    private String rootCause(Throwable error) {
        Throwable root = error;
        for (Throwable cause = error; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (cause instanceof ConnectException || cause instanceof ClosedChannelException) {
                return "cannot reach the API server (connection refused or closed)";
            }
            if (cause instanceof UnknownHostException) {
                return "cannot resolve the API server's host name";
            }
            if (cause instanceof HttpTimeoutException || cause instanceof TimeoutException
                    || cause instanceof SocketTimeoutException || cause instanceof CancellationException) {
                // A cancellation is ResponseBodyDeadline's: the headers came, the body did not.
                return "the API server did not answer within " + Math.round(config.getRequestTimeout() / 1000.0)
                        + "s (--request-timeout)";
            }
            root = cause;
        }
        return firstLine(root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage());
    }

    /**
     * A server URL's user:password@ becomes the client's basic-auth settings, so that the URL, which errors and
     * logs print, carries no secret.
     */
    private static void hideCredentialsInUrl(Config config) {
        String url = config.getMasterUrl();
        String clean = withoutCredentials(url);
        if (url == null || url.equals(clean)) {
            return;
        }
        String userInfo = java.net.URI.create(url).getRawUserInfo();
        if (userInfo != null && config.getUsername() == null) {
            String[] parts = userInfo.split(":", 2);
            config.setUsername(java.net.URLDecoder.decode(parts[0], java.nio.charset.StandardCharsets.UTF_8));
            config.setPassword(parts.length > 1
                    ? java.net.URLDecoder.decode(parts[1], java.nio.charset.StandardCharsets.UTF_8) : null);
        }
        config.setMasterUrl(clean);
    }

    /** A server URL as it may be shown: without any user:password@. */
    static String withoutCredentials(String url) {
        return url == null ? null : url.replaceFirst("^([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@]*@", "$1");
    }

    private static String firstLine(String text) {
        return text == null ? "" : text.lines().findFirst().orElse("");
    }
}
