package tests;

import common.cluster.ClusterProfile;

/** The dev profile's single node forms a KRaft cluster of one. */
class DevKafkaClusterTest extends KafkaClusterContract {
    @Override
    ClusterProfile profile() {
        return ClusterProfile.DEV;
    }
}
