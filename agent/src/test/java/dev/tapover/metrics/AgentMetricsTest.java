// Unit tests of the agent's metrics: event counters, the latency stages on a fake clock, and status-derived values.
package dev.tapover.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;

class AgentMetricsTest {
    private final long[] now = {5_000_000_000L};
    private final long[] sent = {0};

    static Map<String, Object> event(Object... kv) {
        Map<String, Object> e = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            e.put((String) kv[i], kv[i + 1]);
        }
        return e;
    }

    /** A status document (schema 1) as GroupRuntime builds it, with one failover 2.5 s before {@code at}. */
    static Map<String, Object> status(long at) {
        Map<String, Object> primary = event("name", "eth1", "configuredName", "eth1", "role", "primary", "rank", 0,
                "present", true, "ifindex", 3, "adminUp", true, "carrier", false, "usable", false, "state", "down",
                "counters", event("rxFrames", 120L, "rxBytes", 12000L, "txFrames", 118L, "txBytes", 11800L,
                        "drops", event("no-carrier", 3L)));
        Map<String, Object> standby = event("name", "eth2", "configuredName", "eth2", "role", "standby", "rank", 1,
                "present", true, "ifindex", 4, "adminUp", true, "carrier", true, "usable", true, "state", "up",
                "counters", event("rxFrames", 7L, "rxBytes", 700L, "txFrames", 9L, "txBytes", 900L,
                        "drops", event("inactive-link", 2L)));
        Map<String, Object> group = event("master", event("name", "fo0", "mac", "02:00:5e:00:53:01", "ifindex", 7,
                        "carrier", true, "addresses", List.of("192.0.2.1/24")),
                "active", "eth2", "manual", false, "links", List.of(primary, standby), "failovers", 2L,
                "lastFailover", event("reason", "carrier-lost", "from", "eth1", "to", "eth2",
                        "time", "2025-01-01T10:00:00Z", "monotonicNanos", at - 2_500_000_000L),
                "announcements", event("form", "request", "sent", event("arp-request", 6L, "na", 3L),
                        "sentTotal", 9L, "bursts", 2L, "framesSuppressed", 4L, "sendErrors", 0L));
        return event("schema", 1, "version", "0.1.0", "groups", List.of(group));
    }

    private AgentMetrics metrics() {
        return new AgentMetrics(() -> status(now[0]), g -> sent[0], () -> now[0]);
    }

    static String page(AgentMetrics m) throws Exception {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        new PrometheusTextFormatWriter(false).write(out, m.registry().scrape());
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void failoversAreCountedByReasonAndCarrierChangesByLink() throws Exception {
        AgentMetrics m = metrics();
        m.onEvent(event("type", "active-changed", "group", "fo0", "from", null, "to", "eth1", "reason", "initial",
                "trigger", "eth1"));
        m.onEvent(event("type", "carrier", "group", "fo0", "link", "eth1", "carrier", false, "source", "netlink"));
        m.onEvent(event("type", "active-changed", "group", "fo0", "from", "eth1", "to", "eth2",
                "reason", "carrier-lost", "trigger", "eth1"));
        m.onEvent(event("type", "link-registered", "group", "fo0", "link", "eth3"));
        String page = page(m);
        assertTrue(page.contains("tapover_failovers_total{group=\"fo0\",reason=\"carrier-lost\"} 1.0"), page);
        assertTrue(page.contains("tapover_failovers_total{group=\"fo0\",reason=\"initial\"} 1.0"), page);
        assertTrue(page.contains("tapover_link_carrier_changes_total{group=\"fo0\",link=\"eth1\"} 1.0"), page);
    }

    @Test
    void latencyStagesFromDetectionToSwitchToFirstFrame() throws Exception {
        AgentMetrics m = metrics();
        m.onEvent(event("type", "carrier", "group", "fo0", "link", "eth1", "carrier", false));
        now[0] += 300_000; // 0.3 ms to decide and move the data path
        m.onEvent(event("type", "active-changed", "group", "fo0", "from", "eth1", "to", "eth2",
                "reason", "carrier-lost", "trigger", "eth1"));
        now[0] += 100_000;
        assertEquals(1, m.latencyWatch().poll(), "no frame yet: still waiting");
        sent[0] = 2; // the announcer put the first round on the wire
        now[0] += 600_000;
        assertEquals(0, m.latencyWatch().poll());
        String page = page(m);
        String labels = "group=\"fo0\",reason=\"carrier-lost\",stage=";
        assertTrue(page.contains("tapover_failover_latency_seconds_sum{" + labels + "\"detect_to_switch\"} 3.0E-4"),
                page);
        assertTrue(page.contains("tapover_failover_latency_seconds_bucket{" + labels
                + "\"switch_to_announcement\",le=\"0.001\"} 1"), page);
        assertTrue(page.contains("tapover_failover_latency_seconds_sum{" + labels + "\"switch_to_announcement\"} 7.0E-4"),
                page);
        assertTrue(page.contains("tapover_failover_latency_seconds_sum{" + labels + "\"detect_to_announcement\"} 0.001"),
                page);
    }

    @Test
    void eventsPublishedAfterTheFirstFrameCarryTheirOwnTimes() throws Exception {
        AgentMetrics m = metrics();
        long detected = now[0];
        now[0] += 2_000_000; // the events are seen 2 ms later, after the first frame went out
        m.onEvent(event("type", "carrier", "group", "fo0", "link", "eth1", "carrier", false,
                "monotonicNanos", detected));
        m.onEvent(event("type", "active-changed", "group", "fo0", "from", "eth1", "to", "eth2",
                "reason", "carrier-lost", "trigger", "eth1", "monotonicNanos", detected + 200_000,
                "firstFrameNanos", detected + 250_000));
        assertEquals(0, m.latencyWatch().poll(), "the first frame is known: nothing to watch");
        String page = page(m);
        String labels = "group=\"fo0\",reason=\"carrier-lost\",stage=";
        assertTrue(page.contains("tapover_failover_latency_seconds_sum{" + labels + "\"detect_to_switch\"} 2.0E-4"),
                page);
        assertTrue(page.contains("tapover_failover_latency_seconds_sum{" + labels + "\"switch_to_announcement\"} 5.0E-5"),
                page);
        assertTrue(page.contains("tapover_failover_latency_seconds_sum{" + labels + "\"detect_to_announcement\"} 2.5E-4"),
                page);
    }

    @Test
    void aManualSwitchHasNoDetectionStageAndAnUnannouncedSwitchIsGivenUp() throws Exception {
        AgentMetrics m = metrics();
        m.onEvent(event("type", "active-changed", "group", "fo0", "from", "eth1", "to", "eth2", "reason", "manual",
                "trigger", "eth2"));
        now[0] += 6_000_000_000L;
        assertEquals(0, m.latencyWatch().poll(), "given up after 5 s without a frame");
        String page = page(m);
        assertTrue(!page.contains("tapover_failover_latency_seconds_count"), page);
    }

    @Test
    void statusValuesBecomeCountersAndGauges() throws Exception {
        String page = page(metrics());
        List<String> expected = new ArrayList<>(List.of(
                "tapover_build_info{version=\"0.1.0\"} 1",
                "tapover_link_rx_frames_total{group=\"fo0\",link=\"eth1\",role=\"primary\"} 120.0",
                "tapover_link_tx_bytes_total{group=\"fo0\",link=\"eth2\",role=\"standby\"} 900.0",
                "tapover_link_drops_total{group=\"fo0\",link=\"eth1\",reason=\"no-carrier\"} 3.0",
                "tapover_link_drops_total{group=\"fo0\",link=\"eth2\",reason=\"inactive-link\"} 2.0",
                "tapover_link_carrier{group=\"fo0\",link=\"eth1\",role=\"primary\"} 0.0",
                "tapover_link_active{group=\"fo0\",link=\"eth2\",role=\"standby\"} 1.0",
                "tapover_link_active{group=\"fo0\",link=\"eth1\",role=\"primary\"} 0.0",
                "tapover_master_carrier{group=\"fo0\"} 1.0",
                "tapover_announcement_frames_total{group=\"fo0\",kind=\"arp-request\"} 6.0",
                "tapover_announcement_frames_total{group=\"fo0\",kind=\"na\"} 3.0",
                "tapover_announcement_frames_withheld_total{group=\"fo0\"} 4.0",
                "tapover_time_since_last_failover_seconds{group=\"fo0\"} 2.5",
                "tapover_last_failover_timestamp_seconds{group=\"fo0\"} 1.7357256E9"));
        for (String line : expected) {
            assertTrue(page.contains(line + "\n"), "missing " + line + " in\n" + page);
        }
    }

    @Test
    void aStatusThatCannotBeReadLeavesTheEventMetricsAndCountsTheError() throws Exception {
        AgentMetrics m = new AgentMetrics(() -> {
            throw new IllegalStateException("the agent did not answer within 2000 ms");
        }, g -> -1, () -> now[0]);
        String page = page(m);
        assertTrue(page.contains("tapover_metrics_status_errors_total 1.0"), page);
        assertTrue(!page.contains("tapover_link_rx_frames"), page);
    }
}
