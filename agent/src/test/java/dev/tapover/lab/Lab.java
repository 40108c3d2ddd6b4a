// The lab topology for real-kernel tests, with the test JVM's own namespace as the agent's host.
package dev.tapover.lab;

/**
 * Same shape as {@code scripts/lab.sh}: this JVM's namespace is the host (links {@code primary} and
 * {@code standby}), a switch namespace bridges them to a peer namespace at 192.0.2.2/24 and 2001:db8::2/64.
 * <pre>
 *   [this ns] primary ---- up-primary \
 *                                      br0 [P-sw] ---- to-peer ---- eth0 [P-peer] 192.0.2.2
 *   [this ns] standby ---- up-standby /
 * </pre>
 */
public final class Lab implements AutoCloseable {
    public static final String PEER_V4 = "192.0.2.2";
    public static final String PEER_V6 = "2001:db8::2";

    private final String switchNs;
    private final String peerNs;

    private Lab(String prefix) {
        this.switchNs = prefix + "-sw";
        this.peerNs = prefix + "-peer";
    }

    /** Builds the topology; namespaces are named after this process so parallel runs never collide. */
    public static Lab up() {
        Sh.requireThrowawayNamespace();
        Lab lab = new Lab("tovit" + ProcessHandle.current().pid());
        try {
            lab.build();
            return lab;
        } catch (RuntimeException | AssertionError e) {
            lab.close();
            throw e;
        }
    }

    private void build() {
        Sh.run("ip", "netns", "add", switchNs);
        Sh.run("ip", "netns", "add", peerNs);
        Sh.run("ip", "-n", switchNs, "link", "add", "br0", "type", "bridge", "stp_state", "0", "forward_delay", "0");
        for (String link : new String[] {"primary", "standby"}) {
            Sh.run("ip", "link", "add", link, "type", "veth", "peer", "name", "up-" + link, "netns", switchNs);
            silence(link);
            Sh.run("ip", "link", "set", link, "up");
            Sh.run("ip", "-n", switchNs, "link", "set", "up-" + link, "master", "br0", "up");
        }
        Sh.run("ip", "-n", peerNs, "link", "add", "eth0", "type", "veth", "peer", "name", "to-peer", "netns", switchNs);
        Sh.run("ip", "-n", switchNs, "link", "set", "to-peer", "master", "br0", "up");
        Sh.run("ip", "-n", switchNs, "link", "set", "br0", "up");
        Sh.run("ip", "-n", peerNs, "link", "set", "lo", "up");
        Sh.run("ip", "-n", peerNs, "addr", "add", PEER_V4 + "/24", "dev", "eth0");
        Sh.run("ip", "-n", peerNs, "addr", "add", PEER_V6 + "/64", "dev", "eth0", "nodad");
        Sh.run("ip", "-n", peerNs, "link", "set", "eth0", "up");
    }

    /** Keeps a lower link's own stack quiet (no IPv6 RS/DAD that would confuse the switch). */
    private static void silence(String link) {
        Sh.run("sysctl", "-q", "-w", "net.ipv6.conf." + link + ".disable_ipv6=1");
    }

    /**
     * Pings the peer from this namespace at 100 pps (300 probes) while {@code during} runs after 1 s;
     * returns how many probes were lost, from ping's own summary.
     */
    public static int probesLostWhile(Runnable during) throws Exception {
        java.util.concurrent.ExecutorService pinger = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            java.util.concurrent.Future<Sh.Result> ping = pinger.submit(() -> Sh.tryRun("ping", "-i", "0.01", "-c",
                    "300", "-W", "1", PEER_V4));
            Thread.sleep(1000);
            during.run();
            String out = ping.get(15, java.util.concurrent.TimeUnit.SECONDS).output();
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+) packets transmitted, (\\d+) received")
                    .matcher(out);
            if (!m.find()) {
                throw new AssertionError("ping printed no summary: " + out);
            }
            return Integer.parseInt(m.group(1)) - Integer.parseInt(m.group(2));
        } finally {
            pinger.shutdownNow();
        }
    }

    /** Runs a command inside the peer namespace. */
    public String peer(String... command) {
        return Sh.run(prefixed(peerNs, command));
    }

    public Sh.Result tryPeer(String... command) {
        return Sh.tryRun(prefixed(peerNs, command));
    }

    public String inSwitch(String... command) {
        return Sh.run(prefixed(switchNs, command));
    }

    private static String[] prefixed(String ns, String[] command) {
        String[] full = new String[command.length + 4];
        full[0] = "ip";
        full[1] = "netns";
        full[2] = "exec";
        full[3] = ns;
        System.arraycopy(command, 0, full, 4, command.length);
        return full;
    }

    /** Re-creates a lower link (after a test deleted it) with its switch port, as a hotplug would. */
    public void recreate(String link) {
        Sh.run("ip", "link", "add", link, "type", "veth", "peer", "name", "up-" + link, "netns", switchNs);
        silence(link);
        Sh.run("ip", "link", "set", link, "up");
        Sh.run("ip", "-n", switchNs, "link", "set", "up-" + link, "master", "br0", "up");
    }

    /** Pulls (false) or plugs (true) the switch side of a lower link's cable. */
    public void cable(String link, boolean plugged) {
        Sh.run("ip", "-n", switchNs, "link", "set", "up-" + link, plugged ? "up" : "down");
    }

    /** The bridge port on which the switch has learned {@code mac}, or null. */
    public String fdbPortOf(String mac) {
        for (String line : Sh.run("bridge", "-n", switchNs, "fdb", "show", "br", "br0").split("\n")) {
            if (line.startsWith(mac.toLowerCase() + " ") && !line.contains("permanent")) {
                String[] words = line.split("\\s+");
                for (int i = 0; i + 1 < words.length; i++) {
                    if (words[i].equals("dev")) {
                        return words[i + 1];
                    }
                }
            }
        }
        return null;
    }

    public String switchNamespace() {
        return switchNs;
    }

    public String peerNamespace() {
        return peerNs;
    }

    /** Deletes both namespaces (and with them every veth end inside); the host ends go with their peers. */
    @Override
    public void close() {
        Sh.tryRun("ip", "netns", "del", peerNs);
        Sh.tryRun("ip", "netns", "del", switchNs);
        Sh.tryRun("ip", "link", "del", "primary");
        Sh.tryRun("ip", "link", "del", "standby");
    }
}
