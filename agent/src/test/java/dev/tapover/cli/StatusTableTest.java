// Unit tests of the status table: a full document, and documents with keys missing, extra or malformed.
package dev.tapover.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.tapover.control.FakeControlHandler;

class StatusTableTest {
    @Test
    void aFullDocument() {
        String text = StatusTable.render(FakeControlHandler.statusDocument());
        List<String> lines = text.lines().toList();
        assertEquals("tapover test, status schema 1", lines.get(0));
        assertEquals("", lines.get(1));
        assertEquals("fo0  mac 02:00:5e:00:53:01  ifindex 7  carrier up", lines.get(2));
        assertTrue(lines.contains("  addresses      192.0.2.1/24, 2001:db8::1/64"), text);
        assertTrue(lines.contains("  active         eth1"), text);
        assertTrue(lines.contains("  failovers      2"), text);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("  announcements") && l.contains("garp=6")), text);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("  datapath") && l.contains("tapReads=1000")), text);
        String header = lines.stream().filter(l -> l.contains("IFINDEX")).findFirst().orElseThrow();
        assertTrue(header.startsWith("  LINK  IFINDEX  ROLE"), header);
        assertTrue(header.endsWith("DROPS"), header);
        String eth1 = lines.stream().filter(l -> l.contains("eth1  3")).findFirst().orElseThrow();
        assertTrue(eth1.matches("\\* eth1 +3 +primary +0 +yes +up +up +yes +active +120 +12000 +120 +12000 +0"), eth1);
    }

    @Test
    void anEmptyDocumentStillRenders() {
        assertEquals("tapover -, status schema -\n", StatusTable.render(Map.of()));
        assertTrue(StatusTable.render(Map.of("schema", 1, "groups", List.of())).contains("no failover groups"));
    }

    @Test
    void missingKeysPrintAsDashes() {
        Map<String, Object> group = new LinkedHashMap<>();
        group.put("links", List.of(Map.of("name", "eth1"), "not-a-link"));
        String text = StatusTable.render(Map.of("schema", 1, "groups", List.of(group, "not-a-group")));
        assertTrue(text.contains("-  mac -  ifindex -  carrier -"), text);
        assertTrue(text.lines().anyMatch(l -> l.matches("  active +-")), text);
        assertTrue(text.lines().anyMatch(l -> l.matches("  eth1 +(- +)+-")), text);
    }

    @Test
    void unknownKeysAreShownNotDropped() {
        Map<String, Object> link = new LinkedHashMap<>();
        link.put("name", "eth1");
        link.put("mtu", 1500);
        link.put("counters", Map.of("rxFrames", 1, "rxErrors", 4));
        Map<String, Object> group = new LinkedHashMap<>();
        group.put("master", Map.of("name", "fo0", "mtu", 1500));
        group.put("manual", true);
        group.put("active", "eth1");
        group.put("links", List.of(link));
        group.put("policy", Map.of("failback", "always", "delays", Map.of("up", "0ms")));
        group.put("lastFailover", Map.of("reason", "manual", "time", 1735725600000L, "took", "3ms"));
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("schema", 2);
        doc.put("groups", List.of(group));
        doc.put("uptime", "5m");
        String text = StatusTable.render(doc);
        assertTrue(text.contains("  active         eth1 (manual)"), text);
        assertTrue(text.lines().anyMatch(l -> l.matches("  mtu +1500")), text);
        assertTrue(text.contains("policy") && text.contains("delays.up=0ms") && text.contains("failback=always"), text);
        assertTrue(text.contains("manual: - -> - at 2025-01-01T10:00:00Z, took 3ms"), text);
        assertTrue(text.contains("MORE"), text);
        assertTrue(text.contains("mtu=1500 rxErrors=4"), text);
        assertTrue(text.contains("uptime  5m"), text);
    }

    @Test
    void noFailoverYet() {
        Map<String, Object> group = new LinkedHashMap<>();
        group.put("failovers", 0);
        group.put("lastFailover", null);
        String text = StatusTable.render(Map.of("groups", List.of(group)));
        assertTrue(text.contains("  last failover  none"), text);
    }
}
