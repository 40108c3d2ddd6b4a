// The predecessor's state at the freeze, as a versioned JSON document: policy, link timers, counters, announcements.
package dev.tapover.liveupdate;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.tapover.failover.LinkRole;
import dev.tapover.failover.LinkSnapshot;
import dev.tapover.failover.LinkState;
import dev.tapover.failover.Reason;

/**
 * Times are stored relative to the moment of the snapshot ({@code deadlineInNanos}: how long the pending
 * up/down-delay still had to run; {@code usableForNanos}: how long the link had been usable), so the
 * successor puts them on its own clock and the time spent frozen does not count: the timers were paused.
 * Fields a newer predecessor adds are ignored; a different {@code schema} is refused.
 *
 * @param schema        {@link #SCHEMA}
 * @param master        the master's name, carrier and addresses
 * @param policy        the failover group's state
 * @param counters      the data path's counters, master and per link rank
 * @param announcements the announcer's status at the freeze (its counters, last reason), for the record
 * @param silenced      lower links the predecessor silenced, each with its sysctls' values to restore on exit
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record StateSnapshot(int schema, MasterState master, PolicyState policy, CounterState counters,
                            Map<String, Object> announcements, Map<String, Map<String, String>> silenced) {
    public static final int SCHEMA = 1;

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /** @param addresses CIDRs, e.g. 192.0.2.1/24 */
    public record MasterState(String name, boolean carrier, List<String> addresses) {
    }

    /**
     * @param activeIfindex the active link's ifindex, null if none
     * @param lastFailover  the last failover as the status document shows it, null if none
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record PolicyState(Integer activeIfindex, String activeName, boolean pinned, boolean everActive,
                              long eventCount, long failovers, Map<String, Object> lastFailover,
                              List<SavedLink> links) {
    }

    /** One link's debounced state with relative times (null: no pending deadline / not usable). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record SavedLink(int ifindex, String name, String configuredName, int rank, boolean adminUp,
                            boolean carrier, int speedMbps, String state, Long usableForNanos,
                            Long deadlineInNanos, String downCause) {

        /** Saves {@code s}, taken at {@code nowNanos} on the predecessor's clock. */
        public static SavedLink of(LinkSnapshot s, long nowNanos) {
            return new SavedLink(s.ifindex(), s.name(), s.configuredName(), s.rank(), s.adminUp(), s.carrier(),
                    s.speedMbps(), s.state().wireName(),
                    s.usableSinceNanos() == LinkSnapshot.NOT_USABLE ? null : nowNanos - s.usableSinceNanos(),
                    s.deadlineNanos() == LinkSnapshot.NO_DEADLINE ? null : Math.max(0, s.deadlineNanos() - nowNanos),
                    s.downCause() == null ? null : s.downCause().wireName());
        }

        /** The snapshot on the successor's clock at {@code nowNanos}. */
        public LinkSnapshot toLinkSnapshot(long nowNanos) throws LiveUpdateException {
            LinkState linkState = null;
            for (LinkState candidate : LinkState.values()) {
                if (candidate.wireName().equals(state)) {
                    linkState = candidate;
                }
            }
            if (linkState == null) {
                throw new LiveUpdateException("the snapshot gives link " + name + " the unknown state \"" + state + "\"");
            }
            try {
                return new LinkSnapshot(ifindex, name, configuredName, rank == 0 ? LinkRole.PRIMARY : LinkRole.STANDBY,
                        rank, adminUp, carrier, speedMbps, linkState,
                        usableForNanos == null ? LinkSnapshot.NOT_USABLE : nowNanos - usableForNanos,
                        deadlineInNanos == null ? LinkSnapshot.NO_DEADLINE : nowNanos + deadlineInNanos,
                        downCause == null ? null : Reason.fromWireName(downCause));
            } catch (IllegalArgumentException e) {
                throw new LiveUpdateException("the snapshot's state of link " + name + " is inconsistent: " + e.getMessage());
            }
        }
    }

    /** Frame, byte and drop counters of one port. */
    public record CounterValues(long rxFrames, long rxBytes, long txFrames, long txBytes, Map<String, Long> drops) {
    }

    /** @param links by rank (index 0 the primary); null where the link was never present */
    public record CounterState(CounterValues master, List<CounterValues> links) {
    }

    /** The active link's ifindex as an OptionalInt. */
    public OptionalInt activeIfindex() {
        return policy.activeIfindex() == null ? OptionalInt.empty() : OptionalInt.of(policy.activeIfindex());
    }

    /** Every saved link, moved to the successor's clock at {@code nowNanos}. */
    public List<LinkSnapshot> linksAt(long nowNanos) throws LiveUpdateException {
        List<LinkSnapshot> out = new ArrayList<>();
        for (SavedLink link : policy.links()) {
            out.add(link.toLinkSnapshot(nowNanos));
        }
        return out;
    }

    public Optional<Map<String, Object>> lastFailover() {
        return Optional.ofNullable(policy.lastFailover());
    }

    public JsonNode toJson() {
        return MAPPER.valueToTree(this);
    }

    /** Decodes a snapshot; a missing or different schema, or a missing part, is a one-sentence error. */
    public static StateSnapshot fromJson(JsonNode node) throws LiveUpdateException {
        if (node == null || !node.isObject()) {
            throw new LiveUpdateException("the handoff carries no state snapshot; are both sides tapover?");
        }
        int schema = node.path("schema").asInt(-1);
        if (schema != SCHEMA) {
            throw new LiveUpdateException("the predecessor's state snapshot has schema " + schema + ", this build reads schema "
                    + SCHEMA + "; upgrade through a build that reads both");
        }
        StateSnapshot s;
        try {
            s = MAPPER.treeToValue(node, StateSnapshot.class);
        } catch (java.io.IOException | IllegalArgumentException e) {
            throw new LiveUpdateException("the predecessor's state snapshot cannot be read: " + e.getMessage());
        }
        if (s.master() == null || s.policy() == null || s.policy().links() == null || s.counters() == null) {
            throw new LiveUpdateException("the predecessor's state snapshot lacks its master, policy or counters part");
        }
        return s;
    }
}
