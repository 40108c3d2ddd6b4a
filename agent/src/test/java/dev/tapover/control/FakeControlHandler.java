// A ControlHandler for tests: canned answers, recorded calls, and events pushed by the test.
package dev.tapover.control;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;

/** Knows links "eth1" (primary) and "eth2" (standby); "eth2" has no carrier unless {@link #standbyUp}. */
public final class FakeControlHandler implements ControlHandler {
    public final List<String> calls = new CopyOnWriteArrayList<>();
    public final List<Consumer<Map<String, Object>>> subscribers = new CopyOnWriteArrayList<>();
    /** Counted down on every subscribe, so a real-socket test can wait for the stream to be live. */
    public volatile CountDownLatch subscribed = new CountDownLatch(1);
    public volatile boolean standbyUp = true;
    public volatile int unsubscribes;
    private long seq;

    @Override
    public Map<String, Object> status() {
        calls.add("status");
        return statusDocument();
    }

    /** A full schema-1 document. */
    public static Map<String, Object> statusDocument() {
        Map<String, Object> master = new LinkedHashMap<>();
        master.put("name", "fo0");
        master.put("mac", "02:00:5e:00:53:01");
        master.put("ifindex", 7);
        master.put("carrier", true);
        master.put("addresses", List.of("192.0.2.1/24", "2001:db8::1/64"));
        Map<String, Object> group = new LinkedHashMap<>();
        group.put("master", master);
        group.put("active", "eth1");
        group.put("manual", false);
        group.put("links", List.of(link("eth1", 3, "primary", 0, true, "active", 120),
                link("eth2", 4, "standby", 1, false, "down", 0)));
        group.put("failovers", 2);
        group.put("lastFailover", Map.of("reason", "carrier-lost", "from", "eth2", "to", "eth1",
                "time", "2025-01-01T10:00:00Z"));
        group.put("announcements", Map.of("garp", 6, "na", 6));
        group.put("datapath", Map.of("tapReads", 1000));
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("schema", 1);
        doc.put("version", "test");
        doc.put("groups", List.of(group));
        return doc;
    }

    private static Map<String, Object> link(String name, int ifindex, String role, int rank, boolean carrier,
            String state, long frames) {
        Map<String, Object> link = new LinkedHashMap<>();
        link.put("name", name);
        link.put("ifindex", ifindex);
        link.put("role", role);
        link.put("rank", rank);
        link.put("present", true);
        link.put("adminUp", true);
        link.put("carrier", carrier);
        link.put("usable", carrier);
        link.put("state", state);
        link.put("counters", Map.of("rxFrames", frames, "rxBytes", frames * 100, "txFrames", frames,
                "txBytes", frames * 100, "drops", carrier ? Map.of() : Map.of("no-carrier", 3)));
        return link;
    }

    @Override
    public Map<String, Object> switchTo(String group, String target) throws ControlException {
        calls.add("switch " + group + " " + target);
        if (target.equals("eth9")) {
            throw new ControlException("unknown-group", "no link eth9 in group fo0; use primary, standby or eth1/eth2");
        }
        if ((target.equals("standby") || target.equals("eth2")) && !standbyUp) {
            throw new ControlException("refused", "eth2 has no carrier; plug it in or choose another link");
        }
        if (target.equals("boom")) {
            throw new IllegalStateException("boom");
        }
        return Map.of("group", "fo0", "active", target.equals("standby") ? "eth2" : target, "changed", true);
    }

    @Override
    public Map<String, Object> notifyPeers(String group) {
        calls.add("notify-peers " + group);
        return Map.of("group", "fo0", "sent", Map.of("garp", 1, "na", 1));
    }

    @Override
    public Map<String, Object> reload() {
        calls.add("reload");
        return Map.of("changed", List.of());
    }

    @Override
    public Map<String, Object> upgrade() throws ControlException {
        calls.add("upgrade");
        throw new ControlException("unavailable", "no installed build found at /opt/tapover; install one first");
    }

    @Override
    public synchronized AutoCloseable subscribe(Consumer<Map<String, Object>> listener) {
        calls.add("subscribe");
        subscribers.add(listener);
        subscribed.countDown();
        return () -> {
            subscribers.remove(listener);
            synchronized (this) {
                unsubscribes++;
            }
        };
    }

    /** Delivers one event to every subscriber, as the agent would. */
    public void push(String type) {
        Map<String, Object> event = new LinkedHashMap<>();
        synchronized (this) {
            event.put("seq", ++seq);
        }
        event.put("time", "2025-01-01T10:00:00Z");
        event.put("type", type);
        for (Consumer<Map<String, Object>> subscriber : new ArrayList<>(subscribers)) {
            subscriber.accept(event);
        }
    }
}
