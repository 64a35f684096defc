package tests.support;

import common.cluster.KafkaEndpoints;
import common.cluster.KafkaManifests;
import common.cluster.KraftQuorum;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * Real Apache Kafka nodes, one process each, configured exactly as the pods of a rendered StatefulSet: the test runs
 * the container's own start command (with the image entrypoint swapped for a dump of the environment it would get),
 * then the image's own env-to-properties translation ({@code kafka.docker.KafkaDockerWrapper setup}, in the Kafka
 * jar), then Kafka. Only host names, ports and the data path are mapped to this machine.
 */
public final class KafkaNodes implements AutoCloseable {
    private static final String LOG4J = "org.apache.logging.log4j:log4j-slf4j-impl:2.25.3";
    /**
     * The Kafka releases whose images this harness's kubelet pulls: the tool's own, and the release line before it
     * for upgrades and roll-backs. Their jars come from Maven Central.
     */
    public static final java.util.Set<String> SERVED_VERSIONS = java.util.Set.of(common.cli.ToolVersion.KAFKA,
            "4.3.2");
    private static final Map<String, String> MISLABELLED = new java.util.concurrent.ConcurrentHashMap<>();
    /** The Kafka server's classpath of each release, resolved once from Maven Central through JBang. */
    private static final Map<String, String> CLASSPATHS = new java.util.concurrent.ConcurrentHashMap<>();

    /** Where the image's entrypoint writes server.properties ({@code --final-configs-dir}). */
    static final String IMAGE_CONFIG_DIR = "/opt/kafka/config";
    /** kafka-run-class.sh's LOG_DIR: it creates it, and log4j2 writes the broker's log files there. */
    static final String IMAGE_LOG_DIR = "/opt/kafka/logs";
    static final String IMAGE_DEFAULT_CONFIGS_DIR = "/etc/kafka/docker";
    static final String IMAGE_MOUNTED_CONFIGS_DIR = "/mnt/shared/config";

    private final KafkaManifests manifests;
    /** Extra KAFKA_* settings a test adds on top of the pod's environment (named where used). */
    private final Map<String, String> testSettings;
    /** Room for nodes a scale-up adds. */
    private static final int MAX_NODES = 8;
    /** The pod template each node was last started from (a scale-up or a roll brings a newer one). */
    private final StatefulSet[] templates = new StatefulSet[MAX_NODES];
    private int replicas;
    private final Path workDir;
    private final PodUser user;
    private static final Pattern POD_NAME = Pattern.compile(KafkaEndpoints.CLUSTER_NAME + "-(\\d+)");
    private final Map<String, Integer> hostPorts = new HashMap<>();
    private final Process[] processes;
    /** Each node's current container file system: a new one at every start. */
    private final ContainerFilesystem[] filesystems;
    private final int[] starts;
    /** What each node's process gets, mapped to this machine; the same on every (re)start, as a pod's env is. */
    private final Map<Integer, Map<String, String>> environments = new HashMap<>();
    /** The formation ConfigMap deploy wrote for this cluster, while it exists. */
    private ConfigMap formation;
    /** The Secrets the kubelet mounts, by name (decoded keys; null when missing): read at every container start. */
    private final java.util.function.Function<String, Map<String, String>> secrets;

    private KafkaNodes(KafkaManifests manifests, Map<String, String> testSettings, Path workDir,
            java.util.function.Function<String, Map<String, String>> secrets) {
        this.manifests = manifests;
        this.secrets = secrets;
        // Deploy creates a new cluster with its formation; a static quorum needs none.
        this.formation = manifests.quorum() == KraftQuorum.DYNAMIC ? manifests.formation() : null;
        this.testSettings = testSettings;
        StatefulSet statefulSet = manifests.statefulSet();
        this.replicas = statefulSet.getSpec().getReplicas();
        java.util.Arrays.fill(templates, 0, replicas, statefulSet);
        this.workDir = workDir;
        this.user = PodUser.admit(manifests.platform(), statefulSet.getSpec().getTemplate().getSpec());
        this.processes = new Process[MAX_NODES];
        this.filesystems = new ContainerFilesystem[MAX_NODES];
        this.starts = new int[MAX_NODES];
    }

    /** Starts every replica of the rendered StatefulSet and waits until each answers with the full cluster. */
    public static KafkaNodes start(KafkaManifests manifests) throws Exception {
        return start(manifests, Map.of());
    }

    /**
     * As {@link #start(KafkaManifests)}, with settings a test adds to every node's environment: only to stand in
     * for what a real cluster has and a test machine lacks (e.g. a backlog too large to replicate in one fetch).
     */
    public static KafkaNodes start(KafkaManifests manifests, Map<String, String> testSettings) throws Exception {
        return start(manifests, testSettings, Integer.MAX_VALUE);
    }

    /**
     * As {@link #start(KafkaManifests, Map)}, with only the first {@code firstVoters} nodes in the formation: the
     * others format as observers, as pods added to a running cluster do (deploy scaling up), and wait to be added.
     */
    public static KafkaNodes start(KafkaManifests manifests, Map<String, String> testSettings, int firstVoters)
            throws Exception {
        KafkaNodes nodes = new KafkaNodes(manifests, testSettings, Files.createTempDirectory("kafka-nodes"),
                newSecrets(manifests));
        if (nodes.formation != null) {
            String voters = nodes.formation.getData().get(KraftQuorum.INITIAL_CONTROLLERS);
            nodes.formation = new io.fabric8.kubernetes.api.model.ConfigMapBuilder(nodes.formation)
                    .withData(Map.of(KraftQuorum.INITIAL_CONTROLLERS, java.util.Arrays.stream(voters.split(","))
                            .limit(firstVoters).collect(Collectors.joining(",")))).build();
        }
        return startEach(nodes);
    }

    /**
     * Starts every replica as applying the YAML {@code deploy --dry-run} prints would: the pods read the formation
     * that YAML holds ({@code null}: it holds none), not one deploy writes.
     */
    public static KafkaNodes startApplied(KafkaManifests manifests, ConfigMap formation) throws Exception {
        KafkaNodes nodes = new KafkaNodes(manifests, Map.of(), Files.createTempDirectory("kafka-nodes"),
                newSecrets(manifests));
        nodes.formation = formation;
        return startEach(nodes);
    }

    /**
     * Starts a secure cluster's nodes (see {@link common.cluster.ClusterSecurity#TLS}), whose pods mount the
     * Secrets deploy made: read through {@code client} at every container start, as the kubelet reads them.
     */
    public static KafkaNodes startSecure(KafkaManifests manifests,
            io.fabric8.kubernetes.client.KubernetesClient client) throws Exception {
        String namespace = manifests.namespaceName();
        KafkaNodes nodes = new KafkaNodes(manifests, Map.of(), Files.createTempDirectory("kafka-nodes"),
                name -> decoded(client.secrets().inNamespace(namespace).withName(name).get()));
        return startEach(nodes);
    }

    /**
     * A secure cluster's Secrets as someone made them before applying its YAML (deploy, or a GitOps repository's
     * secret store), with the keys deploy gives them; none for an open cluster.
     */
    private static java.util.function.Function<String, Map<String, String>> newSecrets(KafkaManifests manifests) {
        if (manifests.security() != common.cluster.ClusterSecurity.TLS) {
            return name -> null;
        }
        Map<String, Map<String, String>> made = new HashMap<>();
        for (var secret : common.cluster.certificates.CredentialSecrets.make(manifests,
                common.cluster.ClusterCredentials.secretNames(), Map.of(), java.time.Instant.now())) {
            made.put(secret.getMetadata().getName(), decoded(secret));
        }
        return made::get;
    }

    /**
     * Kafka's client config file ({@code --command-config}) that signs in as the admin user; an empty file for an
     * open cluster. Only the owner may read it.
     */
    public Path commandConfig() throws IOException {
        Path file = Files.createTempFile(workDir, "admin", ".properties",
                java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        Properties properties = new Properties();
        properties.putAll(clientProperties(common.cluster.ClusterCredentials.ADMIN_SECRET));
        try (var out = Files.newBufferedWriter(file)) {
            properties.store(out, null);
        }
        return file;
    }

    /** A Secret's keys, decoded (null for no Secret). */
    public static Map<String, String> decoded(io.fabric8.kubernetes.api.model.Secret secret) {
        if (secret == null) {
            return null;
        }
        Map<String, String> data = new LinkedHashMap<>();
        if (secret.getData() != null) {
            secret.getData().forEach((key, value) -> data.put(key, new String(java.util.Base64.getDecoder()
                    .decode(value), java.nio.charset.StandardCharsets.UTF_8)));
        }
        if (secret.getStringData() != null) {
            data.putAll(secret.getStringData());
        }
        return data;
    }

    private static KafkaNodes startEach(KafkaNodes nodes) throws Exception {
        try {
            for (int i = 0; i < nodes.replicas; i++) {
                nodes.setUp(i);
            }
            for (int i = 0; i < nodes.replicas; i++) {
                nodes.launch(i);
            }
            nodes.awaitBrokers(nodes.replicas, Duration.ofSeconds(120));
            return nodes;
        } catch (Exception | AssertionError e) {
            nodes.close();
            throw e;
        }
    }

    public int replicas() {
        return replicas;
    }

    /** The address a node's client listener binds and advertises here. */
    public String clientAddress(int node) {
        return "127.0.0.1:" + hostPort(node, KafkaEndpoints.CLIENT_PORT);
    }

    /** Where a secure node's replication listener binds and advertises here. */
    public String replicationAddress(int node) {
        return "127.0.0.1:" + hostPort(node, KafkaEndpoints.REPLICATION_PORT);
    }

    /** Where the node's controller listener binds and advertises here. */
    public String controllerAddress(int node) {
        return "127.0.0.1:" + hostPort(node, KafkaEndpoints.CONTROLLER_PORT);
    }

    /** Where this node's port-forward listener is reached directly here (it advertises localhost:19092+ordinal). */
    public String portForwardAddress(int node) {
        return "127.0.0.1:" + hostPort(node, KafkaEndpoints.PORT_FORWARD_PORT);
    }

    /**
     * The pods' network as a port-forward reaches it: a running node's container port, mapped to its port here; null
     * for a stopped node or another namespace's pod.
     */
    public ApiServer.PodNetwork podNetwork(String namespace) {
        return (podNamespace, pod, containerPort) -> {
            Matcher ordinal = POD_NAME.matcher(pod);
            if (!podNamespace.equals(namespace) || !ordinal.matches()) {
                return null;
            }
            int node = Integer.parseInt(ordinal.group(1));
            return node < processes.length && running(node) ? hostPort(node, containerPort) : null;
        };
    }

    public String bootstrapServers() {
        return java.util.stream.IntStream.range(0, replicas).mapToObj(this::clientAddress)
                .collect(Collectors.joining(","));
    }

    /** Where a path inside the node's container is on this machine, for its current start. */
    public Path hostPath(int node, String containerPath) {
        return filesystems[node].hostPath(containerPath);
    }

    public Admin admin(String bootstrap) {
        Properties props = new Properties();
        props.putAll(clientProperties(common.cluster.ClusterCredentials.ADMIN_SECRET));
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "20000");
        return Admin.create(props);
    }

    /**
     * What a client needs to sign in as the user of Secret {@code userSecret} on a secure cluster (nothing on an
     * open one, as the pods now run): its JAAS line and the cluster's CA, read from the Secrets deploy made.
     */
    public Map<String, Object> clientProperties(String userSecret) {
        if (security(0) != common.cluster.ClusterSecurity.TLS) {
            return Map.of();
        }
        Map<String, String> user = secrets.apply(userSecret);
        Map<String, String> ca = secrets.apply(common.cluster.ClusterCredentials.CA_CERT_SECRET);
        return common.cluster.ClusterCredentials.clientProperties(user.get(common.cluster.ClusterCredentials
                .JAAS_CONFIG), ca.get(common.cluster.ClusterCredentials.CA_CERTIFICATE));
    }

    /** Stops a node the way the kubelet does: SIGTERM, then a kill after the grace period. */
    public void stop(int node) throws InterruptedException {
        Process process = processes[node];
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
        processes[node] = null;
    }

    /** Stops these nodes at the same time, each as {@link #stop} does. */
    public void stopTogether(java.util.Collection<Integer> stopping) throws InterruptedException {
        for (int node : stopping) {
            if (processes[node] != null) {
                processes[node].destroy();
            }
        }
        for (int node : stopping) {
            stop(node);
        }
    }

    /**
     * Stops every node at once, as deleting all pods or rebooting the Kubernetes node does: SIGTERM to all, then
     * a kill after {@code grace}. Without a quorum the last brokers cannot finish a controlled shutdown, so with
     * a short grace this is also an unclean stop, which the next start must recover from.
     */
    public void stopAll(Duration grace) throws InterruptedException {
        for (Process process : processes) {
            if (process != null) {
                process.destroy();
            }
        }
        long deadline = System.nanoTime() + grace.toNanos();
        for (int i = 0; i < replicas; i++) {
            Process process = processes[i];
            if (process != null && !process.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                process.destroyForcibly().waitFor();
            }
            processes[i] = null;
        }
    }

    /** The formation's first voters, while deploy has not yet deleted it; null after {@link #endFormation()}. */
    public String initialControllers() {
        return formation == null ? null : formation.getData().get(KraftQuorum.INITIAL_CONTROLLERS);
    }

    /** What deploy does once every broker is Ready: the formation is gone, pods started from now on read none. */
    public synchronized void endFormation() {
        formation = null;
        environments.clear();
    }

    /** A stopped node's volume replaced by an empty one, as after a lost disk or a deleted claim. */
    public void replaceVolume(int node) {
        if (running(node)) {
            throw new IllegalStateException("node " + node + " is running");
        }
        try (var claims = Files.list(workDir.resolve("node-" + node))) {
            claims.filter(path -> path.getFileName().toString().startsWith("claim-"))
                    .forEach(KafkaNodes::deleteRecursively);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * Starts a node from a newer pod template, as the StatefulSet controller does for a pod it creates: a new
     * ordinal (a scale-up) or a stopped node (a roll), on its volume.
     */
    public synchronized void start(int node, StatefulSet template) throws Exception {
        if (running(node)) {
            throw new IllegalStateException("node " + node + " is running");
        }
        templates[node] = template;
        environments.remove(node);
        replicas = Math.max(replicas, node + 1);
        setUp(node);
        launch(node);
    }

    /** How many times node {@code node}'s container has started. */
    public synchronized int starts(int node) {
        return starts[node];
    }

    /**
     * Starts a stopped node's container again in the same pod, as the kubelet does after a crash or an OOMKill: the
     * pod's folders (the rendered config among them) and the volume are still there, so the launch starts Kafka
     * alone (see LaunchTest).
     */
    public void restartContainer(int node) throws IOException {
        launch(node);
    }

    /** Starts a stopped node again on its existing data, as a restarted pod does. */
    public void restart(int node) throws Exception {
        setUp(node);
        launch(node);
    }

    @Override
    public void close() throws InterruptedException {
        for (int i = 0; i < replicas; i++) {
            Process process = processes[i];
            if (process != null) {
                process.destroy();
            }
        }
        for (int i = 0; i < replicas; i++) {
            stop(i);
        }
        deleteRecursively(workDir);
    }

    private static void deleteRecursively(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // a temp folder left behind is harmless
        }
    }

    /**
     * Waits until the node accepts connections on both container ports, and fails if {@code later} ever accepts
     * while {@code earlier} does not: each poll checks {@code later} first, so an {@code earlier} port that opened
     * first is seen open however long the machine takes between the two checks.
     */
    public void awaitOpensNoLaterThan(int node, Duration limit, int earlier, int later) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            boolean laterOpen = accepts(hostPort(node, later));
            boolean earlierOpen = accepts(hostPort(node, earlier));
            if (laterOpen && !earlierOpen) {
                throw new AssertionError("node " + node + " accepted on port " + later + " before port " + earlier);
            }
            if (laterOpen) {
                return;
            }
            Thread.sleep(5);
        }
        throw new AssertionError("node " + node + " did not open port " + later + " within " + limit);
    }

    /** Whether the node's process runs (a stopped node is a container that is not running). */
    public synchronized boolean running(int node) {
        return processes[node] != null && processes[node].isAlive();
    }

    /** Whether a node's container port accepts connections, as a tcpSocket probe checks it. */
    public boolean accepts(int node, int containerPort) {
        return accepts(hostPort(node, containerPort));
    }

    private static boolean accepts(int port) {
        try (java.net.Socket socket = new java.net.Socket()) {
            socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 100);
            return true;
        } catch (IOException notYet) {
            return false;
        }
    }

    /** Waits until a client reaches the given number of brokers (bounded). */
    public void awaitBrokers(int expected, Duration limit) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        Exception last = null;
        try (Admin admin = admin(bootstrapServers())) {
            while (System.nanoTime() < deadline) {
                try {
                    int brokers = admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).size();
                    if (brokers == expected) {
                        return;
                    }
                } catch (Exception e) {
                    last = e;
                }
                Thread.sleep(500);
            }
        }
        throw new AssertionError("Kafka did not show " + expected + " brokers within " + limit + " (last error: "
                + last + ")\n" + logTails());
    }

    /**
     * Does what the image's entrypoint does before Kafka starts, on a new container file system: its configure
     * step, then {@code KafkaDockerWrapper setup} (server.properties from the environment, storage formatted).
     */
    private void setUp(int node) throws Exception {
        Path nodeDir = workDir.resolve("node-" + node);
        ContainerFilesystem filesystem = new ContainerFilesystem(templates[node], nodeDir, ++starts[node], user.uid(),
                user.gid(), secrets);
        filesystems[node] = filesystem;
        Map<String, String> environment = environment(node);
        // The image's configure step exits unless it may write here ("path /opt/kafka/config/ writable").
        requireWritable(filesystem, IMAGE_CONFIG_DIR, "the image's configure step exits");
        requireWritable(filesystem, IMAGE_LOG_DIR, "kafka-run-class.sh cannot create the broker's log folder");
        for (String logDir : manifests.environment().get("KAFKA_LOG_DIRS").split(",")) {
            requireWritable(filesystem, logDir, "Kafka cannot create its log dir");
        }
        List<String> setup = List.of(javaExecutable(), "-cp", classpath(node), "kafka.docker.KafkaDockerWrapper", "setup",
                "--default-configs-dir", filesystem.directory(IMAGE_DEFAULT_CONFIGS_DIR).toString(),
                "--mounted-configs-dir", filesystem.directory(IMAGE_MOUNTED_CONFIGS_DIR).toString(),
                "--final-configs-dir", filesystem.directory(IMAGE_CONFIG_DIR).toString());
        Scripts.Result result = runClean(setup, environment, Duration.ofMinutes(2));
        String output = result.stdout() + result.stderr();
        if (manifests.quorum() == KraftQuorum.STATIC) {
            // The image's launch script tolerates exactly this on a restarted pod's volume.
            if (result.exitCode() != 0 && !output.contains("already formatted")) {
                throw new AssertionError("storage setup failed for node " + node + ": " + result);
            }
            return;
        }
        // The pod's own launch (KraftQuorum.launch): setup tolerated only for its refusal to format, then the format.
        if (result.exitCode() != 0 && !output.contains(KraftQuorum.SETUP_REFUSAL)) {
            throw new AssertionError("setup failed for node " + node + ": " + result);
        }
        if (Files.exists(hostPath(node, KraftQuorum.FORMATTED))) {
            return; // the launch formats a volume once
        }
        List<String> format;
        if (security(node) == common.cluster.ClusterSecurity.NONE) {
            format = new ArrayList<>(List.of(javaExecutable(), "-cp", classpath(node),
                    "kafka.tools.StorageTool", "format", "--cluster-id", environment.get("CLUSTER_ID"), "--config",
                    hostPath(node, IMAGE_CONFIG_DIR + "/server.properties").toString(), "--ignore-formatted"));
            format.addAll(List.of(environment.get("FORMAT_QUORUM").split(" ")));
        } else {
            format = List.of(javaExecutable(), "-cp", classpath(node), "@" + formatArgumentFile(node, environment));
        }
        Scripts.Result formatted = runClean(format, environment, Duration.ofMinutes(2));
        if (formatted.exitCode() != 0) {
            throw new AssertionError("format failed for node " + node + ": " + formatted);
        }
    }

    /**
     * A secure pod's format arguments, written as its launch writes them (the shell's expansions done here: the
     * variables, and the password file read from the mounted Secret): the java launcher reads them from the file.
     */
    private Path formatArgumentFile(int node, Map<String, String> environment) throws IOException {
        String arguments = KraftQuorum.FORMAT_ARGUMENTS + " " + security(node).formatScram();
        Matcher read = Pattern.compile("\\$\\(cat ([^)]+)\\)").matcher(arguments);
        arguments = read.replaceAll(m -> Matcher.quoteReplacement(readMounted(node, m.group(1))));
        arguments = arguments.replace("$CLUSTER_ID", environment.get("CLUSTER_ID"))
                .replace("$FORMAT_QUORUM", environment.get("FORMAT_QUORUM"))
                .replace(IMAGE_CONFIG_DIR + "/server.properties", hostPath(node, IMAGE_CONFIG_DIR
                        + "/server.properties").toString());
        Path file = hostPath(node, KraftQuorum.FORMAT_ARGUMENT_FILE);
        Files.writeString(file, arguments + "\n");
        return file;
    }

    /** The listeners' security of the template node {@code node} runs (a cluster secured in place changes it). */
    private common.cluster.ClusterSecurity security(int node) {
        return common.cluster.ClusterSecurity.of(templates[node]);
    }

    private String readMounted(int node, String containerPath) {
        try {
            return Files.readString(hostPath(node, containerPath));
        } catch (IOException e) {
            throw new AssertionError("the launch reads " + containerPath + ", which the pod does not have", e);
        }
    }

    private void requireWritable(ContainerFilesystem filesystem, String containerPath, String consequence) {
        if (!filesystem.writable(containerPath)) {
            throw new AssertionError(containerPath + " is not writable for " + user + ": " + consequence);
        }
    }

    /** The node's environment for its current start: log dir paths point into this start's file system. */
    private Map<String, String> environment(int node) {
        Map<String, String> environment = new LinkedHashMap<>(environments.computeIfAbsent(node,
                n -> {
                    Map<String, String> podEnvironment = podEnvironment(n);
                    podEnvironment.putAll(testSettings);
                    return mapToThisMachine(podEnvironment, n);
                }));
        environment.computeIfPresent("KAFKA_LOG_DIRS", (name, dirs) -> java.util.Arrays.stream(dirs.split(","))
                .map(dir -> filesystems[node].hostPath(dir).toString()).collect(Collectors.joining(",")));
        for (String file : List.of("KAFKA_SSL_KEYSTORE_LOCATION", "KAFKA_SSL_TRUSTSTORE_LOCATION")) {
            environment.computeIfPresent(file, (name, path) -> filesystems[node].hostPath(path).toString());
        }
        return environment;
    }

    private void launch(int node) throws IOException {
        Path nodeDir = workDir.resolve("node-" + node);
        Map<String, String> environment = environment(node);
        Path log4j = nodeDir.resolve("log4j2.xml");
        Files.writeString(log4j, """
                <Configuration status="error"><Appenders><Console name="out" target="SYSTEM_OUT">
                <PatternLayout pattern="%d %p [%c] %m%n"/></Console></Appenders>
                <Loggers><Root level="warn"><AppenderRef ref="out"/></Root>
                <Logger name="kafka.server.KafkaRaftServer" level="info"/></Loggers></Configuration>
                """);
        // As kafka-run-class.sh starts it: the pod's heap and collector (Kafka's defaults if the pod sets none).
        List<String> command = new ArrayList<>(List.of(javaExecutable()));
        command.addAll(List.of(environment.get("KAFKA_HEAP_OPTS").split(" ")));
        command.addAll(List.of(environment.getOrDefault("KAFKA_JVM_PERFORMANCE_OPTS",
                common.cluster.ClusterProfile.JvmOptions.KAFKA_DEFAULT).split(" ")));
        // A test-only start-up speed-up (these JVMs live for a minute on two cores); it leaves the heap as it is.
        command.addAll(List.of("-XX:TieredStopAtLevel=1",
                "-Dkafka.logs.dir=" + filesystems[node].directory(IMAGE_LOG_DIR),
                "-Dlog4j2.configurationFile=" + log4j, "-cp", classpath(node), "kafka.Kafka",
                hostPath(node, IMAGE_CONFIG_DIR + "/server.properties").toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(nodeDir.resolve("kafka.log").toFile()));
        builder.environment().clear();
        builder.environment().putAll(environment);
        processes[node] = builder.start();
    }

    /**
     * The environment the image's entrypoint would receive in pod {@code kafka-<node>}: the container's env plus
     * what its start command exports, obtained by running that command with the entrypoint replaced by {@code env}.
     */
    public Map<String, String> podEnvironment(int node) {
        Map<String, String> environment = new LinkedHashMap<>();
        Container container = templates[node].getSpec().getTemplate().getSpec().getContainers().get(0);
        for (EnvVar variable : container.getEnv()) {
            if (variable.getValueFrom() == null) {
                environment.put(variable.getName(), variable.getValue());
            } else {
                // The kubelet resolves an optional ConfigMap key: the value while the ConfigMap has it, else unset.
                var key = variable.getValueFrom().getConfigMapKeyRef();
                if (!KraftQuorum.FORMATION.equals(key.getName()) || !Boolean.TRUE.equals(key.getOptional())) {
                    throw new AssertionError("unexpected variable source " + variable);
                }
                if (formation != null && formation.getData().get(key.getKey()) != null) {
                    environment.put(variable.getName(), formation.getData().get(key.getKey()));
                }
            }
        }
        environment.put("HOSTNAME", KafkaEndpoints.podName(node));
        List<String> command = new ArrayList<>(container.getCommand());
        String script = command.get(command.size() - 1);
        // Everything up to the launch runs as in the pod; the launch itself is what setUp and launch model.
        String launch = String.join("\n", manifests.withSecurity(security(node)).launch());
        if (!script.endsWith(launch)) {
            throw new AssertionError("the start script does not end with the launch the model knows:\n" + script);
        }
        command.set(command.size() - 1, script.substring(0, script.length() - launch.length()) + "exec env -0");
        Scripts.Result result = runClean(command, environment, Duration.ofSeconds(20));
        if (result.exitCode() != 0) {
            throw new AssertionError("the container's start command failed: " + result);
        }
        Map<String, String> exported = new LinkedHashMap<>();
        for (String entry : result.stdout().split("\0")) {
            int eq = entry.indexOf('=');
            if (eq > 0 && !entry.matches("(PATH|PWD|SHLVL|_)=.*")) {
                exported.put(entry.substring(0, eq), entry.substring(eq + 1));
            }
        }
        return exported;
    }

    /**
     * Pod DNS names and container ports become 127.0.0.1 and free ports here (paths: see {@link #environment}). The
     * port-forward listener's advertised {@code localhost:19092+ordinal} stays as it is: as on a laptop, only
     * port-forwards (the stand-in API server's, or a test's relay) answer there.
     */
    private Map<String, String> mapToThisMachine(Map<String, String> podEnvironment, int node) {
        Pattern podAddress = Pattern.compile(Pattern.quote(KafkaEndpoints.CLUSTER_NAME + "-") + "(\\d+)\\."
                + Pattern.quote(manifests.podDomain()) + ":(\\d+)");
        Pattern bindAll = Pattern.compile("://:(\\d+)");
        Map<String, String> mapped = new LinkedHashMap<>();
        podEnvironment.forEach((name, value) -> {
            String result = replace(podAddress, value,
                    m -> "127.0.0.1:" + hostPort(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))));
            result = replace(bindAll, result, m -> "://127.0.0.1:" + hostPort(node, Integer.parseInt(m.group(1))));
            mapped.put(name, result);
        });
        mapped.put("PATH", System.getenv("PATH"));
        return mapped;
    }

    private static String replace(Pattern pattern, String value, java.util.function.Function<java.util.regex.MatchResult, String> by) {
        return pattern.matcher(value).replaceAll(m -> Matcher.quoteReplacement(by.apply(m)));
    }

    private synchronized int hostPort(int node, int containerPort) {
        return hostPorts.computeIfAbsent(node + ":" + containerPort, key -> freePort());
    }

    /**
     * A free port below the kernel's ephemeral range (32768+ on Linux): a port the kernel hands out for port 0 can
     * be taken by any outgoing connection before the node binds it ("Unable to start acceptor", seen in CI).
     */
    public static int freePort() {
        java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = random.nextInt(20_000, 32_000); // above the port-forwards' 19092+
            try (ServerSocket socket = new ServerSocket(port)) {
                return socket.getLocalPort();
            } catch (IOException taken) {
                // another one
            }
        }
        throw new IllegalStateException("no free port between 20000 and 32000");
    }

    private String logTails() {
        StringBuilder tails = new StringBuilder();
        for (int i = 0; i < replicas; i++) {
            try {
                List<String> lines = Files.readAllLines(workDir.resolve("node-" + i).resolve("kafka.log"));
                tails.append("--- node ").append(i).append(" log tail\n")
                        .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size())))
                        .append('\n');
            } catch (IOException e) {
                tails.append("--- node ").append(i).append(": no log\n");
            }
        }
        return tails.toString();
    }

    private static Scripts.Result runClean(List<String> command, Map<String, String> environment, Duration limit) {
        Map<String, String> clean = new HashMap<>(environment);
        clean.putIfAbsent("PATH", System.getenv("PATH"));
        return Scripts.runProcess(command, clean, limit, true);
    }

    /** The java of the JVM running the tests: the one the harness starts Kafka with. */
    public static String javaExecutable() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /**
     * From now on, a registry also serves {@code image}, holding Kafka {@code version} whatever its tag says (a
     * mirror whose tag does not hold what it names).
     */
    public static void serveMislabelled(String image, String version) {
        MISLABELLED.put(image, version);
    }

    /** Whether the kubelet can pull this image: an official one of a release the harness runs, or a mislabelled one. */
    public static boolean pullable(String image) {
        return MISLABELLED.containsKey(image) || image.startsWith("apache/kafka:")
                && common.kafka.KafkaReleases.versionOfImage(image).filter(SERVED_VERSIONS::contains).isPresent();
    }

    /** The classpath of the Kafka release node {@code node}'s pod template runs: the one its image holds. */
    private String classpath(int node) {
        String image = templates[node].getSpec().getTemplate().getSpec().getContainers().get(0).getImage();
        String version = MISLABELLED.containsKey(image) ? MISLABELLED.get(image)
                : common.kafka.KafkaReleases.versionOfImage(image).orElseThrow(() ->
                        new IllegalStateException("no Kafka version in the image " + image));
        return serverClasspath(version);
    }

    /** The classpath of Kafka {@code version}'s server and tools, as its image holds them. */
    public static String serverClasspath(String version) {
        return CLASSPATHS.computeIfAbsent(version, release -> resolveClasspath("org.apache.kafka:kafka_2.13:"
                + release, "org.apache.kafka:kafka-clients:" + release, LOG4J));
    }

    /** The classpath of Kafka's command-line tools (kafka-topics.sh and the like), for the benchmark's baseline. */
    public static String toolsClasspath() {
        return resolveClasspath("org.apache.kafka:kafka-tools:" + common.cli.ToolVersion.KAFKA,
                "org.apache.kafka:kafka-clients:" + common.cli.ToolVersion.KAFKA, LOG4J);
    }

    /** The jars of a Maven artifact with its dependencies and {@code extra} artifacts, resolved through JBang. */
    public static String resolveClasspath(String artifact, String... extra) {
        List<String> command = new ArrayList<>(List.of(Scripts.ROOT.resolve("jbang").toString(), "info",
                "classpath"));
        for (String dep : extra) {
            command.addAll(List.of("--deps", dep));
        }
        command.add(artifact);
        Scripts.Result result = Scripts.runProcess(command, Map.of(), Duration.ofMinutes(5));
        if (result.exitCode() != 0) {
            throw new AssertionError("could not resolve the jars of " + artifact + ": " + result);
        }
        return result.stdout().strip().lines().reduce((first, second) -> second).orElseThrow();
    }
}
