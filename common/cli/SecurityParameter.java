package common.cli;

import common.cluster.ClusterSecurity;

/** Reads {@code --security}. */
public class SecurityParameter extends ChoiceParameter<ClusterSecurity> {
    public SecurityParameter() {
        super(ClusterSecurity::parse);
    }
}
