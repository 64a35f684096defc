package common.cli;

import picocli.CommandLine.IVersionProvider;

/** The tool's version and the Apache Kafka version it deploys and talks to. */
public final class ToolVersion implements IVersionProvider {
    public static final String TOOL = "0.1.0";
    /** Keep equal to the kafka-clients version in the scripts' //DEPS: the image is pinned to it. */
    public static final String KAFKA = "4.4.0";

    @Override
    public String[] getVersion() {
        return new String[] {"kafka-k8s-setup " + TOOL + " (Apache Kafka " + KAFKA + ")"};
    }
}
