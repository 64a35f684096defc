///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
// Sources are UTF-8 (they hold ✓, ✗, →) whatever the locale: JDK 17's javac reads them in the locale's charset.
//JAVAC_OPTIONS -encoding UTF-8
// Short runs: class data shared from the first run (JBang keeps the archive beside its jar), the quick compiler,
// the serial collector; JVM warnings (the archive dump lists skipped classes) must not reach stdout.
//CDS
//JAVA_OPTIONS -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xlog:disable -Xlog:all=error:stderr
//DEPS info.picocli:picocli:4.7.7
//DEPS io.fabric8:kubernetes-client:8.0.0
//DEPS io.fabric8:kubernetes-httpclient-jdk:8.0.0
//DEPS org.apache.kafka:kafka-clients:4.4.0
//DEPS org.slf4j:slf4j-simple:2.0.20
//DEPS org.bouncycastle:bcpkix-jdk18on:1.87
//SOURCES common/*.java common/*/*.java
// Only deploy makes certificates: the other commands keep Bouncy Castle off their class path.
//SOURCES common/cluster/certificates/*.java

import common.cli.BootstrapServerOption;
import common.cli.Cli;
import common.cli.ProcessExit;
import common.cli.ClusterDomainOption;
import common.cli.ContextOption;
import common.cli.Deadline;
import common.cli.DurationParameter;
import common.cli.NamespaceOption;
import common.cli.Output;
import common.cli.ProfileParameter;
import common.cli.Progress;
import common.cli.ToolVersion;
import common.cluster.AccessRules;
import common.cli.SecurityParameter;
import common.cluster.ClusterCredentials;
import common.cluster.ClusterProfile;
import common.cluster.ClusterSecurity;
import common.cluster.certificates.CredentialSecrets;
import common.cluster.KafkaManifests;
import common.cluster.Platform;
import common.day2.DeployLease;
import common.day2.DeployPlan;
import common.day2.DeployPlanner;
import common.day2.DeployRun;
import common.day2.DeployStep;
import common.day2.ObservedCluster;
import common.day2.Teardown;
import common.kafka.KafkaAccess;
import common.kafka.KafkaState;
import common.kafka.KafkaStateInBackground;
import common.kube.ClusterObserver;
import common.kube.KubernetesAccess;
import common.kube.RolloutWait;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesListBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "deploy", mixinStandardHelpOptions = true, versionProvider = ToolVersion.class, usageHelpWidth = 100,
        abbreviateSynopsis = true,
        description = "Deploys Apache Kafka (KRaft) to Kubernetes: a StatefulSet of combined brokers and controllers.")
public class deploy implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", defaultValue = "dev", paramLabel = "PROFILE",
            converter = ProfileParameter.class,
            description = "dev (1 broker, 512Mi) or prod (3 brokers, 2Gi each); default ${DEFAULT-VALUE}.")
    ClusterProfile profile;

    @Mixin
    NamespaceOption namespace;

    @Option(names = "--image", paramLabel = "IMAGE", defaultValue = KafkaManifests.DEFAULT_IMAGE,
            description = "Kafka image (default: ${DEFAULT-VALUE}).")
    String image;

    @Option(names = "--replicas", paramLabel = "N",
            description = "Brokers, prod only: 3 or more (default: 3, or as many as deployed).")
    Integer replicas;

    @Option(names = "--storage-size", paramLabel = "SIZE",
            description = "Volume size per broker (default: 1Gi dev, 10Gi prod).")
    String storageSize;

    @Option(names = "--storage-class", paramLabel = "CLASS",
            description = "Storage class of the volumes (default: the cluster's).")
    String storageClass;

    @Option(names = "--security", paramLabel = "MODE", converter = SecurityParameter.class,
            description = "tls (TLS, SCRAM, ACLs) or none (default: tls prod, none dev).")
    ClusterSecurity security;

    @Option(names = "--client-namespaces", paramLabel = "LIST",
            description = "prod: only these namespaces' pods reach Kafka ('*': any).")
    String clientNamespaces;

    @Mixin
    ClusterDomainOption clusterDomain;

    // Rarely needed, and --help stays within 30 lines: the README documents these two.
    @Option(names = "--openshift", hidden = true, description = "Leave the pods' uid/gid to OpenShift (else detected).")
    boolean openshift;

    @Option(names = "--dry-run", description = "Print the objects as YAML instead of applying them.")
    boolean dryRun;

    @Option(names = "--plan", description = "List the steps a deploy would take, take none (exit 4 if any).")
    boolean planOnly;

    @Option(names = "--print-rbac", description = "Print the least-privilege Roles of each command as YAML.")
    boolean printRbac;

    @Mixin
    ContextOption context;

    @Mixin
    Output output;

    @Option(names = "--no-wait", description = "Return after applying, without waiting for Ready brokers.")
    boolean noWait;

    @Option(names = "--recreate", description = "Delete and redeploy what cannot change in place (data lost).")
    boolean recreate;

    @Option(names = "--adopt", hidden = true, description = "Take over objects with these names that another tool made.")
    boolean adopt;

    @Option(names = "--restart", description = "Restart every broker (prod: one at a time, when safe).")
    boolean restart;

    @Option(names = "--finalize", description = "After the roll, raise metadata.version (one-way: no roll-back).")
    boolean finalizeVersion;

    @Option(names = "--force", description = "Allow a system namespace; restart brokers of an unhealthy cluster.")
    boolean force;

    @Mixin
    BootstrapServerOption kafka;

    @Option(names = "--delete", description = "Remove the deployed objects (volumes kept; --dry-run lists).")
    boolean delete;

    @Option(names = "--delete-data",
            description = "With --delete, the volumes too (data lost); else removed brokers'.")
    boolean deleteData;

    @Option(names = "--timeout", paramLabel = "DURATION", converter = DurationParameter.class,
            description = "Give up after this long (default: 60s dev, 120s prod).")
    Duration timeout;

    /** Namespaces of the cluster itself: Kafka has no business there. */
    private static final Pattern SYSTEM_NAMESPACE = Pattern.compile("kube-.*|openshift(-.*)?");
    /** An image reference: [registry[:port]/]path[:tag][@digest]. */
    private static final Pattern IMAGE_REFERENCE = Pattern.compile("([a-zA-Z0-9][a-zA-Z0-9.-]*(:[0-9]+)?/)?"
            + "[a-z0-9]+([._-]+[a-z0-9]+)*(/[a-z0-9]+([._-]+[a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?"
            + "(@sha256:[a-f0-9]{64})?");
    private static final Pattern DNS_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");

    public static void main(String... args) {
        ProcessExit.now(Cli.execute(new deploy(), args));
    }

    @Override
    public Integer call() throws Exception {
        if (printRbac) {
            List<String> copiedInto = clientNamespaces == null || clientNamespaces.equals("*") ? List.of()
                    : validClientNamespaces();
            print(AccessRules.all(namespace.get(), copiedInto));
            return Cli.OK;
        }
        KafkaManifests manifests = withValidReplicas(new KafkaManifests(profile, namespace.get(), validImage(),
                validStorageSize(), validStorageClass()).withClusterDomain(clusterDomain.get()))
                .withClientNamespaces(validClientNamespaces())
                .withSecurity(security != null ? security : profile.security);
        requireUserNamespace();
        if (profile.security == ClusterSecurity.TLS && security == ClusterSecurity.NONE) {
            output.warn("deploy " + profile.id() + " --security none: any pod that reaches Kafka, and anyone who "
                    + "may port-forward, reads, writes and deletes every topic");
        }
        if (planOnly && (dryRun || delete)) {
            throw new ParameterException(spec.commandLine(), "--plan shows what a deploy would do on the live "
                    + "cluster: use it without --dry-run and --delete (--delete --dry-run lists a teardown)");
        }
        if (dryRun && !delete) {
            if (manifests.security() == ClusterSecurity.TLS && !output.json()) {
                // A comment, so the YAML still applies as is: keys are never printed, so they must exist first.
                output.text("# The pods mount Secrets " + ClusterCredentials.NODE_SECRET + " and "
                        + ClusterCredentials.ADMIN_SECRET + ": create them first (deploy " + profile.id() + " -n "
                        + namespace.get() + " --no-wait makes every Secret; their keys: README, Security)");
            }
            print(manifests.withPlatform(openshift ? Platform.OPENSHIFT : Platform.KUBERNETES).forApply());
            return Cli.OK;
        }
        Duration limit = timeout == null ? profile.readyTimeout : timeout;
        long deadline = System.nanoTime() + limit.toNanos();
        // Without --timeout, a roll gets the profile's ready timeout per broker on top.
        Duration outer = timeout != null || !profile.safeRoll ? limit
                : profile.readyTimeout.multipliedBy(manifests.replicas() + 1L);
        Duration longest = outer.plus(Deadline.GRACE);
        return Deadline.run("deploy", longest,
                () -> delete ? tearDown(manifests) : deploy(manifests, limit, deadline, longest));
    }

    /**
     * Observe, plan, then show the plan (--plan) or carry it out; a refusal leaves the cluster as it was. A plan
     * that changes something is made again once this deploy holds the namespace's Lease (one deploy at a time, for
     * at most {@code longest}), from the cluster as it is then.
     */
    private int deploy(KafkaManifests rendered, Duration limit, long deadline, Duration longest) {
        long start = System.nanoTime();
        // Kafka reached directly is read while Kubernetes is, when the plan will likely need it (prod's safe roll
        // checks it): the two wait on different servers.
        try (KafkaStateInBackground early = kafka.given() && profile.safeRoll && !noWait
                ? KafkaStateInBackground.start(() -> connect(null, null, deadline)) : null) {
            KubernetesAccess access = context.configure();
            try (KubernetesClient client = access.client()) {
                Planned planned = observeAndPlan(client, access, rendered, early, deadline);
                if (planOnly) {
                    return show(planned.plan());
                }
                if (planned.plan().nothingToDo()) {
                    return carryOut(client, access, planned, limit, deadline, start);
                }
                try (DeployLease lease = DeployLease.take(client, access, namespace.get(), longest)) {
                    return carryOut(client, access, observeAndPlan(client, access, rendered, null, deadline), limit,
                            deadline, start);
                }
            }
        }
    }

    /** A plan and the cluster it was made from. */
    private record Planned(ObservedCluster observed, DeployPlan plan) {
    }

    /**
     * Reads the cluster (Kafka too when the plan depends on it: from {@code early} when it was read already) and
     * decides, without changing anything.
     */
    private Planned observeAndPlan(KubernetesClient client, KubernetesAccess access, KafkaManifests rendered,
            KafkaStateInBackground early, long deadline) {
        ObservedCluster observed = new ClusterObserver(client, access, namespace.get()).observe(rendered, openshift);
        DeployPlanner.Request request = new DeployPlanner.Request(rendered, replicas, storageSize, storageClass,
                recreate, restart ? Instant.now().toString() : null, deleteData, noWait, adopt, finalizeVersion,
                security);
        KubernetesSerialization serialization = client.getKubernetesSerialization();
        DeployPlanner planner = new DeployPlanner(request, observed, serialization);
        if (planner.needsKafka()) {
            if (early != null && !planner.shrinks()) {
                observed = observed.withKafka(early.join());
            } else {
                try (KafkaAccess brokers = connect(client, access, deadline)) {
                    observed = observed.withKafka(KafkaState.read(brokers, planner.shrinks()));
                }
            }
            planner = new DeployPlanner(request, observed, serialization);
        }
        return new Planned(observed, planner.plan());
    }

    private int carryOut(KubernetesClient client, KubernetesAccess access, Planned planned, Duration limit,
            long deadline, long start) {
        DeployPlan plan = planned.plan();
        if (plan.step(DeployStep.CreateAdminUser.class).isPresent()) {
            boolean together = plan.step(DeployStep.RestartAll.class).isPresent();
            output.warn("turning security on: every broker restarts" + (together ? " at once" : "")
                    + " onto TLS and SCRAM; from then on each client needs a user's Secret ("
                    + ClusterCredentials.APP_SECRET + ") and the CA's (" + ClusterCredentials.CA_CERT_SECRET + ")");
        }
        DeployRun.Result result = new DeployRun(client, access, namespace.get(), output,
                time -> kafka.connect(namespace.get(), client, access, time), force, deadline,
                timeout != null ? Duration.ZERO : profile.readyTimeout, limit, plan,
                (manifests, names, existing) -> CredentialSecrets.make(manifests, names, existing, Instant.now()))
                .carryOut(plan, planned.observed());
        // A plan waits only for what is not Ready yet: otherwise every broker was Ready when observed.
        Integer ready = result.ready() != null || noWait ? result.ready()
                : Integer.valueOf(plan.manifests().replicas());
        report(plan.manifests(), result, ready, System.nanoTime() - start);
        return Cli.OK;
    }

    private KafkaAccess connect(KubernetesClient client, KubernetesAccess access, long deadline) {
        return kafka.connect(namespace.get(), client, access, Duration.ofNanos(Math.max(1,
                deadline - System.nanoTime())));
    }

    /** --plan: the steps, then what they add up to; exit 0 when nothing would change. */
    private int show(DeployPlan plan) {
        Map<String, Object> facts = Output.facts("ok");
        facts.put("profile", profile.id());
        facts.put("namespace", namespace.get());
        facts.put("steps", plan.facts());
        facts.put("nothingToDo", plan.nothingToDo());
        facts.put("summary", plan.summary());
        if (output.json()) {
            output.result("", facts);
        } else {
            output.text(String.join("\n", plan.lines()));
        }
        return plan.nothingToDo() ? Cli.OK : Cli.CHANGES_PLANNED;
    }

    private void report(KafkaManifests manifests, DeployRun.Result result, Integer ready, long elapsedNanos) {
        String connection = manifests.clientBootstrap();
        int removed = result.brokersRemoved();
        List<String> deletedVolumes = result.deletedVolumes();
        String line = "deploy " + profile.id() + ": " + result.objects().entrySet().stream()
                .map(e -> e.getValue() + " " + e.getKey()).collect(Collectors.joining(", "))
                + (result.votersAdded() == 0 ? "" : "; " + count(result.votersAdded(), "voter") + " added")
                + (removed == 0 ? "" : "; " + count(removed, "broker") + " removed")
                + (removed == 0 || !deletedVolumes.isEmpty() ? "" : removed == 1 ? ", volume kept" : ", volumes kept")
                + (deletedVolumes.isEmpty() ? "" : "; " + count(deletedVolumes.size(), "volume") + " deleted")
                + (result.restarted() == 0 ? "" : "; rolled " + result.restarted())
                + (result.metadataVersion() == null ? "" : "; metadata.version " + result.metadataVersion())
                + (result.secretsCreated() == 0 ? "" : "; " + count(result.secretsCreated(), "Secret") + " made")
                + (ready == null ? "" : "; " + ready + "/" + manifests.replicas()
                        + " brokers ready in " + RolloutWait.seconds(elapsedNanos))
                + "; bootstrap " + connection;
        Map<String, Object> facts = Output.facts("ok");
        facts.put("profile", profile.id());
        facts.put("namespace", namespace.get());
        facts.put("objects", result.objects());
        facts.put("votersAdded", result.votersAdded());
        facts.put("brokersRemoved", removed);
        List<String> removedVolumes = KafkaManifests.claimNames(manifests.replicas() + removed)
                .subList(manifests.replicas(), manifests.replicas() + removed);
        facts.put("keptVolumes", removedVolumes.stream().filter(name -> !deletedVolumes.contains(name)).toList());
        facts.put("deletedVolumes", deletedVolumes);
        facts.put("restarted", result.restarted());
        facts.put("metadataVersion", result.metadataVersion());
        facts.put("security", manifests.security().id());
        facts.put("secretsCreated", result.secretsCreated());
        facts.put("brokers", manifests.replicas());
        facts.put("ready", ready);
        facts.put("connection", connection);
        facts.put("elapsedMs", elapsedNanos / 1_000_000);
        output.result(line, facts);
    }

    /** "1 voter", "2 voters" */
    private static String count(int count, String noun) {
        return count + " " + noun + (count == 1 ? "" : "s");
    }

    /**
     * --delete: what deploy made goes (only what is provably the tool's), the volumes stay unless --delete-data;
     * with --dry-run, only says what would go. A second run finds nothing and says so.
     */
    private int tearDown(KafkaManifests manifests) {
        KubernetesAccess access = context.configure();
        try (KubernetesClient client = access.client(); Progress progress = output.progress()) {
            Teardown teardown = new Teardown(client, access, namespace.get());
            Teardown.Plan plan = teardown.plan(manifests);
            if (!dryRun) {
                teardown.execute(plan, deleteData, progress);
            }
            progress.close();
            List<String> deleted = new ArrayList<>(Teardown.names(plan.objects()));
            List<String> volumes = plan.volumes().stream().map(claim -> claim.getMetadata().getName()).toList();
            String verb = dryRun ? "would delete " : "deleted ";
            String line = "deploy --delete: " + (deleted.isEmpty() ? "nothing to delete" : verb + deleted.size()
                    + " objects") + (volumes.isEmpty() ? "" : deleteData ? "; " + verb + volumes.size() + " volumes"
                    : "; kept " + volumes.size() + " volumes (" + volumes.get(0) + (volumes.size() > 1 ? ".." : "")
                    + "; --delete-data deletes them)")
                    + (plan.secrets().isEmpty() ? "" : (deleteData ? "; " + verb : "; kept ")
                            + count(plan.secrets().size(), "Secret"))
                    + (plan.foreign().isEmpty() ? "" : "; left " + plan.foreign().size() + " not ours");
            Map<String, Object> facts = Output.facts("ok");
            facts.put("namespace", namespace.get());
            facts.put("dryRun", dryRun);
            facts.put("deleted", deleted);
            facts.put(deleteData ? "deletedVolumes" : "keptVolumes", volumes);
            facts.put(deleteData ? "deletedSecrets" : "keptSecrets", Teardown.names(plan.secrets()));
            facts.put("notOurs", Teardown.names(plan.foreign()));
            output.result(line, facts);
            return Cli.OK;
        }
    }

    private void requireUserNamespace() {
        if (SYSTEM_NAMESPACE.matcher(namespace.get()).matches() && !force) {
            throw new ParameterException(spec.commandLine(), "namespace '" + namespace.get() + "' belongs to the "
                    + "cluster itself: choose another, or add --force");
        }
    }

    /** --client-namespaces: null when not given (a cluster keeps its own), empty for '*' (any pod). */
    private List<String> validClientNamespaces() {
        if (clientNamespaces == null) {
            return null;
        }
        if (!profile.isolatedNetwork) {
            throw new ParameterException(spec.commandLine(), "--client-namespaces narrows prod's NetworkPolicy: "
                    + profile.id() + " has none");
        }
        if (clientNamespaces.equals("*")) {
            return List.of();
        }
        List<String> names = List.of(clientNamespaces.split(",", -1));
        for (String name : names) {
            if (!NamespaceOption.isValid(name)) {
                throw new ParameterException(spec.commandLine(), "invalid --client-namespaces '" + name
                        + "': lower-case letters, digits and '-', at most 63 characters; or '*' alone for any pod");
            }
        }
        return names;
    }

    private KafkaManifests withValidReplicas(KafkaManifests rendered) {
        try {
            return replicas == null ? rendered : rendered.withReplicas(replicas);
        } catch (IllegalArgumentException invalid) {
            throw new ParameterException(spec.commandLine(), invalid.getMessage());
        }
    }

    private String validImage() {
        if (!IMAGE_REFERENCE.matcher(image).matches()) {
            throw new ParameterException(spec.commandLine(), "invalid --image '" + image
                    + "': expected an image reference such as apache/kafka:4.4.0");
        }
        return image;
    }

    private String validStorageClass() {
        if (storageClass != null && !DNS_SUBDOMAIN.matcher(storageClass).matches()) {
            throw new ParameterException(spec.commandLine(), "invalid --storage-class '" + storageClass
                    + "': expected a name such as standard or fast-ssd");
        }
        return storageClass;
    }

    private String validStorageSize() {
        if (storageSize == null) {
            return null;
        }
        try {
            if (Quantity.getAmountInBytes(new Quantity(storageSize)).signum() > 0) {
                return storageSize;
            }
        } catch (IllegalArgumentException invalid) {
            // reported below
        }
        throw new ParameterException(spec.commandLine(),
                "invalid --storage-size '" + storageSize + "': expected a positive quantity such as 10Gi");
    }

    /** YAML documents, for {@code kubectl apply -f -}; with --json, one kubectl-style List object. */
    private void print(List<HasMetadata> objects) {
        KubernetesSerialization serialization = new KubernetesSerialization();
        if (output.json()) {
            output.text(serialization.asJson(new KubernetesListBuilder().withItems(objects).build()));
            return;
        }
        StringBuilder yaml = new StringBuilder();
        for (HasMetadata object : objects) {
            String document = serialization.asYaml(object);
            yaml.append(document.startsWith("---") ? "" : "---\n").append(document);
        }
        output.text(yaml.toString().stripTrailing());
    }
}
