package common.kube;

import common.cli.CommandFailure;
import io.fabric8.kubernetes.api.model.AuthInfo;
import io.fabric8.kubernetes.api.model.Config;
import io.fabric8.kubernetes.api.model.NamedAuthInfo;
import io.fabric8.kubernetes.api.model.NamedContext;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Checks the kubeconfig files before the client reads them, so that each way they can be wrong gets its own line:
 * fabric8 falls back to the in-cluster address for an empty file or an unknown current-context, and prints a raw
 * YAML exception for one it cannot parse.
 */
final class Kubeconfig {
    private Kubeconfig() {
    }

    /** The files in KUBECONFIG order, merged as kubectl merges them (the first current-context wins). */
    static void check(List<File> files, String requestedContext) {
        List<NamedContext> contexts = new ArrayList<>();
        List<NamedAuthInfo> users = new ArrayList<>();
        String current = null;
        for (File file : files) {
            Config config = parse(file.toPath());
            if (config == null) {
                continue;
            }
            contexts.addAll(orEmpty(config.getContexts()));
            users.addAll(orEmpty(config.getUsers()));
            if (current == null && config.getCurrentContext() != null && !config.getCurrentContext().isBlank()) {
                current = config.getCurrentContext();
            }
        }
        String where = files.stream().map(File::getPath).collect(Collectors.joining(", "));
        if (contexts.isEmpty()) {
            throw new CommandFailure("the kubeconfig (" + where + ") has no contexts: point KUBECONFIG at your "
                    + "cluster's kubeconfig");
        }
        String names = contexts.stream().map(NamedContext::getName).collect(Collectors.joining(", "));
        String wanted = requestedContext != null ? requestedContext : current;
        if (wanted == null) {
            throw new CommandFailure("the kubeconfig (" + where + ") sets no current-context: pass --context (one of: "
                    + names + ")");
        }
        NamedContext context = contexts.stream().filter(c -> wanted.equals(c.getName())).findFirst()
                .orElseThrow(() -> new CommandFailure((requestedContext != null ? "context '" : "current-context '")
                        + wanted + "' not found in the kubeconfig (contexts: " + names + ")"));
        String userName = context.getContext() == null ? null : context.getContext().getUser();
        AuthInfo user = users.stream().filter(u -> Objects.equals(u.getName(), userName)).map(NamedAuthInfo::getUser)
                .filter(Objects::nonNull).findFirst().orElse(null);
        if (userName != null && user == null) {
            throw new CommandFailure("kubeconfig user '" + userName + "' of context '" + wanted + "' is not defined"
                    + " (users: " + users.stream().map(NamedAuthInfo::getName).collect(Collectors.joining(", ")) + ")");
        }
        if (user != null && user.getExec() != null && user.getExec().getCommand() != null
                && !installed(user.getExec().getCommand())) {
            throw new CommandFailure("the credential plugin '" + user.getExec().getCommand() + "' of kubeconfig user '"
                    + userName + "' is not installed (not found on PATH)");
        }
    }

    private static Config parse(Path file) {
        try {
            String text = Files.readString(file);
            if (text.isBlank()) {
                return null;
            }
            // The client's own shared mapper, which Config.autoConfigure reads the files with next: built once.
            return Serialization.unmarshal(text, Config.class);
        } catch (IOException | RuntimeException e) {
            String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            throw new CommandFailure("cannot read the kubeconfig " + file + ": "
                    + message.lines().findFirst().orElse("") + " (is it YAML?)");
        }
    }

    /** An executable at that path, or found on PATH, as the client would look for it. */
    private static boolean installed(String command) {
        if (command.contains(File.separator)) {
            return Files.isExecutable(Path.of(command));
        }
        String path = System.getenv("PATH");
        return path != null && java.util.Arrays.stream(path.split(File.pathSeparator))
                .anyMatch(dir -> Files.isExecutable(Path.of(dir, command)));
    }

    private static <T> List<T> orEmpty(List<T> list) {
        return list == null ? List.of() : list;
    }
}
