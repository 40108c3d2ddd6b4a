// Jazzer target: `tapover run` arguments and the value parsers; what validates must also be runnable.
package dev.tapover.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

import dev.tapover.cli.CommandFailure;
import dev.tapover.cli.Main;
import dev.tapover.cli.RunCommand;
import dev.tapover.config.Cidr;
import dev.tapover.config.Durations;
import dev.tapover.config.GroupConfig;
import dev.tapover.failover.FailbackPolicy;
import dev.tapover.failover.FailoverGroup;
import dev.tapover.failover.PolicyConfig;

/**
 * The configuration loader of this build is the {@code run} command line ({@link RunCommand#configFrom}),
 * built on {@link Cidr} and {@link Durations}. The contract: bad input is refused with a one-line message
 * (IllegalArgumentException from the parsers, CommandFailure 64/78 from the command line), never another
 * exception; and a configuration that is accepted ({@code run --check} says "ok") must be one the agent can
 * start with: the failover policy and the announcement settings built from it, as the agent builds them,
 * accept it too. Cidr text round-trips.
 */
public class ConfigFuzzTest {
    /** CI's budget: a fixed number of executions (with the fixed -seed of agent/pom.xml the same inputs every run). */
    static final long RUNS = 300;
    /** A time cap for a machine too loaded to reach {@link #RUNS} (the run then stops early, at a random input). */
    static final String BUDGET = "90s";

    private static final String[] OPTIONS = {"--master", "--primary", "--standby", "--address", "--mac",
        "--primary-mac", "--failback", "--up-delay", "--down-delay", "--failback-delay", "--carrier-poll",
        "--arp-form", "--announce-count", "--announce-interval", "--migration-window", "--control", "--pcap",
        "--log-level", "--allow-missing-links", "--vnet-header", "--check"};

    @FuzzTest(maxDuration = BUDGET, maxExecutions = RUNS)
    void runArguments(FuzzedDataProvider data) {
        fuzzerTestOneInput(data);
    }

    /** The standalone-driver entry point ({@code scripts/fuzz.sh}). */
    public static void fuzzerTestOneInput(FuzzedDataProvider data) {
        String cidr = data.consumeString(60);
        try {
            Cidr c = Cidr.parse(cidr);
            assertEquals(c, Cidr.parse(c.toString()), "Cidr round-trips through its text: " + cidr);
        } catch (IllegalArgumentException e) {
            oneLine(Main.oneLine(e.getMessage()));
        }
        String duration = data.consumeString(30);
        try {
            Duration d = Durations.parse(duration);
            assertEquals(d, Durations.parse(Durations.format(d)), "a duration round-trips through its text");
        } catch (IllegalArgumentException e) {
            oneLine(Main.oneLine(e.getMessage()));
        }

        List<String> args = new ArrayList<>(List.of("--primary", "primary", "--standby", "standby"));
        int n = data.consumeInt(0, 8);
        for (int i = 0; i < n; i++) {
            args.add(data.pickValue(OPTIONS));
            if (data.consumeBoolean()) {
                args.add(data.consumeString(40));
            }
        }
        if (data.consumeBoolean()) {
            java.util.Collections.swap(args, 0, args.size() - 1);
        }
        GroupConfig config;
        try {
            config = RunCommand.configFrom(args.toArray(String[]::new));
        } catch (CommandFailure e) {
            assertTrue(e.exitCode() == 64 || e.exitCode() == 78, "usage or config error: " + e.exitCode());
            assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), "an error has a message");
            // What the user sees (checked when the message quotes control characters, the case that can
            // break it; the CLI is slow to build): the same arguments fail the same way, before anything runs.
            if (e.getMessage().chars().noneMatch(Character::isISOControl)) {
                return;
            }
            List<String> cli = new ArrayList<>(List.of("run"));
            cli.addAll(args);
            java.io.StringWriter out = new java.io.StringWriter();
            java.io.StringWriter err = new java.io.StringWriter();
            int code = Main.execute(cli.toArray(String[]::new), new java.io.PrintWriter(out, true),
                    new java.io.PrintWriter(err, true));
            if (code != 0 || out.toString().isEmpty()) { // 0 with usage text: "-h" or "-V" was among the values
                assertTrue(code == 64 || code == 78, "the CLI exits 64 or 78, got " + code + ": " + err);
                oneLine(err.toString().stripTrailing());
                assertTrue(err.toString().startsWith("tapover: "), err.toString());
            }
            return;
        }
        // Accepted: the agent must be able to build what it builds at start-up from it.
        runnable(config);
    }

    /** Found by reasoning from the target's contract; kept as plain regression cases. */
    @org.junit.jupiter.api.Test
    void acceptedTimingsAreOnesTheAgentCanStartWith() {
        String[][] cases = {{"--up-delay", "120m"}, {"--down-delay", "61m"}, {"--failback-delay", "3601s"},
            {"--announce-interval", "-1s"}, {"--announce-interval", "2h"}, {"--migration-window", "-5s"},
            {"--carrier-poll", "-1ms"}, {"--announce-interval", "NaNs"}, {"--up-delay", "Infinitys"},
            {"--up-delay", "999999999999999999m"}};
        for (String[] c : cases) {
            try {
                GroupConfig config = RunCommand.configFrom("--primary", "primary", c[0], c[1]);
                runnable(config);
            } catch (CommandFailure e) {
                assertEquals(78, e.exitCode(), java.util.Arrays.toString(c)); // a bad value is a configuration error
            }
        }
    }

    private static void runnable(GroupConfig config) {
        new FailoverGroup(config.links(), new PolicyConfig(config.upDelay(), config.downDelay(),
                config.failbackDelay(), FailbackPolicy.parse(config.failback())), System::nanoTime);
        GroupConfig.AnnounceConfig a = config.announce();
        dev.tapover.agent.PcapAnnouncements.settings(a); // as the agent builds its announcer's settings
        assertFalse(config.carrierPoll().isNegative(), "carrier poll interval is not negative");
        assertFalse(a.migrationWindow().isNegative(), "migration window is not negative");
        config.carrierPoll().toNanos();
        a.migrationWindow().toNanos();
    }

    private static void oneLine(String message) {
        assertTrue(message != null && !message.isBlank(), "an error has a message");
        assertFalse(message.contains("\n"), "an error is one line: " + message);
    }
}
