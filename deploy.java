///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS info.picocli:picocli:4.7.7
//DEPS io.fabric8:kubernetes-client:8.0.0
//DEPS org.slf4j:slf4j-nop:2.0.20
//SOURCES common/Cli.java common/CommandFailure.java common/KafkaEndpoints.java common/NamespaceOption.java
//SOURCES common/ToolVersion.java common/ClusterProfile.java common/ProfileParameter.java common/KafkaManifests.java

import common.Cli;
import common.ClusterProfile;
import common.KafkaManifests;
import common.NamespaceOption;
import common.ProfileParameter;
import common.ToolVersion;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "deploy", mixinStandardHelpOptions = true, versionProvider = ToolVersion.class,
        description = "Deploys Apache Kafka (KRaft) to Kubernetes: a StatefulSet of combined brokers and controllers.")
public class deploy implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", defaultValue = "dev", paramLabel = "PROFILE",
            converter = ProfileParameter.class,
            description = "dev (1 broker, 512Mi) or prod (3 brokers, 2Gi each). Default: ${DEFAULT-VALUE}.")
    ClusterProfile profile;

    @Mixin
    NamespaceOption namespace;

    @Option(names = "--image", paramLabel = "IMAGE", defaultValue = KafkaManifests.DEFAULT_IMAGE,
            description = "Kafka image (default: ${DEFAULT-VALUE}).")
    String image;

    @Option(names = "--storage-size", paramLabel = "SIZE",
            description = "Volume size per broker (default: 1Gi dev, 10Gi prod).")
    String storageSize;

    @Option(names = "--storage-class", paramLabel = "CLASS",
            description = "Storage class of the volumes (default: the cluster's default class).")
    String storageClass;

    @Option(names = "--dry-run", description = "Print the objects as YAML instead of applying them; contacts nothing.")
    boolean dryRun;

    public static void main(String... args) {
        System.exit(Cli.execute(new deploy(), args));
    }

    @Override
    public Integer call() {
        KafkaManifests manifests = new KafkaManifests(profile, namespace.get(), image, validStorageSize(),
                storageClass);
        if (dryRun) {
            printYaml(manifests);
            return Cli.OK;
        }
        throw new ParameterException(spec.commandLine(), "applying is not available yet: use --dry-run");
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

    private static void printYaml(KafkaManifests manifests) {
        KubernetesSerialization serialization = new KubernetesSerialization();
        StringBuilder yaml = new StringBuilder();
        for (HasMetadata object : manifests.all()) {
            String document = serialization.asYaml(object);
            yaml.append(document.startsWith("---") ? "" : "---\n").append(document);
        }
        System.out.print(yaml);
    }
}
