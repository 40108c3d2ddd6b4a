// Walks a configuration tree (file plus flags), checks every key and value, and builds the AgentConfig.
package dev.tapover.config;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.tapover.announce.ArpForm;
import dev.tapover.announce.IntervalMode;
import dev.tapover.datapath.Master;

/**
 * The schema lives here, as the lists of known keys below and one read per key. Every error is a {@link
 * ConfigException} whose message names where the value came from (the file's key path, e.g.
 * {@code groups[0].policy.failback}, or the flag that set it, e.g. {@code --failback}), the value, and what
 * is allowed, in one sentence.
 */
final class ConfigReader {
    static final List<String> TOP = List.of("groups", "control", "metrics", "log", "realtime");
    static final List<String> CONTROL = List.of("socket", "group");
    static final List<String> METRICS = List.of("listen");
    static final List<String> LOG = List.of("level");
    static final List<String> REALTIME = List.of("priority", "lock-memory");
    static final List<String> GROUP = List.of("master", "mac", "addresses", "links", "policy", "announce",
            "vnet-header", "pcap");
    static final List<String> LINKS = List.of("primary", "standby", "primary-mac", "allow-missing", "carrier-poll");
    static final List<String> POLICY = List.of("failback", "up-delay", "down-delay", "failback-delay");
    static final List<String> ANNOUNCE = List.of("arp-form", "count", "interval", "interval-mode", "backoff",
            "refresh", "until-proven", "budget", "na-count", "na-interval", "vlans", "hold-on-flap", "migration-window");

    static final List<String> LOG_LEVELS = List.of("error", "warn", "info", "debug", "trace");
    static final List<String> FAILBACK = List.of("always", "better", "never");
    static final Duration MAX_DELAY = Duration.ofHours(1);
    static final Duration MAX_POLL = Duration.ofSeconds(10);
    private static final String DURATION_HINT = "a duration like 200ms, 2s, 1.5s or 1m";

    private final Path file;
    /** Key path to the flag that set it, e.g. groups[0].policy.failback to --failback. */
    private final Map<String, String> flags;
    private final ConfigSource.GroupLookup groupLookup;

    ConfigReader(Path file, Map<String, String> flags, ConfigSource.GroupLookup groupLookup) {
        this.file = file;
        this.flags = flags;
        this.groupLookup = groupLookup;
    }

    AgentConfig read(JsonNode root) throws ConfigException {
        ObjectNode top = object(root, "");
        checkKeys(top, "", TOP);
        ObjectNode control = optionalObject(top, "", "control", CONTROL);
        ObjectNode metrics = optionalObject(top, "", "metrics", METRICS);
        ObjectNode log = optionalObject(top, "", "log", LOG);
        ObjectNode realtime = optionalObject(top, "", "realtime", REALTIME);

        JsonNode groupsNode = top.get("groups");
        if (groupsNode == null || groupsNode.isNull()) {
            throw error("groups", "is missing", "define one group, e.g. groups: [{master: fo0, links: {primary: eth1}}]");
        }
        if (!groupsNode.isArray()) {
            throw error("groups", "is " + describe(groupsNode), "make it a list of groups (each item starts with '- ')");
        }
        if (groupsNode.isEmpty()) {
            throw error("groups", "is empty", "define one group with at least master and links.primary");
        }

        String logLevel = choice(log, "log", "level", LOG_LEVELS, "info");
        String firstMaster = textOr(groupsNode.get(0), "master", "fo0");
        // Only a valid interface name makes a path; a bad one (even with a NUL) is refused by the group's check.
        String socketName = firstMaster.matches("[A-Za-z0-9_.-]{1,15}") ? firstMaster : "fo0";
        Path socket = absolutePath(control, "control", "socket",
                Path.of("/run/tapover", socketName + ".sock"));
        OptionalInt gid = controlGroup(control);
        InetSocketAddress listen = metricsAddress(metrics);

        List<GroupConfig> groups = new ArrayList<>();
        for (int i = 0; i < groupsNode.size(); i++) {
            groups.add(group(groupsNode.get(i), "groups[" + i + "]", socket));
        }
        checkDistinct(groups);
        if (groups.size() > 1) {
            throw error("groups", "has " + groups.size() + " entries, but this version runs one group per agent",
                    "put each group in a file of its own and run one agent per file (tapover@fo0, tapover@fo1, ...)");
        }
        AgentConfig.Realtime rt = new AgentConfig.Realtime(
                integer(realtime, "realtime", "priority", AgentConfig.Realtime.DEFAULT_PRIORITY, 0, 99),
                bool(realtime, "realtime", "lock-memory", false));
        return new AgentConfig(groups, socket, gid, listen, logLevel, file, rt);
    }

    // ---- groups --------------------------------------------------------------------------------------------

    private GroupConfig group(JsonNode node, String path, Path socket) throws ConfigException {
        ObjectNode g = object(node, path);
        checkKeys(g, path, GROUP);
        String master = interfaceName(g, path, "master", "fo0");
        byte[] mac = mac(g, path, "mac", false);
        if (mac == null) {
            mac = Master.derivedMac(master);
        }

        String linksPath = join(path, "links");
        ObjectNode links = optionalObject(g, path, "links", LINKS);
        if (links == null || links.get("primary") == null || links.get("primary").isNull()) {
            throw error(join(linksPath, "primary"), "is missing", "name the preferred lower link, e.g. primary: eth1");
        }
        String primary = interfaceName(links, linksPath, "primary", null);
        List<String> linkNames = new ArrayList<>();
        linkNames.add(primary);
        JsonNode standbyNode = links.get("standby");
        if (standbyNode != null && !standbyNode.isNull()) {
            String standbyPath = join(linksPath, "standby");
            if (standbyNode.isArray()) {
                for (int i = 0; i < standbyNode.size(); i++) {
                    linkNames.add(interfaceValue(standbyNode.get(i), standbyPath + "[" + i + "]"));
                }
            } else {
                linkNames.add(interfaceValue(standbyNode, standbyPath));
            }
        }
        for (int i = 0; i < linkNames.size(); i++) {
            String where = i == 0 ? join(linksPath, "primary")
                    : join(linksPath, "standby") + (standbyNode.isArray() ? "[" + (i - 1) + "]" : "");
            if (linkNames.get(i).equals(master)) {
                throw error(where, "is \"" + master + "\", the master itself",
                        "name a lower link, not the TAP master the agent creates");
            }
            if (linkNames.subList(0, i).contains(linkNames.get(i))) {
                throw error(where, "is \"" + linkNames.get(i) + "\", which is already one of this group's links",
                        "name each interface once (primary and standbys must differ)");
            }
        }
        byte[] primaryMac = mac(links, linksPath, "primary-mac", true);
        boolean allowMissing = bool(links, linksPath, "allow-missing", false);
        Duration carrierPoll = duration(links, linksPath, "carrier-poll", Duration.ofMillis(10), MAX_POLL);

        List<Cidr> addresses = new ArrayList<>();
        JsonNode addressNode = g.get("addresses");
        String addressesPath = join(path, "addresses");
        if (addressNode != null && !addressNode.isNull()) {
            if (!addressNode.isArray()) {
                throw error(addressesPath, "is " + describe(addressNode),
                        "make it a list of ADDRESS/PREFIX, e.g. [192.0.2.1/24, 2001:db8::1/64]");
            }
            for (int i = 0; i < addressNode.size(); i++) {
                String where = addressesPath + "[" + i + "]";
                JsonNode a = addressNode.get(i);
                Cidr cidr;
                try {
                    cidr = Cidr.parse(text(a, where, "ADDRESS/PREFIX like 192.0.2.1/24 or 2001:db8::1/64"));
                } catch (IllegalArgumentException e) {
                    throw error(where, "is " + describe(a), "use ADDRESS/PREFIX like 192.0.2.1/24 or 2001:db8::1/64");
                }
                if (addresses.contains(cidr)) {
                    throw error(where, "is " + describe(a) + ", listed twice", "list each address once");
                }
                addresses.add(cidr);
            }
        }

        String policyPath = join(path, "policy");
        ObjectNode policy = optionalObject(g, path, "policy", POLICY);
        String failback = choice(policy, policyPath, "failback", FAILBACK, "always");
        Duration upDelay = duration(policy, policyPath, "up-delay", Duration.ZERO, MAX_DELAY);
        Duration downDelay = duration(policy, policyPath, "down-delay", Duration.ZERO, MAX_DELAY);
        Duration failbackDelay = duration(policy, policyPath, "failback-delay", Duration.ZERO, MAX_DELAY);

        String announcePath = join(path, "announce");
        ObjectNode announce = optionalObject(g, path, "announce", ANNOUNCE);
        List<String> forms = new ArrayList<>();
        for (ArpForm form : ArpForm.values()) {
            forms.add(form.cliName());
        }
        String arpForm = choice(announce, announcePath, "arp-form", forms, "request");
        int count = integer(announce, announcePath, "count", 5, 1, 100);
        Duration interval = duration(announce, announcePath, "interval", Duration.ofSeconds(1), MAX_DELAY);
        Duration migrationWindow = duration(announce, announcePath, "migration-window", Duration.ofSeconds(2),
                MAX_DELAY);
        List<String> modes = new ArrayList<>();
        for (IntervalMode mode : IntervalMode.values()) {
            modes.add(mode.cliName());
        }
        boolean intervalGiven = announce != null && announce.hasNonNull("interval");
        String intervalMode = choice(announce, announcePath, "interval-mode", modes, intervalGiven ? "fixed" : "backoff");
        List<Duration> backoff = backoff(announce, announcePath);
        Duration refresh = duration(announce, announcePath, "refresh", Duration.ZERO, MAX_DELAY);
        if (!refresh.isZero() && refresh.toMillis() < 100) {
            throw error(join(announcePath, "refresh"), "is " + Durations.format(refresh),
                    "use 0 (no refresh) or at least 100ms, e.g. 60s, below the switches' FDB ageing time");
        }
        boolean untilProven = bool(announce, announcePath, "until-proven", false);
        int budget = integer(announce, announcePath, "budget", 100, 0, 1_000_000);
        int naCount = integer(announce, announcePath, "na-count", 3, 0, 1000);
        Duration naInterval = duration(announce, announcePath, "na-interval", Duration.ofSeconds(1), MAX_DELAY);
        Map<Integer, List<Cidr>> vlans = vlans(announce, announcePath);
        boolean holdOnFlap = bool(announce, announcePath, "hold-on-flap", false);

        boolean vnetHeader = bool(g, path, "vnet-header", true);
        Path pcap = null;
        JsonNode pcapNode = g.get("pcap");
        if (pcapNode != null && !pcapNode.isNull()) {
            try {
                pcap = Path.of(text(pcapNode, join(path, "pcap"), "a file name such as /var/tmp/fo0.pcap"));
            } catch (java.nio.file.InvalidPathException e) { // e.g. a NUL byte
                throw error(join(path, "pcap"), "is " + describe(pcapNode), "use a file name such as /var/tmp/fo0.pcap");
            }
        }
        GroupConfig.AnnounceConfig announceConfig = new GroupConfig.AnnounceConfig(arpForm, count, interval,
                migrationWindow, List.copyOf(vlans.keySet()), intervalMode, backoff.get(0), backoff.get(1),
                backoff.get(2), refresh, untilProven, budget, naCount, naInterval, holdOnFlap, vlans);
        GroupConfig config = new GroupConfig(master, mac, linkNames, primaryMac, addresses, failback, upDelay,
                downDelay, failbackDelay, carrierPoll, allowMissing, vnetHeader, announceConfig, socket, pcap);
        try {
            return config.validate();
        } catch (IllegalArgumentException e) {
            throw new ConfigException(path, prefix(path) + path + ": " + e.getMessage(), e);
        }
    }

    /** announce.backoff: "INITIAL,STEP,MAX", three durations with MAX not below INITIAL. */
    private List<Duration> backoff(ObjectNode announce, String announcePath) throws ConfigException {
        JsonNode node = announce == null ? null : announce.get("backoff");
        if (node == null || node.isNull()) {
            return List.of(Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(550));
        }
        String where = join(announcePath, "backoff");
        String fix = "use three durations INITIAL,STEP,MAX like 50ms,100ms,550ms (QEMU's), MAX not below INITIAL";
        String[] parts = node.isTextual() ? node.asText().split(",", -1) : new String[0];
        if (parts.length != 3) {
            throw error(where, "is " + describe(node), fix);
        }
        List<Duration> out = new ArrayList<>();
        for (String part : parts) {
            try {
                Duration d = Durations.parse(part);
                if (d.isNegative() || d.compareTo(MAX_DELAY) > 0) {
                    throw new IllegalArgumentException(part);
                }
                out.add(d);
            } catch (IllegalArgumentException e) {
                throw error(where, "is " + describe(node), fix);
            }
        }
        if (out.get(2).compareTo(out.get(0)) < 0) {
            throw error(where, "is " + describe(node) + ", MAX below INITIAL", fix);
        }
        return out;
    }

    /** announce.vlans: a list of "ID" or "ID:ADDRESS[/PREFIX]"; an address without prefix is a host address. */
    private Map<Integer, List<Cidr>> vlans(ObjectNode announce, String announcePath) throws ConfigException {
        Map<Integer, List<Cidr>> out = new java.util.TreeMap<>();
        JsonNode node = announce == null ? null : announce.get("vlans");
        if (node == null || node.isNull()) {
            return out;
        }
        String path = join(announcePath, "vlans");
        String fix = "use VLAN ids 1..4094, each alone (the MAC only) or as ID:ADDRESS, like 100:198.51.100.1/24";
        List<JsonNode> items = new ArrayList<>();
        if (node.isArray()) {
            node.forEach(items::add);
        } else {
            items.add(node);
        }
        for (int i = 0; i < items.size(); i++) {
            JsonNode item = items.get(i);
            String where = node.isArray() ? path + "[" + i + "]" : path;
            String text = item.isTextual() ? item.asText() : item.isIntegralNumber() ? item.asText() : null;
            if (text == null) {
                throw error(where, "is " + describe(item), fix);
            }
            int colon = text.indexOf(':');
            int id;
            try {
                id = Integer.parseInt((colon < 0 ? text : text.substring(0, colon)).trim());
            } catch (NumberFormatException e) {
                id = -1;
            }
            if (id < 1 || id > 4094) {
                throw error(where, "is " + describe(item), fix);
            }
            List<Cidr> onVlan = out.computeIfAbsent(id, k -> new ArrayList<>());
            if (colon >= 0) {
                String address = text.substring(colon + 1).trim();
                try {
                    onVlan.add(Cidr.parse(address.contains("/") ? address
                            : address + (address.contains(":") ? "/128" : "/32")));
                } catch (IllegalArgumentException e) {
                    throw error(where, "is " + describe(item), fix);
                }
            }
        }
        out.replaceAll((vlan, cidrs) -> List.copyOf(cidrs));
        return out;
    }

    private void checkDistinct(List<GroupConfig> groups) throws ConfigException {
        for (int i = 1; i < groups.size(); i++) {
            for (int j = 0; j < i; j++) {
                if (groups.get(i).master().equals(groups.get(j).master())) {
                    throw error("groups[" + i + "].master", "is \"" + groups.get(i).master() + "\", the same as groups["
                            + j + "].master", "give each group a master of its own");
                }
                for (String link : groups.get(i).links()) {
                    if (groups.get(j).links().contains(link)) {
                        throw error("groups[" + i + "].links", "names \"" + link + "\", which groups[" + j
                                + "] uses too", "give each lower link to one group only");
                    }
                }
            }
        }
    }

    // ---- agent-wide settings -------------------------------------------------------------------------------

    private OptionalInt controlGroup(ObjectNode control) throws ConfigException {
        JsonNode node = control == null ? null : control.get("group");
        if (node == null || node.isNull()) {
            return OptionalInt.empty();
        }
        String where = "control.group";
        if (node.canConvertToInt() && node.isIntegralNumber()) {
            if (node.asInt() < 0) {
                throw error(where, "is " + describe(node), "use a group name or a gid of 0 or more");
            }
            return OptionalInt.of(node.asInt());
        }
        String name = text(node, where, "a group name or a numeric gid");
        if (name.matches("\\d+")) {
            return OptionalInt.of(Integer.parseInt(name));
        }
        OptionalInt gid = groupLookup.gidOf(name);
        if (gid.isEmpty()) {
            throw error(where, "is \"" + name + "\", which is not a group on this host",
                    "create it (groupadd " + name + ") or name an existing group or gid");
        }
        return gid;
    }

    private InetSocketAddress metricsAddress(ObjectNode metrics) throws ConfigException {
        JsonNode node = metrics == null ? null : metrics.get("listen");
        if (node == null || node.isNull()) {
            return null;
        }
        String where = "metrics.listen";
        String hint = "use a loopback ADDRESS:PORT such as 127.0.0.1:9468 or [::1]:9468";
        String value = text(node, where, "a loopback ADDRESS:PORT such as 127.0.0.1:9468");
        int colon = value.lastIndexOf(':');
        if (colon <= 0) {
            throw error(where, "is " + describe(node), hint);
        }
        String host = value.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            throw error(where, "is " + describe(node), "write an IPv6 address in brackets, e.g. [::1]:9468");
        }
        int port;
        try {
            port = Integer.parseInt(value.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 0 || port > 65535) {
            throw error(where, "is " + describe(node), "use a port from 1 to 65535 (0 picks a free one), e.g. 127.0.0.1:9468");
        }
        InetAddress address;
        if (!host.matches("[0-9.]+") && !host.matches("[0-9a-fA-F:.]+")) {
            throw error(where, "is " + describe(node), "use a loopback address literal, not a host name: " + hint);
        }
        try {
            address = InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw error(where, "is " + describe(node), hint);
        }
        if (!address.isLoopbackAddress()) {
            throw error(where, "is " + describe(node) + ", which is not a loopback address",
                    "the metrics endpoint only listens on this host: " + hint);
        }
        if (address instanceof Inet6Address && !host.contains(":")) {
            throw error(where, "is " + describe(node), hint);
        }
        return new InetSocketAddress(address, port);
    }

    // ---- typed values --------------------------------------------------------------------------------------

    private String interfaceName(ObjectNode parent, String parentPath, String key, String fallback)
            throws ConfigException {
        JsonNode node = parent == null ? null : parent.get(key);
        if (node == null || node.isNull()) {
            return fallback;
        }
        return interfaceValue(node, join(parentPath, key));
    }

    private String interfaceValue(JsonNode node, String where) throws ConfigException {
        String allowed = "an interface name of 1 to 15 letters, digits, '.', '-' or '_'";
        String name = text(node, where, allowed);
        if (name.isEmpty() || name.getBytes(StandardCharsets.UTF_8).length > 15 || !name.matches("[A-Za-z0-9_.-]+")
                || name.equals(".") || name.equals("..")) {
            throw error(where, "is " + describe(node), "use " + allowed);
        }
        return name;
    }

    private byte[] mac(ObjectNode parent, String parentPath, String key, boolean anyUnicast) throws ConfigException {
        JsonNode node = parent == null ? null : parent.get(key);
        if (node == null || node.isNull()) {
            return null;
        }
        String where = join(parentPath, key);
        String hint = "use six hex bytes like 02:00:5e:00:53:01" + (anyUnicast ? "" : " (a unicast MAC)");
        String value = text(node, where, "six hex bytes like 02:00:5e:00:53:01");
        try {
            return Master.parseMac(value);
        } catch (IllegalArgumentException e) {
            throw error(where, "is " + describe(node), hint);
        }
    }

    private String choice(ObjectNode parent, String parentPath, String key, List<String> allowed, String fallback)
            throws ConfigException {
        JsonNode node = parent == null ? null : parent.get(key);
        if (node == null || node.isNull()) {
            return fallback;
        }
        String where = join(parentPath, key);
        String value = node.isTextual() ? node.asText().toLowerCase(java.util.Locale.ROOT) : null;
        if (value == null || !allowed.contains(value)) {
            throw error(where, "is " + describe(node), "use " + orList(allowed));
        }
        return value;
    }

    private int integer(ObjectNode parent, String parentPath, String key, int fallback, int min, int max)
            throws ConfigException {
        JsonNode node = parent == null ? null : parent.get(key);
        if (node == null || node.isNull()) {
            return fallback;
        }
        String where = join(parentPath, key);
        if (!node.isIntegralNumber() || !node.canConvertToInt() || node.asInt() < min || node.asInt() > max) {
            throw error(where, "is " + describe(node), "use a whole number from " + min + " to " + max);
        }
        return node.asInt();
    }

    private boolean bool(ObjectNode parent, String parentPath, String key, boolean fallback) throws ConfigException {
        JsonNode node = parent == null ? null : parent.get(key);
        if (node == null || node.isNull()) {
            return fallback;
        }
        if (!node.isBoolean()) {
            throw error(join(parentPath, key), "is " + describe(node), "use true or false");
        }
        return node.asBoolean();
    }

    private Duration duration(ObjectNode parent, String parentPath, String key, Duration fallback, Duration max)
            throws ConfigException {
        JsonNode node = parent == null ? null : parent.get(key);
        if (node == null || node.isNull()) {
            return fallback;
        }
        String where = join(parentPath, key);
        Duration d;
        if (node.isIntegralNumber() && node.canConvertToLong()) {
            d = Duration.ofMillis(node.asLong());
        } else if (node.isTextual()) {
            try {
                d = Durations.parse(node.asText());
            } catch (IllegalArgumentException e) {
                throw error(where, "is " + describe(node), "use " + DURATION_HINT);
            }
        } else {
            throw error(where, "is " + describe(node), "use " + DURATION_HINT);
        }
        if (d.isNegative() || d.compareTo(max) > 0) {
            throw error(where, "is " + describe(node) + ", outside 0ms.." + Durations.format(max),
                    "use " + DURATION_HINT + " of at most " + Durations.format(max));
        }
        return d;
    }

    private Path absolutePath(ObjectNode parent, String parentPath, String key, Path fallback)
            throws ConfigException {
        JsonNode node = parent == null ? null : parent.get(key);
        if (node == null || node.isNull()) {
            return fallback;
        }
        String where = join(parentPath, key);
        String value = text(node, where, "an absolute path such as /run/tapover/fo0.sock");
        Path path;
        try {
            path = Path.of(value);
        } catch (java.nio.file.InvalidPathException e) { // e.g. a NUL byte
            throw error(where, "is " + describe(node),
                    "use an absolute path of at most 107 bytes such as /run/tapover/fo0.sock");
        }
        if (!path.isAbsolute() || value.getBytes(StandardCharsets.UTF_8).length > 107) {
            throw error(where, "is " + describe(node),
                    "use an absolute path of at most 107 bytes such as /run/tapover/fo0.sock");
        }
        return path;
    }

    private String text(JsonNode node, String where, String allowed) throws ConfigException {
        if (!node.isTextual()) {
            throw error(where, "is " + describe(node), "use " + allowed);
        }
        return node.asText();
    }

    private static String textOr(JsonNode node, String key, String fallback) {
        JsonNode value = node == null ? null : node.get(key);
        return value != null && value.isTextual() ? value.asText() : fallback;
    }

    // ---- structure -----------------------------------------------------------------------------------------

    private ObjectNode object(JsonNode node, String path) throws ConfigException {
        if (node instanceof ObjectNode object) {
            return object;
        }
        if (path.isEmpty()) {
            throw new ConfigException("", prefix("") + "the top level is " + describe(node)
                    + "; it must be a mapping with the keys " + String.join(", ", TOP));
        }
        throw error(path, "is " + describe(node), "make it a mapping of keys to values");
    }

    private ObjectNode optionalObject(ObjectNode parent, String parentPath, String key, List<String> known)
            throws ConfigException {
        JsonNode node = parent.get(key);
        if (node == null || node.isNull()) {
            return null;
        }
        String path = join(parentPath, key);
        if (!(node instanceof ObjectNode object)) {
            throw error(path, "is " + describe(node), "make it a mapping with the keys " + String.join(", ", known));
        }
        checkKeys(object, path, known);
        return object;
    }

    private void checkKeys(ObjectNode node, String path, List<String> known) throws ConfigException {
        Iterator<String> names = node.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (!known.contains(name)) {
                String where = join(path, name);
                String hint = Suggestions.nearest(name, known).map(k -> "did you mean " + k + "?")
                        .orElse("use one of " + String.join(", ", known));
                throw new ConfigException(where, prefix(where) + where + " is not a known key; " + hint);
            }
        }
    }

    // ---- messages ------------------------------------------------------------------------------------------

    /** "WHERE PROBLEM; FIX", where WHERE is the flag that set the value or the file and key path. */
    private ConfigException error(String path, String problem, String fix) {
        String flag = flagFor(path);
        if (flag != null) {
            return new ConfigException(flag, flag + " " + problem + "; " + fix);
        }
        return new ConfigException(path, prefix(path) + path + " " + problem + "; " + fix);
    }

    private String prefix(String path) {
        return file == null ? "" : file + ": ";
    }

    /** The flag that set {@code path} or one of its ancestors, or null when the value came from the file. */
    private String flagFor(String path) {
        String p = path;
        while (!p.isEmpty()) {
            String flag = flags.get(p);
            if (flag != null) {
                return flag;
            }
            int cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
            p = cut < 0 ? "" : p.substring(0, cut);
        }
        return null;
    }

    static String join(String parent, String key) {
        return parent.isEmpty() ? key : parent + "." + key;
    }

    /** A value as the message shows it: strings in quotes, lists and mappings by kind. */
    static String describe(JsonNode node) {
        if (node == null || node.isNull()) {
            return "empty";
        }
        if (node.isTextual()) {
            return "\"" + node.asText() + "\"";
        }
        if (node.isArray()) {
            return "a list";
        }
        if (node.isObject()) {
            return "a mapping";
        }
        return node.asText();
    }

    private static String orList(List<String> values) {
        if (values.size() == 1) {
            return values.get(0);
        }
        return String.join(", ", values.subList(0, values.size() - 1)) + " or " + values.get(values.size() - 1);
    }
}
