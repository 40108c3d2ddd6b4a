// The metrics endpoint over real HTTP on loopback, its page checked by promtool; non-loopback addresses refused.
package dev.tapover.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;

import org.junit.jupiter.api.Test;

class MetricsServerTest {
    @Test
    void pageServedOnLoopbackPassesPromtool() throws Exception {
        long[] now = {9_000_000_000L};
        AgentMetrics metrics = new AgentMetrics(() -> AgentMetricsTest.status(now[0]), g -> 0, () -> now[0]);
        metrics.onEvent(AgentMetricsTest.event("type", "carrier", "group", "fo0", "link", "eth1", "carrier", false));
        metrics.onEvent(AgentMetricsTest.event("type", "active-changed", "group", "fo0", "from", "eth1", "to", "eth2",
                "reason", "carrier-lost", "trigger", "eth1"));
        try (MetricsServer server = MetricsServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                metrics)) {
            assertTrue(server.port() > 0);
            String page = Promtool.scrape(server.address());
            assertTrue(page.contains("tapover_failovers_total{group=\"fo0\",reason=\"carrier-lost\"} 1.0"), page);
            assertTrue(page.contains("tapover_failover_latency_seconds_bucket{"), page);
            assertTrue(page.contains("tapover_link_rx_frames_total{"), page);
            Promtool.Result check = Promtool.check(page);
            assertEquals(0, check.exit(), "promtool check metrics:\n" + check.output() + "\npage:\n" + page);
            assertEquals("", check.output().strip());
        }
    }

    @Test
    void promtoolCatchesABrokenPage() {
        Promtool.Result bad = Promtool.check("# TYPE tapover_x counter\ntapover_x{group=\"fo0\" 1\n");
        assertTrue(bad.exit() != 0, "a malformed page fails the check: " + bad.output());
    }

    @Test
    void nonLoopbackAddressesAreRefused() throws Exception {
        AgentMetrics metrics = new AgentMetrics(java.util.Map::of, g -> 0, System::nanoTime);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MetricsServer.start(
                new InetSocketAddress(InetAddress.getByName("0.0.0.0"), 0), metrics));
        assertTrue(e.getMessage().contains("is not a loopback address"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MetricsServer.start(
                new InetSocketAddress(InetAddress.getByName("192.0.2.1"), 9468), metrics));
    }
}
