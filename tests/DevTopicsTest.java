package tests;

import common.ClusterProfile;

/** create_topics and verify on the dev profile's single broker: replication factor 1. */
class DevTopicsTest extends TopicsContract {
    @Override
    ClusterProfile profile() {
        return ClusterProfile.DEV;
    }
}
