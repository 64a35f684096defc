package tests;

import common.cluster.ClusterProfile;

/** create_topics and verify on the dev profile's single broker: replication factor 1. */
class DevTopicsTest extends TopicsContract {
    @Override
    ClusterProfile profile() {
        return ClusterProfile.DEV;
    }
}
