// Renders the agent's status document (schema 1) as text for people; copes with any key missing or extra.
package dev.tapover.cli;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;

/**
 * <pre>
 * tapover 0.1.0, status schema 1
 *
 * fo0  mac 02:00:00:00:00:01  ifindex 7  carrier up
 *   addresses      192.0.2.1/24, 2001:db8::1/64
 *   active         eth1
 *   failovers      1
 *   last failover  carrier-lost: eth2 -&gt; eth1 at 2025-01-01T10:00:00Z
 *   announcements  sent=6 rounds=3
 *
 *   LINK  IFINDEX  ROLE     ...  DROPS
 * * eth1  3        primary  ...  0
 *   eth2  4        standby  ...  short=2
 * </pre>
 *
 * Keys the document does not have print as "-"; keys this renderer does not know print as "key  value" lines
 * (or a MORE column for links), so a newer agent's document still shows in full.
 */
final class StatusTable {
    private static final String MISSING = "-";
    private static final Set<String> TOP_KEYS = Set.of("schema", "version", "groups");
    private static final Set<String> GROUP_KEYS = Set.of("master", "active", "manual", "links", "failovers",
            "lastFailover", "announcements", "datapath");
    private static final Set<String> MASTER_KEYS = Set.of("name", "mac", "ifindex", "carrier", "addresses");
    private static final Set<String> LINK_KEYS = Set.of("name", "ifindex", "role", "rank", "present", "adminUp",
            "carrier", "usable", "state", "counters");
    private static final Set<String> COUNTER_KEYS = Set.of("rxFrames", "rxBytes", "txFrames", "txBytes", "drops");
    private static final Set<String> FAILOVER_KEYS = Set.of("reason", "from", "to", "time");

    private StatusTable() {
    }

    static String render(Map<String, Object> status) {
        StringBuilder text = new StringBuilder();
        text.append("tapover ").append(orMissing(status.get("version")))
                .append(", status schema ").append(orMissing(status.get("schema"))).append('\n');
        Object groups = status.get("groups");
        if (groups instanceof List<?> list) {
            if (list.isEmpty()) {
                text.append("\nno failover groups\n");
            }
            for (Object group : list) {
                text.append('\n');
                renderGroup(text, asMap(group));
            }
        } else if (groups != null) {
            text.append("\ngroups  ").append(format(groups)).append('\n');
        }
        List<String[]> extra = extraRows(status, TOP_KEYS);
        if (!extra.isEmpty()) {
            text.append('\n');
            appendAligned(text, "", extra);
        }
        return text.toString();
    }

    private static void renderGroup(StringBuilder text, Map<String, Object> group) {
        Map<String, Object> master = asMap(group.get("master"));
        text.append(orMissing(master.get("name")))
                .append("  mac ").append(orMissing(master.get("mac")))
                .append("  ifindex ").append(orMissing(master.get("ifindex")))
                .append("  carrier ").append(upDown(master.get("carrier"))).append('\n');

        List<String[]> rows = new ArrayList<>();
        rows.add(row("addresses", format(master.get("addresses"))));
        rows.addAll(extraRows(master, MASTER_KEYS));
        String active = orMissing(group.get("active"));
        if (Boolean.TRUE.equals(group.get("manual"))) {
            active += " (manual)";
        }
        rows.add(row("active", active));
        rows.add(row("failovers", orMissing(group.get("failovers"))));
        if (group.containsKey("lastFailover")) {
            rows.add(row("last failover", lastFailover(group.get("lastFailover"))));
        }
        if (group.containsKey("announcements")) {
            rows.add(row("announcements", format(group.get("announcements"))));
        }
        if (group.containsKey("datapath")) {
            rows.add(row("datapath", format(group.get("datapath"))));
        }
        rows.addAll(extraRows(group, GROUP_KEYS));
        appendAligned(text, "  ", rows);

        if (group.get("links") instanceof List<?> links && !links.isEmpty()) {
            text.append('\n');
            renderLinks(text, links, group.get("active"));
        }
    }

    private static String lastFailover(Object value) {
        if (!(value instanceof Map<?, ?>)) {
            return value == null ? "none" : format(value);
        }
        Map<String, Object> last = asMap(value);
        StringBuilder line = new StringBuilder();
        line.append(orMissing(last.get("reason"))).append(": ")
                .append(orMissing(last.get("from"))).append(" -> ").append(orMissing(last.get("to")))
                .append(" at ").append(time(last.get("time")));
        for (String[] extra : extraRows(last, FAILOVER_KEYS)) {
            line.append(", ").append(extra[0]).append(' ').append(extra[1]);
        }
        return line.toString();
    }

    private static void renderLinks(StringBuilder text, List<?> links, Object active) {
        List<String> header = new ArrayList<>(List.of("LINK", "IFINDEX", "ROLE", "RANK", "PRESENT", "ADMIN",
                "CARRIER", "USABLE", "STATE", "RX FRAMES", "RX BYTES", "TX FRAMES", "TX BYTES", "DROPS"));
        List<List<String>> rows = new ArrayList<>();
        boolean anyMore = false;
        for (Object item : links) {
            Map<String, Object> link = asMap(item);
            Map<String, Object> counters = asMap(link.get("counters"));
            List<String> cells = new ArrayList<>(List.of(
                    orMissing(link.get("name")), orMissing(link.get("ifindex")), orMissing(link.get("role")),
                    orMissing(link.get("rank")), yesNo(link.get("present")), upDown(link.get("adminUp")),
                    upDown(link.get("carrier")), yesNo(link.get("usable")), orMissing(link.get("state")),
                    orMissing(counters.get("rxFrames")), orMissing(counters.get("rxBytes")),
                    orMissing(counters.get("txFrames")), orMissing(counters.get("txBytes")),
                    drops(counters.get("drops"))));
            StringJoiner more = new StringJoiner(" ");
            for (String[] extra : extraRows(link, LINK_KEYS)) {
                more.add(extra[0] + "=" + extra[1]);
            }
            for (String[] extra : extraRows(counters, COUNTER_KEYS)) {
                more.add(extra[0] + "=" + extra[1]);
            }
            cells.add(more.toString());
            anyMore |= more.length() > 0;
            String marker = active != null && active.equals(link.get("name")) ? "* " : "  ";
            cells.set(0, marker + cells.get(0));
            rows.add(cells);
        }
        header.set(0, "  " + header.get(0));
        if (anyMore) {
            header.add("MORE");
        } else {
            rows.forEach(cells -> cells.remove(cells.size() - 1));
        }
        rows.add(0, header);

        int[] widths = new int[header.size()];
        for (List<String> cells : rows) {
            for (int i = 0; i < cells.size(); i++) {
                widths[i] = Math.max(widths[i], cells.get(i).length());
            }
        }
        for (List<String> cells : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < cells.size(); i++) {
                line.append(i == cells.size() - 1 ? cells.get(i) : pad(cells.get(i), widths[i] + 2));
            }
            text.append(line.toString().stripTrailing()).append('\n');
        }
    }

    private static String drops(Object drops) {
        if (drops instanceof Map<?, ?> map && map.isEmpty()) {
            return "0";
        }
        return drops == null ? MISSING : format(drops);
    }

    /** The entries of {@code map} whose keys are not in {@code known}, formatted. */
    private static List<String[]> extraRows(Map<String, Object> map, Set<String> known) {
        List<String[]> rows = new ArrayList<>();
        map.forEach((key, value) -> {
            if (!known.contains(key)) {
                rows.add(row(key, format(value)));
            }
        });
        return rows;
    }

    /** Generic key-value lines for a result map, e.g. the answer to switch. */
    static String keyValues(Map<String, Object> result, String indent) {
        StringBuilder text = new StringBuilder();
        appendAligned(text, indent, extraRows(result, Set.of()));
        return text.toString();
    }

    private static void appendAligned(StringBuilder text, String indent, List<String[]> rows) {
        int width = 0;
        for (String[] row : rows) {
            width = Math.max(width, row[0].length());
        }
        for (String[] row : rows) {
            text.append(indent).append(pad(row[0], width + 2)).append(row[1]).append('\n');
        }
    }

    /** One line for any JSON value: maps as k=v, lists comma-separated, nested maps with dotted keys. */
    static String format(Object value) {
        if (value == null) {
            return MISSING;
        }
        if (value instanceof Map<?, ?> map) {
            if (map.isEmpty()) {
                return MISSING;
            }
            Map<String, String> flat = new LinkedHashMap<>();
            flatten("", map, flat);
            StringJoiner joined = new StringJoiner(" ");
            flat.forEach((key, v) -> joined.add(key + "=" + v));
            return joined.toString();
        }
        if (value instanceof List<?> list) {
            if (list.isEmpty()) {
                return MISSING;
            }
            StringJoiner joined = new StringJoiner(", ");
            for (Object item : list) {
                joined.add(item instanceof Map<?, ?> ? "{" + format(item) + "}" : format(item));
            }
            return joined.toString();
        }
        return String.valueOf(value);
    }

    private static void flatten(String prefix, Map<?, ?> map, Map<String, String> flat) {
        map.forEach((key, value) -> {
            String name = prefix + key;
            if (value instanceof Map<?, ?> nested && !nested.isEmpty()) {
                flatten(name + ".", nested, flat);
            } else {
                flat.put(name, format(value));
            }
        });
    }

    private static String time(Object value) {
        if (value instanceof Number millis) {
            return Instant.ofEpochMilli(millis.longValue()).toString();
        }
        return orMissing(value);
    }

    private static String upDown(Object value) {
        return value instanceof Boolean b ? (b ? "up" : "down") : orMissing(value);
    }

    private static String yesNo(Object value) {
        return value instanceof Boolean b ? (b ? "yes" : "no") : orMissing(value);
    }

    private static String orMissing(Object value) {
        return value == null ? MISSING : format(value);
    }

    private static String[] row(String key, String value) {
        return new String[] {key, value};
    }

    private static String pad(String text, int width) {
        return text.length() >= width ? text + " " : text + " ".repeat(width - text.length());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object value) {
        return value instanceof Map<?, ?> map ? (Map<String, Object>) map : Map.of();
    }
}
