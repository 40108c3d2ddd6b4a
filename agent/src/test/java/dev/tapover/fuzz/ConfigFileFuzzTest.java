// Jazzer target: any bytes as the YAML configuration file (ConfigSource/ConfigReader); what loads must be runnable.
package dev.tapover.fuzz;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;

import com.code_intelligence.jazzer.junit.FuzzTest;

import dev.tapover.agent.PcapAnnouncements;
import dev.tapover.cli.Main;
import dev.tapover.config.AgentConfig;
import dev.tapover.config.ConfigException;
import dev.tapover.config.ConfigSource;
import dev.tapover.config.GroupConfig;
import dev.tapover.failover.FailbackPolicy;
import dev.tapover.failover.FailoverGroup;
import dev.tapover.failover.PolicyConfig;

/**
 * The configuration file loader ({@code run --config FILE}, {@code reload}). The contract: a bad file is
 * refused with a {@link ConfigException} whose message prints as one line; nothing else escapes (no
 * Jackson, number-format or null-pointer exception); and a file that loads is one the agent can start with.
 * Seeds: the documented example file (docs/configuration.md), a minimal one, a bad one.
 */
public class ConfigFileFuzzTest {
    /** CI's budget: a fixed number of executions (with the fixed -seed of agent/pom.xml the same inputs every run). */
    static final long RUNS = 1000;
    /** A time cap for a machine too loaded to reach {@link #RUNS} (the run then stops early, at a random input). */
    static final String BUDGET = "90s";
    private static final Path FILE;

    static {
        try {
            FILE = Files.createTempDirectory("tapover-fuzz").resolve("fo0.yaml");
            FILE.toFile().deleteOnExit();
            FILE.getParent().toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = BUDGET, maxExecutions = RUNS)
    void yaml(byte[] data) throws IOException {
        fuzzerTestOneInput(data);
    }

    /** The standalone-driver entry point ({@code scripts/fuzz.sh}). */
    public static void fuzzerTestOneInput(byte[] data) throws IOException {
        Files.write(FILE, data);
        AgentConfig config;
        try {
            config = ConfigSource.of(FILE, List.of(), name -> OptionalInt.of(4242)).load();
        } catch (ConfigException e) {
            String line = Main.oneLine(e.getMessage());
            assertTrue(!line.isBlank(), "a refusal has a message");
            assertFalse(line.contains("\n"), "a refusal prints as one line");
            return;
        }
        GroupConfig g = config.group();
        new FailoverGroup(g.links(), new PolicyConfig(g.upDelay(), g.downDelay(), g.failbackDelay(),
                FailbackPolicy.parse(g.failback())), System::nanoTime);
        GroupConfig.AnnounceConfig a = g.announce();
        PcapAnnouncements.settings(a); // as the agent builds its announcer's settings
        assertFalse(g.carrierPoll().isNegative(), "carrier poll interval is not negative");
        assertFalse(a.migrationWindow().isNegative(), "migration window is not negative");
    }
}
