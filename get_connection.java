///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS info.picocli:picocli:4.7.7
//SOURCES common/Cli.java common/CommandFailure.java common/KafkaEndpoints.java common/NamespaceOption.java
//SOURCES common/ToolVersion.java

import common.Cli;
import common.KafkaEndpoints;
import common.NamespaceOption;
import common.ToolVersion;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "get_connection", mixinStandardHelpOptions = true, versionProvider = ToolVersion.class,
        description = "Prints the bootstrap address of the Kafka cluster for clients inside Kubernetes.")
public class get_connection implements Callable<Integer> {
    @Mixin
    NamespaceOption namespace;

    public static void main(String... args) {
        System.exit(Cli.execute(new get_connection(), args));
    }

    @Override
    public Integer call() {
        System.out.println(KafkaEndpoints.clientBootstrap(namespace.get()));
        return Cli.OK;
    }
}
