package common.cli;

import common.cluster.KafkaEndpoints;
import java.util.regex.Pattern;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code --cluster-domain}: the cluster's DNS domain (kubelet's --cluster-domain), in the brokers' addresses. */
public class ClusterDomainOption {
    private static final Pattern DNS_NAME = Pattern.compile(
            "[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*");

    @Spec(Spec.Target.MIXEE)
    private CommandSpec command;

    private String domain = KafkaEndpoints.DEFAULT_CLUSTER_DOMAIN;

    @Option(names = "--cluster-domain", paramLabel = "DOMAIN", defaultValue = KafkaEndpoints.DEFAULT_CLUSTER_DOMAIN,
            description = "The cluster's DNS domain (default: ${DEFAULT-VALUE}).")
    void setDomain(String value) {
        if (!DNS_NAME.matcher(value).matches()) {
            throw new ParameterException(command.commandLine(), "invalid --cluster-domain '" + value
                    + "': expected a DNS name such as cluster.local");
        }
        domain = value;
    }

    public String get() {
        return domain;
    }
}
