// The configuration error matrix: each bad file or flag gives its documented one-sentence message and exit 78.
package dev.tapover.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.tapover.cli.Main;

/**
 * Every case runs {@code tapover run --check --config FILE [FLAGS]} through the real command line and compares
 * stderr with the message documented in docs/configuration.md ("FILE" stands for the file's path).
 */
class ConfigErrorMatrixTest {
    @TempDir
    Path dir;

    static final String GOOD = """
            groups:
              - master: fo0
                links:
                  primary: eth1
                  standby: eth2
            """;

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("unknown top-level key with a suggestion", """
                        group:
                          - master: fo0
                        """, "",
                        "FILE: group is not a known key; did you mean groups?"),
                Arguments.of("unknown nested key with a suggestion", GOOD + """
                            policy:
                              failbak: never
                        """, "",
                        "FILE: groups[0].policy.failbak is not a known key; did you mean failback?"),
                Arguments.of("snake_case spelling of a known key", GOOD + """
                            policy:
                              up_delay: 200ms
                        """, "",
                        "FILE: groups[0].policy.up_delay is not a known key; did you mean up-delay?"),
                Arguments.of("unknown key with nothing close", GOOD + """
                            colour: blue
                        """, "",
                        "FILE: groups[0].colour is not a known key; use one of master, mac, addresses, links, policy, "
                                + "announce, vnet-header, pcap"),
                Arguments.of("failback value not allowed", GOOD + """
                            policy:
                              failback: sometimes
                        """, "",
                        "FILE: groups[0].policy.failback is \"sometimes\"; use always, better or never"),
                Arguments.of("duration without a unit it understands", GOOD + """
                            policy:
                              up-delay: 2 hours
                        """, "",
                        "FILE: groups[0].policy.up-delay is \"2 hours\"; use a duration like 200ms, 2s, 1.5s or 1m"),
                Arguments.of("negative duration", GOOD + """
                            policy:
                              down-delay: -5ms
                        """, "",
                        "FILE: groups[0].policy.down-delay is \"-5ms\", outside 0ms..3600s; use a duration like "
                                + "200ms, 2s, 1.5s or 1m of at most 3600s"),
                Arguments.of("count out of range", GOOD + """
                            announce:
                              count: 500
                        """, "",
                        "FILE: groups[0].announce.count is 500; use a whole number from 1 to 100"),
                Arguments.of("count given as a word", GOOD + """
                            announce:
                              count: three
                        """, "",
                        "FILE: groups[0].announce.count is \"three\"; use a whole number from 1 to 100"),
                Arguments.of("ARP form not allowed", GOOD + """
                            announce:
                              arp-form: shout
                        """, "",
                        "FILE: groups[0].announce.arp-form is \"shout\"; use request, request-broadcast, reply, "
                                + "alternate or rarp"),
                Arguments.of("address without a prefix", GOOD + """
                            addresses: [192.0.2.1/24, 192.0.2.7]
                        """, "",
                        "FILE: groups[0].addresses[1] is \"192.0.2.7\"; use ADDRESS/PREFIX like 192.0.2.1/24 or "
                                + "2001:db8::1/64"),
                Arguments.of("MAC that is not six bytes", GOOD + """
                            mac: "02:00:5e:00:53"
                        """, "",
                        "FILE: groups[0].mac is \"02:00:5e:00:53\"; use six hex bytes like 02:00:5e:00:53:01 "
                                + "(a unicast MAC)"),
                Arguments.of("multicast MAC for the master", GOOD + """
                            mac: "03:00:5e:00:53:01"
                        """, "",
                        "FILE: groups[0].mac is \"03:00:5e:00:53:01\"; use six hex bytes like 02:00:5e:00:53:01 "
                                + "(a unicast MAC)"),
                Arguments.of("missing primary", """
                        groups:
                          - master: fo0
                            links:
                              standby: eth2
                        """, "",
                        "FILE: groups[0].links.primary is missing; name the preferred lower link, e.g. primary: eth1"),
                Arguments.of("standby the same as primary", """
                        groups:
                          - links:
                              primary: eth1
                              standby: [eth2, eth1]
                        """, "",
                        "FILE: groups[0].links.standby[1] is \"eth1\", which is already one of this group's links; "
                                + "name each interface once (primary and standbys must differ)"),
                Arguments.of("link named like the master", """
                        groups:
                          - master: fo0
                            links: {primary: fo0}
                        """, "",
                        "FILE: groups[0].links.primary is \"fo0\", the master itself; name a lower link, not the "
                                + "TAP master the agent creates"),
                Arguments.of("interface name too long", """
                        groups:
                          - links: {primary: a-very-long-interface-name}
                        """, "",
                        "FILE: groups[0].links.primary is \"a-very-long-interface-name\"; use an interface name of 1 "
                                + "to 15 letters, digits, '.', '-' or '_'"),
                Arguments.of("boolean given as a string", GOOD + """
                            vnet-header: "on"
                        """, "",
                        "FILE: groups[0].vnet-header is \"on\"; use true or false"),
                Arguments.of("metrics on a non-loopback address", GOOD + """
                        metrics:
                          listen: 0.0.0.0:9468
                        """, "",
                        "FILE: metrics.listen is \"0.0.0.0:9468\", which is not a loopback address; the metrics "
                                + "endpoint only listens on this host: use a loopback ADDRESS:PORT such as "
                                + "127.0.0.1:9468 or [::1]:9468"),
                Arguments.of("metrics with a host name", GOOD + """
                        metrics:
                          listen: localhost:9468
                        """, "",
                        "FILE: metrics.listen is \"localhost:9468\"; use a loopback address literal, not a host "
                                + "name: use a loopback ADDRESS:PORT such as 127.0.0.1:9468 or [::1]:9468"),
                Arguments.of("relative control socket", GOOD + """
                        control:
                          socket: fo0.sock
                        """, "",
                        "FILE: control.socket is \"fo0.sock\"; use an absolute path of at most 107 bytes such as "
                                + "/run/tapover/fo0.sock"),
                Arguments.of("control group that does not exist", GOOD + """
                        control:
                          group: tapover-nosuchgroup
                        """, "",
                        "FILE: control.group is \"tapover-nosuchgroup\", which is not a group on this host; create "
                                + "it (groupadd tapover-nosuchgroup) or name an existing group or gid"),
                Arguments.of("log level not allowed", GOOD + """
                        log:
                          level: verbose
                        """, "",
                        "FILE: log.level is \"verbose\"; use error, warn, info, debug or trace"),
                Arguments.of("two groups", GOOD + """
                          - master: fo1
                            links: {primary: eth3}
                        """, "",
                        "FILE: groups has 2 entries, but this version runs one group per agent; put each group in a "
                                + "file of its own and run one agent per file (tapover@fo0, tapover@fo1, ...)"),
                Arguments.of("two groups sharing a master", GOOD + """
                          - master: fo0
                            links: {primary: eth3}
                        """, "",
                        "FILE: groups[1].master is \"fo0\", the same as groups[0].master; give each group a master "
                                + "of its own"),
                Arguments.of("no groups", """
                        groups: []
                        """, "",
                        "FILE: groups is empty; define one group with at least master and links.primary"),
                Arguments.of("groups is a mapping", """
                        groups:
                          master: fo0
                        """, "",
                        "FILE: groups is a mapping; make it a list of groups (each item starts with '- ')"),
                Arguments.of("top level is a list", """
                        - master: fo0
                        """, "",
                        "FILE: the top level is a list; it must be a mapping with the keys groups, control, "
                                + "metrics, log, realtime"),
                Arguments.of("YAML syntax error", """
                        groups:
                          - master: fo0
                           links: {primary: eth1}
                        """, "",
                        "FILE line 3, column 4: expected <block end>, but found '<block mapping start>'; fix the YAML syntax there (indentation included)"),
                Arguments.of("duplicate key", GOOD + """
                            policy:
                              failback: never
                              failback: always
                        """, "",
                        "FILE line 8, column 15: key failback appears twice in the same mapping; keep one of them"),
                Arguments.of("empty file", "", "",
                        "FILE is empty; it needs at least groups: [{master: fo0, links: {primary: eth1}}]"),
                Arguments.of("flag value not allowed names the flag", GOOD, "--failback sometimes",
                        "--failback is \"sometimes\"; use always, better or never"),
                Arguments.of("flag standby equal to the file's primary names the flag", GOOD, "--standby eth1",
                        "--standby is \"eth1\", which is already one of this group's links; name each interface "
                                + "once (primary and standbys must differ)"),
                Arguments.of("flag metrics address not loopback names the flag", GOOD, "--metrics 192.0.2.1:9468",
                        "--metrics is \"192.0.2.1:9468\", which is not a loopback address; the metrics endpoint only "
                                + "listens on this host: use a loopback ADDRESS:PORT such as 127.0.0.1:9468 or "
                                + "[::1]:9468"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void badConfigurationExits78WithTheDocumentedMessage(String name, String yaml, String flags, String expected)
            throws Exception {
        Path file = dir.resolve("fo0.yaml");
        Files.writeString(file, yaml);
        List<String> args = new ArrayList<>(List.of("run", "--check", "--config", file.toString()));
        if (!flags.isEmpty()) {
            args.addAll(List.of(flags.split(" ")));
        }
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(args.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true));
        assertEquals("tapover: " + expected.replace("FILE", file.toString()), err.toString().strip(), name);
        assertEquals(78, code, name + ": exit code; stderr " + err);
        assertEquals("", out.toString(), "nothing on stdout");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fileProblems")
    void unreadableFilesExit78(String name, String path, String expected) {
        StringWriter err = new StringWriter();
        String resolved = path.replace("DIR", dir.toString());
        int code = Main.execute(new String[] {"run", "--check", "--config", resolved},
                new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
        assertEquals("tapover: " + expected.replace("DIR", dir.toString()), err.toString().strip(), name);
        assertEquals(78, code, name);
    }

    static Stream<Arguments> fileProblems() {
        return Stream.of(
                Arguments.of("missing file", "DIR/nope.yaml",
                        "configuration file DIR/nope.yaml does not exist; check the path given to --config"),
                Arguments.of("a directory", "DIR",
                        "configuration file DIR is a directory; pass the file itself to --config"));
    }
}
