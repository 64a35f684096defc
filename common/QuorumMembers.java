package common;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.QuorumInfo;

/**
 * The KRaft metadata quorum as {@code --json} reports it: the leader, then each voter and observer with how far its
 * metadata log trails the leader's (in records) and how long ago it was last caught up.
 */
public final class QuorumMembers {
    /** Fetched this recently to count as there. */
    static final long FETCHING_MS = 3_000;

    private QuorumMembers() {
    }

    /** The quorum's facts; {@code nowMillis} is the clock the caught-up ages are measured against. */
    public static Map<String, Object> facts(QuorumInfo quorum, long nowMillis) {
        long leaderEnd = quorum.voters().stream().filter(voter -> voter.replicaId() == quorum.leaderId())
                .mapToLong(QuorumInfo.ReplicaState::logEndOffset).findFirst().orElse(quorum.highWatermark());
        Map<String, Object> facts = new LinkedHashMap<>();
        facts.put("leader", quorum.leaderId() < 0 ? null : quorum.leaderId());
        facts.put("epoch", quorum.leaderEpoch());
        facts.put("voters", members(quorum.voters(), leaderEnd, nowMillis));
        facts.put("observers", members(quorum.observers(), leaderEnd, nowMillis));
        return facts;
    }

    /**
     * Voters whose node now runs on other storage: an observer with the voter's id and another directory id (a
     * replaced disk, formatted anew). The quorum still counts the old voter, which no longer exists.
     */
    public static List<Integer> replacedVoters(QuorumInfo quorum) {
        long now = System.currentTimeMillis();
        return quorum.voters().stream().filter(voter -> quorum.observers().stream().anyMatch(observer ->
                observer.replicaId() == voter.replicaId() && fetching(observer, now)
                        && !observer.replicaDirectoryId().equals(voter.replicaDirectoryId())))
                .map(QuorumInfo.ReplicaState::replicaId).toList();
    }

    /**
     * Whether a voter or observer fetched from the leader within the last seconds (followers and observers fetch
     * continuously). The leader keeps listing storage it stopped hearing from, such as a removed voter's, for a
     * while: only fetching members are there.
     */
    public static boolean fetching(QuorumInfo.ReplicaState member, long nowMillis) {
        return member.lastFetchTimestamp().isPresent()
                && nowMillis - member.lastFetchTimestamp().getAsLong() <= FETCHING_MS;
    }

    private static List<Map<String, Object>> members(List<QuorumInfo.ReplicaState> replicas, long leaderEnd,
            long nowMillis) {
        return replicas.stream().map(replica -> {
            Map<String, Object> member = new LinkedHashMap<>();
            member.put("id", replica.replicaId());
            member.put("lag", Math.max(0, leaderEnd - replica.logEndOffset()));
            replica.lastCaughtUpTimestamp().ifPresent(at -> member.put("caughtUpMsAgo", Math.max(0, nowMillis - at)));
            return member;
        }).toList();
    }
}
