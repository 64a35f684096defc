package tests.support;

import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SeccompProfile;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Volume;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The "restricted" Pod Security Standard (kubernetes.io/docs/concepts/security/pod-security-standards), every
 * baseline and restricted rule, one by one, as the PodSecurity admission plugin checks a pod when its namespace is
 * labelled {@code pod-security.kubernetes.io/enforce: restricted}.
 */
public final class PodSecurityStandard {
    private static final Set<String> BASELINE_CAPABILITIES = Set.of("AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE",
            "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID",
            "SYS_CHROOT");
    private static final Set<String> SAFE_SYSCTLS = Set.of("kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
            "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
            "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
            "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes");
    private static final Set<String> SELINUX_TYPES = Set.of("container_t", "container_init_t", "container_kvm_t",
            "container_engine_t");
    private static final Set<String> RESTRICTED_VOLUME_TYPES = Set.of("configMap", "csi", "downwardAPI",
            "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret");

    private PodSecurityStandard() {
    }

    /** Every rule the pod breaks, named as the standard names it; empty when "restricted" admits it. */
    public static List<String> restrictedViolations(PodSpec pod, Map<String, String> podAnnotations) {
        PodSecurityContext podContext = pod.getSecurityContext() == null ? new PodSecurityContext()
                : pod.getSecurityContext();
        List<Container> containers = new ArrayList<>(pod.getContainers());
        if (pod.getInitContainers() != null) {
            containers.addAll(pod.getInitContainers());
        }
        List<String> violations = new ArrayList<>();
        // Baseline
        if (isTrue(podContext.getWindowsOptions() == null ? null : podContext.getWindowsOptions().getHostProcess())
                || any(containers, c -> c.getWindowsOptions() == null ? null : c.getWindowsOptions().getHostProcess())) {
            violations.add("HostProcess");
        }
        if (isTrue(pod.getHostNetwork()) || isTrue(pod.getHostPID()) || isTrue(pod.getHostIPC())) {
            violations.add("Host Namespaces");
        }
        if (any(containers, SecurityContext::getPrivileged)) {
            violations.add("Privileged Containers");
        }
        for (Container container : containers) {
            Capabilities capabilities = context(container).getCapabilities();
            if (capabilities != null && capabilities.getAdd() != null
                    && !BASELINE_CAPABILITIES.containsAll(capabilities.getAdd())) {
                violations.add("Capabilities (baseline): " + container.getName());
            }
        }
        if (volumes(pod).stream().anyMatch(v -> v.getHostPath() != null)) {
            violations.add("HostPath Volumes");
        }
        if (containers.stream().flatMap(c -> c.getPorts() == null ? java.util.stream.Stream.empty()
                : c.getPorts().stream()).anyMatch(p -> p.getHostPort() != null && p.getHostPort() != 0)) {
            violations.add("Host Ports");
        }
        boolean appArmorUnconfined = podAnnotations.entrySet().stream().anyMatch(e -> e.getKey()
                .startsWith("container.apparmor.security.beta.kubernetes.io/") && "unconfined".equals(e.getValue()))
                || (podContext.getAppArmorProfile() != null
                        && "Unconfined".equals(podContext.getAppArmorProfile().getType()))
                || containers.stream().anyMatch(c -> context(c).getAppArmorProfile() != null
                        && "Unconfined".equals(context(c).getAppArmorProfile().getType()));
        if (appArmorUnconfined) {
            violations.add("AppArmor");
        }
        List<io.fabric8.kubernetes.api.model.SELinuxOptions> seLinux = new ArrayList<>();
        seLinux.add(podContext.getSeLinuxOptions());
        containers.forEach(c -> seLinux.add(context(c).getSeLinuxOptions()));
        if (seLinux.stream().anyMatch(o -> o != null && ((o.getType() != null && !SELINUX_TYPES.contains(o.getType()))
                || o.getUser() != null || o.getRole() != null))) {
            violations.add("SELinux");
        }
        if (containers.stream().anyMatch(c -> context(c).getProcMount() != null
                && !"Default".equals(context(c).getProcMount()))) {
            violations.add("/proc Mount Type");
        }
        List<SeccompProfile> profiles = new ArrayList<>();
        profiles.add(podContext.getSeccompProfile());
        containers.forEach(c -> profiles.add(context(c).getSeccompProfile()));
        if (profiles.stream().anyMatch(p -> p != null && "Unconfined".equals(p.getType()))) {
            violations.add("Seccomp (baseline)");
        }
        if (podContext.getSysctls() != null && podContext.getSysctls().stream()
                .anyMatch(s -> !SAFE_SYSCTLS.contains(s.getName()))) {
            violations.add("Sysctls");
        }
        // Restricted
        for (Volume volume : volumes(pod)) {
            if (!RESTRICTED_VOLUME_TYPES.contains(volumeType(volume))) {
                violations.add("Volume Types: " + volume.getName() + " is " + volumeType(volume));
            }
        }
        if (containers.stream().anyMatch(c -> !Boolean.FALSE.equals(context(c).getAllowPrivilegeEscalation()))) {
            violations.add("Privilege Escalation");
        }
        boolean podNonRoot = isTrue(podContext.getRunAsNonRoot());
        if (containers.stream().anyMatch(c -> Boolean.FALSE.equals(context(c).getRunAsNonRoot())
                || (!podNonRoot && !isTrue(context(c).getRunAsNonRoot())))) {
            violations.add("Running as Non-root");
        }
        if (Long.valueOf(0).equals(podContext.getRunAsUser())
                || containers.stream().anyMatch(c -> Long.valueOf(0).equals(context(c).getRunAsUser()))) {
            violations.add("Running as Non-root user");
        }
        boolean podSeccomp = allowedSeccomp(podContext.getSeccompProfile());
        if (containers.stream().anyMatch(c -> context(c).getSeccompProfile() == null ? !podSeccomp
                : !allowedSeccomp(context(c).getSeccompProfile()))) {
            violations.add("Seccomp (restricted)");
        }
        for (Container container : containers) {
            Capabilities capabilities = context(container).getCapabilities();
            boolean dropsAll = capabilities != null && capabilities.getDrop() != null
                    && capabilities.getDrop().contains("ALL");
            boolean addsOnlyBind = capabilities == null || capabilities.getAdd() == null
                    || Set.of("NET_BIND_SERVICE").containsAll(capabilities.getAdd());
            if (!dropsAll || !addsOnlyBind) {
                violations.add("Capabilities (restricted): " + container.getName());
            }
        }
        return violations;
    }

    private static boolean allowedSeccomp(SeccompProfile profile) {
        return profile != null && ("RuntimeDefault".equals(profile.getType()) || "Localhost".equals(profile.getType()));
    }

    /** The one volume source a volume sets, by its field name. */
    @SuppressWarnings("unchecked")
    private static String volumeType(Volume volume) {
        Map<String, Object> fields = new io.fabric8.kubernetes.client.utils.KubernetesSerialization()
                .convertValue(volume, Map.class);
        return fields.keySet().stream().filter(key -> !"name".equals(key)).findFirst().orElse("none");
    }

    private static List<Volume> volumes(PodSpec pod) {
        return pod.getVolumes() == null ? List.of() : pod.getVolumes();
    }

    private static SecurityContext context(Container container) {
        return container.getSecurityContext() == null ? new SecurityContext() : container.getSecurityContext();
    }

    private static boolean any(List<Container> containers, Function<SecurityContext, Boolean> field) {
        return containers.stream().anyMatch(c -> isTrue(field.apply(context(c))));
    }

    private static boolean isTrue(Boolean value) {
        return Boolean.TRUE.equals(value);
    }
}
