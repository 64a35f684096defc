package tests.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Runs the project's scripts as a user does: {@code ./jbang script.java args...} from the repository root. */
public final class Scripts {
    public static final Path ROOT = findRoot();
    private static final java.util.Set<String> BUILT = new java.util.HashSet<>();

    private Scripts() {
    }

    /** What a finished process left: its exit code, both streams, and how long it took. */
    public record Result(int exitCode, String stdout, String stderr, Duration elapsed) {
        @Override
        public String toString() {
            return "exit " + exitCode + " after " + elapsed.toMillis() + " ms\n--- stdout\n" + stdout + "--- stderr\n"
                    + stderr;
        }
    }

    public static Result run(String script, String... args) {
        return run(Map.of(), Duration.ofMinutes(3), script, args);
    }

    /** Runs {@code ./jbang script args} with extra environment variables; kills it after {@code limit}. */
    public static Result run(Map<String, String> environment, Duration limit, String script, String... args) {
        build(script);
        return runProcess(command(script, args), environment, limit);
    }

    /**
     * Runs {@code ./jbang script args} and kills it (SIGKILL, as an OOM kill or a lost terminal does) as soon as
     * {@code killWhen} holds; the result's exit code is then 137.
     */
    public static Result runKilledWhen(Map<String, String> environment, Duration limit, BooleanSupplier killWhen,
            String script, String... args) {
        build(script);
        return runProcess(command(script, args), environment, limit, false, ROOT, killWhen);
    }

    /**
     * Where JBang keeps a script's class-data archive, whether it exists or not: beside its jar, as
     * {@code jbang info tools} shows (which names the archive only while it exists). Runs the given wrapper from
     * {@code directory}.
     */
    public static Path classDataArchive(Path wrapper, Path directory, String script) {
        Result info = runProcess(List.of(wrapper.toString(), "info", "tools", script), Map.of(),
                Duration.ofMinutes(3), directory);
        java.util.regex.Matcher jar = java.util.regex.Pattern.compile("\"applicationJar\"\\s*:\\s*\"([^\"]+)\\.jar\"")
                .matcher(info.stdout());
        if (info.exitCode() != 0 || !jar.find()) {
            throw new IllegalStateException("jbang info tools " + script + " names no jar: " + info);
        }
        return Path.of(jar.group(1) + ".jsa");
    }

    /**
     * Starts {@code ./jbang script args} and leaves it running, for a command that holds until stopped
     * ({@code get_connection --port-forward}); its stderr is discarded.
     */
    public static Process start(Map<String, String> environment, String script, String... args)
            throws java.io.IOException {
        build(script);
        ProcessBuilder builder = new ProcessBuilder(command(script, args)).directory(ROOT.toFile())
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        builder.environment().putAll(environment);
        return builder.start();
    }

    private static List<String> command(String script, String... args) {
        List<String> command = new ArrayList<>(List.of(ROOT.resolve("jbang").toString(), script));
        command.addAll(Arrays.asList(args));
        return command;
    }

    /**
     * Builds a script once per test run, so that JBang's own "Building jar" lines and the compile time stay out of
     * what the tests observe.
     */
    public static synchronized void build(String script) {
        if (BUILT.add(script)) {
            Result result = runProcess(List.of(ROOT.resolve("jbang").toString(), "build", script), Map.of(),
                    Duration.ofMinutes(5));
            if (result.exitCode() != 0) {
                throw new AssertionError("jbang build " + script + " failed: " + result);
            }
        }
    }

    public static Result runProcess(List<String> command, Map<String, String> environment, Duration limit) {
        return runProcess(command, environment, limit, false, ROOT, null);
    }

    /** Runs a command in another folder. */
    public static Result runProcess(List<String> command, Map<String, String> environment, Duration limit,
            Path directory) {
        return runProcess(command, environment, limit, false, directory, null);
    }

    public static Result runProcess(List<String> command, Map<String, String> environment, Duration limit,
            boolean cleanEnvironment) {
        return runProcess(command, environment, limit, cleanEnvironment, ROOT, null);
    }

    /** Runs a command in another folder; with {@code cleanEnvironment} it sees only the given variables. */
    public static Result runProcess(List<String> command, Map<String, String> environment, Duration limit,
            boolean cleanEnvironment, Path directory) {
        return runProcess(command, environment, limit, cleanEnvironment, directory, null);
    }

    /**
     * Runs a command; with {@code cleanEnvironment} it sees only the given variables; killed once {@code killWhen}
     * (when not null) holds.
     */
    private static Result runProcess(List<String> command, Map<String, String> environment, Duration limit,
            boolean cleanEnvironment, Path directory, BooleanSupplier killWhen) {
        try {
            Path out = Files.createTempFile("script-out", ".txt");
            Path err = Files.createTempFile("script-err", ".txt");
            ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(out.toFile()).redirectError(err.toFile());
            if (cleanEnvironment) {
                builder.environment().clear();
            }
            builder.environment().putAll(environment);
            long start = System.nanoTime();
            Process process = builder.start();
            long end = start + limit.toNanos();
            while (killWhen != null && process.isAlive() && System.nanoTime() < end) {
                if (killWhen.getAsBoolean()) {
                    process.descendants().forEach(ProcessHandle::destroyForcibly);
                    process.destroyForcibly();
                    break;
                }
                Thread.sleep(50);
            }
            if (!process.waitFor(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly().waitFor();
                throw new AssertionError(command + " did not finish within " + limit + "\n--- stdout\n"
                        + Files.readString(out) + "--- stderr\n" + Files.readString(err));
            }
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            Result result = new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8), elapsed);
            Files.delete(out);
            Files.delete(err);
            return result;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Path findRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.exists(dir.resolve("deploy.java")) && Files.exists(dir.resolve("common"))) {
                return dir;
            }
        }
        throw new IllegalStateException("run the tests from the repository (no deploy.java above " + Path.of("")
                .toAbsolutePath() + ")");
    }
}
