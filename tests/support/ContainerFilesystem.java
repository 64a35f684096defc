package tests.support;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The file system one start of the Kafka container sees, laid out as containerd lays it out, so that a test loses
 * exactly what a real cluster would lose:
 * <ul>
 * <li>the image's {@code VOLUME}s (apache/kafka {@code docker/jvm/Dockerfile}) that no volumeMount matches
 * <em>exactly</em> become a fresh anonymous directory at every container start, mounted over shallower mounts
 * (mounts are applied in path-depth order, so the deepest one wins);</li>
 * <li>a PersistentVolumeClaim survives every restart of its pod;</li>
 * <li>an emptyDir and the container's writable layer are new for every pod (this model restarts pods, the way a
 * rolling update, an eviction or a rescheduling does).</li>
 * </ul>
 * It also knows who owns what in the image (the Dockerfile's {@code chown}/{@code chmod}), so it can say whether the
 * container's user may write a path: on OpenShift that user is an arbitrary UID in group 0.
 */
public final class ContainerFilesystem {
    /** {@code VOLUME [...]} in apache/kafka's docker/jvm/Dockerfile. */
    public static final List<String> IMAGE_VOLUMES = List.of("/etc/kafka/secrets", "/var/lib/kafka/data",
            "/mnt/shared/config");
    /** The image's {@code USER appuser} (uid 1000, group appuser 1000). */
    public static final long IMAGE_UID = 1000L;
    /**
     * Image folders a non-owner in group 0 may write: {@code chown appuser:root} plus {@code chmod -R ug+w} on
     * /var/lib/kafka and /etc/kafka; /opt/kafka and /mnt/shared/config are {@code appuser:appuser}, 755. /tmp is
     * world-writable.
     */
    private static final List<String> GROUP_ROOT_WRITABLE = List.of("/var/lib/kafka", "/etc/kafka", "/tmp");

    private final Map<String, Path> mounts = new LinkedHashMap<>();
    /** Secret volumes by mount path: read-only. */
    private final Map<String, io.fabric8.kubernetes.api.model.SecretVolumeSource> secretVolumes =
            new LinkedHashMap<>();
    /** Mounts the pod declared (PVCs and emptyDirs): writable for the pod's fsGroup. */
    private final List<String> podVolumes = new ArrayList<>();
    private final Path writableLayer;
    private final Long uid;
    private final Long gid;

    /**
     * The file system of start number {@code start} of pod {@code nodeDir}. A claim's folder is the same at every
     * start; everything else is new.
     *
     * @param uid the container's user id, null when the platform picks one (OpenShift)
     */
    public ContainerFilesystem(StatefulSet statefulSet, Path nodeDir, int start, Long uid, Long gid) {
        this(statefulSet, nodeDir, start, uid, gid, name -> null);
    }

    /**
     * As above, with the pod's Secret volumes filled from {@code secrets} (a Secret's decoded keys by name; null when
     * it does not exist), as the kubelet mounts them: read-only files with the volume's mode. A missing Secret keeps
     * the pod from starting at all.
     */
    public ContainerFilesystem(StatefulSet statefulSet, Path nodeDir, int start, Long uid, Long gid,
            java.util.function.Function<String, Map<String, String>> secrets) {
        Path thisStart = nodeDir.resolve("start-" + start);
        this.writableLayer = thisStart.resolve("rootfs");
        this.uid = uid;
        this.gid = gid;
        Container container = statefulSet.getSpec().getTemplate().getSpec().getContainers().get(0);
        List<String> claims = statefulSet.getSpec().getVolumeClaimTemplates().stream()
                .map(claim -> claim.getMetadata().getName()).toList();
        List<Volume> volumes = statefulSet.getSpec().getTemplate().getSpec().getVolumes();
        for (VolumeMount mount : container.getVolumeMounts() == null ? List.<VolumeMount>of()
                : container.getVolumeMounts()) {
            Path hostDir;
            if (claims.contains(mount.getName())) {
                hostDir = nodeDir.resolve("claim-" + mount.getName());
            } else if (volumes != null && volumes.stream().anyMatch(v -> v.getName().equals(mount.getName())
                    && v.getEmptyDir() != null)) {
                hostDir = thisStart.resolve("emptydir-" + mount.getName());
            } else if (volumes != null && volumes.stream().anyMatch(v -> v.getName().equals(mount.getName())
                    && v.getSecret() != null)) {
                hostDir = thisStart.resolve("secret-" + mount.getName());
                secretVolumes.put(normalize(mount.getMountPath()), volumes.stream()
                        .filter(v -> v.getName().equals(mount.getName())).findFirst().orElseThrow().getSecret());
            } else {
                throw new AssertionError("volumeMount " + mount.getName() + " has no claim, emptyDir or Secret volume");
            }
            String path = normalize(mount.getMountPath());
            mounts.put(path, hostDir);
            if (!secretVolumes.containsKey(path)) {
                podVolumes.add(path);
            }
        }
        for (String volume : IMAGE_VOLUMES) {
            // containerd: only an exact match replaces the image's volume.
            mounts.putIfAbsent(volume, thisStart.resolve("anonymous" + volume));
        }
        try {
            for (Path dir : mounts.values()) {
                Files.createDirectories(dir);
            }
            Files.createDirectories(writableLayer);
            for (var secretVolume : secretVolumes.entrySet()) {
                fill(mounts.get(secretVolume.getKey()), secretVolume.getValue(), secrets);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Where a path inside the container is on this machine: under its deepest mount, else the writable layer. */
    public Path hostPath(String containerPath) {
        String path = normalize(containerPath);
        return mounts.keySet().stream()
                .filter(mountPoint -> path.equals(mountPoint) || path.startsWith(mountPoint + "/"))
                .max(Comparator.comparingInt(String::length))
                .map(mountPoint -> mounts.get(mountPoint).resolve(relative(path, mountPoint)))
                .orElseGet(() -> writableLayer.resolve(path.substring(1)));
    }

    /** Makes a container folder exist, as the image has it (or an empty mount provides it). */
    public Path directory(String containerPath) {
        try {
            return Files.createDirectories(hostPath(containerPath));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Whether the container's user may write there: a pod volume (owned by the pod's fsGroup, or world-writable
     * as an emptyDir is), or an image folder its owner or group 0 may write.
     */
    public boolean writable(String containerPath) {
        String path = normalize(containerPath);
        boolean onPodVolume = podVolumes.stream().filter(m -> path.equals(m) || path.startsWith(m + "/"))
                .max(Comparator.comparingInt(String::length))
                .map(m -> IMAGE_VOLUMES.stream().noneMatch(v -> v.length() > m.length()
                        && (path.equals(v) || path.startsWith(v + "/"))))
                .orElse(false);
        if (onPodVolume) {
            return true;
        }
        if (uid != null && uid == IMAGE_UID) {
            return true;
        }
        return gid != null && gid == 0 && GROUP_ROOT_WRITABLE.stream()
                .anyMatch(dir -> path.equals(dir) || path.startsWith(dir + "/"));
    }

    /** The kubelet's Secret volume: each key (or each listed item) a file with the volume's mode. */
    private static void fill(Path dir, io.fabric8.kubernetes.api.model.SecretVolumeSource volume,
            java.util.function.Function<String, Map<String, String>> secrets) throws IOException {
        Map<String, String> data = secrets.apply(volume.getSecretName());
        if (data == null) {
            throw new AssertionError("Secret " + volume.getSecretName() + " not found: the kubelet cannot mount it,"
                    + " and the pod stays in ContainerCreating");
        }
        Map<String, String> files = new LinkedHashMap<>();
        if (volume.getItems() == null || volume.getItems().isEmpty()) {
            data.keySet().forEach(key -> files.put(key, key));
        } else {
            volume.getItems().forEach(item -> files.put(item.getKey(), item.getPath()));
        }
        int mode = volume.getDefaultMode() == null ? 0644 : volume.getDefaultMode();
        for (var file : files.entrySet()) {
            if (!data.containsKey(file.getKey())) {
                throw new AssertionError("Secret " + volume.getSecretName() + " has no key " + file.getKey());
            }
            Path target = dir.resolve(file.getValue());
            Files.writeString(target, data.get(file.getKey()));
            Files.setPosixFilePermissions(target, permissions(mode));
        }
    }

    private static java.util.Set<java.nio.file.attribute.PosixFilePermission> permissions(int mode) {
        java.util.Set<java.nio.file.attribute.PosixFilePermission> set = new java.util.HashSet<>();
        java.nio.file.attribute.PosixFilePermission[] order = {
            java.nio.file.attribute.PosixFilePermission.OTHERS_EXECUTE,
            java.nio.file.attribute.PosixFilePermission.OTHERS_WRITE,
            java.nio.file.attribute.PosixFilePermission.OTHERS_READ,
            java.nio.file.attribute.PosixFilePermission.GROUP_EXECUTE,
            java.nio.file.attribute.PosixFilePermission.GROUP_WRITE,
            java.nio.file.attribute.PosixFilePermission.GROUP_READ,
            java.nio.file.attribute.PosixFilePermission.OWNER_EXECUTE,
            java.nio.file.attribute.PosixFilePermission.OWNER_WRITE,
            java.nio.file.attribute.PosixFilePermission.OWNER_READ};
        for (int bit = 0; bit < order.length; bit++) {
            if ((mode & (1 << bit)) != 0) {
                set.add(order[bit]);
            }
        }
        return set;
    }

    private static String relative(String path, String mountPoint) {
        return path.length() == mountPoint.length() ? "" : path.substring(mountPoint.length() + 1);
    }

    private static String normalize(String path) {
        String normalized = Path.of(path).normalize().toString();
        return normalized.length() > 1 && normalized.endsWith("/")
                ? normalized.substring(0, normalized.length() - 1) : normalized;
    }
}
