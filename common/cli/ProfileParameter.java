package common.cli;

import common.cluster.ClusterProfile;

/** Reads the {@code dev|prod} argument. */
public class ProfileParameter extends ChoiceParameter<ClusterProfile> {
    public ProfileParameter() {
        super(ClusterProfile::parse);
    }
}
