package common.day2;

import common.cli.CommandFailure;
import common.cluster.KafkaManifests;
import common.kube.KubernetesAccess;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Map;
import java.util.UUID;

/**
 * One deploy at a time per namespace (review R4): a {@code coordination.k8s.io} Lease held for the whole run. Two
 * deploys at once (CI and a person, an agent retrying) could otherwise restart two brokers, or interleave a grow's
 * and a shrink's voter changes. A deploy that is killed leaves the Lease until it expires: it is taken for as long as
 * that deploy may run at most, and its holder's clock says when that is; a holder on this host whose process has
 * ended gives it up at once.
 */
public final class DeployLease implements AutoCloseable {
    public static final String NAME = "kafka-deploy";
    /** The kernel's host name (a pod's is its name); not the resolver's, which may take seconds to answer. */
    private static final String HOST = hostName();
    /** Room for clocks that disagree, before a Lease that should have expired is taken over. */
    private static final Duration CLOCK_MARGIN = Duration.ofMinutes(2);

    private final Resource<Lease> lease;
    private final String holder;

    private DeployLease(Resource<Lease> lease, String holder) {
        this.lease = lease;
        this.holder = holder;
    }

    /**
     * Takes the Lease for {@code hold}, or refuses naming who holds it and until when. In a namespace that does not
     * exist yet there is nothing to take (the deploy that creates it is the first).
     */
    public static DeployLease take(KubernetesClient client, KubernetesAccess access, String namespace,
            Duration hold) {
        Resource<Lease> lease = client.leases().inNamespace(namespace).withName(NAME);
        try {
            Lease held = lease.get();
            if (held != null) {
                ZonedDateTime until = expiry(held);
                if (until != null && until.plus(CLOCK_MARGIN).isAfter(ZonedDateTime.now(ZoneOffset.UTC))
                        && !holderGone(held.getSpec().getHolderIdentity())) {
                    throw new CommandFailure("another deploy is running in namespace " + namespace + " (Lease "
                            + NAME + " held by " + held.getSpec().getHolderIdentity() + " until " + until
                            + "): wait for it; a deploy that was killed leaves it until then");
                }
                lease.delete(); // its deploy is long gone
            }
            ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
            String holder = holder();
            client.resource(new LeaseBuilder().withNewMetadata().withName(NAME).withNamespace(namespace)
                    .withLabels(Map.of(KafkaManifests.MANAGED_BY_LABEL, KafkaManifests.MANAGED_BY)).endMetadata()
                    .withNewSpec().withHolderIdentity(holder).withAcquireTime(now).withRenewTime(now)
                    .withLeaseDurationSeconds((int) Math.min(Integer.MAX_VALUE, hold.toSeconds())).endSpec().build())
                    .create();
            return new DeployLease(lease, holder);
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404) {
                return new DeployLease(null, null); // no namespace yet
            }
            if (e.getCode() == 409) {
                throw new CommandFailure("another deploy started in namespace " + namespace + " at the same moment "
                        + "(Lease " + NAME + "): wait for it");
            }
            throw access.failure("taking Lease " + NAME, e);
        }
    }

    /** Gives the Lease back, unless another deploy took it over (after it expired). */
    @Override
    public void close() {
        if (lease == null) {
            return;
        }
        try {
            Lease current = lease.get();
            if (current != null && current.getSpec() != null && holder.equals(current.getSpec().getHolderIdentity())) {
                lease.delete();
            }
        } catch (KubernetesClientException e) {
            // Left to expire: the next deploy takes it over then.
        }
    }

    private static ZonedDateTime expiry(Lease held) {
        var spec = held.getSpec();
        if (spec == null || spec.getRenewTime() == null || spec.getLeaseDurationSeconds() == null) {
            return null;
        }
        return spec.getRenewTime().plusSeconds(spec.getLeaseDurationSeconds());
    }

    /** This host and process, and a random part: two deploys in one MCP server are two holders. */
    private static String holder() {
        return HOST + "/" + ProcessHandle.current().pid() + "/" + UUID.randomUUID().toString().substring(0, 8);
    }

    /**
     * Whether the holder was a process on this host that has ended: a deploy interrupted (Ctrl-C) or killed here,
     * whose Lease the same command run again takes over at once instead of waiting for it to expire.
     */
    private static boolean holderGone(String holder) {
        String[] parts = holder == null ? new String[0] : holder.split("/");
        if (parts.length != 3 || HOST.startsWith("unknown") || !parts[0].equals(HOST) || !parts[1].matches("\\d+")) {
            return false;
        }
        return ProcessHandle.of(Long.parseLong(parts[1])).map(process -> !process.isAlive()).orElse(true);
    }

    private static String hostName() {
        try {
            String name = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/kernel/hostname")).strip();
            if (!name.isEmpty()) {
                return name;
            }
        } catch (java.io.IOException | RuntimeException notLinux) {
            // below
        }
        String name = System.getenv("COMPUTERNAME") != null ? System.getenv("COMPUTERNAME")
                : System.getenv("HOSTNAME");
        return name == null || name.isBlank() ? "unknown-" + UUID.randomUUID() : name;
    }
}
