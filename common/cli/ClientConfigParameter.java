package common.cli;

import common.cluster.ClientConfig;

/** Reads {@code --client-config}. */
public class ClientConfigParameter extends ChoiceParameter<ClientConfig> {
    public ClientConfigParameter() {
        super(ClientConfig::parse);
    }
}
