///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
// Sources are UTF-8 (they hold ✓, ✗, →) whatever the locale: JDK 17's javac reads them in the locale's charset.
//JAVAC_OPTIONS -encoding UTF-8
// The sourced scripts bring their JVM options; class data sharing is per jar.
//CDS
//SOURCES deploy.java create_topics.java verify.java get_connection.java

import common.cli.Cli;
import common.cli.ProcessExit;
import common.cli.ToolVersion;
import picocli.CommandLine.Command;

/** The four scripts as subcommands of one command: the same classes, options and behaviour. */
@Command(name = "kafka-setup", mixinStandardHelpOptions = true, versionProvider = ToolVersion.class,
        description = "Apache Kafka on Kubernetes for LearnFlow.",
        subcommands = {deploy.class, create_topics.class, verify.class, get_connection.class})
public class kafka_setup {
    public static void main(String... args) {
        ProcessExit.now(Cli.execute(new kafka_setup(), args));
    }
}
