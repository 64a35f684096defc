package common.cli;

import common.cluster.KafkaEndpoints;
import java.util.regex.Pattern;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The {@code -n/--namespace} option, as kubectl spells it, checked to be a valid namespace name. */
public class NamespaceOption {
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

    @Spec(Spec.Target.MIXEE)
    private CommandSpec command;

    private String namespace = KafkaEndpoints.DEFAULT_NAMESPACE;

    @Option(names = {"-n", "--namespace"}, paramLabel = "NAMESPACE", defaultValue = KafkaEndpoints.DEFAULT_NAMESPACE,
            description = "Kubernetes namespace (default: ${DEFAULT-VALUE}).")
    void setNamespace(String value) {
        if (!isValid(value)) {
            throw new ParameterException(command.commandLine(), "invalid namespace '" + value
                    + "': lower-case letters, digits and '-', at most 63 characters");
        }
        namespace = value;
    }

    /** Whether Kubernetes accepts this as a namespace name (a DNS label). */
    public static boolean isValid(String name) {
        return DNS_LABEL.matcher(name).matches();
    }

    public String get() {
        return namespace;
    }
}
